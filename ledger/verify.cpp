// `verify`: the rules V1..V10 of ledger/FORMAT.md, checked in one pass over the events and
// one pass over each index. Memory stays flat: nothing but the previous event is kept.
#include <rocksdb/db.h>

#include "ledger/rocks_ledger.h"
#include "ledger/sha256.h"

namespace ftl {
namespace {

Status broken(std::uint64_t seq, const char* rule, const std::string& what) {
  return Status::Corruption("event " + std::to_string(seq) + " breaks " + rule + ": " + what);
}

}  // namespace

Result<VerifyReport> RocksLedger::verify(const VerifyOptions& options) {
  VerifyReport report;
  rocksdb::ReadOptions ro;
  const rocksdb::Snapshot* snap = options_.read_only ? nullptr : db_->GetSnapshot();
  ro.snapshot = snap;
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* s;
    ~Release() {
      if (s != nullptr) db->ReleaseSnapshot(s);
    }
  } release{db_, snap};

  Digest meta_head;
  {
    std::string v;
    auto s = db_->Get(ro, cf(kMeta), rocksdb::Slice(format::kMetaHeadKey.data(), format::kMetaHeadKey.size()), &v);
    if (s.ok() && !format::parse_head_value(v, &meta_head))
      return Status::Corruption("the ledger's head record is malformed (V10)");
    if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
  }
  const std::uint64_t total = meta_head.sequence;
  const std::uint64_t from = std::max<std::uint64_t>(1, options.from_sequence);

