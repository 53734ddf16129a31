// The head file (ledger/FORMAT.md "The head file"): the last append the ledger acknowledged,
// kept beside RocksDB so that an open can tell a ledger that lost acknowledged events (a
// write-ahead log deleted, cut or damaged) from one that never had them. Internal.
#pragma once

#include <optional>
#include <string>

#include "ledger/ledger.h"

namespace ftl {

class HeadFile {
 public:
  // What the file in `dir` says; nullopt if there is none. Unavailable if it is there but not a
  // head file (damaged: a recovery may accept that).
  static Result<std::optional<Digest>> read(const std::string& dir);

  // A writer's handle: creates the file if missing, whole (written aside, synced, renamed into
  // place), so that a reader never sees one half made. One per writer.
  static Result<HeadFile> open(const std::string& dir, const Digest& initial);
  HeadFile(HeadFile&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  HeadFile& operator=(HeadFile&&) = delete;
  ~HeadFile();

  // Called after each synced group with its head. Not synced: it is written after the WAL's
  // sync, so whatever reaches the disk names events that are already durable; a crash can only
  // leave it behind, never ahead. A failure leaves the check one append behind, so it is
  // reported but not the append's failure.
  Status write(const Digest& d);
  Status sync();  // on close

 private:
  explicit HeadFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ftl
