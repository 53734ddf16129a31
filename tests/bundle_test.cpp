// Offline bundles: made from a real ledger, verified with the verifier key alone, their views
// equal to the live ones; and every forgery (a byte changed anywhere, an event dropped, two
// swapped, a payload removed, another key) rejected, naming what failed.
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/bundle.h"
#include "engine/checkpoint.h"
#include "engine/operations.h"
#include "engine/queries.h"
#include "projections/history.h"
#include "ledger/base64.h"
#include "testutil.h"

using namespace ftl;
using namespace ftl::engine;
using nlohmann::json;
using test::TempDir;

namespace {

struct Fixture {
  TempDir dir;
  std::string key_file = dir.sub("ledger.key");
  SignerKey key = *generate_signer("ledger.example");
  VerifierKey vkey = key.verifier();
  std::unique_ptr<Ledger> ledger = test::open_ledger(dir.sub("db"));
  std::uint64_t note_seq = 0, mid = 0;
  Fixture() {
    REQUIRE(write_signer_file(key_file, key, "").ok());
    test::import_example(*ledger);
    run("engagement.open", {{"engagement", "contoso"}, {"customer", "Contoso Ltd"}, {"seats", 25000}, {"services", "Exchange, Teams"}});
    note_seq = run("note.add", {{"engagement", "contoso"}, {"kind", "technical-enablement"}, {"text", "Call Jane on +1 555 0100"}})["first_sequence"];
    run("task.done", {{"engagement", "contoso"}, {"task", 1126}, {"note", "Kick-off held"}});
    run("engagement.open", {{"engagement", "fabrikam"}, {"customer", "Fabrikam"}, {"seats", 500}, {"services", "Teams"}});
    mid = ledger->head().sequence;
    run("status.set", {{"engagement", "contoso"}, {"service", "Teams"}, {"l1", "Blocked"}, {"l2", "Adoption Readiness"}});
    run("task.done", {{"engagement", "contoso"}, {"task", 1158}});
  }
  json run(const std::string& op, const json& args, const std::string& who = "ryan") {
    Call call{*ledger, who, "", {}, {}, "", key_file};
    auto r = run_operation(call, op, args);
    INFO(op << ": " << r.status().message());
    REQUIRE(r.ok());
    return *r;
  }
  std::string bundle(const std::string& to = "") { return run("bundle", {{"engagement", "contoso"}, {"to", to}})["bundle"]; }
};

std::string fails(const std::string& text, const VerifierKey& key) {
  auto b = verify_bundle(text, &key);
  REQUIRE_FALSE(b.ok());
  return b.status().message();
}

// The bundle's events with one changed by `edit`.
std::string with_events(const std::string& text, const std::function<void(json&)>& edit) {
  auto doc = json::parse(text);
  edit(doc["events"]);
  return doc.dump(1);
}

std::string flip(const std::string& b64, std::size_t at) {
  auto raw = *from_base64(b64);
  raw[at % raw.size()] ^= 0x01;
  return to_base64(raw);
}

// Index in the bundle of the event with this sequence.
std::size_t index_of(const json& events, std::uint64_t seq) {
  for (std::size_t i = 0; i < events.size(); ++i)
    if (envelope_of(*from_base64(events[i]["canonical"].get<std::string>()))->event.sequence == seq) return i;
  FAIL("no event " << seq << " in the bundle");
  return 0;
}

}  // namespace

