#include "ledger/rocks_ledger.h"

#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include <openssl/crypto.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "ledger/cursors.h"
#include "ledger/event_ids.h"
#include "ledger/sha256.h"
#include "ledger/snapshot_key.h"

namespace ftl {

std::int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string to_hex(const Hash& h) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (auto b : h) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

std::optional<Hash> hash_from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Hash h{};
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return h;
}

namespace {

// Sleeps while *word == expected. std::atomic::wait would first spin with sched_yield, which
// with dozens of waiters on two cores takes the CPU from the appender they are waiting for.
void futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}
void futex_wake_all(std::atomic<std::uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

}  // namespace

RocksLedger::RocksLedger(std::string path, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                         const OpenOptions& options)
    : path_(std::move(path)), db_(db), cfs_(std::move(cfs)), options_(options), ids_(std::make_unique<EventIdGenerator>()) {}

RocksLedger::~RocksLedger() {
  if (poisoned_) {
    // After a failed write nothing more goes to the database: closing would write the WAL
    // writer's buffer again, which Debian's RocksDB 7.8 asserts on. The process keeps the
    // handle until it exits; the next open replays the WAL up to the last synced write.
    for (auto* h : cfs_)
      if (h != nullptr) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
#if defined(__SANITIZE_ADDRESS__)
    __lsan_ignore_object(db_);  // kept on purpose, not lost: LeakSanitizer is told so
#endif
    return;
  }
  if (!options_.read_only && head_file_) close();
  for (auto* h : cfs_)
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
  delete db_;
}

