// The route table both the server and the CLI's client use: every operation has a route,
// building a request and matching it give back the same operation and arguments, and the
// problem documents carry a status per kind and map back to the same Status.
#include <catch2/catch.hpp>

#include <set>

#include "engine/operations.h"
#include "server/problem.h"
#include "server/routes.h"

using namespace ftl;
using nlohmann::json;

TEST_CASE("every operation has a route and every route an operation", "[routes]") {
  std::set<std::string> routed;
  for (const auto& r : server::routes()) {
    INFO(r.method << " " << r.path);
    CHECK(engine::find_operation(r.op) != nullptr);
    routed.insert(r.op);
  }
  for (const auto& op : engine::operations()) {
    INFO(op.name);
    CHECK(routed.count(op.name) == 1);
  }
}

TEST_CASE("a built request matches back to its operation and arguments, awkward text included", "[routes]") {
  for (const auto& r : server::routes()) {
    json args = json::object();
    for (auto i = r.path.find('{'); i != std::string::npos; i = r.path.find('{', i + 1))
      args[r.path.substr(i + 1, r.path.find('}', i) - i - 1)] = "a b/c?d&e=f%g+h\xc3\xa9";
    args["as_of"] = "2026-11-10T12:00:00Z";
    auto built = server::build(r.op, args);
    INFO(r.method << " " << r.path);
    REQUIRE(built.ok());
    CHECK(built->method == r.method);
    auto m = server::match(built->method, built->target);
    REQUIRE(m.ok());
    CHECK(m->route->op == r.op);
    json back = m->args;
    if (r.method != "GET") back.update(json::parse(built->body));
    CHECK(back == args);
  }
}

TEST_CASE("requests that fit no route are told which way they are wrong", "[routes]") {
  CHECK(server::match("GET", "/v1/nowhere").status().tag() == "http.route");
  CHECK(server::match("PUT", "/v1/engagements").status().tag() == "http.method");
  CHECK(server::match("GET", "/v1/engagements?as_of=%zz").status().tag() == "http.query");
  CHECK(server::match("GET", "/v1/engagements?as_of=1&as_of=2").status().tag() == "http.query");
  CHECK(!server::build("task.done", {{"engagement", "caf\xe9"}, {"task", 1}}).ok());  // not UTF-8
}

TEST_CASE("each kind of error has its documented status and maps back to the same Status", "[routes][problem]") {
  const std::vector<std::pair<Status, int>> cases = {
      {Status::InvalidArgument("no task 9999", "did you mean 1126").tagged("catalog.task"), 422},
      {Status::NotFound("no engagement x"), 404},
      {Status::Conflict("contoso is already open"), 409},
      {Status::Unavailable("locked").tagged("ledger.locked"), 503},
      {Status::IOError("disk"), 503},
      {Status::Corruption("event 5 breaks V5"), 500},
      {Status::Usage("bad"), 400},
      {Status::Unavailable("no token").tagged("auth.missing"), 401},
      {Status::Unavailable("reader").tagged("auth.role"), 403},
      {Status::InvalidArgument("too big").tagged("http.too_large"), 413},
      {Status::Unavailable("busy").tagged("http.busy"), 503},
  };
  for (const auto& [s, want] : cases) {
    INFO(s.message());
    CHECK(server::http_status(s) == want);
    const auto p = server::problem(s, want);
    CHECK(p["status"] == want);
    CHECK(p["detail"] == s.message());
    const auto back = server::status_from_problem(p, want);
    CHECK(back.message() == s.message());
    CHECK(back.tag() == s.tag());
    if (s.code() != Code::kConflict && s.code() != Code::kCorruption && s.code() != Code::kIOError) CHECK(back.hint() == s.hint());
    CHECK(back.code() == s.code());
  }
}