TEST_CASE("a bundle verifies with the key alone and shows what the live views show", "[bundle]") {
  Fixture f;
  const auto text = f.bundle();
  auto b = verify_bundle(text, &f.vkey);
  INFO(b.status().message());
  REQUIRE(b.ok());
  CHECK(b->engagement == "contoso");
  CHECK(b->engagement_events == 5);
  CHECK(b->catalog_events == 109);
  CHECK(b->checkpoint.size == f.ledger->head().sequence);
  // The other engagement's events are not in it.
  for (const auto& e : b->events) CHECK(e.stream != "engagement/fabrikam");
  CHECK(*bundle_view(*b, "state") == f.run("engagement.show", {{"engagement", "contoso"}}));
  CHECK((*bundle_view(*b, "history"))["rows"] == f.run("history", {{"engagement", "contoso"}})["rows"]);
  CHECK((*bundle_view(*b, "audit"))["rows"] == f.run("audit", {{"engagement", "contoso"}})["rows"]);
  CHECK(bundle_view(*b, "other").status().tag() == "bundle.view");
  // As of an earlier moment: that state, in a smaller tree.
  const auto early = f.bundle(std::to_string(f.mid));
  auto e = verify_bundle(early, &f.vkey);
  REQUIRE(e.ok());
  CHECK(e->checkpoint.size == f.mid);
  CHECK(e->engagement_events == 3);
  auto live = f.run("engagement.show", {{"engagement", "contoso"}, {"as_of", std::to_string(f.mid)}});
  live.erase("as_of");
  CHECK(*bundle_view(*e, "state") == live);
}

TEST_CASE("a bundle with one byte changed, an event dropped or two swapped is rejected, naming what failed", "[bundle][forgery]") {
  Fixture f;
  const auto text = f.bundle();
  const auto key = f.key.verifier();
  const auto doc = json::parse(text);
  const auto n = doc["events"].size();
  const auto last = n - 1;  // an engagement event: the last recorded
  SECTION("a payload byte") {
    CHECK_THAT(fails(with_events(text, [&](json& ev) { ev[last]["payload"] = flip(ev[last]["payload"], 3); }), key),
               Catch::Contains("payload does not match"));
  }
  SECTION("an envelope byte (the actor, the time...)") {
    for (std::size_t at : {10, 30, 60}) {
      CHECK_THAT(fails(with_events(text, [&](json& ev) { ev[last]["canonical"] = flip(ev[last]["canonical"], at); }), key),
                 Catch::Contains("fails") || Catch::Contains("not"));
    }
  }
  SECTION("a hash of a proof") {
    CHECK_THAT(fails(with_events(text, [&](json& ev) { ev[5]["proof"][0] = flip(ev[5]["proof"][0], 0); }), key),
               Catch::Contains("inclusion proof fails"));
  }
  SECTION("an engagement event dropped") {
    CHECK_THAT(fails(with_events(text, [&](json& ev) { ev.erase(index_of(ev, f.note_seq)); }), key), Catch::Contains("was dropped"));
  }
  SECTION("the last event dropped (no version gap: the signed statement catches it)") {
    CHECK_THAT(fails(with_events(text, [&](json& ev) { ev.erase(last); }), key), Catch::Contains("dropped, added or replaced"));
  }
  SECTION("a catalog event dropped") {
    CHECK_THAT(fails(with_events(text, [&](json& ev) { ev.erase(50); }), key), Catch::Contains("was dropped"));
  }
  SECTION("two events swapped") {
    CHECK_THAT(fails(with_events(text, [&](json& ev) { std::swap(ev[last], ev[last - 1]); }), key), Catch::Contains("reordered"));
  }
  SECTION("a payload removed without a redaction") {
    CHECK_THAT(fails(with_events(text, [&](json& ev) { ev[last]["payload"] = nullptr; }), key), Catch::Contains("no redaction"));
  }
  SECTION("the claimed state, the statement and the checkpoint") {
    auto d = doc;
    d["state_sha256"] = std::string(64, '0');
    CHECK_THAT(fails(d.dump(), key), Catch::Contains("is not the state"));
    d = doc;
    auto st = d["statement"].get<std::string>();
    st[st.find("\nstate ") + 8] ^= 0x01;
    d["statement"] = st;
    CHECK(verify_bundle(d.dump(), &key).status().tag() == "note.forged");
    d = doc;
    d["engagement"] = "fabrikam";
    CHECK_FALSE(verify_bundle(d.dump(), &key).ok());
    d = doc;
    auto cp = d["checkpoint"].get<std::string>();
    cp[cp.find('\n') + 1] = '9';
    d["checkpoint"] = cp;
    CHECK_FALSE(verify_bundle(d.dump(), &key).ok());
  }
  SECTION("another key, and not a bundle at all") {
    auto other = generate_signer("ledger.example")->verifier();
    CHECK(verify_bundle(text, &other).status().code() == Code::kCorruption);
    CHECK(verify_bundle("{}", &key).status().tag() == "bundle.malformed");
    CHECK(verify_bundle("not json", &key).status().tag() == "bundle.malformed");
    CHECK(verify_bundle(text.substr(0, text.size() / 2), &key).status().tag() == "bundle.malformed");
  }
  // Untouched, it still verifies (the forgeries above worked on copies).
  CHECK(verify_bundle(text, &key).ok());
}

