// ftl verify | digest | stats | recover
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "engine/digest_proof.h"
#include "cli/context.h"
#include "cli/invoke.h"
#include "engine/recovery.h"
#include "engine/verify.h"
#include "schema/parse.h"

namespace ftl::cli {
namespace {

struct VerifyCliOptions {
  std::string digest_file;
  std::uint64_t from = 1;
  bool refold = false;
};

Result<Digest> read_digest(const std::string& file) {
  auto bytes = schema::read_file(file, 64 << 10, "digest file");
  if (!bytes.ok()) return bytes.status();
  return engine::parse_digest_json(*bytes, "digest file " + file);
}

int run_verify(const VerifyCliOptions& o) {
  nlohmann::json args = {{"from", o.from}};
  if (o.refold) args["refold"] = true;
  if (!o.digest_file.empty()) {
    auto d = read_digest(o.digest_file);
    if (!d.ok()) return fail(d.status());
    args["digest"] = {{"sequence", d->sequence}, {"hash", to_hex(d->hash)}};
  }
  auto out = invoke("verify", args);
  if (!out.ok()) {
    if (out.status().tag() == "verify.from")
      return fail(Status::Usage("--from " + std::to_string(o.from) + " is past the last event of this ledger",
                                out.status().hint() + "; drop --from to verify them all"));
    return fail(out.status());
  }
  const auto& j = *out;
  if (globals().format() == Format::kJson || globals().format() == Format::kJsonl) {
    std::cout << json_text(j) << "\n";
  } else if (!globals().quiet) {
    std::cout << "ok: " << j["events"] << " events and " << j["index_entries"] << " index entries verified; head "
              << j["sequence"] << " " << j["hash"].get<std::string>() << "\n";
    if (j["snapshots"].get<std::uint64_t>() > 0)
      std::cout << "ok: " << j["snapshots"] << " snapshots: " << j["snapshots_vouched"] << " vouched for by the snapshot key, "
                << j["snapshots_refolded"] << " equal to a fold of their events, " << j["snapshots_ignored"]
                << " stale or foreign (no view uses them)\n";
    const auto& t = j["tree"];
    if (!t["checked"].get<bool>())
      std::cout << "note: the Merkle tree is checked by a verify of the whole ledger, not from a sequence on\n";
    else if (t.contains("root"))
      std::cout << "ok: the Merkle tree of " << t["size"] << " events: " << t["nodes"] << " stored nodes recomputed; root "
                << t["root"].get<std::string>() << "\n";
    else
      std::cout << "note: the Merkle tree covers " << t["size"] << " of " << j["sequence"]
                << " events; the next writing command completes it\n";
    std::set<std::uint64_t> pending;
    for (const auto& p : j["purge_pending"]) pending.insert(p.get<std::uint64_t>());
    for (const auto& r : j["redacted"]) {
      if (pending.count(r["sequence"].get<std::uint64_t>()) != 0)
        std::cout << "warning: event " << r["sequence"] << " is redacted by event " << r["by"]
                  << ", but its old payload may still be in the ledger's files: the purge a crash cut off is finished by the next writing command\n";
      else
        std::cout << "ok: event " << r["sequence"] << " is redacted by event " << r["by"] << ": its payload is gone, its SHA-256 still chained\n";
    }
    if (j.contains("digest_sequence")) std::cout << "ok: the digest at sequence " << j["digest_sequence"] << " is part of this chain\n";
  }
  return 0;
}

int run_digest() {
  auto out = invoke("digest", nlohmann::json::object());
  if (!out.ok()) return fail(out.status());
  std::cout << json_text(*out) << "\n";
  return 0;
}

int run_stats() {
  return document_command("stats", nlohmann::json::object(), [](const nlohmann::json& j, Format format) {
    RowWriter w(std::cout, format, {{"key", "Stat"}, {"value", "Value"}}, globals().color());
    for (const auto& [k, v] : j.items()) w.row({{"key", k}, {"value", v}});
  });
}

int run_recover(const std::string& reason) {
  if (remote())
    return fail(Status::Usage("recover runs where the ledger is, on a ledger no server holds (a server cannot open a damaged one)",
                              "run it on that machine without --server, with the server stopped"));
  OpenOptions o;
  o.wait_seconds = globals().wait_seconds;
  o.snapshot_key_file = snapshot_key_file();
  auto out = engine::recover(globals().db, o, actor(), reason);
  if (!out.ok()) return fail(out.status());
  const auto& r = out->record;
  const auto format = globals().format();
  if (format == Format::kJson || format == Format::kJsonl) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : r.files) files.push_back({{"name", f.name}, {"bytes", f.bytes}, {"sha256", f.sha256}});
    nlohmann::json j = {{"loss", out->loss}};
    if (out->loss)
      j.update({{"acknowledged_sequence", r.acknowledged_sequence}, {"recovered_sequence", r.recovered_sequence},
                {"recovered_hash", r.recovered_hash}, {"quarantine", r.quarantine}, {"files", files}, {"detail", r.detail},
                {"recorded_sequence", out->position.first_sequence}});
    std::cout << json_text(j) << "\n";
    return 0;
  }
  if (!out->loss) {
    std::cout << "the ledger at " << globals().db << " lost nothing: every event it acknowledged is there; nothing recorded\n";
    return 0;
  }
  std::cout << "recovered the ledger at " << globals().db << ": "
            << (r.recovered_sequence == 0 ? std::string("kept no event") : "kept events 1 to " + std::to_string(r.recovered_sequence));
  if (r.acknowledged_sequence > r.recovered_sequence)
  {
    const auto lost = r.acknowledged_sequence - r.recovered_sequence;
    std::cout << "; lost " << lost << " acknowledged event" << (lost == 1 ? "" : "s") << " (" << r.recovered_sequence + 1
              << (lost == 1 ? "" : " to " + std::to_string(r.acknowledged_sequence)) << ")";
  }
  std::cout << "\nthe damaged files are in " << r.quarantine << " (";
  for (std::size_t i = 0; i < r.files.size(); ++i) std::cout << (i ? ", " : "") << r.files[i].name;
  std::cout << ")\nrecorded as event " << out->position.first_sequence << " (LedgerRecovered on stream ledger)\n";
  return 0;
}

}  // namespace

