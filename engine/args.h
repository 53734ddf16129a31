// Reading an operation's arguments: a JSON object of named fields, from a CLI command's options
// or an HTTP request's path, query and body alike. Query strings send every value as text, so
// a number or a flag may also come as its decimal or "true"/"false" text. The first field that
// is wrong is kept as the error and named; a field the operation does not read is refused.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace ftl::engine {

class Args {
 public:
  Args(const nlohmann::json& args, std::string operation);

  // Text (checked: UTF-8, no control characters). Absent: "" (or an error if required).
  std::string text(const std::string& key, bool required = false);
  // Present or not, for changes that only touch what was given.
  std::optional<std::string> maybe_text(const std::string& key);
  std::uint64_t number(const std::string& key, std::uint64_t max, bool required = false, std::uint64_t fallback = 0);
  bool flag(const std::string& key);
  // A time in any form schema::parse_time reads. Absent: nullopt.
  std::optional<std::int64_t> time(const std::string& key);
  // An array of strings, or one string of names separated by ',' or '/'.
  std::optional<std::vector<std::string>> names(const std::string& key);
  bool has(const std::string& key) const;
  const nlohmann::json& raw(const std::string& key);

  // Ok, or the first wrong field; also refuses fields that were never read (an "actor" above
  // all: who writes is the caller's identity, never an argument).
  Status done() const;

 private:
  const nlohmann::json* get(const std::string& key);
  void fail(Status s);
  const nlohmann::json& args_;
  std::string op_;
  std::set<std::string> read_;
  Status error_;
};

}  // namespace ftl::engine
