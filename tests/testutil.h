// Helpers shared by the tests: a temporary directory that cleans up after itself, file
// reading, and a ledger opened in it.
#pragma once

#include <memory>
#include <string>

#include "ledger/ledger.h"

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

std::unique_ptr<Ledger> open_ledger(const std::string& path, OpenOptions options = {});
// Imports examples/playbooks/enable-services.md as "admin" (REQUIREs success).
void import_example(Ledger& ledger);

}  // namespace ftl::test
