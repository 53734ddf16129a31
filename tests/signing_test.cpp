// What the key signs is checked first: a node of the stored Merkle tree altered in the files
// (as anyone who can write the database could) is never signed, nor made into a proof or a
// bundle; the checkpoint signed last (KEY.checkpoint) makes later signings check only what
// came after it (kept beside the key file, out of the ledger's reach), and a ledger that no
// longer extends it is refused as a fork.
#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include <filesystem>

#include "engine/checkpoint.h"
#include "engine/operations.h"
#include "ledger/format.h"
#include "ledger/merkle.h"
#include "testutil.h"

using namespace ftl;
using namespace ftl::engine;
using test::TempDir;

namespace {


// Overwrites the stored node of the 16 events starting at event 16 * index + 1.
void forge_node(const std::string& db, std::uint64_t index) {
  test::RawLedger raw(db);
  REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kTree], format::tree_key(4, index), std::string(32, '\x42')).ok());
}

// The hash of events 17..32 as the leaves give it.
Hash honest_node(const std::string& db) {
  OpenOptions o;
  o.read_only = true;
  auto l = Ledger::Open(db, o);
  REQUIRE(l.ok());
  merkle::Frontier edge;
  for (std::uint64_t s = 17; s <= 32; ++s) edge.push(merkle::leaf_hash(canonical_of(*(*l)->get(s))));
  return edge.root();
}

struct Fixture {
  TempDir dir;
  std::string db = dir.sub("db");
  SignerKey key = file_key(dir.sub("ledger.key"));
  std::unique_ptr<Ledger> ledger = test::open_ledger(db);
  Fixture() { test::append_events(*ledger, 100, "e"); }
  static SignerKey file_key(const std::string& file) {
    REQUIRE(write_signer_file(file, *generate_signer("ledger.example"), "").ok());
    return *read_signer_file(file, "");
  }
  std::string record() const { return key.file + ".checkpoint"; }
  void reopen(const std::function<void()>& between = {}) {
    ledger.reset();
    if (between) between();
    ledger = test::open_ledger(db);
  }
  bool anchored() const { return std::filesystem::exists(record()); }
};

}  // namespace

TEST_CASE("the first checkpoint checks the whole tree against the events: an altered node is never signed", "[signing]") {
  Fixture f;
  const auto honest = *f.ledger->tree_root(100);
  f.ledger.reset();
  const auto node = honest_node(f.db);
  f.reopen([&] { forge_node(f.db, 1); });  // events 17..32
  REQUIRE_FALSE(f.anchored());
  auto signed_ = sign_checkpoint(*f.ledger, f.key);
  REQUIRE_FALSE(signed_.ok());
  CHECK(signed_.status().tag() == "tree.damaged");
  CHECK_FALSE(f.anchored());  // nothing signed, nothing kept
  // With the honest node put back, the same tree signs, with the honest root.
  f.reopen([&] {
    test::RawLedger raw(f.db);
    REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kTree], format::tree_key(4, 1), std::string(merkle::bytes(node))).ok());
  });
  auto again = sign_checkpoint(*f.ledger, f.key);
  REQUIRE(again.ok());
  CHECK(open_checkpoint(*again, f.key.verifier())->root == honest);
}

