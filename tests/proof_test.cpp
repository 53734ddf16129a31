// Signed notes, checkpoints and proof files: C2SP signed-note's published example, and proofs
// made from a real ledger that verify with the verifier key alone, while every forgery of a
// proof file (a hash, the index, the event's bytes, the checkpoint, the key, another history)
// is rejected.
#include <catch2/catch.hpp>

#include <filesystem>

#include "engine/checkpoint.h"
#include "engine/digest_proof.h"
#include "engine/operations.h"
#include "ledger/base64.h"
#include "ledger/merkle.h"
#include "testutil.h"

using namespace ftl;
using namespace ftl::engine;
using test::TempDir;

namespace {

const std::string kSpecKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const std::string kSpecNote =
    "This is an example message.\n\n\xE2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";


struct Fixture {
  TempDir dir;
  std::string db = dir.sub("db"), key_file = dir.sub("ledger.key");
  SignerKey key = *generate_signer("ledger.example");
  std::unique_ptr<Ledger> ledger;
  Fixture() {
    REQUIRE(write_signer_file(key_file, key, db).ok());
    ledger = test::open_ledger(db);
    test::append_events(*ledger, 300, "e");
  }
  Result<nlohmann::json> run(const std::string& op, const nlohmann::json& args) {
    Call call{*ledger, "tester", "", {}, {}, "", key_file};
    return run_operation(call, op, args);
  }
};

// The file with one line replaced (lines counted from 0).
std::string with_line(const std::string& text, std::size_t n, const std::string& line) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == '\n') {
      lines.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  REQUIRE(n < lines.size());
  lines[n] = line;
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) out += lines[i] + (i + 1 < lines.size() ? "\n" : "");
  return out;
}

std::string flip_base64(const std::string& b64) {
  auto raw = *from_base64(b64);
  raw[raw.size() / 2] ^= 0x01;
  return to_base64(raw);
}

}  // namespace

TEST_CASE("C2SP signed-note's published example verifies, and nothing else does", "[note]") {
  auto key = parse_verifier(kSpecKey);
  REQUIRE(key.ok());
  CHECK(key->name == "example.com/foo");
  CHECK(key->id == 0x530d903a);
  CHECK(key_id(key->name, key->public_key) == 0x530d903a);
  CHECK(verifier_text(*key) == kSpecKey);
  auto opened = open_note(kSpecNote, *key);
  REQUIRE(opened.ok());
  CHECK(opened->text == "This is an example message.\n");

  std::string changed = kSpecNote;
  changed[5] = 'I';
  CHECK(open_note(changed, *key).status().tag() == "note.forged");
  // Another key's line is ignored; a second, bad line of the same key rejects the note.
  const std::string other = "\xE2\x80\x94 other.example " + to_base64(std::string(68, '\x01')) + "\n";
  CHECK(open_note(kSpecNote + other, *key).ok());
  const auto line = kSpecNote.substr(kSpecNote.find("\xE2\x80\x94"));
  const auto bad = line.substr(0, line.size() - 6) + (line[line.size() - 6] == 'A' ? "B" : "A") + line.substr(line.size() - 5);
  CHECK(open_note(kSpecNote + bad, *key).status().code() == Code::kCorruption);
  // Wrong keys: the id of another name, a key of the same name that did not sign.
  CHECK_FALSE(parse_verifier("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k").ok());
  CHECK_FALSE(parse_verifier("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2").ok());
  CHECK_FALSE(parse_verifier("example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=").ok());
  auto impostor = *generate_signer("example.com/foo");
  CHECK(open_note(kSpecNote, impostor.verifier()).status().tag() == "note.unsigned");
  // Form: no blank line, no signature, a text without its newline.
  CHECK_FALSE(split_note("This is an example message.\n").ok());
  CHECK_FALSE(split_note("This is an example message.\n\n").ok());
  CHECK_FALSE(split_note("\n\n" + line).ok());
}

