#include "ledger/cursors.h"

#include <algorithm>

#include "ledger/format.h"

namespace ftl::rocks {
namespace {

Status io_error(const rocksdb::Status& s) {
  if (s.IsCorruption()) return Status::Corruption("RocksDB found a damaged table file: " + s.ToString());
  return Status::IOError(s.ToString());
}

// Holds an optional RocksDB snapshot for the lifetime of a cursor.
class PinnedRead {
 public:
  PinnedRead(rocksdb::DB* db, bool snapshot) : db_(db), snap_(snapshot ? db->GetSnapshot() : nullptr) {}
  ~PinnedRead() {
    if (snap_ != nullptr) db_->ReleaseSnapshot(snap_);
  }
  PinnedRead(const PinnedRead&) = delete;
  PinnedRead& operator=(const PinnedRead&) = delete;
  rocksdb::ReadOptions options() const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap_;
    return ro;
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
};

// What both cursors share: an iterator read at a pinned point, the event it is on, and the
// status it stopped with. A subclass positions it_ and says, in load(), whether the entry
// there gives a good event (else it sets status_).
class CheckedCursor : public Cursor {
 public:
  CheckedCursor(rocksdb::DB* db, bool snapshot) : pin_(db, snapshot), db_base_(db) {}
  bool valid() const final { return valid_; }
  const Event& event() const final { return ev_; }
  void next() final {
    it_->Next();
    advance();
  }
  Status status() const final { return status_; }

 protected:
  void advance() {
    valid_ = false;
    if (!it_->Valid()) {
      if (!it_->status().ok()) status_ = io_error(it_->status());
      return;
    }
    valid_ = load();
  }
  virtual bool load() = 0;
  // The event just decoded, if its payload was removed: its redaction must say so (V3).
  bool redaction_holds(rocksdb::ColumnFamilyHandle* events) {
    if (ev_.redacted_by == 0) return true;
    status_ = confirm_redaction(db_base_, pin_.options(), events, ev_.sequence, ev_.redacted_by, ev_.payload_hash);
    return status_.ok();
  }
  PinnedRead pin_;
  rocksdb::DB* db_base_;
  std::unique_ptr<rocksdb::Iterator> it_;  // declared after pin_: released before the snapshot
  Event ev_;
  Status status_;

 private:
  bool valid_ = false;
};

class SequenceCursor final : public CheckedCursor {
 public:
  SequenceCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::uint64_t from, bool snapshot)
      : CheckedCursor(db, snapshot), events_(cf), expected_(std::max<std::uint64_t>(from, 1)) {
    it_.reset(db->NewIterator(pin_.options(), cf));
    it_->Seek(format::sequence_key(expected_));
    advance();
  }