  Hash prev{};
  if (from > 1) {
    auto e = read_event(ro, from - 1);
    if (!e.ok()) return Status::Corruption("verify --from " + std::to_string(from) + ": event " + std::to_string(from - 1) + " cannot be read (" + e.status().message() + ")");
    prev = e->hash;
  }

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEvents)));
  std::uint64_t expected = from;
  Event e;
  std::string why, idx;
  for (it->Seek(format::sequence_key(from)); it->Valid(); it->Next(), ++expected) {
    auto key = it->key();
    if (key.size() != 8) return Status::Corruption("an event key of " + std::to_string(key.size()) + " bytes breaks V1: keys are 8-byte sequences");
    const std::uint64_t seq = format::get_u64(key.data());
    if (seq > expected) {
      return broken(expected, "V1", "it is missing (the next stored event is " + std::to_string(seq) + "): an event was dropped");
    }
    if (seq < expected) return broken(seq, "V1", "it is stored twice");
    if (!format::decode_record(it->value().ToStringView(), &e, &why)) return broken(seq, "V2", "its record cannot be read: " + why);
    if (e.sequence != seq)
      return broken(seq, "V2", "its record says sequence " + std::to_string(e.sequence) + ": events were reordered or moved");
    if (Sha256::of(e.payload) != e.payload_hash) return broken(seq, "V3", "its payload does not match its recorded SHA-256: the payload was changed");
    if (e.prev_hash != prev)
      return broken(seq, "V4", "its previous hash does not match event " + std::to_string(seq - 1) + "'s hash: an event was inserted, dropped or reordered before it");
    if (format::chain_hash(prev, format::canonical_bytes(e)) != e.hash)
      return broken(seq, "V5", "its hash does not match its contents: the event was changed after it was written");
    prev = e.hash;

    // V7..V9: the index entries this event must have.
    const auto seq_key = format::sequence_key(seq);
    auto s = db_->Get(ro, cf(kByStream), format::stream_key(e.stream, e.stream_version), &idx);
    if (!s.ok() || idx != seq_key)
      return broken(seq, "V7", "the stream index has no entry (" + e.stream + ", version " + std::to_string(e.stream_version) + ") pointing to it");
    s = db_->Get(ro, cf(kByActor), format::actor_key(e.actor, seq), &idx);
    if (!s.ok()) return broken(seq, "V8", "the actor index has no entry for actor " + e.actor);
    s = db_->Get(ro, cf(kByEventId), e.event_id, &idx);
    if (!s.ok() || idx != seq_key) return broken(seq, "V9", "the event id index does not map " + e.event_id + " to it");
    ++report.events_checked;
    report.index_entries_checked += 3;
    if (options.progress && (seq & 0xffff) == 0) options.progress(seq, total);
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  const std::uint64_t last = expected - 1;

  // V10: the head written with the last batch names the last event.
  if (meta_head.sequence != last) {
    if (meta_head.sequence > last)
      return broken(last + 1, "V10", "the ledger's head says the last event is " + std::to_string(meta_head.sequence) +
                                         ", but the log ends at " + std::to_string(last) + ": events were dropped from the end");
    return broken(meta_head.sequence + 1, "V10", "the log goes on past the head the last write recorded (" + std::to_string(meta_head.sequence) + "): events were appended behind the ledger's back");
  }
  if (last > 0 && meta_head.hash != prev)
    return broken(last, "V10", "its hash differs from the head the last write recorded");

  // V6..V9, the other way: every index entry belongs to an event, and stream versions run
  // 1, 2, 3... with rising sequences. Only a walk from the start can count entries.
  if (from == 1) {
    std::uint64_t n = 0;
    std::unique_ptr<rocksdb::Iterator> st(db_->NewIterator(ro, cf(kByStream)));
    std::string stream;
    std::uint64_t prev_version = 0, prev_seq = 0;
    for (st->SeekToFirst(); st->Valid(); st->Next(), ++n) {
      auto k = st->key().ToStringView();
      auto v = st->value();
      if (k.size() < 9 || v.size() != 8) return Status::Corruption("stream index entry " + st->key().ToString(true) + " is malformed (V7)");
      std::string s(k.substr(0, k.size() - 9));
      const std::uint64_t version = format::get_u64(k.data() + k.size() - 8);
      const std::uint64_t seq = format::get_u64(v.data());
      if (s != stream) {
        stream = s;
        prev_version = 0;
        prev_seq = 0;
      }
      if (version != prev_version + 1)
        return broken(seq, "V6", "stream " + stream + " jumps from version " + std::to_string(prev_version) + " to " + std::to_string(version));
      if (seq <= prev_seq)
        return broken(seq, "V6", "stream " + stream + " version " + std::to_string(version) + " comes before version " + std::to_string(prev_version) + " in the log");
      prev_version = version;
      prev_seq = seq;
    }
    if (n != last) return Status::Corruption("the stream index holds " + std::to_string(n) + " entries for " + std::to_string(last) + " events: an entry was forged (V7)");
    auto count = [&](int cfi) {
      std::uint64_t c = 0;
      std::unique_ptr<rocksdb::Iterator> i(db_->NewIterator(ro, cf(cfi)));
      for (i->SeekToFirst(); i->Valid(); i->Next()) ++c;
      return c;
    };
    if (auto c = count(kByActor); c != last)
      return Status::Corruption("the actor index holds " + std::to_string(c) + " entries for " + std::to_string(last) + " events: an entry was forged (V8)");
    if (auto c = count(kByEventId); c != last)
      return Status::Corruption("the event id index holds " + std::to_string(c) + " entries for " + std::to_string(last) + " events: an entry was forged (V9)");
    report.index_entries_checked += 3 * last;
  }

  if (options.digest) {
    const auto& d = *options.digest;
    if (d.sequence > last)
      return broken(d.sequence, "V10", "the digest names it, but the log ends at " + std::to_string(last) + ": events were dropped");
    auto de = read_event(ro, d.sequence);
    if (!de.ok()) return de.status();
    if (de->hash != d.hash)
      return broken(d.sequence, "V10", "its hash " + to_hex(de->hash) + " differs from the digest's " + to_hex(d.hash) + ": history up to it was rewritten");
  }
  if (options.progress) options.progress(last, total);
  report.head = {last, prev};
  return report;
}

}  // namespace ftl
