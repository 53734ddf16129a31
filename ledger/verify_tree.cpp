// verify's part for the Merkle tree (ledger/FORMAT.md "The Merkle tree", rules T1..T3). The
// walk of the events recomputes every stored node into a fingerprint (ledger/verify.cpp); here
// the tree column family is read into the same fingerprint, and, only when the two differ, the
// nodes are recomputed one by one, lowest level first, to name the first that is wrong.
#include <rocksdb/db.h>

#include "ledger/format.h"
#include "ledger/rocks_ledger.h"
#include "ledger/verify_detail.h"

namespace ftl {


namespace verify_detail {

IndexScan scan_tree(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tree, const rocksdb::ReadOptions& ro, const Fingerprint& fp,
                    std::uint64_t tree_size) {
  IndexScan out;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, tree));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto k = it->key().ToStringView();
    const auto v = it->value().ToStringView();
    const unsigned level = k.empty() ? 0 : static_cast<unsigned char>(k[0]);
    if (k.size() != 9 || !format::stored_level(level) || level >= 64) {
      out.failure.note(0, Status::Corruption("the tree breaks T2: its key " + it->key().ToString(true) + " is no stored node's"));
      return out;
    }
    const std::uint64_t index = format::get_u64(k.data() + 1);
    if (index > (~std::uint64_t{0} >> level)) {
      out.failure.note(0, Status::Corruption("the tree breaks T2: its key " + it->key().ToString(true) +
                                             " names a subtree past the last event a ledger can hold"));
      return out;
    }
    if (index >= (tree_size >> level)) {
      out.failure.note(0, Status::Corruption("the tree breaks T2: it holds a node for " + verify_detail::subtree_events(level, index) +
                                             ", past the " + std::to_string(tree_size) + " events it covers"));
      return out;
    }
    if (v.size() != 32) {
      out.failure.note(0, Status::Corruption("the tree breaks T2: its node for " + verify_detail::subtree_events(level, index) + " is " +
                                             std::to_string(v.size()) + " bytes, not 32"));
      return out;
    }
    out.fp += fp.of(kTreeIx, k, {}, v);
    ++out.count;
  }
  if (!it->status().ok()) out.failure.note(0, Status::IOError(it->status().ToString()));
  return out;
}

}  // namespace verify_detail

Status RocksLedger::name_tree_mismatch(const rocksdb::ReadOptions& ro, std::uint64_t tree_size) {
  // A node from the level kTreeStride below it: the leaves, or stored nodes already checked.
  std::function<Result<Hash>(unsigned, std::uint64_t, unsigned)> below = [&](unsigned level, std::uint64_t index,
                                                                            unsigned floor) -> Result<Hash> {
    if (level == floor) return subtree(ro, floor, index);
    auto l = below(level - 1, 2 * index, floor);
    if (!l.ok()) return l;
    auto r = below(level - 1, 2 * index + 1, floor);
    if (!r.ok()) return r;
    return merkle::node_hash(*l, *r);
  };
  for (unsigned level = format::kTreeStride; level < 64 && (tree_size >> level) > 0; level += format::kTreeStride) {
    for (std::uint64_t index = 0; index < (tree_size >> level); ++index) {
      auto want = below(level, index, level - format::kTreeStride);
      if (!want.ok()) return want.status();
      std::string v;
      auto s = db_->Get(ro, cf(kTree), format::tree_key(level, index), &v);
      if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
      if (s.IsNotFound()) return Status::Corruption("the tree breaks T2: it has no node for " + verify_detail::subtree_events(level, index));
      if (v != merkle::bytes(*want))
        return Status::Corruption("the tree breaks T1: its node for " + verify_detail::subtree_events(level, index) + " does not match those events");
    }
  }
  return Status::Corruption("the tree breaks T2: its nodes differ from the ones its " + std::to_string(tree_size) + " events call for");
}

}  // namespace ftl
