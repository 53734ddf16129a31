#include "engine/checkpoint.h"

#include "ledger/base64.h"
#include "ledger/merkle.h"

namespace ftl::engine {

namespace {



// Lines of a text that ends with a newline (the empty line after the last newline dropped).
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      out.push_back(text.substr(start));
      break;
    }
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// The end of the signed note that begins at `text`: after its blank line, the signature lines.
std::size_t note_end(std::string_view text) {
  const auto blank = text.find("\n\n");
  if (blank == std::string_view::npos) return std::string_view::npos;
  std::size_t pos = blank + 2;
  while (pos < text.size() && text.substr(pos).starts_with("\xE2\x80\x94 ")) {
    const auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return std::string_view::npos;
    pos = nl + 1;
  }
  return pos;
}

}  // namespace

Status malformed_proof(const std::string& what, const std::string& why) {
  return Status::InvalidArgument(what + " is malformed: " + why).tagged("proof.malformed");
}

std::optional<std::uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

bool ProofLines::next(std::string_view* line) {
  const auto nl = text_.find('\n', pos_);
  if (nl == std::string_view::npos) return false;
  *line = text_.substr(pos_, nl - pos_);
  pos_ = nl + 1;
  return true;
}

Result<std::vector<std::string>> ProofLines::hashes_to_blank(const std::string& what) {
  std::vector<std::string> out;
  std::string_view line;
  for (;;) {
    if (!next(&line)) return malformed_proof(what, "it has no empty line after its hashes");
    if (line.empty()) return out;
    auto h = from_base64(line);
    if (!h || h->size() != 32)
      return malformed_proof(what, "proof line " + std::to_string(out.size() + 1) + " is not base64 of a 32-byte hash");
    out.push_back(std::move(*h));
  }
}

std::string checkpoint_text(const Checkpoint& c) {
  std::string out = c.origin + "\n" + std::to_string(c.size) + "\n" + to_base64(merkle::bytes(c.root)) + "\n";
  for (const auto& e : c.extensions) out += e + "\n";
  return out;
}

Result<Checkpoint> parse_checkpoint_text(std::string_view text) {
  const auto lines = lines_of(text);
  if (text.empty() || text.back() != '\n' || lines.size() < 3) return malformed_proof("the checkpoint", "it needs an origin, a size and a root, a line each");
  Checkpoint c;
  c.origin = std::string(lines[0]);
  if (c.origin.empty()) return malformed_proof("the checkpoint", "its origin line is empty");
  auto size = parse_decimal(lines[1]);
  if (!size) return malformed_proof("the checkpoint", "its size '" + std::string(lines[1].substr(0, 40)) + "' is not a decimal number without leading zeros");
  c.size = *size;
  auto root = from_base64(lines[2]);
  if (!root || root->size() != 32) return malformed_proof("the checkpoint", "its root is not base64 of 32 bytes");
  std::copy(root->begin(), root->end(), reinterpret_cast<char*>(c.root.data()));
  for (std::size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return malformed_proof("the checkpoint", "an extension line is empty");
    c.extensions.emplace_back(lines[i]);
  }
  return c;
}

Result<Checkpoint> open_checkpoint(std::string_view note, const VerifierKey& key) {
  auto opened = open_note(note, key);
  if (!opened.ok()) return opened.status();
  auto c = parse_checkpoint_text(opened->text);
  if (!c.ok()) return c;
  if (c->origin != key.name)
    return Status::Corruption("the checkpoint is of the log '" + c->origin + "', not of " + key.name).tagged("proof.origin");
  return c;
}

std::string inclusion_file_text(const InclusionProofFile& p) {
  std::string out = std::string(kProofHeader) + "\n";
  if (p.extra) out += "extra " + to_base64(*p.extra) + "\n";
  out += "index " + std::to_string(p.index) + "\n";
  for (const auto& h : p.hashes) out += to_base64(h) + "\n";
  return out + "\n" + p.checkpoint;
}

