// The Merkle tree of RFC 6962 / RFC 9162 (SHA-256) over the ledger's events: leaf n is event
// n+1's canonical bytes (ledger/FORMAT.md, "The Merkle tree"). Pure functions: the hashes, the
// right edge an appender keeps, proofs built from any source of subtree hashes, and the two
// verifiers, which take untrusted bytes and accept only a proof that recomputes the root.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/status.h"

namespace ftl::merkle {

Hash leaf_hash(std::string_view leaf);              // SHA-256(0x00 ‖ leaf)
Hash node_hash(const Hash& left, const Hash& right);  // SHA-256(0x01 ‖ left ‖ right)
Hash empty_root();                                   // SHA-256 of nothing: the tree of size 0

// The largest power of two smaller than n (n >= 2): where RFC 9162 splits a tree of n leaves.
std::uint64_t split_point(std::uint64_t n);

// The tree's right edge: the roots of the perfect subtrees that make up [0, size), largest
// first. Appending a leaf completes at most one subtree per level; each is reported.
class Frontier {
 public:
  // level: the subtree holds 2^level leaves; index: its position among subtrees of that level.
  using OnNode = std::function<void(unsigned level, std::uint64_t index, const Hash& hash)>;
  Frontier() = default;
  Frontier(std::uint64_t size, std::vector<Hash> nodes) : size_(size), nodes_(std::move(nodes)) {}
  void push(const Hash& leaf, const OnNode& on_node = {});
  Hash root() const;
  std::uint64_t size() const { return size_; }
  const std::vector<Hash>& nodes() const { return nodes_; }

 private:
  std::uint64_t size_ = 0;
  std::vector<Hash> nodes_;
};

// A source of perfect-subtree hashes: the subtree of 2^level leaves starting at leaf
// index << level. Storage reads may fail, so it returns a Result.
using SubtreeSource = std::function<Result<Hash>(unsigned level, std::uint64_t index)>;

// MTH(D[lo:hi]) of RFC 9162 2.1.1, for lo < hi with [lo, hi) a range the split rule makes.
Result<Hash> range_hash(const SubtreeSource& source, std::uint64_t lo, std::uint64_t hi);
// The frontier of a tree of `size` leaves, read from the source: one subtree per set bit.
Result<Frontier> frontier_of(const SubtreeSource& source, std::uint64_t size);
// RFC 9162 2.1.3.1: the audit path of leaf `index` in the tree of `size` leaves.
Result<std::vector<Hash>> inclusion_proof(const SubtreeSource& source, std::uint64_t index, std::uint64_t size);
// RFC 9162 2.1.4.1: the proof that the tree of size2 extends the tree of size1 (0 < size1 <= size2).
Result<std::vector<Hash>> consistency_proof(const SubtreeSource& source, std::uint64_t size1, std::uint64_t size2);

// Verifiers (RFC 9162 2.1.3.2 and 2.1.4.2, with the proof's length checked exactly). The
// hashes are untrusted bytes: anything not 32 bytes long fails. Ok, or InvalidArgument naming
// the first check that failed.
Status verify_inclusion(std::uint64_t index, std::uint64_t size, std::string_view leaf_hash,
                        const std::vector<std::string>& proof, std::string_view root);
// A proof from an empty tree is refused: it proves nothing.
Status verify_consistency(std::uint64_t size1, std::uint64_t size2, const std::vector<std::string>& proof,
                          std::string_view root1, std::string_view root2);

std::string_view bytes(const Hash& h);
std::vector<std::string> as_bytes(const std::vector<Hash>& proof);

}  // namespace ftl::merkle
