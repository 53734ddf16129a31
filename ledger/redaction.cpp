// Redaction (FORMAT.md "Redaction"): the one write that touches a stored record, and only the
// payload in it. The redaction event and the record's new tail go into one synced WriteBatch
// through the group commit, so a reader sees both or neither.
#include <rocksdb/write_batch.h>


#include <cerrno>

#include "ledger/cursors.h"
#include "ledger/rocks_ledger.h"
#include "ledger/sha256.h"

#include <algorithm>
#include <cstring>

namespace ftl {

namespace rocks {

Status confirm_redaction(rocksdb::DB* db, const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* events, std::uint64_t sequence,
                         std::uint64_t by, const Hash& payload_hash) {
  auto fail = [&](const std::string& why) {
    return format::broken(sequence, "V3", "its payload was removed, but " + why + ": a payload was removed without a redaction");
  };
  std::string bytes;
  auto s = db->Get(ro, events, format::sequence_key(by), &bytes);
  if (s.IsNotFound()) return fail("the redaction it names, event " + std::to_string(by) + ", does not exist");
  if (!s.ok()) return Status::IOError(s.ToString());
  Event r;
  std::string why;
  if (!format::decode_record(bytes, &r, &why) || r.redacted_by != 0 || !format::check_event(r, by).ok())
    return fail("the redaction it names, event " + std::to_string(by) + ", is not a good record");
  format::Redaction said;
  if (r.type != format::kRedactionType || !format::parse_redaction_payload(r.payload, &said))
    return fail("event " + std::to_string(by) + ", which it names, is not a redaction");
  if (said.sequence != sequence || said.payload_hash != payload_hash)
    return fail("event " + std::to_string(by) + ", which it names, redacts event " + std::to_string(said.sequence) + " (payload SHA-256 " +
                to_hex(said.payload_hash).substr(0, 16) + "...)");
  return Status::Ok();
}

}  // namespace rocks

// A request carrying `redacts`: one EventRedacted event whose payload names an event of this
// stream that holds its payload (not already redacted, here or earlier in the group) and is no
// redaction itself. Any other request may not append EventRedacted.
Status RocksLedger::check_redaction(const AppendRequest& r, const std::unordered_set<std::uint64_t>& staged) {
  const bool typed = std::any_of(r.events.begin(), r.events.end(), [](const NewEvent& e) { return e.type == format::kRedactionType; });
  if (r.redacts == 0) {
    if (typed) return Status::InvalidArgument("events of type " + std::string(format::kRedactionType) + " are the ledger's own; only a redaction appends one");
    return Status::Ok();
  }
  format::Redaction said;
  if (r.events.size() != 1 || !typed || !format::parse_redaction_payload(r.events[0].payload, &said) || said.sequence != r.redacts)
    return Status::InvalidArgument("a redaction is one " + std::string(format::kRedactionType) + " event naming the event it redacts");
  if (staged.count(r.redacts) != 0) return Status::InvalidArgument("event " + std::to_string(r.redacts) + " is being redacted already").tagged("redact.again");
  auto target = read_event({}, r.redacts);
  if (!target.ok()) return target.status();
  if (target->redacted_by != 0)
    return Status::InvalidArgument("event " + std::to_string(r.redacts) + " was redacted already, by event " + std::to_string(target->redacted_by))
        .tagged("redact.again");
  if (target->type == format::kRedactionType)
    return Status::InvalidArgument("event " + std::to_string(r.redacts) + " is itself a redaction; its payload names no one and stays")
        .tagged("redact.redaction");
  if (target->stream != r.stream || target->payload_hash != said.payload_hash)
    return Status::InvalidArgument("the redaction does not describe event " + std::to_string(r.redacts) + " (its stream or payload SHA-256 differ)");
  return Status::Ok();
}

// What a redaction will write, read before anything of its request is staged (so a read
// error leaves the group's batch as it was): the record without its payload, and the keys of
// the snapshots to drop.
Result<RocksLedger::PreparedRedaction> RocksLedger::prepare_redaction(std::uint64_t target) {
  PreparedRedaction p;
  p.key = format::sequence_key(target);
  std::string bytes;
  auto s = db_->Get({}, cf(kEvents), p.key, &bytes);
  if (!s.ok()) return Status::IOError("cannot read event " + std::to_string(target) + " to redact it: " + s.ToString());
  format::RecordView v;
  std::string why;
  if (!format::parse_record(bytes, &v, &why)) return format::broken(target, "V2", "its record cannot be read: " + why);
  p.record = bytes.substr(0, bytes.size() - v.payload.size());
  p.record += format::kRedactedMark;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf(kSnapshots)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) p.snapshots.push_back(it->key().ToString());
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  return p;
}

void RocksLedger::stage_redaction(rocksdb::WriteBatch& batch, const PreparedRedaction& p, std::uint64_t by) {
  std::string record = p.record;
  format::put_u64(record, by);
  batch.Put(cf(kEvents), p.key, record).PermitUncheckedError();
  for (const auto& k : p.snapshots) batch.Delete(cf(kSnapshots), k).PermitUncheckedError();
  // In the same batch: whoever opens the ledger next to write finishes a purge a crash cut off.
  batch.Put(cf(kMeta), format::purge_key(format::get_u64(p.key.data())), "").PermitUncheckedError();
}

