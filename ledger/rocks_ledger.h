// The RocksDB implementation of Ledger. Internal: only ledger/*.cpp include this.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <unordered_set>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "ledger/format.h"
#include "ledger/head_file.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"

namespace ftl {

class EventIdGenerator;



class RocksLedger final : public Ledger {
 public:
  RocksLedger(std::string path, rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
              const OpenOptions& options);
  ~RocksLedger() override;

  // Opening (ledger/open.cpp): the format marker (written if `fresh`), the head and the last
  // event agree (V10), and the head file's acknowledged append is still here.
  Status load_head(bool may_mark, const std::optional<Digest>& acknowledged, bool accepting_loss);
  Status check_no_hole();
  Status check_acknowledged(const std::optional<Digest>& acknowledged, RecoveryReport* loss);
  Status start_writing();  // the head file; a writer only
  void set_snapshot_key(const Hash& key) {
    std::lock_guard lk(key_mu_);
    snapshot_key_ = key;
  }
  RecoveryReport& recovery_report() { return recovery_; }

  Result<AppendResult> append(AppendRequest request) override;
  void append_async(AppendRequest request, AppendCallback done) override;
  Result<RedactResult> redact(std::uint64_t sequence, const std::string& reason, const std::string& actor,
                              const std::string& event_id) override;
  std::unique_ptr<Cursor> scan(std::uint64_t from) override;
  std::unique_ptr<Cursor> scan_stream(const std::string& stream, std::uint64_t from_version) override;
  std::unique_ptr<Cursor> scan_actor(const std::string& actor, std::uint64_t from) override;
  Status list_streams(const std::string& prefix,
                      const std::function<bool(const std::string&, std::uint64_t)>& fn) override;
  Result<Event> get(std::uint64_t sequence) override;
  Result<Event> get_by_id(const std::string& event_id) override;
  Result<std::uint64_t> stream_version(const std::string& stream) override;
  std::uint64_t stream_count() override;
  Digest head() override;
  LedgerStats stats() override;
  Status write_health() const override;
  Result<VerifyReport> verify(const VerifyOptions& options) override;
  const std::string& path() const override { return path_; }

  rocksdb::DB* db() { return db_; }
  rocksdb::ColumnFamilyHandle* cf(int i) { return cfs_[static_cast<std::size_t>(i)]; }
  Status put_snapshot(const std::string& key, const std::string& bytes) override;
  Result<StoredSnapshot> get_snapshot(const std::string& key) override;
  Status list_snapshots(const std::function<bool(const StoredSnapshot&)>& fn) override;
  Result<std::uint64_t> drop_snapshots() override;
  Status ensure_snapshot_key() override;
  bool has_snapshot_key() const override {
    return key().has_value() || (!options_.read_only && !options_.snapshot_key_file.empty());
  }
  const RecoveryReport& recovery() const override { return recovery_; }
  Result<Hash> tree_root(std::uint64_t size) override;
  Result<Hash> checked_tree_root(std::uint64_t size, std::uint64_t known_size, const Hash& known_root,
                                 const std::function<void(std::uint64_t, std::uint64_t)>& progress) override;
  Result<std::vector<Hash>> inclusion_proof(std::uint64_t sequence, std::uint64_t size) override;
  Result<std::vector<Hash>> consistency_proof(std::uint64_t size1, std::uint64_t size2) override;
  // A writer's open (ledger/tree.cpp): the tree's right edge at the head, read from its stored
  // nodes; a ledger from before the tree gains it first, from its events.
  Status build_tree(const std::function<void(std::uint64_t, std::uint64_t)>& progress);

  enum CfIndex { kMeta = 0, kEvents = 1, kByStream = 2, kByActor = 3, kByEventId = 4, kSnapshots = 5, kTree = 6 };

 private:
  // A request in the queue: a caller waiting in append(), or one handed to append_async().
  // The one at the front of the queue is the appender's: it takes every request queued behind
  // it as one group, writes it, and hands each member its result. A waiting caller sleeps on
  // its own `state` word and is woken alone, never with the whole queue; an async request gets
  // its callback instead, and is freed after it.
  struct Writer {
    const AppendRequest* request = nullptr;
    std::optional<Result<AppendResult>> result;  // written before state becomes kDone
    // kWaiting, then kDone (result set) or kAppender (its turn to append). After storing
    // either, the appender never touches the Writer again: the caller may return at once.
    static constexpr std::uint32_t kWaiting = 0, kDone = 1, kAppender = 2;
    std::atomic<std::uint32_t> state{kWaiting};
    // An async request's own: its request and where its result goes.
    std::unique_ptr<AppendRequest> owned;
    AppendCallback done;
  };
  struct Group;  // the state of one group commit, in rocks_ledger.cpp

