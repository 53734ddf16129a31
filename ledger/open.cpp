// Ledger::Open: what is at the path, whether it is an ftl ledger, whether its write-ahead log
// replays in full and whether it still holds every event it acknowledged. Nothing here ever
// creates a ledger over files it did not make, or drops what it cannot read without being told to.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "ledger/rocks_ledger.h"
#include "ledger/rocks_options.h"
#include "ledger/sha256.h"
#include "ledger/snapshot_key.h"
#include "ledger/wal_files.h"

namespace ftl {
namespace fs = std::filesystem;
namespace {

enum class Place { kMissing, kEmpty, kLedger, kOther, kNotDirectory, kUnreadable };

Place inspect(const std::string& path, std::string* why) {
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    *why = ec.message();
    return Place::kUnreadable;
  }
  if (!fs::exists(st)) return Place::kMissing;
  if (!fs::is_directory(st)) return Place::kNotDirectory;
  if (fs::exists(fs::path(path) / "CURRENT", ec)) return Place::kLedger;
  auto it = fs::directory_iterator(path, ec);
  if (ec) {
    *why = ec.message();
    return Place::kUnreadable;
  }
  return it == fs::directory_iterator() ? Place::kEmpty : Place::kOther;
}

// Whether another process holds the directory's RocksDB lock (RocksDB takes an fcntl write
// lock on LOCK): a ledger another process is creating looks, until it is done, like a
// directory of files that is no ledger.
bool held_by_another(const std::string& path) {
  const int fd = ::open((fs::path(path) / "LOCK").c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lk {};
  lk.l_type = F_WRLCK;
  lk.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

// Whether a directory without CURRENT holds only what RocksDB writes before a creation is done
// (its lock, log, identity, an empty first log, a manifest or options file, temporary files):
// a creation that was killed. Nothing of a ledger is there: a ledger has its format marker in a
// table file from the moment it exists, and a head file from its first writer.
bool creation_files(const std::string& path, bool with_current) {
  std::error_code ec;
  bool any = false;
  for (const auto& e : fs::directory_iterator(path, ec)) {
    const auto name = e.path().filename().string();
    const bool ours = name == "LOCK" || name.starts_with("LOG") || name == "IDENTITY" || name.starts_with("MANIFEST-") ||
                      (with_current && name == "CURRENT") ||
                      name.starts_with("OPTIONS-") || name.ends_with(".dbtmp") ||
                      (name.ends_with(".log") && fs::is_regular_file(e.path(), ec) && fs::file_size(e.path(), ec) == 0);
    if (!ours || !fs::is_regular_file(e.path(), ec)) return false;
    any = true;
  }
  return !ec && any;
}

bool interrupted_creation(const std::string& path) { return creation_files(path, false); }
bool only_creation_files(const std::string& path) { return creation_files(path, true); }

// Removes what an interrupted creation left, so that it can begin again.
Status clear_interrupted_creation(const std::string& path) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(path, ec)) files.push_back(e.path());
  if (ec) return Status::Unavailable("cannot read " + path + ": " + ec.message());
  for (const auto& f : files) {
    if (f.filename() == "LOCK") continue;  // RocksDB takes it again
    fs::remove(f, ec);
    if (ec) return Status::Unavailable("cannot remove " + f.string() + " left by an interrupted creation: " + ec.message());
  }
  return Status::Ok();
}

bool is_lock_error(const rocksdb::Status& s) {
  const std::string m = s.ToString();
  return s.IsIOError() && (m.find("lock") != std::string::npos || m.find("Lock") != std::string::npos);
}

// The column families must be the ledger's: all of them, but for two a reader may find missing
// (the snapshots for a moment, between a drop and its re-creation; the tree in a ledger from
// before it, until a writer builds it), and nothing else.
bool optional_family(const std::string& name) { return name == format::kSnapshotsCf || name == format::kTreeCf; }

Status check_column_families(const std::string& path) {
  std::vector<std::string> present;
  auto s = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &present);
  if (!s.ok()) return Status::Unavailable("cannot read the ledger at " + path + ": " + s.ToString()).tagged("ledger.damaged");
  const auto ours = rocks::column_family_names();
  for (const auto& name : present)
    if (std::find(ours.begin(), ours.end(), name) == ours.end())
      return Status::Unavailable("the database at " + path + " is not an ftl ledger: it holds a column family '" + name +
                                 "' that no ftl ledger has").tagged("ledger.foreign");
  for (const auto& name : ours)
    if (!optional_family(name) && std::find(present.begin(), present.end(), name) == present.end())
      return Status::Unavailable("the database at " + path + " is not an ftl ledger: it has no '" + name +
                                 "' column family").tagged("ledger.foreign");
  return Status::Ok();
}

