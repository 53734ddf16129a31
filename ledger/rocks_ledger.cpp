#include "ledger/rocks_ledger.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "ledger/sha256.h"

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

// A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 bits that rise by a
// random step with each id (the monotonic counter of its section 6.2), starting at a random
// value. Ids made by one appender sort in the order they were made, so the event id index
// grows at its end like the others.
class EventIdGenerator {
 public:
  std::string next(std::int64_t recorded_us) {
    const auto ms = static_cast<std::uint64_t>(recorded_us / 1000);
    if (ms > last_ms_) {  // a new millisecond: start anywhere in the lower half
      last_ms_ = ms;
      hi_ = rng_() & 0x1ff;  // 10 bits after the version nibble, top bit clear
      lo_ = rng_() >> 1;
    }
    const std::uint64_t step = 1 + (rng_() & 0xffff);
    if (lo_ > ~std::uint64_t{0} - step) ++hi_;
    lo_ += step;
    static const char* kDigits = "0123456789abcdef";
    std::string s;
    for (int i = 11; i >= 0; --i) s.push_back(kDigits[(last_ms_ >> (4 * i)) & 15]);  // 48-bit time
    s.push_back('7');                                                                  // version
    for (int i = 2; i >= 0; --i) s.push_back(kDigits[(hi_ >> (4 * i)) & 15]);         // 12 bits
    s.push_back(kDigits[8 + ((lo_ >> 62) & 3)]);                                       // variant 10xx
    for (int i = 14; i >= 0; --i) s.push_back(kDigits[(lo_ >> (4 * i)) & 15]);        // 60 bits
    return s.substr(0, 8) + "-" + s.substr(8, 4) + "-" + s.substr(12, 4) + "-" + s.substr(16, 4) + "-" +
           s.substr(20, 12);
  }

 private:
  std::mt19937_64 rng_{std::random_device{}()};
  std::uint64_t last_ms_ = 0, hi_ = 0, lo_ = 0;
};

namespace {

// The part of an index key up to and including its 0x00 separator (the stream or the actor),
// or the first 8 bytes of an event id: keys that share it are inserted in rising order.
class NamePrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "ftl.NamePrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const auto* sep = static_cast<const char*>(std::memchr(key.data(), 0, key.size()));
    return {key.data(), sep != nullptr ? static_cast<std::size_t>(sep - key.data()) + 1 : std::min<std::size_t>(key.size(), 8)};
  }
  bool InDomain(const rocksdb::Slice&) const override { return true; }
};

// `reader`: a read-only open for one view, which should not pay for the whole ledger. RocksDB
// otherwise opens every table file at open and reads each one's index and bloom filter (35 ms
// of a 50 ms view at 10M events); a reader loads them on demand through the block cache.
std::vector<rocksdb::ColumnFamilyDescriptor> descriptors(bool reader) {
  rocksdb::ColumnFamilyOptions plain;
  // Within a prefix, keys arrive in rising order (sequences; a stream's versions; an actor's
  // sequences; time-ordered event ids): an insert hint makes each memtable insert start where
  // the last one with the same prefix ended.
  rocksdb::ColumnFamilyOptions events;
  events.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1));
  rocksdb::ColumnFamilyOptions index;
  index.memtable_insert_with_hint_prefix_extractor = std::make_shared<NamePrefix>();
  // Point lookups (is this event id known?) mostly miss or hit recent keys: bloom filters in
  // the files and in the memtable.
  rocksdb::ColumnFamilyOptions lookup;
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  lookup.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  lookup.memtable_whole_key_filtering = true;
  lookup.memtable_prefix_bloom_size_ratio = 0.02;
  rocksdb::ColumnFamilyOptions by_id = lookup;
  by_id.memtable_insert_with_hint_prefix_extractor = std::make_shared<NamePrefix>();
  if (reader) {
    // Indexes share one bounded 64 MB cache with the data blocks. No bloom filters: a view's
    // event-id lookups are rare, and loading a multi-megabyte filter block through the cache
    // for one lookup costs far more than it saves. (verify, which looks up every event in
    // every index, opens with OpenOptions::whole_ledger: everything preloaded, as a writer.)
    rocksdb::BlockBasedTableOptions lazy;
    lazy.cache_index_and_filter_blocks = true;
    lazy.block_cache = rocksdb::NewLRUCache(64 << 20);
    for (auto* cf : {&plain, &events, &index, &lookup, &by_id}) cf->table_factory.reset(rocksdb::NewBlockBasedTableFactory(lazy));
  }
  return {{rocksdb::kDefaultColumnFamilyName, plain},
          {format::kEventsCf, events},
          {format::kByStreamCf, index},
          {format::kByActorCf, index},
          {format::kByEventIdCf, by_id},
          {format::kSnapshotsCf, plain}};
}

