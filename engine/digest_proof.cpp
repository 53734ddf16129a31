#include "engine/digest_proof.h"

#include <nlohmann/json.hpp>

#include "ledger/base64.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"

namespace ftl::engine {

namespace {

Status malformed(const std::string& why) { return malformed_proof("the digest proof", why); }
Status rejected(const std::string& why) { return Status::Corruption("the digest proof fails: " + why).tagged("proof.rejected"); }

}  // namespace

std::string digest_proof_text(const DigestProofFile& p) {
  std::string out = std::string(kDigestProofHeader) + "\n";
  out += "digest " + std::to_string(p.digest.sequence) + " " + to_hex(p.digest.hash) + "\n";
  out += "prev " + to_base64(merkle::bytes(p.prev_hash)) + "\n";
  out += "event " + to_base64(p.canonical) + "\n";
  for (const auto& h : p.hashes) out += to_base64(h) + "\n";
  return out + "\n" + p.checkpoint;
}

Result<DigestProofFile> parse_digest_proof(std::string_view text) {
  DigestProofFile p;
  ProofLines in(text);
  std::string_view line;
  if (!in.next(&line) || line != kDigestProofHeader) return malformed("its first line is not " + std::string(kDigestProofHeader));
  if (!in.next(&line) || !line.starts_with("digest ")) return malformed("it has no digest line");
  const auto parts = line.substr(7);
  const auto sp = parts.find(' ');
  if (sp == std::string_view::npos) return malformed("its digest line is not 'digest SEQUENCE HASH'");
  const auto sequence = parse_decimal(parts.substr(0, sp));
  if (!sequence) return malformed("its digest's sequence is not a decimal number without leading zeros");
  p.digest.sequence = *sequence;
  auto h = hash_from_hex(parts.substr(sp + 1));
  if (!h || p.digest.sequence == 0 || parts.substr(sp + 1) != to_hex(*h)) return malformed("its digest line is not 'digest SEQUENCE HASH' (64 lowercase hex)");
  p.digest.hash = *h;
  if (!in.next(&line) || !line.starts_with("prev ")) return malformed("it has no prev line");
  auto prev = from_base64(line.substr(5));
  if (!prev || prev->size() != 32) return malformed("its prev hash is not base64 of 32 bytes");
  std::copy(prev->begin(), prev->end(), reinterpret_cast<char*>(p.prev_hash.data()));
  if (!in.next(&line) || !line.starts_with("event ")) return malformed("it has no event line");
  auto canonical = from_base64(line.substr(6));
  if (!canonical) return malformed("its event's bytes are not base64");
  p.canonical = std::move(*canonical);
  auto hashes = in.hashes_to_blank("the digest proof");
  if (!hashes.ok()) return hashes.status();
  p.hashes = std::move(*hashes);
  p.checkpoint = std::string(in.rest());
  if (p.checkpoint.empty()) return malformed("it holds no checkpoint");
  return p;
}

Result<ProvenDigest> verify_digest_proof(std::string_view text, const VerifierKey& key) {
  auto p = parse_digest_proof(text);
  if (!p.ok()) return p.status();
  auto cp = open_checkpoint(p->checkpoint, key);
  if (!cp.ok()) return cp.status();
  auto env = envelope_of(p->canonical);
  if (!env.ok()) return env.status();
  if (env->event.sequence != p->digest.sequence)
    return rejected("the digest is of event " + std::to_string(p->digest.sequence) + ", but the proof's event bytes are of event " +
                    std::to_string(env->event.sequence));
  Sha256 chain;
  chain.update(merkle::bytes(p->prev_hash));
  chain.update(p->canonical);
  if (chain.finish() != p->digest.hash)
    return rejected("event " + std::to_string(p->digest.sequence) + "'s bytes and previous hash do not hash to the digest's hash");
  if (p->digest.sequence > cp->size)
    return rejected("event " + std::to_string(p->digest.sequence) + " lies outside the checkpoint's tree of " + std::to_string(cp->size) + " events");
  const auto leaf = merkle::leaf_hash(p->canonical);
  if (auto st = merkle::verify_inclusion(p->digest.sequence - 1, cp->size, merkle::bytes(leaf), p->hashes, merkle::bytes(cp->root)); !st.ok())
    return st;
  ProvenDigest out{p->digest, std::move(*cp), std::move(env->event)};
  out.envelope.prev_hash = p->prev_hash;
  out.envelope.hash = p->digest.hash;
  return out;
}

Result<Digest> parse_digest_json(std::string_view text, const std::string& field) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(field + " is not a digest: " + why,
                                   "it should be {\"sequence\":N,\"hash\":\"<64 lowercase hex digits>\"} as ftl digest prints it")
        .tagged("field." + field);
  };
  if (j.is_discarded()) return bad("it is not JSON");
  if (!j.is_object() || !j.contains("sequence") || !j.contains("hash")) return bad("it has no sequence and hash");
  if (!j["sequence"].is_number_unsigned() || j["sequence"].get<std::uint64_t>() == 0)
    return bad("its sequence is not an event's (1 or more)");
  const auto hex = j["hash"].is_string() ? j["hash"].get<std::string>() : std::string();
  auto h = hash_from_hex(hex);
  if (!h || to_hex(*h) != hex) return bad("its hash is not 64 lowercase hex digits");
  return Digest{j["sequence"].get<std::uint64_t>(), *h};
}

}  // namespace ftl::engine
