// The ledger: an append-only, hash-chained, indexed event log in RocksDB.
//
// It stores envelopes around opaque payload bytes and knows nothing of playbooks or
// engagements. The bytes it writes are defined in ledger/FORMAT.md.
//
// Thread safety: a Ledger may be shared by any number of threads. Concurrent appends queue;
// the caller at the front appends everything queued as one synced WriteBatch (group commit)
// and then acknowledges each caller in it. Only one group is written at a time.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace ftl {

using Hash = std::array<std::uint8_t, 32>;
std::string to_hex(const Hash& h);
std::optional<Hash> hash_from_hex(std::string_view hex);

// An event as stored: the envelope of ledger/FORMAT.md plus its payload.
struct Event {
  std::uint64_t sequence = 0;        // global, 1-based, no gaps
  std::string stream;                // e.g. "playbook/enable-services"
  std::uint64_t stream_version = 0;  // 1-based within the stream
  std::string event_id;              // idempotency key, unique in the ledger
  std::string type;                  // e.g. "TaskAdded"
  std::uint32_t schema_version = 0;  // the payload's class version
  std::int64_t recorded_us = 0;      // UTC microseconds since the epoch, set by the ledger
  std::int64_t effective_us = 0;     // the business time a user stated (defaults to recorded)
  std::string actor;                 // who
  std::string payload;               // opaque bytes
  Hash payload_hash{};               // SHA-256(payload)
  Hash prev_hash{};                  // hash of sequence-1 (zeros for sequence 1)
  Hash hash{};                       // SHA-256(prev_hash || canonical bytes)
  // Redacted (FORMAT.md "Redaction"): the payload was removed by the redaction event of this
  // sequence; `payload` is empty and `payload_length` is what the canonical bytes record.
  std::uint64_t redacted_by = 0;
  std::uint32_t payload_length = 0;  // only read when redacted_by != 0
};

// Redaction (FORMAT.md "Redaction"): the ledger's own event type, which removes an earlier
// event's payload, and what its payload says.
inline constexpr std::string_view kEventRedactedType = "EventRedacted";
struct RedactionInfo {
  std::uint64_t sequence = 0;  // the event redacted
  Hash payload_hash{};         // that event's payload SHA-256
  std::string reason;
};
// What an EventRedacted event says (nullopt: not one, or malformed).
std::optional<RedactionInfo> redaction_of(const Event& e);
// An event whose payload a layer above cannot read: removed, or a redaction (the ledger's).
inline bool payload_withheld(const Event& e) { return e.redacted_by != 0 || e.type == kEventRedactedType; }

// What a caller proposes; the ledger fills in the rest.
struct NewEvent {
  std::string event_id;  // empty: the ledger generates a random one
  std::string type;
  std::uint32_t schema_version = 1;
  std::string actor;
  std::optional<std::int64_t> effective_us;  // empty: the recorded time
  std::string payload;
};

// Optimistic concurrency: what the caller believes the stream's version to be.
struct ExpectedVersion {
  enum class Kind { kAny, kNoStream, kStreamExists, kExact };
  Kind kind = Kind::kAny;
  std::uint64_t version = 0;
  static ExpectedVersion Any() { return {Kind::kAny, 0}; }
  static ExpectedVersion NoStream() { return {Kind::kNoStream, 0}; }
  static ExpectedVersion StreamExists() { return {Kind::kStreamExists, 0}; }
  static ExpectedVersion Exact(std::uint64_t v) { return {Kind::kExact, v}; }
};

struct AppendRequest {
  std::string stream;
  ExpectedVersion expected;
  std::vector<NewEvent> events;  // written all or nothing
  std::uint64_t redacts = 0;     // set by Ledger::redact only
};


struct AppendResult {
  std::uint64_t first_sequence = 0;
  std::uint64_t last_sequence = 0;
  std::uint64_t stream_version = 0;  // the stream's version after the last event
  bool duplicate = false;            // the event ids were already recorded; nothing new written
};

// What Ledger::redact did.
struct RedactResult {
  AppendResult appended;       // the redaction event
  std::uint64_t redacted = 0;  // the event whose payload it removed
  // Empty: the old payload bytes are gone from the database's files too. Else why they may
  // linger until RocksDB next compacts them (the redaction itself is durable).
  std::string purge_error;
};

struct Digest {
  std::uint64_t sequence = 0;
  Hash hash{};
};

