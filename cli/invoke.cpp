#include "cli/invoke.h"

#include <openssl/rand.h>

#include <memory>

#include "cli/context.h"
#include "cli/progress.h"
#include "engine/operations.h"
#include "server/client.h"

namespace ftl::cli {

using nlohmann::json;

bool remote() { return !globals().server.empty(); }

namespace {

// Each command sent to a server carries a key of its own (a random UUID, version 4), so that a
// retry is recorded once; it becomes the event id.
std::string new_idempotency_key() {
  unsigned char r[16];
  if (RAND_bytes(r, sizeof r) != 1) return "";
  r[6] = static_cast<unsigned char>((r[6] & 0x0f) | 0x40);
  r[8] = static_cast<unsigned char>((r[8] & 0x3f) | 0x80);
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[r[i] >> 4]);
    s.push_back(kHex[r[i] & 15]);
  }
  return s;
}

Result<json> invoke_remote(const std::string& op, const json& args, const RowSink& sink) {
  if (!globals().actor.empty())
    return Status::Usage("--as cannot be used with --server: the server records the name its token was granted to",
                         "drop --as; each person uses a token of their own");
  server::ClientOptions o{globals().server, globals().token};
  const auto* operation = engine::find_operation(op);
  const bool writes = operation != nullptr && operation->access != engine::Access::kRead && operation->appends;
  const auto key = writes ? new_idempotency_key() : std::string();
  auto out = server::call(o, op, args, key);
  // A write whose answer was lost on the way is sent again, once, with the same key: the
  // server records it at most once.
  if (!out.ok() && writes && out.status().tag() == "server.unreachable" &&
      out.status().message().find("did not answer") != std::string::npos)
    out = server::call(o, op, args, key);
  if (!out.ok() || !sink || !out->contains("rows")) return out;
  for (auto& row : (*out)["rows"])
    if (auto st = sink(row); !st.ok()) return st;
  out->erase("rows");
  // The raw log comes in pages (the server caps each): ask for the next until one comes back
  // empty, or as many as asked for have come.
  if (op == "log") {
    const std::uint64_t wanted = args.value("limit", json(0)).is_number_unsigned() ? args["limit"].get<std::uint64_t>() : 0;
    std::uint64_t got = out->value("count", std::uint64_t{0});
    json next = args;
    for (auto page = *out; page.value("count", 0) > 0 && (wanted == 0 || got < wanted);) {
      if (wanted != 0) next["limit"] = wanted - got;
      next["from"] = page["next_from"];
      if (next.contains("stream") && !next["stream"].get<std::string>().empty()) next["after_version"] = page["after_version"];
      auto more = server::call(o, op, next, "");
      if (!more.ok()) return more.status();
      for (auto& row : (*more)["rows"])
        if (auto st = sink(row); !st.ok()) return st;
      got += more->value("count", std::uint64_t{0});
      page = std::move(*more);
    }
  }
  return out;
}

}  // namespace

Result<json> invoke(const std::string& op, const json& args, const RowSink& sink) {
  if (remote()) return invoke_remote(op, args, sink);
  const auto* operation = engine::find_operation(op);
  if (operation == nullptr) return Status::InvalidArgument("no operation " + op);
  auto ledger = operation->access == engine::Access::kRead || !operation->appends ? open_for_reading(operation->whole_ledger)
                                                                                 : open_for_writing(operation->creates_ledger);
  if (!ledger.ok()) return ledger.status();
  std::unique_ptr<Progress> progress;
  std::string unit;
  engine::Call call{**ledger, actor(), "", sink, {}, snapshot_key_file(), signing_key_file()};
  call.progress = [&](std::uint64_t done, std::uint64_t total, const char* what) {
    if (!progress || unit != what) {
      if (progress) progress->finish();
      unit = what;
      const bool signs = op == "checkpoint" || op == "bundle" || op.starts_with("proof.");
      progress = std::make_unique<Progress>(op == "verify" ? "verifying" : op == "rebuild" ? "rebuilding" : signs ? "checking the tree" : "importing",
                                            total, what);
    }
    progress->update(done);
  };
  auto out = engine::run_operation(call, op, args);
  if (progress) progress->finish();
  return out;
}

}  // namespace ftl::cli
