// ftl engagement open|list|show|scope|seats|phase|motions, ftl task done|reopen|na|list,
// ftl status, ftl service status|target, ftl note add, ftl contact add|update, ftl usage,
// ftl correct. Each writing command is a decision from engine/engagement_service.h.
#include <CLI/CLI.hpp>

#include <climits>
#include <iostream>

#include "cli/context.h"
#include "engine/engagement_document.h"
#include "engine/engagement_service.h"
#include "projections/history.h"
#include "schema/taxonomy.h"

namespace ftl::cli {
namespace {

using nlohmann::json;
using projections::EngagementState;
using projections::TaskStatus;

// Options every writing command shares.
struct WriteOptions {
  std::string engagement;
  std::string effective;
};

void add_effective(CLI::App* cmd, WriteOptions& o) {
  cmd->add_option("--effective", o.effective, "Business date of the fact (default: now); a back-dated entry shows as such");
}

// Opens the ledger for writing, runs the decision, prints what was recorded.
int run_write(const WriteOptions& o, bool create, const engine::Decide& decide) {
  std::optional<std::int64_t> effective;
  if (!o.effective.empty()) {
    effective = parse_time(o.effective);
    if (!effective) return fail(Status::InvalidArgument("--effective '" + o.effective + "' is not a date", "write it as 2026-11-24"));
  }
  auto ledger = open_for_writing();
  if (!ledger.ok()) return fail(ledger.status());
  auto out = engine::execute(**ledger, o.engagement, actor(), effective, create, decide);
  if (!out.ok()) return fail(out.status());
  const auto format = globals().format();
  if (format == Format::kJson || format == Format::kJsonl) {
    std::cout << json_text(json({{"engagement", o.engagement}, {"message", out->message}, {"events", out->events},
                                 {"first_sequence", out->position.first_sequence}, {"last_sequence", out->position.last_sequence}}))
              << "\n";
  } else if (!globals().quiet || out->events == 0) {
    std::cout << o.engagement << ": " << out->message;
    if (out->events > 0)
      std::cout << " (sequence " << out->position.first_sequence
                << (out->events > 1 ? "-" + std::to_string(out->position.last_sequence) : "") << ")";
    std::cout << "\n";
  }
  return 0;
}

std::optional<bool> yes_no(const std::string& v) {
  std::string l;
  for (char c : v) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (l == "yes" || l == "y" || l == "true") return true;
  if (l == "no" || l == "n" || l == "false") return false;
  return std::nullopt;
}

struct ShowOptions {
  std::string engagement, as_of;
};

int run_show(const ShowOptions& o) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto seq = as_of_sequence(**ledger, o.as_of);
  if (!seq.ok()) return fail(seq.status());
  auto s = engine::load_engagement(**ledger, o.engagement, *seq);
  if (!s.ok()) return fail(s.status());
  auto catalog = engine::load_catalog(**ledger, *seq);
  if (!catalog.ok()) return fail(catalog.status());
  const auto doc = engine::engagement_document(*s, *catalog);
  const auto format = globals().format();
  if (format == Format::kJson || format == Format::kJsonl) {
    std::cout << json_text(doc, format == Format::kJson ? 2 : -1) << "\n";
    return 0;
  }
  if (format == Format::kCsv || format == Format::kMd) {
    RowWriter w(std::cout, format,
                {{"service", "Service"}, {"l1", "Consumption Status (L1)"}, {"l2", "Reason (L2)"},
                 {"service_status", "Service Status"}, {"target", "Target"}, {"enabled", "Enabled"}},
                false);
    for (const auto& e : doc["entitlements"]) w.row(e);
    return 0;
  }
  const bool color = globals().color();
  auto bold = [&](const std::string& x) { return color ? "\x1b[1m" + x + "\x1b[0m" : x; };
  std::cout << bold(s->customer) << " (" << s->id << ")" << (o.as_of.empty() ? "" : "  as of " + o.as_of) << "\n";
  std::cout << "Phase: " << s->phase << "   Seats: " << s->seats << (doc["enterprise_benefit"].get<bool>() ? " (enterprise benefit)" : "")
            << "   Motions: " << projections::join_list(s->motions, " / ") << "\n";
  std::cout << "Last change: " << doc["last_change"].get<std::string>() << " (version " << s->version << ")\n\n";
  {
    RowWriter w(std::cout, Format::kTable,
                {{"service", "Service"}, {"l1", "L1"}, {"l2", "L2"}, {"service_status", "Service Status"},
                 {"target", "Target"}, {"enabled", "Enabled"}},
                color);
    for (const auto& e : doc["entitlements"]) w.row(e);
  }
  const auto& t = doc["tasks"];
  std::cout << "\nTasks: " << t["done"] << " done, " << t["open"] << " open (" << t["mandatory_open"] << " mandatory), "
            << t["not_applicable"] << " not applicable\n";
  for (const auto& row : doc["task_list"])
    if (row["status"] != "open")
      std::cout << "  " << (row["status"] == "done" ? "done " : "n/a  ") << row["id"] << "  " << row["name"].get<std::string>()
                << "  (" << row["by"].get<std::string>() << ", " << row["at"].get<std::string>().substr(0, 10)
                << (row["backdated"].get<bool>() ? ", back-dated: recorded " + row["recorded_at"].get<std::string>().substr(0, 10) : "")
                << ")\n";
  const auto& u = doc["usage"];
  std::cout << "\nUsage: " << u["active_users"] << " active users" << (s->usage.source.empty() ? "" : " (" + s->usage.source + ")")
            << "; milestone " << u["threshold"] << (u["milestone_reached"].get<bool>() ? ": reached" : ": not reached") << "\n";
  std::cout << "Contacts: " << doc["contacts"].size()
            << (doc["survey_eligible_contact"].get<bool>() ? " (survey eligible: yes)" : " (none survey eligible)") << "\n";
  for (const auto& c : doc["contacts"])
    std::cout << "  " << c["name"].get<std::string>() << ", " << c["role"].get<std::string>()
              << (c["survey_eligible"].get<bool>() ? ", survey eligible" : "") << "\n";
  std::cout << "Notes: " << doc["notes"].size() << (s->corrections.empty() ? "" : "   Corrections: " + std::to_string(s->corrections.size()))
            << "\n";
  return 0;
}

int run_list(const std::string& as_of) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto seq = as_of_sequence(**ledger, as_of);
  if (!seq.ok()) return fail(seq.status());
  auto catalog = engine::load_catalog(**ledger, *seq);
  if (!catalog.ok()) return fail(catalog.status());
  RowWriter w(std::cout, globals().format(),
              {{"id", "ID"}, {"customer", "Customer"}, {"phase", "Phase"}, {"seats", "Seats", true},
               {"progress", "Mandatory done"}, {"last_change", "Last change"}},
              globals().color());
  auto ids = engine::engagement_ids(**ledger);
  if (!ids.ok()) return fail(ids.status());
  for (const auto& id : *ids) {
    auto s = engine::load_engagement(**ledger, id, *seq);
    if (*seq != 0 && s.status().code() == Code::kNotFound) continue;  // opened later
    if (!s.ok()) return fail(s.status());
    std::size_t mandatory = 0, done = 0;
    for (const auto& [t, pb] : engine::applicable_tasks(*catalog, *s)) {
      if (!t->mandatory) continue;
      ++mandatory;
      if (s->task_status(t->id) == TaskStatus::kDone) ++done;
    }
    w.row({{"id", id}, {"customer", s->customer}, {"phase", s->phase}, {"seats", s->seats},
           {"progress", std::to_string(done) + "/" + std::to_string(mandatory)}, {"mandatory_done", done},
           {"mandatory", mandatory}, {"last_change", projections::iso_time(s->last_change_us)}});
  }
  return 0;
}

