// The catalog as events: first import, unchanged re-import, a newer revision appending only
// the difference, the history beside the page's own Refresh Summary, and time travel.
#include <catch2/catch.hpp>

#include <thread>

#include "engine/catalog_service.h"
#include "projections/history.h"
#include "schema/codec.h"
#include "tests/testutil.h"

using namespace ftl;
using ftl::test::TempDir;

namespace {

void replace_once(std::string& s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
}

engine::PlannedImport plan(const std::string& file, const std::string& id = {}) {
  auto p = engine::plan_import(file, id);
  INFO(p.status().message());
  REQUIRE(p.ok());
  return std::move(*p);
}

// A newer revision of the shipped page: one task renamed, one made optional, one unlisted,
// one added, one with new services, one moved, and a new Refresh Summary row.
std::string revision() {
  auto s = test::read_file(test::example_playbook());
  replace_once(s, "Teams - {Wizard} Internal Readiness Assessment", "Teams - Internal Readiness Assessment");
  replace_once(s, "| 3690    | Identify Survey Contact |            M", "| 3690    | Identify Survey Contact |            O");
  replace_once(s, "| 3743    | OneDrive - Track OneDrive Adoption Program Progress       |            O             | FastTrack Manager | OneDrive for Business |\n", "");
  replace_once(s, "| 1701    |", "| 9999    | Confirm the usage milestone in Lynx | M | FastTrack Manager | All Services |\n| 1701    |");
  replace_once(s, "| 1134    | Create Cloud IDs                                                                                         |            O             |     FastTrack Engineer     | Core Onboarding ",
               "| 1134    | Create Cloud IDs                                                                                         |            O             |     FastTrack Engineer     | Core Onboarding / Exchange ");
  replace_once(s, "| 3650    | Office ProPlus - OPP Acceleration |            O             | FastTrack Manager | Office ProPlus |\n", "");
  replace_once(s, "| 3731    | Post-enablement Field Handshake                           |            O             | FastTrack Manager  | Teams |",
               "| 3731    | Post-enablement Field Handshake                           |            O             | FastTrack Manager  | Teams |\n| 3650    | Office ProPlus - OPP Acceleration | O | FastTrack Manager | Office ProPlus |");
  replace_once(s, "| 3/25/2020  | Ryan Meehan   | Added step inputs and outputs to all steps |",
               "| 11/20/2026 | Test Writer | Added task 9999, removed task 3743 |\n| 3/25/2020  | Ryan Meehan   | Added step inputs and outputs to all steps |");
  return s;
}

std::vector<std::string> types_from(Ledger& l, std::uint64_t from) {
  std::vector<std::string> t;
  for (auto c = l.scan(from); c->valid(); c->next()) t.push_back(c->event().type);
  return t;
}

}  // namespace

TEST_CASE("a first import records the page, its steps, tasks and Refresh Summary rows", "[catalog]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  auto out = engine::import_playbook(*l, plan(test::example_playbook()), "ana", {});
  REQUIRE(out.ok());
  CHECK_FALSE(out->unchanged);
  CHECK(out->events == 1 + 8 + 86 + 14);
  auto st = engine::load_playbook(*l, "enable-services");
  REQUIRE(st.ok());
  CHECK(st->listed_tasks() == 86);
  CHECK(st->steps.size() == 8);
  CHECK(st->tasks.at(1672).role == "Migration Velocity Manager");
  CHECK(st->deprecated.count(1910) == 1);  // named in the Refresh Summary, listed nowhere
  CHECK(st->deprecated.count(4022) == 1);
  CHECK(st->deprecated.at(1910) == "2020-01-31");
  // Refresh Summary rows carry their own dates as the effective date, oldest first.
  auto first_row = l->get(1 + 8 + 86 + 1);
  REQUIRE(first_row.ok());
  CHECK(first_row->type == "RefreshSummaryRowRecorded");
  CHECK(projections::iso_date(first_row->effective_us) == "2018-10-26");
  CHECK(l->verify({}).ok());
}

TEST_CASE("re-importing unchanged bytes appends nothing", "[catalog][reimport]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  REQUIRE(engine::import_playbook(*l, plan(test::example_playbook()), "ana", {}).ok());
  const auto head = l->head();
  auto again = engine::import_playbook(*l, plan(test::example_playbook()), "bo", {});
  REQUIRE(again.ok());
  CHECK(again->unchanged);
  CHECK(again->events == 0);
  CHECK(l->head().sequence == head.sequence);
}