bool is_lock_error(const rocksdb::Status& s) {
  const std::string m = s.ToString();
  return s.IsIOError() && (m.find("lock") != std::string::npos || m.find("Lock") != std::string::npos);
}

// One event read through a RocksDB iterator over the events column family.
class SequenceCursor final : public Cursor {
 public:
  SequenceCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::uint64_t from, bool snapshot)
      : db_(db), snap_(snapshot ? db->GetSnapshot() : nullptr) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    it_.reset(db->NewIterator(ro, cf));
    it_->Seek(format::sequence_key(from));
    load();
  }
  ~SequenceCursor() override {
    it_.reset();
    if (snap_ != nullptr) db_->ReleaseSnapshot(snap_);
  }
  bool valid() const override { return valid_; }
  const Event& event() const override { return ev_; }
  void next() override {
    it_->Next();
    load();
  }
  Status status() const override { return status_; }

 private:
  void load() {
    valid_ = false;
    if (!it_->Valid()) {
      if (!it_->status().ok()) status_ = Status::IOError(it_->status().ToString());
      return;
    }
    std::string why;
    if (it_->key().size() != 8 || !format::decode_record(it_->value().ToStringView(), &ev_, &why)) {
      status_ = Status::Corruption("event at key " + it_->key().ToString(true) + " cannot be read: " + why);
      return;
    }
    valid_ = true;
  }
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
  std::unique_ptr<rocksdb::Iterator> it_;
  Event ev_;
  bool valid_ = false;
  Status status_;
};