struct TaskListOptions {
  std::string engagement, service, as_of;
  bool open = false, done = false, na = false;
};

int run_task_list(const TaskListOptions& o) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto seq = as_of_sequence(**ledger, o.as_of);
  if (!seq.ok()) return fail(seq.status());
  auto s = engine::load_engagement(**ledger, o.engagement, *seq);
  if (!s.ok()) return fail(s.status());
  auto catalog = engine::load_catalog(**ledger, *seq);
  if (!catalog.ok()) return fail(catalog.status());
  const auto format = globals().format();
  RowWriter w(std::cout, format,
              {{"id", "ID", true}, {"status", "Status"}, {"mandatory", "M/O"}, {"name", "Name"}, {"services", "Services"},
               {"by", "By"}, {"at", "At"}},
              globals().color());
  for (auto row : engine::task_rows(*s, *catalog)) {
    const auto status = row["status"].get<std::string>();
    if ((o.open || o.done || o.na) &&
        !((o.open && status == "open") || (o.done && status == "done") || (o.na && status == "not applicable")))
      continue;
    if (!o.service.empty()) {
      bool match = false;
      for (const auto& svc : row["services"]) {
        std::string x = svc.get<std::string>();
        std::string a, b;
        for (char c : x) a.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        for (char c : o.service) b.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        if (a == b || a == "all services") match = true;
      }
      if (!match) continue;
    }
    if (format == Format::kTable || format == Format::kMd) row["mandatory"] = row["mandatory"].get<bool>() ? "M" : "O";
    if (format == Format::kTable && row.contains("at")) row["at"] = row["at"].get<std::string>().substr(0, 10);
    w.row(row);
  }
  return 0;
}

