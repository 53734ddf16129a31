// Helpers shared by the tests: a temporary directory that cleans up after itself, file
// reading, and a ledger opened in it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace ftl::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);
std::string data_path(const std::string& relative);  // under tests/data
std::string example_playbook();                      // examples/playbooks/enable-services.md

// Opens a ledger, with its snapshot key in `path`.snapshot-key unless the options name one;
// throws if it does not open.
std::unique_ptr<Ledger> open_ledger(const std::string& path, OpenOptions options = {});
// Appends n events, one a request, over streams test/0..test/2, with ids and payloads made of
// `prefix` and their number (REQUIREs success).
void append_events(Ledger& ledger, int n, const std::string& prefix);
// Imports examples/playbooks/enable-services.md as "admin" (REQUIREs success).
void import_example(Ledger& ledger);

// A ledger's RocksDB opened directly, with the ledger closed: for tests that damage or forge
// what an attacker with write access to the files could.
struct RawLedger {
  enum Cf { kDefault, kEvents, kByStream, kByActor, kByEventId, kSnapshots, kTree };
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> cf;  // indexed by Cf
  explicit RawLedger(const std::string& path);
  ~RawLedger();
  RawLedger(const RawLedger&) = delete;
  RawLedger& operator=(const RawLedger&) = delete;
  Event get(std::uint64_t seq);                   // REQUIREs it is there and decodes
  void put(std::uint64_t seq, const Event& e);    // stores `e` as is: the caller fixes hashes or not
};

}  // namespace ftl::test
