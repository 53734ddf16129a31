// ftl verify | digest | stats
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

#include "cli/context.h"
#include "cli/progress.h"

namespace ftl::cli {
namespace {

struct VerifyCliOptions {
  std::string digest_file;
  std::uint64_t from = 1;
};

Result<Digest> read_digest(const std::string& file) {
  std::ifstream in(file);
  if (!in) return Status::InvalidArgument("cannot read digest file " + file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  auto bad = [&] {
    return Status::InvalidArgument("digest file " + file + " is not a digest",
                                   "it should hold {\"sequence\":N,\"hash\":\"<64 hex digits>\"} as `ftl digest` prints");
  };
  if (j.is_discarded() || !j.is_object() || !j.contains("sequence") || !j.contains("hash") ||
      !j["sequence"].is_number_unsigned() || !j["hash"].is_string())
    return bad();
  auto h = hash_from_hex(j["hash"].get<std::string>());
  if (!h) return bad();
  return Digest{j["sequence"].get<std::uint64_t>(), *h};
}

int run_verify(const VerifyCliOptions& o) {
  VerifyOptions vo;
  vo.from_sequence = o.from;
  if (!o.digest_file.empty()) {
    auto d = read_digest(o.digest_file);
    if (!d.ok()) return fail(d.status());
    vo.digest = *d;
  }
  auto ledger = open_for_reading(/*whole_ledger=*/true);
  if (!ledger.ok()) return fail(ledger.status());
  Progress progress("verifying", (*ledger)->head().sequence, "events");
  vo.progress = [&](std::uint64_t done, std::uint64_t total) {
    (void)total;
    progress.update(done);
  };
  auto report = (*ledger)->verify(vo);
  progress.finish();
  if (!report.ok()) return fail(report.status());
  nlohmann::json j = {{"ok", true},
                      {"events", report->events_checked},
                      {"index_entries", report->index_entries_checked},
                      {"sequence", report->head.sequence},
                      {"hash", to_hex(report->head.hash)}};
  if (vo.digest) j["digest_sequence"] = vo.digest->sequence;
  if (globals().format() == Format::kJson || globals().format() == Format::kJsonl) {
    std::cout << j.dump() << "\n";
  } else if (!globals().quiet) {
    std::cout << "ok: " << report->events_checked << " events and " << report->index_entries_checked
              << " index entries verified; head " << report->head.sequence << " " << to_hex(report->head.hash) << "\n";
    if (vo.digest) std::cout << "ok: the digest at sequence " << vo.digest->sequence << " is part of this chain\n";
  }
  return 0;
}

int run_digest() {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto d = (*ledger)->head();
  std::cout << nlohmann::json({{"sequence", d.sequence}, {"hash", to_hex(d.hash)}}).dump() << "\n";
  return 0;
}

int run_stats() {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto s = (*ledger)->stats();
  nlohmann::json j = {{"path", (*ledger)->path()},     {"events", s.events},
                      {"streams", s.streams},          {"last_sequence", s.last_sequence},
                      {"bytes_on_disk", s.bytes_on_disk}, {"bytes_per_event", s.events ? s.bytes_on_disk / s.events : 0},
                      {"hash", to_hex((*ledger)->head().hash)}};
  const auto format = globals().format();
  if (format == Format::kJson || format == Format::kJsonl) {
    std::cout << j.dump(format == Format::kJson ? 2 : -1) << "\n";
    return 0;
  }
  RowWriter w(std::cout, format, {{"key", "Stat"}, {"value", "Value"}}, globals().color());
  for (const auto& [k, v] : j.items()) w.row({{"key", k}, {"value", v}});
  return 0;
}

}  // namespace

void setup_verify(CLI::App& app) {
  auto o = std::make_shared<VerifyCliOptions>();
  auto* verify = app.add_subcommand("verify", "Walk the hash chain and every index; exit 4 naming the first bad event");
  verify->add_option("--digest", o->digest_file, "Also prove that this saved digest is part of the chain");
  verify->add_option("--from", o->from, "Start at this sequence (trusting the event before it)");
  verify->footer("Example:\n  ftl digest > digest.json; ...; ftl verify --digest digest.json");
  verify->callback([o] { exit_code() = run_verify(*o); });

  auto* digest = app.add_subcommand("digest", "Print {\"sequence\":N,\"hash\":\"...\"} for safekeeping");
  digest->footer("Example:\n  ftl digest > digest-$(date +%F).json");
  digest->callback([] { exit_code() = run_digest(); });

  auto* stats = app.add_subcommand("stats", "Events, streams, size on disk, last sequence");
  stats->footer("Example:\n  ftl stats --format json");
  stats->callback([] { exit_code() = run_stats(); });
}

}  // namespace ftl::cli