// The engagement as of `point`: a sequence number, or a time (the last event recorded by then).
// Before its first event it is the empty state.
Result<EngagementState> state_at(Ledger& ledger, const std::string& id, const std::string& point, const std::string& field) {
  auto seq = as_of_sequence(ledger, point, field);
  if (!seq.ok()) {
    if (seq.status().code() == Code::kNotFound) return EngagementState{};  // nothing recorded by then
    return seq.status();
  }
  auto s = engine::load_engagement(ledger, id, *seq);
  if (!s.ok() && s.status().code() == Code::kNotFound) return EngagementState{};  // not yet open then
  return s;
}

const std::vector<Column> kChangeColumns = {{"field", "Field"}, {"from", "From"}, {"to", "To"}};

struct DiffOptions {
  std::string engagement, from, to;
};

int run_diff(const DiffOptions& o) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  if (auto exists = engine::load_engagement(**ledger, o.engagement); !exists.ok()) return fail(exists.status());
  auto a = state_at(**ledger, o.engagement, o.from, "FROM");
  if (!a.ok()) return fail(a.status());
  auto b = state_at(**ledger, o.engagement, o.to, "TO");
  if (!b.ok()) return fail(b.status());
  RowWriter w(std::cout, globals().format(), kChangeColumns, globals().color());
  for (const auto& c : projections::diff(*a, *b)) w.row({{"field", c.field}, {"from", c.from}, {"to", c.to}});
  return 0;
}

struct ReplayOptions {
  std::string engagement;
  std::uint64_t from = 1, to = 0;
};

int run_replay(const ReplayOptions& o) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  if (auto exists = engine::load_engagement(**ledger, o.engagement); !exists.ok()) return fail(exists.status());
  const auto head = (*ledger)->head().sequence;
  if (o.from < 1 || o.from > head || o.to > head || (o.to != 0 && o.to < o.from))
    return fail(Status::InvalidArgument("--from " + std::to_string(o.from) + (o.to != 0 ? " --to " + std::to_string(o.to) : "") +
                                            " is not a range of this ledger's sequences",
                                        "its events are 1 to " + std::to_string(head) + ", and --from comes before --to"));
  RowWriter w(std::cout, globals().format(),
              {{"sequence", "Seq", true}, {"recorded_at", "Recorded"}, {"actor", "Actor"}, {"type", "Type"},
               {"field", "Field"}, {"from", "From"}, {"to", "To"}},
              globals().color());
  EngagementState state;
  auto cursor = (*ledger)->scan_stream(projections::engagement_stream(o.engagement));
  for (; cursor->valid(); cursor->next()) {
    const auto& e = cursor->event();
    if (o.to != 0 && e.sequence > o.to) break;
    const auto before = state;
    if (auto st = projections::apply(state, e); !st.ok()) return fail(st);
    if (e.sequence < o.from) continue;
    json base = {{"sequence", e.sequence}, {"recorded_at", projections::iso_time(e.recorded_us)}, {"actor", e.actor},
                 {"type", e.type}, {"event_id", e.event_id}};
    auto changes = projections::diff(before, state);
    if (changes.empty()) changes.push_back({"(no change)", "", ""});
    for (const auto& c : changes) {
      auto row = base;
      row["field"] = c.field;
      row["from"] = c.from;
      row["to"] = c.to;
      w.row(row);
    }
  }
  w.finish();
  if (!cursor->status().ok()) return fail(cursor->status());
  return 0;
}

}  // namespace

