// Snapshots make a view fast without ever being trusted blindly: snapshot + tail equals a full
// fold for random histories, and a stale, altered or foreign snapshot is ignored.
#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include <random>

#include "engine/engagement_service.h"
#include "engine/rebuild.h"
#include "engine/verify.h"
#include "projections/snapshot.h"
#include "tests/testutil.h"

using namespace ftl;
using namespace ftl::engine;
using projections::EngagementState;
using Kind = TaskCommand::Kind;

namespace {

// A random history of valid commands on "contoso" (tasks, statuses, notes, usage, a correction).
void random_history(Ledger& ledger, unsigned seed, int commands, const std::string& id = "contoso") {
  std::mt19937 rng(seed);
  const std::string stream = "engagement/" + id;
  OpenCommand open{id, "Customer " + id, 25000, {"Exchange", "Teams", "SharePoint"}, {"RFA"}, "Enable", false};
  REQUIRE(execute(ledger, id, "ryan", std::nullopt, true,
                  [open](const EngagementState& s, const CatalogView& cat) { return decide_open(s, cat, open); })
              .ok());
  const std::vector<std::uint32_t> tasks = {1126, 1158, 1235, 1672, 2474, 3306, 3687, 3125, 1159, 1171, 3160, 3159};
  const std::vector<std::string> actors = {"ryan", "rosie", "sam"};
  const std::vector<std::string> l1s = {"Blocked", "No Intent", "Status Unknown"};
  const std::vector<std::string> l2s = {"Adoption Readiness", "Executive Sponsorship", "Customer Unresponsive"};
  for (int i = 0; i < commands; ++i) {
    const auto who = actors[rng() % actors.size()];
    Decide d;
    switch (rng() % 6) {
      case 0: {
        TaskCommand c{Kind::kDone, tasks[rng() % tasks.size()], {}, "done"};
        d = [c](const EngagementState& s, const CatalogView& cat) { return decide_task(s, cat, c); };
        break;
      }
      case 1: {
        TaskCommand c{Kind::kReopen, tasks[rng() % tasks.size()], "redo", {}};
        d = [c](const EngagementState& s, const CatalogView& cat) { return decide_task(s, cat, c); };
        break;
      }
      case 2: {
        const auto k = rng() % l1s.size();
        StatusCommand c{rng() % 2 ? "Teams" : "", l1s[k], l2s[k], {}};
        d = [c](const EngagementState& s, const CatalogView&) { return decide_status(s, c); };
        break;
      }
      case 3: {
        NoteCommand c{"environment", "note " + std::to_string(i), "", 0};
        d = [c](const EngagementState& s, const CatalogView& cat) { return decide_note(s, cat, c); };
        break;
      }
      case 4: {
        const std::uint64_t users = rng() % 5000;
        d = [users](const EngagementState& s, const CatalogView&) { return decide_usage(s, users, "Lynx"); };
        break;
      }
      default: {
        // Correct a random earlier event: a task (moved to another task or just voided), a
        // status, a usage figure or a note (voided or rewritten). Refusals are fine.
        const auto version = ledger.stream_version(stream).value();
        auto c = ledger.scan_stream(stream, 2 + rng() % std::max<std::uint64_t>(1, version - 1));
        if (!c->valid()) continue;
        const Event corrected = c->event();
        CorrectCommand cc{corrected.event_id, "wrong " + std::to_string(i), {}};
        switch (rng() % 3) {
          case 0: cc.fields = {{"task", std::to_string(tasks[rng() % tasks.size()])}}; break;
          case 1: cc.fields = {{"text", "rewritten " + std::to_string(i)}, {"active_users", std::to_string(rng() % 900)}}; break;
          default: break;
        }
        d = [cc, corrected](const EngagementState& s, const CatalogView&) { return decide_correct(s, corrected, cc); };
      }
    }
    (void)execute(ledger, id, who, std::nullopt, false, d);  // reopening an open task is refused: fine
  }
}

// The engagement folded from its first event, up to `up_to_version` (0: all of it).
EngagementState full_fold(Ledger& ledger, const std::string& id = "contoso", std::uint64_t up_to_version = 0) {
  EngagementState s;
  for (auto c = ledger.scan_stream("engagement/" + id); c->valid(); c->next()) {
    if (up_to_version != 0 && c->event().stream_version > up_to_version) break;
    REQUIRE(projections::apply(s, c->event()).ok());
  }
  return s;
}

}  // namespace

