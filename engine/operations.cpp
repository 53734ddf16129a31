#include "engine/operations.h"

#include "engine/args.h"
#include "engine/queries.h"
#include "engine/rebuild.h"
#include "projections/catalog.h"
#include "schema/ledger_events.h"

namespace ftl::engine {

using nlohmann::json;

void add_token_operations(std::vector<Operation>& ops);  // tokens.cpp

std::string_view access_name(Access a) {
  switch (a) {
    case Access::kRead: return "reader";
    case Access::kWrite: return "writer";
    case Access::kAdmin: return "admin";
  }
  return "reader";
}

std::optional<Access> parse_access(std::string_view name) {
  if (name == "reader") return Access::kRead;
  if (name == "writer") return Access::kWrite;
  if (name == "admin") return Access::kAdmin;
  return std::nullopt;
}

namespace {

// ftl redact: the one audited exception to "nothing rewritten" (ledger/FORMAT.md "Redaction").
Result<json> redact(Call& call, const json& j) {
  Args a(j, "event.redact");
  const auto event = a.text("event", true);
  const auto reason = a.text("reason", true);
  if (auto st = a.done(); !st.ok()) return st;
  auto seq = event_sequence(call.ledger, event);
  if (!seq.ok()) return seq.status();
  auto target = call.ledger.get(*seq);
  if (!target.ok()) return target.status();
  if (target->stream == schema::kAccessStream)
    return Status::InvalidArgument("event " + std::to_string(*seq) + " grants or revokes a token; it holds a token's hash, not personal data",
                                   "revoke the token instead")
        .tagged("redact.access");
  if (target->stream.starts_with(projections::kPlaybookStreamPrefix))
    return Status::InvalidArgument("event " + std::to_string(*seq) + " is part of a playbook's catalog; it describes the playbook, not people",
                                   "import a corrected page instead")
        .tagged("redact.catalog");
  if (target->type == "EngagementOpened")
    return Status::InvalidArgument("event " + std::to_string(*seq) + " opens engagement " + target->stream.substr(target->stream.find('/') + 1) +
                                   "; without it the engagement would have no customer, scope or seats",
                                   "redact the notes or contacts that hold the personal data")
        .tagged("redact.opening");
  auto r = call.ledger.redact(*seq, reason, call.actor, call.idempotency_key);
  if (!r.ok()) return r.status();
  json doc = {{"redacted", r->redacted},
              {"stream", target->stream},
              {"redacted_type", target->type},
              {"type", kEventRedactedType},
              {"sequence", r->appended.first_sequence},
              {"first_sequence", r->appended.first_sequence},
              {"last_sequence", r->appended.last_sequence},
              {"events", r->appended.duplicate ? 0 : 1},
              {"duplicate", r->appended.duplicate},
              {"payload_sha256", to_hex(target->payload_hash)}};
  if (!r->purge_error.empty()) doc["purge_error"] = r->purge_error;
  return doc;
}

}  // namespace

void add_admin_operations(std::vector<Operation>& ops) {
  add_token_operations(ops);
  ops.push_back({"event.redact", Access::kAdmin, false, false, redact});
  ops.push_back({"rebuild", Access::kAdmin, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "rebuild");
                   RebuildOptions options;
                   options.threads = static_cast<unsigned>(a.number("threads", 1024));
                   if (auto st = a.done(); !st.ok()) return st;
                   if (call.progress) options.progress = [&](std::uint64_t done, std::uint64_t total) { call.progress(done, total, "streams"); };
                   auto r = rebuild(call.ledger, options);
                   if (!r.ok()) return r.status();
                   const double rate = r->seconds > 0 ? static_cast<double>(r->events) / r->seconds : 0.0;
                   return json{{"playbooks", r->playbooks}, {"engagements", r->engagements}, {"events", r->events},
                               {"seconds", r->seconds},     {"events_per_s", rate},          {"threads", r->threads},
                               {"snapshots_dropped", r->snapshots_dropped}, {"snapshots_written", r->snapshots_written}};
                 }});
}

const std::vector<Operation>& operations() {
  static const std::vector<Operation> kOps = [] {
    std::vector<Operation> ops;
    add_engagement_operations(ops);
    add_view_operations(ops);
    add_proof_operations(ops);
    add_catalog_operations(ops);
    add_admin_operations(ops);
    return ops;
  }();
  return kOps;
}

const Operation* find_operation(std::string_view name) {
  for (const auto& op : operations())
    if (op.name == name) return &op;
  return nullptr;
}

Result<json> run_operation(Call& call, std::string_view name, const json& args) {
  const auto* op = find_operation(name);
  if (op == nullptr) return Status::InvalidArgument("no operation is called " + std::string(name)).tagged("operation.none");
  try {
    return op->run(call, args);
  } catch (const json::exception& e) {
    // A document built from checked values never throws; this is the net under that rule.
    return Status::InvalidArgument(std::string(name) + " could not build its document: " + e.what());
  }
}

void run_operation_async(Call& call, std::string_view name, const json& args, Operation::Done done) {
  const auto* op = find_operation(name);
  if (op == nullptr || !op->run_async) return done(run_operation(call, name, args));
  try {
    op->run_async(call, args, done);
  } catch (const json::exception& e) {
    done(Status::InvalidArgument(std::string(name) + " could not build its document: " + e.what()));
  }
}

}  // namespace ftl::engine
