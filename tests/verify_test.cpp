// verify catches what an attacker with write access to the RocksDB files could do: change,
// drop, reorder or insert events, forge index entries, cut the tail, or rewrite the whole
// chain consistently (caught by a digest taken earlier). Each forgery goes through RocksDB
// directly, with the ledger closed.
#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include <filesystem>

#include "ledger/format.h"
#include "ledger/sha256.h"
#include "tests/testutil.h"

using namespace ftl;
using ftl::test::TempDir;

namespace {

constexpr int kEvents = 12;

// A ledger of kEvents events over three streams and two actors; returns the digest at 8.
Digest build(const std::string& path) {
  auto l = test::open_ledger(path);
  Digest at8;
  for (int i = 1; i <= kEvents; ++i) {
    NewEvent e;
    e.type = "T";
    e.actor = i % 2 ? "ana" : "bo";
    e.payload = "payload " + std::to_string(i);
    e.event_id = "id-" + std::to_string(i);
    auto r = l->append({"s/" + std::to_string(i % 3), ExpectedVersion::Any(), {e}});
    REQUIRE(r.ok());
    if (i == 8) at8 = l->head();
  }
  return at8;
}

// Raw access to the ledger's column families (cf[1] events, [2] by stream, [3] by actor,
// [4] by event id), and re-hashing an event the way a forger would.
struct Raw : test::RawLedger {
  using RawLedger::RawLedger;
  void rehash(Event& e, const Hash& prev) {
    e.payload_hash = Sha256::of(e.payload);
    e.prev_hash = prev;
    e.hash = format::chain_hash(prev, format::canonical_bytes(e));
  }
};

// Opens the ledger as `ftl verify` does and verifies it; a ledger that does not open says why.
Status verify(const std::string& path, std::optional<Digest> digest = std::nullopt, unsigned threads = 0) {
  OpenOptions ro;
  ro.read_only = true;
  ro.whole_ledger = true;
  ro.defer_head_check = true;
  auto l = Ledger::Open(path, ro);
  if (!l.ok()) return l.status();
  VerifyOptions vo;
  vo.digest = digest;
  vo.threads = threads;
  return (*l)->verify(vo).status();
}

// Builds the ledger, applies `forge` through raw RocksDB with the ledger closed, and returns
// what verify says.
template <class Fn>
std::string verify_after(const TempDir& dir, Fn forge) {
  build(dir.sub("db"));
  {
    Raw raw(dir.sub("db"));
    forge(raw);
  }
  return verify(dir.sub("db")).message();
}

}  // namespace

TEST_CASE("an untouched ledger verifies, with and without its digest", "[verify]") {
  TempDir dir;
  auto d = build(dir.sub("db"));
  CHECK(verify(dir.sub("db")).ok());
  CHECK(verify(dir.sub("db"), d).ok());
}

TEST_CASE("verify names an event whose payload was changed (V3)", "[verify][tamper]") {
  TempDir dir;
  auto message = verify_after(dir, [](Raw& raw) {
    auto e = raw.get(5);
    e.payload = "payload X";  // same length, different bytes; hashes untouched
    raw.put(5, e);
  });
  CHECK_THAT(message, Catch::StartsWith("event 5 breaks V3"));
}

TEST_CASE("verify names an event whose envelope was changed (V5)", "[verify][tamper]") {
  TempDir dir;
  auto message = verify_after(dir, [](Raw& raw) {
    auto e = raw.get(7);
    e.actor = "mallory";
    raw.put(7, e);
  });
  CHECK_THAT(message, Catch::StartsWith("event 7 breaks V5"));
}

TEST_CASE("an event changed and re-hashed breaks the link of the next one (V4)", "[verify][tamper]") {
  TempDir dir;
  auto message = verify_after(dir, [](Raw& raw) {
    auto e = raw.get(6);
    e.payload = "a different story";
    raw.rehash(e, e.prev_hash);
    raw.put(6, e);
  });
  CHECK_THAT(message, Catch::StartsWith("event 7 breaks V4"));
}

