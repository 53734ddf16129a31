// The auditors' views: a scripted engagement's history against golden rows, and audit rows.
#include <catch2/catch.hpp>

#include "engine/engagement_service.h"
#include "projections/audit.h"
#include "schema/playbook_page.h"
#include "tests/testutil.h"

using namespace ftl;
using namespace ftl::engine;
using projections::EngagementState;
using Kind = TaskCommand::Kind;

namespace {

struct Script {
  test::TempDir dir;
  std::unique_ptr<Ledger> ledger = test::open_ledger(dir.sub("db"));
  Script() { test::import_example(*ledger); }
  // Records as `who` on business day `day` (in 2025, so always before the recorded day).
  Outcome at(const std::string& who, const std::string& day, const Decide& d, bool create = false) {
    auto r = execute(*ledger, "contoso", who, schema::date_to_us(day), create, d);
    INFO(r.status().message());
    REQUIRE(r.ok());
    return *r;
  }
  Decide task(Kind k, std::uint32_t t, std::string reason = {}) {
    TaskCommand c{k, t, std::move(reason), {}};
    return [c](const EngagementState& s, const CatalogView& cat) { return decide_task(s, cat, c); };
  }
  Decide status(std::string svc, std::string l1, std::string l2, std::string target = {}) {
    StatusCommand c{std::move(svc), std::move(l1), std::move(l2), std::move(target)};
    return [c](const EngagementState& s, const CatalogView&) { return decide_status(s, c); };
  }
  std::vector<projections::HistoryRow> history() {
    projections::EngagementHistory h;
    for (auto c = ledger->scan_stream("engagement/contoso"); c->valid(); c->next()) REQUIRE(h.apply(c->event()).ok());
    return h.rows();
  }
};

void scripted(Script& s) {
  OpenCommand open{"contoso", "Contoso Ltd", 25000, {"Exchange", "Teams"}, {"RFA"}, "Enable", false};
  s.at("ryan", "2025-11-03", [open](const EngagementState& st, const CatalogView& cat) { return decide_open(st, cat, open); }, true);
  s.at("ryan", "2025-11-03", s.task(Kind::kDone, 1126));
  s.at("ryan", "2025-11-03", s.status("", "In Progress", "Solution or User Adoption", "2025-12-15"));
  s.at("rosie", "2025-11-04", s.task(Kind::kDone, 1158));
  s.at("rosie", "2025-11-04", s.task(Kind::kDone, 1672));
  s.at("rosie", "2025-11-04", s.task(Kind::kNotApplicable, 3160, "No hybrid"));
  NoteCommand note{"technical-enablement", "ViewPoint validated Directory Sync", "Perform Enablement Tasks", 2};
  s.at("rosie", "2025-11-04", [note](const EngagementState& st, const CatalogView& c) { return decide_note(st, c, note); });
  s.at("sam", "2025-11-05", s.status("Teams", "Blocked", "Adoption Readiness"));
  s.at("ryan", "2025-11-05", [](const EngagementState& st, const CatalogView&) { return decide_usage(st, 1800, "Lynx"); });
}

}  // namespace

TEST_CASE("a scripted engagement's history: one row per day and person, newest first, in plain sentences", "[views][history]") {
  Script s;
  scripted(s);
  auto rows = s.history();
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].date == "2025-11-05");
  CHECK(rows[0].who == "ryan");
  CHECK(rows[0].what == "Recorded 1800 active users (Lynx)");
  CHECK(rows[1].who == "sam");
  CHECK(rows[1].what == "Set Consumption Status (L1) to Blocked, Reason (L2) to Adoption Readiness for Teams");
  CHECK(rows[2].date == "2025-11-04");
  CHECK(rows[2].who == "rosie");
  CHECK(rows[2].what == "Added Technical Enablement note; completed tasks 1158 and 1672; marked task 3160 not applicable");
  CHECK(rows[3].who == "ryan");
  CHECK(rows[3].what ==
        "Opened the engagement for Contoso Ltd (25000 seats; Exchange, Teams); completed task 1126; "
        "set Consumption Status (L1) to In Progress, Reason (L2) to Solution or User Adoption for Exchange and Teams; "
        "set the target date of Exchange and Teams to 12/15/2025");
  for (const auto& r : rows) CHECK(r.backdated);  // stated for 2025, recorded now
}

