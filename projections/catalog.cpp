#include "projections/catalog.h"

#include <algorithm>
#include <cctype>

#include "projections/sentences.h"

#include "projections/fold.h"
#include "schema/codec.h"

namespace ftl::projections {

std::string playbook_stream(const std::string& playbook_id) { return kPlaybookStreamPrefix + playbook_id; }

const StepState* PlaybookState::step(const std::string& name) const {
  auto it = step_at.find(name);
  return it == step_at.end() ? nullptr : &steps[it->second];
}

std::size_t PlaybookState::listed_tasks() const {
  return static_cast<std::size_t>(std::count_if(tasks.begin(), tasks.end(), [](const auto& kv) { return kv.second.listed; }));
}

std::vector<std::uint32_t> deprecated_task_ids(const std::string& what) {
  std::vector<std::uint32_t> ids;
  std::string lower;
  for (char c : what) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (std::size_t at = lower.find("deprecated"); at != std::string::npos; at = lower.find("deprecated", at + 1)) {
    // "deprecated task(s) 1910, 1911 and 1912": numbers up to the next clause.
    std::size_t i = at + 10;
    while (i < lower.size() && !std::isdigit(static_cast<unsigned char>(lower[i])) && lower[i] != ',' && i < at + 24) ++i;
    for (; i < lower.size(); ++i) {
      if (std::isdigit(static_cast<unsigned char>(lower[i]))) {
        std::size_t j = i;
        while (j < lower.size() && std::isdigit(static_cast<unsigned char>(lower[j]))) ++j;
        if (j - i <= 9) ids.push_back(static_cast<std::uint32_t>(std::stoul(lower.substr(i, j - i))));
        i = j - 1;
      } else if (lower.compare(i, 5, " and ") == 0 || lower[i] == ',' || lower[i] == ' ') {
        continue;
      } else {
        break;
      }
    }
  }
  return ids;
}

namespace {

std::string quote(const std::string& s) { return "\"" + s + "\""; }

struct Folder {
  PlaybookState& s;
  const Event& e;

  ImportRecord* current_import() { return s.imports.empty() ? nullptr : &s.imports.back(); }
  void note(std::string verb, std::string noun, std::string object, std::string tail = {}) {
    if (auto* imp = current_import(); imp != nullptr && !imp->first)
      imp->changes.push_back({std::move(verb), std::move(noun), std::move(object), std::move(tail)});
  }

  void operator()(const schema::PlaybookImported& v) {
    ImportRecord r;
    r.sequence = e.sequence;
    r.recorded_us = e.recorded_us;
    r.effective_us = e.effective_us;
    r.actor = e.actor;
    r.source = v.source;
    r.first = s.imports.empty();
    r.steps = v.steps;
    r.tasks = v.tasks;
    if (!r.first && v.title != s.title) r.changes.push_back({"Renamed", "the playbook", "", "to \"" + v.title + "\""});
    s.imports.push_back(std::move(r));
    s.id = v.playbook_id;
    s.title = v.title;
    s.phase = v.phase;
    s.source = v.source;
    s.content_sha256 = v.content_sha256;
    s.motions = v.motions;
    s.front_matter = v.front_matter;
  }
  StepState* step(const std::string& name) {
    auto it = s.step_at.find(name);
    return it == s.step_at.end() ? nullptr : &s.steps[it->second];
  }
  void operator()(const schema::StepAdded& v) {
    auto* st = step(v.step.name);
    if (st != nullptr) {
      st->def = v.step;
      st->listed = true;
    } else {
      s.step_at.emplace(v.step.name, s.steps.size());
      s.steps.push_back({v.step, true});
      st = &s.steps.back();
    }
    sort_steps(st);
    note("Added", "step", quote(v.step.name));
  }
  void operator()(const schema::StepChanged& v) {
    if (auto* st = step(v.from.name)) {
      st->def = v.to;
      if (v.to.name != v.from.name) {
        s.step_at.erase(v.from.name);
        s.step_at[v.to.name] = static_cast<std::size_t>(st - s.steps.data());
      }
      sort_steps(st);
    }
    note("Updated", "step", quote(v.to.name));
  }
  void operator()(const schema::StepRemoved& v) {
    if (auto* st = step(v.name)) st->listed = false;
    note("Removed", "step", quote(v.name));
  }
  void operator()(const schema::TaskAdded& v) {
    auto& t = s.tasks[v.id];
    const bool relisted = t.id != 0;
    t = {v.id, v.name, v.mandatory, v.role, v.services, v.step, true, e.effective_us};
    note(relisted ? "Listed" : "Added", "task", std::to_string(v.id), relisted ? "again" : "");
  }
  TaskState* task(std::uint32_t id) {
    auto it = s.tasks.find(id);
    if (it == s.tasks.end()) return nullptr;
    it->second.changed_us = e.effective_us;
    return &it->second;
  }
  void operator()(const schema::TaskRenamed& v) {
    if (auto* t = task(v.id)) t->name = v.to;
    note("Renamed", "task", std::to_string(v.id), "to " + quote(v.to));
  }
  void operator()(const schema::TaskMandatoryChanged& v) {
    if (auto* t = task(v.id)) t->mandatory = v.to;
    note("Changed", "task", std::to_string(v.id), v.to ? "to Mandatory" : "to Optional");
  }
  void operator()(const schema::TaskRoleChanged& v) {
    if (auto* t = task(v.id)) t->role = v.to;
    note("Changed the role of", "task", std::to_string(v.id), "to " + v.to);
  }
  void operator()(const schema::TaskServicesChanged& v) {
    if (auto* t = task(v.id)) t->services = v.to;
    note("Changed the services of", "task", std::to_string(v.id), "to " + join_list(v.to, " / "));
  }
  void operator()(const schema::TaskMoved& v) {
    if (auto* t = task(v.id)) t->step = v.to;
    note("Moved", "task", std::to_string(v.id), "to step " + quote(v.to));
  }
  void operator()(const schema::TaskUnlisted& v) {
    if (auto* t = task(v.id)) t->listed = false;
    note("Removed", "task", std::to_string(v.id));
  }
  void operator()(const schema::RefreshSummaryRowRecorded& v) {
    s.refresh.push_back({v.date, v.who, v.what, v.notes});
    for (auto id : deprecated_task_ids(v.what)) s.deprecated.emplace(id, v.date);
  }
  // Steps stay in position order. An import adds them in that order, so this sorts (and
  // re-indexes) only when a step lands out of order: a page of thousands of steps folds in
  // linear time.
  void sort_steps(const StepState* changed) {
    auto by_position = [](const StepState& a, const StepState& b) { return a.def.position < b.def.position; };
    const auto i = static_cast<std::size_t>(changed - s.steps.data());  // the rest is in order already
    if ((i == 0 || !by_position(s.steps[i], s.steps[i - 1])) && (i + 1 >= s.steps.size() || !by_position(s.steps[i + 1], s.steps[i])))
      return;
    std::stable_sort(s.steps.begin(), s.steps.end(), by_position);
    s.step_at.clear();
    for (std::size_t i = 0; i < s.steps.size(); ++i) s.step_at[s.steps[i].def.name] = i;
  }
};

}  // namespace

Status apply(PlaybookState& state, const Event& event) {
  return fold_event<Folder>(state, event, "catalog", schema::decode_catalog);
}

}  // namespace ftl::projections
