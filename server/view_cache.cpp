#include "server/view_cache.h"

namespace ftl::server {

using nlohmann::json;

std::string document_bytes(const json& doc) { return doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  // RFC 9110 13.1.2: "*", or a list of entity tags compared weakly (W/ ignored).
  std::size_t i = 0;
  while (i < if_none_match.size()) {
    while (i < if_none_match.size() && (if_none_match[i] == ' ' || if_none_match[i] == '\t' || if_none_match[i] == ',')) ++i;
    if (i >= if_none_match.size()) break;
    if (if_none_match[i] == '*') return true;
    if (if_none_match.substr(i).starts_with("W/")) i += 2;
    if (i >= if_none_match.size() || if_none_match[i] != '"') return false;
    const auto close = if_none_match.find('"', i + 1);
    if (close == std::string_view::npos) return false;
    if (if_none_match.substr(i, close - i + 1) == etag) return true;
    i = close + 1;
  }
  return false;
}

Result<std::string> ViewCache::current_tag(engine::Call& call, const engine::Operation& op, const json& args,
                                           const std::string& target, std::uint64_t head) {
  {
    // Nothing appended since the tag was last found current: it still is.
    std::lock_guard lock(mu_);
    if (auto it = kept_.find(target); it != kept_.end() && it->second.head == head) return it->second.tag;
  }
  auto tag = op.version(call, args);
  if (!tag.ok()) return tag.status();
  std::lock_guard lock(mu_);
  if (auto it = kept_.find(target); it != kept_.end() && it->second.tag == *tag && it->second.head < head) it->second.head = head;
  return tag;
}

Result<std::optional<KeptView>> ViewCache::serve(engine::Call& call, const engine::Operation& op, const json& args,
                                                 const std::string& target, std::string_view if_none_match) {
  if (!op.version) return std::optional<KeptView>();
  const std::uint64_t head = call.ledger.head().sequence;
  auto tag = current_tag(call, op, args, target, head);
  if (!tag.ok()) return tag.status();
  if (tag->empty()) return std::optional<KeptView>();
  KeptView out;
  out.etag = "\"" + *tag + "\"";
  if (etag_matches(if_none_match, out.etag)) {
    out.not_modified = true;
    return std::optional<KeptView>(std::move(out));
  }
  {
    std::lock_guard lock(mu_);
    if (auto it = kept_.find(target); it != kept_.end() && it->second.tag == *tag) out.body = it->second.body;
  }
  if (out.body) return std::optional<KeptView>(std::move(out));
  auto doc = engine::run_operation(call, op.name, args);
  if (!doc.ok()) return doc.status();
  out.body = std::make_shared<const std::string>(document_bytes(*doc));
  // Built while an append went in: it may be newer than the tag, so it is neither tagged nor kept.
  const std::uint64_t after = call.ledger.head().sequence;
  if (after != head) {
    auto again = op.version(call, args);
    if (!again.ok()) return again.status();
    if (*again != *tag) {
      out.etag.clear();
      return std::optional<KeptView>(std::move(out));
    }
  }
  std::lock_guard lock(mu_);
  if (kept_.size() >= capacity_ && !kept_.contains(target)) kept_.clear();
  kept_[target] = Entry{after, *tag, out.body};
  return std::optional<KeptView>(std::move(out));
}

}  // namespace ftl::server
