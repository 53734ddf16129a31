#include "engine/engagement_document.h"

#include "projections/history.h"

namespace ftl::engine {

using nlohmann::json;
using projections::EngagementState;
using projections::TaskStatus;

namespace {

json provenance_json(const projections::Provenance& p) {
  return {{"by", p.actor}, {"at", projections::iso_time(p.effective_us)}, {"recorded_at", projections::iso_time(p.recorded_us)},
          {"event_id", p.event_id}, {"sequence", p.sequence}};
}

}  // namespace

std::vector<json> task_rows(const EngagementState& s, const CatalogView& catalog) {
  std::vector<json> rows;
  for (const auto& [t, playbook] : applicable_tasks(catalog, s)) {
    json row = {{"id", t->id}, {"name", t->name}, {"mandatory", t->mandatory}, {"role", t->role},
                {"services", t->services}, {"step", t->step}, {"playbook", playbook},
                {"status", projections::task_status_name(s.task_status(t->id))}};
    if (auto it = s.tasks.find(t->id); it != s.tasks.end()) {
      row["by"] = it->second.by.actor;
      row["at"] = projections::iso_time(it->second.by.effective_us);
      row["recorded_at"] = projections::iso_time(it->second.by.recorded_us);
      // Back-dated: stated for a business day before the day it was recorded.
      row["backdated"] = projections::iso_date(it->second.by.effective_us) < projections::iso_date(it->second.by.recorded_us);
      if (!it->second.reason.empty()) row["reason"] = it->second.reason;
      if (!it->second.note.empty()) row["note"] = it->second.note;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

json engagement_document(const EngagementState& s, const CatalogView& catalog) {
  json services = json::array();
  for (const auto& svc : s.services) {
    json e = {{"service", svc}, {"enabled", service_enabled(catalog, s, svc)}};
    if (auto it = s.entitlements.find(svc); it != s.entitlements.end()) {
      e["l1"] = it->second.l1;
      e["l2"] = it->second.l2;
      e["service_status"] = it->second.service_status;
      e["target"] = it->second.target;
      e["changed"] = provenance_json(it->second.by);
    }
    services.push_back(e);
  }
  std::size_t done = 0, na = 0, open = 0, mandatory_open = 0;
  for (const auto& [t, pb] : applicable_tasks(catalog, s)) {
    switch (s.task_status(t->id)) {
      case TaskStatus::kDone: ++done; break;
      case TaskStatus::kNotApplicable: ++na; break;
      case TaskStatus::kOpen:
        ++open;
        if (t->mandatory) ++mandatory_open;
        break;
    }
  }
  json contacts = json::array();
  for (const auto& [id, c] : s.contacts)
    contacts.push_back({{"id", id}, {"name", c.details.name}, {"role", c.details.role},
                        {"survey_eligible", c.details.survey_eligible}, {"language", c.details.language},
                        {"country", c.details.country}, {"services", c.details.services}});
  json notes = json::array();
  for (const auto& n : s.notes)
    if (!n.voided)
      notes.push_back({{"kind", n.note.kind}, {"text", n.note.text}, {"step", n.note.step}, {"item", n.note.item},
                       {"by", n.by.actor}, {"at", projections::iso_time(n.by.effective_us)}});
  return {{"id", s.id},
          {"customer", s.customer},
          {"seats", s.seats},
          {"services", s.services},
          {"motions", s.motions},
          {"phase", s.phase},
          {"exception", s.exception},
          {"enterprise_benefit", s.seats >= kEnterpriseSeats || s.exception},
          {"version", s.version},
          {"last_sequence", s.last_sequence},
          {"opened", projections::iso_time(s.opened_us)},
          {"last_change", projections::iso_time(s.last_change_us)},
          {"entitlements", services},
          {"tasks", {{"done", done}, {"not_applicable", na}, {"open", open}, {"mandatory_open", mandatory_open}}},
          {"task_list", task_rows(s, catalog)},
          {"usage",
           {{"active_users", s.usage.active_users}, {"source", s.usage.source}, {"threshold", s.milestone_threshold()},
            {"milestone_reached", s.milestone_reached()}}},
          {"contacts", contacts},
          {"survey_eligible_contact", s.has_survey_eligible_contact()},
          {"notes", notes},
          {"corrections", s.corrections.size()}};
}

}  // namespace ftl::engine
