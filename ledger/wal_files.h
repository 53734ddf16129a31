// The write-ahead logs of a ledger directory, as an open names them in what it reports. Internal.
#pragma once

#include <string>
#include <vector>

namespace ftl {

std::vector<std::string> wal_files(const std::string& path);  // *.log, sorted
std::string join(const std::vector<std::string>& names);     // "a, b"
// "its write-ahead log 000123.log is missing, cut short or damaged"
std::string wal_clause(const std::vector<std::string>& wals);

}  // namespace ftl
