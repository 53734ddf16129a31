// ftl log: raw events with their envelopes, streamed through the ledger's cursors.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/context.h"
#include "projections/history.h"
#include "schema/codec.h"

namespace ftl::cli {
namespace {

struct LogOptions {
  std::string stream;
  std::uint64_t from = 1;
  std::uint64_t limit = 0;
  bool follow = false;
  double interval = 0.25;
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

std::vector<Column> log_columns(Format format) {
  std::vector<Column> cols = {{"sequence", "Seq", true}, {"recorded_at", "Recorded"}, {"stream", "Stream"},
                              {"version", "Ver", true},  {"type", "Type"},          {"actor", "Actor"},
                              {"hash", "Hash"}};
  if (format != Format::kTable)
    cols.insert(cols.end(), {{"event_id", "Event id"}, {"effective_date", "Effective"}, {"prev_hash", "Prev hash"}});
  return cols;
}

// Prints the events after `*next` (a sequence, or a stream version with --stream) and moves
// `*next` past them. Returns how many were printed.
Result<std::uint64_t> print_events(Ledger& ledger, const LogOptions& o, std::uint64_t* next, std::uint64_t budget,
                                   bool header) {
  const auto format = globals().format();
  RowWriter w(std::cout, format, log_columns(format), globals().color(), header);
  auto cursor = o.stream.empty() ? ledger.scan(*next) : ledger.scan_stream(o.stream, *next);
  std::uint64_t n = 0;
  for (; cursor->valid() && (budget == 0 || n < budget); cursor->next()) {
    const auto& e = cursor->event();
    *next = (o.stream.empty() ? e.sequence : e.stream_version) + 1;
    if (e.sequence < o.from) continue;
    auto row = event_json(e);
    if (format == Format::kTable) row["hash"] = row["hash"].get<std::string>().substr(0, 12);
    w.row(row);
    ++n;
  }
  w.finish();
  if (!cursor->status().ok()) return cursor->status();
  return n;
}

int run_log(const LogOptions& o) {
  if (o.follow && globals().format() == Format::kJson)
    return fail(Status::Usage("--follow prints events as they come and cannot be one JSON document",
                              "use --format jsonl"));
  std::uint64_t next = o.stream.empty() ? o.from : 1;
  std::uint64_t printed = 0;
  for (bool first = true;; first = false) {
    {
      // A read-only open sees the ledger as it is now and never takes the writer's lock, so
      // following reopens it each round (and closes it before sleeping).
      auto ledger = open_for_reading();
      if (!ledger.ok()) {
        if (first || !o.follow) return fail(ledger.status());
      } else {
        auto n = print_events(**ledger, o, &next, o.limit == 0 ? 0 : o.limit - printed, printed == 0);
        if (!n.ok()) return fail(n.status());
        printed += *n;
      }
    }
    if (!o.follow || (o.limit != 0 && printed >= o.limit)) return 0;
    std::this_thread::sleep_for(std::chrono::duration<double>(o.interval));
  }
}

}  // namespace

void setup_log(CLI::App& app) {
  auto o = std::make_shared<LogOptions>();
  auto* log = app.add_subcommand("log", "Raw events in order, envelopes included");
  log->add_option("--stream", o->stream, "Only this stream (e.g. playbook/enable-services)");
  log->add_option("--from", o->from, "Start at this sequence number");
  log->add_option("--limit", o->limit, "Stop after this many events");
  log->add_flag("--follow,-f", o->follow, "Keep printing new events as they are appended (until interrupted)");
  log->add_option("--interval", o->interval, "Seconds between looks for new events with --follow (default 0.25)")
      ->check(CLI::Range(0.01, 60.0));
  log->footer("Example:\n  ftl log --format jsonl | head\n  ftl log --stream playbook/enable-services --from 40\n  ftl log --follow --format jsonl");
  log->callback([o] { exit_code() = run_log(*o); });
}

}  // namespace ftl::cli
