// Errors over HTTP: RFC 9457 problem documents (application/problem+json) carrying the same
// sentence as the CLI prints, the code and tag a client maps back, and a documented status
// per kind (docs/API.md).
#pragma once

#include <nlohmann/json.hpp>

#include "ledger/status.h"

namespace ftl::server {

int http_status(const Status& s);
nlohmann::json problem(const Status& s, int status);
// A client's reading of a problem document: the Status it stands for.
Status status_from_problem(const nlohmann::json& problem, int http_status);

}  // namespace ftl::server
