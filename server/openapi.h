// The OpenAPI 3 document `ftl serve` serves at /v1/openapi.json, built from the route table
// itself (server/routes.h), so that it lists exactly what the server answers.
#pragma once

#include <nlohmann/json.hpp>

namespace ftl::server {

nlohmann::json openapi_document();

}  // namespace ftl::server
