#include "server/client.h"

#include <boost/asio.hpp>
#include <boost/beast.hpp>

#include "server/problem.h"
#include "server/routes.h"

namespace ftl::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

Result<json> call(const ClientOptions& options, const std::string& op, const json& args, const std::string& idempotency_key) {
  const std::string prefix = "http://";
  if (!options.url.starts_with(prefix))
    return Status::InvalidArgument("server URL '" + options.url + "' does not start with http://").tagged("server.url");
  auto rest = options.url.substr(prefix.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const auto colon = rest.rfind(':');
  const auto host = colon == std::string::npos ? rest : rest.substr(0, colon);
  const auto port = colon == std::string::npos ? std::string("80") : rest.substr(colon + 1);
  if (host.empty() || host.find('/') != std::string::npos || port.empty())
    return Status::InvalidArgument("server URL '" + options.url + "' is not http://HOST:PORT").tagged("server.url");
  auto built = build(op, args);
  if (!built.ok()) return built.status();

  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return Status::Unavailable("cannot resolve " + options.url + ": " + ec.message()).tagged("server.unreachable");
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(endpoints, ec);
  if (ec) return Status::Unavailable("cannot reach the server at " + options.url + ": " + ec.message()).tagged("server.unreachable");

  http::request<http::string_body> req{built->method == "GET"    ? http::verb::get
                                       : built->method == "POST" ? http::verb::post
                                                                 : http::verb::delete_,
                                       built->target, 11};
  req.set(http::field::host, rest);
  req.set(http::field::user_agent, "ftl");
  req.set(http::field::accept, "application/json");
  if (!options.token.empty()) req.set(http::field::authorization, "Bearer " + options.token);
  if (!idempotency_key.empty()) req.set("Idempotency-Key", idempotency_key);
  if (built->method != "GET") {
    req.set(http::field::content_type, "application/json");
    req.body() = built->body;
  }
  req.prepare_payload();
  stream.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(options.timeout_s)));
  http::write(stream, req, ec);
  if (ec) return Status::Unavailable("cannot send to the server at " + options.url + ": " + ec.message()).tagged("server.unreachable");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{4} << 30);
  http::read(stream, buffer, parser, ec);
  if (ec)
    return Status::Unavailable("the server at " + options.url + " did not answer in full: " + ec.message()).tagged("server.unreachable");
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  const auto& res = parser.get();
  const int status = static_cast<int>(res.result_int());
  auto body = json::parse(res.body(), nullptr, false);
  if (status >= 200 && status < 300) {
    if (body.is_discarded()) return Status::Unavailable("the server at " + options.url + " answered with a body that is not JSON");
    return body;
  }
  return status_from_problem(body.is_discarded() ? json::object() : body, status);
}

}  // namespace ftl::server
