// What the ledger records about itself, as events on the stream "ledger". Each struct is one
// event type; its stored name (kType) and class version are permanent (schema/EVENTS.md).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace ftl::schema {

inline constexpr const char* kLedgerStream = "ledger";

// A recovery accepted that events the ledger had acknowledged could not be read back (a
// write-ahead log deleted, cut short or damaged), and kept what could.
struct LedgerRecovered {
  static constexpr const char* kType = "LedgerRecovered";
  struct File {
    std::string name;
    std::uint64_t bytes = 0;
    std::string sha256;  // hex
    bool operator==(const File&) const = default;
  };
  std::string reason;
  std::uint64_t acknowledged_sequence = 0;  // 0: the ledger had no head file to say
  std::string acknowledged_hash;            // hex; empty with no head file
  std::uint64_t recovered_sequence = 0;     // the last event kept
  std::string recovered_hash;
  std::string detail;      // what the open reported
  std::string quarantine;  // the directory the damaged files were copied to
  std::vector<File> files;
  bool operator==(const LedgerRecovered&) const = default;
};

// Access to a server: a token was given to `name` with a role (reader, writer or admin). Only
// the token's SHA-256 is kept; the token itself was shown once, to whoever granted it.
inline constexpr const char* kAccessStream = "access";
struct TokenGranted {
  static constexpr const char* kType = "TokenGranted";
  std::string name;
  std::string role;
  std::string token_sha256;  // hex
  bool operator==(const TokenGranted&) const = default;
};

// The token of `name` stops working.
struct TokenRevoked {
  static constexpr const char* kType = "TokenRevoked";
  std::string name;
  std::string reason;
  bool operator==(const TokenRevoked&) const = default;
};

using LedgerEvent = std::variant<LedgerRecovered, TokenGranted, TokenRevoked>;

}  // namespace ftl::schema
