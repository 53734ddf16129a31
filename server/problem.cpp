#include "server/problem.h"

namespace ftl::server {

using nlohmann::json;

namespace {
const char* code_name(Code c) {
  switch (c) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kConflict: return "conflict";
    case Code::kCorruption: return "corruption";
    case Code::kUnavailable: return "unavailable";
    case Code::kIOError: return "io_error";
    case Code::kUsage: return "usage";
  }
  return "unavailable";
}

const char* title(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 500: return "Ledger Failed Verification";
    case 503: return "Service Unavailable";
  }
  return "Error";
}
}  // namespace

int http_status(const Status& s) {
  const auto& tag = s.tag();
  if (tag == "http.method") return 405;
  if (tag == "http.route") return 404;
  if (tag == "http.busy") return 503;
  if (tag == "http.timeout") return 408;
  if (tag == "http.too_large") return 413;
  if (tag.starts_with("http.")) return 400;
  if (tag.starts_with("auth.")) return tag == "auth.role" ? 403 : 401;
  switch (s.code()) {
    case Code::kOk: return 200;
    case Code::kUsage: return 400;
    case Code::kInvalidArgument: return 422;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kCorruption: return 500;
    case Code::kUnavailable:
    case Code::kIOError: return 503;
  }
  return 503;
}

json problem(const Status& s, int status) {
  // The kind: the status's code, except for who may call (the code stays what clients map).
  const std::string kind = status == 401 ? "unauthenticated" : status == 403 ? "permission_denied" : code_name(s.code());
  json p = {{"type", "https://ftl.invalid/problems/" + kind},
            {"title", title(status)},
            {"status", status},
            {"detail", s.message()},
            {"code", code_name(s.code())}};
  if (const auto hint = server_hint(s); !hint.empty()) p["hint"] = hint;
  if (!s.tag().empty()) p["tag"] = s.tag();
  return p;
}

std::string server_hint(const Status& s) {
  if (s.tag() == "ledger.disk_full" || s.tag() == "ledger.write_failed")
    return "after a failed write this server records nothing more: free space on that disk (or fix it), then restart ftl serve";
  return s.hint();
}

Status status_from_problem(const json& p, int http_status) {
  const auto text = [&](const char* k) { return p.is_object() && p.contains(k) && p[k].is_string() ? p[k].get<std::string>() : ""; };
  const auto code = text("code");
  auto detail = text("detail");
  if (detail.empty()) detail = "the server answered " + std::to_string(http_status) + " " + title(http_status);
  const auto hint = text("hint");
  Status s = code == "invalid_argument" ? Status::InvalidArgument(detail, hint)
             : code == "not_found"      ? Status::NotFound(detail, hint)
             : code == "conflict"       ? Status::Conflict(detail)
             : code == "corruption"     ? Status::Corruption(detail)
             : code == "usage"          ? Status::Usage(detail, hint)
             : code == "io_error"       ? Status::IOError(detail)
             : code == "unavailable"    ? Status::Unavailable(detail, hint)
             : http_status == 401 || http_status == 403 || http_status == 413 || http_status == 400
                 ? Status::InvalidArgument(detail, hint)
                 : Status::Unavailable(detail, hint);
  if (auto tag = text("tag"); !tag.empty()) return std::move(s).tagged(tag);
  return s;
}

}  // namespace ftl::server
