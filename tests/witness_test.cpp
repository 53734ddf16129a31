// A witness cosigns a log's checkpoint only if it extends the last one it cosigned: a log that
// shows two histories is caught, and nothing is stored when it refuses. Cosignatures are C2SP
// tlog-cosignature lines, checked here against the spec's signed message built by hand. Also
// the checkpoints a server signs on its own.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/checkpoint.h"
#include "engine/checkpoint_keeper.h"
#include "engine/operations.h"
#include "engine/witness.h"
#include "ledger/base64.h"
#include "testutil.h"

using namespace ftl;
using namespace ftl::engine;
using test::TempDir;

namespace {


// A log (a ledger and its key) and a witness (its key and state directory).
struct Fixture {
  TempDir dir;
  SignerKey log_key = *generate_signer("ledger.example");
  SignerKey witness_key = *generate_signer("witness.example/w1", kCosignerKey);
  std::string log_key_file = dir.sub("ledger.key"), state = dir.sub("witness");
  std::unique_ptr<Ledger> ledger;
  Fixture() {
    REQUIRE(write_signer_file(log_key_file, log_key, "").ok());
    ledger = test::open_ledger(dir.sub("db"));
    test::append_events(*ledger, 40, "a");
  }
  std::string checkpoint(Ledger& l) { return *sign_checkpoint(l, log_key); }
  std::string consistency(Ledger& l, const std::string& first, const std::string& second) {
    Call call{l, "tester", "", {}, {}, "", log_key_file};
    auto r = run_operation(call, "proof.consistency", {{"first", first}, {"second", second}});
    INFO(r.status().message());
    REQUIRE(r.ok());
    return (*r)["proof"].get<std::string>();
  }
  Result<Cosigned> cosign(const std::string& cp, std::optional<std::string> proof = std::nullopt, std::uint64_t now = 1767225600) {
    return engine::cosign({cp, std::move(proof), log_key.verifier(), witness_key, state, now});
  }
  std::string state_bytes() {
    std::string all;
    if (!std::filesystem::exists(state)) return all;
    for (const auto& f : std::filesystem::directory_iterator(state))
      if (f.path().filename() != ".lock") all += f.path().filename().string() + "\n" + test::read_file(f.path().string());
    return all;
  }
};

// The note with signature line `n` carrying `blob` instead.
std::string with_signature_blob(const std::string& note, std::size_t n, const std::string& blob) {
  auto opened = *split_note(note);
  std::string out = opened.text + "\n";
  for (std::size_t i = 0; i < opened.lines.size(); ++i) {
    const auto& line = opened.lines[i];
    out += (i == n ? line.substr(0, line.rfind(' ') + 1) + to_base64(blob) : line) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("a cosignature is the C2SP tlog-cosignature of the checkpoint's text at a time", "[witness]") {
  Fixture f;
  const auto cp = f.checkpoint(*f.ledger);
  auto done = f.cosign(cp);
  REQUIRE(done.ok());
  CHECK_FALSE(done->previous_size);
  CHECK(done->cosigned_at == 1767225600);
  // The log's signature is kept, and a line of the witness added.
  CHECK(open_note(done->note, f.log_key.verifier()).ok());
  std::uint64_t at = 0;
  REQUIRE(open_note(done->note, f.witness_key.verifier(), &at).ok());
  CHECK(at == 1767225600);
  // By hand, from the spec: the line is base64(key id ‖ u64 time ‖ Ed25519 signature over
  // "cosignature/v1\ntime T\n" ‖ the checkpoint's text), the key id over 0x04 ‖ public key.
  auto opened = split_note(done->note);
  REQUIRE(opened.ok());
  REQUIRE(opened->lines.size() == 2);
  const auto& line = opened->lines[1];
  const std::string prefix = "\xE2\x80\x94 witness.example/w1 ";
  REQUIRE(line.starts_with(prefix));
  const auto blob = *from_base64(line.substr(prefix.size()));
  REQUIRE(blob.size() == 4 + 8 + 64);
  CHECK(f.witness_key.id == key_id("witness.example/w1", f.witness_key.public_key, 0x04));
  CHECK(f.witness_key.id != key_id("witness.example/w1", f.witness_key.public_key, 0x01));
  std::uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = id << 8 | static_cast<std::uint8_t>(blob[i]);
  CHECK(id == f.witness_key.id);
  std::uint64_t t = 0;
  for (int i = 4; i < 12; ++i) t = t << 8 | static_cast<std::uint8_t>(blob[i]);
  CHECK(t == 1767225600);
  CHECK(ed25519_verify(f.witness_key.public_key, "cosignature/v1\ntime 1767225600\n" + opened->text, blob.substr(12)));
  // A changed time, signature or text fails; the verifier key prints with type 0x04 and parses back.
  std::string later = blob;
  later[11] ^= 0x01;
  auto forged = with_signature_blob(done->note, 1, later);
  CHECK(open_note(forged, f.witness_key.verifier()).status().tag() == "note.forged");
  auto vk = parse_verifier(verifier_text(f.witness_key.verifier()));
  REQUIRE(vk.ok());
  CHECK(vk->type == kCosignerKey);
  // NAME+ID+base64(type ‖ key): the base64 itself may hold '+', so it begins after NAME, '+', 8 hex, '+'.
  const auto vtext = verifier_text(*vk);
  CHECK(from_base64(vtext.substr(std::string("witness.example/w1").size() + 1 + 8 + 1))->front() == '\x04');
  // A cosigner key signs no note, and a note key cosigns nothing.
  CHECK(sign_note("text\n", f.witness_key).status().tag() == "key.type");
  CHECK(cosignature_line("text\n", f.log_key, 1).status().tag() == "key.type");
}

TEST_CASE("a witness cosigns a checkpoint that extends the last, with its consistency proof", "[witness]") {
  Fixture f;
  const auto cp1 = f.checkpoint(*f.ledger);
  REQUIRE(f.cosign(cp1).ok());
  test::append_events(*f.ledger, 25, "b");
  const auto cp2 = f.checkpoint(*f.ledger);
  const auto kept = witnessed(f.state, "ledger.example");
  REQUIRE(kept.ok());
  const auto proof = f.consistency(*f.ledger, *kept, cp2);
  const auto before = f.state_bytes();
  SECTION("without the proof it refuses, storing nothing") {
    CHECK(f.cosign(cp2).status().tag() == "witness.proof");
    CHECK(f.state_bytes() == before);
  }
  SECTION("with it, it cosigns and remembers the new one") {
    auto done = f.cosign(cp2, proof, 1767225700);
    REQUIRE(done.ok());
    REQUIRE(done->previous_size);
    CHECK(*done->previous_size == 40);
    CHECK(done->checkpoint.size == 65);
    CHECK(*witnessed(f.state, "ledger.example") == done->note);
    // The same checkpoint again is cosigned again (a fresh time), with no proof needed.
    auto again = f.cosign(cp2, std::nullopt, 1767225800);
    REQUIRE(again.ok());
    std::uint64_t at = 0;
    REQUIRE(open_note(again->note, f.witness_key.verifier(), &at).ok());
    CHECK(at == 1767225800);
    CHECK(split_note(again->note)->lines.size() == 2);  // its own earlier line replaced, not added to
    // An older checkpoint now is a rollback.
    CHECK(f.cosign(cp1).status().tag() == "witness.inconsistent");
  }
  SECTION("a proof from another checkpoint, or to another, is refused") {
    test::append_events(*f.ledger, 5, "c");
    const auto cp3 = f.checkpoint(*f.ledger);
    CHECK(f.cosign(cp3, proof).status().tag() == "witness.proof");  // ends at cp2, not cp3
    const auto from_cp2 = f.consistency(*f.ledger, cp2, cp3);
    CHECK(f.cosign(cp3, from_cp2).status().tag() == "witness.proof");  // starts at 65, the witness is at 40
    CHECK(f.state_bytes() == before);
  }
  SECTION("a forged proof is caught") {
    auto lines = proof;
    const auto nl = lines.find('\n');
    auto h = *from_base64(lines.substr(nl + 1, 44));
    h[0] ^= 0x01;
    lines.replace(nl + 1, 44, to_base64(h));
    CHECK(f.cosign(cp2, lines).status().tag() == "witness.inconsistent");
    CHECK(f.state_bytes() == before);
  }
}

TEST_CASE("a log that shows two histories is caught, whichever way it shows them", "[witness][fork]") {
  Fixture f;
  // A second ledger under the same key and origin, equal for 40 events' worth of size but not of content.
  auto other = test::open_ledger(f.dir.sub("other"));
  test::append_events(*other, 40, "z");
  const auto mine = f.checkpoint(*f.ledger);
  const auto theirs = f.checkpoint(*other);
  REQUIRE(f.cosign(mine).ok());
  const auto before = f.state_bytes();
  SECTION("the same size with another root") {
    auto r = f.cosign(theirs);
    CHECK(r.status().code() == Code::kCorruption);
    CHECK(r.status().tag() == "witness.inconsistent");
  }
  SECTION("a larger tree of the other history, with a proof from its own past") {
    test::append_events(*other, 10, "y");
    const auto later = f.checkpoint(*other);
    const auto proof = f.consistency(*other, theirs, later);
    auto r = f.cosign(later, proof);
    CHECK(r.status().tag() == "witness.inconsistent");
  }
  SECTION("a smaller tree") {
    auto small = test::open_ledger(f.dir.sub("small"));
    test::append_events(*small, 10, "a");
    CHECK(f.cosign(f.checkpoint(*small)).status().tag() == "witness.inconsistent");
  }
  CHECK(f.state_bytes() == before);
}

TEST_CASE("a witness refuses a checkpoint not signed by the log's key, and a log key that changed", "[witness]") {
  Fixture f;
  const auto cp = f.checkpoint(*f.ledger);
  auto impostor = *generate_signer("ledger.example");
  const auto forged = *sign_checkpoint(*f.ledger, impostor);
  CHECK(f.cosign(forged).status().tag() == "note.unsigned");
  REQUIRE(f.cosign(cp).ok());
  // The impostor's key for the same origin: a key change the witness does not follow.
  auto r = engine::cosign({forged, std::nullopt, impostor.verifier(), f.witness_key, f.state, 1});
  CHECK(r.status().tag() == "witness.key");
  auto note_key = engine::cosign({cp, std::nullopt, f.log_key.verifier(), f.log_key, f.state, 1});
  CHECK(note_key.status().tag() == "key.type");
  // A state file that holds no key is damage, said so (its bytes are not echoed).
  for (const auto& entry : std::filesystem::directory_iterator(f.state))
    if (entry.path().string().ends_with(".log-key")) test::write_file(entry.path().string(), "\x01\x02garbage\n");
  auto damaged = f.cosign(cp);
  CHECK(damaged.status().tag() == "witness.state");
  CHECK(damaged.status().message().find("garbage") == std::string::npos);
}

TEST_CASE("a server's keeper that cannot sign keeps its last checkpoint and says why", "[witness][keeper]") {
  Fixture f;
  TempDir keys;
  REQUIRE(write_signer_file(keys.sub("log.key"), f.log_key, "").ok());
  const auto key = *read_signer_file(keys.sub("log.key"), "");
  std::vector<std::string> told;
  auto keeper = CheckpointKeeper::Start(*f.ledger, key, {60, 1000000, [&](const std::string& why) { told.push_back(why); }});
  REQUIRE(keeper.ok());
  auto& k = **keeper;
  REQUIRE(k.latest().size == 40);
  // The key's record says it signed a longer history of this log: this one is a fork.
  TempDir other;
  auto longer = test::open_ledger(other.sub("db"));
  test::append_events(*longer, 60, "x");
  test::write_file(key.file + ".checkpoint", *sign_checkpoint(*longer, f.log_key));
  test::append_events(*f.ledger, 5, "y");
  auto st = k.refresh();
  CHECK(st.tag() == "checkpoint.fork");
  CHECK(k.last_error().find("a tree of 60 events") != std::string::npos);
  CHECK(k.latest().size == 40);  // what it signed stays served
  CHECK(k.refresh().tag() == "checkpoint.fork");
  CHECK(told.size() == 1);  // told once, not at every try
  CHECK(open_checkpoint(k.latest().note, f.log_key.verifier()).ok());
}

TEST_CASE("a server's checkpoints follow the head: by count of events, and by time", "[witness][keeper]") {
  Fixture f;
  auto keeper = CheckpointKeeper::Start(*f.ledger, f.log_key, {0.2, 10, {}});
  REQUIRE(keeper.ok());
  auto& k = **keeper;
  CHECK(k.latest().size == 40);
  CHECK(open_checkpoint(k.latest().note, f.log_key.verifier()).ok());
  test::append_events(*f.ledger, 3, "t");  // fewer than 10: due by time (0.2 s)
  for (int i = 0; i < 200 && k.latest().size != 43; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(k.latest().size == 43);
  // A proof made through an operation is against the kept checkpoint.
  Call call{*f.ledger, "tester", "", {}, {}, "", ""};
  call.checkpoints = &k;
  auto doc = run_operation(call, "checkpoint", nlohmann::json::object());
  REQUIRE(doc.ok());
  CHECK((*doc)["checkpoint"] == k.latest().note);
  CHECK((*doc)["size"] == 43);
  auto inc = run_operation(call, "proof.inclusion", {{"event", "42"}});
  REQUIRE(inc.ok());
  CHECK((*inc)["size"] == 43);
  CHECK(verify_inclusion_file((*inc)["proof"].get<std::string>(), f.log_key.verifier()).ok());
  CHECK(CheckpointKeeper::Start(*f.ledger, f.log_key, {0, 10, {}}).status().tag() == "checkpoint.policy");
}
