// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys (OpenSSL 3): a text, a
// blank line, and signature lines "— NAME base64(key id ‖ signature)". Key ids are the first
// 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). Keys are written as Go's note package
// writes them: a verifier key "NAME+HEXID+base64(0x01 ‖ public key)", a signer key
// "PRIVATE+KEY+NAME+HEXID+base64(0x01 ‖ seed)".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace ftl::engine {

using KeyBytes = std::array<std::uint8_t, 32>;

// The signature type byte of a key: 0x01 signs notes (signed-note Ed25519); 0x04 cosigns
// checkpoints (C2SP tlog-cosignature: timestamped Ed25519 over "cosignature/v1").
inline constexpr std::uint8_t kNoteKey = 0x01;
inline constexpr std::uint8_t kCosignerKey = 0x04;

struct VerifierKey {
  std::string name;
  std::uint32_t id = 0;
  KeyBytes public_key{};
  std::uint8_t type = kNoteKey;
};

struct SignerKey {
  std::string name;
  std::uint32_t id = 0;
  KeyBytes seed{};
  KeyBytes public_key{};
  std::uint8_t type = kNoteKey;
  // The file it was read from (empty: made in memory). Beside it, FILE.checkpoint keeps the
  // largest checkpoint the key signed (engine/checkpoint.h, sign_checkpoint).
  std::string file;
  VerifierKey verifier() const { return {name, id, public_key, type}; }
};

// A key name: 1 to 256 bytes of printable ASCII other than space and '+' (the spec allows any
// UTF-8 without spaces or '+'; ftl makes and reads this subset).
bool valid_key_name(std::string_view name);
std::uint32_t key_id(std::string_view name, const KeyBytes& public_key, std::uint8_t type = kNoteKey);

Result<SignerKey> generate_signer(const std::string& name, std::uint8_t type = kNoteKey);
std::string signer_text(const SignerKey& k);
std::string verifier_text(const VerifierKey& k);
Result<SignerKey> parse_signer(std::string_view text);      // InvalidArgument naming what is wrong
Result<VerifierKey> parse_verifier(std::string_view text);

// The 64-byte Ed25519 signature of `message`, and its check.
Result<std::string> ed25519_sign(const SignerKey& k, std::string_view message);
bool ed25519_verify(const KeyBytes& public_key, std::string_view message, std::string_view signature);

// The note: `text` (non-empty, ending in a newline, no blank line in it) signed by `k`.
Result<std::string> sign_note(std::string_view text, const SignerKey& k);
// Adds a signature line of `k` to a note (a witness's cosignature, or a second key).
Result<std::string> add_signature(std::string_view note, std::string_view line);
std::string signature_line(const std::string& name, std::uint32_t id, std::string_view signature);

struct OpenedNote {
  std::string text;                      // what the signatures cover, ending in a newline
  std::vector<std::string> lines;        // every signature line, as written (without its newline)
};
// Splits a note into its text and signature lines, checking their form only.
Result<OpenedNote> split_note(std::string_view note);
// A cosigner's signature line on a note's text at `unix_seconds` (C2SP tlog-cosignature).
Result<std::string> cosignature_line(std::string_view text, const SignerKey& cosigner, std::uint64_t unix_seconds);

// Splits and verifies: the note must carry a valid signature by `key` (name and id match, the
// signature verifies); a line of `key` whose signature fails rejects the whole note; lines of
// other keys are ignored. A note of the wrong form is InvalidArgument; one that fails the
// signature check is Corruption (tagged note.forged or note.unsigned). A cosigner key's lines
// are cosignatures: their time is given in `cosigned_at` (seconds since the epoch).
Result<OpenedNote> open_note(std::string_view note, const VerifierKey& key, std::uint64_t* cosigned_at = nullptr);

}  // namespace ftl::engine