TEST_CASE("after a checkpoint, a node altered under it is a fork, and one after it is damage", "[signing]") {
  Fixture f;
  auto first = sign_checkpoint(*f.ledger, f.key);
  REQUIRE(first.ok());
  REQUIRE(f.anchored());
  auto cp = *open_checkpoint(*first, f.key.verifier());
  CHECK(cp.size == 100);
  CHECK(cp.root == *f.ledger->tree_root(100));
  test::append_events(*f.ledger, 60, "later");  // 160: events 97..112 make node 6, 113..128 node 7

  SECTION("a later signing reads only what came after the last, and signs the honest root") {
    std::uint64_t read = 0;
    auto next = sign_checkpoint(*f.ledger, f.key, 0, [&](std::uint64_t done, std::uint64_t) { read = done; });
    REQUIRE(next.ok());
    CHECK(read == 60);
    CHECK(open_checkpoint(*next, f.key.verifier())->root == *f.ledger->tree_root(160));
    // A smaller tree is checked through a consistency proof to the one signed.
    auto older = sign_checkpoint(*f.ledger, f.key, 50);
    REQUIRE(older.ok());
    CHECK(open_checkpoint(*older, f.key.verifier())->size == 50);
    CHECK(open_checkpoint(test::read_file(f.record()), f.key.verifier())->size == 160);  // the largest is kept
  }
  SECTION("a node of the signed part altered: refused as a fork, at the head and below it") {
    f.reopen([&] { forge_node(f.db, 2); });  // events 33..48, under the checkpoint of 100
    auto next = sign_checkpoint(*f.ledger, f.key);
    REQUIRE_FALSE(next.ok());
    CHECK(next.status().tag() == "checkpoint.fork");
    CHECK_THAT(next.status().message(), Catch::Contains("a tree of 100 events"));
    CHECK(sign_checkpoint(*f.ledger, f.key, 64).status().tag() == "checkpoint.fork");
    CHECK(sign_checkpoint(*f.ledger, f.key, 100).status().tag() == "checkpoint.fork");
  }
  SECTION("a node after the signed part altered: refused as damage") {
    f.reopen([&] { forge_node(f.db, 7); });  // events 113..128
    auto next = sign_checkpoint(*f.ledger, f.key);
    REQUIRE_FALSE(next.ok());
    CHECK(next.status().tag() == "tree.damaged");
    CHECK(open_checkpoint(test::read_file(f.record()), f.key.verifier())->size == 100);  // unchanged
  }
  SECTION("a record that is not this key's checkpoint is damage: nothing is signed, whatever the tree") {
    auto other = *generate_signer("ledger.example");
    test::write_file(f.record(), *sign_checkpoint(*f.ledger, other));
    CHECK(sign_checkpoint(*f.ledger, f.key).status().tag() == "checkpoint.state");
    test::write_file(f.record(), "garbage\n");
    CHECK(sign_checkpoint(*f.ledger, f.key).status().tag() == "checkpoint.state");
    std::filesystem::remove(f.record());
    std::filesystem::create_directory(f.record());
    CHECK(sign_checkpoint(*f.ledger, f.key).status().tag() == "checkpoint.state");
    // Removed (knowingly), the next signature checks the whole tree again.
    std::filesystem::remove(f.record());
    std::uint64_t read = 0;
    auto next = sign_checkpoint(*f.ledger, f.key, 0, [&](std::uint64_t done, std::uint64_t) { read = done; });
    REQUIRE(next.ok());
    CHECK(read == 160);
  }
  SECTION("another ledger signed with the key is a fork: one key, one history") {
    TempDir other;
    auto copy = test::open_ledger(other.sub("db"));
    test::append_events(*copy, 200, "elsewhere");
    CHECK(sign_checkpoint(*copy, f.key).status().tag() == "checkpoint.fork");
  }
  SECTION("proofs made of altered nodes are refused before they leave") {
    const auto later = *sign_checkpoint(*f.ledger, f.key);
    f.reopen([&] { forge_node(f.db, 1); });
    Call call{*f.ledger, "tester", "", {}, {}, "", f.key.file};
    auto inclusion = run_operation(call, "proof.inclusion", {{"event", "20"}, {"checkpoint", later}});
    REQUIRE_FALSE(inclusion.ok());
    CHECK((inclusion.status().tag() == "tree.damaged" || inclusion.status().tag() == "proof.mismatch"));
    auto consistency = run_operation(call, "proof.consistency", {{"first", *first}, {"second", later}});
    REQUIRE_FALSE(consistency.ok());
    CHECK((consistency.status().tag() == "tree.damaged" || consistency.status().tag() == "proof.mismatch"));
  }
}

TEST_CASE("an empty ledger's checkpoint is the empty tree's, signed", "[signing]") {
  TempDir dir;
  auto ledger = test::open_ledger(dir.sub("db"));
  auto key = *generate_signer("ledger.example");
  auto note = sign_checkpoint(*ledger, key);
  REQUIRE(note.ok());
  auto cp = open_checkpoint(*note, key.verifier());
  REQUIRE(cp.ok());
  CHECK(cp->size == 0);
  CHECK(cp->root == merkle::empty_root());
  test::append_events(*ledger, 20, "e");
  CHECK(sign_checkpoint(*ledger, key).ok());  // from the empty tree on: the events are all new
}
