// The CLI's client for `ftl serve`: runs an operation through its route (server/routes.h) and
// returns the document, or the Status the server's problem document stands for.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/status.h"

namespace ftl::server {

struct ClientOptions {
  std::string url;    // http://HOST:PORT
  std::string token;  // bearer
  double timeout_s = 600;
};

// An unreachable server is Unavailable naming the URL (tagged "server.unreachable").
Result<nlohmann::json> call(const ClientOptions& options, const std::string& op, const nlohmann::json& args,
                            const std::string& idempotency_key = {});

}  // namespace ftl::server
