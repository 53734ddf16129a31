// The catalog operations: importing pages (from their bytes: a front reads the files) and the
// views of playbooks (list, show, tasks).

#include <map>
#include <set>

#include "engine/args.h"
#include "engine/catalog_service.h"
#include "engine/operations.h"
#include "engine/queries.h"
#include "ledger/base64.h"
#include "projections/history.h"
#include "projections/sentences.h"

namespace ftl::engine {
namespace {

using nlohmann::json;
using projections::PlaybookState;
using projections::TaskState;

std::string count(std::size_t n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); }

// "added 2 steps and 86 tasks; changed 3 tasks; removed 1 task; 2 Refresh Summary rows"
std::string counts_text(const ImportCounts& c) {
  auto part = [](const char* verb, std::size_t steps, std::size_t tasks) -> std::string {
    if (steps + tasks == 0) return "";
    std::string s = verb;
    if (steps > 0) s += " " + count(steps, "step");
    if (steps > 0 && tasks > 0) s += " and";
    if (tasks > 0) s += " " + count(tasks, "task");
    return s;
  };
  std::vector<std::string> parts;
  if (!c.page_changes.empty()) parts.push_back("changed the page's " + projections::join_list(c.page_changes, ", "));
  for (auto p : {part("added", c.steps_added, c.tasks_added), part("changed", c.steps_changed, c.tasks_changed),
                 part("removed", c.steps_removed, c.tasks_removed)})
    if (!p.empty()) parts.push_back(p);
  if (c.refresh_rows > 0) parts.push_back(count(c.refresh_rows, "Refresh Summary row"));
  if (c.refresh_rows_gone > 0)
    parts.push_back(count(c.refresh_rows_gone, "recorded Refresh Summary row") + " no longer on the page (kept in the history)");
  if (parts.empty()) return "no catalog change";
  return projections::join_list(parts, "; ");
}

json counts_json(const ImportCounts& c) {
  return {{"steps_added", c.steps_added},     {"steps_changed", c.steps_changed}, {"steps_removed", c.steps_removed},
          {"tasks_added", c.tasks_added},     {"tasks_changed", c.tasks_changed}, {"tasks_removed", c.tasks_removed},
          {"refresh_rows", c.refresh_rows},   {"refresh_rows_gone", c.refresh_rows_gone}, {"page_changes", c.page_changes},
          {"removed_tasks", c.removed_tasks}, {"removed_steps", c.removed_steps}};
}

Result<std::string> page_from_base64(const std::string& text, const std::string& field) {
  std::string clean;
  for (char c : text)
    if (c != '\n' && c != '\r') clean.push_back(c);
  if (clean.size() > (kMaxPageBytes / 3 + 2) * 4)
    return Status::InvalidArgument(field + " is not base64 of at most " + std::to_string(kMaxPageBytes) + " bytes");
  auto out = from_base64(clean);
  if (!out) return Status::InvalidArgument(field + " is not base64 (RFC 4648, with padding)");
  return std::move(*out);
}

// Every page is read and checked first, and what each would remove, before the first is
// appended: a page that cannot be imported stops the operation with nothing written.
Result<json> import(Call& call, const json& j) {
  Args a(j, "playbook.import");
  const auto& pages = a.raw("pages");
  const auto id = a.text("id");
  ImportOptions options;
  options.strict = a.flag("strict");
  options.accept_removals = a.flag("accept_removals");
  options.effective_us = a.time("effective");
  if (auto st = a.done(); !st.ok()) return st;
  if (!pages.is_array() || pages.empty())
    return Status::InvalidArgument("pages is not a list of pages", "send [{\"file\": NAME, \"content_base64\": BYTES}]").tagged("field.pages");
  if (!id.empty() && pages.size() > 1)
    return Status::InvalidArgument("id names one playbook, but " + std::to_string(pages.size()) + " pages were given",
                                   "import the pages one at a time, or name each after its file")
        .tagged("import.one_id");
  std::vector<PlannedImport> plans;
  std::set<std::string> ids;
  for (const auto& p : pages) {
    Args pa(p, "a page");
    const auto file = pa.text("file", true);
    const auto b64 = pa.maybe_text("content_base64");
    auto content = pa.maybe_text("content");
    if (auto st = pa.done(); !st.ok()) return st;
    if (b64.has_value() == content.has_value())
      return Status::InvalidArgument("page " + file + " needs its content as text or as base64, one of them").tagged("field.content");
    if (b64) {
      auto bytes = page_from_base64(*b64, "the content of " + file);
      if (!bytes.ok()) return bytes.status();
      content = std::move(*bytes);
    }
    auto plan = plan_import_bytes(std::move(*content), file, id, options.strict);
    if (!plan.ok()) return plan.status();
    if (!ids.insert(plan->playbook_id).second)
      return Status::InvalidArgument("two files would both be playbook " + plan->playbook_id + " (" + file + ")",
                                     "rename one, or import them separately")
          .tagged("import.same_id");
    plans.push_back(std::move(*plan));
    if (call.progress) call.progress(plans.size(), pages.size(), "files read");
  }
  for (const auto& plan : plans)
    if (auto preview = preview_import(call.ledger, plan, options); !preview.ok()) return preview.status();
  json all = json::array();
  for (const auto& plan : plans) {
    auto out = import_playbook(call.ledger, plan, call.actor, options);
    if (!out.ok()) return out.status();
    std::string summary;
    if (out->unchanged) {
      summary = "unchanged since its last import; nothing appended";
    } else {
      summary = (out->counts.tasks_before == 0 && out->changes.empty() ? "imported " : "new revision from ") + plan.source + ": " +
                counts_text(out->counts);
      // The detail, as the history will show it, when it is short enough to read on one line.
      if (!out->changes.empty() && out->changes.size() <= 12) summary += " (" + projections::summarize(out->changes) + ")";
      summary += "; " + count(out->events, "event") + ", sequences " + std::to_string(out->position.first_sequence) + "-" +
                 std::to_string(out->position.last_sequence) + (out->position.duplicate ? ", already recorded" : "");
    }
    json warnings = json::array();
    for (const auto& w : plan.warnings) warnings.push_back({{"file", w.file}, {"line", w.line}, {"message", w.message}});
    all.push_back({{"playbook", plan.playbook_id}, {"file", plan.file}, {"unchanged", out->unchanged},
                   {"events", out->events}, {"first_sequence", out->position.first_sequence},
                   {"last_sequence", out->position.last_sequence}, {"summary", summary},
                   {"changes", counts_json(out->counts)}, {"warnings", warnings}});
    if (call.progress) call.progress(all.size(), plans.size(), "files imported");
  }
  return json{{"imports", all}};
}

json task_json(const TaskState& t, const std::string& playbook) {
  return {{"id", t.id},     {"name", t.name}, {"mandatory", t.mandatory}, {"role", t.role},
          {"services", t.services}, {"step", t.step}, {"playbook", playbook}, {"listed", t.listed}};
}

json show_json(const PlaybookState& st) {
  json steps = json::array();
  std::map<std::string, std::vector<const TaskState*>> by_step;  // one pass, not one per step
  for (const auto& [id, t] : st.tasks)
    if (t.listed) by_step[t.step].push_back(&t);
  for (const auto& s : st.steps) {
    if (!s.listed) continue;
    json tasks = json::array();
    if (auto it = by_step.find(s.def.name); it != by_step.end())
      for (const auto* t : it->second) tasks.push_back(task_json(*t, st.id));
    steps.push_back({{"name", s.def.name}, {"position", s.def.position}, {"primary_role", s.def.primary_role},
                     {"motions", s.def.motions}, {"applies_to", s.def.applies_to}, {"inputs", s.def.inputs},
                     {"outputs", s.def.outputs}, {"tasks", tasks}});
  }
  json deprecated = json::array();
  for (const auto& [id, date] : st.deprecated)
    if (auto it = st.tasks.find(id); it == st.tasks.end() || !it->second.listed) deprecated.push_back({{"id", id}, {"date", date}});
  json fm = json::object();
  for (const auto& [k, v] : st.front_matter) fm[k] = v;
  return {{"id", st.id},       {"title", st.title},   {"phase", st.phase},        {"motions", st.motions},
          {"source", st.source}, {"content_sha256", st.content_sha256}, {"version", st.version},
          {"last_sequence", st.last_sequence}, {"last_change", projections::iso_time(st.last_change_us)},
          {"front_matter", fm}, {"steps", steps}, {"tasks", st.listed_tasks()}, {"deprecated_tasks", deprecated}};
}

Result<json> list(Call& call, const json& j) {
  Args a(j, "playbook.list");
  if (auto st = a.done(); !st.ok()) return st;
  auto ids = playbook_ids(call.ledger);
  if (!ids.ok()) return ids.status();
  Rows rows{call};
  for (const auto& id : *ids) {
    auto st = load_playbook(call.ledger, id);
    if (!st.ok()) return st.status();
    std::size_t steps = 0;
    for (const auto& s : st->steps) steps += s.listed ? 1 : 0;
    auto added = rows.add({{"id", id}, {"title", st->title}, {"phase", st->phase}, {"steps", steps}, {"tasks", st->listed_tasks()},
                           {"last_change", projections::iso_time(st->last_change_us)}, {"version", st->version}});
    if (!added.ok()) return added;
  }
  return rows.doc;
}

Result<json> show(Call& call, const json& j) {
  Args a(j, "playbook.show");
  const auto id = a.text("playbook", true), as_of = a.text("as_of");
  if (auto st = a.done(); !st.ok()) return st;
  auto seq = as_of_sequence(call.ledger, as_of);
  if (!seq.ok()) return seq.status();
  auto st = load_playbook(call.ledger, id, *seq);
  if (!st.ok()) return st.status();
  return show_json(*st);
}

Result<json> tasks(Call& call, const json& j) {
  Args a(j, "playbook.tasks");
  const auto playbook = a.text("playbook"), service = a.text("service"), role = a.text("role"), as_of = a.text("as_of");
  const bool mandatory = a.flag("mandatory"), optional = a.flag("optional"), unlisted = a.flag("unlisted");
  if (auto st = a.done(); !st.ok()) return st;
  if (mandatory && optional) return Status::InvalidArgument("mandatory and optional exclude each other").tagged("tasks.both");
  auto seq = as_of_sequence(call.ledger, as_of);
  if (!seq.ok()) return seq.status();
  std::vector<std::string> ids;
  if (playbook.empty()) {
    auto all = playbook_ids(call.ledger);
    if (!all.ok()) return all.status();
    ids = std::move(*all);
  } else {
    ids.push_back(playbook);
  }
  Rows rows{call};
  for (const auto& id : ids) {
    auto st = load_playbook(call.ledger, id, *seq);
    if (*seq != 0 && playbook.empty() && st.status().code() == Code::kNotFound) continue;  // imported later
    if (!st.ok()) return st.status();
    for (const auto& [tid, t] : st->tasks) {
      if (!t.listed && !unlisted) continue;
      if (mandatory && !t.mandatory) continue;
      if (optional && t.mandatory) continue;
      if (!service.empty() && !task_for_service(t, service)) continue;
      if (!role.empty() && !task_for_role(t, role)) continue;
      if (auto added = rows.add(task_json(t, id)); !added.ok()) return added;
    }
  }
  return rows.doc;
}

}  // namespace

void add_catalog_operations(std::vector<Operation>& ops) {
  ops.push_back({"playbook.import", Access::kAdmin, true, false, import});
  ops.push_back({"playbook.list", Access::kRead, false, false, list});
  ops.push_back({"playbook.show", Access::kRead, false, false, show});
  ops.push_back({"playbook.tasks", Access::kRead, false, false, tasks});
}

}  // namespace ftl::engine
