// The operations of proofs an outsider checks without the ledger: a signed checkpoint of the
// tree, an inclusion proof of one event (C2SP tlog-proof@v1) and a consistency proof between two
// checkpoints (engine/checkpoint.h). Checking them needs no ledger: engine/checkpoint.h.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/args.h"
#include "engine/bundle.h"
#include "engine/checkpoint.h"
#include "engine/checkpoint_keeper.h"
#include "engine/digest_proof.h"
#include "engine/operations.h"
#include "engine/queries.h"
#include "ledger/format.h"
#include "ledger/merkle.h"
#include "projections/history.h"
#include "schema/parse.h"

namespace ftl::engine {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool inside(const std::string& file, const std::string& dir) {
  if (dir.empty()) return false;
  std::error_code ec;
  const auto d = fs::weakly_canonical(dir, ec);
  if (ec) return false;
  const auto f = fs::weakly_canonical(fs::absolute(file, ec).parent_path(), ec);
  if (ec) return false;
  auto rel = f.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

// The ledger directory (the one given, or any holding FTL-HEAD) that `file` would be inside.
std::optional<std::string> ledger_around(const std::string& file, const std::string& ledger_dir) {
  if (inside(file, ledger_dir)) return ledger_dir;
  std::error_code ec;
  auto d = fs::weakly_canonical(fs::absolute(file, ec).parent_path(), ec);
  if (ec) return std::nullopt;
  for (; !d.empty(); d = d.parent_path()) {
    if (fs::exists(d / format::kHeadFileName, ec)) return d.string();
    if (d == d.root_path()) break;
  }
  return std::nullopt;
}

Status key_in_ledger(const std::string& file) {
  return Status::InvalidArgument("the key file " + file + " is inside a ledger's directory",
                                 "keep the signing key outside it, where whoever can copy the ledger cannot take the key")
      .tagged("key.file");
}

}  // namespace

Status check_outside_ledgers(const std::string& file, const std::string& ledger_dir, const std::string& what) {
  auto around = ledger_around(file, ledger_dir);
  if (!around) return Status::Ok();
  return Status::InvalidArgument("the " + what + " " + file + " would be inside the ledger directory " + *around,
                                 "write it outside: what is in there is copied with the ledger, and a redaction does not reach it")
      .tagged("file.in_ledger");
}

namespace {

// A checkpoint in an argument: its form, and that this ledger's tree had that root at that size.
Result<Checkpoint> checkpoint_of_this_ledger(Ledger& ledger, const std::string& note, const std::string& field) {
  auto opened = split_note(note);
  if (!opened.ok()) return Status::InvalidArgument(field + ": " + opened.status().message()).tagged("field." + field);
  auto c = parse_checkpoint_text(opened->text);
  if (!c.ok()) return Status::InvalidArgument(field + ": " + c.status().message()).tagged("field." + field);
  if (c->size > ledger.head().sequence)
    return Status::InvalidArgument(field + " is of a tree of " + std::to_string(c->size) + " events, but this ledger has " +
                                   std::to_string(ledger.head().sequence))
        .tagged("proof.size");
  auto root = ledger.tree_root(c->size);
  if (!root.ok()) return root.status();
  if (*root != c->root)
    return Status::Corruption(field + " does not match this ledger: its root at " + std::to_string(c->size) + " events is " +
                              to_hex(*root) + ", the checkpoint's " + to_hex(c->root) +
                              " (the checkpoint is another log's, or this ledger's events or its tree's stored nodes changed since it was signed)")
        .tagged("proof.mismatch");
  return c;
}

Result<SignerKey> call_signer(Call& call) {
  if (call.signing_key_file.empty())
    return Status::InvalidArgument("no signing key is given, so no checkpoint can be signed").tagged("key.missing");
  return read_signer_file(call.signing_key_file, call.ledger.path());
}

// The call's progress, for the check of the tree before a signature.
std::function<void(std::uint64_t, std::uint64_t)> tree_progress(Call& call) {
  if (!call.progress) return {};
  return [&call](std::uint64_t done, std::uint64_t total) { call.progress(done, total, "events"); };
}

// A checkpoint the caller gave, else one signed now with the call's key.
Result<std::string> given_or_signed(Call& call, const std::optional<std::string>& given) {
  if (given) return *given;
  if (call.checkpoints != nullptr) return call.checkpoints->latest().note;
  auto key = call_signer(call);
  if (!key.ok()) return key.status();
  return sign_checkpoint(call.ledger, *key, 0, tree_progress(call));
}

Result<json> checkpoint_op(Call& call, const json& j) {
  Args a(j, "checkpoint");
  if (auto st = a.done(); !st.ok()) return st;
  if (call.checkpoints != nullptr) {
    const auto kept = call.checkpoints->latest();
    auto c = parse_checkpoint_text(split_note(kept.note)->text);
    return json{{"origin", c->origin},      {"size", c->size},
                {"root", to_hex(c->root)},  {"checkpoint", kept.note},
                {"verifier_key", verifier_text(call.checkpoints->key().verifier())},
                {"signed_at", projections::iso_time(kept.signed_us)}};
  }
  auto key = call_signer(call);
  if (!key.ok()) return key.status();
  auto note = sign_checkpoint(call.ledger, *key, 0, tree_progress(call));
  if (!note.ok()) return note.status();
  auto c = parse_checkpoint_text(split_note(*note)->text);
  return json{{"origin", c->origin}, {"size", c->size}, {"root", to_hex(c->root)}, {"checkpoint", *note},
              {"verifier_key", verifier_text(key->verifier())}};
}

Result<json> inclusion_op(Call& call, const json& j) {
  Args a(j, "proof.inclusion");
  const auto event = a.text("event", true);
  const auto given = a.maybe_text("checkpoint");
  if (auto st = a.done(); !st.ok()) return st;
  auto seq = event_sequence(call.ledger, event);
  if (!seq.ok()) return seq.status();
  // A server's kept checkpoint older than the event: sign a newer one now, for everyone.
  if (!given && call.checkpoints != nullptr && call.checkpoints->latest().size < *seq)
    if (auto st = call.checkpoints->refresh(); !st.ok()) return st;
  auto chosen = given_or_signed(call, given);
  if (!chosen.ok()) return chosen.status();
  const std::string& note = *chosen;
  auto c = checkpoint_of_this_ledger(call.ledger, note, "checkpoint");
  if (!c.ok()) return c.status();
  if (*seq > c->size)
    return Status::InvalidArgument("event " + std::to_string(*seq) + " came after the checkpoint, which covers events 1 to " +
                                   std::to_string(c->size),
                                   "prove it against a later checkpoint")
        .tagged("field.event");
  auto e = call.ledger.get(*seq);
  if (!e.ok()) return e.status();
  auto proof = call.ledger.inclusion_proof(*seq, c->size);
  if (!proof.ok()) return proof.status();
  const auto canonical = canonical_of(*e);
  if (auto st = check_own_inclusion(*seq, c->size, canonical, *proof, c->root); !st.ok()) return st;
  InclusionProofFile f{canonical, *seq - 1, merkle::as_bytes(*proof), note};
  return json{{"sequence", *seq}, {"event_id", e->event_id}, {"size", c->size}, {"proof", inclusion_file_text(f)}};
}

Result<json> consistency_op(Call& call, const json& j) {
  Args a(j, "proof.consistency");
  const auto first = a.text("first", true);
  const auto second = a.maybe_text("second");
  if (auto st = a.done(); !st.ok()) return st;
  auto chosen = given_or_signed(call, second);
  if (!chosen.ok()) return chosen.status();
  const std::string& later = *chosen;
  if (!first.empty() && first.front() == '{') {
    // From a digest saved before checkpoints: the event it pinned, proved to be in the tree.
    auto d = parse_digest_json(first, "first");
    if (!d.ok()) return d.status();
    auto c2 = checkpoint_of_this_ledger(call.ledger, later, "second");
    if (!c2.ok()) return c2.status();
    if (d->sequence > c2->size)
      return Status::InvalidArgument("the digest is of event " + std::to_string(d->sequence) + ", after the checkpoint's " + std::to_string(c2->size) +
                                     " events")
          .tagged("field.first");
    auto e = call.ledger.get(d->sequence);
    if (!e.ok()) return e.status();
    if (e->hash != d->hash)
      return Status::Corruption("the digest does not hold: event " + std::to_string(d->sequence) + "'s hash is " + to_hex(e->hash) +
                                ", the digest's " + to_hex(d->hash) + " (the digest is another ledger's, or this history was rewritten)")
          .tagged("proof.mismatch");
    auto path = call.ledger.inclusion_proof(d->sequence, c2->size);
    if (!path.ok()) return path.status();
    const auto canonical = canonical_of(*e);
    if (auto st = check_own_inclusion(d->sequence, c2->size, canonical, *path, c2->root); !st.ok()) return st;
    DigestProofFile f{*d, e->prev_hash, canonical, merkle::as_bytes(*path), later};
    return json{{"kind", "digest"}, {"size1", d->sequence}, {"size2", c2->size}, {"proof", digest_proof_text(f)}};
  }
  auto c1 = checkpoint_of_this_ledger(call.ledger, first, "first");
  if (!c1.ok()) return c1.status();
  auto c2 = checkpoint_of_this_ledger(call.ledger, later, "second");
  if (!c2.ok()) return c2.status();
  if (c1->size == 0 || c1->size > c2->size)
    return Status::InvalidArgument("no consistency proof runs from a tree of " + std::to_string(c1->size) + " events to one of " +
                                   std::to_string(c2->size),
                                   "give the earlier checkpoint first; a checkpoint of the empty tree proves nothing")
        .tagged("field.first");
  auto proof = call.ledger.consistency_proof(c1->size, c2->size);
  if (!proof.ok()) return proof.status();
  if (!merkle::verify_consistency(c1->size, c2->size, merkle::as_bytes(*proof), merkle::bytes(c1->root), merkle::bytes(c2->root)).ok())
    return Status::Corruption("the tree's stored nodes give a consistency proof from " + std::to_string(c1->size) + " to " +
                              std::to_string(c2->size) + " events that does not hold: they were altered (T1), so no proof was made")
        .tagged("tree.damaged");
  ConsistencyProofFile f{merkle::as_bytes(*proof), first, later};
  return json{{"size1", c1->size}, {"size2", c2->size}, {"proof", consistency_file_text(f)}};
}

// An engagement's offline bundle, as of a sequence or a time (else the head).
Result<json> bundle_op(Call& call, const json& j) {
  Args a(j, "bundle");
  const auto engagement = a.text("engagement", true);
  const auto to = a.text("to"), from_text = a.text("from");
  if (auto st = a.done(); !st.ok()) return st;
  auto size = as_of_sequence(call.ledger, to, "to");
  if (!size.ok()) return size.status();
  // From a sequence, or from the first event recorded at or after a time.
  auto from = from_sequence(call.ledger, from_text, "from");
  if (!from.ok()) return from.status();
  SignerKey key;
  if (call.checkpoints != nullptr) {
    key = call.checkpoints->key();
  } else {
    auto k = call_signer(call);
    if (!k.ok()) return k.status();
    key = std::move(*k);
  }
  auto text = make_bundle(call.ledger, engagement, key, *size, *from, tree_progress(call));
  if (!text.ok()) return text.status();
  return json{{"engagement", engagement}, {"size", *size != 0 ? *size : call.ledger.head().sequence}, {"bundle", *text}};
}

}  // namespace

Status write_signer_file(const std::string& file, const SignerKey& key, const std::string& ledger_dir) {
  if (ledger_around(file, ledger_dir)) return key_in_ledger(file);
  auto st = schema::write_new_file(file, signer_text(key) + "\n", 0600, "key file");
  if (st.tag() == "file.exists")
    return Status::InvalidArgument("the key file " + file + " exists; a key is never written over another",
                                   "choose another file, or remove that one if it is no longer wanted")
        .tagged("key.file");
  return st;
}

Result<SignerKey> read_signer_file(const std::string& file, const std::string& ledger_dir) {
  if (ledger_around(file, ledger_dir)) return key_in_ledger(file);
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return Status::NotFound("no key file " + file + " (" + std::strerror(errno) + ")", "make one with ftl key generate").tagged("key.file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::InvalidArgument("the key file " + file + " may be read by others (mode " + mode + ")", "chmod 600 " + file).tagged("key.file");
  }
  auto bytes = schema::read_file(file, 4096, "key file");
  if (!bytes.ok()) return bytes.status();
  auto key = parse_signer(*bytes);
  if (key.ok()) key->file = file;
  return key;
}

namespace {

// The largest tree this key signed, kept beside the key file (FILE.checkpoint), where whoever can
// write the ledger's files cannot reach it: nothing (size 0) before the key's first signature,
// or for a key made in memory. A record that cannot be read as a checkpoint this key signed is
// damage, and nothing is signed past it: without it a rewritten history would be signed.
Result<Checkpoint> last_signed(const SignerKey& key) {
  if (key.file.empty()) return Checkpoint{};
  const auto file = key.file + ".checkpoint";
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return Checkpoint{};
    return Status::IOError("cannot read " + file + ": " + std::strerror(errno));
  }
  auto text = schema::read_file(file, 64 << 10, "checkpoint file", 0);
  auto c = text.ok() ? open_checkpoint(*text, key.verifier()) : Result<Checkpoint>(text.status());
  if (!c.ok() || !S_ISREG(st.st_mode))
    return Status::Corruption("the record of the largest checkpoint this key signed, " + file + ", is not one it signed (" +
                              (S_ISREG(st.st_mode) ? c.status().message() : std::string("not a plain file")) + "), so nothing is signed")
        .tagged("checkpoint.state");
  return *c;
}

}  // namespace

