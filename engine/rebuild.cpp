#include "engine/rebuild.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/catalog_service.h"
#include "engine/engagement_service.h"

namespace ftl::engine {

Result<RebuildReport> rebuild(Ledger& ledger, const RebuildOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  RebuildReport report;
  if (ledger.has_snapshot_key())
    if (auto st = ledger.ensure_snapshot_key(); !st.ok()) return st;  // before anything is dropped
  auto dropped = ledger.drop_snapshots();
  if (!dropped.ok()) return dropped.status();
  report.snapshots_dropped = *dropped;

  auto playbook_list = playbook_ids(ledger);
  if (!playbook_list.ok()) return playbook_list.status();
  auto engagement_list = engagement_ids(ledger);
  if (!engagement_list.ok()) return engagement_list.status();
  const auto& playbooks = *playbook_list;
  const auto& engagements = *engagement_list;
  const std::uint64_t total = playbooks.size() + engagements.size();
  report.playbooks = playbooks.size();
  report.engagements = engagements.size();
  for (const auto& id : playbooks) {
    auto st = load_playbook(ledger, id);
    if (!st.ok()) return st.status();
    report.events += st->version;
  }

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  report.threads = static_cast<unsigned>(
      std::clamp<std::size_t>(options.threads == 0 ? cores : options.threads, 1, std::max<std::size_t>(1, engagements.size())));
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> done{0}, events{0}, written{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable finished;
  unsigned running = report.threads;
  Status first_error;
  auto work = [&] {
    std::uint64_t my_events = 0, my_written = 0;
    for (std::size_t i; !failed.load(std::memory_order_relaxed) && (i = next.fetch_add(1)) < engagements.size();) {
      // From the first event: no snapshot, and no state this process kept.
      auto st = fold_engagement(ledger, engagements[i]);
      // Without a snapshot key the fold is still a full check of every engagement's events.
      Status s = !st.ok() ? st.status() : ledger.has_snapshot_key() ? write_snapshot(ledger, *st) : Status::Ok();
      if (!s.ok()) {
        std::lock_guard lock(mu);
        if (!failed.exchange(true)) first_error = s;
        break;
      }
      my_events += st->version;
      if (ledger.has_snapshot_key()) ++my_written;
      done.fetch_add(1, std::memory_order_relaxed);
    }
    events.fetch_add(my_events);
    written.fetch_add(my_written);
    std::lock_guard lock(mu);
    if (--running == 0) finished.notify_all();
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < report.threads; ++t) pool.emplace_back(work);
  {
    std::unique_lock lock(mu);
    while (!finished.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; }))
      if (options.progress) options.progress(playbooks.size() + done.load(), total);
  }
  for (auto& t : pool) t.join();
  if (failed) return first_error;
  if (options.progress) options.progress(total, total);
  report.events += events.load();
  report.snapshots_written = written.load();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace ftl::engine
