// What an open checks of a ledger's head (ledger/FORMAT.md "The head file", "Opening"): the
// last event against the meta head, the head file's record of the last acknowledged append,
// no hole between the table files and the newest event; and a writer's head file.
#include <rocksdb/db.h>

#include <algorithm>
#include <filesystem>

#include "ledger/head_file.h"
#include "ledger/rocks_ledger.h"
#include "ledger/wal_files.h"

namespace ftl {
namespace fs = std::filesystem;

std::vector<std::string> wal_files(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.path().extension() == ".log") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// "(its write-ahead log 000123.log is missing, cut short or damaged)"
std::string wal_clause(const std::vector<std::string>& wals) {
  if (wals.empty()) return "its write-ahead log is missing";
  return "its write-ahead log " + join(wals) + " is missing, cut short or damaged";
}


Status RocksLedger::load_head(bool may_mark, const std::optional<Digest>& acknowledged, bool accepting_loss) {
  std::string fmt;
  auto s = db_->Get({}, cf(kMeta), rocksdb::Slice(format::kMetaFormatKey.data(), format::kMetaFormatKey.size()), &fmt);
  if (s.IsNotFound()) {
    // Only an empty database may become a ledger: one made by create_ledger that stopped before
    // its marker was written. Anything holding keys is some other program's.
    for (auto* h : cfs_) {
      if (h == nullptr) continue;
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, h));
      it->SeekToFirst();
      if (!it->status().ok()) return Status::IOError(it->status().ToString());
      if (it->Valid())
        return Status::Unavailable("the database at " + path_ + " is not an ftl ledger: it has no format marker").tagged("ledger.foreign");
    }
    if (acknowledged && acknowledged->sequence > 0)
      return Status::Unavailable("the ledger at " + path_ + " has lost everything: it acknowledged appends up to sequence " +
                                 std::to_string(acknowledged->sequence) + ", but its database is empty; it was left untouched",
                                 "restore a backup")
          .tagged("ledger.lost_everything");
    if (!may_mark) return Status::Unavailable("no ledger at " + path_ + " (it is being created)").tagged("ledger.missing");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db_->Put(wo, cf(kMeta), std::string(format::kMetaFormatKey), std::string(format::kFormatName));
    if (!s.ok()) return Status::IOError(s.ToString());
  } else if (!s.ok()) {
    return Status::IOError(s.ToString());
  } else if (fmt != format::kFormatName) {
    return Status::Unavailable("the ledger at " + path_ + " has format '" + fmt + "', which this ftl does not read",
                               "this ftl reads " + std::string(format::kFormatName))
        .tagged("ledger.foreign");
  }

  std::string v;
  s = db_->Get({}, cf(kMeta), std::string(format::kMetaHeadKey), &v);
  Digest head;
  if (s.ok() && !format::parse_head_value(v, &head)) return Status::Corruption("the ledger's head record is malformed (V10)");
  if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());

  head_ = head;
  // The last event key must be the head's: anything after it was never written by an append.
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kEvents)));
  it->SeekToLast();
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  if (it->Valid()) {
    const auto k = it->key();
    if (k.size() != 8)
      return Status::Corruption("the event key " + k.ToString(true) + " breaks V1: event keys are 8-byte sequences");
    const auto last = format::get_u64(k.data());
    if (last > head.sequence)
      return format::broken(head.sequence + 1, "V10", "the log goes on to " + std::to_string(last) + ", past the head the last write recorded (" +
                                                           std::to_string(head.sequence) + "): events were appended behind the ledger's back");
    if (last < head.sequence)
      return format::broken(last + 1, "V10", "the ledger's head says the last event is " + std::to_string(head.sequence) +
                                                 ", but the log ends at " + std::to_string(last) + ": events were dropped from the end");
  } else if (head.sequence != 0) {
    return format::broken(1, "V10", "the ledger's head says the last event is " + std::to_string(head.sequence) + ", but the log is empty");
  }
  if (head.sequence != 0) {
    auto e = read_event({}, head.sequence);
    if (!e.ok()) return e.status();
    if (e->hash != head.hash) return format::broken(head.sequence, "V10", "its hash differs from the head the last write recorded");
    last_recorded_us_ = e->recorded_us;
  }
  if (auto st = check_no_hole(); !st.ok()) return st;
  // A ledger whose writers keep a head file says so in a table file: that file gone is a loss
  // that cannot be told from the events alone.
  std::string marker;
  s = db_->Get({}, cf(kMeta), std::string(format::kMetaHeadFileKey), &marker);
  if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
  has_head_file_marker_ = s.ok();
  if (s.ok() && !acknowledged && !accepting_loss)
    return Status::Unavailable("the head file " + path_ + "/" + format::kHeadFileName +
                                   " of this ledger is gone, so it cannot tell whether it lost events; it was left untouched",
                               "a recovery accepts that and writes it again; or restore a backup")
        .tagged("ledger.head_missing");
  std::string streams;
  s = db_->Get({}, cf(kMeta), std::string(format::kMetaStreamsKey), &streams);
  if (s.ok() && streams.size() != 8) return Status::Corruption("the ledger's stream count is malformed (V12)");
  if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
  if (s.ok()) streams_ = format::get_u64(streams.data());
  return Status::Ok();
}