Result<std::string> sign_checkpoint(Ledger& ledger, const SignerKey& key, std::uint64_t size,
                                    const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (size == 0) size = ledger.head().sequence;
  // One signer of this key at a time, so the record only ever grows.
  const int lock_fd = key.file.empty() ? -1 : ::open(key.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (lock_fd >= 0) ::flock(lock_fd, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) ::close(fd);  // closing releases the lock
    }
  } unlock{lock_fd};
  auto last = last_signed(key);
  if (!last.ok()) return last.status();
  auto root = ledger.checked_tree_root(size, last->size, last->root, progress);
  if (!root.ok()) {
    if (root.status().tag() == "tree.fork")
      return Status::Corruption("nothing was signed: this key signed a tree of " + std::to_string(last->size) + " events (kept in " + key.file +
                                ".checkpoint, root " + to_hex(last->root).substr(0, 16) +
                                "...) that this ledger does not extend: its events or its tree's nodes changed since, it lost events, "
                                "or it is another ledger")
          .tagged("checkpoint.fork");
    return root.status();
  }
  auto note = sign_note(checkpoint_text({key.name, size, *root, {}}), key);
  if (!note.ok()) return note;
  // Kept before the note leaves: a signature the record does not hold could be contradicted.
  if (!key.file.empty() && size > last->size)
    if (auto st = schema::replace_file(key.file + ".checkpoint", *note, "checkpoint file"); !st.ok()) return st;
  return note;
}

void add_proof_operations(std::vector<Operation>& ops) {
  ops.push_back({"checkpoint", Access::kRead, false, false, checkpoint_op, false, {}});
  ops.push_back({"proof.inclusion", Access::kRead, false, false, inclusion_op, false, {}});
  ops.push_back({"proof.consistency", Access::kRead, false, false, consistency_op, false, {}});
  ops.push_back({"bundle", Access::kRead, false, false, bundle_op, false, {}});
}

}  // namespace ftl::engine
