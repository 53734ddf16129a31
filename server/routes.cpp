#include "server/routes.h"

#include <cctype>

#include "schema/parse.h"

namespace ftl::server {

using nlohmann::json;

const std::vector<Route>& routes() {
  static const std::vector<Route> kRoutes = {
      // Engagements
      {"GET", "/v1/engagements", "engagement.list", "List engagements"},
      {"POST", "/v1/engagements", "engagement.open", "Open an engagement"},
      {"GET", "/v1/engagements/{engagement}", "engagement.show", "An engagement's current state (or as of a moment)"},
      {"POST", "/v1/engagements/{engagement}/scope", "engagement.scope", "Change the services in scope"},
      {"POST", "/v1/engagements/{engagement}/seats", "engagement.seats", "Change the seats"},
      {"POST", "/v1/engagements/{engagement}/phase", "engagement.phase", "Move to another phase"},
      {"POST", "/v1/engagements/{engagement}/motions", "engagement.motions", "Change the motions"},
      {"GET", "/v1/engagements/{engagement}/diff", "engagement.diff", "What changed between two moments"},
      {"GET", "/v1/engagements/{engagement}/replay", "engagement.replay", "Each event with the change it caused"},
      {"GET", "/v1/engagements/{engagement}/history", "history", "The Refresh-Summary style history"},
      {"GET", "/v1/engagements/{engagement}/bundle", "bundle", "An offline bundle: the engagement's events, proofs, checkpoint and signed state (?to=)"},
      {"GET", "/v1/engagements/{engagement}/tasks", "task.list", "The applicable tasks with their status"},
      {"POST", "/v1/engagements/{engagement}/tasks/{task}/done", "task.done", "Record a task as done"},
      {"POST", "/v1/engagements/{engagement}/tasks/{task}/reopen", "task.reopen", "Reopen a task"},
      {"POST", "/v1/engagements/{engagement}/tasks/{task}/na", "task.na", "Mark an optional task not applicable"},
      {"POST", "/v1/engagements/{engagement}/status", "status.set", "Set L1/L2 per service entitlement"},
      {"POST", "/v1/engagements/{engagement}/services/{service}/status", "service.status", "Set a service's Service Status"},
      {"POST", "/v1/engagements/{engagement}/services/{service}/target", "service.target", "Set a service's target date"},
      {"POST", "/v1/engagements/{engagement}/notes", "note.add", "Add a note"},
      {"POST", "/v1/engagements/{engagement}/contacts", "contact.add", "Add a contact"},
      {"POST", "/v1/engagements/{engagement}/contacts/{contact}", "contact.update", "Change a contact"},
      {"POST", "/v1/engagements/{engagement}/usage", "usage.record", "Record active users"},
      {"POST", "/v1/events/{event_id}/correct", "correct", "Correct an earlier event"},
      // Catalog
      {"GET", "/v1/playbooks", "playbook.list", "List playbooks"},
      {"POST", "/v1/playbooks", "playbook.import", "Import playbook pages (admin)", 96u << 20},
      {"GET", "/v1/playbooks/{playbook}", "playbook.show", "A playbook's steps and tasks"},
      {"GET", "/v1/playbooks/{playbook}/history", "history", "A playbook's Refresh Summary and detected changes"},
      {"GET", "/v1/tasks", "playbook.tasks", "FTOP tasks of the catalog, filtered"},
      // The ledger
      {"GET", "/v1/audit", "audit", "Who changed what, when, from what to what"},
      {"GET", "/v1/log", "log", "Raw events with their envelopes"},
      {"POST", "/v1/verify", "verify", "Walk the chain, indexes and snapshots (a reader may)"},
      {"GET", "/v1/digest", "digest", "The head sequence and hash"},
      {"GET", "/v1/checkpoint", "checkpoint", "A signed checkpoint (C2SP tlog-checkpoint) of the Merkle tree at the head"},
      {"GET", "/v1/proofs/inclusion/{event}", "proof.inclusion", "An inclusion proof (C2SP tlog-proof@v1) of one event, by sequence or id"},
      {"POST", "/v1/proofs/consistency", "proof.consistency", "A consistency proof from one checkpoint to another (or to one signed now)"},
      {"GET", "/v1/stats", "stats", "Events, streams, bytes on disk"},
      // Admin
      {"POST", "/v1/admin/rebuild", "rebuild", "Refold every projection (admin)"},
      {"POST", "/v1/events/{event}/redact", "event.redact", "Remove an event's payload, keeping the chain verifiable (admin; audited)"},
      {"GET", "/v1/tokens", "token.list", "Tokens in force (admin)"},
      {"POST", "/v1/tokens", "token.add", "Grant a token (admin)"},
      {"DELETE", "/v1/tokens/{name}", "token.revoke", "Revoke a token (admin)"},
  };
  return kRoutes;
}

std::string percent_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || std::isxdigit(static_cast<unsigned char>(s[i + 1])) == 0 ||
          std::isxdigit(static_cast<unsigned char>(s[i + 2])) == 0)
        return std::nullopt;
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

