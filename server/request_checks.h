// What a request must be before its operation runs: one Host, at most one Authorization and one
// Idempotency-Key (never empty), no transfer coding but chunked; a bearer token in force whose
// role allows the route (checked on the headers, before any body is read); a body that is one
// JSON object, at most 64 levels deep, with no key given twice.
#pragma once

#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "engine/operations.h"
#include "engine/tokens.h"

namespace ftl::server {

using RequestHeader = boost::beast::http::request_header<>;

Status check_header(const RequestHeader& h);
Result<engine::TokenHolder> authorize(const engine::TokenTable& tokens, const RequestHeader& h, const engine::Operation& op);
Result<nlohmann::json> parse_body(const std::string& body);

}  // namespace ftl::server