// A read-only open of the column families present: a missing optional one gets a null handle
// in its place.
rocksdb::Status open_families_read_only(const rocksdb::DBOptions& dbo, const std::string& path, bool lazy,
                               std::vector<rocksdb::ColumnFamilyHandle*>* handles, rocksdb::DB** db) {
  std::vector<std::string> present;
  auto s = rocksdb::DB::ListColumnFamilies(dbo, path, &present);
  if (!s.ok()) return s;
  const auto all = rocks::descriptors(lazy);
  std::vector<rocksdb::ColumnFamilyDescriptor> wanted;
  std::vector<std::size_t> at;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (std::find(present.begin(), present.end(), all[i].name) != present.end()) {
      wanted.push_back(all[i]);
      at.push_back(i);
    }
  std::vector<rocksdb::ColumnFamilyHandle*> got;
  s = rocksdb::DB::OpenForReadOnly(dbo, path, wanted, &got, db);
  if (!s.ok()) return s;
  handles->assign(all.size(), nullptr);
  for (std::size_t j = 0; j < got.size(); ++j) (*handles)[at[j]] = got[j];
  return s;
}

// The last sequence a point-in-time replay of a damaged WAL reaches, read without changing
// anything (0: no event); nullopt if even that does not open.
std::optional<std::uint64_t> readable_head(const std::string& path, std::string* damaged) {
  auto dbo = rocks::db_options(path, rocks::Mode::kReader);
  dbo.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  if (!open_families_read_only(dbo, path, true, &handles, &db).ok()) return std::nullopt;
  std::string v;
  Digest d;
  const bool ok = db->Get({}, handles[0], std::string(format::kMetaHeadKey), &v).ok() && format::parse_head_value(v, &d);
  for (auto* h : handles)
    if (h != nullptr) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  delete db;
  if (damaged != nullptr) *damaged = static_cast<const rocks::PlainLogger*>(dbo.info_log.get())->damaged_wal();
  return ok ? d.sequence : std::uint64_t{0};
}

Status wal_damaged(const std::string& path, const rocksdb::Status& s, std::string damaged) {
  std::string pit;
  const auto last = readable_head(path, &pit).value_or(0);
  if (damaged.empty()) damaged = pit;
  const auto file = damaged.empty() ? "(" + join(wal_files(path)) + ")" : damaged;
  return Status::Unavailable("the write-ahead log " + file + " of the ledger at " + path + " cannot be replayed in full (" + s.ToString() +
                                 "): its events can be read up to sequence " + std::to_string(last) + ", and the ledger was left untouched",
                             "a recovery keeps events 1 to " + std::to_string(last) + " and records what was lost; or restore a backup")
      .tagged("ledger.wal_damaged");
}

std::string utc_stamp() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Copies the write-ahead logs and the head file into `<path>/lost-<time>/` before a recovery
// lets RocksDB retire them: what was lost stays available to whoever investigates.
Status quarantine(const std::string& path, RecoveryReport* report) {
  const auto dir = fs::path(path) / ("lost-" + utc_stamp());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir.string() + ": " + ec.message());
  report->quarantine = dir.string();
  auto names = wal_files(path);
  if (fs::exists(fs::path(path) / format::kHeadFileName, ec)) names.push_back(format::kHeadFileName);
  for (const auto& name : names) {
    const auto from = fs::path(path) / name;
    fs::copy_file(from, dir / name, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::IOError("cannot copy " + from.string() + " to " + dir.string() + ": " + ec.message());
    std::ifstream in(dir / name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const auto bytes = ss.str();
    report->files.push_back({name, bytes.size(), Sha256::of(bytes)});
  }
  return Status::Ok();
}

}  // namespace

