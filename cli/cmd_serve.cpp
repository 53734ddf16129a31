// ftl serve, ftl token add|list|revoke: the ledger as a shared service, and who may use it.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/invoke.h"
#include "engine/tokens.h"
#include "server/server.h"

namespace ftl::cli {
namespace {

using nlohmann::json;

int run_serve(server::ServeOptions o) {
  if (remote()) return fail(Status::Usage("serve runs a server on the ledger at --db; it cannot itself go through --server"));
  auto ledger = open_for_writing();
  if (!ledger.ok()) return fail(ledger.status());
  engine::TokenTable tokens;
  if (auto st = tokens.load(**ledger); !st.ok()) return fail(st);
  if (tokens.empty()) warn("no token is in force, so every request will be refused: grant one with `ftl token add NAME --role admin` (with the server stopped)");
  o.snapshot_key_file = snapshot_key_file();
  o.signing_key_file = signing_key_file();
  if (o.signing_key_file.empty()) info("no signing key (--key or FTL_LEDGER_KEY): the server signs no checkpoint, and proofs and bundles answer 400");
  o.on_listening = [](const std::string& url) { std::cout << "listening on " << url << std::endl; };
  if (auto st = server::serve(**ledger, globals().db, o); !st.ok()) return fail(st);
  info("stopped: every acknowledged write is synced");
  return 0;
}

}  // namespace

void setup_serve(CLI::App& app) {
  auto o = std::make_shared<server::ServeOptions>();
  auto* sv = app.add_subcommand("serve", "Serve the ledger at --db over HTTP: every command, with tokens (SIGTERM stops it cleanly)");
  sv->add_option("--key", globals().signing_key, "The key file that signs the checkpoints it serves (else FTL_LEDGER_KEY)");
  sv->add_option("--checkpoint-seconds", o->checkpoint_seconds, "With --key: sign a checkpoint this often while events go in (default 10)");
  sv->add_option("--checkpoint-events", o->checkpoint_events, "With --key: and whenever this many events went in since the last (default 1000)");
  sv->add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free one)");
  sv->add_option("--threads", o->io_threads, "Threads for network I/O (default: one per core)");
  sv->add_option("--workers", o->workers, "Views and admin operations run at once (default 64); recordings hold no worker");
  sv->add_option("--max-body", o->max_body, "Largest request body in bytes (default 1048576; playbook pages may be larger)");
  sv->add_option("--max-connections", o->max_connections, "Connections at once; more are answered 503 (default 1024)");
  sv->add_option("--header-timeout", o->header_timeout_s, "Seconds a client has to send a request's headers (default 10)");
  sv->add_option("--body-timeout", o->body_timeout_s, "Seconds a client has to send a request's body once its headers are in (default 60)");
  sv->add_option("--idle-timeout", o->idle_timeout_s, "Seconds a kept-alive connection may sit idle (default 60)");
  sv->footer("Example:\n  ftl token add ryan --role writer\n  ftl serve --listen 127.0.0.1:8080\n"
             "  FTL_SERVER=http://127.0.0.1:8080 FTL_TOKEN=ftl_... ftl task done contoso 1126");
  sv->callback([o] { exit_code() = run_serve(*o); });

  auto* tk = app.add_subcommand("token", "Bearer tokens for ftl serve: grant, list, revoke (admin)");
  tk->require_subcommand(1);
  struct TokenOpts {
    std::string name, role, reason;
    bool replace = false;
  };
  auto add = std::make_shared<TokenOpts>();
  auto* ta = tk->add_subcommand("add", "Grant NAME a token with a role; the token is printed once and only its hash is kept");
  ta->add_option("name", add->name, "Who holds it: the actor recorded on what they write")->required();
  ta->add_option("--role", add->role, "reader (every view), writer (+ recording) or admin (+ import, rebuild, tokens)")->required();
  ta->add_flag("--replace", add->replace, "NAME holds a token already: replace it (the old one stops working at once)");
  ta->footer("Example:\n  ftl token add ryan --role writer\n  ftl token add audit-team --role reader\n  ftl token add ryan --role writer --replace");
  ta->callback([add] {
    json args = {{"name", add->name}, {"role", add->role}};
    if (add->replace) args["replace"] = true;
    exit_code() = document_command("token.add", args, [](const json& d, Format) {
      std::cout << d["token"].get<std::string>() << "\n";
      info("granted " + d["name"].get<std::string>() + " a token with role " + d["role"].get<std::string>() + " (sequence " +
           std::to_string(d["sequence"].get<std::uint64_t>()) + "); it is shown only now");
    });
  });
  auto* tl = tk->add_subcommand("list", "The tokens in force: name, role, granted when and by whom");
  tl->callback([] {
    exit_code() = list_command("token.list", json::object(),
                               {{"name", "Name"}, {"role", "Role"}, {"granted_at", "Granted"}, {"granted_by", "By"}, {"sequence", "Seq", true}});
  });
  auto rv = std::make_shared<TokenOpts>();
  auto* tr = tk->add_subcommand("revoke", "Revoke NAME's token: it stops working at once");
  tr->add_option("name", rv->name)->required();
  tr->add_option("--reason", rv->reason, "Why");
  tr->footer("Example:\n  ftl token revoke ryan --reason \"left the team\"");
  tr->callback([rv] {
    json args = {{"name", rv->name}};
    if (!rv->reason.empty()) args["reason"] = rv->reason;
    exit_code() = document_command("token.revoke", args, [](const json& d, Format) {
      std::cout << "revoked " << d["name"].get<std::string>() << "'s token (sequence " << d["sequence"] << ")\n";
    });
  });
}

}  // namespace ftl::cli