struct LedgerStats {
  std::uint64_t events = 0;
  std::uint64_t last_sequence = 0;
  std::uint64_t streams = 0;
  std::uint64_t bytes_on_disk = 0;
  std::uint64_t syncs = 0;  // synced writes this process made (group commits)
};

// A forward cursor over events. It holds a RocksDB iterator and a consistent snapshot; no
// read loads more than one event at a time.
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual bool valid() const = 0;
  virtual const Event& event() const = 0;
  virtual void next() = 0;
  // Not ok if the cursor stopped on corrupt bytes (with the sequence) or an I/O error.
  virtual Status status() const = 0;
};

struct OpenOptions {
  bool read_only = false;
  // Readers: open table files, indexes and filters as they are needed (a view touches a few),
  // unless the reader will look up every event in every index (verify): then load them all at
  // open, as a writer does.
  bool whole_ledger = false;
  // verify: a head that does not match the last event is left for verify to report (it names
  // the first bad event, which may come before the head) instead of failing the open.
  bool defer_head_check = false;
  // Writers: create a ledger if `path` does not exist or is an empty directory. No open ever
  // creates a ledger in a directory that holds anything else.
  bool create_if_missing = true;
  double wait_seconds = 10;  // how long a writer waits for another process's lock
  // The file holding the key that authenticates snapshots (HMAC-SHA256), kept outside the
  // ledger so that whoever can write the database cannot forge a snapshot. Empty: snapshots
  // are neither trusted nor written. A writer creates the file (mode 0600) if it is missing.
  std::string snapshot_key_file;
  // Writers: open a ledger whose write-ahead log cannot be replayed in full, or which no longer
  // holds every event it acknowledged, keeping what can be read. The damaged files are copied
  // aside first (RecoveryReport::quarantine). Without it such a ledger does not open.
  bool accept_loss = false;
  // Writers: called while a ledger made before the Merkle tree gains it (once, at its first
  // writing open), with the events covered so far and the total.
  std::function<void(std::uint64_t done, std::uint64_t total)> upgrade_progress;
  // Test hook: called with the events of a group just before its synced write; a non-ok
  // status makes the write fail as a disk error would.
  std::function<Status(std::uint64_t first_sequence, std::size_t events)> before_write;
};

// What an open with accept_loss found and kept (ledger/FORMAT.md "Recovery").
struct RecoveryReport {
  bool loss = false;              // false: the ledger was whole; nothing was dropped
  std::optional<Digest> acknowledged;  // the last append acknowledged, from the head file
  Digest recovered;               // the last event that could be read
  std::string detail;             // what failed, in RocksDB's words or the ledger's
  std::string quarantine;         // directory the damaged files were copied to
  struct File {
    std::string name;
    std::uint64_t bytes = 0;
    Hash sha256{};
  };
  std::vector<File> files;  // what was copied there
};

struct VerifyOptions {
  std::uint64_t from_sequence = 1;
  std::optional<Digest> digest;  // also prove that this digest is a prefix of the chain
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  unsigned threads = 0;  // 0: one per core
  std::uint64_t chunk_events = 1 << 18;  // events one thread walks at a time (tests make it small)
  // Called for every event walked, from any of the threads: what a layer above holds true of
  // payloads (schema/EVENTS.md E1). A failure is reported at that event.
  std::function<Status(std::uint64_t sequence, std::string_view type, std::uint32_t schema_version, std::string_view payload)>
      check_payload;
};

struct VerifyReport {
  std::uint64_t events_checked = 0;
  std::uint64_t index_entries_checked = 0;
  std::uint64_t meta_entries_checked = 0;
  Digest head;
  std::uint64_t tree_size = 0;           // events the Merkle tree's stored nodes cover (T3)
  std::uint64_t tree_nodes_checked = 0;  // its stored nodes, each recomputed from the events (T1, T2)
  struct Redacted {
    std::uint64_t sequence = 0, by = 0;  // event `sequence`'s payload was removed by event `by`
  };
  std::vector<Redacted> redacted;  // in sequence order
  // Redacted events whose old payload may still be in the files: a crash came between the
  // redaction and its purge, which the next writing open finishes.
  std::vector<std::uint64_t> purge_pending;
};

