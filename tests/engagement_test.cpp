// The engagement rules of DOMAIN.md through the engine, on a real ledger with the shipped
// playbook imported: each rule accepted and refused (a refused command appends nothing),
// corrections, time travel, concurrent writers, and random command sequences against a model.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <thread>

#include "engine/engagement_service.h"
#include "engine/verify.h"
#include "projections/fold.h"
#include "schema/codec.h"
#include "tests/engagement_fixture.h"

using namespace ftl;
using namespace ftl::engine;
using namespace ftl::test;
using projections::TaskStatus;

namespace {

// Every mandatory task that applies, except 1701.
std::vector<std::uint32_t> mandatory_tasks(Fixture& f, const std::string& id) {
  auto cat = load_catalog(*f.ledger);
  REQUIRE(cat.ok());
  auto s = f.state(id);
  std::vector<std::uint32_t> out;
  for (const auto& [t, pb] : applicable_tasks(*cat, s))
    if (t->mandatory && t->id != kEnablementCompleteTask) out.push_back(t->id);
  return out;
}

}  // namespace

TEST_CASE("opening an engagement, and what it refuses", "[engagement]") {
  Fixture f;
  auto r = f.open("contoso", 25000, "Exchange, Teams, SharePoint");
  REQUIRE(r.ok());
  CHECK(r->events == 1);
  auto s = f.state("contoso");
  CHECK(s.customer == "Customer contoso");
  CHECK(s.services == schema::Strings{"Exchange", "Teams", "SharePoint"});
  CHECK(s.phase == "Enable");
  const auto head = f.ledger->head().sequence;
  CHECK_THAT(f.refused(f.open("contoso", 100, "Exchange"), Code::kConflict), Catch::Contains("already open"));
  CHECK(f.ledger->head().sequence == head);
  REFUSED(f, f.open("zero", 0, "Exchange"), "seats must be a positive number, not 0");
  REFUSED(f, f.open("none", 10, ""), "the services are empty");
}

TEST_CASE("task rules: exists, applies to the scope, mandatory is never not applicable", "[engagement][tasks]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange, Teams, SharePoint").ok());
  CHECK(f.task("contoso", Kind::kDone, 1126).ok());
  CHECK(f.task("contoso", Kind::kNotApplicable, 3222, "No SharePoint hybrid").ok());
  REFUSED(f, f.task("contoso", Kind::kNotApplicable, 1235, "..."), "task 1235 (SharePoint - {Wizard} Configure SharePoint Online) is mandatory");
  REFUSED(f, f.task("contoso", Kind::kNotApplicable, 3160), "needs a reason");
  REFUSED(f, f.task("contoso", Kind::kDone, 9999), "no task 9999 in the catalog | did you mean task");
  REFUSED(f, f.task("contoso", Kind::kDone, 1910), "task 1910 was deprecated on 2020-01-31");
  REFUSED(f, f.task("contoso", Kind::kDone, 2218), "task 2218 is for Intune, none of which is in contoso's scope");
  REFUSED(f, f.task("contoso", Kind::kReopen, 1158), "already open");

  // Repeating a completion is not a second completion.
  const auto head = f.ledger->head().sequence;
  auto again = f.task("contoso", Kind::kDone, 1126);
  REQUIRE(again.ok());
  CHECK(again->events == 0);
  CHECK_THAT(again->message, Catch::Contains("already done"));
  CHECK(f.ledger->head().sequence == head);

  CHECK(f.task("contoso", Kind::kReopen, 1126, "meeting postponed").ok());
  CHECK(f.state("contoso").task_status(1126) == TaskStatus::kOpen);
  CHECK(f.task("contoso", Kind::kReopen, 3222).ok());  // not applicable -> open
  CHECK(f.state("contoso").task_status(3222) == TaskStatus::kOpen);
}

