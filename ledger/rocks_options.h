// How the ledger configures RocksDB: column-family options, database options and the info
// log. Internal: only ledger/*.cpp include this.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <mutex>
#include <string>
#include <vector>

namespace ftl::rocks {

// The ledger's column families in their fixed order (RocksLedger::CfIndex), configured for
// a writer, or for a `lazy` reader that loads table files, indexes and filters on demand.
std::vector<rocksdb::ColumnFamilyDescriptor> descriptors(bool lazy);
std::vector<std::string> column_family_names();

enum class Mode { kWriter, kReader, kLazyReader, kAcceptLoss };
// RocksDB's own info log goes through a WritableFileWriter, and Debian's RocksDB 7.8 is built
// with assertions: once a write to LOG has failed (a full disk), the next message it logs, such
// as the one reporting the failed WAL write, aborts the process. This logger appends with
// write(2) and drops what cannot be written; readers write nothing (fd -1), so they never write
// to the ledger's directory. Either way it keeps the last warnings, which name the file a
// damaged write-ahead log is.
class PlainLogger final : public rocksdb::Logger {
 public:
  explicit PlainLogger(int fd);
  ~PlainLogger() override;
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  // The WAL file named by a "dropping N bytes" warning, if any (RocksDB's words for damage).
  std::string damaged_wal() const;

 private:
  int fd_;
  mutable std::mutex mu_;
  std::vector<std::string> recent_;
};

// Database options for an open of `path` in `mode`. Every mode refuses a write-ahead log that
// cannot be replayed in full (a torn last record of a write that was never acknowledged is
// tolerated), except kAcceptLoss, which replays up to the first damage.
// Its info_log is a PlainLogger.
rocksdb::DBOptions db_options(const std::string& path, Mode mode);

// Table files a process may hold open: bounded by its open-file limit, so a ledger of any
// size opens under `ulimit -n 256`.
int max_open_files();

}  // namespace ftl::rocks
