#include "engine/signed_note.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <memory>

#include "ledger/base64.h"
#include "ledger/sha256.h"

namespace ftl::engine {

namespace {

constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr std::size_t kMaxSignatures = 100;
constexpr std::size_t kMaxNote = 1 << 20;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string hex_id(std::uint32_t id) {
  char b[9];
  std::snprintf(b, sizeof b, "%08x", id);
  return b;
}

std::optional<std::uint32_t> parse_hex_id(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint32_t>(d);
  }
  return v;
}

// Split at `sep`, into at most `limit` parts (the last holds the rest: base64 has '+' in it).
std::vector<std::string_view> split(std::string_view s, char sep, std::size_t limit = ~std::size_t{0}) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || (s[i] == sep && out.size() + 1 < limit)) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

std::string key_bytes(std::uint8_t type, const KeyBytes& k) {
  std::string out(1, static_cast<char>(type));
  out.append(reinterpret_cast<const char*>(k.data()), k.size());
  return out;
}

Status bad_key(const std::string& what, const std::string& why) {
  return Status::InvalidArgument(what + " is not a key: " + why).tagged("key.malformed");
}

struct TypedKey {
  std::uint8_t type;
  KeyBytes bytes;
};

Result<TypedKey> key_from_base64(std::string_view b64, const std::string& what) {
  auto raw = from_base64(b64);
  if (!raw) return bad_key(what, "its last part is not base64");
  const std::uint8_t type = raw->empty() ? 0 : static_cast<std::uint8_t>((*raw)[0]);
  if (raw->size() != 33 || (type != kNoteKey && type != kCosignerKey))
    return bad_key(what, "its last part is not an Ed25519 key (type 0x01, or 0x04 for a cosigner, and 32 bytes)");
  TypedKey k{type, {}};
  std::copy(raw->begin() + 1, raw->end(), reinterpret_cast<char*>(k.bytes.data()));
  return k;
}

std::uint32_t be32(std::string_view b) {
  return static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[0])) << 24 | static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[1])) << 16 |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(b[2])) << 8 | static_cast<std::uint8_t>(b[3]);
}

std::uint64_t be64(std::string_view b) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<std::uint8_t>(b[i]);
  return v;
}

std::string cosigned_message(std::string_view text, std::uint64_t t) {
  return "cosignature/v1\ntime " + std::to_string(t) + "\n" + std::string(text);
}

// The note's text: non-empty, ending in a newline, with no blank line, no control character
// but the newline, and valid UTF-8 (checked by the caller's decoder being strict: here, bytes).
Status check_text(std::string_view text) {
  if (text.empty() || text.back() != '\n') return Status::InvalidArgument("a note's text must end with a newline").tagged("note.malformed");
  if (text.find("\n\n") != std::string_view::npos || text.front() == '\n')
    return Status::InvalidArgument("a note's text may not hold a blank line").tagged("note.malformed");
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\n') || c == 0x7f)
      return Status::InvalidArgument("a note's text may not hold control characters").tagged("note.malformed");
  return Status::Ok();
}

}  // namespace

bool valid_key_name(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f || c == '+') return false;
  return true;
}

std::uint32_t key_id(std::string_view name, const KeyBytes& public_key, std::uint8_t type) {
  const auto h = Sha256::of(std::string(name) + "\n" + key_bytes(type, public_key));
  return static_cast<std::uint32_t>(h[0]) << 24 | static_cast<std::uint32_t>(h[1]) << 16 | static_cast<std::uint32_t>(h[2]) << 8 | h[3];
}

namespace {

Result<KeyBytes> public_of(const KeyBytes& seed) {
  std::unique_ptr<EVP_PKEY, PkeyFree> p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!p) return Status::IOError("OpenSSL could not make an Ed25519 key");
  KeyBytes pub;
  std::size_t n = pub.size();
  if (EVP_PKEY_get_raw_public_key(p.get(), pub.data(), &n) != 1 || n != 32) return Status::IOError("OpenSSL could not derive an Ed25519 public key");
  return pub;
}

}  // namespace

Result<SignerKey> generate_signer(const std::string& name, std::uint8_t type) {
  if (!valid_key_name(name))
    return Status::InvalidArgument("the key name '" + name + "' is not a name", "use 1 to 256 printable ASCII characters, no spaces and no '+'")
        .tagged("key.name");
  SignerKey k;
  k.name = name;
  if (RAND_bytes(k.seed.data(), static_cast<int>(k.seed.size())) != 1) return Status::IOError("no random bytes for a key");
  auto pub = public_of(k.seed);
  if (!pub.ok()) return pub.status();
  k.public_key = *pub;
  k.type = type;
  k.id = key_id(name, k.public_key, type);
  return k;
}