TEST_CASE("the Enterprise Additional Benefit step applies from 20,000 seats or with an exception", "[engagement][tasks]") {
  Fixture f;
  REQUIRE(f.open("small", 5000, "Exchange").ok());
  REQUIRE(f.open("big", 20000, "Exchange").ok());
  REQUIRE(f.open("excepted", 5000, "Exchange", true).ok());
  REFUSED(f, f.task("small", Kind::kDone, 3212), "applies only from 20000 seats or with an exception (small has 5000)");
  CHECK(f.task("big", Kind::kDone, 3212).ok());
  CHECK(f.task("excepted", Kind::kDone, 3212).ok());
}

TEST_CASE("Enablement Complete (1701) needs every mandatory task done and a survey-eligible contact", "[engagement][1701]") {
  Fixture f;
  REQUIRE(f.open("fabrikam", 500, "Exchange").ok());
  REFUSED(f, f.task("fabrikam", Kind::kDone, 1701), "still open: ");
  for (auto t : mandatory_tasks(f, "fabrikam")) REQUIRE(f.task("fabrikam", Kind::kDone, t).ok());
  REFUSED(f, f.task("fabrikam", Kind::kDone, 1701), "at least one contact marked Survey Eligible");
  REQUIRE(f.contact("fabrikam", "Bo Chen", false).ok());
  REFUSED(f, f.task("fabrikam", Kind::kDone, 1701), "Survey Eligible");
  ContactCommand up;
  up.update = true;
  up.id = "Bo Chen";
  up.survey_eligible = true;
  REQUIRE(f.run("fabrikam", [up](const EngagementState& s, const CatalogView&) { return decide_contact(s, up); }).ok());
  CHECK(f.task("fabrikam", Kind::kDone, 1701).ok());
}

TEST_CASE("L1/L2 rules: an L2 belongs to its L1, In Progress needs a target date", "[engagement][status]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange, Teams").ok());
  REFUSED(f, f.status("contoso", "", "In Progress", "Solution or User Adoption"), "In Progress needs a target date for Exchange");
  REFUSED(f, f.status("contoso", "", "In Progress", "Legal/Regulatory", "2026-12-15"), "not a Reason (L2) of In Progress (it is one of Blocked)");
  REFUSED(f, f.status("contoso", "", "In Progres", ""), "did you mean In Progress?");
  REFUSED(f, f.status("contoso", "", "Duplicate/Invalid", "Migration"), "takes no Reason (L2)");
  REFUSED(f, f.status("contoso", "Yammer", "Blocked", "Adoption Readiness"), "not in contoso's scope");
  REFUSED(f, f.status("contoso", "", "Blocked", "Adoption Readiness", "2026-13-45"), "is not a date");

  auto all = f.status("contoso", "", "In Progress", "Solution or User Adoption", "12/15/2026");
  REQUIRE(all.ok());
  CHECK(all->events == 2);  // one per service entitlement
  auto s = f.state("contoso");
  CHECK(s.entitlements.at("Teams").l2 == "Solution or User Adoption");
  CHECK(s.entitlements.at("Teams").target == "2026-12-15");
  // The target is kept: In Progress again needs no new one, and an unchanged status records nothing.
  CHECK(f.status("contoso", "Teams", "Blocked", "Adoption Readiness").ok());
  {
    // And the event says so: its target after the change is the kept one, as every view reads it.
    auto e = f.ledger->get(f.ledger->head().sequence);
    REQUIRE(e.ok());
    auto decoded = schema::decode_engagement(e->type, e->schema_version, e->payload);
    REQUIRE(decoded.ok());
    const auto* set = std::get_if<schema::ConsumptionStatusSet>(&*decoded);
    REQUIRE(set != nullptr);
    CHECK(set->target_from == "2026-12-15");
    CHECK(set->target_to == "2026-12-15");
  }
  CHECK(f.status("contoso", "Teams", "in progress", "Migration").ok());
  auto same = f.status("contoso", "Teams", "In Progress", "Migration");
  REQUIRE(same.ok());
  CHECK(same->events == 0);
  CHECK(f.state("contoso").entitlements.at("Teams").l2 == "Migration");
}

