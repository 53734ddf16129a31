#include "server/server.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/checkpoint.h"
#include "engine/checkpoint_keeper.h"
#include "engine/operations.h"
#include "engine/tokens.h"
#include "server/openapi.h"
#include "server/problem.h"
#include "server/request_checks.h"
#include "server/routes.h"
#include "server/view_cache.h"

namespace ftl::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr const char* kServerFile = "FTL-SERVER";
constexpr std::uint64_t kLogPage = 1000;  // events in one answer of GET /v1/log

struct Shared {
  Ledger& ledger;
  const ServeOptions& options;
  engine::TokenTable tokens;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::int64_t> in_flight{0};  // requests read whose answers are not yet sent
  std::atomic<bool> stopping{false};
  ViewCache views;
  std::unique_ptr<engine::CheckpointKeeper> checkpoints;  // with a signing key
  // One io_context per network thread: a connection lives on one thread, from its accept to its
  // close, and so needs no strand; what follows its appends' sync is handed back to it there.
  std::vector<std::unique_ptr<asio::io_context>> network;
  std::atomic<std::size_t> next_network{0};
  asio::io_context& pick_network() { return *network[next_network++ % network.size()]; }
  asio::thread_pool workers;  // last: destroyed first, while what its leftover handlers touch still is
  Shared(Ledger& l, const ServeOptions& o) : ledger(l), options(o), workers(o.workers == 0 ? 64 : o.workers) {}
};

using Response = http::response<http::string_body>;
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Stream = beast::basic_stream<tcp, Executor>;
using Timer = asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Executor>;

Response json_response(int status, const json& body, unsigned version, bool keep_alive, const char* type = "application/json") {
  Response res{static_cast<http::status>(status), version};
  res.set(http::field::server, "ftl");
  res.set(http::field::content_type, type);
  res.keep_alive(keep_alive);
  res.body() = document_bytes(body);
  res.prepare_payload();
  return res;
}

Response kept_response(const KeptView& kept, unsigned version, bool keep_alive) {
  Response res{kept.not_modified ? http::status::not_modified : http::status::ok, version};
  res.set(http::field::server, "ftl");
  if (!kept.etag.empty()) res.set(http::field::etag, kept.etag);
  if (!kept.not_modified) {
    res.set(http::field::content_type, "application/json");
    res.body() = *kept.body;
  }
  res.keep_alive(keep_alive);
  if (!kept.not_modified) res.prepare_payload();
  return res;
}

Response problem_response(const Status& s, unsigned version, bool keep_alive, int status = 0) {
  if (status == 0) status = http_status(s);
  auto res = json_response(status, problem(s, status), version, keep_alive, "application/problem+json");
  if (status == 401) res.set(http::field::www_authenticate, "Bearer realm=\"ftl\"");
  return res;
}

// The route and, for an operation, the caller: decided on the headers, before any body is read.
struct Admitted {
  const engine::Operation* op = nullptr;  // nullptr: openapi or health
  Matched matched;
  engine::TokenHolder holder;
};

Result<Admitted> admit(Shared& shared, const RequestHeader& h) {
  if (auto st = check_header(h); !st.ok()) return st;
  const std::string target(h.target());
  const std::string method(h.method_string());
  Admitted a;
  if (method == "GET" && (target == "/v1/openapi.json" || target == "/v1/health")) return a;
  auto matched = match(method, target);
  if (!matched.ok()) return matched.status();
  a.matched = std::move(*matched);
  a.op = engine::find_operation(a.matched.route->op);
  if (a.op == nullptr) return Status::NotFound("no operation " + a.matched.route->op).tagged("http.route");
  auto holder = authorize(shared.tokens, h, *a.op);
  if (!holder.ok()) return holder.status();
  a.holder = std::move(*holder);
  return a;
}

