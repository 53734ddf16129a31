#include "engine/operations.h"

#include "engine/args.h"
#include "engine/rebuild.h"

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

void add_admin_operations(std::vector<Operation>& ops) {
  add_token_operations(ops);
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

}  // namespace ftl::engine
