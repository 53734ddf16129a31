#include "engine/checkpoint_keeper.h"

#include <algorithm>

#include "engine/checkpoint.h"

namespace ftl::engine {

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

CheckpointKeeper::CheckpointKeeper(Ledger& ledger, SignerKey key, CheckpointPolicy policy)
    : ledger_(ledger), key_(std::move(key)), policy_(policy) {}

Result<std::unique_ptr<CheckpointKeeper>> CheckpointKeeper::Start(Ledger& ledger, SignerKey key, CheckpointPolicy policy) {
  if (!(policy.every_seconds > 0) || policy.every_events == 0)
    return Status::InvalidArgument("a checkpoint interval must be more than 0 seconds and at least 1 event").tagged("checkpoint.policy");
  std::unique_ptr<CheckpointKeeper> k(new CheckpointKeeper(ledger, std::move(key), policy));
  const auto size = ledger.head().sequence;
  auto note = sign_checkpoint(ledger, k->key_, size);
  if (!note.ok()) return note.status();
  k->latest_ = {*note, size, now_us()};
  k->signed_at_ = std::chrono::steady_clock::now();
  k->thread_ = std::thread([p = k.get()] { p->run(); });
  return k;
}

CheckpointKeeper::~CheckpointKeeper() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

KeptCheckpoint CheckpointKeeper::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

std::string CheckpointKeeper::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

Status CheckpointKeeper::refresh() {
  const auto size = ledger_.head().sequence;
  {
    std::lock_guard lock(mu_);
    if (size == latest_.size) return Status::Ok();
  }
  auto note = sign_checkpoint(ledger_, key_, size);
  std::lock_guard lock(mu_);
  if (!note.ok()) {
    const bool news = last_error_ != note.status().message();
    last_error_ = note.status().message();
    failed_at_ = std::chrono::steady_clock::now();
    if (news && policy_.on_error) policy_.on_error(last_error_);
    return note.status();
  }
  if (size > latest_.size) latest_ = {*note, size, now_us()};
  signed_at_ = std::chrono::steady_clock::now();
  last_error_.clear();
  return Status::Ok();
}

void CheckpointKeeper::run() {
  // The head is looked at a few times a second: a count of events is due within that, a time
  // within its interval. Looking costs one atomic read.
  const auto tick = std::chrono::milliseconds(
      static_cast<std::int64_t>(std::clamp(policy_.every_seconds * 1000.0 / 4, 5.0, 250.0)));
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, tick, [this] { return stop_; })) {
    const auto size = ledger_.head().sequence;
    const bool by_count = size >= latest_.size + policy_.every_events;
    const bool by_time = size != latest_.size &&
                         std::chrono::steady_clock::now() - signed_at_ >= std::chrono::duration<double>(policy_.every_seconds);
    if (!by_count && !by_time) continue;
    // After a failure (a damaged tree or a fork: each try reads events), wait an interval.
    const auto pause = std::chrono::duration<double>(std::max(policy_.every_seconds, 1.0));
    if (!last_error_.empty() && std::chrono::steady_clock::now() - failed_at_ < pause) continue;
    lock.unlock();
    (void)refresh();  // an error is kept for latest() callers to see; the thread tries again
    lock.lock();
  }
}

}  // namespace ftl::engine