// The arguments of an operation: the path's, and the body's, which must not differ from them.
Result<json> request_args(const Admitted& a, const http::request<http::string_body>& req) {
  json args = a.matched.args;
  if (req.method() != http::verb::get && !req.body().empty()) {
    auto body = parse_body(req.body());
    if (!body.ok()) return body.status();
    for (auto& [k, val] : body->items()) {
      if (args.contains(k) && args[k] != val)
        return Status::InvalidArgument(k + " is in the path and, differently, in the body").tagged("http.body");
      args[k] = val;
    }
  }
  if (a.op != nullptr && a.op->name == "log") {
    // One page of the raw log at most: an answer is built whole in memory (a client pages on
    // with next_from, as the CLI does). A limit that is not a number is left to be refused.
    std::uint64_t limit = 0;
    bool number = true;
    if (args.contains("limit")) {
      const auto& l = args["limit"];
      if (l.is_number_unsigned()) limit = l.get<std::uint64_t>();
      else if (l.is_string()) {
        const auto s = l.get<std::string>();
        number = !s.empty() && std::from_chars(s.data(), s.data() + s.size(), limit).ptr == s.data() + s.size();
      } else number = false;
    }
    if (number && (limit == 0 || limit > kLogPage)) args["limit"] = kLogPage;
  }
  return args;
}

engine::Call make_call(Shared& shared, const Admitted& a, const http::request<http::string_body>& req) {
  return engine::Call{shared.ledger, a.holder.name, std::string(req["Idempotency-Key"]), {}, {}, shared.options.snapshot_key_file,
                      shared.options.signing_key_file, shared.checkpoints.get(), {}, {}};
}

// The answer to an operation that ran.
Response answer(Shared& shared, const Admitted& a, http::verb method, const Result<json>& out, unsigned v, bool ka) {
  if (!out.ok()) return problem_response(out.status(), v, ka);
  if (a.op->name.starts_with("token.")) {
    // Grants and revocations take effect at once.
    if (auto st = shared.tokens.load(shared.ledger); !st.ok()) return problem_response(st, v, ka);
  }
  const bool created = a.op->access != engine::Access::kRead && method == http::verb::post && out->contains("first_sequence") &&
                       (*out)["events"].is_number() && (*out)["events"].get<std::uint64_t>() > 0 && !(*out).value("duplicate", false);
  return json_response(created ? 201 : 200, *out, v, ka);
}

