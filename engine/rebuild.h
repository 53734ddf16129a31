// Rebuilding every projection from the log: drop the snapshots, fold every playbook and every
// engagement from its first event, write a fresh snapshot for each engagement. Engagements are
// independent folds, so they are shared out to worker threads; each worker holds one state at
// a time, so memory does not grow with the ledger.
#pragma once

#include <cstdint>
#include <functional>

#include "ledger/ledger.h"

namespace ftl::engine {

struct RebuildReport {
  std::uint64_t playbooks = 0, engagements = 0, events = 0;
  std::uint64_t snapshots_dropped = 0, snapshots_written = 0;
  unsigned threads = 1;
  double seconds = 0;
};

struct RebuildOptions {
  unsigned threads = 0;  // 0: one per core
  // Called now and then from the calling thread with (streams done, streams in all).
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

// Stops at the first stream that cannot be folded (its Corruption names the event); snapshots
// written before that stay, and are sound.
Result<RebuildReport> rebuild(Ledger& ledger, const RebuildOptions& options = {});

}  // namespace ftl::engine