 private:
  bool load() override {
    const auto key = it_->key();
    if (key.size() != 8) {
      status_ = Status::Corruption("the event key " + key.ToString(true) + " breaks V1: event keys are 8-byte sequences");
      return false;
    }
    const std::uint64_t seq = format::get_u64(key.data());
    if (seq != expected_) {
      status_ = format::broken(expected_, "V1", "it is missing (the next stored event is " + std::to_string(seq) + ")");
      return false;
    }
    std::string why;
    if (!format::decode_record(it_->value().ToStringView(), &ev_, &why)) {
      status_ = format::broken(seq, "V2", "its record cannot be read: " + why);
      return false;
    }
    if (auto st = format::check_event(ev_, seq, have_prev_ ? &prev_ : nullptr); !st.ok()) {
      status_ = st;
      return false;
    }
    if (!redaction_holds(events_)) return false;
    prev_ = ev_.hash;
    have_prev_ = true;
    ++expected_;
    return true;
  }
  rocksdb::ColumnFamilyHandle* events_;
  std::uint64_t expected_;
  Hash prev_{};
  bool have_prev_ = false;
};

class IndexCursor final : public CheckedCursor {
 public:
  IndexCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index, rocksdb::ColumnFamilyHandle* events, IndexKind kind,
              const std::string& name, std::uint64_t from, bool snapshot)
      : CheckedCursor(db, snapshot), db_(db), events_(events), kind_(kind), name_(name), upper_(format::stream_prefix(name)) {
    upper_.back() = '\x01';  // the prefix ends in 0x00
    upper_slice_ = rocksdb::Slice(upper_);
    auto ro = pin_.options();
    ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(ro, index));
    std::string start = format::stream_prefix(name);
    format::put_u64(start, from);
    // Reading a stream from its first version, the first entry must be version 1 (or `from`).
    if (kind == IndexKind::kStream) next_version_ = std::max<std::uint64_t>(from, 1);
    it_->Seek(start);
    advance();
  }

 private:
  const char* rule() const { return kind_ == IndexKind::kStream ? "V7" : "V8"; }
  bool fail_v7(const std::string& what) {
    status_ = Status::Corruption(what + " (V7)");
    return false;
  }
  bool load() override {
    const auto key = it_->key();
    const auto val = it_->value();
    const std::size_t prefix = name_.size() + 1;
    if (key.size() != prefix + 8 || (kind_ == IndexKind::kStream ? val.size() != 8 : !val.empty())) {
      status_ = Status::Corruption("the index entry " + key.ToString(true) + " is malformed (" + rule() + ")");
      return false;
    }
    const std::uint64_t n = format::get_u64(key.data() + prefix);
    const std::uint64_t seq = kind_ == IndexKind::kStream ? format::get_u64(val.data()) : n;
    const auto* found = seek_event(seq);
    if (found == nullptr) {
      if (!events_it_->status().ok()) {
        status_ = io_error(events_it_->status());
        return false;
      }
      status_ = Status::Corruption("the index entry " + key.ToString(true) + " points to event " + std::to_string(seq) +
                                   ", which is missing (" + rule() + ")");
      return false;
    }
    std::string why;
    if (!format::decode_record(found->ToStringView(), &ev_, &why)) {
      status_ = format::broken(seq, "V2", "its record cannot be read: " + why);
      return false;
    }
    if (auto st = format::check_event(ev_, seq); !st.ok()) {
      status_ = st;
      return false;
    }
    if (!redaction_holds(events_)) return false;
    if (kind_ == IndexKind::kStream) {
      // A stream's versions run 1, 2, 3... (V6): an entry missing in between hides an event.
      if (next_version_ != 0 && n != next_version_)
        return fail_v7("the stream index has no entry for " + name_ + " version " + std::to_string(next_version_) +
                       " (the next is version " + std::to_string(n) + "): an event is hidden from this stream");
      next_version_ = n + 1;
    }
    const bool matches = kind_ == IndexKind::kStream ? ev_.stream == name_ && ev_.stream_version == n : ev_.actor == name_;
    if (!matches) {
      status_ = format::broken(seq, rule(), kind_ == IndexKind::kStream
                                                ? "the stream index says it is " + name_ + " version " + std::to_string(n) +
                                                      ", but it is " + ev_.stream + " version " + std::to_string(ev_.stream_version)
                                                : "the actor index says it is by " + name_ + ", but it is by " + ev_.actor);
      return false;
    }
    return true;
  }
  // Positions the events iterator on `seq`: a stream's or an actor's events often sit in runs
  // of consecutive sequences, so it steps forward when the next one is close and seeks
  // otherwise (a Get per event costs twice as much). The value, or null if there is no such event.
  const rocksdb::Slice* seek_event(std::uint64_t seq) {
    const std::string key = format::sequence_key(seq);
    if (!events_it_) {
      events_it_.reset(db_->NewIterator(pin_.options(), events_));
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
  IndexKind kind_;
  std::string name_;
  std::unique_ptr<rocksdb::Iterator> events_it_;
  rocksdb::Slice value_;
  std::string upper_;
  rocksdb::Slice upper_slice_;
  std::uint64_t next_version_ = 0;  // a stream cursor: the version the next entry must have
};

}  // namespace

std::unique_ptr<Cursor> sequence_cursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, std::uint64_t from,
                                        bool snapshot) {
  return std::make_unique<SequenceCursor>(db, events, from, snapshot);
}

std::unique_ptr<Cursor> index_cursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index, rocksdb::ColumnFamilyHandle* events,
                                     IndexKind kind, const std::string& name, std::uint64_t from, bool snapshot) {
  return std::make_unique<IndexCursor>(db, index, events, kind, name, from, snapshot);
}

}  // namespace ftl::rocks