TEST_CASE("a newer revision appends only the difference", "[catalog][revision]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  REQUIRE(engine::import_playbook(*l, plan(test::example_playbook()), "ana", {}).ok());
  const auto before = l->head().sequence;
  test::write_file(dir.sub("enable-services-v2.md"), revision());
  auto out = engine::import_playbook(*l, plan(dir.sub("enable-services-v2.md"), "enable-services"), "bo", {});
  REQUIRE(out.ok());
  auto types = types_from(*l, before + 1);
  std::sort(types.begin() + 1, types.end());
  CHECK(types == std::vector<std::string>{"PlaybookImported", "RefreshSummaryRowRecorded", "TaskAdded",
                                          "TaskMandatoryChanged", "TaskMoved", "TaskRenamed", "TaskServicesChanged",
                                          "TaskUnlisted"});
  CHECK(projections::summarize(out->changes) ==
        "Added task 9999; renamed task 3685 to \"Teams - Internal Readiness Assessment\"; changed task 3690 to Optional; "
        "changed the services of task 1134 to Core Onboarding / Exchange; "
        "moved task 3650 to step \"Enterprise Additional Benefit Enablement\"; removed task 3743");

  auto st = engine::load_playbook(*l, "enable-services");
  REQUIRE(st.ok());
  CHECK(st->listed_tasks() == 86);  // one added, one unlisted
  CHECK_FALSE(st->tasks.at(3743).listed);
  CHECK(st->tasks.at(9999).step == "All Scoped Services Enabled");
  CHECK_FALSE(st->tasks.at(3690).mandatory);

  // The same revision again: nothing more.
  auto again = engine::import_playbook(*l, plan(dir.sub("enable-services-v2.md"), "enable-services"), "bo", {});
  REQUIRE(again.ok());
  CHECK(again->unchanged);

  SECTION("the history shows the detected changes beside the page's own rows") {
    auto rows = projections::playbook_history(*st);
    REQUIRE(rows.size() == 17);  // 15 page rows, 2 imports by different people today
    CHECK(rows[0].source == "ledger");
    CHECK(rows[0].who == "bo");
    CHECK_THAT(rows[0].what, Catch::StartsWith("Added task 9999; renamed task 3685"));
    CHECK(rows[1].who == "ana");
    CHECK_THAT(rows[1].what, Catch::StartsWith("Imported the page from enable-services.md (8 steps, 86 tasks)"));
    CHECK(rows[2].date == "2026-11-20");
    CHECK(rows[2].source == "page");
    CHECK(rows[2].what == "Added task 9999, removed task 3743");
    CHECK(rows.back().what == "Playbook Created");
  }
  SECTION("the catalog as of an earlier sequence is the first revision") {
    auto old = engine::load_playbook(*l, "enable-services", before);
    REQUIRE(old.ok());
    CHECK(old->tasks.count(9999) == 0);
    CHECK(old->tasks.at(3690).mandatory);
    CHECK(old->tasks.at(3685).name == "Teams - {Wizard} Internal Readiness Assessment");
  }
}

TEST_CASE("an import stated for an earlier business date is back-dated in the history", "[catalog][history]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  REQUIRE(engine::import_playbook(*l, plan(test::example_playbook()), "ana", {.effective_us = 1577836800000000}).ok());  // 2020-01-01
  auto st = engine::load_playbook(*l, "enable-services");
  REQUIRE(st.ok());
  auto rows = projections::playbook_history(*st);
  auto it = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.source == "ledger"; });
  REQUIRE(it != rows.end());
  CHECK(it->date == "2020-01-01");
  CHECK(it->backdated);
}

TEST_CASE("two imports of the same page at once record it once", "[catalog][concurrency]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  auto p = plan(test::example_playbook());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      if (engine::import_playbook(*l, p, "ana", {}).ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  CHECK(ok == 4);
  CHECK(l->head().sequence == 109);
  CHECK(l->stream_version("playbook/enable-services").value() == 109);
}