TEST_CASE("service status, target dates, notes, contacts and usage", "[engagement]") {
  Fixture f;
  REQUIRE(f.open("contoso", 500, "Exchange, Teams").ok());
  auto svc = [&](std::string s, std::string v) {
    return f.run("contoso", [s, v](const EngagementState& st, const CatalogView&) { return decide_service_status(st, s, v); });
  };
  CHECK(svc("exchange", "migrate").ok());
  CHECK(f.state("contoso").entitlements.at("Exchange").service_status == "Migrate");
  REFUSED(f, svc("Exchange", "Done"), "is not a Service Status");
  auto note = [&](NoteCommand c) {
    return f.run("contoso", [c](const EngagementState& s, const CatalogView& cat) { return decide_note(s, cat, c); });
  };
  CHECK(note({"technical-enablement", "ViewPoint validated Directory Sync", "Perform Enablement Tasks", 2}).ok());
  REFUSED(f, note({"misc", "x", "", 0}), "note kind 'misc'");
  REFUSED(f, note({"environment", "x", "No Such Step", 0}), "no step 'No Such Step'");
  REFUSED(f, note({"environment", "x", "Assist with Enablement", 99}), "has 6 checklist items");
  REFUSED(f, note({"environment", "x", "", 3}), "needs a step");
  CHECK(f.state("contoso").notes.size() == 1);

  REQUIRE(f.contact("contoso", "Ana Silva", true).ok());
  REFUSED(f, f.contact("contoso", "Ana  Silva", false), "already exists");
  CHECK(f.state("contoso").has_survey_eligible_contact());

  auto usage = [&](std::uint64_t n) {
    return f.run("contoso", [n](const EngagementState& s, const CatalogView&) { return decide_usage(s, n, "Lynx"); });
  };
  CHECK(f.state("contoso").milestone_threshold() == 50);  // 10% of 500 seats
  CHECK(usage(49).ok());
  CHECK_FALSE(f.state("contoso").milestone_reached());
  auto reached = usage(50);
  REQUIRE(reached.ok());
  CHECK_THAT(reached->message, Catch::Contains("milestone (50) is reached"));
  CHECK(f.state("contoso").milestone_reached());
}

TEST_CASE("Migrate and Adoption only once every scoped service is enabled", "[engagement][phase]") {
  Fixture f;
  REQUIRE(f.open("contoso", 500, "Teams").ok());
  auto phase = [&](std::string p) {
    return f.run("contoso", [p](const EngagementState& s, const CatalogView& c) { return decide_phase(s, c, p); });
  };
  REFUSED(f, phase("Migrate"), "needs every scoped service enabled; not yet: Teams");
  for (auto t : mandatory_tasks(f, "contoso")) REQUIRE(f.task("contoso", Kind::kDone, t).ok());
  CHECK(phase("migrate").ok());
  CHECK(f.state("contoso").phase == "Migrate");
  CHECK(phase("Assess").ok());  // going back needs nothing
}

