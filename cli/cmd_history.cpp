// ftl history ENG|--playbook ID, ftl audit, ftl rebuild: the views auditors read, and the refold.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/invoke.h"
#include "cli/safe_output.h"
#include "schema/playbook_page.h"

namespace ftl::cli {

using nlohmann::json;

std::vector<Column> history_columns(Format format, bool with_source) {
  std::vector<Column> cols = {{"date", "Date"}, {"who", "Who Changed"}, {"what", "What Changed"}};
  if (with_source && format != Format::kMd) cols.push_back({"source", "Source"});
  return cols;
}

json history_shape(json row, Format format) {
  if (format == Format::kMd && row["date_understood"].get<bool>()) row["date"] = schema::playbook_date(row["date"].get<std::string>());
  return row;
}

std::vector<Column> audit_columns() {
  return {{"sequence", "Seq", true}, {"recorded_at", "Recorded"}, {"effective_date", "Effective"}, {"actor", "Actor"},
          {"stream", "Stream"},      {"type", "Type"},           {"field", "Field"},               {"from", "From"}, {"to", "To"}};
}

json audit_shape(json row, Format format) {
  if (format == Format::kTable) row["effective_date"] = row["effective_date"].get<std::string>().substr(0, 10);
  return row;
}

int print_history(json args, const std::string& since, bool with_source) {
  if (!since.empty()) {
    if (!parse_time(since)) return fail(Status::InvalidArgument("--since '" + since + "' is not a date", "write it as 2020-01-31 or 1/31/2020"));
    args["since"] = since;
  }
  return list_command("history", args, [with_source](Format format) { return history_columns(format, with_source); }, history_shape);
}

namespace {

struct HistoryOptions {
  std::string engagement, playbook, since, as_of;
};

struct AuditOptions {
  std::string actor, engagement, type, since, until;
  std::uint32_t task = 0;
};

int run_audit(const AuditOptions& o) {
  json args = {{"actor", o.actor}, {"engagement", o.engagement}, {"type", o.type}};
  for (auto [value, key, opt] : {std::tuple{&o.since, "since", "--since"}, std::tuple{&o.until, "until", "--until"}}) {
    if (value->empty()) continue;
    if (!parse_time(*value)) return fail(Status::InvalidArgument(std::string(opt) + " '" + *value + "' is not a date or time"));
    args[key] = *value;
  }
  if (o.task != 0) args["task"] = o.task;
  return list_command("audit", args, audit_columns(), audit_shape);
}

int run_rebuild(unsigned threads) {
  json args = json::object();
  if (threads != 0) args["threads"] = threads;
  return document_command("rebuild", args, [](const json& r, Format) {
    char line[256];
    std::snprintf(line, sizeof line, "in %.3f s, %.0f events/s on %u threads; dropped %llu snapshots, wrote %llu",
                  r["seconds"].get<double>(), r["events_per_s"].get<double>(), r["threads"].get<unsigned>(),
                  static_cast<unsigned long long>(r["snapshots_dropped"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(r["snapshots_written"].get<std::uint64_t>()));
    std::cout << "rebuilt " << r["playbooks"] << " playbooks and " << r["engagements"] << " engagements from " << r["events"]
              << " events " << line << "\n";
  });
}

int run_redact(const std::string& event, const std::string& reason) {
  return document_command("event.redact", {{"event", event}, {"reason", reason}}, [](const json& r, Format) {
    std::cout << "redacted event " << r["redacted"] << " (" << one_line(r["redacted_type"].get<std::string>()) << " on "
              << one_line(r["stream"].get<std::string>()) << ") by event " << r["sequence"]
              << ": its payload is gone; the chain, the tree and every proof still verify against its SHA-256 "
              << r["payload_sha256"].get<std::string>() << "\n";
    if (r.contains("purge_error"))
      warn("the old payload bytes may stay in the database's files until RocksDB next compacts them: " + r["purge_error"].get<std::string>());
  });
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
  h->callback([ho] {
    if (ho->engagement.empty() == ho->playbook.empty()) {
      exit_code() = fail(Status::Usage("name an engagement or --playbook ID, not both and not neither",
                                       "ftl history contoso, or ftl history --playbook enable-services"));
      return;
    }
    json args = {{"as_of", ho->as_of}};
    if (ho->playbook.empty()) args["engagement"] = ho->engagement;
    else args["playbook"] = ho->playbook;
    exit_code() = print_history(args, ho->since, !ho->playbook.empty());
  });

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

  auto event = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto* rd = app.add_subcommand("redact", "Remove one event's payload (personal data), keeping the chain verifiable (admin; audited)");
  rd->add_option("event", *event, "The event's sequence or id")->required();
  rd->add_option("--reason", *reason, "Why: recorded in the redaction event for auditors (say no personal data here)")->required();
  rd->footer("Example:\n  ftl redact 1042 --reason \"personal data, request 2026-118\"");
  rd->callback([event, reason] { exit_code() = run_redact(*event, *reason); });
}

}  // namespace ftl::cli