// What an admitted request does, once its body is read: run on a worker, never on an I/O thread.
Response handle(Shared& shared, const Admitted& a, const http::request<http::string_body>& req) {
  const unsigned v = req.version();
  const bool ka = req.keep_alive();
  const std::string target(req.target());
  if (a.op == nullptr) {
    if (target == "/v1/health") {
      // Not ok (503) once a write failed: this server records nothing more until it is restarted.
      const auto writable = shared.ledger.write_health();
      json health = {{"ok", writable.ok()},
                     {"writable", writable.ok()},
                     {"sequence", shared.ledger.head().sequence},
                     {"connections", shared.connections.load()}};
      if (!writable.ok()) {
        health["error"] = writable.message();
        health["hint"] = server_hint(writable);
      }
      if (shared.checkpoints) {
        const auto kept = shared.checkpoints->latest();
        health["checkpoint"] = {{"size", kept.size}, {"error", shared.checkpoints->last_error()}};
      }
      return json_response(writable.ok() ? 200 : 503, health, v, ka);
    }
    return json_response(200, openapi_document(), v, ka);
  }
  auto args = request_args(a, req);
  if (!args.ok()) return problem_response(args.status(), v, ka);
  auto call = make_call(shared, a, req);
  if (req.method() == http::verb::get) {
    auto kept = shared.views.serve(call, *a.op, *args, target, req[http::field::if_none_match]);
    if (!kept.ok()) return problem_response(kept.status(), v, ka);
    if (*kept) return kept_response(**kept, v, ka);
  }
  return answer(shared, a, req.method(), engine::run_operation(call, a.op->name, *args), v, ka);
}

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, Shared& shared) : stream_(std::move(socket)), shared_(shared) {}
  ~Session() { --shared_.connections; }

  // On the connection's own thread, where everything it does runs.
  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header));
    parser_->body_limit(shared_.options.max_body);
    arm_read_timer(first_ ? shared_.options.header_timeout_s : shared_.options.idle_timeout_s);
    first_ = false;
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return fail_read(ec);
    disarm_read_timer();
    const auto& h = parser_->get();
    if (shared_.stopping)
      return send(problem_response(Status::Unavailable("the server is stopping").tagged("http.busy"), h.version(), false));
    if (h.method() == http::verb::head || h.method() == http::verb::options) {
      // No body is ever read or sent here; the connection closes, so nothing is misread after.
      Response res{http::status::method_not_allowed, h.version()};
      res.set(http::field::allow, allowed_methods(std::string(h.target())));
      res.keep_alive(false);
      res.content_length(0);
      return send(std::move(res), /*head=*/true);
    }
    auto admitted = admit(shared_, h);
    if (!admitted.ok()) {
      // Refused on its headers: its body is never read, so the connection closes after the answer.
      auto res = problem_response(admitted.status(), h.version(), false);
      if (admitted.status().tag() == "http.method") res.set(http::field::allow, allowed_methods(std::string(h.target())));
      return send(std::move(res));
    }
    admitted_ = std::move(*admitted);
    // The route decides how large a body may be (playbook pages are larger than a note).
    if (admitted_.op != nullptr) parser_->body_limit(std::max(shared_.options.max_body, admitted_.matched.route->max_body));
    arm_read_timer(shared_.options.body_timeout_s);
    if (beast::iequals(h[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, h.version());
      return http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
        if (e) return self->close();
        http::async_read(self->stream_, self->buffer_, *self->parser_, beast::bind_front_handler(&Session::on_read, self));
      });
    }
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  // A read's deadline. The stream's own timeout would close the socket, and leave no way to
  // tell a client that had begun a request why: this one cancels the read, so a 408 can go out.
  void arm_read_timer(double s) {
    stream_.expires_never();
    timed_out_ = false;
    read_timer_.expires_after(seconds(s));
    read_timer_.async_wait([self = shared_from_this(), gen = ++read_gen_](beast::error_code ec) {
      if (ec || gen != self->read_gen_) return;  // cancelled, or a deadline since replaced
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }
  void disarm_read_timer() {
    ++read_gen_;
    read_timer_.cancel();
  }

  void fail_read(beast::error_code ec) {
    disarm_read_timer();
    if (ec == asio::error::operation_aborted && timed_out_) ec = beast::error::timeout;
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) return close();
    if (ec == beast::error::timeout) {
      // A client that sends too slowly (or not at all) is dropped; it is told if it started a request.
      if (parser_ && parser_->got_some())
        return send(problem_response(Status::Unavailable("the request did not arrive in time").tagged("http.timeout"), 11, false, 408));
      return close();
    }
    if (ec == http::error::body_limit)
      return send(problem_response(Status::InvalidArgument("the request body is larger than this route accepts").tagged("http.too_large"), 11, false, 413));
    if (ec == http::error::header_limit)
      return send(problem_response(Status::InvalidArgument("the request headers are larger than " + std::to_string(shared_.options.max_header) + " bytes").tagged("http.too_large"), 11, false, 413));
    return send(problem_response(Status::InvalidArgument("the request is not HTTP/1.1 this server reads: " + ec.message()).tagged("http.malformed"), 11, false, 400));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return fail_read(ec);
    disarm_read_timer();
    ++shared_.in_flight;
    auto self = shared_from_this();
    if (admitted_.op != nullptr && admitted_.op->run_async && parser_->get().method() == http::verb::post) return record();
    asio::post(shared_.workers, [self] {
      Response res;
      try {
        res = handle(self->shared_, self->admitted_, self->parser_->get());
      } catch (const std::bad_alloc&) {
        res = problem_response(Status::Unavailable("the server ran out of memory for this request; nothing more was written"), 11, false);
      } catch (const std::exception& e) {
        res = problem_response(Status::InvalidArgument(std::string("the request could not be read: ") + e.what()).tagged("http.malformed"), 11, false);
      }
      asio::post(self->stream_.get_executor(), [self, r = std::move(res)]() mutable { self->send(std::move(r), false, true); });
    });
  }

  // A recording: decided here, on the network thread, and answered when its append is synced;
  // no thread waits for the sync meanwhile (engine::execute_async).
  void record() {
    const auto& req = parser_->get();
    const unsigned v = req.version();
    const bool ka = req.keep_alive();
    // On this connection's thread (where the answer is usually made): sent at once.
    auto reply = [self = shared_from_this()](Response res) {
      asio::dispatch(self->stream_.get_executor(), [self, r = std::move(res)]() mutable { self->send(std::move(r), false, true); });
    };
    try {
      auto args = request_args(admitted_, req);
      if (!args.ok()) return reply(problem_response(args.status(), v, ka));
      auto call = make_call(shared_, admitted_, req);
      call.post = [ex = stream_.get_executor()](std::function<void()> f) { asio::post(ex, std::move(f)); };
      call.background = [&workers = shared_.workers](std::function<void()> f) { asio::post(workers, std::move(f)); };
      engine::run_operation_async(call, admitted_.op->name, *args, [self = shared_from_this(), reply, v, ka](Result<json> out) {
        reply(answer(self->shared_, self->admitted_, http::verb::post, out, v, ka));
      });
    } catch (const std::exception& e) {
      reply(problem_response(Status::Unavailable(std::string("the request could not be run: ") + e.what() + "; nothing was written"), 11, false));
    }
  }

  // `counted`: the answer to a request in flight (the drain at shutdown waits for these).
  void send(Response res, bool head = false, bool counted = false) {
    if (shared_.stopping) res.keep_alive(false);
    auto sp = std::make_shared<Response>(std::move(res));
    stream_.expires_after(std::chrono::seconds(30));
    auto done = [self = shared_from_this(), sp, counted](beast::error_code ec, std::size_t) {
      if (counted) --self->shared_.in_flight;
      if (ec) return self->close();
      if (!sp->keep_alive()) return self->linger();
      self->read();
    };
    if (head) {
      auto sr = std::make_shared<http::response_serializer<http::string_body>>(*sp);
      return http::async_write_header(stream_, *sr, [sr, done](beast::error_code ec, std::size_t n) { done(ec, n); });
    }
    http::async_write(stream_, *sp, done);
  }

  void close() {
    disarm_read_timer();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  // After an answer that ends the connection, what the client still sends (a body refused on
  // its headers) is read and dropped for a moment before closing: closing with unread bytes
  // would reset the connection, and the client might never read the answer.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return stream_.close();
    scratch_.resize(64 << 10);
    drain(0);
  }
  void drain(std::size_t dropped) {
    if (dropped > (8u << 20)) return stream_.close();
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this(), dropped](beast::error_code ec, std::size_t n) {
      if (ec) return self->stream_.close();
      self->drain(dropped + n);
    });
  }

  Stream stream_;
  Timer read_timer_{stream_.get_executor()};
  std::uint64_t read_gen_ = 0;  // which deadline is current
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Admitted admitted_;
  std::vector<char> scratch_;
  Shared& shared_;
  bool first_ = true;
};

