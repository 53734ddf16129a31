// The exit codes of `ftl`, as README and `ftl --help` document them: the CLI's own mapping of
// the layers' status codes (a server maps the same codes to HTTP statuses).
#pragma once

#include "ledger/status.h"

namespace ftl {

// The documented exit codes of `ftl` (README, `ftl --help`).
enum class ExitCode : int {
  kOk = 0,
  kUsage = 1,
  kInvalid = 2,
  kConflict = 3,
  kTamper = 4,
  kUnavailable = 5,
};

inline ExitCode to_exit_code(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return ExitCode::kOk;
    case Code::kUsage: return ExitCode::kUsage;
    case Code::kInvalidArgument:
    case Code::kNotFound: return ExitCode::kInvalid;
    case Code::kConflict: return ExitCode::kConflict;
    case Code::kCorruption: return ExitCode::kTamper;
    case Code::kUnavailable:
    case Code::kIOError: return ExitCode::kUnavailable;
  }
  return ExitCode::kUnavailable;
}

}  // namespace ftl
