// Errors are values: a closed set of codes, a message naming the offending value, and an
// optional hint. No exception crosses a layer boundary.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ftl {

// The codes are part of the CLI and HTTP contracts (see to_exit_code); add, never renumber.
enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong (validation, parse errors)
  kNotFound,         // a named thing does not exist
  kConflict,         // expected stream version did not match
  kCorruption,       // stored bytes break a rule of ledger/FORMAT.md (tamper evidence)
  kUnavailable,      // ledger locked, missing or unopenable
  kIOError,          // the disk or RocksDB failed
  kUsage,            // command line misuse
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string msg, std::string hint = {}) {
    return {Code::kInvalidArgument, std::move(msg), std::move(hint)};
  }
  static Status NotFound(std::string msg, std::string hint = {}) {
    return {Code::kNotFound, std::move(msg), std::move(hint)};
  }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg), {}}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg), {}}; }
  static Status Unavailable(std::string msg, std::string hint = {}) {
    return {Code::kUnavailable, std::move(msg), std::move(hint)};
  }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg), {}}; }
  static Status Usage(std::string msg, std::string hint = {}) {
    return {Code::kUsage, std::move(msg), std::move(hint)};
  }

  // A stable name for what went wrong within the code (e.g. "ledger.lost_events"), so that a
  // front can word its own hint; empty when the code says it all.
  Status tagged(std::string tag) && {
    tag_ = std::move(tag);
    return std::move(*this);
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }
  const std::string& tag() const { return tag_; }
  // Ignoring a status on purpose is written out so that it can be found.
  void permit_unchecked() const {}

 private:
  Status(Code c, std::string m, std::string h)
      : code_(c), message_(std::move(m)), hint_(std::move(h)) {}
  Code code_ = Code::kOk;
  std::string message_;
  std::string hint_;
  std::string tag_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status s) : v_(std::move(s)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ftl
