// The checkpoints a serving process signs on its own: one at start, then whenever `every_events`
// events went in since the last, or `every_seconds` passed and any event went in. Requests for
// "the" checkpoint get the latest one kept here, so every client (and every witness) that asks
// within an interval holds the same signed statement, and a request never costs a signature.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "engine/signed_note.h"
#include "ledger/ledger.h"

namespace ftl::engine {

struct CheckpointPolicy {
  double every_seconds = 10;
  std::uint64_t every_events = 1000;
  // Told when signing starts failing, or fails for another reason than the last time.
  std::function<void(const std::string&)> on_error;
};

struct KeptCheckpoint {
  std::string note;         // the signed checkpoint, verbatim
  std::uint64_t size = 0;   // the tree size it states
  std::int64_t signed_us = 0;  // when it was signed (UTC µs)
};

class CheckpointKeeper {
 public:
  // Signs the first checkpoint before it returns (an error there is the caller's to report).
  static Result<std::unique_ptr<CheckpointKeeper>> Start(Ledger& ledger, SignerKey key, CheckpointPolicy policy);
  ~CheckpointKeeper();  // stops the signing thread
  CheckpointKeeper(const CheckpointKeeper&) = delete;
  CheckpointKeeper& operator=(const CheckpointKeeper&) = delete;

  KeptCheckpoint latest() const;
  const SignerKey& key() const { return key_; }
  // Signs now if the head moved since the latest (the signing thread calls it when due).
  Status refresh();
  // The last error the signing thread met (empty: none since the last success).
  std::string last_error() const;

 private:
  CheckpointKeeper(Ledger& ledger, SignerKey key, CheckpointPolicy policy);
  void run();

  Ledger& ledger_;
  const SignerKey key_;
  const CheckpointPolicy policy_;
  mutable std::mutex mu_;
  KeptCheckpoint latest_;
  std::string last_error_;
  std::chrono::steady_clock::time_point signed_at_, failed_at_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ftl::engine