TEST_CASE("a bundle carries a redaction: the payload is left out, and the state is the redacted one", "[bundle][redact]") {
  Fixture f;
  f.run("event.redact", {{"event", std::to_string(f.note_seq)}, {"reason", "personal data"}}, "admin");
  const auto text = f.bundle();
  CHECK(text.find(to_base64("Call Jane")) == std::string::npos);
  auto b = verify_bundle(text, &f.vkey);
  INFO(b.status().message());
  REQUIRE(b.ok());
  CHECK(b->redacted == 1);
  CHECK(*bundle_view(*b, "state") == f.run("engagement.show", {{"engagement", "contoso"}}));
  CHECK((*bundle_view(*b, "history"))["rows"].dump().find("[redacted]") != std::string::npos);
  // The redaction dropped from the bundle: the payload left out is no longer accounted for.
  const auto red = f.ledger->head().sequence;
  CHECK_THAT(fails(with_events(text, [&](json& ev) { ev.erase(index_of(ev, red)); }), f.key.verifier()),
             Catch::Contains("no redaction") || Catch::Contains("dropped"));
}

TEST_CASE("a bundle as of before a redaction brings the redaction along, and still verifies", "[bundle][redact]") {
  Fixture f;
  const auto early = std::to_string(f.mid);
  f.run("event.redact", {{"event", std::to_string(f.note_seq)}, {"reason", "personal data"}}, "admin");
  const auto text = f.bundle(early);
  auto b = verify_bundle(text, &f.vkey);
  INFO(b.status().message());
  REQUIRE(b.ok());
  CHECK(b->to == f.mid);
  CHECK(b->checkpoint.size == f.ledger->head().sequence);  // a tree that holds the redaction
  CHECK(b->redacted == 1);
  CHECK(b->engagement_events == 3);
  auto live = f.run("engagement.show", {{"engagement", "contoso"}, {"as_of", early}});
  live.erase("as_of");
  CHECK(*bundle_view(*b, "state") == live);
  // Anything else after the bundle's moment is refused.
  auto doc = json::parse(f.bundle());
  auto late = json::parse(text);
  late["events"].push_back(doc["events"].back());
  CHECK_FALSE(verify_bundle(late.dump(), &f.vkey).ok());
}

TEST_CASE("a bundle's statement is bound to its tree: one from another ledger under the same key is refused", "[bundle][forgery]") {
  Fixture f;
  // A second ledger, equal to the first up to here, then different; the same key signs both.
  std::filesystem::copy(f.dir.sub("db"), f.dir.sub("copy"), std::filesystem::copy_options::recursive);
  Fixture* g = &f;
  auto copy = test::open_ledger(f.dir.sub("copy"));
  Call c1{*f.ledger, "ryan", "", {}, {}, "", f.key_file};
  REQUIRE(run_operation(c1, "engagement.open", {{"engagement", "other"}, {"customer", "O"}, {"seats", 5}, {"services", "Teams"}}).ok());
  Call same_key{*copy, "ryan", "", {}, {}, "", f.key_file};
  REQUIRE(run_operation(same_key, "note.add", {{"engagement", "contoso"}, {"kind", "environment"}, {"text", "hidden"}}).ok());
  auto x = json::parse(g->bundle());
  // The key's own record of what it signed refuses the second history...
  CHECK(run_operation(same_key, "bundle", {{"engagement", "contoso"}, {"to", ""}}).status().tag() == "checkpoint.fork");
  // ...so the forger signs with a copy of the key that has none, and the verifier must catch it.
  REQUIRE(write_signer_file(f.dir.sub("copied.key"), f.key, "").ok());
  Call c2{*copy, "ryan", "", {}, {}, "", f.dir.sub("copied.key")};
  auto y = json::parse((*run_operation(c2, "bundle", {{"engagement", "contoso"}, {"to", ""}}))["bundle"].get<std::string>());
  // y's events without its last (the hidden note), with x's statement and state.
  y["statement"] = x["statement"];
  y["state_sha256"] = x["state_sha256"];
  y["events"].erase(y["events"].size() - 1);
  auto r = verify_bundle(y.dump(), &f.vkey);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("another root"));
}