void setup_engagement(CLI::App& app) {
  // ftl engagement ...
  auto* eng = app.add_subcommand("engagement", "Customer engagements: open, browse, change what was opened");
  eng->require_subcommand(1);
  eng->footer("Example:\n  ftl engagement open contoso --customer \"Contoso Ltd\" --seats 25000 --services \"Exchange, Teams\"\n  ftl engagement show contoso");

  struct Open {
    WriteOptions w;
    engine::OpenCommand c;
    std::string services, motions;
  };
  auto open = std::make_shared<Open>();
  auto* o = eng->add_subcommand("open", "Open an engagement: customer, seats, services in scope, motions, phase");
  o->add_option("id", open->w.engagement, "Engagement id (e.g. contoso)")->required();
  o->add_option("--customer", open->c.customer, "Customer name")->required();
  o->add_option("--seats", open->c.seats, "Seats")->required();
  o->add_option("--services", open->services, "Services in scope, comma-separated")->required();
  o->add_option("--motions", open->motions, "Customer Health, RFA, Targeting");
  o->add_option("--phase", open->c.phase, "Phase (default Enable)");
  o->add_flag("--exception", open->c.exception, "Qualifies for Enterprise Additional Benefit below 20,000 seats");
  add_effective(o, open->w);
  o->footer("Example:\n  ftl engagement open contoso --customer \"Contoso Ltd\" --seats 25000 --services \"Exchange, Teams, SharePoint\" --motions RFA");
  o->callback([open] {
    if (auto st = engine::check_engagement_id(open->w.engagement); !st.ok()) {
      exit_code() = fail(st);
      return;
    }
    open->c.id = open->w.engagement;
    open->c.services = engine::split_names(open->services);
    open->c.motions = engine::split_names(open->motions);
    exit_code() = run_write(open->w, true, [open](const EngagementState& s, const engine::CatalogView& c) {
      return engine::decide_open(s, c, open->c);
    });
  });

  auto list_as_of = std::make_shared<std::string>();
  auto* ls = eng->add_subcommand("list", "List engagements: id, customer, phase, mandatory tasks done, last change");
  ls->add_option("--as-of", *list_as_of, "As of a sequence number or a time");
  ls->footer("Example:\n  ftl engagement list\n  ftl engagement list --as-of 2026-11-01 --format csv");
  ls->callback([list_as_of] { exit_code() = run_list(*list_as_of); });

  auto show = std::make_shared<ShowOptions>();
  auto* sh = eng->add_subcommand("show", "Current state: scope, phase, L1/L2 per service, tasks, milestone, contacts");
  sh->add_option("id", show->engagement, "Engagement id")->required();
  sh->add_option("--as-of", show->as_of, "As of a sequence number or a time");
  sh->footer("Example:\n  ftl engagement show contoso\n  ftl engagement show contoso --as-of 2026-11-10T12:00:00Z --format json");
  sh->callback([show] { exit_code() = run_show(*show); });

  struct Change {
    WriteOptions w;
    std::string value;
    std::uint32_t seats = 0;
  };
  auto scope = std::make_shared<Change>();
  auto* sc = eng->add_subcommand("scope", "Change the services in scope");
  sc->add_option("id", scope->w.engagement)->required();
  sc->add_option("--services", scope->value, "Services in scope, comma-separated")->required();
  add_effective(sc, scope->w);
  sc->footer("Example:\n  ftl engagement scope contoso --services \"Exchange, Teams\"");
  sc->callback([scope] {
    exit_code() = run_write(scope->w, false, [scope](const EngagementState& s, const engine::CatalogView& c) {
      return engine::decide_scope(s, c, engine::split_names(scope->value));
    });
  });
  auto seats = std::make_shared<Change>();
  auto* se = eng->add_subcommand("seats", "Change the number of seats");
  se->add_option("id", seats->w.engagement)->required();
  se->add_option("seats", seats->seats)->required();
  add_effective(se, seats->w);
  se->footer("Example:\n  ftl engagement seats contoso 26000");
  se->callback([seats] {
    exit_code() = run_write(seats->w, false, [seats](const EngagementState& s, const engine::CatalogView&) {
      return engine::decide_seats(s, seats->seats);
    });
  });
  auto phase = std::make_shared<Change>();
  auto* ph = eng->add_subcommand("phase", "Move to another phase (Migrate/Adoption once every scoped service is enabled)");
  ph->add_option("id", phase->w.engagement)->required();
  ph->add_option("phase", phase->value)->required();
  add_effective(ph, phase->w);
  ph->footer("Example:\n  ftl engagement phase contoso Migrate");
  ph->callback([phase] {
    exit_code() = run_write(phase->w, false, [phase](const EngagementState& s, const engine::CatalogView& c) {
      return engine::decide_phase(s, c, phase->value);
    });
  });
  auto motions = std::make_shared<Change>();
  auto* mo = eng->add_subcommand("motions", "Change the motions (Customer Health, RFA, Targeting)");
  mo->add_option("id", motions->w.engagement)->required();
  mo->add_option("--motions", motions->value)->required();
  add_effective(mo, motions->w);
  mo->footer("Example:\n  ftl engagement motions contoso --motions \"RFA, Targeting\"");
  mo->callback([motions] {
    exit_code() = run_write(motions->w, false, [motions](const EngagementState& s, const engine::CatalogView&) {
      return engine::decide_motions(s, engine::split_names(motions->value));
    });
  });

  // ftl diff / ftl replay
  auto dfo = std::make_shared<DiffOptions>();
  auto* df = app.add_subcommand("diff", "What changed in an engagement's state between two sequence numbers or times");
  df->add_option("engagement", dfo->engagement)->required();
  df->add_option("from", dfo->from, "A sequence number or a date/time")->required();
  df->add_option("to", dfo->to, "A sequence number or a date/time")->required();
  df->footer("Example:\n  ftl diff contoso 2026-11-01 2026-11-20\n  ftl diff contoso 110 140");
  df->callback([dfo] { exit_code() = run_diff(*dfo); });
  auto rpo = std::make_shared<ReplayOptions>();
  auto* rp = app.add_subcommand("replay", "Each event of an engagement in order, with the state change it caused");
  rp->add_option("engagement", rpo->engagement)->required();
  rp->add_option("--from", rpo->from, "First sequence to show");
  rp->add_option("--to", rpo->to, "Last sequence to show");
  rp->footer("Example:\n  ftl replay contoso --from 1000 --to 1200");
  rp->callback([rpo] { exit_code() = run_replay(*rpo); });

  // ftl task ...
  auto* task = app.add_subcommand("task", "Record task completions, reopenings and not-applicable tasks");
  task->require_subcommand(1);
  task->footer("Example:\n  ftl task done contoso 1126 --note \"Kick-off held\"\n  ftl task list contoso --open");
  struct TaskOpts {
    WriteOptions w;
    engine::TaskCommand c;
  };
  for (auto [name, kind, help] : {std::tuple{"done", engine::TaskCommand::Kind::kDone, "Record a task as done"},
                                  std::tuple{"reopen", engine::TaskCommand::Kind::kReopen, "Reopen a done or not-applicable task"},
                                  std::tuple{"na", engine::TaskCommand::Kind::kNotApplicable, "Mark an optional task not applicable, with a reason"}}) {
    auto t = std::make_shared<TaskOpts>();
    t->c.kind = kind;
    auto* cmd = task->add_subcommand(name, help);
    cmd->add_option("engagement", t->w.engagement)->required();
    cmd->add_option("task", t->c.task, "FTOP task id")->required();
    cmd->add_option("--reason", t->c.reason, "Why (required for na)");
    cmd->add_option("--note", t->c.note, "A note to keep with the completion");
    add_effective(cmd, t->w);
    cmd->footer(std::string("Example:\n  ftl task ") + name + " contoso 1126" + (kind == engine::TaskCommand::Kind::kNotApplicable ? " --reason \"No SharePoint hybrid\"" : ""));
    cmd->callback([t] {
      exit_code() = run_write(t->w, false, [t](const EngagementState& s, const engine::CatalogView& c) {
        return engine::decide_task(s, c, t->c);
      });
    });
  }
  auto tl = std::make_shared<TaskListOptions>();
  auto* tlc = task->add_subcommand("list", "The tasks that apply to an engagement, with their status");
  tlc->add_option("engagement", tl->engagement)->required();
  tlc->add_flag("--open", tl->open, "Only open tasks");
  tlc->add_flag("--done", tl->done, "Only done tasks");
  tlc->add_flag("--na", tl->na, "Only not-applicable tasks");
  tlc->add_option("--service", tl->service, "Only tasks for this service (All Services included)");
  tlc->add_option("--as-of", tl->as_of, "As of a sequence number or a time");
  tlc->footer("Example:\n  ftl task list contoso --open --service Exchange\n  ftl task list contoso --done --as-of 2026-11-10T12:00:00Z");
  tlc->callback([tl] { exit_code() = run_task_list(*tl); });

  // ftl status ...
  struct StatusOpts {
    WriteOptions w;
    engine::StatusCommand c;
  };
  auto st = std::make_shared<StatusOpts>();
  auto* stc = app.add_subcommand("status", "Set Consumption Status (L1) and Reason (L2) per service entitlement");
  stc->add_option("engagement", st->w.engagement)->required();
  stc->add_option("--service", st->c.service, "One service (default: every service in scope)");
  stc->add_option("--l1", st->c.l1, "Consumption Status (L1)")->required();
  stc->add_option("--l2", st->c.l2, "Reason (L2)");
  stc->add_option("--target", st->c.target, "Target date (required for In Progress unless already set)");
  add_effective(stc, st->w);
  stc->footer("Example:\n  ftl status contoso --l1 \"In Progress\" --l2 \"Solution or User Adoption\" --target 2026-12-15\n  ftl status contoso --service Teams --l1 Blocked --l2 \"Adoption Readiness\"");
  stc->callback([st] {
    exit_code() = run_write(st->w, false, [st](const EngagementState& s, const engine::CatalogView&) {
      return engine::decide_status(s, st->c);
    });
  });

  // ftl service status|target ...
  auto* svc = app.add_subcommand("service", "Per-workload Service Status and target date");
  svc->require_subcommand(1);
  struct SvcOpts {
    WriteOptions w;
    std::string service, value;
  };
  auto ss = std::make_shared<SvcOpts>();
  auto* ssc = svc->add_subcommand("status", "Set a service's Service Status (Initiate ... Adoption)");
  ssc->add_option("engagement", ss->w.engagement)->required();
  ssc->add_option("service", ss->service)->required();
  ssc->add_option("value", ss->value)->required();
  add_effective(ssc, ss->w);
  ssc->footer("Example:\n  ftl service status contoso Exchange Migrate");
  ssc->callback([ss] {
    exit_code() = run_write(ss->w, false, [ss](const EngagementState& s, const engine::CatalogView&) {
      return engine::decide_service_status(s, ss->service, ss->value);
    });
  });
  auto tg = std::make_shared<SvcOpts>();
  auto* tgc = svc->add_subcommand("target", "Set a service's target date");
  tgc->add_option("engagement", tg->w.engagement)->required();
  tgc->add_option("service", tg->service)->required();
  tgc->add_option("date", tg->value)->required();
  add_effective(tgc, tg->w);
  tgc->footer("Example:\n  ftl service target contoso Teams 2026-12-15");
  tgc->callback([tg] {
    exit_code() = run_write(tg->w, false, [tg](const EngagementState& s, const engine::CatalogView&) {
      return engine::decide_target(s, tg->service, tg->value);
    });
  });

  // ftl note add ...
  auto* note = app.add_subcommand("note", "Notes: Technical Enablement, Engagement Management, Environment");
  note->require_subcommand(1);
  struct NoteOpts {
    WriteOptions w;
    engine::NoteCommand c;
  };
  auto no = std::make_shared<NoteOpts>();
  auto* na = note->add_subcommand("add", "Add a note, optionally documenting a step's checklist item");
  na->add_option("engagement", no->w.engagement)->required();
  na->add_option("--kind", no->c.kind, "technical-enablement, engagement-management or environment")->required();
  na->add_option("--text", no->c.text, "The note")->required();
  na->add_option("--step", no->c.step, "The step whose checklist it documents");
  na->add_option("--item", no->c.item, "The checklist item (1-based: inputs, then outputs)");
  add_effective(na, no->w);
  na->footer("Example:\n  ftl note add contoso --kind technical-enablement --text \"ViewPoint validated Directory Sync\" --step \"Perform Enablement Tasks\" --item 2");
  na->callback([no] {
    exit_code() = run_write(no->w, false, [no](const EngagementState& s, const engine::CatalogView& c) {
      return engine::decide_note(s, c, no->c);
    });
  });

  // ftl contact add|update ...
  auto* contact = app.add_subcommand("contact", "Customer contacts: name, role, survey eligibility, language, country, services");
  contact->require_subcommand(1);
  for (bool update : {false, true}) {
    struct ContactOpts {
      WriteOptions w;
      engine::ContactCommand c;
      std::string name, role, language, country, services, survey;
    };
    auto co = std::make_shared<ContactOpts>();
    co->c.update = update;
    auto* cc = contact->add_subcommand(update ? "update" : "add", update ? "Change a contact" : "Add a contact");
    cc->add_option("engagement", co->w.engagement)->required();
    if (update) cc->add_option("contact", co->c.id, "Contact id or name")->required();
    auto* name_opt = cc->add_option("--name", co->name, "Name");
    if (!update) name_opt->required();
    cc->add_option("--role", co->role, "Role, e.g. Customer PM");
    cc->add_option("--survey-eligible", co->survey, "yes or no");
    cc->add_option("--language", co->language, "Survey language, e.g. pt");
    cc->add_option("--country", co->country, "Country, e.g. BR");
    cc->add_option("--services", co->services, "Services the contact worked on");
    add_effective(cc, co->w);
    cc->footer(update ? "Example:\n  ftl contact update contoso ana-silva --survey-eligible yes"
                      : "Example:\n  ftl contact add contoso --name \"Ana Silva\" --role \"Customer PM\" --survey-eligible yes --language pt --country BR --services Teams");
    cc->callback([co, cc] {
      if (cc->count("--name") > 0) co->c.name = co->name;
      if (cc->count("--role") > 0) co->c.role = co->role;
      if (cc->count("--language") > 0) co->c.language = co->language;
      if (cc->count("--country") > 0) co->c.country = co->country;
      if (cc->count("--services") > 0) co->c.services = engine::split_names(co->services);
      if (cc->count("--survey-eligible") > 0) {
        auto yn = yes_no(co->survey);
        if (!yn) {
          exit_code() = fail(Status::InvalidArgument("--survey-eligible '" + co->survey + "' is neither yes nor no"));
          return;
        }
        co->c.survey_eligible = *yn;
      }
      exit_code() = run_write(co->w, false, [co](const EngagementState& s, const engine::CatalogView&) {
        return engine::decide_contact(s, co->c);
      });
    });
  }

  // ftl usage ...
  struct UsageOpts {
    WriteOptions w;
    std::uint64_t users = 0;
    std::string source;
  };
  auto us = std::make_shared<UsageOpts>();
  auto* uc = app.add_subcommand("usage", "Record active users as read from the usage source");
  uc->add_option("engagement", us->w.engagement)->required();
  uc->add_option("--active-users", us->users, "Active users")->required();
  uc->add_option("--source", us->source, "Where the figure comes from, e.g. Lynx");
  add_effective(uc, us->w);
  uc->footer("Example:\n  ftl usage contoso --active-users 1800 --source Lynx");
  uc->callback([us] {
    exit_code() = run_write(us->w, false, [us](const EngagementState& s, const engine::CatalogView&) {
      return engine::decide_usage(s, us->users, us->source);
    });
  });

  // ftl correct ...
  struct CorrectOpts {
    engine::CorrectCommand c;
    std::string effective;
    std::string task, reason_field, l1, l2, target, service_status, text, active_users, source;
  };
  auto cr = std::make_shared<CorrectOpts>();
  auto* crc = app.add_subcommand("correct", "Correct an earlier event: it is void from now on, both stay in the history");
  crc->add_option("event_id", cr->c.event_id, "The event to correct (see ftl log)")->required();
  crc->add_option("--reason", cr->c.reason, "Why")->required();
  crc->add_option("--task", cr->task, "The task that was meant");
  crc->add_option("--na-reason", cr->reason_field, "The not-applicable reason that was meant");
  crc->add_option("--l1", cr->l1);
  crc->add_option("--l2", cr->l2);
  crc->add_option("--target", cr->target);
  crc->add_option("--service-status", cr->service_status);
  crc->add_option("--text", cr->text, "The note text that was meant");
  crc->add_option("--active-users", cr->active_users);
  crc->add_option("--source", cr->source);
  crc->add_option("--effective", cr->effective);
  crc->footer("Example:\n  ftl correct 0190a1b2-... --reason \"wrong task\" --task 1158");
  crc->callback([cr, crc] {
    auto& f = cr->c.fields;
    for (auto [opt, key, value] : {std::tuple{"--task", "task", &cr->task}, std::tuple{"--na-reason", "reason", &cr->reason_field},
                                   std::tuple{"--l1", "l1", &cr->l1}, std::tuple{"--l2", "l2", &cr->l2},
                                   std::tuple{"--target", "target", &cr->target},
                                   std::tuple{"--service-status", "service_status", &cr->service_status},
                                   std::tuple{"--text", "text", &cr->text}, std::tuple{"--active-users", "active_users", &cr->active_users},
                                   std::tuple{"--source", "source", &cr->source}})
      if (crc->count(opt) > 0) f.emplace_back(key, *value);
    auto ledger = open_for_writing();
    if (!ledger.ok()) {
      exit_code() = fail(ledger.status());
      return;
    }
    auto corrected = (*ledger)->get_by_id(cr->c.event_id);
    if (!corrected.ok()) {
      exit_code() = fail(Status::InvalidArgument("no event " + cr->c.event_id, "find event ids with `ftl log --format jsonl`"));
      return;
    }
    const std::string prefix = projections::kEngagementStreamPrefix;
    if (!corrected->stream.starts_with(prefix)) {
      exit_code() = fail(Status::InvalidArgument("event " + cr->c.event_id + " is on " + corrected->stream + ", not on an engagement"));
      return;
    }
    WriteOptions w{corrected->stream.substr(prefix.size()), cr->effective};
    auto event = *corrected;
    ledger.value().reset();  // release the writer lock; run_write opens the ledger again
    exit_code() = run_write(w, false, [cr, event](const EngagementState& s, const engine::CatalogView&) {
      return engine::decide_correct(s, event, cr->c);
    });
  });
}

}  // namespace ftl::cli
