// The Merkle tree as the ledger keeps it: built in the batch of its events, whatever the group
// sizes; the same after a reopen; gained by a ledger made before it; and every forgery of its
// stored nodes named by verify (T1..T3).
#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include "ledger/format.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"
#include "testutil.h"

using namespace ftl;
using test::RawLedger;
using test::TempDir;

namespace {

void append_events(Ledger& l, int n, const std::string& prefix, int per_request = 1) {
  for (int i = 0; i < n; i += per_request) {
    AppendRequest r{"test/" + std::to_string(i % 5), ExpectedVersion::Any(), {}};
    for (int k = 0; k < per_request && i + k < n; ++k)
      r.events.push_back({prefix + "-" + std::to_string(i + k), "TestEvent", 1, "tester", std::nullopt, "payload " + std::to_string(i + k)});
    REQUIRE(l.append(r).ok());
  }
}

// The leaves read back, and the root of each prefix computed from them alone.
std::vector<Hash> leaves_of(Ledger& l) {
  std::vector<Hash> out;
  auto c = l.scan(1);
  for (; c->valid(); c->next()) out.push_back(merkle::leaf_hash(canonical_of(c->event())));
  REQUIRE(c->status().ok());
  return out;
}
Hash root_of(const std::vector<Hash>& leaves, std::size_t n) {
  merkle::Frontier f;
  for (std::size_t i = 0; i < n; ++i) f.push(leaves[i]);
  return f.root();
}

void check_tree(Ledger& l) {
  const auto leaves = leaves_of(l);
  const auto n = leaves.size();
  REQUIRE(n == l.head().sequence);
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{255},
                           std::size_t{256}, std::size_t{257}, n - 1, n}) {
    if (size > n) continue;
    INFO("size " << size);
    auto root = l.tree_root(size);
    REQUIRE(root.ok());
    CHECK(*root == root_of(leaves, size));
  }
  const auto root = root_of(leaves, n);
  for (std::uint64_t seq : {std::uint64_t{1}, std::uint64_t{16}, std::uint64_t{17}, std::uint64_t{200}, n / 2, std::uint64_t{n}}) {
    auto proof = l.inclusion_proof(seq, n);
    REQUIRE(proof.ok());
    INFO("event " << seq);
    CHECK(merkle::verify_inclusion(seq - 1, n, merkle::bytes(leaves[seq - 1]), merkle::as_bytes(*proof), merkle::bytes(root)).ok());
  }
  for (std::uint64_t first : {std::uint64_t{1}, std::uint64_t{7}, std::uint64_t{16}, std::uint64_t{256}, std::uint64_t{n - 1}}) {
    auto proof = l.consistency_proof(first, n);
    REQUIRE(proof.ok());
    INFO("from " << first);
    CHECK(merkle::verify_consistency(first, n, merkle::as_bytes(*proof), merkle::bytes(root_of(leaves, first)), merkle::bytes(root)).ok());
  }
}

Status verify_of(const std::string& db) {
  OpenOptions ro;
  ro.read_only = true;
  ro.whole_ledger = true;
  auto l = Ledger::Open(db, ro);
  if (!l.ok()) return l.status();
  VerifyOptions vo;
  vo.chunk_events = 32;  // several chunks: nodes inside them and above them
  auto r = (*l)->verify(vo);
  return r.ok() ? Status::Ok() : r.status();
}

}  // namespace

TEST_CASE("the tree is built with its events, by single appends, batches and concurrent groups, and survives a reopen", "[tree]") {
  TempDir dir;
  const auto db = dir.sub("db");
  {
    auto l = test::open_ledger(db);
    append_events(*l, 40, "single");
    append_events(*l, 130, "batch", 13);
    std::vector<std::thread> ts;
    for (int t = 0; t < 8; ++t) ts.emplace_back([&, t] { append_events(*l, 20, "thread" + std::to_string(t)); });
    for (auto& t : ts) t.join();
    REQUIRE(l->head().sequence == 330);
    check_tree(*l);
    CHECK(l->tree_root(331).status().tag() == "tree.size");
    CHECK(l->inclusion_proof(0, 330).status().tag() == "tree.sequence");
    CHECK(l->consistency_proof(0, 330).status().tag() == "tree.size");
  }
  {
    // A writer reads the right edge from the stored nodes and goes on from it.
    auto l = test::open_ledger(db);
    append_events(*l, 9, "after");
    check_tree(*l);
  }
  OpenOptions ro;
  ro.read_only = true;
  auto r = test::open_ledger(db, ro);
  check_tree(*r);
  CHECK(verify_of(db).ok());
}