// A writer's close. Short commands open, append a little and close, thousands of times a day:
// each used to flush every column family into a new table file, and no compaction ever ran to
// completion in a process that lived a few milliseconds (738 table files after 350 commands).
// Now a close
//  - leaves the WAL for the next writer to replay into memory (avoid_flush_during_recovery),
//    unless it has grown past kFlushWalBytes or kFlushWalFiles, when it flushes everything;
//  - merges the small table files that pile up side by side when keys only ever grow (events,
//    an actor's entries, time-ordered event ids): RocksDB moves each small flush down a level
//    whole instead of merging it, since it overlaps nothing there;
//  - waits, up to kCompactionWait, for the compactions RocksDB scheduled to finish, so the
//    table files stay few however many commands run.
// Every reader replays the WAL it finds (~3 ms a megabyte), so the WAL left behind stays under
// kFlushWalBytes: a rebuild that left 7.7 MB of snapshots in it made every view 20 ms slower.
// Any failure costs only speed or a cached snapshot; the events are synced already.
void RocksLedger::close() {
  constexpr std::uint64_t kFlushWalBytes = 1 << 20;
  constexpr std::size_t kFlushWalFiles = 8;
  constexpr auto kCompactionWait = std::chrono::seconds(30);
  rocksdb::FlushOptions fo;
  fo.wait = true;
  rocksdb::VectorLogPtr wals;
  if (db_->GetSortedWalFiles(wals).ok()) {
    std::uint64_t bytes = 0;
    for (const auto& w : wals) bytes += w->SizeFileBytes();
    if (bytes > kFlushWalBytes || wals.size() > kFlushWalFiles) {
      std::vector<rocksdb::ColumnFamilyHandle*> all;
      for (auto* h : cfs_)
        if (h != nullptr) all.push_back(h);
      db_->Flush(fo, all).PermitUncheckedError();
    }
  }
  constexpr std::uint64_t kSmallFile = 8 << 20;
  constexpr std::size_t kMaxSmallFiles = 8;
  for (auto* h : cfs_) {
    if (h == nullptr) continue;
    rocksdb::ColumnFamilyMetaData meta;
    db_->GetColumnFamilyMetaData(h, &meta);
    std::size_t small = 0;
    std::string lo, hi;
    for (const auto& level : meta.levels) {
      if (level.level == 0) continue;  // L0 files are merged by RocksDB's own compactions
      for (const auto& f : level.files) {
        if (f.size >= kSmallFile) continue;
        if (small++ == 0 || f.smallestkey < lo) lo = f.smallestkey;
        if (small == 1 || f.largestkey > hi) hi = f.largestkey;
      }
    }
    if (small <= kMaxSmallFiles) continue;
    rocksdb::CompactRangeOptions cro;
    cro.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;  // merge even at the last level
    const rocksdb::Slice begin(lo), end(hi);
    db_->CompactRange(cro, h, &begin, &end).PermitUncheckedError();
  }
  const auto deadline = std::chrono::steady_clock::now() + kCompactionWait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::uint64_t running = 0, pending = 0;
    db_->GetIntProperty("rocksdb.num-running-compactions", &running);
    for (auto* h : cfs_) {
      std::uint64_t p = 0;
      if (h != nullptr && db_->GetIntProperty(h, "rocksdb.compaction-pending", &p)) pending += p;
    }
    if (running == 0 && pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  head_file_->sync().permit_unchecked();
}

// Group commit, as LevelDB's write queue does it: callers queue up; the one at the front is
// the appender for everything queued behind it (up to kMaxGroupEvents), so one synced write
// covers them all, in queue order. Uncontended, the caller appends on its own thread with no
// hand-off; contended, each group takes everything that arrived during the previous sync.
// Like PostgreSQL's commit_delay, a new appender that sees fewer callers queued than the last
// group had waits a little (at most a quarter of the last sync, never more than 200 us) for
// the callers just acknowledged to come back, so that groups stay large under steady load.
Result<AppendResult> RocksLedger::append(AppendRequest request) {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  constexpr std::size_t kMaxGroupEvents = 20000;
  Writer w;
  w.request = &request;
  std::unique_lock lk(queue_mu_);
  queue_.push_back(&w);
  const bool first = queue_.front() == &w;
  if (!first && queue_.size() == last_group_) joined_.notify_one();  // the group an appender may wait for is complete
  lk.unlock();
  if (!first) {
    for (;;) {
      const auto gen = wake_gen_.load(std::memory_order_acquire);
      if (w.done.load(std::memory_order_acquire)) return std::move(*w.result);
      if (w.appender.load(std::memory_order_acquire)) break;
      futex_wait(&wake_gen_, gen);
    }
  }
  // This caller is the appender now.
  lk.lock();
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
  lk.unlock();
  const auto start = std::chrono::steady_clock::now();
  auto results = commit_group(group);
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  lk.lock();
  last_group_ = group.size();
  last_write_us_ = took.count();
  for (std::size_t i = 0; i < group.size(); ++i) queue_.pop_front();
  Writer* next = queue_.empty() ? nullptr : queue_.front();
  lk.unlock();
  for (std::size_t i = 1; i < group.size(); ++i) {
    group[i]->result.emplace(std::move(results[i]));
    group[i]->done.store(true, std::memory_order_release);  // the last touch of that Writer
  }
  if (next != nullptr) next->appender.store(true, std::memory_order_release);  // queued: cannot vanish
  wake_gen_.fetch_add(1, std::memory_order_release);
  futex_wake_all(&wake_gen_);
  return std::move(results[0]);  // group[0] is this caller: the appender is the queue's front
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
};

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

  std::uint64_t current;
  if (auto it = g.versions.find(r.stream); it != g.versions.end()) {
    current = it->second;
  } else if (auto hit = heads_.find(r.stream); hit != heads_.end()) {
    current = hit->second;
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
    const auto seq_key = format::sequence_key(e.sequence);
    g.record.clear();
    format::encode_record(e, canonical, ne.payload, g.record);
    g.batch.Put(cf(kEvents), seq_key, g.record).PermitUncheckedError();
    g.batch.Put(cf(kByStream), format::stream_key(e.stream, e.stream_version), seq_key).PermitUncheckedError();
    g.batch.Put(cf(kByActor), format::actor_key(e.actor, e.sequence), "").PermitUncheckedError();
    g.batch.Put(cf(kByEventId), e.event_id, seq_key).PermitUncheckedError();
    if (!ne.event_id.empty()) g.ids.insert(e.event_id);  // generated ids cannot collide
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
        poisoned_ = write_status;
      }
    }
    if (write_status.ok()) {
      // After the sync: whatever of it reaches the disk names events that are durable.
      if (head_file_) head_file_->write(new_head).permit_unchecked();
      // The appender is the only writer, so what it wrote is the stream's head.
      if (heads_.size() + g.versions.size() > kMaxCachedHeads) heads_.clear();
      for (const auto& [stream, version] : g.versions) heads_[stream] = version;
      syncs_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lk(head_mu_);
      head_ = new_head;
      last_recorded_us_ = g.recorded_us;
      streams_ += g.new_streams;
    }
  }
  for (auto& res : results)
    if (res.ok() && !res->duplicate && !write_status.ok()) res = Result<AppendResult>(write_status);
  return results;
}

