// What verify's parts share (ledger/verify.cpp, verify_tree.cpp): the keyed fingerprint of
// index entries (the sum, modulo 2^128, of the first 16 bytes of SHA-256(k || tag || key ||
// value) under a key drawn for one run), and what a scan of one column family found.
#pragma once
#include <rocksdb/db.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ledger/sha256.h"
#include "ledger/status.h"

namespace ftl::verify_detail {

__extension__ typedef unsigned __int128 u128;
enum Index { kStreamIx = 0, kActorIx = 1, kIdIx = 2, kTreeIx = 3 };
constexpr char kTags[4] = {'s', 'a', 'i', 't'};

// The keyed fingerprint of index entries.
class Fingerprint {
 public:
  explicit Fingerprint(const unsigned char key[32]) {
    unsigned char block[64] = {};
    std::memcpy(block, key, 32);
    base_.update(std::string_view(reinterpret_cast<const char*>(block), sizeof block));  // one whole block: its state is reused
  }
  // Of the entry whose key is `name` || `suffix` (and whose value is `value`): the parts are
  // hashed as they are, with no key built.
  u128 of(Index ix, std::string_view name, std::string_view suffix, std::string_view value) const {
    Sha256 c = base_;
    c.update(std::string_view(&kTags[ix], 1));
    c.update(name);
    c.update(suffix);
    c.update(value);
    const Hash out = c.finish();
    u128 v;
    std::memcpy(&v, out.data(), sizeof v);
    return v;
  }

 private:
  Sha256 base_;
};

struct Failure {
  std::uint64_t sequence = ~std::uint64_t{0};  // where; the lowest wins
  Status status;
  void note(std::uint64_t seq, Status s) {
    if (seq < sequence) {
      sequence = seq;
      status = std::move(s);
    }
  }
  bool any() const { return !status.ok(); }
};

// What one index column family holds.
struct IndexScan {
  std::uint64_t count = 0, streams = 0;
  u128 fp = 0;
  Failure failure;
};

// The events a subtree of the Merkle tree covers, for messages: "events 17 to 32".
inline std::string subtree_events(unsigned level, std::uint64_t index) {
  const std::uint64_t first = (index << level) + 1, last = (index + 1) << level;
  return "events " + std::to_string(first) + " to " + std::to_string(last);
}

// The tree column family as it is: every entry's key and value checked for form (T2) and
// added to the fingerprint.
IndexScan scan_tree(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* tree, const rocksdb::ReadOptions& ro, const Fingerprint& fp,
                    std::uint64_t tree_size);

}  // namespace ftl::verify_detail
