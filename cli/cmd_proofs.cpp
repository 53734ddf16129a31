// ftl key generate | checkpoint | proof inclusion | proof consistency | proof verify
//
// The proofs an auditor checks with the verifier key alone: `proof verify` opens no ledger.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/invoke.h"
#include "cli/output.h"
#include "cli/safe_output.h"
#include "engine/bundle.h"
#include "engine/checkpoint.h"
#include "engine/digest_proof.h"
#include "engine/queries.h"
#include "engine/witness.h"
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

int run_key_generate(const std::string& origin, const std::string& out, bool cosigner) {
  auto key = engine::generate_signer(origin, cosigner ? engine::kCosignerKey : engine::kNoteKey);
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

struct WitnessArgs {
  std::string checkpoint, proof, state, key, log_key;
};

int run_cosign(const WitnessArgs& w) {
  auto log_key = engine::parse_verifier(w.log_key);
  if (!log_key.ok()) return fail(log_key.status());
  auto key = engine::read_signer_file(w.key, "");
  if (!key.ok()) return fail(key.status());
  engine::CosignRequest r{"", std::nullopt, *log_key, *key, w.state, 0};
  auto cp = read_text(w.checkpoint, "checkpoint file");
  if (!cp.ok()) return fail(cp.status());
  r.checkpoint = *cp;
  if (!w.proof.empty()) {
    auto proof = read_text(w.proof, "proof file");
    if (!proof.ok()) return fail(proof.status());
    r.proof = *proof;
  }
  auto done = engine::cosign(r);
  if (!done.ok()) return fail(done.status());
  if (globals().format() == Format::kJson || globals().format() == Format::kJsonl) {
    nlohmann::json j = {{"origin", done->checkpoint.origin}, {"size", done->checkpoint.size}, {"root", to_hex(done->checkpoint.root)},
                        {"cosigned_at", done->cosigned_at}, {"checkpoint", done->note}};
    j["previous_size"] = done->previous_size ? nlohmann::json(*done->previous_size) : nlohmann::json(nullptr);
    std::cout << json_text(j) << "\n";
  } else {
    std::cout << done->note;
  }
  if (!globals().quiet)
    std::cerr << "cosigned the tree of " << done->checkpoint.size << " events of " << one_line(done->checkpoint.origin)
              << (done->previous_size ? ", which extends the tree of " + std::to_string(*done->previous_size) + " events cosigned before"
                                      : ", the first of this log this witness has seen")
              << "\n";
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

// Every witness named must have cosigned the checkpoint(s) a proof carries.
Status check_witnesses(const std::vector<std::string>& notes, const std::vector<engine::VerifierKey>& witnesses) {
  for (const auto& w : witnesses)
    for (const auto& n : notes)
      if (auto opened = engine::open_note(n, w); !opened.ok())
        return Status::Corruption("the checkpoint is not cosigned by the witness " + w.name + ": " + opened.status().message()).tagged("witness.missing");
  return Status::Ok();
}

int run_verify_proof(const std::string& file, const std::string& vkey_text, const std::vector<std::string>& witness_texts,
                     const std::string& event_file, const std::string& digest_file) {
  auto key = engine::parse_verifier(vkey_text);
  if (!key.ok()) return fail(key.status());
  std::vector<engine::VerifierKey> witnesses;
  for (const auto& t : witness_texts) {
    auto w = engine::parse_verifier(t);
    if (!w.ok()) return fail(w.status());
    if (w->type != engine::kCosignerKey)
      return fail(Status::InvalidArgument("the witness key " + w->name + " is a note key, not a cosigner key (type 0x04)").tagged("key.type"));
    witnesses.push_back(*w);
  }
  auto text = read_text(file, "proof file");
  if (!text.ok()) return fail(text.status());
  nlohmann::json doc;
  const bool digest_kind = text->starts_with(engine::kDigestProofHeader), consistency_kind = text->starts_with(engine::kConsistencyHeader);
  if (!digest_kind && !consistency_kind && !text->starts_with(std::string(engine::kProofHeader) + "\n")) {
    const auto first = text->substr(0, std::min(text->find('\n'), std::size_t{80}));
    return fail(Status::InvalidArgument("the first line of " + file + " ('" + one_line(first) + "') names no proof ftl reads",
                                        "ftl reads " + std::string(engine::kProofHeader) + ", " + std::string(engine::kConsistencyHeader) + " and " +
                                            std::string(engine::kDigestProofHeader) + " files")
                    .tagged("proof.malformed"));
  }
  if (!digest_file.empty() && !digest_kind)
    return fail(Status::Usage("--digest checks a digest proof, and " + file + " is another kind of proof"));
  if (!event_file.empty() && (digest_kind || consistency_kind))
    return fail(Status::Usage("--event checks the event of an inclusion proof, and " + file + " is another kind of proof"));
  if (digest_kind) {
    auto proven = engine::verify_digest_proof(*text, *key);
    if (!proven.ok()) return fail(proven.status());
    if (auto st = check_witnesses({engine::parse_digest_proof(*text)->checkpoint}, witnesses); !st.ok()) return fail(st);
    doc = {{"ok", true},
           {"kind", "digest"},
           {"origin", proven->checkpoint.origin},
           {"sequence", proven->digest.sequence},
           {"hash", to_hex(proven->digest.hash)},
           {"size", proven->checkpoint.size},
           {"root", to_hex(proven->checkpoint.root)}};
    if (!digest_file.empty()) {
      auto saved = schema::read_file(digest_file, 64 << 10, "digest file");
      if (!saved.ok()) return fail(saved.status());
      auto d = engine::parse_digest_json(*saved, "digest file " + digest_file);
      if (!d.ok()) return fail(d.status());
      if (d->sequence != proven->digest.sequence || d->hash != proven->digest.hash)
        return fail(Status::Corruption("the proof is of the digest at sequence " + std::to_string(proven->digest.sequence) + " (hash " +
                                       to_hex(proven->digest.hash) + "), not of the one in " + digest_file + " (sequence " +
                                       std::to_string(d->sequence) + ", hash " + to_hex(d->hash) + ")")
                        .tagged("proof.rejected"));
    }
    doc["digest_checked"] = !digest_file.empty();
    if (globals().format() == Format::kTable) {
      std::cout << "ok: the tree of " << proven->checkpoint.size << " events signed by " << one_line(proven->checkpoint.origin) << " holds, as event "
                << proven->digest.sequence << ", the event whose chain hash is " << to_hex(proven->digest.hash)
                << (digest_file.empty() ? " (the proof's digest: compare it with the one you saved, or give it with --digest)"
                                        : " (the digest in " + digest_file + ")")
                << "\n";
      std::cout << "note: this shows nothing of the tree's events before " << proven->digest.sequence
                << "; `ftl verify --digest` on a copy of the ledger shows that they are the chain's\n";
    }
  } else if (consistency_kind) {
    auto proven = engine::verify_consistency_file(*text, *key);
    if (!proven.ok()) return fail(proven.status());
    if (auto st = check_witnesses({engine::parse_consistency_file(*text)->second}, witnesses); !st.ok()) return fail(st);
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
    if (auto st = check_witnesses({engine::parse_inclusion_file(*text)->checkpoint}, witnesses); !st.ok()) return fail(st);
    std::uint64_t said_redacted_by = 0;
    if (!event_file.empty()) {
      auto ev = read_text(event_file, "event file");
      if (!ev.ok()) return fail(ev.status());
      auto doc = nlohmann::json::parse(*ev, nullptr, false);
      if (doc.is_array() && doc.size() == 1) doc = doc[0];
      if (doc.is_object() && doc.contains("rows") && doc["rows"].is_array() && doc["rows"].size() == 1) doc = doc["rows"][0];
      if (auto st = engine::event_document_matches(doc, *proven->envelope, proven->canonical); !st.ok()) return fail(st);
      if (doc.contains("redacted_by")) said_redacted_by = doc["redacted_by"].get<std::uint64_t>();
    }
    const auto& e = *proven->envelope;
    doc = {{"ok", true},         {"kind", "inclusion"},  {"origin", proven->checkpoint.origin}, {"size", proven->checkpoint.size},
           {"root", to_hex(proven->checkpoint.root)}, {"sequence", e.sequence}, {"stream", e.stream},
           {"event_id", e.event_id}, {"type", e.type}, {"actor", e.actor},       {"recorded_us", e.recorded_us},
           {"payload_sha256", to_hex(e.payload_hash)}};
    if (globals().format() == Format::kTable)
      std::cout << "ok: event " << e.sequence << " (" << one_line(e.type) << " on " << one_line(e.stream) << " by " << one_line(e.actor)
                << ", id " << one_line(e.event_id) << ", payload SHA-256 " << to_hex(e.payload_hash) << ") is in the tree of "
                << proven->checkpoint.size << " events signed by " << one_line(proven->checkpoint.origin) << "\n";
    if (said_redacted_by != 0 && globals().format() == Format::kTable)
      std::cout << "note: the event file says event " << said_redacted_by << " redacted its payload; this proof does not show that (a proof of event "
                << said_redacted_by << " does)\n";
  }
  if (globals().format() != Format::kTable) std::cout << json_text(doc) << "\n";
  return 0;
}

constexpr std::size_t kMaxBundleFile = std::size_t{256} << 20;

int run_bundle(const std::string& engagement, const std::string& from, const std::string& to, const std::string& out_file) {
  auto out = invoke("bundle", {{"engagement", engagement}, {"from", from}, {"to", to}});
  if (!out.ok()) return fail(out.status());
  const auto& text = (*out)["bundle"].get<std::string>();
  if (out_file.empty() || out_file == "-") {
    std::cout << text;
  } else {
    if (auto st = engine::check_outside_ledgers(out_file, globals().db, "bundle file"); !st.ok()) return fail(st);
    if (auto st = schema::write_new_file(out_file, text, 0600, "bundle file"); !st.ok()) return fail(st);
    if (!globals().quiet)
      std::cerr << "wrote the bundle of " << one_line(engagement) << " at " << (*out)["size"] << " events to " << out_file << "\n";
  }
  return 0;
}

// Opens a bundle: with the key, every check; without, all but the signatures (and says so).
Result<engine::OpenedBundle> open_bundle(const std::string& file, const std::string& vkey_text) {
  std::optional<engine::VerifierKey> key;
  if (!vkey_text.empty()) {
    auto k = engine::parse_verifier(vkey_text);
    if (!k.ok()) return k.status();
    key = *k;
  }
  auto text = schema::read_file(file, kMaxBundleFile, "bundle file");
  if (!text.ok()) return text.status();
  auto b = engine::verify_bundle(*text, key ? &*key : nullptr);
  if (b.ok() && !key) warn("no --key given: the proofs, payloads, order and refolded state were checked, but not who signed them");
  return b;
}

int run_bundle_verify(const std::string& file, const std::string& vkey) {
  auto b = open_bundle(file, vkey);
  if (!b.ok()) return fail(b.status());
  nlohmann::json doc = {{"ok", true},
                        {"engagement", b->engagement},
                        {"origin", b->checkpoint.origin},
                        {"size", b->checkpoint.size},
                        {"root", to_hex(b->checkpoint.root)},
                        {"events", b->engagement_events},
                        {"catalog_events", b->catalog_events},
                        {"redacted", b->redacted},
                        {"state_sha256", b->state_sha256}};
  if (globals().format() != Format::kTable) {
    std::cout << json_text(doc) << "\n";
    return 0;
  }
  std::cout << "ok: " << b->engagement_events << " events of " << one_line(b->engagement) << " and " << b->catalog_events
            << " catalog events, each proved in the tree of " << b->checkpoint.size << " events signed by " << one_line(b->checkpoint.origin)
            << (b->redacted ? " (" + std::to_string(b->redacted) + " redacted)" : "") << "\n"
            << (b->from > 1 ? "ok: events " + std::to_string(b->from) + " to " + std::to_string(b->to) + " of " + one_line(b->engagement) +
                                  ", as the log signed them (a stretch: no state)\n"
                            : "ok: the state refolded from them is the state the log signed (SHA-256 " + b->state_sha256 + ")\n");
  return 0;
}

int run_bundle_show(const std::string& file, const std::string& view, const std::string& vkey) {
  auto b = open_bundle(file, vkey);
  if (!b.ok()) return fail(b.status());
  auto doc = engine::bundle_view(*b, view);
  if (!doc.ok()) return fail(doc.status());
  const auto format = globals().format();
  if (view == "state" && (format == Format::kJson || format == Format::kJsonl)) {
    std::cout << json_text(*doc, format == Format::kJson ? 2 : -1) << "\n";
    return 0;
  }
  if (view == "state") {
    print_engagement(*doc, format);
    return 0;
  }
  RowWriter w(std::cout, format, view == "history" ? history_columns(format, false) : audit_columns(), globals().color());
  for (const auto& row : (*doc)["rows"]) w.row(view == "history" ? history_shape(row, format) : audit_shape(row, format));
  w.finish();
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
  auto cosigner = std::make_shared<bool>(false);
  gen->add_flag("--cosigner", *cosigner, "A witness's key, which cosigns other logs' checkpoints (C2SP tlog-cosignature)");
  gen->callback([origin, out, cosigner] { exit_code() = run_key_generate(*origin, *out, *cosigner); });

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
  auto* con = proof->add_subcommand("consistency", "Prove that the ledger at a later checkpoint extends an earlier one (or a saved digest)");
  con->add_option("first", *first, "The earlier checkpoint file, or a digest file ftl digest wrote")->required();
  con->add_option("second", *second, "The later checkpoint file (else one signed now)");
  con->add_option("--key", globals().signing_key, "The signing key file (else FTL_LEDGER_KEY)");
  con->callback([first, second] { exit_code() = run_consistency(*first, *second); });

  auto file = std::make_shared<std::string>();
  auto vkey = std::make_shared<std::string>();
  auto witnesses = std::make_shared<std::vector<std::string>>();
  auto* ver = proof->add_subcommand("verify", "Check a proof file with the verifier key alone (no ledger); exit 4 if it fails");
  ver->add_option("file", *file, "The proof file")->required();
  ver->add_option("--key", *vkey, "The verifier key, NAME+ID+KEY, as ftl key generate printed it")->required();
  ver->add_option("--witness", *witnesses, "Also require a cosignature by this witness's key (repeat for more)");
  auto event_file = std::make_shared<std::string>();
  ver->add_option("--event", *event_file, "An inclusion proof: also check this event (as ftl log --format jsonl prints it) is the proven one");
  auto digest_file = std::make_shared<std::string>();
  ver->add_option("--digest", *digest_file, "A digest proof: also check it is of this digest (the file ftl digest printed, kept since)");
  ver->callback([file, vkey, witnesses, event_file, digest_file] {
    exit_code() = run_verify_proof(*file, *vkey, *witnesses, *event_file, *digest_file);
  });
  proof->footer(
      "Example:\n  ftl checkpoint --key ~/.ftl/ledger.key > cp.txt\n  ftl proof inclusion 1042 --checkpoint cp.txt > e1042.tlog-proof\n"
      "  ftl proof verify e1042.tlog-proof --key \"$VKEY\"");

  auto* bun = app.add_subcommand("bundle", "An engagement's events, proofs and signed state in one file, checked with no ledger");
  auto b_eng = std::make_shared<std::string>();
  auto b_to = std::make_shared<std::string>();
  auto b_from = std::make_shared<std::string>();
  auto b_out = std::make_shared<std::string>();
  bun->add_option("engagement", *b_eng, "The engagement to bundle");
  bun->add_option("--to", *b_to, "As of this sequence or time (else the head)");
  bun->add_option("--from", *b_from, "Only the engagement's events from this sequence or time on (no state then)");
  bun->add_option("--out", *b_out, "The file to write (never over one that exists; else standard output)");
  bun->add_option("--key", globals().signing_key, "The signing key file (else FTL_LEDGER_KEY)");
  bun->footer("Example:\n  ftl bundle contoso --out contoso.ftlbundle\n  ftl bundle verify contoso.ftlbundle --key \"$VKEY\"\n"
              "  ftl bundle show contoso.ftlbundle history --key \"$VKEY\"");
  auto b_file = std::make_shared<std::string>();
  auto b_vkey = std::make_shared<std::string>();
  auto b_view = std::make_shared<std::string>();
  auto* bver = bun->add_subcommand("verify", "Check a bundle with the verifier key alone: proofs, payloads, order, signature, refolded state");
  bver->add_option("file", *b_file, "The bundle file")->required();
  bver->add_option("--key", *b_vkey, "The verifier key, NAME+ID+KEY")->required();
  bver->callback([b_file, b_vkey] { exit_code() = run_bundle_verify(*b_file, *b_vkey); });
  auto* bshow = bun->add_subcommand("show", "Print a view from a bundle alone: state, history or audit");
  bshow->add_option("file", *b_file, "The bundle file")->required();
  bshow->add_option("view", *b_view, "state, history or audit")->required()->check(CLI::IsMember({"state", "history", "audit"}));
  bshow->add_option("--key", *b_vkey, "The verifier key: also check the signatures");
  bshow->callback([b_file, b_view, b_vkey] { exit_code() = run_bundle_show(*b_file, *b_view, *b_vkey); });
  bun->callback([bun, b_eng, b_to, b_from, b_out] {
    if (!bun->get_subcommands().empty()) return;
    for (const char* opt : {"--to", "--out", "--from"})
      if (bun->count(opt) > 0 && (opt[2] == 't' ? b_to->empty() : opt[2] == 'o' ? b_out->empty() : b_from->empty())) {
        exit_code() = fail(Status::Usage(std::string(opt) + " is empty", "leave it out for the head (--to) or standard output (--out)"));
        return;
      }
    if (b_eng->empty()) {
      exit_code() = fail(Status::Usage("name the engagement to bundle", "ftl bundle contoso --out contoso.ftlbundle"));
      return;
    }
    exit_code() = run_bundle(*b_eng, *b_from, *b_to, *b_out);
  });

  auto* wit = app.add_subcommand("witness", "Cosign a log's checkpoints, each only if it extends the last one cosigned (no ledger)");
  wit->require_subcommand(1);
  auto w = std::make_shared<WitnessArgs>();
  auto* cos = wit->add_subcommand("cosign", "Check a checkpoint against the last one cosigned and add a C2SP tlog-cosignature line");
  cos->add_option("checkpoint", w->checkpoint, "The log's signed checkpoint file")->required();
  cos->add_option("--proof", w->proof, "A consistency proof from the last checkpoint this witness cosigned to this one");
  cos->add_option("--state", w->state, "The witness's state directory (the last checkpoint cosigned per log)")->required();
  cos->add_option("--key", w->key, "The witness's cosigner key file (ftl key generate --cosigner)")->required();
  cos->add_option("--log-key", w->log_key, "The log's verifier key, NAME+ID+KEY")->required();
  cos->footer(
      "Example:\n  ftl proof consistency state/ledger.contoso.example-*.checkpoint cp.txt > step.proof\n"
      "  ftl witness cosign cp.txt --proof step.proof --state state --key w.key --log-key \"$VKEY\" > cp-cosigned.txt");
  cos->callback([w] { exit_code() = run_cosign(*w); });
}

}  // namespace ftl::cli
