// `verify`: the rules V1..V12 of ledger/FORMAT.md.
//
// The events column family is read in chunks of sequences, one chunk at a time per thread; each
// event's record is checked (V1..V5) and the three index entries it must have are added into a
// keyed fingerprint, one per index: the sum, modulo 2^128, of the first 16 bytes of
// SHA-256(k || index tag || key || value), where k is 32 random bytes chosen for this run. Each
// index column family is read once, in order, into the same fingerprint of the entries it
// holds. Equal counts and equal fingerprints mean each index holds exactly the entries the
// events call for (a forger would have to find entries that sum alike under a key it never
// sees); so no point lookups are made, and memory stays flat. Only when a fingerprint differs
// does a second walk look the entries up one by one to name the first that is wrong.
#include <openssl/rand.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "ledger/verify_detail.h"
#include "ledger/rocks_ledger.h"
#include "ledger/sha256.h"

namespace ftl {
namespace {

using namespace verify_detail;

// What one chunk of the events walk found.
struct Chunk {
  std::uint64_t from = 0, to = 0;  // sequences [from, to); to = 0: to the end
  std::uint64_t first = 0, last = 0, count = 0;
  Hash first_prev{}, last_hash{};
  std::int64_t first_recorded = 0, last_recorded = 0;
  u128 fp[3] = {0, 0, 0};
  u128 tree_fp = 0;                // the stored-level tree nodes inside the chunk
  std::uint64_t tree_nodes = 0;
  std::optional<Hash> root;        // the chunk's subtree, if the chunk is whole
  std::vector<VerifyReport::Redacted> redacted;
  Failure failure;
};

std::string seq_text(std::uint64_t s) { return std::to_string(s); }

}  // namespace

Result<VerifyReport> RocksLedger::verify(const VerifyOptions& options) {
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
    auto s = db_->Get(ro, cf(kMeta), std::string(format::kMetaHeadKey), &v);
    if (s.ok() && !format::parse_head_value(v, &meta_head)) return Status::Corruption("the ledger's head record is malformed (V10)");
    if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
  }
  if (options.from_sequence > 1) {
    if (options.from_sequence > meta_head.sequence)
      return Status::InvalidArgument("from_sequence " + seq_text(options.from_sequence) + " is past the last event of this ledger (" +
                                     seq_text(meta_head.sequence) + ")",
                                     "its events are 1 to " + seq_text(meta_head.sequence))
          .tagged("verify.from_sequence");
    return verify_by_lookup(options, ro, meta_head);
  }
  return verify_whole(options, ro, meta_head);
}