Status RocksLedger::check_redacted(const rocksdb::ReadOptions& ro, std::uint64_t seq, std::uint64_t redacted_by,
                                   const char* payload_hash, std::string_view payload) {
  if (redacted_by != 0) {
    Hash h;
    std::memcpy(h.data(), payload_hash, 32);
    return rocks::confirm_redaction(db_, ro, cf(kEvents), seq, redacted_by, h);
  }
  format::Redaction said;
  if (!format::parse_redaction_payload(payload, &said) || said.sequence >= seq)
    return format::broken(seq, "V3", "it is a redaction whose payload does not name an earlier event and its payload's SHA-256");
  std::string bytes;
  auto s = db_->Get(ro, cf(kEvents), format::sequence_key(said.sequence), &bytes);
  if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
  format::RecordView v;
  std::string why;
  if (!s.ok() || !format::parse_record(bytes, &v, &why) || v.redacted_by != seq)
    return format::broken(seq, "V3", "it redacts event " + std::to_string(said.sequence) + ", but that event " +
                                         (!s.ok() ? std::string("is missing")
                                          : v.redacted_by == 0 ? "still holds its payload"
                                                               : "names another redaction, event " + std::to_string(v.redacted_by)));
  return Status::Ok();
}

namespace {

// Whether text holds nothing a reader sees: white space (ASCII and Unicode's, the zero-width
// ones included) or nothing at all. Valid UTF-8 is checked before.
bool blank(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    std::uint32_t cp = n == 1 ? c : c & (0xFF >> (n + 1));
    for (std::size_t k = 1; k < n && i + k < s.size(); ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += n;
    const bool space = cp <= 0x20 || cp == 0x7F || cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) ||
                       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0x3000 || cp == 0xFEFF;
    if (!space) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<std::uint64_t>> RocksLedger::pending_purges(const rocksdb::ReadOptions& ro) {
  std::vector<std::uint64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMeta)));
  const rocksdb::Slice prefix(format::kMetaPurgePrefix.data(), format::kMetaPurgePrefix.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    if (it->key().size() == prefix.size() + 8) out.push_back(format::get_u64(it->key().data() + prefix.size()));
  if (!it->status().ok()) return Status::IOError("cannot read the ledger's pending purges: " + it->status().ToString());
  return out;
}

// The old record is still in table files (and the WAL) until they are rewritten: flush, then
// compact the key's range and the snapshots down to the last level, so their bytes leave the
// files; then the purges are marked done. Readers holding an older RocksDB snapshot keep the
// old version alive until they finish.
Status RocksLedger::purge(const std::vector<std::uint64_t>& sequences) {
  if (sequences.empty()) return Status::Ok();
  auto s = db_->Flush(rocksdb::FlushOptions(), cfs_);
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto seq : sequences) {
    if (!s.ok()) break;
    const auto key = format::sequence_key(seq);
    const rocksdb::Slice k(key);
    s = db_->CompactRange(co, cf(kEvents), &k, &k);
  }
  if (s.ok()) s = db_->CompactRange(co, cf(kSnapshots), nullptr, nullptr);
  if (!s.ok()) return Status::IOError(s.ToString());
  rocksdb::WriteBatch done;
  for (auto seq : sequences) done.Delete(cf(kMeta), format::purge_key(seq)).PermitUncheckedError();
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Write(wo, &done);
  if (!s.ok()) return Status::IOError("the payloads were purged, but marking it failed: " + s.ToString());
  return Status::Ok();
}

// A redaction that stopped between its write and its purge (a crash) is purged at the next
// writing open.
Status RocksLedger::finish_purges() {
  auto pending = pending_purges({});
  if (!pending.ok()) return pending.status();
  // Only for redacted events: a key that names another (forged) is left for verify to name.
  std::vector<std::uint64_t> redacted;
  for (auto seq : *pending) {
    std::string bytes;
    auto s = db_->Get({}, cf(kEvents), format::sequence_key(seq), &bytes);
    if (!s.ok() && !s.IsNotFound()) return Status::IOError("cannot read event " + std::to_string(seq) + " to finish its purge: " + s.ToString());
    format::RecordView v;
    std::string why;
    if (s.ok() && format::parse_record(bytes, &v, &why) && v.redacted_by != 0) redacted.push_back(seq);
  }
  return purge(redacted);
}

Result<RedactResult> RocksLedger::redact(std::uint64_t sequence, const std::string& reason, const std::string& actor,
                                         const std::string& event_id) {
  if (options_.read_only) return Status::Unavailable("the ledger at " + path_ + " is open read-only");
  const bool one_line = reason.find_first_of("\n\r") == std::string::npos;
  if (reason.size() > format::kMaxReasonBytes || !format::valid_utf8(reason) || blank(reason) || !one_line)
    return Status::InvalidArgument("a redaction's reason must be one line of 1 to " + std::to_string(format::kMaxReasonBytes) +
                                       " bytes of text, not only spaces",
                                   "say why, for the auditors who will read it (and name no one)")
        .tagged("field.reason");
  if (sequence == 0 || sequence > head().sequence)
    return Status::NotFound("no event " + std::to_string(sequence), "events run from 1 to " + std::to_string(head().sequence)).tagged("field.event");
  auto target = read_event({}, sequence);
  if (!target.ok()) return target.status();
  AppendRequest req;
  req.stream = target->stream;
  req.redacts = sequence;
  NewEvent ne;
  ne.event_id = event_id;
  ne.type = std::string(format::kRedactionType);
  ne.actor = actor;
  ne.payload = format::redaction_payload({sequence, target->payload_hash, reason});
  req.events.push_back(std::move(ne));
  // One redaction at a time; its purge (and any a crash left) follows its write.
  std::lock_guard lock(redact_mu_);
  auto appended = append(std::move(req));
  if (!appended.ok()) return appended.status();
  RedactResult out;
  out.appended = *appended;
  out.redacted = sequence;
  const Status purged = finish_purges();
  if (!purged.ok()) out.purge_error = purged.message() + " (the next writing open tries again)";
  return out;
}

}  // namespace ftl
