// `ftl verify` as one application call: the ledger's rules (ledger/FORMAT.md V1..V12) and then
// every snapshot in the cache (FORMAT.md "Snapshots", S1..S3). A view uses a snapshot only if
// the snapshot key vouches for it (Ledger::get_snapshot); verify stands behind each one a view
// could use, and refolds every other one to tell a genuine snapshot (made under another key, or
// by an older ftl) from a forged one.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace ftl::engine {

struct VerifyResult {
  VerifyReport ledger;
  std::uint64_t snapshots = 0;   // in the cache
  std::uint64_t vouched = 0;     // by the snapshot key: what views use
  std::uint64_t refolded = 0;    // no key vouched for them; each equals a fold of its events
  std::uint64_t ignored = 0;     // made by another fold version, or for another ledger: no view uses them
};

struct VerifyLedgerOptions {
  VerifyOptions ledger;
  // Refold every snapshot, vouched for or not: proof even against whoever holds the key.
  bool refold_all = false;
};

// Corruption names the first event, index entry, metadata key or snapshot that breaks a rule.
Result<VerifyResult> verify_ledger(Ledger& ledger, const VerifyLedgerOptions& options);

}  // namespace ftl::engine
