// ftl-ops-bench: engine operations in-process, the figure `ftl serve` is compared with. N
// threads share one ledger and run an operation in a loop for a while, as N HTTP connections
// would through the server: "note" appends a note (one synced event each), "task" records a
// task done or reopens it (one event each), "show" builds an engagement's document.
// Prints one JSON line: operations/s, p50 and p99 latency.
//   ftl-ops-bench --db DIR --op note|task|show --threads N --seconds S --engagements E
#include <CLI/CLI.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "engine/operations.h"

int main(int argc, char** argv) {
  std::string db, op = "note", key;
  unsigned threads = 1, engagements = 64;
  double seconds = 10;
  CLI::App app{"engine operations in-process, beside ftl serve", "ftl-ops-bench"};
  app.add_option("--db", db, "An existing ledger with engagements e0..e(E-1) open")->required();
  app.add_option("--op", op, "note, task or show")->check(CLI::IsMember({"note", "task", "show"}));
  app.add_option("--threads", threads)->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds);
  double warmup = 2;
  app.add_option("--warmup", warmup, "Seconds of the same load before the measured ones (a long-lived process is warm)");
  app.add_option("--engagements", engagements, "Engagements e0.. to spread over (each thread has its own)")->check(CLI::PositiveNumber);
  app.add_option("--snapshot-key", key, "The snapshot key file, as the server is given it");
  CLI11_PARSE(app, argc, argv);

  ftl::OpenOptions o;
  o.snapshot_key_file = key;
  auto ledger = ftl::Ledger::Open(db, o);
  if (!ledger.ok()) {
    std::cerr << ledger.status().message() << "\n";
    return 1;
  }
  std::atomic<bool> stop{false}, counting{warmup <= 0};
  std::atomic<std::uint64_t> failures{0};
  std::vector<std::vector<double>> lat(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Thread t has engagements t, t + N, t + 2N...: a pass over them records each task done,
      // the next pass reopens them, so no two threads ever contend for one engagement.
      const std::uint64_t own = std::max<std::uint64_t>(1, engagements / threads);
      for (std::uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const auto e = "e" + std::to_string((t + (n % own) * threads) % engagements);
        nlohmann::json args = {{"engagement", e}};
        std::string name = "engagement.show";
        if (op == "note") {
          name = "note.add";
          args.update({{"kind", "environment"}, {"text", "n" + std::to_string(n)}});
        } else if (op == "task") {
          name = (n / own) % 2 == 0 ? "task.done" : "task.reopen";
          args["task"] = 1126;
        }
        ftl::engine::Call call{**ledger, "bench", "", {}, {}, "", "", nullptr};
        const auto t0 = std::chrono::steady_clock::now();
        auto out = ftl::engine::run_operation(call, name, args);
        if (!counting.load(std::memory_order_relaxed)) continue;
        lat[t].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (!out.ok()) failures.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  if (warmup > 0) std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  counting = true;
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
  std::cout << nlohmann::json({{"op", op}, {"threads", threads}, {"ops", all.size()}, {"failures", failures.load()},
                               {"ops_per_s", all.size() / elapsed}, {"p50_ms", pct(0.5)}, {"p99_ms", pct(0.99)}})
                   .dump()
            << "\n";
  return 0;
}
