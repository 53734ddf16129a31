#include "ledger/rocks_ledger.h"

#include <rocksdb/transaction_log.h>
#include <rocksdb/write_batch.h>

#include <openssl/crypto.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <unistd.h>

#include <algorithm>
#include <atomic>
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

std::uint64_t Ledger::next_instance() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

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


RocksLedger::RocksLedger(std::string path, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                         const OpenOptions& options)
    : path_(std::move(path)), db_(db), cfs_(std::move(cfs)), options_(options), ids_(std::make_unique<EventIdGenerator>()) {}

RocksLedger::~RocksLedger() {
  {
    // Async requests still queued are committed and answered first.
    std::lock_guard lk(queue_mu_);
    stopping_ = true;
  }
  async_turn_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
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

Result<Event> RocksLedger::read_event(const rocksdb::ReadOptions& ro, std::uint64_t sequence) {
  std::string bytes;
  auto s = db_->Get(ro, cf(kEvents), format::sequence_key(sequence), &bytes);
  if (s.IsNotFound()) return Status::NotFound("no event with sequence " + std::to_string(sequence));
  if (!s.ok()) return Status::IOError(s.ToString());
  Event e;
  std::string why;
  if (!format::decode_record(bytes, &e, &why)) return format::broken(sequence, "V2", "its record cannot be read: " + why);
  if (auto st = format::check_event(e, sequence); !st.ok()) return st;
  if (e.redacted_by != 0)
    if (auto st = rocks::confirm_redaction(db_, ro, cf(kEvents), sequence, e.redacted_by, e.payload_hash); !st.ok()) return st;
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
  std::uint64_t epoch;
  {
    std::lock_guard lock(heads_mu_);
    if (auto it = heads_.find(stream); it != heads_.end()) return it->second;
    epoch = heads_epoch_;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kByStream)));
  it->SeekForPrev(format::stream_key(stream, ~std::uint64_t{0}));
  std::uint64_t version = 0;
  if (it->Valid()) {
    const auto k = it->key();
    const auto prefix = format::stream_prefix(stream);
    if (k.size() == prefix.size() + 8 && k.starts_with(prefix)) version = format::get_u64(k.data() + prefix.size());
  } else if (!it->status().ok()) {
    return Status::IOError(it->status().ToString());
  }
  std::lock_guard lock(heads_mu_);
  // Only streams that exist: names asked for and never written (anyone may ask for any) would
  // fill the cache and push out the heads that matter.
  if (version != 0 && heads_epoch_ == epoch && heads_.size() < kMaxCachedHeads) heads_.emplace(stream, version);
  return version;
}

std::uint64_t RocksLedger::stream_count() {
  std::lock_guard lk(head_mu_);
  return streams_;
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