TEST_CASE("a correction voids the event it names; both stay in the log", "[engagement][correct]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange, Teams").ok());
  auto done = f.task("contoso", Kind::kDone, 1126);
  REQUIRE(done.ok());
  const auto wrong = *f.ledger->get(done->position.first_sequence);
  auto correct = [&](CorrectCommand c) {
    auto ev = f.ledger->get_by_id(c.event_id);
    REQUIRE(ev.ok());
    auto e = *ev;
    return f.run("contoso", [c, e](const EngagementState& s, const CatalogView&) { return decide_correct(s, e, c); });
  };
  REQUIRE(correct({wrong.event_id, "wrong task", {{"task", "1158"}}}).ok());
  auto s = f.state("contoso");
  CHECK(s.task_status(1126) == TaskStatus::kOpen);
  CHECK(s.task_status(1158) == TaskStatus::kDone);
  CHECK(s.corrections.size() == 1);
  CHECK(f.ledger->get_by_id(wrong.event_id).ok());  // the corrected event is still there
  REFUSED(f, correct({wrong.event_id, "again", {}}), "already corrected");
  REFUSED(f, correct({wrong.event_id, "", {}}), "needs a reason");

  // A status set by mistake: the entitlement falls back to what it was, then takes the fix.
  REQUIRE(f.status("contoso", "Teams", "Blocked", "Adoption Readiness").ok());
  auto st = f.status("contoso", "Teams", "Blocked", "Legal/Regulatory");
  REQUIRE(st.ok());
  const auto mistaken = *f.ledger->get(st->position.first_sequence);
  REQUIRE(correct({mistaken.event_id, "wrong reason", {}}).ok());
  CHECK(f.state("contoso").entitlements.at("Teams").l2 == "Adoption Readiness");

  const auto opened = *f.ledger->get(f.state("contoso").version == 0 ? 1 : 110);
  REFUSED(f, correct({opened.event_id, "typo", {}}), "cannot be corrected");
  REFUSED(f, correct({done->position.first_sequence == 0 ? "" : wrong.event_id, "x", {{"color", "red"}}}), "already corrected");
}

TEST_CASE("an engagement as of an earlier sequence", "[engagement][asof]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange").ok());
  auto first = f.task("contoso", Kind::kDone, 1126);
  REQUIRE(first.ok());
  REQUIRE(f.task("contoso", Kind::kDone, 1158).ok());
  auto then = load_engagement(*f.ledger, "contoso", first->position.last_sequence);
  REQUIRE(then.ok());
  CHECK(then->task_status(1126) == TaskStatus::kDone);
  CHECK(then->task_status(1158) == TaskStatus::kOpen);
  CHECK(f.state("contoso").task_status(1158) == TaskStatus::kDone);
}