namespace {

Status create_ledger(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::Unavailable("cannot create the ledger directory " + path + ": " + ec.message());
  auto dbo = rocks::db_options(path, rocks::Mode::kWriter);
  dbo.create_if_missing = true;
  dbo.error_if_exists = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(dbo, path, rocks::descriptors(false), &handles, &db);
  // Another process is creating it, or has just created it: the caller opens it again.
  if (is_lock_error(s) || (s.IsInvalidArgument() && s.ToString().find("exists") != std::string::npos))
    return Status::Unavailable("the ledger at " + path + " is being created by another process").tagged("ledger.creating");
  if (!s.ok()) return Status::Unavailable("cannot create a ledger at " + path + ": " + s.ToString());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db->Put(wo, handles[0], std::string(format::kMetaFormatKey), std::string(format::kFormatName));
  // Into a table file: the marker never depends on a write-ahead log, so a ledger that loses
  // its WAL is still known for one, and is refused rather than taken for an empty database.
  if (s.ok()) s = db->Flush(rocksdb::FlushOptions(), handles[0]);
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
  delete db;
  if (!s.ok()) return Status::Unavailable("cannot create a ledger at " + path + ": " + s.ToString());
  return Status::Ok();
}

Result<std::unique_ptr<Ledger>> open_once(const std::string& path, const OpenOptions& options);
Result<std::unique_ptr<Ledger>> open_read_only(const std::string& path, const OpenOptions& options);

// RocksDB writes a new options file through a temporary one; a write that failed (a full disk)
// leaves it behind, and it is never read again. Only the lock's holder may remove them: a
// writer that is opening writes CURRENT and its options through them too.
void remove_temporary_files(const std::string& path) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.path().extension() == ".dbtmp") fs::remove(e.path(), ec);
}

}  // namespace

namespace {

// A reader races the writer: it reads the manifest, then a flush or compaction deletes a log or
// table file it names, or it replays a log the writer is appending to. What it then finds looks
// like damage, and is gone when it opens again; real damage stays. So a reader tries again for
// up to its wait (at least three times) before it reports one.
Result<std::unique_ptr<Ledger>> open_read_only(const std::string& path, const OpenOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::clamp(options.wait_seconds, 0.0, 60.0));
  for (int attempt = 0;; ++attempt) {
    auto opened = open_once(path, options);
    const auto& tag = opened.status().tag();
    const bool transient = tag == "ledger.lost_events" || tag == "ledger.lost_everything" || tag == "ledger.wal_damaged" ||
                           tag == "ledger.damaged" || tag == "ledger.hole";
    if (opened.ok() || !transient || (attempt >= 2 && std::chrono::steady_clock::now() >= deadline)) return opened;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20 << attempt, 200)));
  }
}

}  // namespace