Result<VerifyReport> RocksLedger::verify_whole(const VerifyOptions& options, const rocksdb::ReadOptions& ro,
                                              const Digest& meta_head) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) return Status::IOError("no random bytes for verify's fingerprint key");
  const Fingerprint fp(key);
  const std::uint64_t total = meta_head.sequence;
  const unsigned threads = std::max(1u, options.threads != 0 ? options.threads : std::thread::hardware_concurrency());
  // Chunks of a power of two events: each is a subtree of the Merkle tree, so a chunk checks
  // the tree nodes inside it, and the chunks' roots the nodes above them.
  const std::uint64_t kChunk = std::bit_ceil(std::max<std::uint64_t>(1, options.chunk_events));
  const unsigned chunk_level = static_cast<unsigned>(std::countr_zero(kChunk));
  auto coverage = tree_coverage(ro);
  if (!coverage.ok()) return coverage.status();
  const bool has_tree = cf(kTree) != nullptr;
  const std::uint64_t tree_size = has_tree ? std::min(*coverage, total) : 0;
  // The stored node (level, index) the events call for: inside what the tree covers.
  auto tree_entry = [&](unsigned level, std::uint64_t index, const Hash& h) -> u128 {
    return fp.of(kTreeIx, format::tree_key(level, index), {}, merkle::bytes(h));
  };
  auto wanted_node = [&](unsigned level, std::uint64_t index) {
    return format::stored_level(level) && ((index + 1) << level) <= tree_size;
  };

  std::vector<Chunk> chunks;
  for (std::uint64_t a = 1; a <= std::max<std::uint64_t>(total, 1); a += kChunk) {
    chunks.emplace_back();
    chunks.back().from = a;
    chunks.back().to = a + kChunk;
  }
  chunks.back().to = 0;  // the last chunk reads to the end: keys past the head are V10's
  IndexScan scans[4];
  std::atomic<std::uint64_t> done{0};
  std::mutex progress_mu;

  auto walk_chunk = [&](Chunk& c) {
    rocksdb::ReadOptions r = ro;
    const std::string upper = format::sequence_key(c.to);
    rocksdb::Slice upper_slice(upper);
    if (c.to != 0) r.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(r, cf(kEvents)));
    if (c.from == 1) it->SeekToFirst();  // keys before sequence 1 are V1's
    else it->Seek(format::sequence_key(c.from));
    format::RecordView e;
    std::string why;
    Hash prev{};
    std::int64_t prev_recorded = 0;
    std::uint64_t expected = c.from, batch = 0;
    merkle::Frontier local;
    const std::uint64_t first_leaf = c.from - 1;
    const merkle::Frontier::OnNode on_node = [&](unsigned level, std::uint64_t index, const Hash& h) {
      const std::uint64_t global = (first_leaf >> level) + index;
      if (wanted_node(level, global)) {
        c.tree_fp += tree_entry(level, global, h);
        ++c.tree_nodes;
      }
    };
    for (; it->Valid(); it->Next(), ++expected) {
      const auto k = it->key();
      if (k.size() != 8) {
        c.failure.note(expected, Status::Corruption("the event key " + k.ToString(true) + " breaks V1: event keys are 8-byte sequences"));
        return;
      }
      const std::uint64_t seq = format::get_u64(k.data());
      if (seq != expected) {
        c.failure.note(expected, format::broken(expected, "V1", "it is missing (the next stored event is " + seq_text(seq) + "): an event was dropped"));
        return;
      }
      if (!format::parse_record(it->value().ToStringView(), &e, &why)) {
        c.failure.note(seq, format::broken(seq, "V2", "its record cannot be read: " + why));
        return;
      }
      if (auto st = format::check_record(e, seq, c.count > 0 ? &prev : nullptr, c.count > 0 ? &prev_recorded : nullptr); !st.ok()) {
        c.failure.note(seq, st);
        return;
      }
      if (e.redacted_by != 0 || e.type == format::kRedactionType) {
        if (auto st = check_redacted(ro, seq, e.redacted_by, e.payload_hash, e.payload); !st.ok()) {
          c.failure.note(seq, st);
          return;
        }
        if (e.redacted_by != 0) c.redacted.push_back({seq, e.redacted_by});
      } else if (options.check_payload) {
        if (auto st = options.check_payload(seq, e.type, e.schema_version, e.payload); !st.ok()) {
          c.failure.note(seq, st);
          return;
        }
      }
      if (c.count == 0) {
        c.first = seq;
        c.first_prev = e.prev_hash;
        c.first_recorded = e.recorded_us;
      }
      prev_recorded = e.recorded_us;
      prev = e.hash;
      if (has_tree && seq <= tree_size) local.push(merkle::leaf_hash(e.canonical), on_node);
      const auto seq_key = std::string_view(k.data(), 8);
      char version[9] = {'\0'};
      for (int b = 0; b < 8; ++b) version[1 + b] = static_cast<char>(e.stream_version >> (56 - 8 * b));
      char sep_seq[9] = {'\0'};
      std::memcpy(sep_seq + 1, k.data(), 8);
      c.fp[kStreamIx] += fp.of(kStreamIx, e.stream, {version, 9}, seq_key);
      c.fp[kActorIx] += fp.of(kActorIx, e.actor, {sep_seq, 9}, {});
      c.fp[kIdIx] += fp.of(kIdIx, e.event_id, {}, seq_key);
      c.last = seq;
      c.last_hash = e.hash;
      c.last_recorded = e.recorded_us;
      ++c.count;
      if (++batch == 4096) {
        const auto d = done.fetch_add(batch) + batch;
        batch = 0;
        if (options.progress) {
          std::lock_guard lk(progress_mu);
          options.progress(std::min(d, total), total);
        }
      }
    }
    done.fetch_add(batch);
    if (local.size() == kChunk) c.root = local.nodes().front();
    if (!it->status().ok()) c.failure.note(expected, Status::IOError(it->status().ToString()));
  };

  auto scan_index = [&](int ix) {
    IndexScan& out = scans[ix];
    if (ix == kTreeIx) {
      if (has_tree) out = scan_tree(db_, cf(kTree), ro, fp, tree_size);
      return;
    }
    const int cfi = ix == kStreamIx ? kByStream : ix == kActorIx ? kByActor : kByEventId;
    const char* rule = ix == kStreamIx ? "V7" : ix == kActorIx ? "V8" : "V9";
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(cfi)));
    std::string stream;
    std::uint64_t prev_version = 0, prev_seq = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto k = it->key().ToStringView();
      const auto v = it->value().ToStringView();
      // What an entry says is checked by the fingerprint; only what the V6 walk reads is checked here.
      if (ix == kStreamIx && (k.size() < 10 || k[k.size() - 9] != '\0' || v.size() != 8)) {
        out.failure.note(0, Status::Corruption("the index entry " + it->key().ToString(true) + " is malformed (" + rule + ")"));
        return;
      }
      out.fp += fp.of(static_cast<Index>(ix), k, {}, v);
      ++out.count;
      if (ix != kStreamIx) continue;
      const std::string_view s = k.substr(0, k.size() - 9);
      const std::uint64_t version = format::get_u64(k.data() + k.size() - 8);
      const std::uint64_t seq = format::get_u64(v.data());
      if (s != stream) {
        stream.assign(s);
        prev_version = 0;
        prev_seq = 0;
        ++out.streams;
      }
      if (version != prev_version + 1) {
        out.failure.note(seq, format::broken(seq, "V6", "stream " + stream + " jumps from version " + seq_text(prev_version) + " to " + seq_text(version)));
        return;
      }
      if (seq <= prev_seq) {
        out.failure.note(seq, format::broken(seq, "V6", "stream " + stream + " version " + seq_text(version) + " comes before version " +
                                                           seq_text(prev_version) + " in the log"));
        return;
      }
      prev_version = version;
      prev_seq = seq;
    }
    if (!it->status().ok()) out.failure.note(0, Status::IOError(it->status().ToString()));
  };

  // The index scans are queued first: each is one long task, the chunks fill in around them.
  std::atomic<std::size_t> next{0};
  const std::size_t tasks = 4 + chunks.size();
  auto worker = [&] {
    for (std::size_t t; (t = next.fetch_add(1)) < tasks;) {
      if (t < 4) scan_index(static_cast<int>(t));
      else walk_chunk(chunks[t - 4]);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  // Stitch the chunks together: each must start where the one before it ended.
  Failure failure;
  std::uint64_t events = 0, last = 0;
  Hash last_hash{};
  std::int64_t last_recorded = 0;
  u128 expected[3] = {0, 0, 0};
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i];
    if (c.failure.any()) failure.note(c.failure.sequence, c.failure.status);
    if (c.count == 0) continue;
    if (c.first != last + 1) failure.note(last + 1, format::broken(last + 1, "V1", "it is missing (the next stored event is " + seq_text(c.first) + ")"));
    else if (last != 0 && c.first_prev != last_hash)
      failure.note(c.first, format::broken(c.first, "V4", "its previous hash does not match event " + seq_text(c.first - 1) + "'s hash"));
    else if (last != 0 && c.first_recorded < last_recorded)
      failure.note(c.first, format::broken(c.first, "V13", "its recorded time is earlier than the event before it's: recorded time never runs backwards"));
    events += c.count;
    last = c.last;
    last_hash = c.last_hash;
    last_recorded = c.last_recorded;
    for (int ix = 0; ix < 3; ++ix) expected[ix] += c.fp[ix];
    if (c.failure.any()) break;  // later chunks start past a gap
  }
  // The tree nodes above the chunks, from the whole chunks' roots (leading, in order).
  u128 tree_expected = 0;
  std::uint64_t tree_nodes = 0;
  {
    merkle::Frontier top;
    for (const auto& c : chunks) {
      tree_expected += c.tree_fp;
      tree_nodes += c.tree_nodes;
      if (!c.root) break;
      top.push(*c.root, [&](unsigned level, std::uint64_t index, const Hash& h) {
        if (level > 0 && wanted_node(level + chunk_level, index)) {
          tree_expected += tree_entry(level + chunk_level, index, h);
          ++tree_nodes;
        }
      });
    }
  }
  if (options.progress) options.progress(std::min(last, total), total);

  // V10 before the indexes: events missing from the end leave index entries behind them.
  if (!failure.any() && meta_head.sequence > last)
    return format::broken(last + 1, "V10", "the ledger's head says the last event is " + seq_text(meta_head.sequence) + ", but the log ends at " +
                                               seq_text(last) + ": events were dropped from the end");

  // An index that differs is named entry by entry, up to the first chain failure if there is one.
  const bool indexes_match = !std::any_of(scans, scans + 3, [](const IndexScan& s) { return s.failure.any(); }) &&
                             scans[kStreamIx].count == events && scans[kActorIx].count == events && scans[kIdIx].count == events &&
                             scans[kStreamIx].fp == expected[kStreamIx] && scans[kActorIx].fp == expected[kActorIx] &&
                             scans[kIdIx].fp == expected[kIdIx];
  for (const auto* s = scans; s != scans + 3; ++s)
    if (s->failure.any() && s->failure.status.code() != Code::kCorruption) return s->failure.status;  // I/O
  if (!indexes_match) {
    // Before a chain failure the indexes are compared event by event: an earlier broken entry
    // is the first thing wrong. Without one, the entry that belongs to no event is.
    auto st = name_index_mismatch(ro, failure.any() ? failure.sequence - 1 : last, !failure.any());
    if (!st.ok()) return st;
  }
  if (failure.any()) return failure.status;
  for (const auto* s = scans; s != scans + 3; ++s)
    if (s->failure.any()) return s->failure.status;

  // V10: the head written with the last batch names the last event.
  if (meta_head.sequence != last) {
    if (meta_head.sequence > last)
      return format::broken(last + 1, "V10", "the ledger's head says the last event is " + seq_text(meta_head.sequence) + ", but the log ends at " +
                                                 seq_text(last) + ": events were dropped from the end");
    return format::broken(meta_head.sequence + 1, "V10", "the log goes on past the head the last write recorded (" + seq_text(meta_head.sequence) +
                                                             "): events were appended behind the ledger's back");
  }
  if (last > 0 && meta_head.hash != last_hash) return format::broken(last, "V10", "its hash differs from the head the last write recorded");
  if (auto st = verify_meta(ro, scans[kStreamIx].streams, last); !st.ok()) return st;
  if (has_tree) {
    if (*coverage > last)
      return Status::Corruption("the ledger breaks T3: its tree covers " + seq_text(*coverage) + " events, but its log ends at event " +
                                seq_text(last));
    // Short of the head only where an upgrade stopped between its batches.
    if (*coverage < last && *coverage % format::kTreeUpgradeBatch != 0)
      return Status::Corruption("the ledger breaks T3: its tree covers " + seq_text(*coverage) + " of its " + seq_text(last) +
                                " events, which neither a write nor an upgrade leaves");
    const auto& t = scans[kTreeIx];
    if (t.failure.any()) return t.failure.status;
    if (t.count != tree_nodes || t.fp != tree_expected) return name_tree_mismatch(ro, tree_size);
  }

  if (auto st = check_digests(ro, last, options.digest); !st.ok()) return st;
  VerifyReport report;
  report.events_checked = events;
  report.index_entries_checked = 3 * events;
  report.head = {last, last_hash};
  report.meta_entries_checked = last > 0 ? 3 : 1;
  report.tree_size = tree_size;
  report.tree_nodes_checked = has_tree ? tree_nodes : 0;
  for (const auto& c : chunks) report.redacted.insert(report.redacted.end(), c.redacted.begin(), c.redacted.end());
  auto pending = pending_purges(ro);
  if (!pending.ok()) return pending.status();
  report.purge_pending = std::move(*pending);
  return report;
}