void setup_verify(CLI::App& app) {
  auto o = std::make_shared<VerifyCliOptions>();
  auto* verify = app.add_subcommand("verify", "Walk the hash chain and every index; exit 4 naming the first bad event");
  verify->add_option("--digest", o->digest_file, "Also prove that this saved digest is part of the chain");
  verify->add_option("--from", o->from, "Start at this sequence (trusting the event before it)");
  verify->add_flag("--refold", o->refold, "Also refold every snapshot, even those the snapshot key vouches for");
  verify->footer("Example:\n  ftl digest > digest.json; ...; ftl verify --digest digest.json");
  verify->callback([o] { exit_code() = run_verify(*o); });

  auto* digest = app.add_subcommand("digest", "Print {\"sequence\":N,\"hash\":\"...\"} for safekeeping");
  digest->footer("Example:\n  ftl digest > digest-$(date +%F).json");
  digest->callback([] { exit_code() = run_digest(); });

  auto reason = std::make_shared<std::string>();
  auto* rec = app.add_subcommand("recover", "Accept that a damaged ledger lost events: keep what can be read and record the loss");
  rec->add_option("--reason", *reason, "Why the loss is accepted (recorded with it)")->required();
  rec->footer("Copies the damaged write-ahead log and the head file to a lost-<time>/ directory in the ledger first.\n"
              "Example:\n  ftl recover --reason \"disk fault on 2026-12-01; events after 92,244 restored from the team's exports\"");
  rec->callback([reason] { exit_code() = run_recover(*reason); });

  auto* stats = app.add_subcommand("stats", "Events, streams, size on disk, last sequence");
  stats->footer("Example:\n  ftl stats --format json");
  stats->callback([] { exit_code() = run_stats(); });
}

}  // namespace ftl::cli