TEST_CASE("a generated key signs notes that open with its verifier key, and its files round-trip", "[note]") {
  TempDir dir;
  auto k = generate_signer("ledger.contoso.example");
  REQUIRE(k.ok());
  auto again = parse_signer(signer_text(*k));
  REQUIRE(again.ok());
  CHECK(again->seed == k->seed);
  CHECK(again->public_key == k->public_key);
  auto v = parse_verifier(verifier_text(k->verifier()));
  REQUIRE(v.ok());
  auto note = sign_note("ledger.contoso.example\n5\nAAAA\n", *k);
  REQUIRE(note.ok());
  CHECK(open_note(*note, *v).ok());
  CHECK_FALSE(sign_note("no newline", *k).ok());
  CHECK_FALSE(sign_note("a\n\nb\n", *k).ok());
  CHECK_FALSE(generate_signer("has space").ok());
  CHECK_FALSE(generate_signer("has+plus").ok());

  const auto file = dir.sub("k.key");
  REQUIRE(write_signer_file(file, *k, dir.sub("db")).ok());
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK(write_signer_file(file, *k, dir.sub("db")).tag() == "key.file");  // never over a file
  auto read = read_signer_file(file, dir.sub("db"));
  REQUIRE(read.ok());
  CHECK(read->seed == k->seed);
  std::filesystem::permissions(file, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
  CHECK(read_signer_file(file, dir.sub("db")).status().tag() == "key.file");
  std::filesystem::create_directories(dir.sub("db"));
  CHECK(write_signer_file(dir.sub("db/inside.key"), *k, dir.sub("db")).tag() == "key.file");
}

TEST_CASE("an inclusion proof verifies with the verifier key alone; every forgery of it is rejected", "[proof]") {
  Fixture f;
  const auto vkey = f.key.verifier();
  auto cp = f.run("checkpoint", nlohmann::json::object());
  INFO(cp.status().message());
  REQUIRE(cp.ok());
  CHECK((*cp)["size"] == 300);
  auto made = f.run("proof.inclusion", {{"event", "42"}});
  REQUIRE(made.ok());
  const std::string proof = (*made)["proof"];
  auto ok = verify_inclusion_file(proof, vkey);
  REQUIRE(ok.ok());
  CHECK(ok->sequence == 42);
  CHECK(ok->envelope->event_id == "e41");
  CHECK(ok->checkpoint.size == 300);
  // By event id, against a checkpoint given.
  auto by_id = f.run("proof.inclusion", {{"event", "e299"}, {"checkpoint", (*cp)["checkpoint"]}});
  REQUIRE(by_id.ok());
  CHECK(verify_inclusion_file((*by_id)["proof"].get<std::string>(), vkey).ok());

  // Line 0 header, 1 extra, 2 index, 3.. hashes, then the blank line and the checkpoint.
  auto p = *parse_inclusion_file(proof);
  const auto hashes = p.hashes.size();
  REQUIRE(hashes >= 8);
  const auto extra_line = "extra " + to_base64(*p.extra);
  struct Forgery {
    const char* what;
    std::string text;
  };
  auto other_event = *f.ledger->get(43);
  std::vector<Forgery> forgeries = {
      {"a proof hash changed", with_line(proof, 3, flip_base64(to_base64(p.hashes[0])))},
      {"the last proof hash changed", with_line(proof, 2 + hashes, flip_base64(to_base64(p.hashes.back())))},
      {"the index moved", with_line(proof, 2, "index 42")},
      {"the index moved and the event's bytes with it", with_line(with_line(proof, 2, "index 42"), 1, "extra " + to_base64(canonical_of(other_event)))},
      {"the event's bytes changed", with_line(proof, 1, "extra " + flip_base64(to_base64(*p.extra)))},
      {"another event's bytes", with_line(proof, 1, "extra " + to_base64(canonical_of(other_event)))},
      {"no extra line", proof.substr(0, proof.find('\n') + 1) + proof.substr(proof.find('\n', proof.find('\n') + 1) + 1)},
      {"a hash dropped", with_line(proof, 3, to_base64(p.hashes[1]))},
      {"the checkpoint's size changed", with_line(proof, 4 + hashes + 1, "301")},
      {"the checkpoint's root changed", with_line(proof, 4 + hashes + 2, flip_base64(to_base64(std::string(merkle::bytes(ok->checkpoint.root)))))},
      {"the header changed", with_line(proof, 0, "c2sp.org/tlog-proof@v2")},
  };
  for (const auto& fg : forgeries) {
    INFO(fg.what);
    auto r = verify_inclusion_file(fg.text, vkey);
    INFO(r.status().message());
    CHECK_FALSE(r.ok());
  }
  // Signed by another key of the same name.
  auto impostor = *generate_signer("ledger.example");
  CHECK_FALSE(verify_inclusion_file(proof, impostor.verifier()).ok());
  // A true proof under a key with another name is refused for its origin.
  CHECK_FALSE(verify_inclusion_file(proof, generate_signer("other.example")->verifier()).ok());
  // Not yet in the checkpoint: events after it cannot be proved against it.
  test::append_events(*f.ledger, 1, "late");
  CHECK(f.run("proof.inclusion", {{"event", "301"}, {"checkpoint", (*cp)["checkpoint"]}}).status().tag() == "field.event");
  CHECK(f.run("proof.inclusion", {{"event", "0"}}).status().code() == Code::kNotFound);
  CHECK(f.run("proof.inclusion", {{"event", "no-such-id"}}).status().code() == Code::kNotFound);
}

TEST_CASE("a consistency proof shows a later checkpoint extends an earlier one; another history is caught", "[proof]") {
  Fixture f;
  const auto vkey = f.key.verifier();
  const std::string monday = (*f.run("checkpoint", nlohmann::json::object()))["checkpoint"];
  test::append_events(*f.ledger, 77, "later");
  auto made = f.run("proof.consistency", {{"first", monday}});
  REQUIRE(made.ok());
  const std::string proof = (*made)["proof"];
  auto ok = verify_consistency_file(proof, vkey);
  REQUIRE(ok.ok());
  CHECK(ok->first.size == 300);
  CHECK(ok->second.size == 377);
  const auto now = proof.substr(proof.rfind("ledger.example\n377\n"));
  CHECK(verify_consistency_file(std::string(kConsistencyHeader) + "\n\n" + now + "\n" + now, vkey).ok());  // one size: no hashes

  auto p = *parse_consistency_file(proof);
  CHECK_FALSE(verify_consistency_file(with_line(proof, 1, flip_base64(to_base64(p.hashes[0]))), vkey).ok());
  CHECK_FALSE(verify_consistency_file(consistency_file_text({p.hashes, p.second, p.first}), vkey).ok());  // swapped
  auto fewer = p.hashes;
  fewer.pop_back();
  CHECK_FALSE(verify_consistency_file(consistency_file_text({fewer, p.first, p.second}), vkey).ok());

  // A ledger that shows another history under the same key: its checkpoint of 377 events does
  // not extend Monday's, and this ledger refuses to prove from a checkpoint it never had.
  TempDir other;
  auto forked = test::open_ledger(other.sub("db"));
  test::append_events(*forked, 377, "fork");
  const auto fork_cp = *sign_checkpoint(*forked, f.key);
  CHECK_FALSE(verify_consistency_file(consistency_file_text({p.hashes, p.first, fork_cp}), vkey).ok());
  CHECK(f.run("proof.consistency", {{"first", fork_cp}}).status().tag() == "proof.mismatch");
}

TEST_CASE("a digest saved before checkpoints is proved to be the tree's event; every forgery of the proof is rejected", "[proof][digest]") {
  Fixture f;
  const auto d = f.ledger->head();
  test::append_events(*f.ledger, 40, "later");
  const nlohmann::json digest = {{"sequence", d.sequence}, {"hash", to_hex(d.hash)}};
  auto r = f.run("proof.consistency", {{"first", digest.dump()}});
  INFO(r.status().message());
  REQUIRE(r.ok());
  CHECK((*r)["kind"] == "digest");
  const auto text = (*r)["proof"].get<std::string>();
  const auto key = f.key.verifier();
  auto ok = verify_digest_proof(text, key);
  REQUIRE(ok.ok());
  CHECK(ok->digest.sequence == d.sequence);
  CHECK(ok->checkpoint.size == d.sequence + 40);
  CHECK(ok->envelope.sequence == d.sequence);
  // Each line changed: the digest's hash, the previous hash, the event's bytes, a path hash.
  for (std::size_t line : {1, 2, 3, 4, 6}) {
    INFO("line " << line);
    std::string forged;
    if (line == 1) {
      auto h = d.hash;
      h[5] ^= 1;
      forged = with_line(text, 1, "digest " + std::to_string(d.sequence) + " " + to_hex(h));
    } else if (line == 2) {
      forged = with_line(text, 2, "prev " + flip_base64(text.substr(text.find("prev ") + 5, 44)));
    } else if (line == 3) {
      const auto at = text.find("event ") + 6;
      forged = with_line(text, 3, "event " + flip_base64(text.substr(at, text.find('\n', at) - at)));
    } else {
      const auto lines_start = text.find('\n', text.find("event ")) + 1;
      std::size_t at = lines_start;
      for (std::size_t k = 4; k < line; ++k) at = text.find('\n', at) + 1;
      forged = with_line(text, line, flip_base64(text.substr(at, 44)));
    }
    auto bad = verify_digest_proof(forged, key);
    CHECK_FALSE(bad.ok());
  }
  // The digest of another event (its sequence), another key, a digest that does not hold.
  CHECK_FALSE(verify_digest_proof(with_line(text, 1, "digest " + std::to_string(d.sequence - 1) + " " + to_hex(d.hash)), key).ok());
  CHECK_FALSE(verify_digest_proof(text, generate_signer("ledger.example")->verifier()).ok());
  auto other = d.hash;
  other[0] ^= 0x80;
  auto refused = f.run("proof.consistency", {{"first", nlohmann::json{{"sequence", d.sequence}, {"hash", to_hex(other)}}.dump()}});
  CHECK(refused.status().tag() == "proof.mismatch");
  CHECK(f.run("proof.consistency", {{"first", "{\"sequence\": 0}"}}).status().code() == Code::kInvalidArgument);
}