// V10 against the digests: the one the caller kept, and the head file, which is a digest the
// ledger keeps of itself (ledger/FORMAT.md "The head file").
Status RocksLedger::check_digests(const rocksdb::ReadOptions& ro, std::uint64_t last, const std::optional<Digest>& digest) {
  if (acknowledged_ && acknowledged_->sequence > last)
    return Status::Unavailable("the ledger at " + path_ + " has lost events: it acknowledged appends up to sequence " +
                               seq_text(acknowledged_->sequence) + ", but holds events only up to " + seq_text(last))
        .tagged("ledger.lost_events");
  struct Check {
    std::optional<Digest> d;
    const char* whose;
  };
  // A head file of sequence 0 is an empty ledger's: nothing to hold it to.
  const auto head_file = acknowledged_ && acknowledged_->sequence > 0 ? acknowledged_ : std::nullopt;
  for (const auto& [d, whose] : {Check{head_file, "the one the ledger acknowledged (FTL-HEAD)"}, Check{digest, "the digest's"}}) {
    if (!d) continue;
    if (d->sequence > last || d->sequence == 0)
      return format::broken(d->sequence, "V10", std::string(std::string_view(whose).starts_with("the digest") ? "the digest names it" : "the ledger acknowledged it (FTL-HEAD)") +
                                                    ", but the log holds events 1 to " + seq_text(last) +
                                                    ": events were dropped from its end, or the digest is another ledger's");
    auto e = read_event(ro, d->sequence);
    if (!e.ok()) return e.status();
    if (e->hash != d->hash)
      return format::broken(d->sequence, "V10", "its hash " + to_hex(e->hash) + " differs from " + whose + " " + to_hex(d->hash) +
                                                    ": history up to it was rewritten");
  }
  return Status::Ok();
}

