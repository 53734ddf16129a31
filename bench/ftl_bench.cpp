// ftl-bench append: synced append throughput and latency, ftl against bare RocksDB.
//
//   ftl-bench append --writers N --events M --payload BYTES [--batch K] --db DIR [--raw]
//
// Prints one JSON line: events_per_s, p50_us, p99_us (per append call), syncs. --raw does the
// same synced writes on bare RocksDB: no ledger logic, one put per event, one thread per
// writer, K puts per WriteBatch; so the ratio is taken on one machine in one run.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "ledger/ledger.h"

namespace {

struct Options {
  int writers = 1;
  std::uint64_t events = 10000;
  std::size_t payload = 300;
  std::size_t batch = 1;
  std::string db;
  bool raw = false;
  std::uint64_t streams = 0;  // 0: one stream per writer
};

using Clock = std::chrono::steady_clock;

struct Totals {
  std::mutex mu;
  std::vector<double> latencies_us;
  void add(std::vector<double>& l) {
    std::lock_guard lk(mu);
    latencies_us.insert(latencies_us.end(), l.begin(), l.end());
  }
};

// Runs `per_call(thread, call)` for each writer's share of calls; returns seconds.
template <class Fn>
double run_writers(const Options& o, Totals& totals, Fn per_call) {
  const std::uint64_t calls = (o.events + o.batch - 1) / o.batch;
  std::atomic<std::uint64_t> next{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < o.writers; ++w) {
    threads.emplace_back([&, w] {
      std::vector<double> lat;
      for (std::uint64_t c; (c = next.fetch_add(1)) < calls;) {
        const auto t0 = Clock::now();
        per_call(w, c);
        lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
      }
      totals.add(lat);
    });
  }
  for (auto& t : threads) t.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int bench_ftl(const Options& o, Totals& totals, double* secs, std::uint64_t* syncs) {
  auto ledger = ftl::Ledger::Open(o.db, {});
  if (!ledger.ok()) {
    std::cerr << "error: " << ledger.status().message() << "\n";
    return 5;
  }
  const std::string payload(o.payload, 'x');
  std::atomic<bool> failed{false};
  *secs = run_writers(o, totals, [&](int w, std::uint64_t c) {
    ftl::AppendRequest r;
    // Each writer appends to its own stream (an engagement per person), or with --streams N
    // the calls spread over N streams.
    r.stream = "bench/" + std::to_string(o.streams == 0 ? static_cast<std::uint64_t>(w) : c % o.streams);
    r.expected = ftl::ExpectedVersion::Any();
    for (std::size_t i = 0; i < o.batch; ++i) r.events.push_back({{}, "BenchAppended", 1, "bench-" + std::to_string(w), std::nullopt, payload});
    if (!(*ledger)->append(std::move(r)).ok()) failed = true;
  });
  *syncs = (*ledger)->stats().syncs;
  if (!(*ledger)->verify({}).ok()) {
    std::cerr << "error: the benchmark ledger does not verify\n";
    return 4;
  }
  return failed ? 3 : 0;
}

int bench_raw(const Options& o, Totals& totals, double* secs, std::uint64_t* syncs) {
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.statistics = rocksdb::CreateDBStatistics();
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(opts, o.db, &db);
  if (!s.ok()) {
    std::cerr << "error: " << s.ToString() << "\n";
    return 5;
  }
  const std::string payload(o.payload, 'x');
  rocksdb::WriteOptions wo;
  wo.sync = true;
  *secs = run_writers(o, totals, [&](int w, std::uint64_t c) {
    rocksdb::WriteBatch b;
    for (std::size_t i = 0; i < o.batch; ++i)
      b.Put("w" + std::to_string(w) + "/" + std::to_string(c) + "/" + std::to_string(i), payload).PermitUncheckedError();
    db->Write(wo, &b).PermitUncheckedError();
  });
  *syncs = opts.statistics->getTickerCount(rocksdb::WAL_FILE_SYNCED);
  delete db;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ftl-bench: measure the ledger"};
  app.require_subcommand(1);
  Options o;
  auto* append = app.add_subcommand("append", "Synced appends from N writers");
  append->add_option("--writers", o.writers)->check(CLI::PositiveNumber);
  append->add_option("--events", o.events)->check(CLI::PositiveNumber);
  append->add_option("--payload", o.payload);
  append->add_option("--batch", o.batch)->check(CLI::PositiveNumber);
  append->add_option("--db", o.db, "A directory that does not exist yet")->required();
  append->add_flag("--raw", o.raw, "Bare RocksDB synced puts instead of the ledger");
  append->add_option("--streams", o.streams, "Spread appends over this many streams (default: one per writer)");
  append->footer("Example:\n  ftl-bench append --writers 32 --events 50000 --payload 300 --db /tmp/b1");
  CLI11_PARSE(app, argc, argv);
  if (std::filesystem::exists(o.db)) {
    std::cerr << "error: --db " << o.db << " exists; name a new directory\n";
    return 1;
  }
  Totals totals;
  double secs = 0;
  std::uint64_t syncs = 0;
  int rc = o.raw ? bench_raw(o, totals, &secs, &syncs) : bench_ftl(o, totals, &secs, &syncs);
  if (rc != 0) return rc;
  auto& l = totals.latencies_us;
  std::sort(l.begin(), l.end());
  auto pct = [&](double p) { return l.empty() ? 0.0 : l[std::min(l.size() - 1, static_cast<std::size_t>(p * static_cast<double>(l.size())))]; };
  nlohmann::json j = {{"mode", o.raw ? "raw" : "ftl"}, {"writers", o.writers}, {"events", o.events},
                      {"payload", o.payload},           {"batch", o.batch},     {"seconds", secs},
                      {"events_per_s", static_cast<double>(o.events) / secs},
                      {"p50_us", pct(0.50)},            {"p99_us", pct(0.99)},  {"syncs", syncs}};
  std::cout << j.dump() << "\n";
  return 0;
}
