// Running an operation (engine/operations.h) for a command: here, on the ledger at --db opened
// as the operation needs it, or through `ftl serve` when --server (FTL_SERVER) is given. Both
// ways return the same document, so every command prints the same either way.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger/status.h"

namespace ftl::cli {

using RowSink = std::function<Status(const nlohmann::json&)>;

// With a sink, a listing's rows go to it one by one (as they are read, locally) and the
// document comes back without them.
Result<nlohmann::json> invoke(const std::string& op, const nlohmann::json& args, const RowSink& sink = {});

// Whether commands go through a server.
bool remote();

}  // namespace ftl::cli