// V11: a pending purge names, with an empty value, a redacted event.
Status RocksLedger::check_purge_entry(const rocksdb::ReadOptions& ro, std::string_view key, std::string_view value, std::uint64_t events) {
  const auto bad = [&](const std::string& why) {
    return Status::Corruption("the pending purge " + rocksdb::Slice(key).ToString(true) + " in the ledger's metadata breaks V11: " + why);
  };
  if (key.size() != format::kMetaPurgePrefix.size() + 8 || !value.empty()) return bad("it is not a sequence with an empty value");
  const auto seq = format::get_u64(key.data() + format::kMetaPurgePrefix.size());
  if (seq == 0 || seq > events) return bad("it names event " + seq_text(seq) + ", which the log does not hold");
  std::string bytes;
  auto s = db_->Get(ro, cf(kEvents), format::sequence_key(seq), &bytes);
  if (!s.ok()) return s.IsNotFound() ? bad("it names event " + seq_text(seq) + ", which is missing") : Status::IOError(s.ToString());
  format::RecordView v;
  std::string why;
  if (!format::parse_record(bytes, &v, &why) || v.redacted_by == 0) return bad("it names event " + seq_text(seq) + ", which is not redacted");
  return Status::Ok();
}

// V11, V12: the default column family holds the format marker, the head, the stream count, the
// tree's size and pending purges, and nothing else; the stream count is the number of streams
// in the stream index.
Status RocksLedger::verify_meta(const rocksdb::ReadOptions& ro, std::uint64_t streams, std::uint64_t events) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kMeta)));
  bool has_streams = false, has_head = false;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto k = it->key().ToStringView();
    if (k == format::kMetaFormatKey || k == format::kMetaHeadFileKey || k == format::kMetaTreeKey) continue;  // tree: T3
    if (k == format::kMetaHeadKey) {
      has_head = true;
      continue;
    }
    if (k.starts_with(format::kMetaPurgePrefix)) {
      if (auto st = check_purge_entry(ro, it->key().ToStringView(), it->value().ToStringView(), events); !st.ok()) return st;
      continue;
    }
    if (k == format::kMetaStreamsKey) {
      has_streams = true;
      if (it->value().size() != 8 || format::get_u64(it->value().data()) != streams)
        return Status::Corruption("the ledger's stream count breaks V12: it says " +
                                  (it->value().size() == 8 ? seq_text(format::get_u64(it->value().data())) : "nothing readable") +
                                  ", but the stream index holds " + seq_text(streams) + " streams");
      continue;
    }
    return Status::Corruption("the key " + it->key().ToString(true) + " in the ledger's metadata breaks V11: no rule accounts for it");
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  if (events > 0 && (!has_head || !has_streams))
    return Status::Corruption(std::string("the ledger's metadata breaks V11: it has no ") + (has_head ? "stream count" : "head") +
                              " although it holds events");
  return Status::Ok();
}

