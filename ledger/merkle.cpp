#include "ledger/merkle.h"

#include <bit>

#include "ledger/sha256.h"

namespace ftl::merkle {

namespace {

std::string_view sv(const std::uint8_t* p, std::size_t n) { return {reinterpret_cast<const char*>(p), n}; }

Hash node_of(std::string_view left, std::string_view right) {
  thread_local Sha256 h;
  static constexpr char kNode = 0x01;
  h.update(std::string_view(&kNode, 1));
  h.update(left);
  h.update(right);
  return h.finish();
}

Status fail(const std::string& why) { return Status::Corruption("the proof is rejected: " + why).tagged("proof.rejected"); }

// transparency-dev/merkle's decomposition of an inclusion proof: the path below the point where
// leaf `index`'s path leaves the right edge of the tree of `size` leaves, then the edge above it.
void decompose(std::uint64_t index, std::uint64_t size, unsigned* inner, unsigned* border) {
  *inner = static_cast<unsigned>(std::bit_width(index ^ (size - 1)));
  *border = static_cast<unsigned>(std::popcount(index >> *inner));
}

Hash chain_inner(Hash seed, const std::vector<std::string>& proof, std::size_t from, std::size_t to, std::uint64_t index) {
  for (std::size_t i = from; i < to; ++i)
    seed = ((index >> (i - from)) & 1) == 0 ? node_of(bytes(seed), proof[i]) : node_of(proof[i], bytes(seed));
  return seed;
}
Hash chain_inner_right(Hash seed, const std::vector<std::string>& proof, std::size_t from, std::size_t to, std::uint64_t index) {
  for (std::size_t i = from; i < to; ++i)
    if (((index >> (i - from)) & 1) == 1) seed = node_of(proof[i], bytes(seed));
  return seed;
}
Hash chain_border_right(Hash seed, const std::vector<std::string>& proof, std::size_t from) {
  for (std::size_t i = from; i < proof.size(); ++i) seed = node_of(proof[i], bytes(seed));
  return seed;
}

Status check_hashes(const std::vector<std::string>& proof) {
  for (std::size_t i = 0; i < proof.size(); ++i)
    if (proof[i].size() != 32)
      return fail("proof hash " + std::to_string(i + 1) + " is " + std::to_string(proof[i].size()) + " bytes, not 32");
  return Status::Ok();
}

Status path(const SubtreeSource& source, std::uint64_t m, std::uint64_t lo, std::uint64_t hi, std::vector<Hash>& out) {
  if (hi - lo <= 1) return Status::Ok();
  const auto k = split_point(hi - lo);
  const bool left = m < k;
  if (auto st = left ? path(source, m, lo, lo + k, out) : path(source, m - k, lo + k, hi, out); !st.ok()) return st;
  auto sibling = left ? range_hash(source, lo + k, hi) : range_hash(source, lo, lo + k);
  if (!sibling.ok()) return sibling.status();
  out.push_back(*sibling);
  return Status::Ok();
}

Status subproof(const SubtreeSource& source, std::uint64_t m, std::uint64_t lo, std::uint64_t hi, bool whole, std::vector<Hash>& out) {
  const auto n = hi - lo;
  if (m == n) {
    if (whole) return Status::Ok();
    auto h = range_hash(source, lo, hi);
    if (!h.ok()) return h.status();
    out.push_back(*h);
    return Status::Ok();
  }
  const auto k = split_point(n);
  if (m <= k) {
    if (auto st = subproof(source, m, lo, lo + k, whole, out); !st.ok()) return st;
    auto h = range_hash(source, lo + k, hi);
    if (!h.ok()) return h.status();
    out.push_back(*h);
  } else {
    if (auto st = subproof(source, m - k, lo + k, hi, false, out); !st.ok()) return st;
    auto h = range_hash(source, lo, lo + k);
    if (!h.ok()) return h.status();
    out.push_back(*h);
  }
  return Status::Ok();
}

}  // namespace

std::string_view bytes(const Hash& h) { return sv(h.data(), h.size()); }

std::vector<std::string> as_bytes(const std::vector<Hash>& proof) {
  std::vector<std::string> out;
  out.reserve(proof.size());
  for (const auto& h : proof) out.emplace_back(bytes(h));
  return out;
}

Hash leaf_hash(std::string_view leaf) {
  thread_local Sha256 h;
  static constexpr char kLeaf = 0x00;
  h.update(std::string_view(&kLeaf, 1));
  h.update(leaf);
  return h.finish();
}

Hash node_hash(const Hash& left, const Hash& right) { return node_of(bytes(left), bytes(right)); }

Hash empty_root() { return Sha256::of({}); }

std::uint64_t split_point(std::uint64_t n) { return std::bit_floor(n - 1); }

void Frontier::push(const Hash& leaf, const OnNode& on_node) {
  Hash h = leaf;
  unsigned level = 0;
  std::uint64_t index = size_;
  if (on_node) on_node(0, index, h);
  while (((size_ >> level) & 1) == 1) {
    h = node_hash(nodes_.back(), h);
    nodes_.pop_back();
    ++level;
    index >>= 1;
    if (on_node) on_node(level, index, h);
  }
  nodes_.push_back(h);
  ++size_;
}

Hash Frontier::root() const {
  if (nodes_.empty()) return empty_root();
  Hash r = nodes_.back();
  for (std::size_t i = nodes_.size() - 1; i-- > 0;) r = node_hash(nodes_[i], r);
  return r;
}

Result<Hash> range_hash(const SubtreeSource& source, std::uint64_t lo, std::uint64_t hi) {
  const auto n = hi - lo;
  if (hi <= lo) return Status::InvalidArgument("the range " + std::to_string(lo) + ".." + std::to_string(hi) + " holds no leaf");
  if (std::has_single_bit(n)) {
    const auto level = static_cast<unsigned>(std::countr_zero(n));
    if (lo % n != 0) return Status::InvalidArgument("the range from leaf " + std::to_string(lo) + " is not a subtree of the tree");
    return source(level, lo >> level);
  }
  const auto k = split_point(n);
  auto left = range_hash(source, lo, lo + k);
  if (!left.ok()) return left;
  auto right = range_hash(source, lo + k, hi);
  if (!right.ok()) return right;
  return node_hash(*left, *right);
}

Result<Frontier> frontier_of(const SubtreeSource& source, std::uint64_t size) {
  std::vector<Hash> nodes;
  std::uint64_t lo = 0;
  for (int level = 63; level >= 0; --level) {
    if (((size >> level) & 1) == 0) continue;
    auto h = source(static_cast<unsigned>(level), lo >> level);
    if (!h.ok()) return h.status();
    nodes.push_back(*h);
    lo += std::uint64_t{1} << level;
  }
  return Frontier(size, std::move(nodes));
}

Result<std::vector<Hash>> inclusion_proof(const SubtreeSource& source, std::uint64_t index, std::uint64_t size) {
  if (index >= size)
    return Status::InvalidArgument("leaf " + std::to_string(index) + " is not in a tree of " + std::to_string(size) + " leaves");
  std::vector<Hash> out;
  if (auto st = path(source, index, 0, size, out); !st.ok()) return st;
  return out;
}

Result<std::vector<Hash>> consistency_proof(const SubtreeSource& source, std::uint64_t size1, std::uint64_t size2) {
  if (size1 == 0 || size1 > size2)
    return Status::InvalidArgument("no consistency proof runs from a tree of " + std::to_string(size1) + " leaves to one of " +
                                   std::to_string(size2) + " (valid: 1 <= first size <= second size)");
  std::vector<Hash> out;
  if (auto st = subproof(source, size1, 0, size2, true, out); !st.ok()) return st;
  return out;
}

Status verify_inclusion(std::uint64_t index, std::uint64_t size, std::string_view leaf, const std::vector<std::string>& proof,
                        std::string_view root) {
  if (size == 0) return fail("no leaf is in the empty tree");
  if (index >= size) return fail("leaf index " + std::to_string(index) + " is not below the tree size " + std::to_string(size));
  if (leaf.size() != 32) return fail("the leaf hash is " + std::to_string(leaf.size()) + " bytes, not 32");
  if (root.size() != 32) return fail("the root is " + std::to_string(root.size()) + " bytes, not 32");
  if (auto st = check_hashes(proof); !st.ok()) return st;
  unsigned inner = 0, border = 0;
  decompose(index, size, &inner, &border);
  if (proof.size() != inner + border)
    return fail("the proof has " + std::to_string(proof.size()) + " hashes; leaf " + std::to_string(index) + " of a tree of " +
                std::to_string(size) + " needs " + std::to_string(inner + border));
  Hash seed;
  std::copy(leaf.begin(), leaf.end(), reinterpret_cast<char*>(seed.data()));
  auto r = chain_inner(seed, proof, 0, inner, index);
  r = chain_border_right(r, proof, inner);
  if (bytes(r) != root) return fail("the proof does not lead to the root: the leaf is not at that index in that tree");
  return Status::Ok();
}

Status verify_consistency(std::uint64_t size1, std::uint64_t size2, const std::vector<std::string>& proof, std::string_view root1,
                          std::string_view root2) {
  if (size2 < size1) return fail("the second tree (" + std::to_string(size2) + ") is smaller than the first (" + std::to_string(size1) + ")");
  if (size1 == 0) return fail("a consistency proof from the empty tree proves nothing");
  if (size1 == size2) {
    if (!proof.empty()) return fail("trees of one size need an empty proof, not " + std::to_string(proof.size()) + " hashes");
    if (root1 != root2) return fail("the two roots of a tree of " + std::to_string(size1) + " leaves differ");
    return Status::Ok();
  }
  if (proof.empty()) return fail("the proof is empty, but the trees differ in size");
  if (root1.size() != 32 || root2.size() != 32) return fail("a root is not 32 bytes");
  if (auto st = check_hashes(proof); !st.ok()) return st;
  unsigned inner = 0, border = 0;
  decompose(size1 - 1, size2, &inner, &border);
  const auto shift = static_cast<unsigned>(std::countr_zero(size1));
  inner -= shift;
  // The proof starts with the root of the subtree of 2^shift leaves that ends the first tree,
  // unless that subtree is the whole first tree.
  Hash seed;
  std::size_t start = 1;
  if (size1 == (std::uint64_t{1} << shift)) {
    std::copy(root1.begin(), root1.end(), reinterpret_cast<char*>(seed.data()));
    start = 0;
  } else {
    std::copy(proof[0].begin(), proof[0].end(), reinterpret_cast<char*>(seed.data()));
  }
  if (proof.size() != start + inner + border)
    return fail("the proof has " + std::to_string(proof.size()) + " hashes; from " + std::to_string(size1) + " to " + std::to_string(size2) +
                " needs " + std::to_string(start + inner + border));
  const std::uint64_t mask = (size1 - 1) >> shift;
  auto h1 = chain_inner_right(seed, proof, start, start + inner, mask);
  h1 = chain_border_right(h1, proof, start + inner);
  if (bytes(h1) != root1) return fail("the proof does not lead to the first root");
  auto h2 = chain_inner(seed, proof, start, start + inner, mask);
  h2 = chain_border_right(h2, proof, start + inner);
  if (bytes(h2) != root2) return fail("the proof does not lead to the second root: the second tree does not extend the first");
  return Status::Ok();
}

}  // namespace ftl::merkle
