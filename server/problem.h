// Errors over HTTP: RFC 9457 problem documents (application/problem+json) carrying the same
// sentence as the CLI prints, the code and tag a client maps back, and a documented status
// per kind (docs/API.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/status.h"

namespace ftl::server {

int http_status(const Status& s);
nlohmann::json problem(const Status& s, int status);
// The server's own words for what the layers below tag (a CLI hint names flags; this one the server).
std::string server_hint(const Status& s);
// A client's reading of a problem document: the Status it stands for.
Status status_from_problem(const nlohmann::json& problem, int http_status);

}  // namespace ftl::server
