// ftl key generate | checkpoint | proof inclusion | proof consistency | proof verify
//
// The proofs an auditor checks with the verifier key alone: `proof verify` opens no ledger.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/context.h"
#include "cli/invoke.h"
#include "cli/output.h"
#include "cli/safe_output.h"
#include "engine/checkpoint.h"
#include "schema/parse.h"

namespace ftl::cli {
namespace {

constexpr std::size_t kMaxProofFile = 1 << 20;

Result<std::string> read_text(const std::string& file, const char* what) { return schema::read_file(file, kMaxProofFile, what); }

void print_document(const nlohmann::json& j, const char* text_field) {
  const auto format = globals().format();
  if (format == Format::kJson || format == Format::kJsonl) std::cout << json_text(j) << "\n";
  else std::cout << j[text_field].get<std::string>();
}

int run_key_generate(const std::string& origin, const std::string& out) {
  auto key = engine::generate_signer(origin);
  if (!key.ok()) return fail(key.status());
  if (auto st = engine::write_signer_file(out, *key, globals().db); !st.ok()) return fail(st);
  const auto vkey = engine::verifier_text(key->verifier());
  if (globals().format() == Format::kJson || globals().format() == Format::kJsonl)
    std::cout << json_text({{"origin", origin}, {"key_file", out}, {"verifier_key", vkey}}) << "\n";
  else
    std::cout << vkey << "\n";
  if (!globals().quiet) std::cerr << "the signing key is in " << out << " (mode 0600); give auditors the verifier key above\n";
  return 0;
}

int run_checkpoint() {
  auto out = invoke("checkpoint", nlohmann::json::object());
  if (!out.ok()) return fail(out.status());
  print_document(*out, "checkpoint");
  return 0;
}

int run_inclusion(const std::string& event, const std::string& checkpoint_file) {
  nlohmann::json args = {{"event", event}};
  if (!checkpoint_file.empty()) {
    auto cp = read_text(checkpoint_file, "checkpoint file");
    if (!cp.ok()) return fail(cp.status());
    args["checkpoint"] = *cp;
  }
  auto out = invoke("proof.inclusion", args);
  if (!out.ok()) return fail(out.status());
  print_document(*out, "proof");
  return 0;
}

int run_consistency(const std::string& first, const std::string& second) {
  auto a = read_text(first, "checkpoint file");
  if (!a.ok()) return fail(a.status());
  nlohmann::json args = {{"first", *a}};
  if (!second.empty()) {
    auto b = read_text(second, "checkpoint file");
    if (!b.ok()) return fail(b.status());
    args["second"] = *b;
  }
  auto out = invoke("proof.consistency", args);
  if (!out.ok()) return fail(out.status());
  print_document(*out, "proof");
  return 0;
}

int run_verify_proof(const std::string& file, const std::string& vkey_text) {
  auto key = engine::parse_verifier(vkey_text);
  if (!key.ok()) return fail(key.status());
  auto text = read_text(file, "proof file");
  if (!text.ok()) return fail(text.status());
  nlohmann::json doc;
  if (text->starts_with(engine::kConsistencyHeader)) {
    auto proven = engine::verify_consistency_file(*text, *key);
    if (!proven.ok()) return fail(proven.status());
    doc = {{"ok", true},
           {"kind", "consistency"},
           {"origin", proven->second.origin},
           {"size1", proven->first.size},
           {"root1", to_hex(proven->first.root)},
           {"size2", proven->second.size},
           {"root2", to_hex(proven->second.root)}};
    if (globals().format() == Format::kTable)
      std::cout << "ok: the tree of " << proven->second.size << " events of " << one_line(proven->second.origin)
                << " extends its tree of " << proven->first.size << " events: nothing in them was rewritten\n";
  } else {
    auto proven = engine::verify_inclusion_file(*text, *key);
    if (!proven.ok()) return fail(proven.status());
    const auto& e = *proven->envelope;
    doc = {{"ok", true},         {"kind", "inclusion"},  {"origin", proven->checkpoint.origin}, {"size", proven->checkpoint.size},
           {"root", to_hex(proven->checkpoint.root)}, {"sequence", e.sequence}, {"stream", e.stream},
           {"event_id", e.event_id}, {"type", e.type}, {"actor", e.actor},       {"recorded_us", e.recorded_us},
           {"payload_sha256", to_hex(e.payload_hash)}};
    if (globals().format() == Format::kTable)
      std::cout << "ok: event " << e.sequence << " (" << one_line(e.type) << " on " << one_line(e.stream) << " by " << one_line(e.actor)
                << ", id " << one_line(e.event_id) << ", payload SHA-256 " << to_hex(e.payload_hash) << ") is in the tree of "
                << proven->checkpoint.size << " events signed by " << one_line(proven->checkpoint.origin) << "\n";
  }
  if (globals().format() != Format::kTable) std::cout << json_text(doc) << "\n";
  return 0;
}

}  // namespace

void setup_proofs(CLI::App& app) {
  auto* key = app.add_subcommand("key", "The key that signs checkpoints");
  key->require_subcommand(1);
  auto origin = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto* gen = key->add_subcommand("generate", "Make an Ed25519 signing key (written once, mode 0600) and print its verifier key");
  gen->add_option("--origin", *origin, "The log's name in its checkpoints, e.g. ledger.contoso.example")->required();
  gen->add_option("--out", *out, "The key file to create, outside the ledger directory")->required();
  gen->callback([origin, out] { exit_code() = run_key_generate(*origin, *out); });

  auto* cp = app.add_subcommand("checkpoint", "Print a signed checkpoint (C2SP tlog-checkpoint) of the ledger's Merkle tree");
  cp->add_option("--key", globals().signing_key, "The signing key file (else FTL_LEDGER_KEY)");
  cp->callback([] { exit_code() = run_checkpoint(); });

  auto* proof = app.add_subcommand("proof", "Proofs an auditor checks with the verifier key alone");
  proof->require_subcommand(1);
  auto event = std::make_shared<std::string>();
  auto against = std::make_shared<std::string>();
  auto* inc = proof->add_subcommand("inclusion", "Prove that one event is in the ledger (a C2SP tlog-proof@v1 file)");
  inc->add_option("event", *event, "The event's sequence or id")->required();
  inc->add_option("--checkpoint", *against, "Prove it against this checkpoint (else one signed now)");
  inc->add_option("--key", globals().signing_key, "The signing key file (else FTL_LEDGER_KEY)");
  inc->callback([event, against] { exit_code() = run_inclusion(*event, *against); });

  auto first = std::make_shared<std::string>();
  auto second = std::make_shared<std::string>();
  auto* con = proof->add_subcommand("consistency", "Prove that the ledger at a later checkpoint extends an earlier one");
  con->add_option("first", *first, "The earlier checkpoint file")->required();
  con->add_option("second", *second, "The later checkpoint file (else one signed now)");
  con->add_option("--key", globals().signing_key, "The signing key file (else FTL_LEDGER_KEY)");
  con->callback([first, second] { exit_code() = run_consistency(*first, *second); });

  auto file = std::make_shared<std::string>();
  auto vkey = std::make_shared<std::string>();
  auto* ver = proof->add_subcommand("verify", "Check a proof file with the verifier key alone (no ledger); exit 4 if it fails");
  ver->add_option("file", *file, "The proof file")->required();
  ver->add_option("--key", *vkey, "The verifier key, NAME+ID+KEY, as ftl key generate printed it")->required();
  ver->callback([file, vkey] { exit_code() = run_verify_proof(*file, *vkey); });
  proof->footer(
      "Example:\n  ftl checkpoint --key ~/.ftl/ledger.key > cp.txt\n  ftl proof inclusion 1042 --checkpoint cp.txt > e1042.tlog-proof\n"
      "  ftl proof verify e1042.tlog-proof --key \"$VKEY\"");
}

}  // namespace ftl::cli
