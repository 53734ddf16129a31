// The HTTP routes of `ftl serve`, one per operation (engine/operations.h): a method and a path
// whose {placeholders} are arguments. GET takes the other arguments from the query string, POST
// and DELETE from a JSON object body. The server matches requests with this table and the
// CLI's client builds them with it, so the two cannot drift apart. Plain data: no HTTP library.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace ftl::server {

struct Route {
  std::string method;  // GET, POST or DELETE
  std::string path;    // "/v1/engagements/{engagement}/tasks/{task}/done"
  std::string op;      // "task.done"
  std::string summary;
  std::size_t max_body = 1 << 20;  // bytes
};

const std::vector<Route>& routes();

struct Matched {
  const Route* route = nullptr;
  nlohmann::json args = nlohmann::json::object();  // from the path (and, for GET, the query)
};
// The route for a request target ("/v1/engagements/contoso?as_of=2026-11-10"), with its path
// and query arguments decoded. NotFound if no path matches; InvalidArgument tagged
// "http.method" if the path matches only for other methods.
Result<Matched> match(std::string_view method, std::string_view target);

// The methods a path has, for a 405's Allow header ("GET, POST"); empty if none.
std::string allowed_methods(std::string_view target);

struct Built {
  std::string method;
  std::string target;  // path and query, percent-encoded
  std::string body;    // JSON, empty for GET
};
// The request for running `op` with `args` (the reverse of match()).
Result<Built> build(const std::string& op, const nlohmann::json& args);

std::string percent_encode(std::string_view s);
std::optional<std::string> percent_decode(std::string_view s);

}  // namespace ftl::server