namespace {
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const auto j = path.find('/', i);
    out.push_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j;
  }
  return out;
}

// Each route's path cut into segments once: matching runs on every request.
struct Pattern {
  const Route* route;
  std::vector<std::string_view> segments;  // into the route's path, which lives as long as routes()
};
const std::vector<Pattern>& patterns() {
  static const std::vector<Pattern> all = [] {
    std::vector<Pattern> out;
    for (const auto& r : routes()) out.push_back({&r, segments(r.path)});
    return out;
  }();
  return all;
}
}  // namespace

Result<Matched> match(std::string_view method, std::string_view target) {
  const auto q = target.find('?');
  const auto path = target.substr(0, q);
  const auto query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  const auto have = segments(path);
  bool path_matched = false;
  std::vector<std::pair<std::string_view, std::string>> placed;  // placeholder name, decoded value
  for (const auto& [route, want] : patterns()) {
    if (want.size() != have.size()) continue;
    placed.clear();
    bool ok = true;
    for (std::size_t i = 0; i < want.size() && ok; ++i) {
      if (want[i].starts_with('{')) {
        auto v = percent_decode(have[i]);
        if (!v || v->empty()) ok = false;
        else placed.emplace_back(want[i].substr(1, want[i].size() - 2), std::move(*v));
      } else {
        ok = want[i] == have[i];
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (route->method != method) continue;
    const auto& r = *route;
    json args = json::object();
    for (auto& [k, v] : placed) args[std::string(k)] = std::move(v);
    if (!query.empty()) {
      std::size_t i = 0;
      while (i <= query.size()) {
        auto amp = query.find('&', i);
        if (amp == std::string_view::npos) amp = query.size();
        const auto pair = query.substr(i, amp - i);
        i = amp + 1;
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq));
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
        if (!k || !v) return Status::InvalidArgument("the query string is not percent-encoded text").tagged("http.query");
        if (args.contains(*k)) return Status::InvalidArgument("query argument " + *k + " is given twice").tagged("http.query");
        args[*k] = *v;
      }
    }
    return Matched{&r, std::move(args)};
  }
  if (path_matched)
    return Status::InvalidArgument(std::string(method) + " is not a method of " + std::string(path)).tagged("http.method");
  return Status::NotFound("no such resource: " + std::string(path).substr(0, 200)).tagged("http.route");
}

std::string allowed_methods(std::string_view target) {
  const auto path = target.substr(0, target.find('?'));
  const auto have = segments(path);
  std::string out;
  for (const auto& [route, want] : patterns()) {
    if (want.size() != have.size()) continue;
    bool ok = true;
    for (std::size_t i = 0; i < want.size() && ok; ++i) ok = want[i].starts_with('{') || want[i] == have[i];
    if (ok && out.find(route->method) == std::string::npos) out += (out.empty() ? "" : ", ") + route->method;
  }
  return out;
}

Result<Built> build(const std::string& op, const json& args) {
  const Route* route = nullptr;
  for (const auto& r : routes()) {
    if (r.op != op) continue;
    // "history" has two routes: by engagement and by playbook.
    bool fits = true;
    for (const auto& seg : segments(r.path))
      if (seg.starts_with('{') && !(args.contains(std::string(seg.substr(1, seg.size() - 2)))))
        fits = false;
    if (fits) {
      route = &r;
      break;
    }
  }
  if (route == nullptr) return Status::InvalidArgument("operation " + op + " has no route with these arguments").tagged("http.route");
  // JSON carries only UTF-8: text that is not is refused here, as the server would refuse it.
  for (const auto& [k, v] : args.items()) {
    if (v.is_string())
      if (auto st = schema::check_text(v.get<std::string>(), k); !st.ok()) return st;
    if (v.is_array())
      for (const auto& x : v)
        if (x.is_string())
          if (auto st = schema::check_text(x.get<std::string>(), k); !st.ok()) return st;
  }
  Built b;
  b.method = route->method;
  json rest = args;
  for (const auto& seg : segments(route->path)) {
    b.target += "/";
    if (seg.starts_with('{')) {
      const std::string key(seg.substr(1, seg.size() - 2));
      const auto& v = rest[key];
      b.target += percent_encode(v.is_string() ? v.get<std::string>() : v.dump());
      rest.erase(key);
    } else {
      b.target += seg;
    }
  }
  if (b.method == "GET") {
    char sep = '?';
    for (const auto& [k, v] : rest.items()) {
      if (v.is_null() || (v.is_boolean() && !v.get<bool>())) continue;
      b.target += sep + percent_encode(k) + "=" + percent_encode(v.is_string() ? v.get<std::string>() : v.dump());
      sep = '&';
    }
  } else {
    b.body = rest.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return b;
}

}  // namespace ftl::server
