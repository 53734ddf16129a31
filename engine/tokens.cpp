#include "engine/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "engine/args.h"
#include "ledger/sha256.h"
#include "projections/history.h"
#include "projections/sentences.h"
#include "schema/codec.h"
#include "schema/ledger_events.h"

namespace ftl::engine {

using nlohmann::json;

Status check_token_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
  });
  if (ok) return Status::Ok();
  return Status::InvalidArgument("token name '" + name.substr(0, 64) + "' is not 1 to 64 letters, digits, '.', '_' or '-'")
      .tagged("token.name");
}

Status TokenTable::load(Ledger& ledger) {
  std::map<std::string, Entry> table;
  auto cursor = ledger.scan_stream(schema::kAccessStream);
  for (; cursor->valid(); cursor->next()) {
    const auto& e = cursor->event();
    if (payload_withheld(e)) continue;  // the engine refuses to redact a grant; a fold never guesses one
    auto decoded = schema::decode_ledger_event(e.type, e.schema_version, e.payload);
    if (!decoded.ok()) return decoded.status();
    if (const auto* g = std::get_if<schema::TokenGranted>(&*decoded)) {
      auto role = parse_access(g->role);
      auto hash = hash_from_hex(g->token_sha256);
      if (!role || !hash)
        return Status::Corruption("event " + std::to_string(e.sequence) + " grants a token with role '" + g->role +
                                  "' or a hash that is not 64 hex digits");
      Entry entry;
      entry.holder = {g->name, *role, projections::iso_time(e.recorded_us), e.actor, e.sequence};
      std::copy(hash->begin(), hash->end(), entry.hash.begin());
      table[g->name] = entry;
    } else if (const auto* r = std::get_if<schema::TokenRevoked>(&*decoded)) {
      table.erase(r->name);
    }
  }
  if (!cursor->status().ok()) return cursor->status();
  std::unique_lock lock(mu_);
  by_name_ = std::move(table);
  return Status::Ok();
}

std::optional<TokenHolder> TokenTable::authenticate(const std::string& token) const {
  const auto h = Sha256::of(token);
  std::shared_lock lock(mu_);
  std::optional<TokenHolder> found;
  for (const auto& [name, e] : by_name_)
    if (CRYPTO_memcmp(e.hash.data(), h.data(), 32) == 0) found = e.holder;
  return found;
}

std::map<std::string, TokenHolder> TokenTable::holders() const {
  std::shared_lock lock(mu_);
  std::map<std::string, TokenHolder> out;
  for (const auto& [name, e] : by_name_) out[name] = e.holder;
  return out;
}

bool TokenTable::empty() const {
  std::shared_lock lock(mu_);
  return by_name_.empty();
}

