// The engagement tests' fixture: a real ledger in a temp dir with the shipped playbook
// imported, and one helper per command through the engine.
#pragma once

#include <catch2/catch.hpp>

#include "engine/engagement_service.h"
#include "tests/testutil.h"

namespace ftl::test {

using engine::CatalogView;
using engine::ContactCommand;
using engine::Decide;
using engine::NoteCommand;
using engine::OpenCommand;
using engine::Outcome;
using engine::StatusCommand;
using engine::TaskCommand;
using projections::EngagementState;
using Kind = engine::TaskCommand::Kind;

struct Fixture {
  TempDir dir;
  std::unique_ptr<Ledger> ledger = open_ledger(dir.sub("db"));

  Fixture() { import_example(*ledger); }

  Result<Outcome> run(const std::string& id, const Decide& d, bool create = false, std::string actor = "ryan") {
    return engine::execute(*ledger, id, actor, std::nullopt, create, d);
  }
  Result<Outcome> open(const std::string& id, std::uint32_t seats, const std::string& services, bool exception = false) {
    OpenCommand c{id, "Customer " + id, seats, engine::split_names(services), {"RFA"}, "Enable", exception};
    return run(id, [c](const EngagementState& s, const CatalogView& cat) { return engine::decide_open(s, cat, c); }, true);
  }
  Result<Outcome> task(const std::string& id, Kind kind, std::uint32_t t, std::string reason = {}) {
    TaskCommand c{kind, t, std::move(reason), {}};
    return run(id, [c](const EngagementState& s, const CatalogView& cat) { return engine::decide_task(s, cat, c); });
  }
  Result<Outcome> status(const std::string& id, std::string service, std::string l1, std::string l2, std::string target = {}) {
    StatusCommand c{std::move(service), std::move(l1), std::move(l2), std::move(target)};
    return run(id, [c](const EngagementState& s, const CatalogView&) { return engine::decide_status(s, c); });
  }
  Result<Outcome> contact(const std::string& id, const std::string& name, bool eligible) {
    ContactCommand c;
    c.name = name;
    c.survey_eligible = eligible;
    return run(id, [c](const EngagementState& s, const CatalogView&) { return engine::decide_contact(s, c); });
  }
  EngagementState state(const std::string& id) {
    auto s = engine::load_engagement(*ledger, id);
    REQUIRE(s.ok());
    return *s;
  }
  // Runs a command that must be refused with `code`, and checks that nothing was appended.
  std::string refused(const Result<Outcome>& r, Code code = Code::kInvalidArgument) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == code);
    return r.status().message() + (r.status().hint().empty() ? "" : " | " + r.status().hint());
  }
};

// A command that must be refused leaves the head where it was.
#define REFUSED(fx, expr, text)                                       \
  do {                                                                \
    const auto head_before = (fx).ledger->head().sequence;            \
    CHECK_THAT((fx).refused(expr), Catch::Contains(text));            \
    CHECK((fx).ledger->head().sequence == head_before);               \
  } while (false)

// A note through the engine, as a decision to run any way.
inline Decide note_decision(const std::string& text) {
  NoteCommand c{"environment", text, {}, 0};
  return [c](const EngagementState& s, const CatalogView& cat) { return engine::decide_note(s, cat, c); };
}

}  // namespace ftl::test
