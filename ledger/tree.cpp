// The Merkle tree's storage (ledger/FORMAT.md "The Merkle tree"): nodes of complete subtrees at
// the stored levels, written in the batch of the events that complete them; a writer keeps the
// right edge in memory; proofs read O(log n) nodes, and the leaves below the lowest stored level.
#include <rocksdb/write_batch.h>

#include "ledger/format.h"
#include "ledger/rocks_ledger.h"
#include "ledger/verify_detail.h"

namespace ftl {


Result<Hash> RocksLedger::subtree(const rocksdb::ReadOptions& ro, unsigned level, std::uint64_t index) {
  if (level == 0) {
    const std::uint64_t sequence = index + 1;
    std::string bytes;
    auto s = db_->Get(ro, cf(kEvents), format::sequence_key(sequence), &bytes);
    if (s.IsNotFound()) return format::broken(sequence, "V1", "it is missing, but the tree holds it");
    if (!s.ok()) return Status::IOError(s.ToString());
    format::RecordView r;
    std::string why;
    if (!format::parse_record(bytes, &r, &why)) return format::broken(sequence, "V2", "its record cannot be read: " + why);
    if (auto st = format::check_record(r, sequence, nullptr, nullptr); !st.ok()) return st;
    return merkle::leaf_hash(r.canonical);
  }
  if (format::stored_level(level) && cf(kTree) != nullptr) {
    std::string v;
    auto s = db_->Get(ro, cf(kTree), format::tree_key(level, index), &v);
    if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
    if (s.IsNotFound())
      return Status::Corruption("the tree breaks T2: it has no node for the subtree of " + verify_detail::subtree_events(level, index));
    if (v.size() != 32)
      return Status::Corruption("the tree breaks T2: its node for the subtree of " + verify_detail::subtree_events(level, index) + " is " +
                                std::to_string(v.size()) + " bytes, not 32");
    Hash h;
    std::copy(v.begin(), v.end(), reinterpret_cast<char*>(h.data()));
    return h;
  }
  auto left = subtree(ro, level - 1, 2 * index);
  if (!left.ok()) return left;
  auto right = subtree(ro, level - 1, 2 * index + 1);
  if (!right.ok()) return right;
  return merkle::node_hash(*left, *right);
}

merkle::SubtreeSource RocksLedger::tree_source() {
  return [this](unsigned level, std::uint64_t index) { return subtree({}, level, index); };
}

Result<std::uint64_t> RocksLedger::tree_coverage(const rocksdb::ReadOptions& ro) {
  std::string v;
  auto s = db_->Get(ro, cf(kMeta), std::string(format::kMetaTreeKey), &v);
  if (s.IsNotFound()) return std::uint64_t{0};
  if (!s.ok()) return Status::IOError(s.ToString());
  if (v.size() != 8) return Status::Corruption("the ledger's tree size record is malformed (T3)");
  return format::get_u64(v.data());
}

Status RocksLedger::build_tree(const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  const std::uint64_t head = this->head().sequence;
  auto covered = tree_coverage({});
  if (!covered.ok()) return covered.status();
  if (*covered > head)
    return Status::Corruption("the ledger breaks T3: its tree covers " + std::to_string(*covered) + " events, but its head is event " +
                              std::to_string(head));
  auto edge = merkle::frontier_of(tree_source(), *covered);
  if (!edge.ok()) return edge.status();
  if (*covered < head) {
    // A ledger from before the tree: built from its events, in synced batches that each record
    // how far they reach, so an interrupted upgrade goes on from there.
    constexpr std::uint64_t kBatch = format::kTreeUpgradeBatch;
    rocksdb::WriteBatch batch;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto put = [&](unsigned level, std::uint64_t index, const Hash& h) {
      if (format::stored_level(level)) batch.Put(cf(kTree), format::tree_key(level, index), merkle::bytes(h)).PermitUncheckedError();
    };
    auto flush = [&]() -> Status {
      std::string size;
      format::put_u64(size, edge->size());
      batch.Put(cf(kMeta), std::string(format::kMetaTreeKey), size).PermitUncheckedError();
      auto s = db_->Write(wo, &batch);
      batch.Clear();
      if (!s.ok()) return Status::IOError("building the tree of " + path_ + " failed: " + s.ToString());
      if (progress) progress(edge->size() - *covered, head - *covered);
      return Status::Ok();
    };
    auto cursor = scan(*covered + 1);
    for (; cursor->valid() && edge->size() < head; cursor->next()) {
      edge->push(merkle::leaf_hash(format::canonical_bytes(cursor->event())), put);
      if (edge->size() % kBatch == 0)
        if (auto st = flush(); !st.ok()) return st;
    }
    if (!cursor->status().ok()) return cursor->status();
    if (edge->size() != head)
      return format::broken(edge->size() + 1, "V10", "the log ends at event " + std::to_string(edge->size()) + ", before its head");
    if (auto st = flush(); !st.ok()) return st;
  }
  std::lock_guard lk(head_mu_);
  tree_ = std::move(*edge);
  return Status::Ok();
}

Status RocksLedger::check_tree_size(std::uint64_t size, const char* what) {
  const std::uint64_t head = this->head().sequence;
  if (size > head)
    return Status::InvalidArgument(std::string(what) + " " + std::to_string(size) + " is past the ledger's last event (" + std::to_string(head) + ")",
                                   "its tree has sizes 0 to " + std::to_string(head))
        .tagged("tree.size");
  if (cf(kTree) == nullptr && head > 0)
    return Status::Unavailable("the ledger at " + path_ + " has no Merkle tree yet; its first writing open builds it").tagged("tree.incomplete");
  auto covered = tree_coverage({});
  if (!covered.ok()) return covered.status();
  if (*covered < head)
    return Status::Unavailable("the Merkle tree of the ledger at " + path_ + " covers " + std::to_string(*covered) + " of its " +
                               std::to_string(head) + " events; its next writing open completes it")
        .tagged("tree.incomplete");
  return Status::Ok();
}

Result<Hash> RocksLedger::tree_root(std::uint64_t size) {
  if (size == 0) return merkle::empty_root();
  if (!options_.read_only) {
    std::lock_guard lk(head_mu_);
    if (size == head_.sequence) return tree_.root();
  }
  if (auto st = check_tree_size(size, "tree size"); !st.ok()) return st;
  return merkle::range_hash(tree_source(), 0, size);
}

Result<Hash> RocksLedger::checked_tree_root(std::uint64_t size, std::uint64_t known_size, const Hash& known_root,
                                            const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (auto st = check_tree_size(size, "tree size"); !st.ok()) return st;
  const auto fork = [&] {
    return Status::Corruption("the tree of " + std::to_string(known_size) + " events signed before (root " + to_hex(known_root).substr(0, 16) +
                              "...) is not this ledger's: its events or its tree's nodes changed since, or it lost events")
        .tagged("tree.fork");
  };
  if (known_size > head().sequence) return fork();
  auto stored = tree_root(size);
  if (!stored.ok()) return stored;
  const auto source = tree_source();
  if (known_size > 0 && size <= known_size) {
    // The signed tree vouches for the stored one of this size through a consistency proof
    // made of stored nodes: a proof that verifies against the signed root is made of the real ones.
    if (size == known_size) {
      if (*stored != known_root) return fork();
      return stored;
    }
    if (size == 0) return stored;  // the empty tree: nothing to check
    auto proof = merkle::consistency_proof(source, size, known_size);
    if (!proof.ok()) return proof.status();
    if (!merkle::verify_consistency(size, known_size, merkle::as_bytes(*proof), merkle::bytes(*stored), merkle::bytes(known_root)).ok())
      return fork();
    return stored;
  }
  merkle::Frontier edge;
  if (known_size > 0) {
    auto f = merkle::frontier_of(source, known_size);
    if (!f.ok()) return f.status();
    if (f->root() != known_root) return fork();
    edge = std::move(*f);
  }
  auto cur = scan(known_size + 1);
  for (; cur->valid() && cur->event().sequence <= size; cur->next()) {
    edge.push(merkle::leaf_hash(format::canonical_bytes(cur->event())));
    if (progress && (edge.size() & 0xffff) == 0) progress(edge.size() - known_size, size - known_size);
  }
  if (!cur->status().ok()) return cur->status();
  if (edge.size() != size) return format::broken(edge.size() + 1, "V1", "it is missing, but the tree holds it");
  if (progress) progress(size - known_size, size - known_size);
  if (edge.root() != *stored)
    return Status::Corruption("the tree's stored nodes for events " + std::to_string(known_size + 1) + " to " + std::to_string(size) +
                              " are not what those events hash to: they were altered (T1), so nothing was signed")
        .tagged("tree.damaged");
  return stored;
}

Result<std::vector<Hash>> RocksLedger::inclusion_proof(std::uint64_t sequence, std::uint64_t size) {
  if (auto st = check_tree_size(size, "tree size"); !st.ok()) return st;
  if (sequence == 0 || sequence > size)
    return Status::InvalidArgument("event " + std::to_string(sequence) + " is not in the tree of " + std::to_string(size) + " events",
                                   "it holds events 1 to " + std::to_string(size))
        .tagged("tree.sequence");
  return merkle::inclusion_proof(tree_source(), sequence - 1, size);
}

Result<std::vector<Hash>> RocksLedger::consistency_proof(std::uint64_t size1, std::uint64_t size2) {
  if (auto st = check_tree_size(size2, "tree size"); !st.ok()) return st;
  if (size1 == 0 || size1 > size2)
    return Status::InvalidArgument("no consistency proof runs from a tree of " + std::to_string(size1) + " events to one of " +
                                   std::to_string(size2),
                                   "the first size is 1 to the second")
        .tagged("tree.size");
  return merkle::consistency_proof(tree_source(), size1, size2);
}

}  // namespace ftl