TEST_CASE("concurrent writers on one engagement lose no write and duplicate none", "[engagement][concurrency]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange, Teams, SharePoint").ok());
  const std::vector<std::uint32_t> tasks = {1126, 1158, 1235, 1672, 2474, 3306, 3687, 3125, 1159, 1171, 3160, 3159};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<std::string> errors;
  for (std::size_t i = 0; i < tasks.size(); ++i)
    threads.emplace_back([&, i] {
      // Two people record each task at once.
      for (int twice = 0; twice < 2; ++twice) {
        auto r = f.task("contoso", Kind::kDone, tasks[i]);
        if (!r.ok()) {
          ++failures;
          std::lock_guard lk(mu);
          errors.push_back(r.status().message());
        }
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors) INFO(e);
  CHECK(failures == 0);
  if (!errors.empty()) FAIL(errors.front());
  auto s = f.state("contoso");
  for (auto t : tasks) CHECK(s.task_status(t) == TaskStatus::kDone);
  std::size_t completions = 0;
  for (auto c = f.ledger->scan_stream("engagement/contoso"); c->valid(); c->next())
    if (c->event().type == "TaskCompleted") ++completions;
  CHECK(completions == tasks.size());  // each once, though each was sent twice
}

// Random valid command sequences, folded by the ledger, against a model that is just maps.
TEST_CASE("random command sequences fold to the state a straightforward model predicts", "[engagement][property]") {
  Fixture f;
  REQUIRE(f.open("contoso", 25000, "Exchange, Teams, SharePoint").ok());
  auto cat = load_catalog(*f.ledger);
  REQUIRE(cat.ok());
  std::vector<std::uint32_t> optional, mandatory;
  for (const auto& [t, pb] : applicable_tasks(*cat, f.state("contoso")))
    if (t->id != kEnablementCompleteTask) (t->mandatory ? mandatory : optional).push_back(t->id);
  const std::vector<std::string> services = {"Exchange", "Teams", "SharePoint"};
  const std::vector<std::pair<std::string, std::string>> statuses = {
      {"In Progress", "Migration"}, {"Blocked", "Adoption Readiness"}, {"No Intent", "Executive Sponsorship"},
      {"Status Unknown", "Customer Unresponsive"}};

  std::mt19937 rng(GENERATE(1u, 2u, 3u));
  std::map<std::uint32_t, TaskStatus> tasks;
  std::map<std::string, std::pair<std::string, std::string>> l1l2;
  std::uint64_t users = 0;
  auto pick = [&](const auto& v) { return v[rng() % v.size()]; };
  for (int step = 0; step < 120; ++step) {
    switch (rng() % 5) {
      case 0: {
        auto t = rng() % 2 ? pick(optional) : pick(mandatory);
        REQUIRE(f.task("contoso", Kind::kDone, t).ok());
        tasks[t] = TaskStatus::kDone;
        break;
      }
      case 1: {
        auto t = pick(optional);
        REQUIRE(f.task("contoso", Kind::kNotApplicable, t, "not needed").ok());
        tasks[t] = TaskStatus::kNotApplicable;
        break;
      }
      case 2: {
        auto t = rng() % 2 ? pick(optional) : pick(mandatory);
        auto r = f.task("contoso", Kind::kReopen, t, "redo");
        const bool open = tasks.count(t) == 0 || tasks[t] == TaskStatus::kOpen;
        CHECK(r.ok() == !open);  // reopening an open task is refused
        tasks[t] = TaskStatus::kOpen;
        break;
      }
      case 3: {
        auto svc = pick(services);
        auto [l1, l2] = pick(statuses);
        REQUIRE(f.status("contoso", svc, l1, l2, "2026-12-15").ok());
        l1l2[svc] = {l1, l2};
        break;
      }
      default: {
        users = rng() % 3000;
        REQUIRE(f.run("contoso", [&](const EngagementState& s, const CatalogView&) { return decide_usage(s, users, "Lynx"); }).ok());
      }
    }
  }
  auto s = f.state("contoso");
  for (const auto& [t, st] : tasks) CHECK(s.task_status(t) == st);
  for (const auto& [svc, v] : l1l2) {
    CHECK(s.entitlements.at(svc).l1 == v.first);
    CHECK(s.entitlements.at(svc).l2 == v.second);
  }
  CHECK(s.usage.active_users == users);
  CHECK(f.ledger->verify({}).ok());
}

TEST_CASE("what does not name a real engagement or service is refused, never recorded", "[engagement][input]") {
  Fixture f;
  REFUSED(f, f.open("", 100, "Exchange"), "the engagement id is empty");
  REFUSED(f, f.open("Contoso Ltd", 100, "Exchange"), "is not 1 to 64 lower-case letters, digits and '-' | use contoso-ltd");
  REFUSED(f, f.open(std::string(65, 'a'), 100, "Exchange"), "is not 1 to 64");
  REFUSED(f, f.open("con--toso", 100, "Exchange"), "use con-toso");
  REFUSED(f, f.open("contoso", 100, "Exchange, Nosuch"), "service 'Nosuch' is in no playbook of the catalog");
  REFUSED(f, f.open("contoso", 100, "Exchang"), "did you mean Exchange?");
  REQUIRE(f.open("contoso", 100, "exchange, TEAMS").ok());
  CHECK(f.state("contoso").services == schema::Strings{"Exchange", "Teams"});  // the catalog's spelling
  REFUSED(f, f.run("contoso", [](const EngagementState& s, const CatalogView& c) { return decide_scope(s, c, {"Exchange", "Nosuch"}); }),
          "service 'Nosuch' is in no playbook");
}

TEST_CASE("text that is not UTF-8, or holds control characters, is refused in every field", "[engagement][input][utf8]") {
  Fixture f;
  REFUSED(f, f.open("contoso", 100, "Exchange\xff"), "service 'Exchange\xff' is in no playbook");
  OpenCommand bad{"contoso", "Contoso \xc0\xaf Ltd", 100, {"Exchange"}, {}, "Enable", false};
  REFUSED(f, f.run("contoso", [bad](const EngagementState& s, const CatalogView& c) { return decide_open(s, c, bad); }, true),
          "customer is not valid UTF-8");
  REQUIRE(f.open("contoso", 100, "Exchange").ok());
  NoteCommand note{"environment", std::string("line one\nline\0two", 17), "", 0};
  REFUSED(f, f.run("contoso", [note](const EngagementState& s, const CatalogView& c) { return decide_note(s, c, note); }),
          "text holds the control character 0x00 at byte 13");
  TaskCommand done{Kind::kDone, 1126, {}, "held \xe2\x82"};
  REFUSED(f, f.run("contoso", [done](const EngagementState& s, const CatalogView& c) { return decide_task(s, c, done); }),
          "note is not valid UTF-8");
  ContactCommand contact;
  contact.name = "Ana \x1b[31mSilva";
  REFUSED(f, f.run("contoso", [contact](const EngagementState& s, const CatalogView&) { return decide_contact(s, contact); }),
          "control character 0x1b");
  NoteCommand fine{"environment", "Reunião: tudo certo\n\tpróximo passo", "", 0};
  CHECK(f.run("contoso", [fine](const EngagementState& s, const CatalogView& c) { return decide_note(s, c, fine); }).ok());
}

TEST_CASE("verify holds every payload to E1: one that does not decode, or holds what is not text, is named", "[engagement][verify]") {
  Fixture f;
  REQUIRE(f.open("contoso", 100, "Exchange").ok());
  auto append_raw = [&](const std::string& type, std::uint32_t version, std::string payload) {
    NewEvent e;  // below the engine: what a forger, or a bug, could put there
    e.type = type;
    e.schema_version = version;
    e.actor = "mallory";
    e.payload = std::move(payload);
    REQUIRE(f.ledger->append({"engagement/contoso", ExpectedVersion::Any(), {e}}).ok());
  };
  engine::VerifyLedgerOptions o;
  SECTION("text with a control character") {
    auto enc = schema::encode(schema::EngagementEvent(schema::NoteAdded{"environment", "clear\x1b[2Jscreen", "", 0}));
    append_raw(enc.type, enc.version, enc.bytes);
    auto v = engine::verify_ledger(*f.ledger, o);
    REQUIRE_FALSE(v.ok());
    CHECK_THAT(v.status().message(), Catch::Contains("breaks E1: text holds the control character 0x1b"));
  }
  SECTION("a payload that does not decode") {
    // Class version 1, then a string whose size says 2^62 bytes.
    append_raw("NoteAdded", 1, std::string("\x01\x01\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x3f", 13));
    auto v = engine::verify_ledger(*f.ledger, o);
    REQUIRE_FALSE(v.ok());
    CHECK_THAT(v.status().message(), Catch::Contains("breaks E1: NoteAdded payload cannot be decoded"));
    CHECK(load_engagement(*f.ledger, "contoso").status().code() == Code::kCorruption);  // and no view shows it
    // Nor does the state kept from before it, half brought forward: every later load and
    // command meets the same event, and records nothing.
    CHECK(load_engagement(*f.ledger, "contoso").status().code() == Code::kCorruption);
    const auto head = f.ledger->head().sequence;
    CHECK(f.run("contoso", note_decision("after it")).status().code() == Code::kCorruption);
    CHECK(f.ledger->head().sequence == head);
  }
  SECTION("a type no build knows") {
    append_raw("Bogus", 1, "x");
    CHECK_THAT(engine::verify_ledger(*f.ledger, o).status().message(), Catch::Contains("breaks E1: unknown event type Bogus"));
  }
  SECTION("a class version from the future") {
    auto enc = schema::encode(schema::EngagementEvent(schema::UsageRecorded{10, "Lynx"}));
    append_raw(enc.type, 99, enc.bytes);
    CHECK_THAT(engine::verify_ledger(*f.ledger, o).status().message(), Catch::Contains("UsageRecorded version 99 is not one this build reads"));
  }
}
