// ftl log: raw events with their envelopes, streamed through the ledger's cursors.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/context.h"
#include "cli/invoke.h"

namespace ftl::cli {
namespace {

struct LogOptions {
  std::string stream;
  std::uint64_t from = 1;
  std::uint64_t limit = 0;
  bool follow = false;
  bool payload = false;
  double interval = 0.25;
};

std::vector<Column> log_columns(Format format) {
  std::vector<Column> cols = {{"sequence", "Seq", true}, {"recorded_at", "Recorded"}, {"stream", "Stream"},
                              {"version", "Ver", true},  {"type", "Type"},          {"actor", "Actor"},
                              {"hash", "Hash"}};
  if (format != Format::kTable)
    cols.insert(cols.end(), {{"event_id", "Event id"}, {"effective_date", "Effective"}, {"prev_hash", "Prev hash"}});
  return cols;
}

// Prints the events from `*next` (a sequence; with --stream, the stream version after which to
// go on) and moves `*next` past them. Returns how many were printed.
Result<std::uint64_t> print_events(const LogOptions& o, std::uint64_t* next, std::uint64_t budget, bool header) {
  const auto format = globals().format();
  RowWriter w(std::cout, format, log_columns(format), globals().color(), header);
  nlohmann::json args = {{"from", o.stream.empty() ? *next : o.from}};
  if (!o.stream.empty()) args.update({{"stream", o.stream}, {"after_version", *next}});
  if (budget != 0) args["limit"] = budget;
  if (o.payload) args["payload"] = true;
  std::uint64_t n = 0;
  auto out = invoke("log", args, [&](const nlohmann::json& e) {
    auto row = e;
    if (format == Format::kTable) row["hash"] = row["hash"].get<std::string>().substr(0, 12);
    w.row(row);
    ++n;
    if (o.stream.empty()) *next = e["sequence"].get<std::uint64_t>() + 1;
    else *next = e["version"].get<std::uint64_t>();
    return Status::Ok();
  });
  w.finish();
  if (!out.ok()) return out.status();
  if (!o.stream.empty() && out->contains("after_version")) *next = std::max(*next, (*out)["after_version"].get<std::uint64_t>());
  return n;
}

int run_log(const LogOptions& o) {
  if (o.follow && globals().format() == Format::kJson)
    return fail(Status::Usage("--follow prints events as they come and cannot be one JSON document",
                              "use --format jsonl"));
  std::uint64_t next = o.stream.empty() ? o.from : 0;
  std::uint64_t printed = 0;
  for (bool first = true;; first = false) {
    {
      // Locally, each round is a read-only open: it sees the ledger as it is now and never takes
      // the writer's lock (and it is closed before sleeping).
      auto n = print_events(o, &next, o.limit == 0 ? 0 : o.limit - printed, printed == 0);
      if (!n.ok()) {
        const bool gone = n.status().code() == Code::kUnavailable || n.status().code() == Code::kIOError;
        if (first || !o.follow || !gone) return fail(n.status());
      } else {
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
  log->add_flag("--payload", o->payload, "Also each payload's bytes, base64 (json and jsonl): what proof verify --event checks data against");
  log->add_flag("--follow,-f", o->follow, "Keep printing new events as they are appended (until interrupted)");
  log->add_option("--interval", o->interval, "Seconds between looks for new events with --follow (default 0.25)")
      ->check(CLI::Range(0.01, 60.0));
  log->footer("Example:\n  ftl log --format jsonl | head\n  ftl log --stream playbook/enable-services --from 40\n  ftl log --follow --format jsonl");
  log->callback([o] { exit_code() = run_log(*o); });
}

}  // namespace ftl::cli
