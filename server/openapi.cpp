#include "server/openapi.h"

#include "engine/operations.h"
#include "server/routes.h"

namespace ftl::server {

using nlohmann::json;

json openapi_document() {
  json paths = json::object();
  for (const auto& r : routes()) {
    const auto* op = engine::find_operation(r.op);
    json params = json::array();
    for (std::size_t i = r.path.find('{'); i != std::string::npos; i = r.path.find('{', i + 1)) {
      const auto name = r.path.substr(i + 1, r.path.find('}', i) - i - 1);
      params.push_back({{"name", name}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (r.method != "GET") params.push_back({{"name", "Idempotency-Key"}, {"in", "header"}, {"required", false},
                                             {"description", "Becomes the event id: a retry returns the original result"},
                                             {"schema", {{"type", "string"}}}});
    json responses = {{"200", {{"description", "The operation's document (the same JSON as the CLI's --format json)"},
                               {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}}};
    if (r.method == "POST" && op != nullptr && op->access != engine::Access::kRead)
      responses["201"] = {{"description", "Recorded: the events appended and their sequences"},
                          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    for (const char* code : {"400", "401", "403", "404", "409", "413", "422", "503"})
      responses[code] = {{"$ref", std::string("#/components/responses/Problem")}};
    json operation = {{"operationId", r.op + (r.path.find("{playbook}") != std::string::npos && r.op == "history" ? ".playbook" : "")},
                      {"summary", r.summary},
                      {"parameters", params},
                      {"responses", responses},
                      {"x-ftl-role", op != nullptr ? std::string(engine::access_name(op->access)) : "reader"}};
    if (r.method != "GET")
      operation["requestBody"] = {{"required", false},
                                  {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.path][method] = operation;
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "ftl"}, {"version", "1"},
                    {"description", "A tamper-evident, event-sourced audit ledger for playbook-driven customer engagements (docs/API.md)"}}},
          {"paths", paths},
          {"security", json::array({{{"bearer", json::array()}}})},
          {"components",
           {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"responses",
             {{"Problem",
               {{"description", "An RFC 9457 problem: detail is the sentence the CLI prints, code and tag what went wrong"},
                {"content", {{"application/problem+json", {{"schema", {{"type", "object"}}}}}}}}}}}}}};
}

}  // namespace ftl::server
