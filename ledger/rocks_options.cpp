#include "ledger/rocks_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "ledger/format.h"

namespace ftl::rocks {
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

}  // namespace

PlainLogger::PlainLogger(int fd) : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), fd_(fd) {}

PlainLogger::~PlainLogger() {
  if (fd_ >= 0) ::close(fd_);
}

void PlainLogger::Logv(const char* format, va_list ap) {
  char buf[1024];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  const std::size_t stamp = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ ", &tm);
  const int m = std::vsnprintf(buf + stamp, sizeof buf - stamp - 1, format, ap);
  std::size_t n = std::min(sizeof buf - 2, stamp + static_cast<std::size_t>(std::max(m, 0)));
  {
    std::lock_guard lk(mu_);
    if (recent_.size() == 32) recent_.erase(recent_.begin());
    recent_.emplace_back(buf + stamp, n - stamp);
  }
  if (fd_ < 0) return;
  buf[n++] = '\n';
  if (::write(fd_, buf, n) < 0) return;  // a full disk: the message is lost, nothing else
}

std::string PlainLogger::damaged_wal() const {
  std::lock_guard lk(mu_);
  for (const auto& line : recent_) {
    const auto at = line.find(".log: dropping");
    if (at == std::string::npos) continue;
    auto start = line.rfind(' ', at);
    start = start == std::string::npos ? 0 : start + 1;
    const auto path = line.substr(start, at + 4 - start);
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }
  return {};
}

std::vector<std::string> column_family_names() {
  return {rocksdb::kDefaultColumnFamilyName, format::kEventsCf,    format::kByStreamCf,
          format::kByActorCf,                format::kByEventIdCf, format::kSnapshotsCf,
          format::kTreeCf};
}

// `lazy`: a read-only open for one view, which should not pay for the whole ledger. RocksDB
// otherwise opens every table file at open and reads each one's index and bloom filter (35 ms
// of a 50 ms view at 10M events); a lazy reader loads them on demand through the block cache.
std::vector<rocksdb::ColumnFamilyDescriptor> descriptors(bool lazy) {
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
  if (lazy) {
    // Indexes share one bounded 64 MB cache with the data blocks. No bloom filters: a view's
    // event-id lookups are rare, and loading a multi-megabyte filter block through the cache
    // for one lookup costs far more than it saves. (verify, which looks up every event in
    // every index, opens with OpenOptions::whole_ledger: everything preloaded, as a writer.)
    rocksdb::BlockBasedTableOptions cached;
    cached.cache_index_and_filter_blocks = true;
    cached.block_cache = rocksdb::NewLRUCache(64 << 20);
    for (auto* cf : {&plain, &events, &index, &lookup, &by_id}) cf->table_factory.reset(rocksdb::NewBlockBasedTableFactory(cached));
  }
  const auto names = column_family_names();
  return {{names[0], plain}, {names[1], events}, {names[2], index}, {names[3], index}, {names[4], by_id}, {names[5], plain}, {names[6], plain}};
}

int max_open_files() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 5000;
  // Half the limit for table files; the rest is for the write-ahead logs, the manifest, the
  // caller's own files and sockets. At least 16: RocksDB's table cache needs some.
  return static_cast<int>(std::clamp<rlim_t>(rl.rlim_cur / 2, 16, 5000));
}

rocksdb::DBOptions db_options(const std::string& path, Mode mode) {
  rocksdb::DBOptions o;
  o.create_if_missing = false;  // Ledger::Open creates a ledger itself, only in an empty directory
  o.create_missing_column_families = mode == Mode::kWriter || mode == Mode::kAcceptLoss;
  o.max_open_files = max_open_files();
  // Readers open read-only and replay whatever WAL is left: keep it short. Past this size
  // RocksDB flushes the column families that hold the oldest WAL alive.
  o.max_total_wal_size = 256 << 20;
  o.wal_recovery_mode = mode == Mode::kAcceptLoss ? rocksdb::WALRecoveryMode::kPointInTimeRecovery
                                                  : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // A writer keeps what it recovers from the WAL in memory instead of flushing it into new table
  // files at every open, and closes without flushing (RocksLedger::close flushes when the WAL
  // has grown): each short command used to leave a table file per column family behind.
  // Accepting a loss flushes, so that the damaged log is retired.
  o.avoid_flush_during_recovery = mode != Mode::kAcceptLoss;
  o.avoid_flush_during_shutdown = true;
  // Every column family is flushed at once, so none is ever ahead of the others in the WAL: a
  // recovery that stops at damage in a log keeps a consistent prefix of all of them (RocksDB
  // otherwise refuses it: "SST file is ahead of WALs").
  o.atomic_flush = true;
  // Not track_and_verify_wals_in_manifest: it misses a deleted log that was recovered and kept,
  // and a reader racing a writer's flush then fails on "Missing WAL". Ledger::Open checks that no
  // event is missing between the table files and the newest one instead.
  int fd = -1;
  if (mode == Mode::kWriter || mode == Mode::kAcceptLoss)
    fd = ::open((path + "/LOG").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  o.info_log = std::make_shared<PlainLogger>(fd);
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  if (mode == Mode::kLazyReader) o.skip_stats_update_on_db_open = true;
  return o;
}

}  // namespace ftl::rocks
