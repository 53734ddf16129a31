// A proof from a digest saved before checkpoints were kept ({"sequence": s, "hash": h}, as `ftl
// digest` prints it) to a signed checkpoint: event s's canonical bytes and its prev_hash, which
// hash to h (the chain), and the event's inclusion proof in the checkpoint's tree. It shows the
// signed tree holds, as leaf s, the very event the digest pinned, whose hash commits to every
// event before it through the chain (docs/PROOFS.md "From a digest").
#pragma once

#include <string>
#include <string_view>

#include "engine/checkpoint.h"

namespace ftl::engine {

inline constexpr std::string_view kDigestProofHeader = "ftl.dev/digest-proof@v1";

struct DigestProofFile {
  Digest digest;
  Hash prev_hash{};
  std::string canonical;            // event digest.sequence's canonical bytes
  std::vector<std::string> hashes;  // its inclusion path in the checkpoint's tree
  std::string checkpoint;           // the signed note, verbatim
};
std::string digest_proof_text(const DigestProofFile& p);
Result<DigestProofFile> parse_digest_proof(std::string_view text);

struct ProvenDigest {
  Digest digest;
  Checkpoint checkpoint;
  Event envelope;
};
Result<ProvenDigest> verify_digest_proof(std::string_view text, const VerifierKey& key);

// A digest as `ftl digest` prints it; InvalidArgument naming the field otherwise.
Result<Digest> parse_digest_json(std::string_view text, const std::string& field);

}  // namespace ftl::engine
