// ftl-bench append: synced append throughput and latency, ftl against bare RocksDB.
//
//   ftl-bench append --writers N --events M --payload BYTES [--batch K] --db DIR [--raw]
//
// Prints one JSON line: events_per_s, p50_us, p99_us (per append call), syncs. --raw does the
// same synced writes on bare RocksDB: no ledger logic, one put per event, one thread per
// writer, K puts per WriteBatch; so the ratio is taken on one machine in one run.
//
// ftl-bench generate: a realistic multi-year ledger to measure the views and rebuild on.
//
//   ftl-bench generate --db DIR --playbook PAGE [--engagements N] [--events M] [--batch K] [--writers W]
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
#include <random>
#include <thread>

#include "engine/catalog_service.h"
#include "ledger/ledger.h"
#include "projections/engagement.h"
#include "schema/codec.h"

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

struct GenerateOptions {
  std::string db, playbook;
  std::uint64_t engagements = 5000, events = 1000000;
  std::uint64_t batch = 8;  // events per append, on average
  int writers = 8;
  int years = 3;
};

// One append of the generated ledger: a day's work by one person on one engagement.
struct Day {
  std::int64_t at_us;
  std::uint32_t engagement;
  std::uint16_t events;
};

// Writes a realistic ledger: the catalog, then engagements opened over the years, each worked
// on for three to nine months by 60 people: task completions, L1/L2 and Service Status
// changes, notes, contacts and usage, a day's work of 1 to 2*batch events per append. The
// appends go in day order, so an engagement's events are scattered in short runs across the
// log, as in a team's ledger; several writers append at once (each owns a share of the
// engagements, so each engagement's days stay in order) and the ledger groups their commits.
int generate(const GenerateOptions& o) {
  auto opened = ftl::Ledger::Open(o.db, {});
  if (!opened.ok()) {
    std::cerr << "error: " << opened.status().message() << "\n";
    return 5;
  }
  auto& ledger = **opened;
  auto plan = ftl::engine::plan_import(o.playbook, "");
  if (!plan.ok() || !ftl::engine::import_playbook(ledger, *plan, "admin", {}).ok()) {
    std::cerr << "error: cannot import " << o.playbook << "\n";
    return 2;
  }
  std::vector<std::uint32_t> tasks;
  for (const auto& t : plan->page.tasks) tasks.push_back(t.id);
  const std::vector<std::string> services = {"Exchange", "Teams", "SharePoint", "OneDrive for Business", "Intune", "Yammer"};
  const std::vector<std::pair<std::string, std::string>> statuses = {
      {"In Progress", "Technical Onboarding and Deployment"}, {"In Progress", "Migration"},
      {"In Progress", "Solution or User Adoption"}, {"Blocked", "Adoption Readiness"}, {"No Intent", "Executive Sponsorship"}};

  // The schedule: every engagement's days, then all of them in time order.
  std::mt19937_64 rng(42);
  const std::int64_t day_us = 86400LL * 1000000;
  const std::int64_t start_us = 1672531200LL * 1000000;  // 2023-01-01
  const std::int64_t span_days = 365LL * o.years;
  const std::uint64_t per_engagement = std::max<std::uint64_t>(1, o.events / o.engagements);
  std::vector<Day> days;
  days.reserve(o.events / std::max<std::uint64_t>(1, o.batch) + o.engagements);
  std::uint64_t planned = 0;
  for (std::uint32_t e = 0; e < o.engagements; ++e) {
    const std::int64_t length = 90 + static_cast<std::int64_t>(rng() % 181);  // three to nine months
    const std::int64_t first = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, span_days - length)));
    // Half to one and a half times the average number of events each; the last one takes the rest.
    std::uint64_t budget = e + 1 == o.engagements ? (o.events > planned ? o.events - planned : 1)
                                                  : per_engagement / 2 + rng() % (per_engagement + 1);
    planned += budget;
    while (budget > 0) {
      const auto n = static_cast<std::uint16_t>(std::min<std::uint64_t>(budget, 1 + rng() % (2 * o.batch)));
      const std::int64_t at = start_us + (first + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(length))) * day_us +
                              static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(day_us));
      days.push_back({at, e, n});
      budget -= n;
    }
  }
  std::sort(days.begin(), days.end(), [](const Day& a, const Day& b) { return a.at_us < b.at_us; });

  std::vector<std::uint64_t> versions(o.engagements, 0);  // each touched by one writer only
  std::atomic<std::uint64_t> written{0};
  std::atomic<bool> failed{false};
  const auto bench_start = Clock::now();
  std::vector<std::thread> pool;
  for (int w = 0; w < o.writers; ++w) {
    pool.emplace_back([&, w] {
      std::mt19937_64 r(1000 + static_cast<std::uint64_t>(w));
      for (const auto& d : days) {
        if (failed) return;
        if (d.engagement % static_cast<std::uint32_t>(o.writers) != static_cast<std::uint32_t>(w)) continue;
        const std::string id = "eng-" + std::to_string(d.engagement);
        ftl::AppendRequest req;
        req.stream = ftl::projections::engagement_stream(id);
        req.expected = versions[d.engagement] == 0 ? ftl::ExpectedVersion::NoStream() : ftl::ExpectedVersion::Exact(versions[d.engagement]);
        std::vector<ftl::schema::EngagementEvent> evs;
        if (versions[d.engagement] == 0) {
          const auto seats = static_cast<std::uint32_t>(100 + r() % 40000);
          const auto e = d.engagement;
          evs.emplace_back(ftl::schema::EngagementOpened{id, "Customer " + std::to_string(e), seats,
                                                        {services[e % 3], services[3 + e % 3]}, {"RFA"}, "Enable", false});
        }
        while (evs.size() < d.events) {
          const auto svc = services[r() % services.size()];
          switch (r() % 8) {
            case 0: case 1: case 2:
              evs.emplace_back(ftl::schema::TaskCompleted{tasks[r() % tasks.size()], "enable-services", "", "open"});
              break;
            case 3: {
              const auto& st = statuses[r() % statuses.size()];
              evs.emplace_back(ftl::schema::ConsumptionStatusSet{svc, "", st.first, "", st.second, "", "2026-12-15"});
              break;
            }
            case 4: evs.emplace_back(ftl::schema::ServiceStatusSet{svc, "Enable", "Migrate"}); break;
            case 5: evs.emplace_back(ftl::schema::NoteAdded{"technical-enablement", "Validated configuration with the customer", "", 0}); break;
            case 6: evs.emplace_back(ftl::schema::UsageRecorded{r() % 20000, "Lynx"}); break;
            default:
              evs.emplace_back(ftl::schema::ContactAdded{"c" + std::to_string(r() % 10), {"Contact", "Customer PM", true, "en", "US", {svc}}});
          }
        }
        const std::string actor = "person-" + std::to_string(r() % 60);
        for (const auto& ev : evs) {
          auto enc = ftl::schema::encode(ev);
          req.events.push_back({{}, enc.type, enc.version, actor, d.at_us, std::move(enc.bytes)});
        }
        auto res = ledger.append(std::move(req));
        if (!res.ok()) {
          std::cerr << "error: " << res.status().message() << "\n";
          failed = true;
          return;
        }
        versions[d.engagement] += evs.size();
        written += evs.size();
      }
    });
  }
  for (auto& t : pool) t.join();
  if (failed) return 3;
  const double secs = std::chrono::duration<double>(Clock::now() - bench_start).count();
  auto stats = ledger.stats();
  nlohmann::json j = {{"mode", "generate"}, {"engagements", o.engagements}, {"events", written.load()}, {"appends", days.size()},
                      {"writers", o.writers}, {"seconds", secs}, {"events_per_s", static_cast<double>(written.load()) / secs},
                      {"bytes_on_disk", stats.bytes_on_disk},
                      {"bytes_per_event", stats.bytes_on_disk / std::max<std::uint64_t>(1, stats.events)}};
  std::cout << j.dump() << "\n";
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
  GenerateOptions g;
  auto* gen = app.add_subcommand("generate", "Write a realistic multi-year ledger to measure the views on");
  gen->add_option("--db", g.db, "A directory that does not exist yet")->required();
  gen->add_option("--playbook", g.playbook, "The playbook page to import first")->required();
  gen->add_option("--engagements", g.engagements);
  gen->add_option("--events", g.events);
  gen->add_option("--batch", g.batch, "Events per append on average (a day's work on one engagement)")->check(CLI::PositiveNumber);
  gen->add_option("--writers", g.writers, "Appending threads")->check(CLI::PositiveNumber);
  gen->add_option("--years", g.years, "Years the engagements are spread over")->check(CLI::PositiveNumber);
  gen->footer("Example:\n  ftl-bench generate --db /tmp/big --playbook examples/playbooks/enable-services.md --events 10000000");
  CLI11_PARSE(app, argc, argv);
  if (gen->parsed()) {
    if (std::filesystem::exists(g.db)) {
      std::cerr << "error: --db " << g.db << " exists; name a new directory\n";
      return 1;
    }
    return generate(g);
  }
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