TEST_CASE("verify names a dropped event (V1)", "[verify][tamper]") {
  TempDir dir;
  auto message = verify_after(dir, [](Raw& raw) { REQUIRE(raw.db->Delete({}, raw.cf[1], format::sequence_key(4)).ok()); });
  CHECK_THAT(message, Catch::StartsWith("event 4 breaks V1") && Catch::Contains("dropped"));
}

TEST_CASE("verify names reordered events (V2)", "[verify][tamper]") {
  TempDir dir;
  auto message = verify_after(dir, [](Raw& raw) {
    auto a = raw.get(4), b = raw.get(5);
    raw.put(4, b);
    raw.put(5, a);
  });
  CHECK_THAT(message, Catch::StartsWith("event 4 breaks V2") && Catch::Contains("reordered"));
}

TEST_CASE("verify names an inserted event", "[verify][tamper]") {
  TempDir dir;
  auto message = verify_after(dir, [](Raw& raw) {
    // Shift 5..N up by one (renumbering them) and chain a forged event in at 5.
    for (std::uint64_t s = kEvents; s >= 5; --s) {
      auto e = raw.get(s);
      e.sequence = s + 1;
      raw.put(s + 1, e);
    }
    auto forged = raw.get(4);
    forged.sequence = 5;
    forged.event_id = "forged";
    forged.payload = "inserted later";
    raw.rehash(forged, raw.get(4).hash);
    raw.put(5, forged);
  });
  // The forged event chains, but no index knows it.
  CHECK_THAT(message, Catch::StartsWith("event 5 breaks V7"));
}

TEST_CASE("verify notices events dropped from the end (V10)", "[verify][tamper]") {
  TempDir dir;
  auto message =
      verify_after(dir, [](Raw& raw) { REQUIRE(raw.db->Delete({}, raw.cf[1], format::sequence_key(kEvents)).ok()); });
  CHECK_THAT(message, Catch::Contains("V10") && Catch::Contains("dropped from the end"));
}

TEST_CASE("verify notices a missing, a wrong and a forged index entry (V7, V8, V9)", "[verify][index]") {
  SECTION("stream index entry deleted") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) {
      auto e = raw.get(9);
      REQUIRE(raw.db->Delete({}, raw.cf[2], format::stream_key(e.stream, e.stream_version)).ok());
    });
    CHECK_THAT(message, Catch::StartsWith("event 9 breaks V7"));
  }
  SECTION("forged actor index entry") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) {
      REQUIRE(raw.db->Put({}, raw.cf[3], format::actor_key("mallory", 3), "").ok());
    });
    CHECK_THAT(message, Catch::Contains("actor index") && Catch::Contains("V8"));
  }
  SECTION("event id index points elsewhere") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) {
      REQUIRE(raw.db->Put({}, raw.cf[4], "id-3", format::sequence_key(4)).ok());
    });
    CHECK_THAT(message, Catch::StartsWith("event 3 breaks V9"));
  }
  SECTION("stream versions out of order") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) {
      REQUIRE(raw.db->Put({}, raw.cf[2], format::stream_key("s/0", 9), format::sequence_key(3)).ok());
    });
    CHECK_THAT(message, Catch::Contains("V6") || Catch::Contains("V7"));
  }
}

namespace {
// Rewrites events 3..N and the head consistently, as a forger who knows the format would.
void rewrite_chain(const std::string& path) {
  Raw raw(path);
  Hash prev = raw.get(2).hash;
  for (std::uint64_t s = 3; s <= kEvents; ++s) {
    auto e = raw.get(s);
    if (s == 3) e.payload = "rewritten history";
    raw.rehash(e, prev);
    raw.put(s, e);
    prev = e.hash;
  }
  REQUIRE(raw.db->Put({}, raw.cf[0], std::string(format::kMetaHeadKey), format::head_value({kEvents, prev})).ok());
}
}  // namespace