void accept(tcp::acceptor& acceptor, Shared& shared) {
  acceptor.async_accept(shared.pick_network(), [&acceptor, &shared](beast::error_code ec, Socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    } else if (shared.connections.load() >= shared.options.max_connections) {
      // Over the cap: told at once and closed, so everyone already connected keeps being served.
      auto res = problem_response(Status::Unavailable("the server is at its connection limit of " +
                                                      std::to_string(shared.options.max_connections))
                                      .tagged("http.busy"),
                                  11, false);
      auto sp = std::make_shared<Response>(std::move(res));
      auto sock = std::make_shared<Socket>(std::move(socket));
      http::async_write(*sock, *sp, [sp, sock](beast::error_code, std::size_t) {
        beast::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_both, ignored);
      });
    } else {
      ++shared.connections;
      std::make_shared<Session>(std::move(socket), shared)->start();
    }
    accept(acceptor, shared);
  });
}

}  // namespace

std::string serving_url(const std::string& db_path) {
  std::ifstream in(std::filesystem::path(db_path) / kServerFile);
  if (!in) return "";
  std::string url, path;
  long pid = 0;
  in >> url >> pid;
  std::getline(in >> std::ws, path);
  // A copy of the directory carries the file too: it counts only for the directory it names.
  std::error_code ec;
  const auto here = std::filesystem::weakly_canonical(db_path, ec).string();
  if (url.empty() || pid <= 0 || path != here || ::kill(static_cast<pid_t>(pid), 0) != 0) return "";
  return url + " (pid " + std::to_string(pid) + ")";
}