TEST_CASE("a ledger made before the tree gains it at its first writing open, with progress, and resumes an interrupted upgrade", "[tree]") {
  TempDir dir;
  const auto db = dir.sub("db");
  { append_events(*test::open_ledger(db), 300, "e", 7); }
  Hash expected;
  {
    OpenOptions ro;
    ro.read_only = true;
    expected = *test::open_ledger(db, ro)->tree_root(300);
  }
  {
    RawLedger raw(db);
    REQUIRE(raw.db->DropColumnFamily(raw.cf[RawLedger::kTree]).ok());
    REQUIRE(raw.db->Delete({}, raw.cf[RawLedger::kDefault], std::string(format::kMetaTreeKey)).ok());
  }
  {
    OpenOptions ro;
    ro.read_only = true;
    auto l = test::open_ledger(db, ro);  // a reader opens it as it is
    CHECK(l->tree_root(300).status().tag() == "tree.incomplete");
    auto v = l->verify({});
    REQUIRE(v.ok());
    CHECK(v->tree_size == 0);
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen;
  {
    OpenOptions o;
    o.upgrade_progress = [&](std::uint64_t done, std::uint64_t total) { seen.emplace_back(done, total); };
    auto l = test::open_ledger(db, o);
    REQUIRE(!seen.empty());
    CHECK(seen.back() == std::pair<std::uint64_t, std::uint64_t>{300, 300});
    CHECK(*l->tree_root(300) == expected);
    check_tree(*l);
  }
  // Interrupted between two batches of an upgrade: the tree covers the first 65,536 events,
  // with the nodes inside them; any other count is a forgery (T3).
  {
    auto l = test::open_ledger(db);
    for (int b = 0; b < 70; ++b) append_events(*l, 1000, "bulk" + std::to_string(b), 1000);
    REQUIRE(l->head().sequence == 70300);
    expected = *l->tree_root(70300);
  }
  {
    RawLedger raw(db);
    std::string size;
    format::put_u64(size, 65536);
    REQUIRE(raw.db->Put({}, raw.cf[RawLedger::kDefault], std::string(format::kMetaTreeKey), size).ok());
    for (unsigned level = 4; level <= 16; level += 4)
      for (std::uint64_t i = 65536u >> level; i <= (70300u >> level); ++i)
        REQUIRE(raw.db->Delete({}, raw.cf[RawLedger::kTree], format::tree_key(level, i)).ok());
  }
  CHECK(verify_of(db).ok());  // what it covers is whole
  {
    RawLedger raw(db);
    std::string size;
    format::put_u64(size, 65520);
    REQUIRE(raw.db->Put({}, raw.cf[RawLedger::kDefault], std::string(format::kMetaTreeKey), size).ok());
  }
  CHECK(verify_of(db).message().find("T3") != std::string::npos);
  {
    RawLedger raw(db);
    std::string size;
    format::put_u64(size, 65536);
    REQUIRE(raw.db->Put({}, raw.cf[RawLedger::kDefault], std::string(format::kMetaTreeKey), size).ok());
  }
  seen.clear();
  {
    OpenOptions o;
    o.upgrade_progress = [&](std::uint64_t done, std::uint64_t total) { seen.emplace_back(done, total); };
    auto l = test::open_ledger(db, o);
    REQUIRE(!seen.empty());
    CHECK(seen.back() == std::pair<std::uint64_t, std::uint64_t>{70300 - 65536, 70300 - 65536});
    CHECK(*l->tree_root(70300) == expected);
  }
  auto v = verify_of(db);
  INFO(v.message());
  CHECK(v.ok());
}

TEST_CASE("verify names every forgery of the stored tree", "[tree][forgery]") {
  TempDir dir;
  const auto db = dir.sub("db");
  { append_events(*test::open_ledger(db), 300, "e", 3); }
  REQUIRE(verify_of(db).ok());
  const std::string meta_tree(format::kMetaTreeKey);
  struct Forgery {
    const char* what;
    std::function<void(RawLedger&)> forge;
    const char* says;
  };
  std::string saved;
  const std::vector<Forgery> forgeries = {
      {"a level-4 node changed", [](RawLedger& r) { REQUIRE(r.db->Put({}, r.cf[RawLedger::kTree], format::tree_key(4, 3), std::string(32, 'x')).ok()); },
       "T1: its node for events 49 to 64 does not match"},
      {"the level-8 node changed", [](RawLedger& r) { REQUIRE(r.db->Put({}, r.cf[RawLedger::kTree], format::tree_key(8, 0), std::string(32, 'y')).ok()); },
       "T1: its node for events 1 to 256 does not match"},
      {"a node dropped", [](RawLedger& r) { REQUIRE(r.db->Delete({}, r.cf[RawLedger::kTree], format::tree_key(4, 17)).ok()); },
       "T2: it has no node for events 273 to 288"},
      {"a node past the events", [](RawLedger& r) { REQUIRE(r.db->Put({}, r.cf[RawLedger::kTree], format::tree_key(4, 18), std::string(32, 'z')).ok()); },
       "T2: it holds a node for events 289 to 304"},
      {"a node of a level that is not stored", [](RawLedger& r) { REQUIRE(r.db->Put({}, r.cf[RawLedger::kTree], format::tree_key(3, 0), std::string(32, 'z')).ok()); },
       "T2: its key"},
      {"a short node", [](RawLedger& r) { REQUIRE(r.db->Put({}, r.cf[RawLedger::kTree], format::tree_key(4, 0), std::string(31, 'z')).ok()); },
       "not 32"},
      {"an index past any ledger", [](RawLedger& r) { REQUIRE(r.db->Put({}, r.cf[RawLedger::kTree], format::tree_key(4, std::uint64_t{1} << 60), std::string(32, 'z')).ok()); },
       "past the last event a ledger can hold"},
      {"the tree size lowered, a node dropped with it",
       [](RawLedger& r) {
         std::string v;
         format::put_u64(v, 288);
         REQUIRE(r.db->Put({}, r.cf[RawLedger::kDefault], std::string(format::kMetaTreeKey), v).ok());
         REQUIRE(r.db->Delete({}, r.cf[RawLedger::kTree], format::tree_key(4, 18)).ok());
       },
       "T3"},
      {"the tree size past the head",
       [](RawLedger& r) {
         std::string v;
         format::put_u64(v, 301);
         REQUIRE(r.db->Put({}, r.cf[RawLedger::kDefault], std::string(format::kMetaTreeKey), v).ok());
       },
       "T3"},
  };
  for (const auto& f : forgeries) {
    INFO(f.what);
    TempDir copy;
    std::filesystem::copy(db, copy.sub("db"), std::filesystem::copy_options::recursive);
    {
      RawLedger raw(copy.sub("db"));
      f.forge(raw);
    }
    auto st = verify_of(copy.sub("db"));
    INFO(st.message());
    CHECK(st.code() == Code::kCorruption);
    CHECK(st.message().find(f.says) != std::string::npos);
  }
}

TEST_CASE("a proof read through a forged node does not verify against the true root", "[tree][forgery]") {
  TempDir dir;
  const auto db = dir.sub("db");
  { append_events(*test::open_ledger(db), 100, "e"); }
  OpenOptions ro;
  ro.read_only = true;
  const auto leaves = leaves_of(*test::open_ledger(db, ro));
  const auto root = root_of(leaves, 100);
  {
    RawLedger raw(db);
    REQUIRE(raw.db->Put({}, raw.cf[RawLedger::kTree], format::tree_key(4, 0), std::string(32, 'x')).ok());
  }
  auto l = test::open_ledger(db, ro);
  auto proof = l->inclusion_proof(50, 100);  // its path passes the subtree of events 1..16
  REQUIRE(proof.ok());
  CHECK_FALSE(merkle::verify_inclusion(49, 100, merkle::bytes(leaves[49]), merkle::as_bytes(*proof), merkle::bytes(root)).ok());
  CHECK(*l->tree_root(100) != root);
}
