// ftl history ENG|--playbook ID, ftl audit: the views auditors read.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

#include "cli/context.h"
#include "cli/progress.h"
#include "engine/engagement_service.h"
#include "engine/rebuild.h"
#include "projections/audit.h"
#include "schema/playbook_page.h"

namespace ftl::cli {

int print_history(const std::vector<projections::HistoryRow>& rows, const std::string& since_text, bool with_source) {
  std::string since;
  if (!since_text.empty()) {
    auto t = parse_time(since_text);
    if (!t) return fail(Status::InvalidArgument("--since '" + since_text + "' is not a date", "write it as 2020-01-31 or 1/31/2020"));
    since = projections::iso_date(*t);
  }
  const auto format = globals().format();
  std::vector<Column> cols = {{"date", "Date"}, {"who", "Who Changed"}, {"what", "What Changed"}};
  if (with_source && format != Format::kMd) cols.push_back({"source", "Source"});
  RowWriter w(std::cout, format, cols, globals().color());
  for (const auto& r : rows) {
    if (!since.empty() && r.sort_date < since) continue;
    std::string what = r.what;
    if (r.backdated) what += " (back-dated)";
    nlohmann::json row = {{"date", format == Format::kMd && r.date_understood ? schema::playbook_date(r.date) : r.date},
                          {"date_understood", r.date_understood},
                          {"who", r.who}, {"what", what}, {"source", r.source}, {"backdated", r.backdated}};
    if (!r.notes.empty()) row["notes"] = r.notes;
    w.row(row);
  }
  return 0;
}

namespace {

struct HistoryOptions {
  std::string engagement, playbook, since, as_of;
};

int run_history(const HistoryOptions& o) {
  if (o.engagement.empty() == o.playbook.empty())
    return fail(Status::Usage("name an engagement or --playbook ID, not both and not neither",
                              "ftl history contoso, or ftl history --playbook enable-services"));
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto seq = as_of_sequence(**ledger, o.as_of);
  if (!seq.ok()) return fail(seq.status());
  if (!o.playbook.empty()) {
    auto st = engine::load_playbook(**ledger, o.playbook, *seq);
    if (!st.ok()) return fail(st.status());
    return print_history(projections::playbook_history(*st), o.since, true);
  }
  projections::EngagementHistory history;
  auto cursor = (*ledger)->scan_stream(projections::engagement_stream(o.engagement));
  std::uint64_t n = 0;
  for (; cursor->valid() && (*seq == 0 || cursor->event().sequence <= *seq); cursor->next(), ++n)
    if (auto st = history.apply(cursor->event()); !st.ok()) return fail(st);
  if (!cursor->status().ok()) return fail(cursor->status());
  if (n == 0) return fail(engine::load_engagement(**ledger, o.engagement, *seq).status());  // names the known ones
  return print_history(history.rows(), o.since, false);
}

struct AuditOptions {
  std::string actor, engagement, type, since, until;
  std::uint32_t task = 0;
};

int run_audit(const AuditOptions& o) {
  std::int64_t since = 0, until = 0;
  if (!o.since.empty()) {
    auto t = parse_time(o.since);
    if (!t) return fail(Status::InvalidArgument("--since '" + o.since + "' is not a date or time"));
    since = *t;
  }
  if (!o.until.empty()) {
    auto t = parse_time(o.until);
    if (!t) return fail(Status::InvalidArgument("--until '" + o.until + "' is not a date or time"));
    until = *t;
  }
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  // The narrowest index the filters allow; the other filters are applied to each event.
  std::unique_ptr<Cursor> cursor;
  if (!o.engagement.empty()) cursor = (*ledger)->scan_stream(projections::engagement_stream(o.engagement));
  else if (!o.actor.empty()) cursor = (*ledger)->scan_actor(o.actor);
  else cursor = (*ledger)->scan(1);
  const auto format = globals().format();
  RowWriter w(std::cout, format,
              {{"sequence", "Seq", true}, {"recorded_at", "Recorded"}, {"effective_date", "Effective"}, {"actor", "Actor"},
               {"stream", "Stream"}, {"type", "Type"}, {"field", "Field"}, {"from", "From"}, {"to", "To"}},
              globals().color());
  const std::string task_field = o.task == 0 ? "" : "task " + std::to_string(o.task);
  for (; cursor->valid(); cursor->next()) {
    const auto& e = cursor->event();
    if (!o.actor.empty() && e.actor != o.actor) continue;
    if (since != 0 && e.recorded_us < since) continue;
    if (until != 0 && e.recorded_us >= until) continue;
    if (!o.type.empty() && !projections::type_matches(o.type, e.type)) continue;
    for (const auto& r : projections::audit_rows(e)) {
      if (!task_field.empty() && r.field != task_field && !r.field.starts_with(task_field + " ")) continue;
      w.row({{"sequence", r.sequence},
             {"recorded_at", projections::iso_time(r.recorded_us)},
             {"effective_date", format == Format::kTable ? projections::iso_date(r.effective_us) : projections::iso_time(r.effective_us)},
             {"actor", r.actor},
             {"stream", r.stream},
             {"type", r.type},
             {"event_id", r.event_id},
             {"field", r.field},
             {"from", r.from},
             {"to", r.to}});
    }
  }
  w.finish();
  if (!cursor->status().ok()) return fail(cursor->status());
  return 0;
}

int run_rebuild(unsigned threads) {
  auto ledger = open_for_writing();
  if (!ledger.ok()) return fail(ledger.status());
  std::unique_ptr<Progress> progress;
  engine::RebuildOptions options;
  options.threads = threads;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!progress) progress = std::make_unique<Progress>("rebuilding", total, "streams");
    progress->update(done);
  };
  auto r = engine::rebuild(**ledger, options);
  if (progress) progress->finish();
  if (!r.ok()) return fail(r.status());
  const double rate = r->seconds > 0 ? static_cast<double>(r->events) / r->seconds : 0.0;
  const auto format = globals().format();
  if (format == Format::kJson || format == Format::kJsonl) {
    nlohmann::json j = {{"playbooks", r->playbooks}, {"engagements", r->engagements}, {"events", r->events},
                        {"seconds", r->seconds},     {"events_per_s", rate},          {"threads", r->threads},
                        {"snapshots_dropped", r->snapshots_dropped}, {"snapshots_written", r->snapshots_written}};
    std::cout << json_text(j) << "\n";
  } else {
    char line[256];
    std::snprintf(line, sizeof line, "in %.3f s, %.0f events/s on %u threads; dropped %llu snapshots, wrote %llu", r->seconds,
                  rate, r->threads, static_cast<unsigned long long>(r->snapshots_dropped),
                  static_cast<unsigned long long>(r->snapshots_written));
    std::cout << "rebuilt " << r->playbooks << " playbooks and " << r->engagements << " engagements from " << r->events
              << " events " << line << "\n";
  }
  return 0;
}

}  // namespace

