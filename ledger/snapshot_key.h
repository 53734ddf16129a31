// The key that seals snapshots (ledger/FORMAT.md "Snapshots"): 64 hex digits in a file kept
// outside the ledger, readable by its owner only. Internal: only ledger/*.cpp include this.
#pragma once

#include <optional>
#include <string>

#include "ledger/ledger.h"

namespace ftl {

// The key in `file`: nullopt if there is no such file. Unavailable (tag "ledger.snapshot_key")
// if it is not a regular file, can be read by others than its owner, or does not hold a key;
// what is read is bounded, so no file makes this wait or grow.
Result<std::optional<Hash>> read_snapshot_key(const std::string& file);
// The key in `file`, made (mode 0600, in a directory made 0700 if need be) if there is none.
Result<Hash> make_snapshot_key(const std::string& file);

}  // namespace ftl
