// The group commit: concurrent appends queue; the caller at the front stages everything queued
// (checks, sequences, chain hashes, index entries) into one WriteBatch, writes it synced, and
// acknowledges each caller in it (ledger/ledger.h, FORMAT.md "Appending").
#include <rocksdb/write_batch.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "ledger/event_ids.h"
#include "ledger/rocks_ledger.h"
#include "ledger/sha256.h"

namespace ftl {

namespace {

// Sleeps while *word == expected. std::atomic::wait would first spin with sched_yield, which
// with dozens of waiters on two cores takes the CPU from the appender they are waiting for.
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
// Wakes the one caller sleeping on *word. A word whose caller has already returned gets at most
// a spurious wake of whatever sleeps there later, and every sleeper here re-checks its word.
void futex_wake(std::atomic<std::uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

Result<AppendResult> RocksLedger::append(AppendRequest request) {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  Writer w;
  w.request = &request;
  std::unique_lock lk(queue_mu_);
  queue_.push_back(&w);
  const bool first = queue_.front() == &w;
  if (!first && queue_.size() == last_group_) joined_.notify_one();  // the group an appender may wait for is complete
  lk.unlock();
  if (!first) {
    for (;;) {
      const auto state = w.state.load(std::memory_order_acquire);
      if (state == Writer::kDone) return std::move(*w.result);
      if (state == Writer::kAppender) break;
      futex_wait(&w.state, Writer::kWaiting);
    }
  }
  Writer* front = nullptr;
  return lead(&front);  // front is &w: the appender is the queue's front
}

// An async request waits in the same queue; when it reaches the front, the commit thread takes
// the appender's turn for it, so no caller's thread ever waits for a sync.
void RocksLedger::append_async(AppendRequest request, AppendCallback done) {
  if (options_.read_only) return done(Status::Unavailable("the ledger at " + path_ + " is open read-only"));
  auto* w = new Writer;
  w->owned = std::make_unique<AppendRequest>(std::move(request));
  w->request = w->owned.get();
  w->done = std::move(done);
  std::lock_guard lk(queue_mu_);
  if (!committer_.joinable()) committer_ = std::thread([this] { commit_loop(); });
  queue_.push_back(w);
  if (queue_.front() == w) {
    async_turn_ = true;
    async_turn_cv_.notify_one();
  } else if (queue_.size() == last_group_) {
    joined_.notify_one();
  }
}

void RocksLedger::commit_loop() {
  std::unique_lock lk(queue_mu_);
  for (;;) {
    async_turn_cv_.wait(lk, [&] { return async_turn_ || stopping_; });
    if (!async_turn_) return;  // stopping, and no async request is left at the front
    async_turn_ = false;
    lk.unlock();
    Writer* front = nullptr;
    auto r = lead(&front);
    answer(front, std::move(r));
    lk.lock();
  }
}

void RocksLedger::answer(Writer* w, Result<AppendResult> r) {
  try {
    w->done(std::move(r));
  } catch (...) {
    // A callback that throws loses only its own answer; the commit thread goes on.
  }
  delete w;
}

void RocksLedger::hand_on(Writer* next) {
  if (next->done) {
    async_turn_ = true;
    async_turn_cv_.notify_one();
  } else {
    next->state.store(Writer::kAppender, std::memory_order_release);  // queued: cannot vanish
    futex_wake(&next->state);
  }
}

// Group commit, as LevelDB's write queue does it: callers queue up; the one at the front is
// the appender for everything queued behind it (up to kMaxGroupEvents), so one synced write
// covers them all, in queue order. Uncontended, the caller appends on its own thread with no
// hand-off; contended, each group takes everything that arrived during the previous sync.
// Like PostgreSQL's commit_delay, a new appender that sees fewer callers queued than the last
// group had waits a little (at most a quarter of the last sync, never more than 200 us) for
// the callers just acknowledged to come back, so that groups stay large under steady load.
Result<AppendResult> RocksLedger::lead(Writer** front) {
  constexpr std::size_t kMaxGroupEvents = 20000;
  std::unique_lock lk(queue_mu_);
  if (queue_.size() < last_group_) {
    const auto delay = std::chrono::microseconds(std::clamp<std::int64_t>(last_write_us_ / 4, 10, 200));
    joined_.wait_for(lk, delay, [&] { return queue_.size() >= last_group_; });
  }
  std::vector<Writer*> group;
  std::size_t events = 0;
  for (auto* q : queue_) {
    if (!group.empty() && events + q->request->events.size() > kMaxGroupEvents) break;
    group.push_back(q);
    events += q->request->events.size();
  }
  *front = group.front();
  lk.unlock();
  const auto start = std::chrono::steady_clock::now();
  auto results = commit_group(group);
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  lk.lock();
  last_group_ = group.size();
  last_write_us_ = took.count();
  for (std::size_t i = 0; i < group.size(); ++i) queue_.pop_front();
  if (!queue_.empty()) hand_on(queue_.front());
  lk.unlock();
  for (std::size_t i = 1; i < group.size(); ++i) {
    if (group[i]->done) {
      answer(group[i], std::move(results[i]));
      continue;
    }
    group[i]->result.emplace(std::move(results[i]));
    group[i]->state.store(Writer::kDone, std::memory_order_release);  // from here the Writer may be gone
    futex_wake(&group[i]->state);
  }
  return std::move(results[0]);
}

// What one group commit has staged but not yet written.
struct RocksLedger::Group {
  explicit Group(std::size_t reserve) : batch(reserve) {}
  rocksdb::WriteBatch batch;
  std::string record;  // reused for each event's record
  std::uint64_t seq = 0;
  Hash hash{};
  std::int64_t recorded_us = 0;
  std::uint64_t new_streams = 0;
  std::unordered_map<std::string, std::uint64_t> versions;  // stream -> version staged so far
  std::unordered_set<std::string> ids;                      // event ids staged so far
  std::unordered_set<std::uint64_t> redacting;               // events whose redaction is staged
  merkle::Frontier tree;                                     // the tree's right edge, with the staged events
};

Status RocksLedger::write_health() const {
  std::lock_guard poison(poison_mu_);
  return poisoned_ ? *poisoned_ : Status::Ok();
}

Result<std::uint64_t> RocksLedger::sequence_of_id(const std::string& event_id) {
  std::string v;
  auto s = db_->Get({}, cf(kByEventId), event_id, &v);
  if (s.IsNotFound()) return Status::NotFound(event_id);
  if (!s.ok()) return Status::IOError(s.ToString());
  if (v.size() != 8) return Status::Corruption("event id index entry for " + event_id + " is malformed");
  return format::get_u64(v.data());
}

Status RocksLedger::stage(Group& g, const AppendRequest& r, AppendResult* out, bool* duplicate) {
  *duplicate = false;
  if (!format::valid_name(r.stream))
    return Status::InvalidArgument("stream id '" + r.stream + "' is empty, too long or has control characters");
  if (r.events.empty()) return Status::InvalidArgument("an append to " + r.stream + " has no events");
  std::size_t known = 0;
  std::unordered_set<std::string> in_request;
  for (const auto& e : r.events) {
    if (!format::valid_name(e.type)) return Status::InvalidArgument("event type '" + e.type + "' is not a valid name");
    if (!format::valid_name(e.actor)) return Status::InvalidArgument("actor '" + e.actor + "' is not a valid name");
    if (e.effective_us && (*e.effective_us < 0 || *e.effective_us >= format::kMaxTimeUs))
      return Status::InvalidArgument("an effective time of " + std::to_string(*e.effective_us) + " us lies outside 1970 to 3000");
    if (e.payload.size() > format::kMaxPayloadBytes)
      return Status::InvalidArgument("an event payload of " + std::to_string(e.payload.size()) + " bytes exceeds the limit of " +
                                     std::to_string(format::kMaxPayloadBytes));
    if (e.event_id.empty()) continue;
    if (!format::valid_name(e.event_id))
      return Status::InvalidArgument("event id '" + e.event_id + "' is not a valid name");
    if (!in_request.insert(e.event_id).second)
      return Status::InvalidArgument("event id " + e.event_id + " appears twice in one append");
    if (g.ids.count(e.event_id) != 0) {
      ++known;
      continue;
    }
    auto seq = sequence_of_id(e.event_id);
    if (seq.ok()) ++known;
    else if (seq.status().code() != Code::kNotFound) return seq.status();
  }
  if (known > 0) {
    if (known != r.events.size())
      return Status::InvalidArgument("an append to " + r.stream + " mixes " + std::to_string(known) +
                                     " already recorded event ids with new ones");
    // A retry of an acknowledged append, or one staged in this very group.
    auto first = sequence_of_id(r.events.front().event_id);
    auto last = sequence_of_id(r.events.back().event_id);
    if (!first.ok() || !last.ok())
      return Status::Conflict("event id " + r.events.front().event_id + " is being appended concurrently");
    auto last_ev = read_event({}, *last);
    if (!last_ev.ok()) return last_ev.status();
    if (last_ev->event_id != r.events.back().event_id)
      return format::broken(*last, "V9", "the event id index maps " + r.events.back().event_id + " to it, but its id is " + last_ev->event_id);
    *out = {*first, *last, last_ev->stream_version, true};
    *duplicate = true;
    return Status::Ok();
  }

  if (auto st = check_redaction(r, g.redacting); !st.ok()) return st;
  std::optional<PreparedRedaction> redaction;
  if (r.redacts != 0) {
    auto p = prepare_redaction(r.redacts);
    if (!p.ok()) return p.status();
    redaction = std::move(*p);
  }

  std::uint64_t current;
  if (auto it = g.versions.find(r.stream); it != g.versions.end()) {
    current = it->second;
  } else {
    auto v = stream_version(r.stream);
    if (!v.ok()) return v.status();
    current = *v;
  }
  const auto& ex = r.expected;
  auto conflict = [&](const std::string& wanted) {
    return Status::Conflict("stream " + r.stream + " is at version " + std::to_string(current) + ", not " + wanted);
  };
  switch (ex.kind) {
    case ExpectedVersion::Kind::kAny: break;
    case ExpectedVersion::Kind::kNoStream:
      if (current != 0) return conflict("absent");
      break;
    case ExpectedVersion::Kind::kStreamExists:
      if (current == 0) return conflict("existing");
      break;
    case ExpectedVersion::Kind::kExact:
      if (current != ex.version) return conflict(std::to_string(ex.version));
      break;
  }

  out->first_sequence = g.seq + 1;
  if (current == 0) ++g.new_streams;
  for (const auto& ne : r.events) {
    Event e;
    e.sequence = ++g.seq;
    e.stream = r.stream;
    e.stream_version = ++current;
    e.event_id = ne.event_id.empty() ? ids_->next(g.recorded_us) : ne.event_id;
    e.type = ne.type;
    e.schema_version = ne.schema_version;
    e.recorded_us = g.recorded_us;
    e.effective_us = ne.effective_us.value_or(g.recorded_us);
    e.actor = ne.actor;
    e.payload_hash = Sha256::of(ne.payload);  // the payload itself is not copied into `e`
    e.prev_hash = g.hash;
    const auto canonical = format::canonical_bytes(e, ne.payload.size());
    e.hash = format::chain_hash(e.prev_hash, canonical);
    g.hash = e.hash;
    g.tree.push(merkle::leaf_hash(canonical), [&](unsigned level, std::uint64_t index, const Hash& h) {
      if (format::stored_level(level)) g.batch.Put(cf(kTree), format::tree_key(level, index), merkle::bytes(h)).PermitUncheckedError();
    });
    const auto seq_key = format::sequence_key(e.sequence);
    g.record.clear();
    format::encode_record(e, canonical, ne.payload, g.record);
    g.batch.Put(cf(kEvents), seq_key, g.record).PermitUncheckedError();
    g.batch.Put(cf(kByStream), format::stream_key(e.stream, e.stream_version), seq_key).PermitUncheckedError();
    g.batch.Put(cf(kByActor), format::actor_key(e.actor, e.sequence), "").PermitUncheckedError();
    g.batch.Put(cf(kByEventId), e.event_id, seq_key).PermitUncheckedError();
    if (!ne.event_id.empty()) g.ids.insert(e.event_id);  // generated ids cannot collide
  }
  if (redaction) {
    stage_redaction(g.batch, *redaction, g.seq);
    g.redacting.insert(r.redacts);
  }
  g.versions[r.stream] = current;
  out->last_sequence = g.seq;
  out->stream_version = current;
  return Status::Ok();
}

std::vector<Result<AppendResult>> RocksLedger::commit_group(const std::vector<Writer*>& group) {
  std::size_t bytes = 256;  // room for the whole group, so the batch never grows by copying
  for (const auto* w : group)
    for (const auto& e : w->request->events)
      bytes += e.payload.size() + 2 * w->request->stream.size() + 2 * e.actor.size() + 2 * e.event_id.size() + 300;
  Group g(bytes);
  {
    std::lock_guard lk(head_mu_);
    g.seq = head_.sequence;
    g.hash = head_.hash;
    g.recorded_us = std::max(now_us(), last_recorded_us_);  // recorded time never runs backwards
    g.tree = tree_;
  }
  std::vector<Result<AppendResult>> results;
  results.reserve(group.size());
  if (poisoned_) {
    for (std::size_t i = 0; i < group.size(); ++i) results.emplace_back(*poisoned_);
    return results;
  }
  for (auto* p : group) {
    AppendResult r;
    bool duplicate = false;
    // stage() validates the whole request before it changes the group, so a refused request
    // leaves nothing behind in the batch.
    auto st = stage(g, *p->request, &r, &duplicate);
    if (st.ok()) results.emplace_back(r);
    else results.emplace_back(st);
  }
  const bool any_new = g.seq != head().sequence;
  Status write_status;
  if (any_new) {
    Digest new_head{g.seq, g.hash};
    g.batch.Put(cf(kMeta), rocksdb::Slice(format::kMetaHeadKey.data(), format::kMetaHeadKey.size()),
                format::head_value(new_head)).PermitUncheckedError();
    std::string tree_size;
    format::put_u64(tree_size, g.seq);
    g.batch.Put(cf(kMeta), rocksdb::Slice(format::kMetaTreeKey.data(), format::kMetaTreeKey.size()), tree_size).PermitUncheckedError();
    if (g.new_streams > 0) {
      std::string streams;
      format::put_u64(streams, streams_ + g.new_streams);
      g.batch.Put(cf(kMeta), "streams", streams).PermitUncheckedError();
    }

    if (options_.before_write) write_status = options_.before_write(head().sequence + 1, g.seq - head().sequence);
    if (write_status.ok()) {
      rocksdb::WriteOptions wo;
      wo.sync = true;
      auto s = db_->Write(wo, &g.batch);
      if (!s.ok()) {
        write_status = s.IsNoSpace() || s.ToString().find("No space") != std::string::npos
                           ? Status::IOError("the disk holding the ledger at " + path_ + " is full, so nothing was written (" +
                                             s.ToString() + ")").tagged("ledger.disk_full")
                           : Status::IOError("the synced write to the ledger at " + path_ + " failed, so nothing was written (" +
                                             s.ToString() + ")").tagged("ledger.write_failed");
        std::lock_guard poison(poison_mu_);
        poisoned_ = write_status;
      }
    }
    if (write_status.ok()) {
      // After the sync: whatever of it reaches the disk names events that are durable.
      if (head_file_) head_file_->write(new_head).permit_unchecked();
      // The appender is the only writer, so what it wrote is the stream's head.
      {
        std::lock_guard heads_lock(heads_mu_);
        if (heads_.size() + g.versions.size() > kMaxCachedHeads) heads_.clear();
        for (const auto& [stream, version] : g.versions) heads_[stream] = version;
        ++heads_epoch_;
      }
      syncs_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lk(head_mu_);
      head_ = new_head;
      tree_ = std::move(g.tree);
      last_recorded_us_ = g.recorded_us;
      streams_ += g.new_streams;
    }
  }
  for (auto& res : results)
    if (res.ok() && !res->duplicate && !write_status.ok()) res = Result<AppendResult>(write_status);
  return results;
}

}  // namespace ftl