  std::vector<Result<AppendResult>> commit_group(const std::vector<Writer*>& group);
  // The appender's turn (ledger/group_commit.cpp), taken by the caller at the front of the
  // queue or, for an async request there, by the commit thread: commits one group, answers
  // every member but the first, and hands the turn on. Returns the first member's result.
  Result<AppendResult> lead(Writer** front);
  void hand_on(Writer* next);  // under queue_mu_: the appender's turn passes to `next`
  void commit_loop();
  static void answer(Writer* w, Result<AppendResult> r);  // an async member: its callback, then freed
  Status stage(Group& g, const AppendRequest& r, AppendResult* out, bool* duplicate);
  // Redaction (ledger/redaction.cpp): what a redacting request must be, and what it writes.
  Status check_redaction(const AppendRequest& r, const std::unordered_set<std::uint64_t>& staged);
  struct PreparedRedaction {
    std::string key, record;             // the record without its payload, with the mark
    std::vector<std::string> snapshots;  // keys to drop
  };
  Result<PreparedRedaction> prepare_redaction(std::uint64_t target);
  Status purge(const std::vector<std::uint64_t>& sequences);
 public:
  Status finish_purges();
  // Redacted events whose old payload may still be in the files (their purge has not finished).
  Result<std::vector<std::uint64_t>> pending_purges(const rocksdb::ReadOptions& ro);  // a writer's open: what a crash left unpurged
 private:
  std::mutex redact_mu_;
  void stage_redaction(rocksdb::WriteBatch& batch, const PreparedRedaction& p, std::uint64_t by);
  // verify: a redacted record's redaction holds (V3), and a redaction's event is redacted by it.
  Status check_redacted(const rocksdb::ReadOptions& ro, std::uint64_t seq, std::uint64_t redacted_by,
                        const char* payload_hash, std::string_view payload);

  Result<Event> read_event(const rocksdb::ReadOptions& ro, std::uint64_t sequence);
  Result<std::uint64_t> sequence_of_id(const std::string& event_id);
  StoredSnapshot unseal(std::string name, std::string_view value) const;
  // The tree (ledger/tree.cpp): a perfect subtree's hash from its stored node, or from the
  // nodes or leaves below it; the number of events the stored nodes cover; what proofs read.
  Result<Hash> subtree(const rocksdb::ReadOptions& ro, unsigned level, std::uint64_t index);
  Result<std::uint64_t> tree_coverage(const rocksdb::ReadOptions& ro);
  Status check_tree_size(std::uint64_t size, const char* what);
  merkle::SubtreeSource tree_source();
  void close();  // a writer's orderly close: see rocks_ledger.cpp

  // verify (ledger/verify.cpp): the fast walk, and the walk that names what the fast one
  // found wrong in an index.
  Result<VerifyReport> verify_whole(const VerifyOptions& options, const rocksdb::ReadOptions& ro, const Digest& meta_head);
  Result<VerifyReport> verify_by_lookup(const VerifyOptions& options, const rocksdb::ReadOptions& ro, const Digest& meta_head);
  Status verify_meta(const rocksdb::ReadOptions& ro, std::uint64_t streams, std::uint64_t events);
  Status check_purge_entry(const rocksdb::ReadOptions& ro, std::string_view key, std::string_view value, std::uint64_t events);
  Status check_digests(const rocksdb::ReadOptions& ro, std::uint64_t last, const std::optional<Digest>& digest);
  Status name_index_mismatch(const rocksdb::ReadOptions& ro, std::uint64_t up_to, bool extras);
  // The tree's part of verify (ledger/verify_tree.cpp): the stored nodes as they are, and, when
  // they differ from what the events call for, the first that is wrong, missing or extra.
  struct TreeScan;
  Status name_tree_mismatch(const rocksdb::ReadOptions& ro, std::uint64_t tree_size);

  std::string path_;
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  OpenOptions options_;

  std::unique_ptr<EventIdGenerator> ids_;  // used by the appender only
  std::optional<HeadFile> head_file_;      // a writer's
  mutable std::mutex key_mu_;  // the key may be made by the first of several snapshot writers
  std::optional<Hash> snapshot_key_;
  std::optional<Hash> key() const {
    std::lock_guard lk(key_mu_);
    return snapshot_key_;
  }
  std::optional<Digest> acknowledged_;  // what the head file said at open
  bool has_head_file_marker_ = false;
  RecoveryReport recovery_;
  // Set by the first failed write; every later write returns it and nothing more reaches the
  // database, not even on close (RocksDB 7.8 asserts when a file writer that failed is used
  // again). Written by the appender only; read under queue_mu_.
  std::optional<Status> poisoned_;
  mutable std::mutex poison_mu_;  // held where poisoned_ is set, and by write_health() on any thread
  // Stream heads: those the appender wrote (it is the only writer, so they are exact), and
  // those of existing streams read from the stream index on a miss, kept only when no group
  // committed while they were read (heads_epoch_ unchanged), so a reader never puts back a head
  // older than one the appender wrote. Cleared when it grows past kMaxCachedHeads. Under heads_mu_.
  static constexpr std::size_t kMaxCachedHeads = 100000;
  std::unordered_map<std::string, std::uint64_t> heads_;
  std::uint64_t heads_epoch_ = 0;  // bumped by each group's update of heads_
  std::mutex heads_mu_;

  // The committed head; written only by the appender thread, read under head_mu_.
  std::mutex head_mu_;
  Digest head_;
  std::int64_t last_recorded_us_ = 0;
  std::uint64_t streams_ = 0;
  merkle::Frontier tree_;  // a writer's: the tree's right edge at head_

  std::atomic<std::uint64_t> syncs_{0};

  std::mutex queue_mu_;
  std::deque<Writer*> queue_;
  std::condition_variable joined_;  // a caller joined the queue
  // The commit thread, started by the first append_async: it takes the appender's turn when an
  // async request is at the front of the queue (async_turn_), and runs their callbacks.
  std::thread committer_;
  std::condition_variable async_turn_cv_;
  bool async_turn_ = false;
  bool stopping_ = false;
  std::size_t last_group_ = 1;      // callers in the last group
  std::int64_t last_write_us_ = 0;  // how long its synced write took
};

}  // namespace ftl