namespace {

Result<AppendResult> append_access(Call& call, const schema::LedgerEvent& event) {
  if (auto st = schema::check_event_text(event); !st.ok()) return st;
  auto enc = schema::encode(event);
  AppendRequest req;
  req.stream = schema::kAccessStream;
  NewEvent ne;
  ne.type = enc.type;
  ne.schema_version = enc.version;
  ne.actor = call.actor;
  ne.payload = std::move(enc.bytes);
  ne.event_id = call.idempotency_key;
  req.events.push_back(std::move(ne));
  return call.ledger.append(std::move(req));
}

// Whether a change leaves the ledger with no admin when it had one: refused, since no one could
// then grant or revoke over HTTP.
Status keeps_an_admin(const TokenTable& table, const std::string& name, std::optional<Access> new_role) {
  std::size_t admins = 0, after = 0;
  for (const auto& [n, h] : table.holders()) {
    if (h.role != Access::kAdmin) continue;
    ++admins;
    if (n != name) ++after;
  }
  if (new_role == Access::kAdmin) ++after;
  if (admins > 0 && after == 0)
    return Status::InvalidArgument(name + " holds the last admin token; this would leave no one who can grant or revoke",
                                   "grant another admin first")
        .tagged("token.last_admin");
  return Status::Ok();
}

Result<json> token_add(Call& call, const json& j) {
  Args a(j, "token.add");
  const auto name = a.text("name", true), role_name = a.text("role", true);
  const bool replace = a.flag("replace");
  if (auto st = a.done(); !st.ok()) return st;
  if (auto st = check_token_name(name); !st.ok()) return st;
  const auto role = parse_access(role_name);
  if (!role)
    return Status::InvalidArgument("role '" + role_name.substr(0, 32) + "' is not a role", "roles are reader, writer and admin")
        .tagged("token.role");
  if (!call.idempotency_key.empty())
    if (auto before = call.ledger.get_by_id(call.idempotency_key); before.ok() || before.status().code() != Code::kNotFound)
      return before.ok() ? Status::InvalidArgument("idempotency key " + call.idempotency_key + " was already used (sequence " +
                                                   std::to_string(before->sequence) + "); a token is shown only once")
                               .tagged("idempotency.reused")
                         : before.status();
  TokenTable table;
  if (auto st = table.load(call.ledger); !st.ok()) return st;
  if (table.holders().count(name) != 0 && !replace)
    return Status::InvalidArgument(name + " already holds a token", "replace it (the old one stops working) or choose another name")
        .tagged("token.exists");
  if (auto st = keeps_an_admin(table, name, role); !st.ok()) return st;
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) return Status::Unavailable("the system's random number generator failed");
  static const char* kHex = "0123456789abcdef";
  std::string token = "ftl_";
  for (unsigned char c : random) {
    token.push_back(kHex[c >> 4]);
    token.push_back(kHex[c & 15]);
  }
  auto pos = append_access(call, schema::TokenGranted{name, std::string(access_name(*role)), to_hex(Sha256::of(token))});
  if (!pos.ok()) return pos.status();
  return json{{"name", name}, {"role", access_name(*role)}, {"token", token}, {"sequence", pos->first_sequence}};
}

Result<json> token_revoke(Call& call, const json& j) {
  Args a(j, "token.revoke");
  const auto name = a.text("name", true), reason = a.text("reason");
  if (auto st = a.done(); !st.ok()) return st;
  TokenTable table;
  if (auto st = table.load(call.ledger); !st.ok()) return st;
  const auto holders = table.holders();
  if (holders.count(name) == 0) {
    std::vector<std::string> names;
    for (const auto& [n, h] : holders) names.push_back(n);
    return Status::NotFound("no token is held by " + name,
                            names.empty() ? "no one holds a token" : "the holders are " + projections::join_list(names, ", "))
        .tagged("token.none");
  }
  if (auto st = keeps_an_admin(table, name, std::nullopt); !st.ok()) return st;
  auto pos = append_access(call, schema::TokenRevoked{name, reason});
  if (!pos.ok()) return pos.status();
  return json{{"name", name}, {"revoked", true}, {"sequence", pos->first_sequence}};
}

Result<json> token_list(Call& call, const json& j) {
  Args a(j, "token.list");
  if (auto st = a.done(); !st.ok()) return st;
  TokenTable table;
  if (auto st = table.load(call.ledger); !st.ok()) return st;
  Rows rows{call};
  for (const auto& [name, h] : table.holders()) {
    auto st = rows.add({{"name", name}, {"role", access_name(h.role)}, {"granted_at", h.granted_at},
                        {"granted_by", h.granted_by}, {"sequence", h.sequence}});
    if (!st.ok()) return st;
  }
  return rows.doc;
}

}  // namespace

void add_token_operations(std::vector<Operation>& ops) {
  ops.push_back({"token.add", Access::kAdmin, false, false, token_add});
  ops.push_back({"token.revoke", Access::kAdmin, false, false, token_revoke});
  ops.push_back({"token.list", Access::kAdmin, false, false, token_list, /*appends=*/false});
}

}  // namespace ftl::engine