// Events found through an index column family whose keys are prefix || u64 and whose
// sequence is either the value (by_stream) or the key's suffix (by_actor).
class IndexCursor final : public Cursor {
 public:
  IndexCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index, rocksdb::ColumnFamilyHandle* events,
              std::string prefix, std::uint64_t from, bool sequence_in_value, bool snapshot)
      : db_(db),
        events_(events),
        snap_(snapshot ? db->GetSnapshot() : nullptr),
        upper_(prefix),
        sequence_in_value_(sequence_in_value) {
    upper_.back() = '\x01';  // prefix ends in 0x00
    upper_slice_ = rocksdb::Slice(upper_);
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(ro, index));
    std::string start = prefix;
    format::put_u64(start, from);
    it_->Seek(start);
    load();
  }
  ~IndexCursor() override {
    it_.reset();
    events_it_.reset();
    if (snap_ != nullptr) db_->ReleaseSnapshot(snap_);
  }
  bool valid() const override { return valid_; }
  const Event& event() const override { return ev_; }
  void next() override {
    it_->Next();
    load();
  }
  Status status() const override { return status_; }

 private:
  void load() {
    valid_ = false;
    if (!it_->Valid()) {
      if (!it_->status().ok()) status_ = Status::IOError(it_->status().ToString());
      return;
    }
    auto key = it_->key();
    auto val = it_->value();
    if (key.size() < 9 || (sequence_in_value_ && val.size() != 8)) {
      status_ = Status::Corruption("index entry " + key.ToString(true) + " is malformed");
      return;
    }
    const std::uint64_t seq = sequence_in_value_ ? format::get_u64(val.data()) : format::get_u64(key.data() + key.size() - 8);
    const auto* found = seek_event(seq);
    std::string why;
    if (found == nullptr || !format::decode_record(found->ToStringView(), &ev_, &why)) {
      if (!events_it_->status().ok()) {
        status_ = Status::IOError(events_it_->status().ToString());
        return;
      }
      status_ = Status::Corruption("index entry " + key.ToString(true) + " points to event " + std::to_string(seq) +
                                   ", which " + (found != nullptr ? "cannot be read: " + why : "is missing"));
      return;
    }
    valid_ = true;
  }
  // Positions the events iterator on `seq`: a stream's or an actor's events often sit in runs
  // of consecutive sequences, so it steps forward when the next one is close and seeks
  // otherwise (a Get per event costs twice as much). The value, or null if there is no such event.
  const rocksdb::Slice* seek_event(std::uint64_t seq) {
    const std::string key = format::sequence_key(seq);
    if (!events_it_) {
      rocksdb::ReadOptions ro;
      ro.snapshot = snap_;
      events_it_.reset(db_->NewIterator(ro, events_));
      events_it_->Seek(key);
    } else if (events_it_->Valid() && events_it_->key().size() == 8) {
      std::uint64_t at = format::get_u64(events_it_->key().data());
      if (at < seq && seq - at <= kStep) {
        for (; at < seq && events_it_->Valid(); ++at) events_it_->Next();
      } else if (at != seq) {
        events_it_->Seek(key);
      }
    } else {
      events_it_->Seek(key);
    }
    if (!events_it_->Valid() || events_it_->key() != rocksdb::Slice(key)) return nullptr;
    value_ = events_it_->value();
    return &value_;
  }
  static constexpr std::uint64_t kStep = 4;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* events_;
  const rocksdb::Snapshot* snap_;
  std::unique_ptr<rocksdb::Iterator> events_it_;
  rocksdb::Slice value_;
  std::string upper_;
  rocksdb::Slice upper_slice_;
  bool sequence_in_value_;
  std::unique_ptr<rocksdb::Iterator> it_;
  Event ev_;
  bool valid_ = false;
  Status status_;
};

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path, const OpenOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(fs::path(path) / "CURRENT", ec);
  if (!exists && (options.read_only || !options.create_if_missing)) {
    return Status::Unavailable("no ledger at " + path,
                               "create one with `ftl playbook import FILE`, or name another with --db PATH");
  }
  rocksdb::DBOptions dbo;
  dbo.create_if_missing = options.create_if_missing;
  dbo.create_missing_column_families = true;
  dbo.keep_log_file_num = 3;
  // Readers open read-only and replay whatever WAL is left: keep it short. Past this size
  // RocksDB flushes the column families that hold the oldest WAL alive.
  dbo.max_total_wal_size = 256 << 20;
  dbo.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  const bool lazy = options.read_only && !options.whole_ledger;
  if (lazy) {
    dbo.max_open_files = 512;  // table files open as they are needed, not all at open
    dbo.skip_stats_update_on_db_open = true;
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.wait_seconds);
  for (;;) {
    handles.clear();
    if (options.read_only) {
      auto wanted = descriptors(lazy);
      s = rocksdb::DB::OpenForReadOnly(dbo, path, wanted, &handles, &db);
      std::vector<std::string> present;
      if (s.IsInvalidArgument() && rocksdb::DB::ListColumnFamilies(dbo, path, &present).ok() &&
          std::find(present.begin(), present.end(), format::kSnapshotsCf) == present.end()) {
        // A writer stopped between dropping the snapshots and creating them afresh (the next
        // writer creates them): read without snapshots.
        wanted.pop_back();
        handles.clear();
        s = rocksdb::DB::OpenForReadOnly(dbo, path, wanted, &handles, &db);
        if (s.ok()) handles.push_back(nullptr);
      }
    } else {
      s = rocksdb::DB::Open(dbo, path, descriptors(false), &handles, &db);
    }
    if (s.ok()) break;
    const bool retry = options.read_only ? s.IsIOError() || s.IsPathNotFound() : is_lock_error(s);
    if (!retry || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(options.read_only ? 20 : 100));
  }
  if (!s.ok()) {
    if (is_lock_error(s)) {
      char waited[32];
      std::snprintf(waited, sizeof waited, "%g", options.wait_seconds);
      return Status::Unavailable("the ledger at " + path + " is locked by another writer (waited " + waited + "s)",
                                 "wait longer with --wait SECONDS, or send writes through `ftl serve` with --server");
    }
    return Status::Unavailable("cannot open the ledger at " + path + ": " + s.ToString());
  }
  auto ledger = std::make_unique<RocksLedger>(path, db, std::move(handles), options);
  if (auto st = ledger->load_head(); !st.ok()) return st;
  return std::unique_ptr<Ledger>(std::move(ledger));
}

RocksLedger::RocksLedger(std::string path, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                         const OpenOptions& options)
    : path_(std::move(path)), db_(db), cfs_(std::move(cfs)), options_(options), ids_(std::make_unique<EventIdGenerator>()) {}

RocksLedger::~RocksLedger() {
  if (!options_.read_only) {
    // Leave no WAL for the next reader to replay (a cache-like cost, so a failure is ignored).
    rocksdb::FlushOptions fo;
    fo.wait = true;
    db_->Flush(fo, cfs_).PermitUncheckedError();
  }
  for (auto* h : cfs_)
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
  delete db_;
}

