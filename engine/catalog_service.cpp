#include "engine/catalog_service.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

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
    return Status::InvalidArgument("playbook id '" + id + "' may hold only lower-case letters, digits, '-', '.' and '_'",
                                   "name one with --id, e.g. --id enable-services");
  return id;
}

Result<PlannedImport> plan_import(const std::string& file, const std::string& explicit_id) {
  auto read = schema::read_file(file, kMaxPageBytes, "playbook file");
  if (!read.ok()) return read.status();
  const std::string& bytes = *read;
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

bool same_row(const projections::RefreshRow& a, const schema::RefreshSummaryRowRecorded& b) {
  return a.date == b.date && a.who == b.who && a.what == b.what;
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
  for (auto it = page.refresh.rbegin(); it != page.refresh.rend(); ++it) {
    const auto& row = it->row;
    if (std::none_of(before.refresh.begin(), before.refresh.end(), [&](const auto& r) { return same_row(r, row); }))
      out.emplace_back(row);
  }
  return out;
}

Result<ImportOutcome> import_playbook(Ledger& ledger, const PlannedImport& plan, const std::string& actor,
                                      std::optional<std::int64_t> effective_us) {
  const auto stream = projections::playbook_stream(plan.playbook_id);
  for (int attempt = 0;; ++attempt) {
    auto before = load_playbook(ledger, plan.playbook_id);
    PlaybookState state;
    if (before.ok()) state = std::move(*before);
    else if (before.status().code() != Code::kNotFound) return before.status();
    auto events = diff_catalog(state, plan);
    ImportOutcome outcome;
    outcome.playbook_id = plan.playbook_id;
    if (events.empty()) {
      outcome.unchanged = true;
      return outcome;
    }
    AppendRequest req;
    req.stream = stream;
    req.expected = state.version == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(state.version);
    for (std::size_t i = 0; i < events.size(); ++i) {
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
      if (const auto* row = std::get_if<schema::RefreshSummaryRowRecorded>(&events[i])) ne.effective_us = schema::date_to_us(row->date);
      else ne.effective_us = effective_us;
      req.events.push_back(std::move(ne));
    }
    auto res = ledger.append(std::move(req));
    if (!res.ok()) {
      if (res.status().code() == Code::kConflict && attempt < 8) {
        // Another append to this playbook got there first: fold again and decide again.
        std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
        continue;
      }
      return res.status();
    }
    outcome.events = events.size();
    outcome.position = *res;
    if (state.version != 0) {
      PlaybookState after = state;
      // Fold the new events to learn the sentences the history will show.
      for (auto cur = ledger.scan_stream(stream, state.version + 1); cur->valid(); cur->next())
        if (!projections::apply(after, cur->event()).ok()) break;
      if (after.imports.size() > state.imports.size()) outcome.changes = after.imports.back().changes;
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
    std::string hint = known->empty() ? "import one with `ftl playbook import FILE`"
                                      : "known playbooks: " + projections::join_list(*known, ", ");
    return Status::NotFound("no playbook " + playbook_id, hint);
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