Result<InclusionProofFile> parse_inclusion_file(std::string_view text) {
  const std::string what = "the inclusion proof";
  InclusionProofFile p;
  ProofLines in(text);
  std::string_view line;
  if (!in.next(&line) || line != kProofHeader) return malformed_proof(what, "its first line is not " + std::string(kProofHeader));
  if (!in.next(&line)) return malformed_proof(what, "it ends after its first line");
  if (line.starts_with("extra ")) {
    auto extra = from_base64(line.substr(6));
    if (!extra) return malformed_proof(what, "its extra data is not base64");
    p.extra = std::move(*extra);
    if (!in.next(&line)) return malformed_proof(what, "it ends after its extra data");
  }
  if (!line.starts_with("index ")) return malformed_proof(what, "it has no index line");
  auto index = parse_decimal(line.substr(6));
  if (!index) return malformed_proof(what, "its index is not a decimal number without leading zeros");
  p.index = *index;
  auto hashes = in.hashes_to_blank(what);
  if (!hashes.ok()) return hashes.status();
  p.hashes = std::move(*hashes);
  p.checkpoint = std::string(in.rest());
  if (p.checkpoint.empty()) return malformed_proof(what, "it holds no checkpoint");
  return p;
}

std::string consistency_file_text(const ConsistencyProofFile& p) {
  std::string out = std::string(kConsistencyHeader) + "\n";
  for (const auto& h : p.hashes) out += to_base64(h) + "\n";
  return out + "\n" + p.first + "\n" + p.second;
}

Result<ConsistencyProofFile> parse_consistency_file(std::string_view text) {
  const std::string what = "the consistency proof";
  ProofLines in(text);
  std::string_view line;
  if (!in.next(&line) || line != kConsistencyHeader) return malformed_proof(what, "its first line is not " + std::string(kConsistencyHeader));
  ConsistencyProofFile p;
  auto hashes = in.hashes_to_blank(what);
  if (!hashes.ok()) return hashes.status();
  p.hashes = std::move(*hashes);
  const auto rest = in.rest();
  const auto end = note_end(rest);
  if (end == std::string_view::npos || end >= rest.size() || rest[end] != '\n')
    return malformed_proof(what, "its two checkpoints are not two signed notes, one empty line apart");
  p.first = std::string(rest.substr(0, end));
  p.second = std::string(rest.substr(end + 1));
  return p;
}

Status check_own_inclusion(std::uint64_t sequence, std::uint64_t size, std::string_view canonical, const std::vector<Hash>& proof,
                           const Hash& root) {
  const auto leaf = merkle::leaf_hash(canonical);
  if (merkle::verify_inclusion(sequence - 1, size, merkle::bytes(leaf), merkle::as_bytes(proof), merkle::bytes(root)).ok()) return Status::Ok();
  return Status::Corruption("the tree's stored nodes give event " + std::to_string(sequence) + " a path that does not lead to the root of " +
                            std::to_string(size) + " events: they were altered (T1), so no proof was made")
      .tagged("tree.damaged");
}

Result<ProvenInclusion> verify_inclusion_file(std::string_view text, const VerifierKey& key) {
  auto p = parse_inclusion_file(text);
  if (!p.ok()) return p.status();
  auto cp = open_checkpoint(p->checkpoint, key);
  if (!cp.ok()) return cp.status();
  if (!p->extra) return malformed_proof("the inclusion proof", "it has no extra line: an ftl proof carries the event's canonical bytes there");
  auto env = envelope_of(*p->extra);
  if (!env.ok()) return env.status();
  if (env->event.sequence != p->index + 1)
    return Status::Corruption("the proof is for index " + std::to_string(p->index) + " (event " + std::to_string(p->index + 1) +
                                   "), but its event's bytes say event " + std::to_string(env->event.sequence))
        .tagged("proof.rejected");
  const auto leaf = merkle::leaf_hash(*p->extra);
  if (auto st = merkle::verify_inclusion(p->index, cp->size, merkle::bytes(leaf), p->hashes, merkle::bytes(cp->root)); !st.ok()) return st;
  ProvenInclusion out;
  out.checkpoint = std::move(*cp);
  out.sequence = p->index + 1;
  out.envelope = std::move(env->event);
  out.envelope->payload_length = env->payload_length;
  out.canonical = std::move(*p->extra);
  return out;
}

Result<ProvenConsistency> verify_consistency_file(std::string_view text, const VerifierKey& key) {
  auto p = parse_consistency_file(text);
  if (!p.ok()) return p.status();
  auto a = open_checkpoint(p->first, key);
  if (!a.ok()) return a.status();
  auto b = open_checkpoint(p->second, key);
  if (!b.ok()) return b.status();
  if (auto st = merkle::verify_consistency(a->size, b->size, p->hashes, merkle::bytes(a->root), merkle::bytes(b->root)); !st.ok()) return st;
  return ProvenConsistency{std::move(*a), std::move(*b)};
}

}  // namespace ftl::engine
