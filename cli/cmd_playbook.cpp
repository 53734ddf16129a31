// ftl playbook import|list|show|tasks|history
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <set>


#include <sstream>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/invoke.h"
#include "cli/progress.h"
#include "ledger/base64.h"
#include "engine/catalog_service.h"
#include "projections/sentences.h"
#include "schema/parse.h"

namespace ftl::cli {
namespace {

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

struct HistoryOptions {
  std::string id, since, as_of;
};

const std::vector<Column> kTaskColumns = {{"id", "ID", true},  {"mandatory", "M/O"}, {"name", "Name"},
                                          {"role", "Role"},    {"services", "Services"}, {"step", "Step"},
                                          {"playbook", "Playbook"}};

json task_row_for_table(json row) {
  row["mandatory"] = row["mandatory"].get<bool>() ? "M" : "O";
  return row;
}

// The pages are read here, by the front (a server cannot read the caller's files), and sent as
// their bytes.
int run_import(const ImportOptions& o) {
  if (!o.id.empty() && o.files.size() > 1)
    return fail(Status::Usage("--id names one playbook, but " + std::to_string(o.files.size()) + " files were given",
                              "import the files one at a time, or drop --id to name each after its file"));
  json args = json::object();
  if (!o.id.empty()) args["id"] = o.id;
  if (o.strict) args["strict"] = true;
  if (o.accept_removals) args["accept_removals"] = true;
  if (!put_effective(args, o.effective, "2026-11-24 or 11/24/2026")) return exit_code();
  json pages = json::array();
  {
    Progress progress("reading", o.files.size(), "files");
    for (const auto& f : o.files) {
      auto bytes = schema::read_file(f, engine::kMaxPageBytes, "playbook file");
      if (!bytes.ok()) return fail(bytes.status());
      pages.push_back({{"file", f}, {"content_base64", to_base64(*bytes)}});
      progress.update(pages.size());
    }
  }
  args["pages"] = std::move(pages);
  auto out = invoke("playbook.import", args);
  if (!out.ok()) return fail(out.status());
  const auto& all = (*out)["imports"];
  for (const auto& r : all)
    for (const auto& w : r["warnings"])
      warn(w["file"].get<std::string>() + ":" + std::to_string(w["line"].get<std::size_t>()) + ": " + w["message"].get<std::string>());
  const auto format = globals().format();
  if (format == Format::kJson) {
    std::cout << json_text(all, 2) << "\n";
  } else if (format == Format::kTable) {
    for (const auto& r : all) std::cout << r["playbook"].get<std::string>() << ": " << r["summary"].get<std::string>() << "\n";
  } else {
    RowWriter w(std::cout, format,
                {{"playbook", "Playbook"}, {"file", "File"}, {"unchanged", "Unchanged"}, {"events", "Events", true},
                 {"first_sequence", "First", true}, {"last_sequence", "Last", true}, {"summary", "Summary"}},
                false);
    for (const auto& r : all) w.row(r);
  }
  return 0;
}

void print_show(const json& doc, Format format) {
  if (format != Format::kTable) {  // csv, md: the tasks as rows
    RowWriter w(std::cout, format, kTaskColumns, false);
    for (const auto& s : doc["steps"])
      for (const auto& t : s["tasks"]) w.row(format == Format::kMd ? task_row_for_table(t) : t);
    return;
  }
  const bool color = globals().color();
  auto bold = [&](const std::string& s) { return color ? "\x1b[1m" + s + "\x1b[0m" : s; };
  auto strs = [](const json& v) { return v.get<std::vector<std::string>>(); };
  std::cout << bold(doc["title"].get<std::string>()) << " (" << doc["id"].get<std::string>() << ")\n";
  std::cout << "Phase: " << doc["phase"].get<std::string>() << "\nMotions: " << projections::join_list(strs(doc["motions"]), " / ") << "\n";
  std::cout << "Source: " << doc["source"].get<std::string>() << ", version " << doc["version"] << ", last change "
            << doc["last_change"].get<std::string>() << "\n";
  std::cout << "Tasks: " << doc["tasks"] << " listed";
  if (!doc["deprecated_tasks"].empty()) {
    std::vector<std::string> d;
    for (const auto& x : doc["deprecated_tasks"]) d.push_back(std::to_string(x["id"].get<int>()) + " (" + x["date"].get<std::string>() + ")");
    std::cout << "; deprecated: " << projections::join_list(d, ", ");
  }
  std::cout << "\n";
  for (const auto& s : doc["steps"]) {
    std::cout << "\n" << bold(std::to_string(s["position"].get<int>()) + ". " + s["name"].get<std::string>()) << "\n";
    std::cout << "   Primary Role: " << s["primary_role"].get<std::string>() << "\n";
    std::cout << "   Motions: " << projections::join_list(strs(s["motions"]), " / ") << "\n";
    std::cout << "   Applies To: " << projections::join_list(strs(s["applies_to"]), " / ") << "\n";
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
}

int run_show(const ShowOptions& o) {
  if (globals().format() == Format::kJsonl) {  // jsonl: the tasks as rows
    auto out = invoke("playbook.show", {{"playbook", o.id}, {"as_of", o.as_of}});
    if (!out.ok()) return fail(out.status());
    RowWriter w(std::cout, Format::kJsonl, kTaskColumns, false);
    for (const auto& s : (*out)["steps"])
      for (const auto& t : s["tasks"]) w.row(t);
    return 0;
  }
  return document_command("playbook.show", {{"playbook", o.id}, {"as_of", o.as_of}}, print_show);
}

int run_tasks(const TasksOptions& o) {
  if (o.mandatory && o.optional) return fail(Status::Usage("--mandatory and --optional exclude each other"));
  json args = {{"playbook", o.playbook}, {"service", o.service}, {"role", o.role}, {"as_of", o.as_of},
               {"mandatory", o.mandatory}, {"optional", o.optional}, {"unlisted", o.unlisted}};
  return list_command("playbook.tasks", args, kTaskColumns, [](json row, Format format) {
    return format == Format::kTable || format == Format::kMd ? task_row_for_table(std::move(row)) : row;
  });
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
  list->callback([] {
    exit_code() = list_command("playbook.list", json::object(),
                               {{"id", "ID"}, {"title", "Title"}, {"phase", "Phase"}, {"steps", "Steps", true},
                                {"tasks", "Tasks", true}, {"last_change", "Last change"}});
  });

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
  hist->callback([ho] { exit_code() = print_history({{"playbook", ho->id}, {"as_of", ho->as_of}}, ho->since, true); });
}

}  // namespace ftl::cli