TEST_CASE("snapshot + the events after it equals a full fold, for random histories and cut points", "[snapshot][property]") {
  test::TempDir dir;
  auto ledger = test::open_ledger(dir.sub("db"));
  test::import_example(*ledger);
  const unsigned seed = GENERATE(11u, 12u, 13u);
  random_history(*ledger, seed, 150);
  const auto full = full_fold(*ledger);
  REQUIRE(full.voided.size() >= 3);  // the histories include corrections, so snapshots must carry them
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 8; ++trial) {
    const auto cut = 1 + rng() % full.version;
    EngagementState head;
    auto c = ledger->scan_stream("engagement/contoso");
    for (; c->valid() && c->event().stream_version <= cut; c->next()) REQUIRE(projections::apply(head, c->event()).ok());
    const auto bytes = projections::encode_engagement_snapshot(head, ledger->get(head.last_sequence)->hash);
    projections::SnapshotHeader h;
    auto restored = projections::decode_engagement_snapshot(bytes, &h);
    REQUIRE(restored.ok());
    CHECK(*restored == head);
    CHECK(h.stream_version == cut);
    for (; c->valid(); c->next()) REQUIRE(projections::apply(*restored, c->event()).ok());
    CHECK(*restored == full);
  }
}

TEST_CASE("the engine starts from a valid snapshot and ignores a stale, altered or foreign one", "[snapshot]") {
  test::TempDir dir;
  auto ledger = test::open_ledger(dir.sub("db"));
  test::import_example(*ledger);
  random_history(*ledger, 7, 60);
  const auto full = full_fold(*ledger);
  // A snapshot halfway, then more history after it.
  const EngagementState half = full_fold(*ledger, "contoso", full.version / 2);
  REQUIRE(write_snapshot(*ledger, half).ok());
  REQUIRE(valid_snapshot(*ledger, "contoso").has_value());
  auto loaded = load_engagement(*ledger, "contoso");
  REQUIRE(loaded.ok());
  CHECK(*loaded == full);

  const auto good = ledger->get_snapshot("engagement/contoso")->bytes;
  SECTION("stale: made by another fold version") {
    REQUIRE(ledger->put_snapshot("engagement/contoso",
                                 projections::encode_engagement_snapshot(half, ledger->get(half.last_sequence)->hash,
                                                                         projections::kEngagementFoldVersion + 1))
                .ok());
    projections::SnapshotHeader h;
    CHECK(projections::decode_engagement_snapshot(ledger->get_snapshot("engagement/contoso")->bytes, &h).status().code() ==
          Code::kUnavailable);
  }
  SECTION("altered: one byte of the state changed") {
    auto bad = good;
    bad[bad.size() / 2] ^= 0x20;
    REQUIRE(ledger->put_snapshot("engagement/contoso", bad).ok());
  }
  SECTION("foreign: the chain hash is not this ledger's") {
    Hash other{};
    other[0] = 1;
    REQUIRE(ledger->put_snapshot("engagement/contoso", projections::encode_engagement_snapshot(half, other)).ok());
  }
  SECTION("lying: a snapshot that claims a state the events never had") {
    auto forged = half;
    forged.customer = "Someone Else";
    // Encoded consistently, but it covers a sequence whose hash it does not know.
    REQUIRE(ledger->put_snapshot("engagement/contoso", projections::encode_engagement_snapshot(forged, Hash{})).ok());
  }
  CHECK_FALSE(valid_snapshot(*ledger, "contoso").has_value());
  auto again = load_engagement(*ledger, "contoso");
  REQUIRE(again.ok());
  CHECK(*again == full);
}

