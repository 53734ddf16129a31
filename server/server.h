// `ftl serve`: one process owns the ledger and answers the routes of server/routes.h over
// HTTP/1.1 (Boost.Beast over Boost.Asio), with keep-alive. Network I/O runs on a thread pool
// sized to the cores; each request's operation runs on a pool of workers sized for blocking
// appends, so concurrent appends meet in the ledger's group commit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "ledger/ledger.h"

namespace ftl::server {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  unsigned io_threads = 0;                // 0: one per core
  unsigned workers = 64;                  // operations running at once
  std::size_t max_body = 1 << 20;         // bytes; a route may allow more (playbook pages)
  std::size_t max_header = 16 << 10;      // bytes of request line and headers
  double header_timeout_s = 10;           // to receive a request's headers (slow clients dropped)
  double body_timeout_s = 60;             // to receive its body (once its headers are admitted)
  double idle_timeout_s = 60;             // keep-alive: between requests
  std::size_t max_connections = 1024;     // beyond it: 503 and close
  std::string snapshot_key_file;
  std::string signing_key_file;  // signs the checkpoints it serves (empty: it serves none)
  double checkpoint_seconds = 10;        // with a key: a checkpoint this often while events go in,
  std::uint64_t checkpoint_events = 1000;  // and whenever this many went in since the last
  // Called once, with the address bound ("http://127.0.0.1:8080"), when the server accepts.
  std::function<void(const std::string&)> on_listening;
};

// Serves until SIGTERM or SIGINT: then stops accepting, finishes the requests in flight (each
// acknowledged append is synced), and returns Ok. A listen address that cannot be bound is
// Unavailable naming it.
Status serve(Ledger& ledger, const std::string& db_path, const ServeOptions& options);

// The file a serving process keeps in the ledger directory ("FTL-SERVER": its URL and pid),
// so that a local writer can say which server holds the ledger. Empty when no live server does.
std::string serving_url(const std::string& db_path);

}  // namespace ftl::server
