#include "engine/catalog_service.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "ledger/format.h"
#include "ledger/sha256.h"
#include "projections/fold.h"
#include "schema/codec.h"
#include "schema/parse.h"

namespace ftl::engine {

using projections::PlaybookState;

Result<std::string> playbook_id_for(const std::string& file, const std::string& explicit_id) {
  std::string id = explicit_id;
  if (id.empty()) {
    for (char c : std::filesystem::path(file).stem().string()) {
      if (c == ' ' || c == '_') c = '-';
      id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  const bool ok = !id.empty() && id.size() <= 128 && std::isalnum(static_cast<unsigned char>(id[0])) != 0 &&
                  std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
                  });
  if (!ok)
    return Status::InvalidArgument("playbook id '" + id + "' may hold only lower-case letters, digits, '-', '.' and '_'")
        .tagged("playbook.id");
  return id;
}

Result<PlannedImport> plan_import(const std::string& file, const std::string& explicit_id, bool strict) {
  auto read = schema::read_file(file, kMaxPageBytes, "playbook file");
  if (!read.ok()) return read.status();
  return plan_import_bytes(std::move(*read), file, explicit_id, strict);
}

Result<PlannedImport> plan_import_bytes(std::string bytes, const std::string& file, const std::string& explicit_id, bool strict) {
  if (bytes.size() > kMaxPageBytes)
    return Status::InvalidArgument(file + " holds " + std::to_string(bytes.size()) + " bytes, more than the " +
                                   std::to_string(kMaxPageBytes) + " a playbook file may");
  auto id = playbook_id_for(file, explicit_id);
  if (!id.ok()) return id.status();
  auto parsed = schema::parse_playbook(bytes, file);
  if (!parsed.ok()) return parsed.status();
  PlannedImport plan;
  plan.playbook_id = *id;
  plan.file = file;
  plan.source = std::filesystem::path(file).filename().string();
  plan.content_sha256 = to_hex(Sha256::of(bytes));
  plan.page = std::move(parsed->page);
  plan.warnings = std::move(parsed->warnings);
  if (strict && !plan.warnings.empty()) {
    const auto more = plan.warnings.size() - 1;
    return Status::InvalidArgument(plan.warnings.front().str() +
                                   (more == 0 ? "" : " (and " + std::to_string(more) + " more warning" + (more == 1 ? ")" : "s)")))
        .tagged("import.strict");
  }
  return plan;
}

namespace {

schema::PlaybookImported imported_event(const PlannedImport& plan) {
  schema::PlaybookImported e;
  e.playbook_id = plan.playbook_id;
  e.title = plan.page.title;
  e.phase = plan.page.phase;
  e.source = plan.source;
  e.content_sha256 = plan.content_sha256;
  e.motions = plan.page.motions;
  e.front_matter = plan.page.front_matter;
  e.steps = static_cast<std::uint32_t>(plan.page.steps.size());
  e.tasks = static_cast<std::uint32_t>(plan.page.tasks.size());
  return e;
}

schema::TaskAdded task_added(const schema::PageTask& t) {
  return {t.id, t.name, t.mandatory, t.role, t.services, t.step};
}


}  // namespace

std::vector<schema::CatalogEvent> diff_catalog(const PlaybookState& before, const PlannedImport& plan) {
  std::vector<schema::CatalogEvent> out;
  const auto& page = plan.page;
  if (before.version != 0 && before.content_sha256 == plan.content_sha256) return out;
  out.emplace_back(imported_event(plan));
  if (before.version == 0) {
    for (const auto& s : page.steps) out.emplace_back(schema::StepAdded{s.def});
    for (const auto& t : page.tasks) out.emplace_back(task_added(t));
  } else {
    std::set<std::string> on_page;
    for (const auto& s : page.steps) {
      on_page.insert(s.def.name);
      const auto* old = before.step(s.def.name);
      if (old == nullptr || !old->listed) out.emplace_back(schema::StepAdded{s.def});
      else if (!(old->def == s.def)) out.emplace_back(schema::StepChanged{old->def, s.def});
    }
    for (const auto& s : before.steps)
      if (s.listed && on_page.count(s.def.name) == 0) out.emplace_back(schema::StepRemoved{s.def.name});
    std::set<std::uint32_t> listed;
    for (const auto& t : page.tasks) {
      listed.insert(t.id);
      auto it = before.tasks.find(t.id);
      if (it == before.tasks.end() || !it->second.listed) {
        out.emplace_back(task_added(t));
        continue;
      }
      const auto& o = it->second;
      if (o.name != t.name) out.emplace_back(schema::TaskRenamed{t.id, o.name, t.name});
      if (o.mandatory != t.mandatory) out.emplace_back(schema::TaskMandatoryChanged{t.id, o.mandatory, t.mandatory});
      if (o.role != t.role) out.emplace_back(schema::TaskRoleChanged{t.id, o.role, t.role});
      if (o.services != t.services) out.emplace_back(schema::TaskServicesChanged{t.id, o.services, t.services});
      if (o.step != t.step) out.emplace_back(schema::TaskMoved{t.id, o.step, t.step});
    }
    for (const auto& [id, t] : before.tasks)
      if (t.listed && listed.count(id) == 0) out.emplace_back(schema::TaskUnlisted{id, t.name, t.step});
  }
  // The page's Refresh Summary is newest first; record unseen rows oldest first.
  std::set<std::tuple<std::string, std::string, std::string>> recorded;
  for (const auto& r : before.refresh) recorded.emplace(r.date, r.who, r.what);
  for (auto it = page.refresh.rbegin(); it != page.refresh.rend(); ++it) {
    const auto& row = it->row;
    if (recorded.count({row.date, row.who, row.what}) == 0) out.emplace_back(row);
  }
  return out;
}

ImportCounts count_changes(const PlaybookState& before, const PlannedImport& plan, const std::vector<schema::CatalogEvent>& events) {
  ImportCounts c;
  if (before.version != 0 && !events.empty()) {
    const auto& page = plan.page;
    if (page.title != before.title) c.page_changes.push_back("title");
    if (page.phase != before.phase) c.page_changes.push_back("phase");
    if (page.motions != before.motions) c.page_changes.push_back("motions");
    if (page.front_matter != before.front_matter) c.page_changes.push_back("front matter");
    std::set<std::tuple<std::string, std::string, std::string>> on_page;
    for (const auto& r : page.refresh) on_page.emplace(r.row.date, r.row.who, r.row.what);
    for (const auto& r : before.refresh) c.refresh_rows_gone += on_page.count({r.date, r.who, r.what}) == 0 ? 1 : 0;
  }
  for (const auto& s : before.steps) c.steps_before += s.listed ? 1 : 0;
  c.tasks_before = before.listed_tasks();
  std::set<std::uint32_t> changed;
  std::set<std::string> steps_changed;
  for (const auto& e : events) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, schema::StepAdded>) ++c.steps_added;
          else if constexpr (std::is_same_v<T, schema::StepChanged>) steps_changed.insert(v.to.name);
          else if constexpr (std::is_same_v<T, schema::StepRemoved>) c.removed_steps.push_back(v.name);
          else if constexpr (std::is_same_v<T, schema::TaskAdded>) ++c.tasks_added;
          else if constexpr (std::is_same_v<T, schema::TaskUnlisted>) c.removed_tasks.push_back(v.id);
          else if constexpr (std::is_same_v<T, schema::RefreshSummaryRowRecorded>) ++c.refresh_rows;
          else if constexpr (!std::is_same_v<T, schema::PlaybookImported>) changed.insert(v.id);
        },
        e);
  }
  c.steps_changed = steps_changed.size();
  c.steps_removed = c.removed_steps.size();
  c.tasks_changed = changed.size();
  c.tasks_removed = c.removed_tasks.size();
  std::sort(c.removed_tasks.begin(), c.removed_tasks.end());
  return c;
}