TEST_CASE("a consistently rewritten chain fails against the head the ledger acknowledged", "[verify][digest]") {
  TempDir dir;
  build(dir.sub("db"));
  rewrite_chain(dir.sub("db"));
  auto s = verify(dir.sub("db"));
  CHECK(s.code() == Code::kCorruption);
  CHECK_THAT(s.message(), Catch::StartsWith("event 12 breaks V10") && Catch::Contains("acknowledged") &&
                              Catch::Contains("rewritten"));
  OpenOptions view;
  view.read_only = true;
  auto reader = Ledger::Open(dir.sub("db"), view);  // a view refuses it too
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.status().code() == Code::kCorruption);
}

TEST_CASE("a rewritten chain whose head file and its marker are gone too verifies alone but fails against an earlier digest",
          "[verify][digest]") {
  TempDir dir;
  auto digest = build(dir.sub("db"));
  rewrite_chain(dir.sub("db"));
  std::filesystem::remove(dir.sub("db") + "/" + format::kHeadFileName);
  {
    Raw raw(dir.sub("db"));
    REQUIRE(raw.db->Delete({}, raw.cf[0], std::string(format::kMetaHeadFileKey)).ok());
  }
  CHECK(verify(dir.sub("db")).ok());
  auto s = verify(dir.sub("db"), digest);
  CHECK(s.code() == Code::kCorruption);
  CHECK_THAT(s.message(), Catch::StartsWith("event 8 breaks V10") && Catch::Contains("rewritten"));
}

TEST_CASE("verify --from starts mid-chain and still checks the links from there", "[verify]") {
  TempDir dir;
  build(dir.sub("db"));
  {
    Raw raw(dir.sub("db"));
    auto e = raw.get(10);
    e.actor = "mallory";
    raw.put(10, e);
  }
  OpenOptions ro;
  ro.read_only = true;
  auto l = test::open_ledger(dir.sub("db"), ro);
  VerifyOptions vo;
  vo.from_sequence = 9;
  auto r = l->verify(vo);
  CHECK_THAT(r.status().message(), Catch::StartsWith("event 10 breaks V5"));
  vo.from_sequence = 11;
  CHECK(l->verify(vo).ok());
}

TEST_CASE("reading through an index names an entry whose event is gone, after the events before it", "[verify][index]") {
  TempDir dir;
  build(dir.sub("db"));
  {
    Raw raw(dir.sub("db"));
    REQUIRE(raw.db->Delete({}, raw.cf[1], format::sequence_key(9)).ok());  // event 9 is version 3 of s/0
  }
  OpenOptions ro;
  ro.read_only = true;
  auto l = test::open_ledger(dir.sub("db"), ro);
  std::vector<std::uint64_t> seen;
  auto c = l->scan_stream("s/0");
  for (; c->valid(); c->next()) seen.push_back(c->event().sequence);
  CHECK(seen == std::vector<std::uint64_t>{3, 6});
  CHECK(c->status().code() == Code::kCorruption);
  CHECK_THAT(c->status().message(), Catch::Contains("points to event 9, which is missing"));

  seen.clear();
  auto a = l->scan_actor("ana");  // odd sequences
  for (; a->valid(); a->next()) seen.push_back(a->event().sequence);
  CHECK(seen == std::vector<std::uint64_t>{1, 3, 5, 7});
  CHECK_THAT(a->status().message(), Catch::Contains("event 9, which is missing"));
}