// A stored snapshot and whether this ledger's snapshot key vouches for it.
struct StoredSnapshot {
  std::string key;
  std::string bytes;       // what put_snapshot stored
  bool authentic = false;  // its MAC is valid under the key this ledger was opened with
  std::string raw;         // when not authentic: the whole stored value (an older ftl's snapshot has no MAC)
};

class Ledger {
 public:
  // Opens the ledger at `path`, or creates one there if the directory is missing or empty (a
  // writer with create_if_missing). A writer takes RocksDB's lock; if another process holds it,
  // waits up to options.wait_seconds and then returns Unavailable naming the path. A read-only
  // open never takes the lock; it sees the ledger as it was when opened.
  // Returns Unavailable, touching nothing, for a directory that holds files but no ledger, a
  // database that is not an ftl ledger, a write-ahead log that cannot be replayed in full, or a
  // ledger that no longer holds an event it acknowledged (unless accept_loss); Corruption
  // (a rule of ledger/FORMAT.md, named) if the ledger's head does not match its last event.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& path, const OpenOptions& options);
  virtual ~Ledger() = default;

  // Appends the request's events atomically, synced before it returns. Returns Conflict if the
  // expected version does not match (nothing written), InvalidArgument for a malformed request,
  // IOError if the write failed (nothing written). After a failed write the ledger writes
  // nothing more, not even on close: every later append returns the same IOError. If every event id was already recorded,
  // returns the original positions with duplicate = true; a mix of known and new ids is an
  // InvalidArgument.
  virtual Result<AppendResult> append(AppendRequest request) = 0;
  // As append, without waiting: the request joins the same queue and group commit, and `done`
  // gets exactly what append would have returned, once the group is synced (or the request
  // refused). `done` runs on the thread that committed the group (the ledger's own commit
  // thread, or a caller's in append), before it goes on: it must be quick and must never wait
  // for the ledger (hand longer work to another thread). It may call append_async again.
  // Every request queued when the ledger is destroyed is committed and answered first.
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  virtual void append_async(AppendRequest request, AppendCallback done) { done(append(std::move(request))); }

  // Redaction, the one write that touches a stored record (FORMAT.md "Redaction"): appends an
  // EventRedacted event to the event's stream, naming it, its payload's SHA-256 and `reason`,
  // and in the same synced write replaces that event's payload with the redaction's mark and
  // drops every snapshot (they may hold what the payload said). Then flushes and compacts the
  // event's key so its old bytes leave the files. The chain and the tree are unchanged: they
  // cover the payload's SHA-256, not the payload. NotFound for no such event; InvalidArgument
  // for an event already redacted, a redaction event, or a reason that is empty or not text.
  virtual Result<RedactResult> redact(std::uint64_t sequence, const std::string& reason, const std::string& actor,
                                      const std::string& event_id) = 0;

  // Every event a cursor or get() returns has been checked against its key, its payload's
  // SHA-256 and its record hash (V2, V3, V5; a sequential scan also V4); one that fails stops
  // the cursor with Corruption naming the sequence and the rule.
  // Events with sequence >= from, in order.
  virtual std::unique_ptr<Cursor> scan(std::uint64_t from = 1) = 0;
  // One stream's events with version >= from_version, in order (through the stream index).
  virtual std::unique_ptr<Cursor> scan_stream(const std::string& stream,
                                              std::uint64_t from_version = 1) = 0;
  // One actor's events with sequence >= from, in order (through the actor index).
  virtual std::unique_ptr<Cursor> scan_actor(const std::string& actor, std::uint64_t from = 1) = 0;
  // The streams whose ids start with `prefix`, in order, each with its current version, until
  // `fn` returns false.
  virtual Status list_streams(const std::string& prefix,
                              const std::function<bool(const std::string&, std::uint64_t)>& fn) = 0;

  virtual Result<Event> get(std::uint64_t sequence) = 0;
  virtual Result<Event> get_by_id(const std::string& event_id) = 0;
  virtual Result<std::uint64_t> stream_version(const std::string& stream) = 0;  // 0 if none
  // How many streams hold events: kept with the head, so a caller that listed streams can
  // tell, without listing again, that none has been added since.
  virtual std::uint64_t stream_count() = 0;
  virtual Digest head() = 0;
  virtual LedgerStats stats() = 0;
  // Whether this handle can still write: after a write that failed (a full disk, an I/O error)
  // it writes nothing more, and this is that failure, until the ledger is opened again.
  virtual Status write_health() const { return Status::Ok(); }