Status check_removals(const std::string& playbook_id, const ImportCounts& c, const ImportOptions& options) {
  const bool tasks = c.tasks_removed * 2 > c.tasks_before && c.tasks_removed > 0;
  const bool steps = c.steps_removed * 2 > c.steps_before && c.steps_removed > 0;
  if (options.accept_removals || (!tasks && !steps)) return Status::Ok();
  auto listed = [](const auto& items, auto show) {
    std::string out;
    const std::size_t shown = std::min<std::size_t>(items.size(), 10);
    for (std::size_t i = 0; i < shown; ++i) out += (i == 0 ? "" : ", ") + show(items[i]);
    if (items.size() > shown) out += " and " + std::to_string(items.size() - shown) + " more";
    return out;
  };
  std::string what;
  if (c.tasks_removed > 0)
    what += std::to_string(c.tasks_removed) + " of its " + std::to_string(c.tasks_before) + " tasks (" +
            listed(c.removed_tasks, [](std::uint32_t id) { return std::to_string(id); }) + ")";
  if (c.steps_removed > 0)
    what += std::string(what.empty() ? "" : " and ") + std::to_string(c.steps_removed) + " of its " + std::to_string(c.steps_before) +
            " steps (" + listed(c.removed_steps, [](const std::string& n) { return "\"" + n + "\""; }) + ")";
  return Status::InvalidArgument("importing this page would remove " + what + " from playbook " + playbook_id +
                                 ", more than half; nothing was imported")
      .tagged("import.removals");
}

namespace {

// The playbook as the ledger has it now (empty if it has none yet).
Result<PlaybookState> current_playbook(Ledger& ledger, const std::string& playbook_id) {
  auto before = load_playbook(ledger, playbook_id);
  if (before.ok()) return before;
  if (before.status().code() != Code::kNotFound) return before.status();
  return PlaybookState{};
}

}  // namespace

