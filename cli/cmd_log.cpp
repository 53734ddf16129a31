// ftl log: raw events with their envelopes, streamed through the ledger's cursors.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/context.h"
#include "projections/history.h"
#include "schema/codec.h"

namespace ftl::cli {
namespace {

struct LogOptions {
  std::string stream;
  std::uint64_t from = 1;
  std::uint64_t limit = 0;
};

nlohmann::json event_json(const Event& e) {
  return {{"sequence", e.sequence},
          {"stream", e.stream},
          {"version", e.stream_version},
          {"event_id", e.event_id},
          {"type", e.type},
          {"schema_version", e.schema_version},
          {"recorded_at", projections::iso_time(e.recorded_us)},
          {"effective_date", projections::iso_time(e.effective_us)},
          {"actor", e.actor},
          {"data", schema::payload_json(e.type, e.schema_version, e.payload)},
          {"payload_sha256", to_hex(e.payload_hash)},
          {"payload_size", e.payload.size()},
          {"prev_hash", to_hex(e.prev_hash)},
          {"hash", to_hex(e.hash)}};
}

int run_log(const LogOptions& o) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  const auto format = globals().format();
  std::vector<Column> cols = {{"sequence", "Seq", true}, {"recorded_at", "Recorded"}, {"stream", "Stream"},
                              {"version", "Ver", true},  {"type", "Type"},          {"actor", "Actor"},
                              {"hash", "Hash"}};
  if (format != Format::kTable) cols.insert(cols.end(), {{"event_id", "Event id"}, {"effective_date", "Effective"}, {"prev_hash", "Prev hash"}});
  RowWriter w(std::cout, format, cols, globals().color());
  auto cursor = o.stream.empty() ? (*ledger)->scan(o.from) : (*ledger)->scan_stream(o.stream);
  std::uint64_t n = 0;
  for (; cursor->valid(); cursor->next()) {
    const auto& e = cursor->event();
    if (e.sequence < o.from) continue;
    auto row = event_json(e);
    if (format == Format::kTable) row["hash"] = row["hash"].get<std::string>().substr(0, 12);
    w.row(row);
    if (o.limit != 0 && ++n >= o.limit) break;
  }
  w.finish();
  if (!cursor->status().ok()) return fail(cursor->status());
  return 0;
}

}  // namespace

void setup_log(CLI::App& app) {
  auto o = std::make_shared<LogOptions>();
  auto* log = app.add_subcommand("log", "Raw events in order, envelopes included");
  log->add_option("--stream", o->stream, "Only this stream (e.g. playbook/enable-services)");
  log->add_option("--from", o->from, "Start at this sequence number");
  log->add_option("--limit", o->limit, "Stop after this many events");
  log->footer("Example:\n  ftl log --format jsonl | head\n  ftl log --stream playbook/enable-services --from 40");
  log->callback([o] { exit_code() = run_log(*o); });
}

}  // namespace ftl::cli