TEST_CASE("verify accounts for every metadata key (V11) and the stream count (V12)", "[verify][meta]") {
  SECTION("a key no rule accounts for") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) { REQUIRE(raw.db->Put({}, raw.cf[0], "owner", "mallory").ok()); });
    CHECK_THAT(message, Catch::Contains("6F776E6572") && Catch::Contains("V11"));
  }
  SECTION("a forged stream count") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) {
      REQUIRE(raw.db->Put({}, raw.cf[0], std::string(format::kMetaStreamsKey), format::sequence_key(7)).ok());
    });
    CHECK_THAT(message, Catch::Contains("V12") && Catch::Contains("it says 7, but the stream index holds 3 streams"));
  }
  SECTION("an event key past the head") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) {
      auto e = raw.get(kEvents);
      e.sequence = 100;
      raw.put(100, e);
    });
    CHECK_THAT(message, Catch::Contains("V10") || Catch::Contains("V1"));
  }
  SECTION("an event key that is not a sequence, among the others") {
    TempDir dir;
    auto message = verify_after(dir, [](Raw& raw) {
      REQUIRE(raw.db->Put({}, raw.cf[1], format::sequence_key(5) + "x", "junk").ok());
    });
    CHECK_THAT(message, Catch::Contains("000000000000000578") && Catch::Contains("V1"));
  }
}

TEST_CASE("verify walks in chunks on several threads and names the same first failure", "[verify][threads]") {
  TempDir dir;
  build(dir.sub("db"));
  auto run = [&](unsigned threads, std::uint64_t chunk) {
    OpenOptions ro;
    ro.read_only = true;
    ro.whole_ledger = true;
    ro.defer_head_check = true;
    auto l = Ledger::Open(dir.sub("db"), ro);
    REQUIRE(l.ok());
    VerifyOptions vo;
    vo.threads = threads;
    vo.chunk_events = chunk;
    return (*l)->verify(vo);
  };
  for (unsigned threads : {1u, 2u, 5u})
    for (std::uint64_t chunk : {1u, 2u, 5u, 100u}) {
      INFO("threads " << threads << ", chunk " << chunk);
      auto r = run(threads, chunk);
      REQUIRE(r.ok());
      CHECK(r->events_checked == kEvents);
    }
  {
    Raw raw(dir.sub("db"));
    auto e = raw.get(6);  // the first event of a chunk of 5
    e.payload = "a different story";
    raw.rehash(e, e.prev_hash);
    raw.put(6, e);
    auto f = raw.get(9);
    f.actor = "mallory";
    raw.put(9, f);
  }
  for (unsigned threads : {1u, 2u, 5u})
    for (std::uint64_t chunk : {1u, 5u, 100u}) {
      INFO("threads " << threads << ", chunk " << chunk);
      CHECK_THAT(run(threads, chunk).status().message(), Catch::StartsWith("event 7 breaks V4"));
    }
}

TEST_CASE("views check what they read: a changed payload or envelope stops the read, naming the event", "[verify][views]") {
  TempDir dir;
  build(dir.sub("db"));
  SECTION("payload byte") {
    {
      Raw raw(dir.sub("db"));
      auto e = raw.get(5);
      e.payload[0] ^= 1;
      raw.put(5, e);
    }
    OpenOptions ro;
    ro.read_only = true;
    auto l = test::open_ledger(dir.sub("db"), ro);
    auto c = l->scan_stream("s/2");  // 2, 5, 8, 11
    std::vector<std::uint64_t> seen;
    for (; c->valid(); c->next()) seen.push_back(c->event().sequence);
    CHECK(seen == std::vector<std::uint64_t>{2});
    CHECK_THAT(c->status().message(), Catch::StartsWith("event 5 breaks V3"));
    CHECK_THAT(l->get(5).status().message(), Catch::StartsWith("event 5 breaks V3"));
  }
  SECTION("actor byte") {
    {
      Raw raw(dir.sub("db"));
      auto e = raw.get(7);
      e.actor = "mallory";
      raw.put(7, e);
    }
    OpenOptions ro;
    ro.read_only = true;
    auto l = test::open_ledger(dir.sub("db"), ro);
    auto c = l->scan_actor("ana");  // 1, 3, 5, 7, ...
    std::vector<std::uint64_t> seen;
    for (; c->valid(); c->next()) seen.push_back(c->event().sequence);
    CHECK(seen == std::vector<std::uint64_t>{1, 3, 5});
    CHECK_THAT(c->status().message(), Catch::StartsWith("event 7 breaks V5"));
    auto s = l->scan(1);
    seen.clear();
    for (; s->valid(); s->next()) seen.push_back(s->event().sequence);
    CHECK(seen.size() == 6);
    CHECK(s->status().code() == Code::kCorruption);
  }
}