void setup_history(CLI::App& app) {
  auto ho = std::make_shared<HistoryOptions>();
  auto* h = app.add_subcommand("history", "Refresh-Summary style history: Date | Who Changed | What Changed, newest first");
  h->add_option("engagement", ho->engagement, "Engagement id");
  h->add_option("--playbook", ho->playbook, "A playbook's history instead");
  h->add_option("--since", ho->since, "Only rows on or after this date");
  h->add_option("--as-of", ho->as_of, "The history as the ledger held it at a sequence number or a time");
  h->footer("Example:\n  ftl history contoso\n  ftl history contoso --format md\n  ftl history contoso --as-of 2026-11-10T12:00:00Z\n"
            "  ftl history --playbook enable-services");
  h->callback([ho] { exit_code() = run_history(*ho); });

  auto ao = std::make_shared<AuditOptions>();
  auto* a = app.add_subcommand("audit", "Who changed what, when, from what to what: one row per fact changed");
  a->add_option("--actor", ao->actor, "Only this actor (read through the actor index)");
  a->add_option("--engagement", ao->engagement, "Only this engagement (read through the stream index)");
  a->add_option("--task", ao->task, "Only facts about this task, in any engagement or playbook");
  a->add_option("--type", ao->type, "An event type, or task, status, note, contact, usage, correction, engagement, catalog");
  a->add_option("--since", ao->since, "Recorded at or after this date or time");
  a->add_option("--until", ao->until, "Recorded before this date or time");
  a->footer("Example:\n  ftl audit --engagement contoso --actor ryan --since 2026-11-01\n  ftl audit --task 1126\n  ftl audit --type status --format csv");
  a->callback([ao] { exit_code() = run_audit(*ao); });

  auto* rb = app.add_subcommand("rebuild", "Drop the snapshots, refold every playbook and engagement, write fresh snapshots");
  auto threads = std::make_shared<unsigned>(0);
  rb->add_option("--threads", *threads, "Fold on this many threads (default: one per core)");
  rb->footer("Example:\n  ftl rebuild\n  ftl rebuild --threads 1");
  rb->callback([threads] { exit_code() = run_rebuild(*threads); });
}

}  // namespace ftl::cli