TEST_CASE("commands keep a snapshot near the head, and drop_snapshots empties the cache", "[snapshot]") {
  test::TempDir dir;
  auto ledger = test::open_ledger(dir.sub("db"));
  test::import_example(*ledger);
  random_history(*ledger, 5, 400);
  const auto full = full_fold(*ledger);
  REQUIRE(full.version > kSnapshotEvery * 2);
  auto snap = valid_snapshot(*ledger, "contoso");
  REQUIRE(snap.has_value());
  CHECK(snap->version + snapshot_interval(full.version) + 8 > full.version);  // within about one interval of the head
  // The interval grows with a long stream, so snapshot bytes per event stay bounded.
  CHECK(snapshot_interval(full.version) == kSnapshotEvery);
  CHECK(snapshot_interval(4000) == 1000);
  CHECK(*load_engagement(*ledger, "contoso") == full);
  auto dropped = ledger->drop_snapshots();
  REQUIRE(dropped.ok());
  CHECK(*dropped == 1);
  CHECK_FALSE(valid_snapshot(*ledger, "contoso").has_value());
  CHECK(*load_engagement(*ledger, "contoso") == full);
}

TEST_CASE("rebuild on several threads refolds every engagement and leaves a sound snapshot of each", "[snapshot][rebuild]") {
  test::TempDir dir;
  auto ledger = test::open_ledger(dir.sub("db"));
  test::import_example(*ledger);
  const std::vector<std::string> ids = {"alpha", "bravo", "charlie", "delta", "echo"};
  for (unsigned i = 0; i < ids.size(); ++i) random_history(*ledger, 100 + i, 40 + 10 * static_cast<int>(i), ids[i]);
  const unsigned threads = GENERATE(1u, 3u, 8u);
  RebuildOptions options;
  options.threads = threads;
  std::uint64_t last_done = 0, calls = 0;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    CHECK(done >= last_done);
    CHECK(total == ids.size() + 1);
    last_done = done;
    ++calls;
  };
  auto report = rebuild(*ledger, options);
  REQUIRE(report.ok());
  CHECK(report->events == ledger->stats().events);  // every event folded exactly once
  CHECK(report->engagements == ids.size());
  CHECK(report->playbooks == 1);
  CHECK(report->snapshots_written == ids.size());
  CHECK(report->threads == std::min<unsigned>(threads, ids.size()));
  CHECK(last_done == ids.size() + 1);
  CHECK(calls >= 1);
  for (const auto& id : ids) {
    auto bytes = ledger->get_snapshot("engagement/" + id);
    REQUIRE(bytes.ok());
    projections::SnapshotHeader h;
    CHECK(bytes->authentic);
    auto snap = projections::decode_engagement_snapshot(bytes->bytes, &h);
    REQUIRE(snap.ok());
    const auto full = full_fold(*ledger, id);
    CHECK(h.stream_version == full.version);
    CHECK(*snap == full);
    CHECK(*load_engagement(*ledger, id) == full);
  }
  // A second rebuild drops what the first wrote.
  auto again = rebuild(*ledger, options);
  REQUIRE(again.ok());
  CHECK(again->snapshots_dropped == ids.size());
}

TEST_CASE("a writer stopped between dropping the snapshots and recreating them loses nothing", "[snapshot][rebuild]") {
  test::TempDir dir;
  EngagementState full;
  {
    auto ledger = test::open_ledger(dir.sub("db"));
    test::import_example(*ledger);
    random_history(*ledger, 21, 60);
    full = full_fold(*ledger);
    REQUIRE(rebuild(*ledger).ok());
  }
  {
    // What drop_snapshots leaves if the process dies between DropColumnFamily and CreateColumnFamily.
    test::RawLedger raw(dir.sub("db"));
    REQUIRE(raw.db->DropColumnFamily(raw.cf[test::RawLedger::kSnapshots]).ok());
  }
  {
    OpenOptions ro;
    ro.read_only = true;
    auto reader = test::open_ledger(dir.sub("db"), ro);
    CHECK(reader->get_snapshot("engagement/contoso").status().code() == Code::kNotFound);
    auto state = load_engagement(*reader, "contoso");  // folds from the events
    REQUIRE(state.ok());
    CHECK(*state == full);
  }
  auto writer = test::open_ledger(dir.sub("db"));  // creates the column family again
  auto report = rebuild(*writer);
  REQUIRE(report.ok());
  CHECK(report->snapshots_dropped == 0);
  CHECK(writer->get_snapshot("engagement/contoso").ok());
  CHECK(*load_engagement(*writer, "contoso") == full);
}