  // Walks the chain, every index and every metadata key (rules V1..V12 of ledger/FORMAT.md).
  // Returns Corruption naming the first event, index entry or key that breaks a rule, and which
  // rule; InvalidArgument for options that do not fit this ledger. Snapshots are the caller's
  // to check against the events (engine/verify.h), through list_snapshots().
  virtual Result<VerifyReport> verify(const VerifyOptions& options) = 0;

  // Projection snapshots: a cache beside the log, in a column family of its own. Each is stored
  // with an HMAC-SHA256 under the snapshot key (OpenOptions::snapshot_key_file), so a snapshot
  // written by anyone without the key reads as not authentic. They are not part of the chain;
  // whoever reads one must still check it against the ledger (projections/snapshot.h).
  // put_snapshot needs a writable ledger with a key.
  virtual Status put_snapshot(const std::string& key, const std::string& bytes) = 0;
  // NotFound if none; a snapshot that is not authentic is returned with authentic = false.
  virtual Result<StoredSnapshot> get_snapshot(const std::string& key) = 0;
  // Every stored snapshot in key order, until `fn` returns false.
  virtual Status list_snapshots(const std::function<bool(const StoredSnapshot&)>& fn) = 0;
  virtual Result<std::uint64_t> drop_snapshots() = 0;  // how many were dropped
  // Makes the snapshot key if its file is missing (a writer): so that nothing is dropped that
  // could not be written again. Unavailable if there is no usable key.
  virtual Status ensure_snapshot_key() = 0;
  virtual bool has_snapshot_key() const = 0;

  // What an open with accept_loss found (loss = false otherwise).
  virtual const RecoveryReport& recovery() const = 0;

  // The Merkle tree over the events (ledger/FORMAT.md "The Merkle tree"): leaf i is the
  // canonical bytes of event i+1, and the tree of `size` leaves covers events 1..size. Sizes run
  // from 0 (the empty tree) to the head's sequence; a larger one is InvalidArgument. A ledger
  // whose tree a writer has not yet built is Unavailable (tagged "tree.incomplete").
  virtual Result<Hash> tree_root(std::uint64_t size) = 0;
  // The root of the tree of `size` leaves, checked before anyone signs it, given the tree of
  // `known_size` leaves had `known_root` (a checkpoint signed earlier; 0: nothing is known). The
  // stored nodes up to known_size must lead to known_root, and those after it must be what the
  // events known_size+1..size hash to (each read again from its record): so a node altered in
  // the files is never signed. Corruption tagged "tree.fork" if the known tree is not this
  // ledger's (its events or nodes changed since, or it lost events), "tree.damaged" if the
  // nodes after it are not its events'. `progress` is called now and then with (done, total).
  virtual Result<Hash> checked_tree_root(std::uint64_t size, std::uint64_t known_size, const Hash& known_root,
                                         const std::function<void(std::uint64_t, std::uint64_t)>& progress = {}) = 0;
  // RFC 9162 2.1.3.1: the audit path of event `sequence` in the tree of `size` leaves.
  virtual Result<std::vector<Hash>> inclusion_proof(std::uint64_t sequence, std::uint64_t size) = 0;
  // RFC 9162 2.1.4.1: that the tree of size2 extends the tree of size1 (1 <= size1 <= size2).
  virtual Result<std::vector<Hash>> consistency_proof(std::uint64_t size1, std::uint64_t size2) = 0;

  virtual const std::string& path() const = 0;
  // A number no other Ledger object of this process has had, so that what a layer above keeps
  // in memory for one open is never taken for another open of the same path.
  std::uint64_t instance() const { return instance_; }

 private:
  static std::uint64_t next_instance();
  std::uint64_t instance_ = next_instance();

 public:
};

// The canonical bytes of an event (ledger/FORMAT.md): the tree's leaf, and what the chain hashes.
std::string canonical_of(const Event& e);
// Reads canonical bytes back (no payload: its SHA-256 and length): InvalidArgument unless the
// bytes are exactly one event's canonical bytes, with names that are names.
struct Envelope {
  Event event;
  std::uint32_t payload_length = 0;
};
Result<Envelope> envelope_of(std::string_view canonical);

// The current UTC time in microseconds since the epoch.
std::int64_t now_us();

}  // namespace ftl