Result<Event> RocksLedger::read_event(const rocksdb::ReadOptions& ro, std::uint64_t sequence) {
  std::string bytes;
  auto s = db_->Get(ro, cf(kEvents), format::sequence_key(sequence), &bytes);
  if (s.IsNotFound()) return Status::NotFound("no event with sequence " + std::to_string(sequence));
  if (!s.ok()) return Status::IOError(s.ToString());
  Event e;
  std::string why;
  if (!format::decode_record(bytes, &e, &why)) return format::broken(sequence, "V2", "its record cannot be read: " + why);
  if (auto st = format::check_event(e, sequence); !st.ok()) return st;
  return e;
}

Result<Event> RocksLedger::get(std::uint64_t sequence) { return read_event({}, sequence); }

Result<Event> RocksLedger::get_by_id(const std::string& event_id) {
  auto seq = sequence_of_id(event_id);
  if (!seq.ok()) {
    if (seq.status().code() == Code::kNotFound) return Status::NotFound("no event with id " + event_id);
    return seq.status();
  }
  auto e = get(*seq);
  if (e.ok() && e->event_id != event_id)
    return format::broken(*seq, "V9", "the event id index maps " + event_id + " to it, but its id is " + e->event_id);
  return e;
}

// A stream's head is its last entry in the stream index.
Result<std::uint64_t> RocksLedger::stream_version(const std::string& stream) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kByStream)));
  it->SeekForPrev(format::stream_key(stream, ~std::uint64_t{0}));
  if (!it->Valid()) {
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
    return std::uint64_t{0};
  }
  const auto k = it->key();
  const auto prefix = format::stream_prefix(stream);
  if (k.size() != prefix.size() + 8 || !k.starts_with(prefix)) return std::uint64_t{0};
  return format::get_u64(k.data() + prefix.size());
}

std::unique_ptr<Cursor> RocksLedger::scan(std::uint64_t from) {
  return rocks::sequence_cursor(db_, cf(kEvents), from, !options_.read_only);
}
std::unique_ptr<Cursor> RocksLedger::scan_stream(const std::string& stream, std::uint64_t from_version) {
  return rocks::index_cursor(db_, cf(kByStream), cf(kEvents), rocks::IndexKind::kStream, stream, from_version,
                             !options_.read_only);
}
std::unique_ptr<Cursor> RocksLedger::scan_actor(const std::string& actor, std::uint64_t from) {
  return rocks::index_cursor(db_, cf(kByActor), cf(kEvents), rocks::IndexKind::kActor, actor, from, !options_.read_only);
}

Status RocksLedger::list_streams(const std::string& prefix,
                                 const std::function<bool(const std::string&, std::uint64_t)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kByStream)));
  it->Seek(prefix);
  while (it->Valid()) {
    const auto k = it->key().ToStringView();
    if (!k.starts_with(prefix)) break;
    if (k.size() < 9 || k[k.size() - 9] != '\0')
      return Status::Corruption("the stream index entry " + it->key().ToString(true) + " is malformed (V7)");
    const std::string stream(k.substr(0, k.size() - 9));
    // Jump to the stream's last version, read it, then step past the stream.
    it->SeekForPrev(format::stream_key(stream, ~std::uint64_t{0}));
    if (!it->Valid()) break;
    const std::uint64_t version = format::get_u64(it->key().data() + it->key().size() - 8);
    if (!fn(stream, version)) return Status::Ok();
    it->Seek(stream + '\x01');
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return Status::Ok();
}

// A snapshot's stored value is its bytes, then HMAC-SHA256(key, u16 length || snapshot key ||
// bytes): ledger/FORMAT.md "Snapshots".
namespace {
Hash snapshot_mac(const Hash& key, std::string_view name, std::string_view bytes) {
  std::string prefix;
  format::put_u16(prefix, static_cast<std::uint16_t>(name.size()));
  prefix.append(name);
  return hmac_sha256(key, {prefix, bytes});
}
}  // namespace

