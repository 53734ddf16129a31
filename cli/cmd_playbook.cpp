// ftl playbook import|list|show|tasks|history
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <set>

#include "cli/context.h"
#include "cli/progress.h"
#include "engine/catalog_service.h"
#include "projections/history.h"

namespace ftl::cli {
namespace {

using projections::PlaybookState;
using projections::TaskState;
using nlohmann::json;

struct ImportOptions {
  std::vector<std::string> files;
  std::string id;
  std::string effective;
  bool strict = false, accept_removals = false;
};

struct TasksOptions {
  std::string playbook, service, role, as_of;
  bool mandatory = false, optional = false, unlisted = false;
};

struct ShowOptions {
  std::string id, as_of;
};

json task_json(const TaskState& t, const std::string& playbook) {
  return {{"id", t.id},     {"name", t.name}, {"mandatory", t.mandatory}, {"role", t.role},
          {"services", t.services}, {"step", t.step}, {"playbook", playbook}, {"listed", t.listed}};
}

const std::vector<Column> kTaskColumns = {{"id", "ID", true},  {"mandatory", "M/O"}, {"name", "Name"},
                                          {"role", "Role"},    {"services", "Services"}, {"step", "Step"},
                                          {"playbook", "Playbook"}};

json task_row_for_table(json row) {
  row["mandatory"] = row["mandatory"].get<bool>() ? "M" : "O";
  return row;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string count(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// "added 2 steps and 86 tasks; changed 3 tasks; removed 1 task; 2 Refresh Summary rows"
std::string counts_text(const engine::ImportCounts& c) {
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

json counts_json(const engine::ImportCounts& c) {
  return {{"steps_added", c.steps_added},     {"steps_changed", c.steps_changed}, {"steps_removed", c.steps_removed},
          {"tasks_added", c.tasks_added},     {"tasks_changed", c.tasks_changed}, {"tasks_removed", c.tasks_removed},
          {"refresh_rows", c.refresh_rows},   {"refresh_rows_gone", c.refresh_rows_gone}, {"page_changes", c.page_changes},
          {"removed_tasks", c.removed_tasks}, {"removed_steps", c.removed_steps}};
}

int run_import(const ImportOptions& o) {
  if (!o.id.empty() && o.files.size() > 1)
    return fail(Status::Usage("--id names one playbook, but " + std::to_string(o.files.size()) + " files were given",
                              "import the files one at a time, or drop --id to name each after its file"));
  engine::ImportOptions options;
  options.strict = o.strict;
  options.accept_removals = o.accept_removals;
  if (!o.effective.empty()) {
    options.effective_us = parse_time(o.effective);
    if (!options.effective_us)
      return fail(Status::InvalidArgument("--effective '" + o.effective + "' is not a date", "write it as 2026-11-24 or 11/24/2026"));
  }
  // Read every page first: a page that cannot be read stops the command before anything is appended.
  std::vector<engine::PlannedImport> plans;
  std::set<std::string> ids;
  {
    Progress progress("reading", o.files.size(), "files");
    for (const auto& f : o.files) {
      auto plan = engine::plan_import(f, o.id, o.strict);
      if (!plan.ok()) return fail(plan.status());
      for (const auto& w : plan->warnings) warn(w.str());
      if (!ids.insert(plan->playbook_id).second)
        return fail(Status::InvalidArgument("two files would both be playbook " + plan->playbook_id + " (" + f + ")",
                                            "rename one, or import them in separate commands"));
      plans.push_back(std::move(*plan));
      progress.update(plans.size());
    }
  }
  auto ledger = open_for_writing(/*create=*/true);
  if (!ledger.ok()) return fail(ledger.status());
  // And check what each would remove before the first is appended.
  for (const auto& plan : plans) {
    auto preview = engine::preview_import(**ledger, plan, options);
    if (!preview.ok()) return fail(preview.status());
  }
  const auto format = globals().format();
  json all = json::array();
  Progress progress("importing", plans.size(), "files");
  std::size_t done = 0;
  for (const auto& plan : plans) {
    auto out = engine::import_playbook(**ledger, plan, actor(), options);
    if (!out.ok()) return fail(out.status());
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
    progress.update(++done);
    if (format == Format::kTable) {
      progress.finish();
      std::cout << plan.playbook_id << ": " << summary << "\n";
    }
  }
  progress.finish();
  if (format == Format::kJson) {
    std::cout << json_text(all, 2) << "\n";
  } else if (format != Format::kTable) {
    RowWriter w(std::cout, format,
                {{"playbook", "Playbook"}, {"file", "File"}, {"unchanged", "Unchanged"}, {"events", "Events", true},
                 {"first_sequence", "First", true}, {"last_sequence", "Last", true}, {"summary", "Summary"}},
                false);
    for (const auto& r : all) w.row(r);
  }
  return 0;
}

int run_list() {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  RowWriter w(std::cout, globals().format(),
              {{"id", "ID"}, {"title", "Title"}, {"phase", "Phase"}, {"steps", "Steps", true}, {"tasks", "Tasks", true},
               {"last_change", "Last change"}},
              globals().color());
  auto ids = engine::playbook_ids(**ledger);
  if (!ids.ok()) return fail(ids.status());
  for (const auto& id : *ids) {
    auto st = engine::load_playbook(**ledger, id);
    if (!st.ok()) return fail(st.status());
    std::size_t steps = 0;
    for (const auto& s : st->steps) steps += s.listed ? 1 : 0;
    w.row({{"id", id}, {"title", st->title}, {"phase", st->phase}, {"steps", steps}, {"tasks", st->listed_tasks()},
           {"last_change", projections::iso_time(st->last_change_us)}, {"version", st->version}});
  }
  return 0;
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

int run_show(const ShowOptions& o) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto seq = as_of_sequence(**ledger, o.as_of);
  if (!seq.ok()) return fail(seq.status());
  auto st = engine::load_playbook(**ledger, o.id, *seq);
  if (!st.ok()) return fail(st.status());
  const auto doc = show_json(*st);
  const auto format = globals().format();
  if (format == Format::kJson) {
    std::cout << json_text(doc, 2) << "\n";
    return 0;
  }
  if (format != Format::kTable) {  // jsonl, csv, md: the tasks as rows
    RowWriter w(std::cout, format, kTaskColumns, false);
    for (const auto& s : doc["steps"])
      for (const auto& t : s["tasks"]) w.row(format == Format::kMd ? task_row_for_table(t) : t);
    return 0;
  }
  const bool color = globals().color();
  auto bold = [&](const std::string& s) { return color ? "\x1b[1m" + s + "\x1b[0m" : s; };
  std::cout << bold(st->title) << " (" << st->id << ")\n";
  std::cout << "Phase: " << st->phase << "\nMotions: " << projections::join_list(st->motions, " / ") << "\n";
  std::cout << "Source: " << st->source << ", version " << st->version << ", last change "
            << projections::iso_time(st->last_change_us) << "\n";
  std::cout << "Tasks: " << st->listed_tasks() << " listed";
  if (!doc["deprecated_tasks"].empty()) {
    std::vector<std::string> d;
    for (const auto& x : doc["deprecated_tasks"]) d.push_back(std::to_string(x["id"].get<int>()) + " (" + x["date"].get<std::string>() + ")");
    std::cout << "; deprecated: " << projections::join_list(d, ", ");
  }
  std::cout << "\n";
  for (const auto& s : doc["steps"]) {
    std::cout << "\n" << bold(std::to_string(s["position"].get<int>()) + ". " + s["name"].get<std::string>()) << "\n";
    std::cout << "   Primary Role: " << s["primary_role"].get<std::string>() << "\n";
    std::cout << "   Motions: " << projections::join_list(s["motions"].get<std::vector<std::string>>(), " / ") << "\n";
    std::cout << "   Applies To: " << projections::join_list(s["applies_to"].get<std::vector<std::string>>(), " / ") << "\n";
    for (const char* part : {"inputs", "outputs"}) {
      if (s[part].empty()) continue;
      std::cout << "   Step " << (part[0] == 'i' ? "Inputs" : "Outputs") << ":\n";
      for (const auto& item : s[part]) {
        const auto text = item.get<std::string>();
        const auto depth = text.find_first_not_of(' ');
        std::cout << "     " << text.substr(0, depth) << "- " << text.substr(depth) << "\n";
      }
    }
    if (!s["tasks"].empty()) {
      std::cout << "   FTOP Tasks:\n";
      std::ostringstream table;
      {
        RowWriter w(table, Format::kTable,
                    {{"id", "ID", true}, {"mandatory", "M/O"}, {"name", "Name"}, {"role", "Role"}, {"services", "Services"}},
                    color);
        for (const auto& t : s["tasks"]) w.row(task_row_for_table(t));
      }
      std::istringstream lines(table.str());
      for (std::string l; std::getline(lines, l);) std::cout << "     " << l << "\n";
    }
  }
  return 0;
}

bool matches_service(const TaskState& t, const std::string& service) {
  const auto want = lower(service);
  for (const auto& s : t.services) {
    const auto have = lower(s);
    if (have == want || have == "all services") return true;
  }
  return false;
}

bool matches_role(const TaskState& t, const std::string& role) {
  const auto want = lower(role);
  const auto have = lower(t.role);
  if (have == want) return true;
  if (want == "fe") return have == "fasttrack engineer";
  if (want == "fm") return have == "fasttrack manager";
  return false;
}

int run_tasks(const TasksOptions& o) {
  if (o.mandatory && o.optional) return fail(Status::Usage("--mandatory and --optional exclude each other"));
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto seq = as_of_sequence(**ledger, o.as_of);
  if (!seq.ok()) return fail(seq.status());
  std::vector<std::string> ids;
  if (o.playbook.empty()) {
    auto all = engine::playbook_ids(**ledger);
    if (!all.ok()) return fail(all.status());
    ids = std::move(*all);
  } else {
    ids.push_back(o.playbook);
  }
  const auto format = globals().format();
  RowWriter w(std::cout, format, kTaskColumns, globals().color());
  for (const auto& id : ids) {
    auto st = engine::load_playbook(**ledger, id, *seq);
    if (*seq != 0 && o.playbook.empty() && st.status().code() == Code::kNotFound) continue;  // imported later
    if (!st.ok()) return fail(st.status());
    for (const auto& [tid, t] : st->tasks) {
      if (!t.listed && !o.unlisted) continue;
      if (o.mandatory && !t.mandatory) continue;
      if (o.optional && t.mandatory) continue;
      if (!o.service.empty() && !matches_service(t, o.service)) continue;
      if (!o.role.empty() && !matches_role(t, o.role)) continue;
      auto row = task_json(t, id);
      w.row(format == Format::kTable || format == Format::kMd ? task_row_for_table(row) : row);
    }
  }
  return 0;
}

struct HistoryOptions {
  std::string id, since, as_of;
};

int run_history(const HistoryOptions& o) {
  auto ledger = open_for_reading();
  if (!ledger.ok()) return fail(ledger.status());
  auto seq = as_of_sequence(**ledger, o.as_of);
  if (!seq.ok()) return fail(seq.status());
  auto st = engine::load_playbook(**ledger, o.id, *seq);
  if (!st.ok()) return fail(st.status());
  return print_history(projections::playbook_history(*st), o.since, true);
}

}  // namespace

void setup_playbook(CLI::App& app) {
  auto* pb = app.add_subcommand("playbook", "The playbook catalog: import pages, browse steps and tasks");
  pb->require_subcommand(1);
  pb->footer("Example:\n  ftl playbook import examples/playbooks/enable-services.md\n  ftl playbook tasks --service Exchange --mandatory");

  auto io = std::make_shared<ImportOptions>();
  auto* imp = pb->add_subcommand("import", "Import playbook Markdown pages; a re-import appends only what changed");
  imp->add_option("files", io->files, "Playbook Markdown files")->required();
  imp->add_option("--id", io->id, "Playbook id (default: the file name without .md)");
  imp->add_option("--effective", io->effective, "Business date of the change (default: now)");
  imp->add_flag("--strict", io->strict, "Refuse a page that needed any repair (every warning is an error)");
  imp->add_flag("--accept-removals", io->accept_removals, "Import a page that removes more than half of a playbook's tasks or steps");
  imp->footer("Example:\n  ftl playbook import examples/playbooks/enable-services.md\n  ftl playbook import newer.md --id enable-services --effective 2026-11-24");
  imp->callback([io] { exit_code() = run_import(*io); });

  auto* list = pb->add_subcommand("list", "List playbooks: id, title, phase, steps, tasks, last change");
  list->footer("Example:\n  ftl playbook list --format json");
  list->callback([] { exit_code() = run_list(); });

  auto so = std::make_shared<ShowOptions>();
  auto* show = pb->add_subcommand("show", "Show a playbook's steps with role, motions, applies-to, inputs/outputs and tasks");
  show->add_option("id", so->id, "Playbook id")->required();
  show->add_option("--as-of", so->as_of, "As it was at a sequence number or a time");
  show->footer("Example:\n  ftl playbook show enable-services\n  ftl playbook show enable-services --as-of 2026-11-01");
  show->callback([so] { exit_code() = run_show(*so); });

  auto to = std::make_shared<TasksOptions>();
  auto* tasks = pb->add_subcommand("tasks", "List FTOP tasks, filtered by playbook, service, M/O or role");
  tasks->add_option("--playbook", to->playbook, "Only this playbook");
  tasks->add_option("--service", to->service, "Only tasks for this service (tasks for All Services included)");
  tasks->add_flag("--mandatory", to->mandatory, "Only mandatory tasks");
  tasks->add_flag("--optional", to->optional, "Only optional tasks");
  tasks->add_option("--role", to->role, "Only tasks for this FastTrack role (FE and FM accepted)");
  tasks->add_flag("--unlisted", to->unlisted, "Include tasks that the newest page no longer lists");
  tasks->add_option("--as-of", to->as_of, "The catalog as it was at a sequence number or a time");
  tasks->footer("Example:\n  ftl playbook tasks --playbook enable-services --service Exchange --mandatory");
  tasks->callback([to] { exit_code() = run_tasks(*to); });

  auto ho = std::make_shared<HistoryOptions>();
  auto* hist = pb->add_subcommand("history", "The catalog's own Refresh Summary beside the changes imports detected");
  hist->add_option("id", ho->id, "Playbook id")->required();
  hist->add_option("--since", ho->since, "Only rows on or after this date");
  hist->add_option("--as-of", ho->as_of, "As the ledger knew it at a sequence number or a time");
  hist->footer("Example:\n  ftl playbook history enable-services --format md");
  hist->callback([ho] { exit_code() = run_history(*ho); });
}

}  // namespace ftl::cli