TEST_CASE("a forged index entry is refused where it is read, not only by verify", "[verify][index][views]") {
  TempDir dir;
  build(dir.sub("db"));
  OpenOptions ro;
  ro.read_only = true;
  SECTION("an event id mapped to another event: the lookup says so (V9)") {
    {
      Raw raw(dir.sub("db"));
      REQUIRE(raw.db->Put({}, raw.cf[4], "id-3", format::sequence_key(4)).ok());
    }
    auto l = test::open_ledger(dir.sub("db"), ro);
    auto e = l->get_by_id("id-3");
    REQUIRE_FALSE(e.ok());
    CHECK_THAT(e.status().message(), Catch::StartsWith("event 4 breaks V9") && Catch::Contains("id-3"));
  }
  SECTION("a stream entry deleted in the middle: the stream's cursor stops there (V7)") {
    {
      Raw raw(dir.sub("db"));
      REQUIRE(raw.db->Delete({}, raw.cf[2], format::stream_key("s/0", 2)).ok());  // s/0 is 3, 6, 9, 12
    }
    auto l = test::open_ledger(dir.sub("db"), ro);
    std::vector<std::uint64_t> seen;
    auto c = l->scan_stream("s/0");
    for (; c->valid(); c->next()) seen.push_back(c->event().sequence);
    CHECK(seen == std::vector<std::uint64_t>{3});
    CHECK_THAT(c->status().message(), Catch::Contains("no entry for s/0 version 2") && Catch::Contains("V7"));
  }
}

TEST_CASE("recorded time that runs backwards, or lies outside 1970 to 3000, breaks V13", "[verify][time]") {
  TempDir dir;
  SECTION("backwards") {
    auto message = verify_after(dir, [](Raw& raw) {
      auto e = raw.get(6);
      e.recorded_us = raw.get(5).recorded_us - 1;
      raw.rehash(e, e.prev_hash);
      raw.put(6, e);
      auto next = raw.get(7);  // the link after it, made good again
      raw.rehash(next, e.hash);
      raw.put(7, next);
      Hash prev = next.hash;
      for (std::uint64_t s = 8; s <= kEvents; ++s) {
        auto x = raw.get(s);
        raw.rehash(x, prev);
        raw.put(s, x);
        prev = x.hash;
      }
      REQUIRE(raw.db->Put({}, raw.cf[0], std::string(format::kMetaHeadKey), format::head_value({kEvents, prev})).ok());
      REQUIRE(raw.db->Delete({}, raw.cf[0], std::string(format::kMetaHeadFileKey)).ok());
    });
    std::filesystem::remove(dir.sub("db") + "/" + format::kHeadFileName);
    CHECK_THAT(verify(dir.sub("db")).message(), Catch::StartsWith("event 6 breaks V13") && Catch::Contains("never runs backwards"));
  }
  SECTION("before 1970") {
    auto message = verify_after(dir, [](Raw& raw) {
      auto e = raw.get(kEvents);
      e.effective_us = -1;
      raw.rehash(e, e.prev_hash);
      raw.put(kEvents, e);
      REQUIRE(raw.db->Put({}, raw.cf[0], std::string(format::kMetaHeadKey), format::head_value({kEvents, e.hash})).ok());
      REQUIRE(raw.db->Delete({}, raw.cf[0], std::string(format::kMetaHeadFileKey)).ok());
    });
    std::filesystem::remove(dir.sub("db") + "/" + format::kHeadFileName);
    CHECK_THAT(verify(dir.sub("db")).message(), Catch::StartsWith("event 12 breaks V13") && Catch::Contains("outside 1970 to 3000"));
  }
}