// Names what the fingerprints found: the first event, up to `up_to`, whose index entry is
// missing or wrong, else (with `extras`) the first entry that belongs to no event.
Status RocksLedger::name_index_mismatch(const rocksdb::ReadOptions& ro, std::uint64_t up_to, bool extras) {
  std::string idx;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEvents)));
    Event e;
    std::string why;
    for (it->Seek(format::sequence_key(1)); it->Valid(); it->Next()) {
      if (it->key().size() != 8) break;
      const std::uint64_t seq = format::get_u64(it->key().data());
      if (seq > up_to) break;
      if (!format::decode_record(it->value().ToStringView(), &e, &why)) break;
      const auto seq_key = format::sequence_key(seq);
      auto s = db_->Get(ro, cf(kByStream), format::stream_key(e.stream, e.stream_version), &idx);
      if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
      if (!s.ok() || idx != seq_key)
        return format::broken(seq, "V7", "the stream index has no entry (" + e.stream + ", version " + seq_text(e.stream_version) + ") pointing to it");
      s = db_->Get(ro, cf(kByActor), format::actor_key(e.actor, seq), &idx);
      if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
      if (!s.ok() || !idx.empty()) return format::broken(seq, "V8", "the actor index has no entry for actor " + e.actor);
      s = db_->Get(ro, cf(kByEventId), e.event_id, &idx);
      if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
      if (!s.ok() || idx != seq_key) return format::broken(seq, "V9", "the event id index does not map " + e.event_id + " to it");
    }
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
  }
  if (!extras) return Status::Ok();
  // Every event has its entries: an index holds one more that points nowhere true.
  const char* names[3] = {"stream", "actor", "event id"};
  const char* rules[3] = {"V7", "V8", "V9"};
  const int cfs[3] = {kByStream, kByActor, kByEventId};
  for (int ix = 0; ix < 3; ++ix) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(cfs[ix])));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const auto k = it->key().ToStringView();
      const auto v = it->value().ToStringView();
      std::uint64_t seq = 0;
      if (ix == kActorIx) seq = k.size() >= 8 ? format::get_u64(k.data() + k.size() - 8) : 0;
      else seq = v.size() == 8 ? format::get_u64(v.data()) : 0;
      auto e = read_event(ro, seq);
      bool belongs = false;
      if (e.ok()) {
        if (ix == kStreamIx) belongs = k == format::stream_key(e->stream, e->stream_version);
        else if (ix == kActorIx) belongs = k == format::actor_key(e->actor, seq);
        else belongs = k == e->event_id;
      }
      if (!belongs)
        return Status::Corruption(std::string("the ") + names[ix] + " index entry " + it->key().ToString(true) +
                                  " belongs to no event (" + rules[ix] + "): an entry was forged");
    }
    if (!it->status().ok()) return Status::IOError(it->status().ToString());
  }
  return Status::Corruption("an index differs from what the events call for (V7..V9), though no single entry could be named");
}