TEST_CASE("a playbook that does not exist is named, with the known ones as a hint", "[catalog]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  REQUIRE(engine::import_playbook(*l, plan(test::example_playbook()), "ana", {}).ok());
  auto st = engine::load_playbook(*l, "enable-servics");
  CHECK(st.status().code() == Code::kNotFound);
  CHECK(st.status().message() == "no playbook enable-servics");
  CHECK_THAT(st.status().hint(), Catch::Contains("enable-services"));
}

TEST_CASE("playbook ids come from file names, or must be given", "[catalog]") {
  CHECK(*engine::playbook_id_for("dir/Enable Services.md", "") == "enable-services");
  CHECK(*engine::playbook_id_for("x.md", "my-id") == "my-id");
  CHECK(engine::playbook_id_for("x.md", "Bad Id").status().code() == Code::kInvalidArgument);
}

TEST_CASE("a re-import that would remove more than half of the tasks or steps is refused, naming them", "[catalog][removals]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  REQUIRE(engine::import_playbook(*l, plan(test::example_playbook()), "ana", {}).ok());
  const auto before = l->head().sequence;
  // The page cut off in the middle of a line, as a failed copy leaves it.
  const auto whole = test::read_file(test::example_playbook());
  const auto cut_at = whole.find("| 1672    |");
  REQUIRE(cut_at != std::string::npos);
  test::write_file(dir.sub("cut.md"), whole.substr(0, cut_at + 112));  // just past its "M"
  auto cut = plan(dir.sub("cut.md"), "enable-services");

  auto preview = engine::preview_import(*l, cut, {});
  REQUIRE_FALSE(preview.ok());
  CHECK(preview.status().code() == Code::kInvalidArgument);
  CHECK(preview.status().tag() == "import.removals");
  CHECK_THAT(preview.status().message(), Catch::Contains("would remove") && Catch::Contains("of its 86 tasks (") &&
                                             Catch::Contains("more than half; nothing was imported"));
  auto refused = engine::import_playbook(*l, cut, "bo", {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().tag() == "import.removals");
  CHECK(l->head().sequence == before);  // nothing appended

  // Accepted on purpose: appended, and the counts say what it removed.
  auto accepted = engine::import_playbook(*l, cut, "bo", {.accept_removals = true});
  REQUIRE(accepted.ok());
  CHECK(accepted->counts.tasks_before == 86);
  CHECK(accepted->counts.tasks_removed > 43);
  CHECK(accepted->counts.tasks_removed == accepted->counts.removed_tasks.size());
  CHECK(std::is_sorted(accepted->counts.removed_tasks.begin(), accepted->counts.removed_tasks.end()));
  auto st = engine::load_playbook(*l, "enable-services");
  REQUIRE(st.ok());
  CHECK(st->listed_tasks() == 86 - accepted->counts.tasks_removed);
}

TEST_CASE("an import counts what it added, changed and removed", "[catalog][counts]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  auto first = engine::import_playbook(*l, plan(test::example_playbook()), "ana", {});
  REQUIRE(first.ok());
  CHECK(first->counts.tasks_added == 86);
  CHECK(first->counts.tasks_before == 0);
  CHECK(first->counts.steps_added > 0);
  CHECK(first->counts.tasks_removed == 0);
  test::write_file(dir.sub("enable-services-v2.md"), revision());
  auto second = engine::import_playbook(*l, plan(dir.sub("enable-services-v2.md"), "enable-services"), "bo", {});
  REQUIRE(second.ok());
  CHECK(second->counts.tasks_added == 1);                  // 9999
  CHECK(second->counts.tasks_changed == 4);                // 3685, 3690, 1134, 3650
  CHECK(second->counts.removed_tasks == std::vector<std::uint32_t>{3743});
  CHECK(second->counts.tasks_before == 86);
  CHECK(second->counts.refresh_rows == 1);
}

TEST_CASE("with strict, a page that needed a repair is refused, naming the first", "[catalog][strict]") {
  const auto page = test::data_path("playbooks/untidy/placeholders.md");
  auto lenient = engine::plan_import(page, "", false);
  REQUIRE(lenient.ok());
  CHECK(lenient->warnings.size() == 6);
  auto strict = engine::plan_import(page, "", true);
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.status().tag() == "import.strict");
  CHECK_THAT(strict.status().message(), Catch::EndsWith("/placeholders.md:11: the task id 'None' is a placeholder; the row was skipped (and 5 more warnings)"));
}