namespace {

Result<std::unique_ptr<Ledger>> open_checked(const std::string& path, const OpenOptions& options);

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& path, const OpenOptions& options) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::clamp(options.wait_seconds, 0.0, 86400.0));
  for (int attempt = 0;; ++attempt) {
    auto opened = open_checked(path, options);
    const auto& tag = opened.status().tag();
    // What a ledger looks like while another process creates it (and for a moment after it let
    // go of the lock): asked again, not reported, while that lasts.
    const bool unfinished = tag == "ledger.not_a_ledger" || tag == "ledger.foreign" || tag == "ledger.head_missing";
    if (opened.ok() || (tag != "ledger.creating" && !unfinished)) return opened;
    // The head file was read before the ledger's first writer made it, and its marker after:
    // the file is there now, so that was a race, not a loss.
    const bool raced = tag == "ledger.head_missing" && fs::exists(fs::path(path) / format::kHeadFileName) && attempt < 50;
    const bool held = tag == "ledger.creating" || raced || held_by_another(path);
    if (!held && attempt >= 3) return opened;  // no one is creating it: it is what it looks like
    if (held && !raced && std::chrono::steady_clock::now() >= deadline) {
      char waited[32];
      std::snprintf(waited, sizeof waited, "%g", options.wait_seconds);
      return Status::Unavailable("the ledger at " + path + " is being created by another process (waited " + waited + "s)")
          .tagged("ledger.locked");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

namespace {

Result<std::unique_ptr<Ledger>> open_checked(const std::string& path, const OpenOptions& options) {
  if (options.read_only) return open_read_only(path, options);
  // A writer's own open of RocksDB writes (a manifest, a log, an options file): so every check
  // is first made by a read-only open, and a ledger that is refused is left as it was.
  std::string why;
  if (!options.accept_loss && inspect(path, &why) == Place::kLedger) {
    OpenOptions probe = options;
    probe.read_only = true;
    probe.whole_ledger = false;
    probe.wait_seconds = std::min(options.wait_seconds, 2.0);
    auto checked = open_read_only(path, probe);
    // An empty database with no marker is a ledger whose creation stopped: the writer finishes it.
    if (!checked.ok() && !(checked.status().tag() == "ledger.missing" && options.create_if_missing)) return checked.status();
  }
  return open_once(path, options);
}

Result<std::unique_ptr<Ledger>> open_once(const std::string& path, const OpenOptions& options) {
  std::string why;
  switch (inspect(path, &why)) {
    case Place::kUnreadable: return Status::Unavailable("cannot read " + path + ": " + why);
    case Place::kNotDirectory: return Status::Unavailable(path + " is not a directory, so it holds no ledger").tagged("ledger.missing");
    case Place::kOther:
      // A creation that was killed before it was done (and no one is doing it now) begins again.
      if (interrupted_creation(path) && !held_by_another(path)) {
        if (options.read_only || !options.create_if_missing) return Status::Unavailable("no ledger at " + path).tagged("ledger.missing");
        if (auto st = clear_interrupted_creation(path); !st.ok()) return st;
        if (auto st = create_ledger(path); !st.ok()) return st;
        break;
      }
      return Status::Unavailable("the directory " + path + " holds files but no ledger (it has no CURRENT file), so it was left untouched",
                                 fs::exists(fs::path(path) / format::kHeadFileName)
                                     ? "it was a ledger whose CURRENT file is gone: restore it from a backup"
                                     : "choose an empty or new directory for a new ledger")
          .tagged("ledger.not_a_ledger");
    case Place::kMissing:
    case Place::kEmpty:
      if (options.read_only || !options.create_if_missing)
        return Status::Unavailable("no ledger at " + path).tagged("ledger.missing");
      if (auto st = create_ledger(path); !st.ok()) return st;
      break;
    case Place::kLedger: break;
  }
  if (auto st = check_column_families(path); !st.ok()) {
    // Killed after CURRENT but before its column families were made: nothing of a ledger is
    // there yet (no table file, no head file), so a writer makes it again.
    if (st.tag() != "ledger.foreign" || st.message().find("it has no '") == std::string::npos || !only_creation_files(path) ||
        held_by_another(path))
      return st;
    if (options.read_only || !options.create_if_missing) return Status::Unavailable("no ledger at " + path).tagged("ledger.missing");
    if (auto cleared = clear_interrupted_creation(path); !cleared.ok()) return cleared;
    if (auto made = create_ledger(path); !made.ok()) return made;
    if (auto again = check_column_families(path); !again.ok()) return again;
  }
  if (options.accept_loss && options.read_only) return Status::InvalidArgument("accept_loss needs a writable open");

  // Read before RocksDB replays the WAL: the writer writes it after each synced group, so what
  // it names is in the WAL by the time a reader replays it.
  auto acknowledged = HeadFile::read(path);
  if (!acknowledged.ok()) {
    if (!options.accept_loss) return acknowledged.status();
    acknowledged = std::optional<Digest>{};  // accepted: what it said is unknown
  }
  auto key = options.snapshot_key_file.empty() ? Result<std::optional<Hash>>(std::optional<Hash>{})
                                                : read_snapshot_key(options.snapshot_key_file);
  if (!key.ok()) {
    if (options.read_only) key = std::optional<Hash>{};  // a reader trusts no snapshot, and reads on
    else return key.status();                             // a writer would seal nothing it could trust
  }
  const bool lazy = options.read_only && !options.whole_ledger;
  const auto mode = options.read_only ? (lazy ? rocks::Mode::kLazyReader : rocks::Mode::kReader)
                                      : (options.accept_loss ? rocks::Mode::kAcceptLoss : rocks::Mode::kWriter);
  RecoveryReport report;
  if (options.accept_loss) {
    // First see, read-only, whether anything is lost at all: a whole ledger opens as usual and
    // records nothing; one refused for anything else is left as it was.
    OpenOptions probe = options;
    probe.accept_loss = false;
    probe.read_only = true;
    probe.wait_seconds = std::min(options.wait_seconds, 2.0);
    auto whole = open_read_only(path, probe);
    const auto& tag = whole.status().tag();
    if (whole.ok()) {
      whole = Result<std::unique_ptr<Ledger>>(Status::NotFound("closed"));  // before the writer takes over
      OpenOptions plain = options;
      plain.accept_loss = false;
      return open_once(path, plain);
    }
    if (tag != "ledger.wal_damaged" && tag != "ledger.lost_events" && tag != "ledger.head_damaged" && tag != "ledger.head_missing")
      return whole;
    report.loss = true;
    report.detail = whole.status().message();
    report.acknowledged = *acknowledged;
    if (auto st = quarantine(path, &report); !st.ok()) return st;
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  std::string damaged;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::clamp(options.wait_seconds, 0.0, 86400.0));
  for (;;) {
    handles.clear();
    const auto dbo = rocks::db_options(path, mode);
    if (options.read_only) {
      s = open_families_read_only(dbo, path, lazy, &handles, &db);
    } else {
      s = rocksdb::DB::Open(dbo, path, rocks::descriptors(false), &handles, &db);
    }
    if (s.ok()) break;
    damaged = static_cast<const rocks::PlainLogger*>(dbo.info_log.get())->damaged_wal();
    const bool retry = options.read_only ? s.IsIOError() || s.IsPathNotFound() : is_lock_error(s);
    if (!retry || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(options.read_only ? 20 : 100));
  }
  if (!s.ok()) {
    if (is_lock_error(s)) {
      char waited[32];
      std::snprintf(waited, sizeof waited, "%g", options.wait_seconds);
      return Status::Unavailable("the ledger at " + path + " is locked by another writer (waited " + waited + "s)").tagged("ledger.locked");
    }
    if (s.IsCorruption() && readable_head(path, nullptr)) return wal_damaged(path, s, damaged);
    if (s.IsNoSpace()) return Status::Unavailable("cannot open the ledger at " + path + ": the disk is full (" + s.ToString() + ")").tagged("ledger.disk_full");
    return Status::Unavailable("cannot open the ledger at " + path + ": " + s.ToString()).tagged("ledger.damaged");
  }
  // Only now, holding the lock: before it, another writer's temporary file is its work in progress.
  if (!options.read_only) remove_temporary_files(path);
  auto ledger = std::make_unique<RocksLedger>(path, db, std::move(handles), options);
  if (*key) ledger->set_snapshot_key(**key);
  if (auto st = ledger->load_head(mode != rocks::Mode::kLazyReader && mode != rocks::Mode::kReader, *acknowledged, options.accept_loss);
      !st.ok()) {
    if (!(options.read_only && options.defer_head_check && st.code() == Code::kCorruption)) return st;
    // verify reports it, naming the first bad event; the head file adds nothing to that.
  } else if (auto ack = ledger->check_acknowledged(*acknowledged, options.accept_loss ? &report : nullptr); !ack.ok()) {
    if (!(options.read_only && options.defer_head_check && ack.code() == Code::kCorruption)) return ack;
  }
  if (options.accept_loss) {
    report.recovered = ledger->head();
    ledger->recovery_report() = std::move(report);
  }
  if (!options.read_only) {
    if (auto st = ledger->build_tree(options.upgrade_progress); !st.ok()) return st;
    if (auto st = ledger->start_writing(); !st.ok()) return st;
    if (auto st = ledger->finish_purges(); !st.ok()) return st;
  }
  return std::unique_ptr<Ledger>(std::move(ledger));
}

}  // namespace

}  // namespace ftl