TEST_CASE("a view as of a sequence starts from the snapshot only when the snapshot covers no more", "[snapshot][as-of]") {
  test::TempDir dir;
  auto ledger = test::open_ledger(dir.sub("db"));
  test::import_example(*ledger);
  random_history(*ledger, 31, 80);
  // The state after each sequence of the stream, folded from the start.
  std::vector<EngagementState> states;
  {
    EngagementState s;
    for (auto c = ledger->scan_stream("engagement/contoso"); c->valid(); c->next()) {
      REQUIRE(projections::apply(s, c->event()).ok());
      states.push_back(s);
    }
  }
  REQUIRE(states.size() > 20);
  const auto& cut = states[states.size() / 2];
  REQUIRE(ledger->put_snapshot("engagement/contoso",
                               projections::encode_engagement_snapshot(cut, ledger->get(cut.last_sequence)->hash)).ok());
  for (const auto& want : states) {
    auto got = load_engagement(*ledger, "contoso", want.last_sequence);
    REQUIRE(got.ok());
    CHECK(*got == want);
  }
  // Which ones used it: a snapshot that lies (re-encoded, so its digest and chain hash are right)
  // shows through exactly from the sequence it covers.
  auto lie = cut;
  lie.customer = "Not Contoso";
  REQUIRE(ledger->put_snapshot("engagement/contoso",
                               projections::encode_engagement_snapshot(lie, ledger->get(lie.last_sequence)->hash)).ok());
  CHECK(load_engagement(*ledger, "contoso", cut.last_sequence)->customer == "Not Contoso");
  CHECK(load_engagement(*ledger, "contoso", states.back().last_sequence)->customer == "Not Contoso");
  CHECK(load_engagement(*ledger, "contoso", cut.last_sequence - 1)->customer == cut.customer);
  CHECK(load_engagement(*ledger, "contoso", states.front().last_sequence)->customer == cut.customer);
}

TEST_CASE("rebuild stops at an event it cannot fold and names it", "[snapshot][rebuild]") {
  test::TempDir dir;
  std::uint64_t bad = 0;
  {
    auto ledger = test::open_ledger(dir.sub("db"));
    test::import_example(*ledger);
    for (const char* id : {"alpha", "bravo", "charlie"}) random_history(*ledger, 41, 30, id);
    auto c = ledger->scan_stream("engagement/bravo", 5);
    REQUIRE(c->valid());
    bad = c->event().sequence;
  }
  {
    // Garble bravo's fifth payload behind the ledger's back (verify would name it too).
    test::RawLedger raw(dir.sub("db"));
    auto e = raw.get(bad);
    e.payload = "not a payload";
    raw.put(bad, e);
  }
  auto ledger = test::open_ledger(dir.sub("db"));
  RebuildOptions options;
  options.threads = GENERATE(1u, 2u);
  auto report = rebuild(*ledger, options);
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().code() == Code::kCorruption);
  CHECK_THAT(report.status().message(), Catch::Contains("event " + std::to_string(bad)));
  CHECK_FALSE(ledger->get_snapshot("engagement/bravo").ok());  // nothing written for it
}

namespace {
// The ledger's stored value for a snapshot, read and written as a forger with ldb would.
std::string raw_snapshot(const std::string& db, const std::string& key) {
  test::RawLedger raw(db);
  std::string v;
  REQUIRE(raw.db->Get({}, raw.cf[test::RawLedger::kSnapshots], key, &v).ok());
  return v;
}
void put_raw_snapshot(const std::string& db, const std::string& key, const std::string& value) {
  test::RawLedger raw(db);
  REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kSnapshots], key, value).ok());
}
Result<engine::VerifyResult> verify_all(Ledger& ledger, bool refold_all = false) {
  engine::VerifyLedgerOptions o;
  o.refold_all = refold_all;
  return engine::verify_ledger(ledger, o);
}
}  // namespace