Status serve(Ledger& ledger, const std::string& db_path, const ServeOptions& options) {
  Shared shared(ledger, options);
  if (auto st = shared.tokens.load(ledger); !st.ok()) return st;
  if (!options.signing_key_file.empty()) {
    // A key that cannot be read stops the start: a server that was meant to sign must not serve unsigned.
    auto key = engine::read_signer_file(options.signing_key_file, db_path);
    if (!key.ok()) return key.status();
    auto keeper = engine::CheckpointKeeper::Start(ledger, std::move(*key), {options.checkpoint_seconds, options.checkpoint_events,
                                                                           [](const std::string& why) {
                                                                             std::cerr << "ftl serve: no new checkpoint is signed: " << why
                                                                                       << " (the last one signed is still served)\n";
                                                                           }});
    if (!keeper.ok()) return keeper.status();
    shared.checkpoints = std::move(*keeper);
  }
  const auto colon = options.listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("listen address '" + options.listen + "' is not HOST:PORT").tagged("serve.listen");
  beast::error_code ec;
  const auto address = asio::ip::make_address(options.listen.substr(0, colon), ec);
  if (ec) return Status::InvalidArgument("listen address '" + options.listen + "' does not start with an IP address").tagged("serve.listen");
  unsigned long port = 0;
  try {
    port = std::stoul(options.listen.substr(colon + 1));
  } catch (...) {
    port = 70000;
  }
  if (port > 65535) return Status::InvalidArgument("listen address '" + options.listen + "' has no port from 0 to 65535").tagged("serve.listen");

  const unsigned threads = options.io_threads != 0 ? options.io_threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) shared.network.push_back(std::make_unique<asio::io_context>(1));
  asio::io_context& ioc = *shared.network.front();  // also accepts, and takes the signals
  tcp::acceptor acceptor(ioc);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on " + options.listen + ": " + ec.message()).tagged("serve.bind");
  const auto bound = acceptor.local_endpoint();
  const std::string url = "http://" + bound.address().to_string() + ":" + std::to_string(bound.port());

  const auto server_file = std::filesystem::path(db_path) / kServerFile;
  {
    std::ofstream out(server_file, std::ios::trunc);
    std::error_code canon;
    out << url << " " << ::getpid() << " " << std::filesystem::weakly_canonical(db_path, canon).string() << "\n";
    if (!out) return Status::Unavailable("cannot write " + server_file.string());
  }

  // The network threads run until the stop below, even while every connection is idle or its
  // request is with a worker (a worker's answer is handed back to them).
  std::vector<asio::executor_work_guard<Executor>> keep_running;
  for (auto& io : shared.network) keep_running.push_back(asio::make_work_guard(*io));
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::thread stopper;
  signals.async_wait([&](beast::error_code ec, int) {
    if (ec) return;
    // Stop accepting; requests in flight finish (their appends are synced before they answer).
    shared.stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    stopper = std::thread([&shared] {
      // Every request already read runs and is answered (its append synced first); requests that
      // arrive now are told the server is stopping. Then the idle connections are closed.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      while (shared.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      shared.workers.join();
      for (auto& io : shared.network) io->stop();
    });
  });

  accept(acceptor, shared);
  if (options.on_listening) options.on_listening(url);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([io = shared.network[i].get()] { io->run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  if (stopper.joinable()) stopper.join();
  std::error_code rm;
  std::filesystem::remove(server_file, rm);
  return Status::Ok();
}

}  // namespace ftl::server