// verify --from: the events from a sequence on, trusting the one before it, with their index
// entries looked up one by one (the fingerprints need the whole ledger).
Result<VerifyReport> RocksLedger::verify_by_lookup(const VerifyOptions& options, const rocksdb::ReadOptions& ro,
                                                  const Digest& meta_head) {
  VerifyReport report;
  const std::uint64_t from = options.from_sequence;
  // The event before `from` is trusted, as the option says: only its hash is read.
  Hash prev{};
  {
    std::string v, why;
    Event before;
    auto s = db_->Get(ro, cf(kEvents), format::sequence_key(from - 1), &v);
    if (!s.ok() && !s.IsNotFound()) return Status::IOError(s.ToString());
    if (!s.ok() || !format::decode_record(v, &before, &why))
      return format::broken(from - 1, "V1", "verifying from " + seq_text(from) + " trusts it, but it " + (s.ok() ? "cannot be read: " + why : "is missing"));
    prev = before.hash;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf(kEvents)));
  std::uint64_t expected = from;
  std::int64_t prev_recorded = 0;
  Event e;
  std::string why, idx;
  for (it->Seek(format::sequence_key(from)); it->Valid(); it->Next(), ++expected) {
    const auto k = it->key();
    if (k.size() != 8) return Status::Corruption("the event key " + k.ToString(true) + " breaks V1: event keys are 8-byte sequences");
    const std::uint64_t seq = format::get_u64(k.data());
    if (seq != expected) return format::broken(expected, "V1", "it is missing (the next stored event is " + seq_text(seq) + ")");
    if (!format::decode_record(it->value().ToStringView(), &e, &why)) return format::broken(seq, "V2", "its record cannot be read: " + why);
    if (auto st = format::check_event(e, seq, &prev); !st.ok()) return st;
    if (auto st = format::check_times(e, seq > from ? &prev_recorded : nullptr); !st.ok()) return st;
    if (e.redacted_by != 0 || e.type == format::kRedactionType) {
      if (auto st = check_redacted(ro, seq, e.redacted_by, reinterpret_cast<const char*>(e.payload_hash.data()), e.payload); !st.ok()) return st;
      if (e.redacted_by != 0) report.redacted.push_back({seq, e.redacted_by});
    } else if (options.check_payload) {
      if (auto st = options.check_payload(seq, e.type, e.schema_version, e.payload); !st.ok()) return st;
    }
    prev = e.hash;
    prev_recorded = e.recorded_us;
    const auto seq_key = format::sequence_key(seq);
    auto s = db_->Get(ro, cf(kByStream), format::stream_key(e.stream, e.stream_version), &idx);
    if (!s.ok() || idx != seq_key)
      return format::broken(seq, "V7", "the stream index has no entry (" + e.stream + ", version " + seq_text(e.stream_version) + ") pointing to it");
    s = db_->Get(ro, cf(kByActor), format::actor_key(e.actor, seq), &idx);
    if (!s.ok()) return format::broken(seq, "V8", "the actor index has no entry for actor " + e.actor);
    s = db_->Get(ro, cf(kByEventId), e.event_id, &idx);
    if (!s.ok() || idx != seq_key) return format::broken(seq, "V9", "the event id index does not map " + e.event_id + " to it");
    ++report.events_checked;
    report.index_entries_checked += 3;
    if (options.progress && (seq & 0xffff) == 0) options.progress(seq, meta_head.sequence);
  }
  if (!it->status().ok()) return Status::IOError(it->status().ToString());
  const std::uint64_t last = expected - 1;
  if (meta_head.sequence != last)
    return format::broken(std::min(last, meta_head.sequence) + 1, "V10", "the ledger's head says the last event is " + seq_text(meta_head.sequence) +
                                                                        ", but the log ends at " + seq_text(last));
  if (meta_head.hash != prev) return format::broken(last, "V10", "its hash differs from the head the last write recorded");
  if (auto st = check_digests(ro, last, options.digest); !st.ok()) return st;
  if (options.progress) options.progress(last, meta_head.sequence);
  report.head = {last, prev};
  auto pending = pending_purges(ro);
  if (!pending.ok()) return pending.status();
  report.purge_pending = std::move(*pending);
  return report;
}

}  // namespace ftl