Status RocksLedger::load_head() {
  std::string fmt;
  auto s = db_->Get({}, cf(kMeta), rocksdb::Slice(format::kMetaFormatKey.data(), format::kMetaFormatKey.size()), &fmt);
  if (s.IsNotFound()) {
    if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " has no format marker");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, cf(kMeta), rocksdb::Slice(format::kMetaFormatKey.data(), format::kMetaFormatKey.size()),
                 rocksdb::Slice(format::kFormatName.data(), format::kFormatName.size()));
    if (!s.ok()) return Status::IOError(s.ToString());
  } else if (!s.ok()) {
    return Status::IOError(s.ToString());
  } else if (fmt != format::kFormatName) {
    return Status::Unavailable("the ledger at " + path_ + " has format '" + fmt + "', which this ftl does not read",
                               "this ftl reads " + std::string(format::kFormatName));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kEvents)));
  it->SeekToLast();
  if (it->Valid()) {
    Event e;
    std::string why;
    if (!format::decode_record(it->value().ToStringView(), &e, &why))
      return Status::Corruption("the last event cannot be read: " + why);
    head_ = {e.sequence, e.hash};
    last_recorded_us_ = e.recorded_us;
  }
  std::string streams;
  if (db_->Get({}, cf(kMeta), "streams", &streams).ok() && streams.size() == 8)
    streams_ = format::get_u64(streams.data());
  return Status::Ok();
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
    current = stream_version(r.stream);
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
      if (!s.ok()) write_status = Status::IOError("the synced write failed: " + s.ToString());
    }
    if (write_status.ok()) {
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
  if (!format::decode_record(bytes, &e, &why))
    return Status::Corruption("event " + std::to_string(sequence) + " cannot be read: " + why);
  return e;
}

Result<Event> RocksLedger::get(std::uint64_t sequence) { return read_event({}, sequence); }

Result<Event> RocksLedger::get_by_id(const std::string& event_id) {
  auto seq = sequence_of_id(event_id);
  if (!seq.ok()) {
    if (seq.status().code() == Code::kNotFound) return Status::NotFound("no event with id " + event_id);
    return seq.status();
  }
  return get(*seq);
}

// A stream's head is its last entry in the stream index.
std::uint64_t RocksLedger::stream_version(const std::string& stream) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kByStream)));
  it->SeekForPrev(format::stream_key(stream, ~std::uint64_t{0}));
  if (!it->Valid()) return 0;
  const auto k = it->key();
  const auto prefix = format::stream_prefix(stream);
  if (k.size() != prefix.size() + 8 || !k.starts_with(prefix)) return 0;
  return format::get_u64(k.data() + prefix.size());
}

std::unique_ptr<Cursor> RocksLedger::scan(std::uint64_t from) {
  return std::make_unique<SequenceCursor>(db_, cf(kEvents), from, !options_.read_only);
}
std::unique_ptr<Cursor> RocksLedger::scan_stream(const std::string& stream, std::uint64_t from_version) {
  return std::make_unique<IndexCursor>(db_, cf(kByStream), cf(kEvents), format::stream_prefix(stream), from_version,
                                       true, !options_.read_only);
}
std::unique_ptr<Cursor> RocksLedger::scan_actor(const std::string& actor, std::uint64_t from) {
  return std::make_unique<IndexCursor>(db_, cf(kByActor), cf(kEvents), format::actor_prefix(actor), from, false,
                                       !options_.read_only);
}

void RocksLedger::list_streams(const std::string& prefix,
                               const std::function<bool(const std::string&, std::uint64_t)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kByStream)));
  it->Seek(prefix);
  while (it->Valid()) {
    const auto k = it->key().ToStringView();
    if (!k.starts_with(prefix) || k.size() < 9) break;
    const std::string stream(k.substr(0, k.size() - 9));
    // Jump to the stream's last version, read it, then step past the stream.
    it->SeekForPrev(format::stream_key(stream, ~std::uint64_t{0}));
    const std::uint64_t version = it->Valid() ? format::get_u64(it->key().data() + it->key().size() - 8) : 0;
    if (!fn(stream, version)) return;
    it->Seek(stream + '\x01');
  }
}

Status RocksLedger::put_snapshot(const std::string& key, const std::string& bytes) {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  if (cf(kSnapshots) == nullptr) return Status::Unavailable("the snapshots of " + path_ + " could not be recreated");
  // A snapshot is a cache that can always be refolded: not synced, not even logged. A crash
  // loses the ones not yet flushed, and readers fold from the events instead.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  auto s = db_->Put(wo, cf(kSnapshots), key, bytes);
  return s.ok() ? Status::Ok() : Status::IOError(s.ToString());
}

Result<std::string> RocksLedger::get_snapshot(const std::string& key) {
  if (cf(kSnapshots) == nullptr) return Status::NotFound("no snapshots");
  std::string v;
  auto s = db_->Get({}, cf(kSnapshots), key, &v);
  if (s.IsNotFound()) return Status::NotFound("no snapshot " + key);
  if (!s.ok()) return Status::IOError(s.ToString());
  return v;
}

Result<std::uint64_t> RocksLedger::drop_snapshots() {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
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
