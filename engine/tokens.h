// Bearer tokens for a server, kept as events on the stream "access" (schema/EVENTS.md): a
// grant stores the token's SHA-256 and a role, a revocation ends it. The token itself (256
// random bits, "ftl_" and 64 hex digits) is returned once, by grant, and never stored.
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>

#include "engine/operations.h"
#include "ledger/ledger.h"

namespace ftl::engine {

struct TokenHolder {
  std::string name;
  Access role = Access::kRead;
  std::string granted_at, granted_by;
  std::uint64_t sequence = 0;  // of the grant
};

// The tokens in force, folded from the "access" stream. Thread-safe.
class TokenTable {
 public:
  Status load(Ledger& ledger);
  // The holder of `token`, or nullopt. Every held token's hash is compared, each in constant
  // time, so the time taken says nothing about how close a guess was.
  std::optional<TokenHolder> authenticate(const std::string& token) const;
  std::map<std::string, TokenHolder> holders() const;
  bool empty() const;

 private:
  mutable std::shared_mutex mu_;
  struct Entry {
    TokenHolder holder;
    std::array<unsigned char, 32> hash{};
  };
  std::map<std::string, Entry> by_name_;
};

// A token name: 1 to 64 of a-z A-Z 0-9 . _ -
Status check_token_name(const std::string& name);

}  // namespace ftl::engine