Result<ImportCounts> preview_import(Ledger& ledger, const PlannedImport& plan, const ImportOptions& options) {
  auto state = current_playbook(ledger, plan.playbook_id);
  if (!state.ok()) return state.status();
  const auto events = diff_catalog(*state, plan);
  auto counts = count_changes(*state, plan, events);
  if (auto st = check_removals(plan.playbook_id, counts, options); !st.ok()) return st;
  // What the ledger would refuse, refused here, before any page of the command is appended.
  for (const auto& e : events) {
    const auto enc = schema::encode(e);
    if (enc.bytes.size() > format::kMaxPayloadBytes) {
      std::string what = enc.type;
      if (const auto* t = std::get_if<schema::TaskAdded>(&e)) what += " of task " + std::to_string(t->id);
      if (const auto* st = std::get_if<schema::StepAdded>(&e)) what += " of step \"" + st->step.name.substr(0, 80) + "\"";
      return Status::InvalidArgument(plan.file + ": its " + what + " event would hold " + std::to_string(enc.bytes.size()) +
                                     " bytes, more than the " + std::to_string(format::kMaxPayloadBytes) + " an event may");
    }
  }
  return counts;
}

Result<ImportOutcome> import_playbook(Ledger& ledger, const PlannedImport& plan, const std::string& actor,
                                      const ImportOptions& options) {
  const auto stream = projections::playbook_stream(plan.playbook_id);
  for (int attempt = 0;; ++attempt) {
    auto loaded = current_playbook(ledger, plan.playbook_id);
    if (!loaded.ok()) return loaded.status();
    PlaybookState state = std::move(*loaded);
    auto events = diff_catalog(state, plan);
    ImportOutcome outcome;
    outcome.playbook_id = plan.playbook_id;
    if (events.empty()) {
      outcome.unchanged = true;
      return outcome;
    }
    outcome.counts = count_changes(state, plan, events);
    if (auto st = check_removals(plan.playbook_id, outcome.counts, options); !st.ok()) return st;
    AppendRequest req;
    req.stream = stream;
    req.expected = state.version == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(state.version);
    req.events.reserve(events.size());
    const auto n_events = events.size();
    for (std::size_t i = 0; i < n_events; ++i) {
      auto enc = schema::encode(events[i]);
      NewEvent ne;
      // Deterministic ids: the same page imported twice from the same base is one import.
      ne.event_id = to_hex(Sha256::of(stream + "@" + std::to_string(state.version) + "/" + plan.content_sha256 + "#" +
                                      std::to_string(i)))
                        .substr(0, 32);
      ne.type = enc.type;
      ne.schema_version = enc.version;
      ne.actor = actor;
      ne.payload = std::move(enc.bytes);
      ne.effective_us = options.effective_us;
      // A Refresh Summary row takes effect on its date; one whose date was not understood (kept
      // as written) on the import's.
      if (const auto* row = std::get_if<schema::RefreshSummaryRowRecorded>(&events[i]))
        if (const auto us = schema::date_to_us(row->date); us != 0) ne.effective_us = us;
      events[i] = schema::StepRemoved{};  // encoded: its memory goes back before the batch is built
      req.events.push_back(std::move(ne));
    }
    events.clear();
    events.shrink_to_fit();
    auto res = ledger.append(std::move(req));
    if (!res.ok()) {
      if (res.status().code() == Code::kConflict && attempt < 8) {
        // Another append to this playbook got there first: fold again and decide again.
        std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
        continue;
      }
      return res.status();
    }
    outcome.events = n_events;
    outcome.position = *res;
    if (state.version != 0) {
      // Fold the new events to learn the sentences the history will show.
      for (auto cur = ledger.scan_stream(stream, state.version + 1); cur->valid(); cur->next())
        if (!projections::apply(state, cur->event()).ok()) break;
      if (!state.imports.empty() && state.imports.back().sequence >= res->first_sequence) outcome.changes = state.imports.back().changes;
    }
    return outcome;
  }
}

Result<PlaybookState> load_playbook(Ledger& ledger, const std::string& playbook_id, std::uint64_t as_of_sequence) {
  PlaybookState state;
  auto cur = ledger.scan_stream(projections::playbook_stream(playbook_id));
  if (auto st = projections::fold_stream(*cur, as_of_sequence, state); !st.ok()) return st;
  if (state.version == 0) {
    auto known = playbook_ids(ledger);
    if (!known.ok()) return known.status();
    if (known->empty()) return Status::NotFound("no playbook " + playbook_id, "the catalog is empty").tagged("catalog.empty");
    return Status::NotFound("no playbook " + playbook_id, "known playbooks: " + projections::join_list(*known, ", "));
  }
  return state;
}

Result<std::vector<std::string>> stream_ids(Ledger& ledger, const std::string& prefix) {
  std::vector<std::string> ids;
  auto st = ledger.list_streams(prefix, [&](const std::string& stream, std::uint64_t) {
    ids.push_back(stream.substr(prefix.size()));
    return true;
  });
  if (!st.ok()) return st;
  return ids;
}

Result<std::vector<std::string>> playbook_ids(Ledger& ledger) { return stream_ids(ledger, projections::kPlaybookStreamPrefix); }

}  // namespace ftl::engine
