#include "server/request_checks.h"

#include <set>
#include <strings.h>

namespace ftl::server {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

std::size_t count(const RequestHeader& h, std::string_view name) {
  std::size_t n = 0;
  for (const auto& f : h)
    if (f.name_string().size() == name.size() && ::strncasecmp(f.name_string().data(), name.data(), name.size()) == 0) ++n;
  return n;
}

// Reads the body as SAX events (nlohmann's parser keeps its own stack, so no depth reaches the
// C++ stack) and refuses what a DOM parse would take silently or overflow on.
struct Checker : json::json_sax_t {
  static constexpr std::size_t kMaxDepth = 64;
  std::vector<std::set<std::string>> keys;  // one per open object; empty sets for arrays
  std::string error;
  bool deeper() {
    if (keys.size() >= kMaxDepth) {
      error = "the request body nests deeper than " + std::to_string(kMaxDepth) + " levels";
      return false;
    }
    return true;
  }
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    if (!deeper()) return false;
    keys.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    if (!keys.back().insert(k).second) {
      error = "the request body gives \"" + k.substr(0, 64) + "\" twice in one object";
      return false;
    }
    return true;
  }
  bool end_object() override {
    keys.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    if (!deeper()) return false;
    keys.emplace_back();
    return true;
  }
  bool end_array() override {
    keys.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what = e.what();
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    error = "the request body is not JSON (at byte " + std::to_string(position) + "): " + what;
    return false;
  }
};

}  // namespace

Status check_header(const RequestHeader& h) {
  auto bad = [](std::string msg) { return Status::InvalidArgument(std::move(msg)).tagged("http.header"); };
  if (h.version() == 11 && count(h, "Host") != 1) return bad("an HTTP/1.1 request needs exactly one Host header");
  if (count(h, "Authorization") > 1) return bad("the request has more than one Authorization header");
  if (count(h, "Idempotency-Key") > 1) return bad("the request has more than one Idempotency-Key header");
  if (count(h, "Idempotency-Key") == 1 && h["Idempotency-Key"].empty()) return bad("the Idempotency-Key header is empty");
  if (count(h, "Transfer-Encoding") > 0 && ::strcasecmp(std::string(h[http::field::transfer_encoding]).c_str(), "chunked") != 0)
    return bad("transfer coding '" + std::string(h[http::field::transfer_encoding]).substr(0, 40) + "' is not one this server reads (only chunked)");
  if (count(h, "Expect") > 0 && ::strcasecmp(std::string(h[http::field::expect]).c_str(), "100-continue") != 0)
    return bad("Expect '" + std::string(h[http::field::expect]).substr(0, 40) + "' is not one this server meets");
  return Status::Ok();
}

Result<engine::TokenHolder> authorize(const engine::TokenTable& tokens, const RequestHeader& h, const engine::Operation& op) {
  const std::string auth(h[http::field::authorization]);
  if (auth.empty()) return Status::Unavailable("this request has no bearer token", "send Authorization: Bearer TOKEN").tagged("auth.missing");
  // The scheme is case-insensitive (RFC 9110); the token is not.
  if (auth.size() <= 7 || ::strncasecmp(auth.c_str(), "bearer ", 7) != 0)
    return Status::Unavailable("the Authorization header is not a bearer token").tagged("auth.scheme");
  auto holder = tokens.authenticate(auth.substr(7));
  if (!holder) return Status::Unavailable("the bearer token is not one this server accepts (unknown or revoked)").tagged("auth.token");
  if (static_cast<int>(holder->role) < static_cast<int>(op.access))
    return Status::Unavailable(holder->name + " holds a " + std::string(engine::access_name(holder->role)) + " token, and " + op.name +
                               " needs " + std::string(engine::access_name(op.access)))
        .tagged("auth.role");
  return *holder;
}

Result<json> parse_body(const std::string& body) {
  Checker checker;
  if (!json::sax_parse(body, &checker)) return Status::InvalidArgument(checker.error).tagged("http.body");
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return Status::InvalidArgument("the request body is not a JSON object").tagged("http.body");
  return doc;
}

}  // namespace ftl::server