TEST_CASE("a correction says in the history what it corrected", "[views][history]") {
  Script s;
  scripted(s);
  auto wrong = s.ledger->get_by_id([&] {
    for (auto c = s.ledger->scan_stream("engagement/contoso"); c->valid(); c->next())
      if (c->event().type == "TaskCompleted") return c->event().event_id;
    return std::string();
  }());
  REQUIRE(wrong.ok());
  const Event e = *wrong;
  CorrectCommand fix{e.event_id, "wrong task", {{"task", "1235"}}};
  s.at("ryan", "2025-11-06", [fix, e](const EngagementState& st, const CatalogView&) { return decide_correct(st, e, fix); });
  auto rows = s.history();
  CHECK(rows[0].what == "Corrected the completion of task 1126 on 11/3/2025 (wrong task; now task 1235)");
}

TEST_CASE("audit rows say from what to what, one per fact", "[views][audit]") {
  Script s;
  scripted(s);
  std::vector<projections::AuditRow> rows;
  for (auto c = s.ledger->scan_stream("engagement/contoso"); c->valid(); c->next())
    for (auto& r : projections::audit_rows(c->event())) rows.push_back(r);
  auto find = [&](const std::string& field, const std::string& to) {
    return std::count_if(rows.begin(), rows.end(), [&](const auto& r) { return r.field == field && r.to == to; });
  };
  CHECK(find("task 1126", "done") == 1);
  CHECK(find("task 3160", "not applicable") == 1);
  CHECK(find("Teams L1", "Blocked") == 1);
  auto teams = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.field == "Teams L1" && r.to == "Blocked"; });
  CHECK(teams->from == "In Progress");
  CHECK(teams->actor == "sam");
  CHECK(find("Exchange target date", "2025-12-15") == 1);
  CHECK(find("active users", "1800") == 1);
  CHECK(find("customer", "Contoso Ltd") == 1);
  CHECK(projections::type_matches("status", "ConsumptionStatusSet"));
  CHECK(projections::type_matches("task", "TaskMarkedNotApplicable"));
  CHECK_FALSE(projections::type_matches("status", "TaskCompleted"));
  CHECK(projections::type_matches("catalog", "TaskAdded"));
  CHECK(projections::type_matches("TaskAdded", "TaskAdded"));
}

TEST_CASE("diff between two moments names each fact that changed, from and to", "[views][diff]") {
  Script s;
  scripted(s);
  // The state after the first day's events (open, 1126, L1/L2 with target) against the end.
  std::uint64_t after_day1 = 0;
  int n = 0;
  for (auto c = s.ledger->scan_stream("engagement/contoso"); c->valid() && n < 5; c->next(), ++n)
    after_day1 = c->event().sequence;  // open, 1126, two ConsumptionStatusSet (Exchange, Teams) ... and 1158
  auto a = load_engagement(*s.ledger, "contoso", after_day1 - 1);
  auto b = load_engagement(*s.ledger, "contoso");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto changes = projections::diff(*a, *b);
  auto has = [&](const std::string& field, const std::string& from, const std::string& to) {
    return std::find(changes.begin(), changes.end(), projections::StateChange{field, from, to}) != changes.end();
  };
  CHECK(has("task 1158", "open", "done"));
  CHECK(has("task 1672", "open", "done"));
  CHECK(has("task 3160", "open", "not applicable"));
  CHECK(has("Teams L1", "In Progress", "Blocked"));
  CHECK(has("Teams L2", "Solution or User Adoption", "Adoption Readiness"));
  CHECK(has("active users", "", "1800"));
  CHECK(has("notes", "0", "1"));
  CHECK_FALSE(has("task 1126", "open", "done"));  // done before both moments
  CHECK(projections::diff(*b, *b).empty());
}