std::string signer_text(const SignerKey& k) {
  return "PRIVATE+KEY+" + k.name + "+" + hex_id(k.id) + "+" + to_base64(key_bytes(k.type, k.seed));
}

std::string verifier_text(const VerifierKey& k) { return k.name + "+" + hex_id(k.id) + "+" + to_base64(key_bytes(k.type, k.public_key)); }

Result<SignerKey> parse_signer(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  const auto parts = split(text, '+', 5);
  if (parts.size() != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY")
    return bad_key("the signer key", "it should read PRIVATE+KEY+NAME+ID+KEY");
  SignerKey k;
  k.name = std::string(parts[2]);
  if (!valid_key_name(k.name)) return bad_key("the signer key", "its name '" + k.name + "' is not a key name");
  auto id = parse_hex_id(parts[3]);
  if (!id) return bad_key("the signer key of " + k.name, "its id '" + std::string(parts[3]) + "' is not 8 lowercase hex digits");
  auto seed = key_from_base64(parts[4], "the signer key of " + k.name);
  if (!seed.ok()) return seed.status();
  k.seed = seed->bytes;
  k.type = seed->type;
  auto pub = public_of(k.seed);
  if (!pub.ok()) return pub.status();
  k.public_key = *pub;
  k.id = key_id(k.name, k.public_key, k.type);
  if (k.id != *id) return bad_key("the signer key of " + k.name, "its id " + std::string(parts[3]) + " is not its key's (" + hex_id(k.id) + ")");
  return k;
}

Result<VerifierKey> parse_verifier(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  const auto parts = split(text, '+', 3);
  if (parts.size() != 3) return bad_key("the verifier key '" + std::string(text.substr(0, 80)) + "'", "it should read NAME+ID+KEY");
  VerifierKey k;
  k.name = std::string(parts[0]);
  if (!valid_key_name(k.name)) return bad_key("the verifier key", "its name '" + k.name + "' is not a key name");
  auto id = parse_hex_id(parts[1]);
  if (!id) return bad_key("the verifier key of " + k.name, "its id '" + std::string(parts[1]) + "' is not 8 lowercase hex digits");
  auto pub = key_from_base64(parts[2], "the verifier key of " + k.name);
  if (!pub.ok()) return pub.status();
  k.public_key = pub->bytes;
  k.type = pub->type;
  k.id = *id;
  if (key_id(k.name, k.public_key, k.type) != k.id)
    return bad_key("the verifier key of " + k.name, "its id " + std::string(parts[1]) + " is not the id of its name and key");
  return k;
}

Result<std::string> ed25519_sign(const SignerKey& k, std::string_view message) {
  std::unique_ptr<EVP_PKEY, PkeyFree> p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, k.seed.data(), k.seed.size()));
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!p || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, p.get()) != 1)
    return Status::IOError("OpenSSL could not start an Ed25519 signature");
  std::string sig(64, '\0');
  std::size_t n = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      n != 64)
    return Status::IOError("OpenSSL could not make an Ed25519 signature");
  return sig;
}