TEST_CASE("a stretch of an engagement's events (--from) verifies with no state; its ends are pinned", "[bundle][from]") {
  Fixture f;
  const auto from = f.mid;  // fabrikam's opening: contoso's next events are after it
  auto doc = json::parse(f.run("bundle", {{"engagement", "contoso"}, {"from", std::to_string(from)}, {"to", ""}})["bundle"].get<std::string>());
  auto b = verify_bundle(doc.dump(), &f.vkey);
  INFO(b.status().message());
  REQUIRE(b.ok());
  CHECK(b->from == from);
  CHECK(b->catalog_events == 0);
  CHECK(b->engagement_events == 2);
  CHECK(bundle_view(*b, "state").status().tag() == "bundle.stretch");
  auto rows = (*bundle_view(*b, "history"))["rows"];
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["what"].get<std::string>().find("Blocked") != std::string::npos);
  // Its first event dropped (no version gap inside a stretch: the statement catches it).
  auto first = doc;
  first["events"].erase(0);
  CHECK_THAT(fails(first.dump(), f.vkey), Catch::Contains("dropped, added or replaced"));
  // An event from before the stretch put in front of it.
  auto whole = json::parse(f.bundle());
  auto earlier = doc;
  earlier["events"].insert(earlier["events"].begin(), whole["events"][index_of(whole["events"], f.note_seq)]);
  CHECK_THAT(fails(earlier.dump(), f.vkey), Catch::Contains("before the bundle's first sequence"));
  // The from changed in the file: the statement no longer matches.
  auto moved = doc;
  moved["from"] = from - 1;
  CHECK_FALSE(verify_bundle(moved.dump(), &f.vkey).ok());
}

TEST_CASE("a stretch from a time starts at the first event recorded at or after it, that event included", "[bundle][from]") {
  Fixture f;
  const auto at = f.ledger->get(f.mid + 1);  // contoso's first event after fabrikam's opening
  REQUIRE(at.ok());
  const auto when = projections::iso_time(at->recorded_us);
  auto first = from_sequence(*f.ledger, when);
  REQUIRE(first.ok());
  CHECK(*first <= f.mid + 1);
  CHECK(f.ledger->get(*first)->recorded_us == at->recorded_us);
  if (*first > 1) CHECK(f.ledger->get(*first - 1)->recorded_us < at->recorded_us);
  auto doc = f.run("bundle", {{"engagement", "contoso"}, {"from", when}, {"to", ""}});
  auto b = verify_bundle(doc["bundle"].get<std::string>(), &f.vkey);
  REQUIRE(b.ok());
  CHECK(b->from == *first);
  // From and to the same moment: the events recorded then.
  auto same = f.run("bundle", {{"engagement", "contoso"}, {"from", when}, {"to", when}});
  CHECK(verify_bundle(same["bundle"].get<std::string>(), &f.vkey).ok());
  // After the last event: nothing to bundle, said so.
  auto later = from_sequence(*f.ledger, "2999-01-01");
  REQUIRE_FALSE(later.ok());
  CHECK(later.status().tag() == "from.after_last");
  // A date outside what ftl reads is named as such.
  auto far = from_sequence(*f.ledger, "9999-12-31");
  REQUIRE_FALSE(far.ok());
  CHECK_THAT(far.status().message(), Catch::Contains("is not a time ftl reads: a date from 1970 to 3000"));
}