TEST_CASE("a snapshot forged by whoever can write the database is never shown, and verify names it", "[snapshot][tamper]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  EngagementState truth;
  {
    auto ledger = test::open_ledger(db);
    test::import_example(*ledger);
    random_history(*ledger, 31, 300);
    truth = full_fold(*ledger);
    REQUIRE(rebuild(*ledger).ok());
  }
  // The forger changes the customer and recomputes the snapshot's own SHA-256, as the bytes of
  // FORMAT.md allow: everything but the seal, which needs the key kept outside the ledger.
  auto forged_state = truth;
  forged_state.customer = "Mallory Holdings";
  Hash covered{};
  {
    OpenOptions ro;
    ro.read_only = true;
    covered = test::open_ledger(db, ro)->get(truth.last_sequence)->hash;
  }
  const auto stored = raw_snapshot(db, "engagement/contoso");
  const auto forged = projections::encode_engagement_snapshot(forged_state, covered);
  SECTION("with the seal of the genuine snapshot kept") { put_raw_snapshot(db, "engagement/contoso", forged + stored.substr(stored.size() - 32)); }
  SECTION("with no seal at all, as an older ftl stored snapshots") { put_raw_snapshot(db, "engagement/contoso", forged); }
  OpenOptions ro;
  ro.read_only = true;
  auto ledger = test::open_ledger(db, ro);
  CHECK_FALSE(valid_snapshot(*ledger, "contoso").has_value());
  auto shown = load_engagement(*ledger, "contoso");
  REQUIRE(shown.ok());
  CHECK(shown->customer == truth.customer);  // the view folds the events instead
  auto v = verify_all(*ledger);
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().code() == Code::kCorruption);
  CHECK_THAT(v.status().message(), Catch::StartsWith("the snapshot engagement/contoso breaks S3") &&
                                       Catch::Contains("customer is 'Mallory Holdings' where the events say '" + truth.customer + "'"));
}

TEST_CASE("verify accounts for every snapshot: vouched for, refolded, stale, or named", "[snapshot][verify]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  {
    auto ledger = test::open_ledger(db);
    test::import_example(*ledger);
    random_history(*ledger, 41, 200, "contoso");
    random_history(*ledger, 42, 200, "fabrikam");
    REQUIRE(rebuild(*ledger).ok());
  }
  OpenOptions ro;
  ro.read_only = true;
  {
    auto ledger = test::open_ledger(db, ro);
    auto v = verify_all(*ledger);
    REQUIRE(v.ok());
    CHECK(v->snapshots == 2);
    CHECK(v->vouched == 2);
    auto all = verify_all(*ledger, /*refold_all=*/true);
    REQUIRE(all.ok());
    CHECK(all->refolded == 2);
  }
  SECTION("a reader without the key refolds each, and finds them genuine") {
    OpenOptions other = ro;
    other.snapshot_key_file = dir.sub("someone-elses.key");
    auto ledger = test::open_ledger(db, other);
    auto v = verify_all(*ledger);
    REQUIRE(v.ok());
    CHECK(v->vouched == 0);
    CHECK(v->refolded == 2);
  }
  SECTION("a snapshot under a key that names no engagement breaks S1") {
    put_raw_snapshot(db, "engagement/ghost", raw_snapshot(db, "engagement/contoso"));
    auto ledger = test::open_ledger(db, ro);
    auto v = verify_all(*ledger);
    REQUIRE_FALSE(v.ok());
    CHECK_THAT(v.status().message(), Catch::StartsWith("the snapshot engagement/ghost breaks S1"));
  }
  SECTION("bytes that are no snapshot break S2") {
    put_raw_snapshot(db, "engagement/fabrikam", "not a snapshot at all, but long enough to carry a seal...");
    auto ledger = test::open_ledger(db, ro);
    auto v = verify_all(*ledger);
    REQUIRE_FALSE(v.ok());
    CHECK_THAT(v.status().message(), Catch::StartsWith("the snapshot engagement/fabrikam breaks S2") && Catch::Contains("no key vouches"));
  }
  SECTION("a genuine snapshot of the other engagement copied under this one's key is ignored, not used") {
    put_raw_snapshot(db, "engagement/contoso", raw_snapshot(db, "engagement/fabrikam"));
    auto ledger = test::open_ledger(db, ro);
    CHECK_FALSE(valid_snapshot(*ledger, "contoso").has_value());
    auto v = verify_all(*ledger);
    REQUIRE(v.ok());
    CHECK(v->ignored == 1);
  }
}