Status RocksLedger::check_acknowledged(const std::optional<Digest>& acknowledged, RecoveryReport* loss) {
  if (loss == nullptr) acknowledged_ = acknowledged;
  if (!acknowledged || acknowledged->sequence == 0) return Status::Ok();
  const auto& ack = *acknowledged;
  if (ack.sequence <= head_.sequence) {
    // The head covers it, so the event is there (load_head checked the chain's ends): if its
    // hash is not the one acknowledged, history up to it was rewritten, as a digest would show.
    auto e = read_event({}, ack.sequence);
    if (!e.ok()) return e.status();
    if (e->hash == ack.hash) return Status::Ok();
    return format::broken(ack.sequence, "V10", "its hash " + to_hex(e->hash) + " differs from the " + to_hex(ack.hash) + " the ledger acknowledged (" +
                                                   format::kHeadFileName + "): history up to it was rewritten");
  }
  if (loss != nullptr) return Status::Ok();  // accepted: Ledger::Open reports it
  const auto wals = wal_files(path_);
  return Status::Unavailable("the ledger at " + path_ + " has lost events: it acknowledged appends up to sequence " +
                                 std::to_string(ack.sequence) + ", but holds events only up to " + std::to_string(head_.sequence) +
                                 " (" + wal_clause(wals) + "); it was left untouched",
                             "a recovery keeps events 1 to " + std::to_string(head_.sequence) + " and records the loss; or restore a backup")
      .tagged("ledger.lost_events");
}

// The events a write-ahead log brought back sit in memory above the table files: if a log
// between them was deleted or cut short, RocksDB replays the rest without a word, leaving a gap
// in the sequences. So the newest events, as many as the memtables hold and one more, must run
// without a gap down from the head.
Status RocksLedger::check_no_hole() {
  if (head_.sequence == 0) return Status::Ok();
  std::uint64_t active = 0, immutable = 0;
  db_->GetIntProperty(cf(kEvents), "rocksdb.num-entries-active-mem-table", &active);
  db_->GetIntProperty(cf(kEvents), "rocksdb.num-entries-imm-mem-tables", &immutable);
  if (active + immutable == 0) return Status::Ok();
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEvents)));
  std::uint64_t expected = head_.sequence;
  it->SeekForPrev(format::sequence_key(expected));
  for (std::uint64_t n = 0; n <= active + immutable && expected >= 1; ++n, --expected, it->Prev()) {
    if (!it->Valid() && !it->status().ok()) return Status::IOError(it->status().ToString());
    if (it->Valid() && it->key().size() != 8)
      return Status::Corruption("the event key " + it->key().ToString(true) + " breaks V1: event keys are 8-byte sequences");
    const std::uint64_t at = it->Valid() ? format::get_u64(it->key().data()) : 0;  // none left: all below are gone
    if (at != expected)
      return Status::Unavailable("the ledger at " + path_ + " has lost events in the middle of its log: events " + std::to_string(at + 1) +
                                     " to " + std::to_string(expected) + " are missing though later ones are there (" +
                                     wal_clause(wal_files(path_)) + "); it was left untouched",
                                 "a recovery cannot keep the later events without them: restore a backup")
          .tagged("ledger.hole");
  }
  return Status::Ok();
}

Status RocksLedger::start_writing() {
  auto file = HeadFile::open(path_, head_);
  if (!file.ok()) return file.status();
  head_file_.emplace(std::move(*file));
  // A ledger made before the head file existed gets it now; a recovered one, with its record.
  if (!recovery_.loss) {
    if (auto st = head_file_->write(head_); !st.ok()) return st;
    if (auto st = head_file_->sync(); !st.ok()) return st;
  }
  if (!has_head_file_marker_) {
    // Once, into a table file (FORMAT.md "The head file"), so it never hangs on a WAL.
    rocksdb::WriteOptions wo;
    wo.sync = true;
    auto s = db_->Put(wo, cf(kMeta), std::string(format::kMetaHeadFileKey), std::string(format::kHeadFileName));
    std::vector<rocksdb::ColumnFamilyHandle*> all;
    for (auto* h : cfs_)
      if (h != nullptr) all.push_back(h);
    if (s.ok()) s = db_->Flush(rocksdb::FlushOptions(), all);
    if (!s.ok()) return Status::IOError("cannot record the head file in the ledger: " + s.ToString());
    has_head_file_marker_ = true;
  }
  return Status::Ok();
}

}  // namespace ftl