StoredSnapshot RocksLedger::unseal(std::string name, std::string_view value) const {
  StoredSnapshot out;
  out.key = std::move(name);
  if (value.size() < 32) {
    out.bytes.assign(value);
    out.raw.assign(value);
    return out;
  }
  const auto bytes = value.substr(0, value.size() - 32);
  out.bytes.assign(bytes);
  if (const auto k = key()) {
    const auto mac = snapshot_mac(*k, out.key, bytes);
    out.authentic = CRYPTO_memcmp(mac.data(), value.data() + bytes.size(), 32) == 0;
  }
  if (!out.authentic) out.raw.assign(value);
  return out;
}

Status RocksLedger::put_snapshot(const std::string& key, const std::string& bytes) {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  if (poisoned_) return *poisoned_;
  if (auto st = ensure_snapshot_key(); !st.ok()) return st;
  const auto mac_key = this->key();
  if (cf(kSnapshots) == nullptr) return Status::Unavailable("the snapshots of " + path_ + " could not be recreated");
  if (key.size() > format::kMaxNameBytes) return Status::InvalidArgument("a snapshot key of " + std::to_string(key.size()) + " bytes is too long");
  const auto mac = snapshot_mac(*mac_key, key, bytes);
  std::string value = bytes;
  value.append(reinterpret_cast<const char*>(mac.data()), mac.size());
  // A snapshot is a cache that can always be refolded: not synced. It goes through the WAL all
  // the same, so that every column family stays in step with the log (rocks_options.cpp).
  rocksdb::WriteOptions wo;
  auto s = db_->Put(wo, cf(kSnapshots), key, value);
  return s.ok() ? Status::Ok() : Status::IOError(s.ToString());
}

Status RocksLedger::ensure_snapshot_key() {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  std::lock_guard lk(key_mu_);
  if (snapshot_key_) return Status::Ok();
  if (options_.snapshot_key_file.empty()) return Status::Unavailable("no snapshot key: snapshots are not written").tagged("ledger.snapshot_key");
  auto made = make_snapshot_key(options_.snapshot_key_file);
  if (!made.ok()) return made.status();
  snapshot_key_ = *made;
  return Status::Ok();
}

Result<StoredSnapshot> RocksLedger::get_snapshot(const std::string& key) {
  if (cf(kSnapshots) == nullptr) return Status::NotFound("no snapshots");
  std::string v;
  auto s = db_->Get({}, cf(kSnapshots), key, &v);
  if (s.IsNotFound()) return Status::NotFound("no snapshot " + key);
  if (!s.ok()) return Status::IOError(s.ToString());
  return unseal(key, v);
}

Status RocksLedger::list_snapshots(const std::function<bool(const StoredSnapshot&)>& fn) {
  if (cf(kSnapshots) == nullptr) return Status::Ok();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kSnapshots)));
  for (it->SeekToFirst(); it->Valid(); it->Next())
    if (!fn(unseal(it->key().ToString(), it->value().ToStringView()))) return Status::Ok();
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return Status::Ok();
}

Result<std::uint64_t> RocksLedger::drop_snapshots() {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  if (poisoned_) return *poisoned_;
  std::uint64_t n = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kSnapshots)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
  }
  // Drop the column family and create it afresh: its files are deleted whole, where deleting
  // each snapshot would leave tombstones for compactions to rewrite (the next writer's cost).
  auto& handle = cfs_[static_cast<std::size_t>(kSnapshots)];
  rocksdb::ColumnFamilyDescriptor desc;
  if (auto s = handle->GetDescriptor(&desc); !s.ok()) return Status::IOError(s.ToString());
  if (auto s = db_->DropColumnFamily(handle); !s.ok()) return Status::IOError(s.ToString());
  db_->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  handle = nullptr;
  if (auto s = db_->CreateColumnFamily(desc.options, desc.name, &handle); !s.ok()) return Status::IOError(s.ToString());
  return n;
}

Digest RocksLedger::head() {
  std::lock_guard lk(head_mu_);
  return head_;
}

LedgerStats RocksLedger::stats() {
  LedgerStats s;
  {
    std::lock_guard lk(head_mu_);
    s.events = head_.sequence;
    s.last_sequence = head_.sequence;
    s.streams = streams_;
  }
  s.syncs = syncs_.load();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path_, ec))
    if (entry.is_regular_file(ec)) s.bytes_on_disk += entry.file_size(ec);
  return s;
}

}  // namespace ftl