bool ed25519_verify(const KeyBytes& public_key, std::string_view message, std::string_view signature) {
  if (signature.size() != 64) return false;
  std::unique_ptr<EVP_PKEY, PkeyFree> p(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  if (!p || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, p.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
}

std::string signature_line(const std::string& name, std::uint32_t id, std::string_view signature) {
  std::string blob;
  for (int s = 24; s >= 0; s -= 8) blob.push_back(static_cast<char>(id >> s));
  blob.append(signature);
  return std::string(kDash) + name + " " + to_base64(blob);
}

Result<std::string> sign_note(std::string_view text, const SignerKey& k) {
  if (k.type != kNoteKey) return Status::InvalidArgument("the key of " + k.name + " is a cosigner's key; it cosigns checkpoints and signs no note").tagged("key.type");
  if (auto st = check_text(text); !st.ok()) return st;
  auto sig = ed25519_sign(k, text);
  if (!sig.ok()) return sig.status();
  return std::string(text) + "\n" + signature_line(k.name, k.id, *sig) + "\n";
}

Result<OpenedNote> split_note(std::string_view note) {
  if (note.size() > kMaxNote) return Status::InvalidArgument("the note is over 1 MiB").tagged("note.malformed");
  const auto blank = note.rfind("\n\n");
  if (blank == std::string_view::npos) return Status::InvalidArgument("the note has no signature: no blank line after its text").tagged("note.malformed");
  OpenedNote out;
  out.text = std::string(note.substr(0, blank + 1));
  if (auto st = check_text(out.text); !st.ok()) return st;
  auto sigs = note.substr(blank + 2);
  if (sigs.empty() || sigs.back() != '\n') return Status::InvalidArgument("the note's signature lines must end with a newline").tagged("note.malformed");
  sigs.remove_suffix(1);
  for (auto line : split(sigs, '\n')) {
    if (!line.starts_with(kDash)) return Status::InvalidArgument("a signature line must begin with an em dash and a space").tagged("note.malformed");
    const auto rest = line.substr(kDash.size());
    const auto space = rest.find(' ');
    if (space == std::string_view::npos || !valid_key_name(rest.substr(0, space)))
      return Status::InvalidArgument("a signature line must read '— NAME SIGNATURE'").tagged("note.malformed");
    auto blob = from_base64(rest.substr(space + 1));
    if (!blob || blob->size() < 5) return Status::InvalidArgument("a signature line's signature is not base64 of an id and a signature").tagged("note.malformed");
    out.lines.emplace_back(line);
  }
  if (out.lines.size() > kMaxSignatures) return Status::InvalidArgument("the note has over 100 signatures").tagged("note.malformed");
  return out;
}

Result<std::string> cosignature_line(std::string_view text, const SignerKey& k, std::uint64_t unix_seconds) {
  if (k.type != kCosignerKey) return Status::InvalidArgument("the key of " + k.name + " is not a cosigner's key (type 0x04)").tagged("key.type");
  if (auto st = check_text(text); !st.ok()) return st;
  if (unix_seconds > (std::uint64_t{1} << 63) - 1) return Status::InvalidArgument("a cosignature's time must be below 2^63").tagged("note.time");
  auto sig = ed25519_sign(k, cosigned_message(text, unix_seconds));
  if (!sig.ok()) return sig.status();
  std::string blob;
  for (int s = 56; s >= 0; s -= 8) blob.push_back(static_cast<char>(unix_seconds >> s));
  blob += *sig;
  return signature_line(k.name, k.id, blob);
}

Result<OpenedNote> open_note(std::string_view note, const VerifierKey& key, std::uint64_t* cosigned_at) {
  auto opened = split_note(note);
  if (!opened.ok()) return opened;
  bool verified = false;
  for (const auto& line : opened->lines) {
    const auto rest = std::string_view(line).substr(kDash.size());
    const auto space = rest.find(' ');
    if (rest.substr(0, space) != key.name) continue;
    const auto blob = *from_base64(rest.substr(space + 1));
    if (be32(blob) != key.id) continue;
    bool good;
    if (key.type == kCosignerKey) {
      // id ‖ u64 time ‖ signature over "cosignature/v1\ntime T\n" ‖ text
      const std::uint64_t t = blob.size() == 4 + 8 + 64 ? be64(std::string_view(blob).substr(4)) : 0;
      good = blob.size() == 4 + 8 + 64 && t <= (std::uint64_t{1} << 63) - 1 &&
             ed25519_verify(key.public_key, cosigned_message(opened->text, t), std::string_view(blob).substr(12));
      if (good && cosigned_at != nullptr) *cosigned_at = t;
    } else {
      good = ed25519_verify(key.public_key, opened->text, std::string_view(blob).substr(4));
    }
    if (!good)
      return Status::Corruption("the signature of " + key.name + " on the note does not verify: the note was changed or not signed by that key")
          .tagged("note.forged");
    verified = true;
  }
  if (!verified) return Status::Corruption("the note carries no signature of the key " + key.name + "+" + hex_id(key.id)).tagged("note.unsigned");
  return opened;
}

Result<std::string> add_signature(std::string_view note, std::string_view line) {
  auto opened = split_note(note);
  if (!opened.ok()) return opened.status();
  std::string out(note);
  out += line;
  out += "\n";
  if (auto again = split_note(out); !again.ok()) return again.status();
  return out;
}

}  // namespace ftl::engine
