// Checkpoints and proof files an outsider checks with the verifier key alone:
// - a checkpoint is a C2SP tlog-checkpoint (origin, decimal tree size, base64 root), signed as
//   a C2SP signed-note (engine/signed_note.h);
// - an inclusion proof is a C2SP tlog-proof@v1 file whose extra data is the event's canonical
//   bytes (ledger/FORMAT.md), so a verifier recomputes the leaf and reads the envelope;
// - a consistency proof is ftl's own file (docs/PROOFS.md): both checkpoints and the hashes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/signed_note.h"
#include "ledger/ledger.h"

namespace ftl::engine {

// Reads a proof file one '\n'-terminated line at a time (a last line without one is not read).
class ProofLines {
 public:
  explicit ProofLines(std::string_view text) : text_(text) {}
  bool next(std::string_view* line);
  // Base64 hashes of 32 bytes, one a line, up to and including an empty line.
  Result<std::vector<std::string>> hashes_to_blank(const std::string& what);
  std::string_view rest() const { return text_.substr(pos_); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};
// A decimal number of 1 to 19 digits without leading zeros.
std::optional<std::uint64_t> parse_decimal(std::string_view s);
Status malformed_proof(const std::string& what, const std::string& why);

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // further lines, kept as they are
};

std::string checkpoint_text(const Checkpoint& c);
Result<Checkpoint> parse_checkpoint_text(std::string_view text);
// Verifies the note's signature by `key` and reads it; its origin must be the key's name.
Result<Checkpoint> open_checkpoint(std::string_view note, const VerifierKey& key);

inline constexpr std::string_view kProofHeader = "c2sp.org/tlog-proof@v1";
struct InclusionProofFile {
  std::optional<std::string> extra;  // the event's canonical bytes
  std::uint64_t index = 0;           // leaf index: the event's sequence - 1
  std::vector<std::string> hashes;
  std::string checkpoint;            // the signed note, verbatim
};
std::string inclusion_file_text(const InclusionProofFile& p);
Result<InclusionProofFile> parse_inclusion_file(std::string_view text);

struct ConsistencyProofFile {
  std::vector<std::string> hashes;
  std::string first, second;  // the two signed checkpoints, verbatim
};
inline constexpr std::string_view kConsistencyHeader = "ftl.dev/consistency-proof@v1";
std::string consistency_file_text(const ConsistencyProofFile& p);
Result<ConsistencyProofFile> parse_consistency_file(std::string_view text);

// What a verified proof establishes.
struct ProvenInclusion {
  Checkpoint checkpoint;
  std::uint64_t sequence = 0;
  std::optional<Event> envelope;  // read from the canonical bytes (no payload; its payload_length set)
  std::string canonical;
};
// Checks a proof this ledger made before it leaves: Corruption tagged tree.damaged if the stored
// nodes it was read from do not lead from the event's leaf to `root`.
Status check_own_inclusion(std::uint64_t sequence, std::uint64_t size, std::string_view canonical, const std::vector<Hash>& proof,
                           const Hash& root);
Result<ProvenInclusion> verify_inclusion_file(std::string_view text, const VerifierKey& key);
struct ProvenConsistency {
  Checkpoint first, second;
};
Result<ProvenConsistency> verify_consistency_file(std::string_view text, const VerifierKey& key);

}  // namespace ftl::engine

namespace ftl::engine {

// The signer key file (outside the ledger directory, mode 0600): written once, never over a
// file that exists; read only if no one else may read it and it is not inside `ledger_dir`.
// InvalidArgument (tagged file.in_ledger) if `file` would be inside `ledger_dir` or inside any
// directory that holds a ledger: what must not travel with a ledger (a key; a bundle, whose
// payloads a later redaction would not reach) is kept out. `what` names the file.
Status check_outside_ledgers(const std::string& file, const std::string& ledger_dir, const std::string& what);
Status write_signer_file(const std::string& file, const SignerKey& key, const std::string& ledger_dir);
Result<SignerKey> read_signer_file(const std::string& file, const std::string& ledger_dir);

// A checkpoint of the ledger's tree at `size` (its head if 0), signed, over a tree checked first
// (Ledger::checked_tree_root) against the largest checkpoint this key signed before, kept beside
// its file as key.file + ".checkpoint" (none for a key made in memory): the first signing reads
// every event once, each later one the events since. Corruption tagged checkpoint.fork if the
// ledger does not extend it, checkpoint.state if that record is not a checkpoint the key signed.
Result<std::string> sign_checkpoint(Ledger& ledger, const SignerKey& key, std::uint64_t size = 0,
                                    const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

}  // namespace ftl::engine
