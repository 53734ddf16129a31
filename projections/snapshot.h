// Snapshots of a projection's state, cached beside the log (ledger/FORMAT.md "Snapshots").
// A snapshot is trusted only after three checks: its SHA-256 matches its bytes (not altered),
// its code version is this build's (not stale), and the event it says it covers has the chain
// hash it recorded (not foreign). Anything else is ignored and the stream folded from the start.
#pragma once

#include <string>

#include "ledger/ledger.h"
#include "projections/engagement.h"

namespace ftl::projections {

// Bump when the engagement fold or EngagementState changes: older snapshots become stale.
inline constexpr std::uint32_t kEngagementFoldVersion = 2;

struct SnapshotHeader {
  std::string projection;
  std::uint32_t code_version = 0;
  std::uint64_t stream_version = 0, sequence = 0;
  Hash chain_hash{};
};

// `chain_hash` is the hash of event state.last_sequence.
std::string encode_engagement_snapshot(const EngagementState& state, const Hash& chain_hash,
                                       std::uint32_t code_version = kEngagementFoldVersion);
// Corruption if the bytes are malformed or altered; Unavailable if the code version is not
// `code_version` (stale). Checking the chain hash is the caller's (it needs the ledger).
Result<EngagementState> decode_engagement_snapshot(std::string_view bytes, SnapshotHeader* header,
                                                   std::uint32_t code_version = kEngagementFoldVersion);

// The header alone, checked against the snapshot's SHA-256 and code version as the full decode
// checks it (same errors), without reading the state: for verify, where the key vouches for it.
Status read_snapshot_header(std::string_view bytes, SnapshotHeader* header, std::uint32_t code_version = kEngagementFoldVersion);

// The stream version a snapshot says it covers, read from its header alone (0 if malformed);
// for deciding when to write a new one, never for trusting it.
std::uint64_t snapshot_stream_version(std::string_view bytes);
// The same for the sequence it covers: whether it can start a view as of an earlier sequence.
std::uint64_t snapshot_sequence(std::string_view bytes);

}  // namespace ftl::projections
