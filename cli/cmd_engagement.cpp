// ftl engagement open|list|show|scope|seats|phase|motions, ftl diff, ftl replay. Each runs an
// operation of engine/ops_engagement.cpp and prints its document.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "projections/sentences.h"

namespace ftl::cli {
namespace {

using nlohmann::json;

std::string text(const json& d, const char* key) { return d.contains(key) && d[key].is_string() ? d[key].get<std::string>() : ""; }

}  // namespace

void print_engagement(const json& doc, Format format) {
  if (format == Format::kCsv || format == Format::kMd) {
    RowWriter w(std::cout, format,
                {{"service", "Service"}, {"l1", "Consumption Status (L1)"}, {"l2", "Reason (L2)"},
                 {"service_status", "Service Status"}, {"target", "Target"}, {"enabled", "Enabled"}},
                false);
    for (const auto& e : doc["entitlements"]) w.row(e);
    return;
  }
  const bool color = globals().color();
  auto bold = [&](const std::string& x) { return color ? "\x1b[1m" + x + "\x1b[0m" : x; };
  const auto as_of = text(doc, "as_of");
  std::cout << bold(text(doc, "customer")) << " (" << text(doc, "id") << ")" << (as_of.empty() ? "" : "  as of " + as_of) << "\n";
  std::cout << "Phase: " << text(doc, "phase") << "   Seats: " << doc["seats"] << (doc["enterprise_benefit"].get<bool>() ? " (enterprise benefit)" : "")
            << "   Motions: " << projections::join_list(doc["motions"].get<std::vector<std::string>>(), " / ") << "\n";
  std::cout << "Last change: " << text(doc, "last_change") << " (version " << doc["version"] << ")\n\n";
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
  const auto source = text(u, "source");
  std::cout << "\nUsage: " << u["active_users"] << " active users" << (source.empty() ? "" : " (" + source + ")")
            << "; milestone " << u["threshold"] << (u["milestone_reached"].get<bool>() ? ": reached" : ": not reached") << "\n";
  std::cout << "Contacts: " << doc["contacts"].size()
            << (doc["survey_eligible_contact"].get<bool>() ? " (survey eligible: yes)" : " (none survey eligible)") << "\n";
  for (const auto& c : doc["contacts"])
    std::cout << "  " << c["name"].get<std::string>() << ", " << c["role"].get<std::string>()
              << (c["survey_eligible"].get<bool>() ? ", survey eligible" : "") << "\n";
  const auto corrections = doc["corrections"].get<std::size_t>();
  std::cout << "Notes: " << doc["notes"].size() << (corrections == 0 ? "" : "   Corrections: " + std::to_string(corrections)) << "\n";
}

namespace {

// A change to what was opened: the value it sets.
struct Change : Recording {
  std::string value;
  std::uint32_t seats = 0;
};

int change(const std::string& op, const Change& c, json args) { return record_command(op, c, std::move(args)); }

}  // namespace

void setup_engagement(CLI::App& app) {
  auto* eng = app.add_subcommand("engagement", "Customer engagements: open, browse, change what was opened");
  eng->require_subcommand(1);
  eng->footer("Example:\n  ftl engagement open contoso --customer \"Contoso Ltd\" --seats 25000 --services \"Exchange, Teams\"\n  ftl engagement show contoso");

  struct Open {
    Change c;
    std::string customer, services, motions, phase;
    bool exception = false;
  };
  auto open = std::make_shared<Open>();
  auto* o = eng->add_subcommand("open", "Open an engagement: customer, seats, services in scope, motions, phase");
  o->add_option("id", open->c.engagement, "Engagement id (e.g. contoso)")->required();
  o->add_option("--customer", open->customer, "Customer name")->required();
  o->add_option("--seats", open->c.seats, "Seats")->required();
  o->add_option("--services", open->services, "Services in scope, comma-separated")->required();
  o->add_option("--motions", open->motions, "Customer Health, RFA, Targeting");
  o->add_option("--phase", open->phase, "Phase (default Enable)");
  o->add_flag("--exception", open->exception, "Qualifies for Enterprise Additional Benefit below 20,000 seats");
  add_effective(o, open->c);
  o->footer("Example:\n  ftl engagement open contoso --customer \"Contoso Ltd\" --seats 25000 --services \"Exchange, Teams, SharePoint\" --motions RFA");
  o->callback([open] {
    json args = {{"customer", open->customer}, {"seats", open->c.seats}, {"services", open->services}, {"motions", open->motions}};
    if (!open->phase.empty()) args["phase"] = open->phase;
    if (open->exception) args["exception"] = true;
    exit_code() = change("engagement.open", open->c, args);
  });

  auto list_as_of = std::make_shared<std::string>();
  auto* ls = eng->add_subcommand("list", "List engagements: id, customer, phase, mandatory tasks done, last change");
  ls->add_option("--as-of", *list_as_of, "As of a sequence number or a time");
  ls->footer("Example:\n  ftl engagement list\n  ftl engagement list --as-of 2026-11-01 --format csv");
  ls->callback([list_as_of] {
    exit_code() = list_command("engagement.list", {{"as_of", *list_as_of}},
                               {{"id", "ID"}, {"customer", "Customer"}, {"phase", "Phase"}, {"seats", "Seats", true},
                                {"progress", "Mandatory done"}, {"last_change", "Last change"}});
  });

  struct Show {
    std::string engagement, as_of;
  };
  auto show = std::make_shared<Show>();
  auto* sh = eng->add_subcommand("show", "Current state: scope, phase, L1/L2 per service, tasks, milestone, contacts");
  sh->add_option("id", show->engagement, "Engagement id")->required();
  sh->add_option("--as-of", show->as_of, "As of a sequence number or a time");
  sh->footer("Example:\n  ftl engagement show contoso\n  ftl engagement show contoso --as-of 2026-11-10T12:00:00Z --format json");
  sh->callback([show] {
    exit_code() = document_command("engagement.show", {{"engagement", show->engagement}, {"as_of", show->as_of}}, print_engagement);
  });

  auto scope = std::make_shared<Change>();
  auto* sc = eng->add_subcommand("scope", "Change the services in scope");
  sc->add_option("id", scope->engagement)->required();
  sc->add_option("--services", scope->value, "Services in scope, comma-separated")->required();
  add_effective(sc, *scope);
  sc->footer("Example:\n  ftl engagement scope contoso --services \"Exchange, Teams\"");
  sc->callback([scope] { exit_code() = change("engagement.scope", *scope, {{"services", scope->value}}); });

  auto seats = std::make_shared<Change>();
  auto* se = eng->add_subcommand("seats", "Change the number of seats");
  se->add_option("id", seats->engagement)->required();
  se->add_option("seats", seats->seats)->required();
  add_effective(se, *seats);
  se->footer("Example:\n  ftl engagement seats contoso 26000");
  se->callback([seats] { exit_code() = change("engagement.seats", *seats, {{"seats", seats->seats}}); });

  auto phase = std::make_shared<Change>();
  auto* ph = eng->add_subcommand("phase", "Move to another phase (Migrate/Adoption once every scoped service is enabled)");
  ph->add_option("id", phase->engagement)->required();
  ph->add_option("phase", phase->value)->required();
  add_effective(ph, *phase);
  ph->footer("Example:\n  ftl engagement phase contoso Migrate");
  ph->callback([phase] { exit_code() = change("engagement.phase", *phase, {{"phase", phase->value}}); });

  auto motions = std::make_shared<Change>();
  auto* mo = eng->add_subcommand("motions", "Change the motions (Customer Health, RFA, Targeting)");
  mo->add_option("id", motions->engagement)->required();
  mo->add_option("--motions", motions->value)->required();
  add_effective(mo, *motions);
  mo->footer("Example:\n  ftl engagement motions contoso --motions \"RFA, Targeting\"");
  mo->callback([motions] { exit_code() = change("engagement.motions", *motions, {{"motions", motions->value}}); });

  // ftl diff / ftl replay
  struct Diff {
    std::string engagement, from, to;
  };
  auto dfo = std::make_shared<Diff>();
  auto* df = app.add_subcommand("diff", "What changed in an engagement's state between two sequence numbers or times");
  df->add_option("engagement", dfo->engagement)->required();
  df->add_option("from", dfo->from, "A sequence number or a date/time")->required();
  df->add_option("to", dfo->to, "A sequence number or a date/time")->required();
  df->footer("Example:\n  ftl diff contoso 2026-11-01 2026-11-20\n  ftl diff contoso 110 140");
  df->callback([dfo] {
    exit_code() = list_command("engagement.diff", {{"engagement", dfo->engagement}, {"from", dfo->from}, {"to", dfo->to}},
                               {{"field", "Field"}, {"from", "From"}, {"to", "To"}});
  });

  struct Replay {
    std::string engagement;
    std::uint64_t from = 1, to = 0;
  };
  auto rpo = std::make_shared<Replay>();
  auto* rp = app.add_subcommand("replay", "Each event of an engagement in order, with the state change it caused");
  rp->add_option("engagement", rpo->engagement)->required();
  rp->add_option("--from", rpo->from, "First sequence to show");
  rp->add_option("--to", rpo->to, "Last sequence to show");
  rp->footer("Example:\n  ftl replay contoso --from 1000 --to 1200");
  rp->callback([rpo] {
    exit_code() = list_command("engagement.replay", {{"engagement", rpo->engagement}, {"from", rpo->from}, {"to", rpo->to}},
                               {{"sequence", "Seq", true}, {"recorded_at", "Recorded"}, {"actor", "Actor"}, {"type", "Type"},
                                {"field", "Field"}, {"from", "From"}, {"to", "To"}});
  });
}

}  // namespace ftl::cli
