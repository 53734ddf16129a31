// The views of the whole ledger: history (an engagement's or a playbook's), audit, the raw log,
// verify, digest and stats.
#include "engine/args.h"
#include "engine/catalog_service.h"
#include "engine/engagement_service.h"
#include "engine/operations.h"
#include "engine/queries.h"
#include "engine/verify.h"
#include "ledger/base64.h"
#include "projections/audit.h"
#include "projections/history.h"

namespace ftl::engine {
namespace {

using nlohmann::json;

Status history_rows(Rows& rows, const std::vector<projections::HistoryRow>& history, const std::string& since) {
  for (const auto& r : history) {
    if (!since.empty() && r.sort_date < since) continue;
    if (auto st = rows.add(history_row_json(r)); !st.ok()) return st;
  }
  return Status::Ok();
}

Result<json> history(Call& call, const json& j) {
  Args a(j, "history");
  const auto engagement = a.text("engagement"), playbook = a.text("playbook"), as_of = a.text("as_of");
  const auto since_us = a.time("since");
  if (auto st = a.done(); !st.ok()) return st;
  if (engagement.empty() == playbook.empty())
    return Status::InvalidArgument("history needs an engagement or a playbook, not both and not neither").tagged("history.subject");
  const auto since = since_us ? projections::iso_date(*since_us) : std::string();
  auto seq = as_of_sequence(call.ledger, as_of);
  if (!seq.ok()) return seq.status();
  Rows rows{call};
  rows.doc["source"] = playbook.empty() ? "engagement" : "playbook";
  if (!playbook.empty()) {
    auto st = load_playbook(call.ledger, playbook, *seq);
    if (!st.ok()) return st.status();
    if (auto s = history_rows(rows, projections::playbook_history(*st), since); !s.ok()) return s;
    return rows.doc;
  }
  projections::EngagementHistory h;
  auto cursor = call.ledger.scan_stream(projections::engagement_stream(engagement));
  std::uint64_t n = 0;
  for (; cursor->valid() && (*seq == 0 || cursor->event().sequence <= *seq); cursor->next(), ++n)
    if (auto st = h.apply(cursor->event()); !st.ok()) return st;
  if (!cursor->status().ok()) return cursor->status();
  if (n == 0) return load_engagement(call.ledger, engagement, *seq).status();  // names the known ones
  if (auto s = history_rows(rows, h.rows(), since); !s.ok()) return s;
  return rows.doc;
}

Result<json> audit(Call& call, const json& j) {
  Args a(j, "audit");
  const auto actor = a.text("actor"), engagement = a.text("engagement"), type = a.text("type");
  const auto task = a.number("task", UINT32_MAX);
  const auto since = a.time("since").value_or(0), until = a.time("until").value_or(0);
  if (auto st = a.done(); !st.ok()) return st;
  // The narrowest index the filters allow; the other filters are applied to each event.
  std::unique_ptr<Cursor> cursor;
  if (!engagement.empty()) cursor = call.ledger.scan_stream(projections::engagement_stream(engagement));
  else if (!actor.empty()) cursor = call.ledger.scan_actor(actor);
  else cursor = call.ledger.scan(1);
  const std::string task_field = task == 0 ? "" : "task " + std::to_string(task);
  Rows rows{call};
  for (; cursor->valid(); cursor->next()) {
    const auto& e = cursor->event();
    if (!actor.empty() && e.actor != actor) continue;
    if (since != 0 && e.recorded_us < since) continue;
    if (until != 0 && e.recorded_us >= until) continue;
    if (!type.empty() && !projections::type_matches(type, e.type)) continue;
    for (const auto& r : projections::audit_rows(e)) {
      if (!task_field.empty() && r.field != task_field && !r.field.starts_with(task_field + " ")) continue;
      if (auto st = rows.add(audit_row_json(r)); !st.ok()) return st;
    }
  }
  if (!cursor->status().ok()) return cursor->status();
  return rows.doc;
}

// Events in order from a sequence (or, in one stream, from a stream version), at most `limit`.
// "next" says where the following page starts.
Result<json> log(Call& call, const json& j) {
  Args a(j, "log");
  const auto stream = a.text("stream");
  const auto from = a.number("from", UINT64_MAX, false, 1), limit = a.number("limit", UINT64_MAX);
  const auto after_version = a.number("after_version", UINT64_MAX);
  const bool with_payload = a.flag("payload");
  if (auto st = a.done(); !st.ok()) return st;
  auto cursor = stream.empty() ? call.ledger.scan(std::max<std::uint64_t>(from, 1)) : call.ledger.scan_stream(stream, after_version + 1);
  Rows rows{call};
  std::uint64_t n = 0, next_version = after_version, next_sequence = from;
  for (; cursor->valid() && (limit == 0 || n < limit); cursor->next()) {
    const auto& e = cursor->event();
    next_version = e.stream_version;
    next_sequence = e.sequence + 1;
    if (e.sequence < from) continue;
    auto row = event_json(e);
    if (with_payload && e.redacted_by == 0) row["payload"] = to_base64(e.payload);
    if (auto st = rows.add(std::move(row)); !st.ok()) return st;
    ++n;
  }
  if (!cursor->status().ok()) return cursor->status();
  rows.doc["count"] = n;
  rows.doc["next_from"] = stream.empty() ? next_sequence : from;
  rows.doc["after_version"] = next_version;
  return rows.doc;
}

Result<json> verify(Call& call, const json& j) {
  Args a(j, "verify");
  VerifyLedgerOptions vo;
  vo.ledger.from_sequence = a.number("from", UINT64_MAX, false, 1);
  vo.refold_all = a.flag("refold");
  const auto& digest = a.raw("digest");
  if (auto st = a.done(); !st.ok()) return st;
  if (!digest.is_null()) {
    std::optional<Hash> h;
    if (digest.is_object() && digest.contains("sequence") && digest["sequence"].is_number_unsigned() && digest.contains("hash") &&
        digest["hash"].is_string())
      h = hash_from_hex(digest["hash"].get<std::string>());
    if (!h)
      return Status::InvalidArgument("digest " + digest.dump().substr(0, 80) + " is not a digest",
                                     "it should be {\"sequence\":N,\"hash\":\"<64 hex digits>\"} as digest gives it")
          .tagged("verify.digest");
    vo.ledger.digest = Digest{digest["sequence"].get<std::uint64_t>(), *h};
  }
  const auto head = call.ledger.head().sequence;
  if (vo.ledger.from_sequence > std::max<std::uint64_t>(head, 1))
    return Status::InvalidArgument("from " + std::to_string(vo.ledger.from_sequence) + " is past the last event of this ledger",
                                   "its events are 1 to " + std::to_string(head))
        .tagged("verify.from");
  if (call.progress) vo.ledger.progress = [&](std::uint64_t done, std::uint64_t total) { call.progress(done, total, "events"); };
  auto report = verify_ledger(call.ledger, vo);
  if (!report.ok()) return report.status();
  const auto& r = report->ledger;
  json doc = {{"ok", true},
              {"events", r.events_checked},
              {"index_entries", r.index_entries_checked},
              {"sequence", r.head.sequence},
              {"hash", to_hex(r.head.hash)},
              {"snapshots", report->snapshots},
              {"snapshots_vouched", report->vouched},
              {"snapshots_refolded", report->refolded},
              {"snapshots_ignored", report->ignored}};
  if (vo.ledger.digest) doc["digest_sequence"] = vo.ledger.digest->sequence;
  json tree = {{"checked", vo.ledger.from_sequence <= 1}, {"size", r.tree_size}, {"nodes", r.tree_nodes_checked}};
  if (vo.ledger.from_sequence <= 1 && r.tree_size == r.head.sequence) {
    auto root = call.ledger.tree_root(r.tree_size);
    if (!root.ok()) return root.status();
    tree["root"] = to_hex(*root);
  }
  doc["tree"] = tree;
  json redacted = json::array();
  for (const auto& x : r.redacted) redacted.push_back({{"sequence", x.sequence}, {"by", x.by}});
  doc["redacted"] = std::move(redacted);
  doc["purge_pending"] = r.purge_pending;
  return doc;
}

}  // namespace

void add_view_operations(std::vector<Operation>& ops) {
  ops.push_back({"history", Access::kRead, false, false, history});
  ops.push_back({"audit", Access::kRead, false, false, audit});
  ops.push_back({"log", Access::kRead, false, false, log});
  ops.push_back({"verify", Access::kRead, false, true, verify});
  ops.push_back({"digest", Access::kRead, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "digest");
                   if (auto st = a.done(); !st.ok()) return st;
                   const auto d = call.ledger.head();
                   return json{{"sequence", d.sequence}, {"hash", to_hex(d.hash)}};
                 }});
  ops.push_back({"stats", Access::kRead, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "stats");
                   if (auto st = a.done(); !st.ok()) return st;
                   const auto s = call.ledger.stats();
                   return json{{"path", call.ledger.path()},
                               {"events", s.events},
                               {"streams", s.streams},
                               {"last_sequence", s.last_sequence},
                               {"bytes_on_disk", s.bytes_on_disk},
                               {"bytes_per_event", s.events ? s.bytes_on_disk / s.events : 0},
                               {"hash", to_hex(call.ledger.head().hash)}};
                 }});
}

}  // namespace ftl::engine
