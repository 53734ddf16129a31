// A witness: it cosigns a log's checkpoints only if each extends the last one it cosigned, so a
// log that shows two histories (one to some, another to others) is caught by whoever checks for
// its cosignature. Cosignatures are C2SP tlog-cosignature lines (Ed25519, cosignature/v1).
//
// Its state is a directory: per origin, the last checkpoint it cosigned (`<name>.checkpoint`,
// the note verbatim, usable as the first checkpoint of `ftl proof consistency`) and the log's
// verifier key it first met (`<name>.log-key`). Each is replaced atomically (written aside,
// synced, renamed, the directory synced), under a lock on the directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/checkpoint.h"
#include "engine/signed_note.h"

namespace ftl::engine {

struct CosignRequest {
  std::string checkpoint;          // the log's signed checkpoint
  std::optional<std::string> proof;  // a consistency proof file from the last cosigned checkpoint
  VerifierKey log_key;             // the log's key (must be the one met first for this origin)
  SignerKey witness_key;           // a cosigner key (type 0x04)
  std::string state_dir;
  std::uint64_t now_seconds = 0;   // 0: the clock
};

struct Cosigned {
  std::string note;                 // the checkpoint with this witness's cosignature added
  Checkpoint checkpoint;
  std::optional<std::uint64_t> previous_size;  // the last cosigned before (none: the first)
  std::uint64_t cosigned_at = 0;
};

// Checks and cosigns; on any refusal nothing in the state changes. A checkpoint that does not
// extend the last one (smaller, another root at the same size, a proof that fails) is
// Corruption tagged witness.inconsistent; a missing or mismatched proof or key InvalidArgument.
Result<Cosigned> cosign(const CosignRequest& r);

// The last checkpoint cosigned for `origin` (NotFound if none).
Result<std::string> witnessed(const std::string& state_dir, const std::string& origin);

}  // namespace ftl::engine
