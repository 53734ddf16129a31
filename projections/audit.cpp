#include "projections/audit.h"

#include <algorithm>
#include <cctype>

#include "schema/codec.h"
#include "schema/playbook_page.h"
#include "schema/taxonomy.h"

namespace ftl::projections {
namespace {

std::string list(const schema::Strings& v) { return join_list(v, ", "); }
std::string md_date(const std::string& iso) { return iso.empty() ? "" : schema::playbook_date(iso); }
std::string yes_no(bool b) { return b ? "yes" : "no"; }
std::string id(std::uint32_t task) { return std::to_string(task); }

// What an engagement event changed, in the playbook's voice.
struct Describe {
  std::vector<Change>& out;
  const std::map<std::string, std::string>& described;

  void operator()(const schema::EngagementOpened& v) {
    out.push_back({"Opened", "the engagement", "", "for " + v.customer + " (" + std::to_string(v.seats) + " seats; " + list(v.services) + ")"});
  }
  void operator()(const schema::ScopeChanged& v) { out.push_back({"Changed", "the scope", "", "to " + list(v.to)}); }
  void operator()(const schema::SeatsChanged& v) {
    out.push_back({"Changed", "the seats", "", "from " + std::to_string(v.from) + " to " + std::to_string(v.to)});
  }
  void operator()(const schema::MotionsChanged& v) { out.push_back({"Changed", "the motions", "", "to " + list(v.to)}); }
  void operator()(const schema::PhaseChanged& v) { out.push_back({"Moved", "the engagement", "", "to phase " + v.to}); }
  void operator()(const schema::TaskCompleted& v) { out.push_back({"Completed", "task", id(v.task), ""}); }
  void operator()(const schema::TaskReopened& v) { out.push_back({"Reopened", "task", id(v.task), ""}); }
  void operator()(const schema::TaskMarkedNotApplicable& v) { out.push_back({"Marked", "task", id(v.task), "not applicable"}); }
  void operator()(const schema::ConsumptionStatusSet& v) {
    if (v.l1_from != v.l1_to || v.l2_from != v.l2_to)
      out.push_back({"Set Consumption Status (L1) to " + v.l1_to + (v.l2_to.empty() ? "" : ", Reason (L2) to " + v.l2_to) + " for",
                     "", v.service, ""});
    if (!v.target_to.empty() && v.target_to != v.target_from)
      out.push_back({"Set the target date of", "", v.service, "to " + md_date(v.target_to)});
  }
  void operator()(const schema::ServiceStatusSet& v) { out.push_back({"Set the Service Status of", "", v.service, "to " + v.to}); }
  void operator()(const schema::TargetDateSet& v) {
    out.push_back({"Set the target date of", "", v.service, "to " + md_date(v.to)});
  }
  void operator()(const schema::NoteAdded& v) { out.push_back({"Added", "", schema::note_kind_title(v.kind) + " note", ""}); }
  void operator()(const schema::ContactAdded& v) { out.push_back({"Added", "contact", v.contact.name, ""}); }
  void operator()(const schema::ContactChanged& v) { out.push_back({"Updated", "contact", v.to.name, ""}); }
  void operator()(const schema::UsageRecorded& v) {
    out.push_back({"Recorded", "", std::to_string(v.active_users) + " active users" + (v.source.empty() ? "" : " (" + v.source + ")"), ""});
  }
  void operator()(const schema::CorrectionRecorded& v) {
    auto it = described.find(v.corrects);
    std::string what = it != described.end() ? it->second : "event " + v.corrects;
    std::string fix;
    for (const auto& [k, val] : v.fields) fix += (fix.empty() ? "" : ", ") + k + " " + val;
    out.push_back({"Corrected", "", what, "(" + v.reason + (fix.empty() ? "" : "; now " + fix) + ")"});
  }
};

// How a later correction names the event.
std::string describe_for_correction(const schema::EngagementEvent& e, const std::string& date) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        const std::string on = " on " + md_date(date);
        if constexpr (std::is_same_v<T, schema::TaskCompleted>) return "the completion of task " + id(v.task) + on;
        else if constexpr (std::is_same_v<T, schema::TaskReopened>) return "the reopening of task " + id(v.task) + on;
        else if constexpr (std::is_same_v<T, schema::TaskMarkedNotApplicable>) return "task " + id(v.task) + " marked not applicable" + on;
        else if constexpr (std::is_same_v<T, schema::ConsumptionStatusSet>) return "the status of " + v.service + on;
        else if constexpr (std::is_same_v<T, schema::ServiceStatusSet>) return "the Service Status of " + v.service + on;
        else if constexpr (std::is_same_v<T, schema::TargetDateSet>) return "the target date of " + v.service + on;
        else if constexpr (std::is_same_v<T, schema::NoteAdded>) return "the " + schema::note_kind_title(v.kind) + " note" + on;
        else if constexpr (std::is_same_v<T, schema::UsageRecorded>) return "the usage figure" + on;
        else return std::string(T::kType) + on;
      },
      e);
}

}  // namespace

Status EngagementHistory::apply(const Event& event) {
  if (event.stream_version != version_ + 1)
    return Status::Corruption("event " + std::to_string(event.sequence) + " is version " + std::to_string(event.stream_version) +
                              " of " + event.stream + ", but the history expected version " + std::to_string(version_ + 1));
  const auto date = iso_date(event.effective_us);
  std::vector<Change> changes;
  if (event.redacted_by != 0) {
    changes.push_back({"[redacted]", "", "", ""});
    described_[event.event_id] = "a redacted event on " + md_date(date);
  } else if (auto r = redaction_of(event)) {
    changes.push_back({"Redacted", "event", std::to_string(r->sequence), "(" + r->reason + ")"});
  } else {
    auto decoded = schema::decode_engagement(event.type, event.schema_version, event.payload);
    if (!decoded.ok()) return Status::Corruption("event " + std::to_string(event.sequence) + ": " + decoded.status().message());
    std::visit(Describe{changes, described_}, *decoded);
    described_[event.event_id] = describe_for_correction(*decoded, date);
  }
  version_ = event.stream_version;
  if (changes.empty()) return Status::Ok();
  const auto key = date + '\0' + event.actor;
  auto [it, fresh] = by_key_.emplace(key, groups_.size());
  if (fresh) groups_.push_back({date, event.actor, false, {}});
  auto& g = groups_[it->second];
  g.changes.insert(g.changes.end(), changes.begin(), changes.end());
  if (date < iso_date(event.recorded_us)) g.backdated = true;
  return Status::Ok();
}

std::vector<HistoryRow> EngagementHistory::rows() const {
  std::vector<HistoryRow> rows;
  for (auto it = groups_.rbegin(); it != groups_.rend(); ++it)
    rows.push_back({it->date, true, it->date, 0, it->who, summarize(it->changes), "ledger", "", it->backdated});
  std::stable_sort(rows.begin(), rows.end(), [](const HistoryRow& a, const HistoryRow& b) { return a.date > b.date; });
  return rows;
}

namespace {

struct Rows {
  std::vector<AuditRow>& out;
  const AuditRow& base;
  void row(std::string field, std::string from, std::string to) {
    if (from == to && !from.empty()) return;
    AuditRow r = base;
    r.field = std::move(field);
    r.from = std::move(from);
    r.to = std::move(to);
    out.push_back(std::move(r));
  }
  // Engagement events.
  void operator()(const schema::EngagementOpened& v) {
    row("customer", "", v.customer);
    row("seats", "", std::to_string(v.seats));
    row("scope", "", list(v.services));
    if (!v.motions.empty()) row("motions", "", list(v.motions));
    row("phase", "", v.phase);
    if (v.exception) row("exception", "", "yes");
  }
  void operator()(const schema::ScopeChanged& v) { row("scope", list(v.from), list(v.to)); }
  void operator()(const schema::SeatsChanged& v) { row("seats", std::to_string(v.from), std::to_string(v.to)); }
  void operator()(const schema::MotionsChanged& v) { row("motions", list(v.from), list(v.to)); }
  void operator()(const schema::PhaseChanged& v) { row("phase", v.from, v.to); }
  void operator()(const schema::TaskCompleted& v) { row("task " + id(v.task), v.from, "done"); }
  void operator()(const schema::TaskReopened& v) { row("task " + id(v.task), v.from, "open"); }
  void operator()(const schema::TaskMarkedNotApplicable& v) { row("task " + id(v.task), v.from, "not applicable"); }
  void operator()(const schema::ConsumptionStatusSet& v) {
    row(v.service + " L1", v.l1_from, v.l1_to);
    row(v.service + " L2", v.l2_from, v.l2_to);
    if (!v.target_to.empty() && v.target_to != v.target_from) row(v.service + " target date", v.target_from, v.target_to);
  }
  void operator()(const schema::ServiceStatusSet& v) { row(v.service + " Service Status", v.from, v.to); }
  void operator()(const schema::TargetDateSet& v) { row(v.service + " target date", v.from, v.to); }
  void operator()(const schema::NoteAdded& v) { row(schema::note_kind_title(v.kind) + " note", "", v.text); }
  void operator()(const schema::ContactAdded& v) {
    row("contact " + v.contact_id, "", v.contact.name + (v.contact.role.empty() ? "" : ", " + v.contact.role) +
                                            (v.contact.survey_eligible ? ", survey eligible" : ""));
  }
  void operator()(const schema::ContactChanged& v) {
    const auto c = "contact " + v.contact_id + " ";
    row(c + "name", v.from.name, v.to.name);
    row(c + "role", v.from.role, v.to.role);
    row(c + "survey eligible", yes_no(v.from.survey_eligible), yes_no(v.to.survey_eligible));
    row(c + "language", v.from.language, v.to.language);
    row(c + "country", v.from.country, v.to.country);
    row(c + "services", list(v.from.services), list(v.to.services));
  }
  void operator()(const schema::UsageRecorded& v) { row("active users", "", std::to_string(v.active_users)); }
  void operator()(const schema::CorrectionRecorded& v) {
    std::string to = v.reason;
    for (const auto& [k, val] : v.fields) to += "; " + k + " " + val;
    row("correction of " + v.corrected_type, v.corrects, to);
  }
  // Catalog events.
  void operator()(const schema::PlaybookImported& v) { row("page", "", v.source + " (" + v.title + ")"); }
  void operator()(const schema::StepAdded& v) { row("step " + v.step.name, "", "added"); }
  void operator()(const schema::StepChanged& v) { row("step " + v.to.name, "", "changed"); }
  void operator()(const schema::StepRemoved& v) { row("step " + v.name, "listed", "removed"); }
  void operator()(const schema::TaskAdded& v) { row("task " + id(v.id), "", v.name); }
  void operator()(const schema::TaskRenamed& v) { row("task " + id(v.id) + " name", v.from, v.to); }
  void operator()(const schema::TaskMandatoryChanged& v) {
    row("task " + id(v.id) + " mandatory", v.from ? "M" : "O", v.to ? "M" : "O");
  }
  void operator()(const schema::TaskRoleChanged& v) { row("task " + id(v.id) + " role", v.from, v.to); }
  void operator()(const schema::TaskServicesChanged& v) { row("task " + id(v.id) + " services", list(v.from), list(v.to)); }
  void operator()(const schema::TaskMoved& v) { row("task " + id(v.id) + " step", v.from, v.to); }
  void operator()(const schema::TaskUnlisted& v) { row("task " + id(v.id) + " listed", "yes", "no"); }
  void operator()(const schema::RefreshSummaryRowRecorded& v) { row("refresh summary " + md_date(v.date), "", v.who + ": " + v.what); }
};

}  // namespace

std::vector<AuditRow> audit_rows(const Event& event) {
  AuditRow base;
  base.sequence = event.sequence;
  base.recorded_us = event.recorded_us;
  base.effective_us = event.effective_us;
  base.actor = event.actor;
  base.stream = event.stream;
  base.type = event.type;
  base.event_id = event.event_id;
  std::vector<AuditRow> out;
  Rows rows{out, base};
  if (event.redacted_by != 0) rows.row("[redacted]", "", "(removed by event " + std::to_string(event.redacted_by) + ")");
  else if (auto r = redaction_of(event)) rows.row("redaction", "", "event " + std::to_string(r->sequence) + ": " + r->reason);
  else if (auto e = schema::decode_engagement(event.type, event.schema_version, event.payload); e.ok()) std::visit(rows, *e);
  else if (auto c = schema::decode_catalog(event.type, event.schema_version, event.payload); c.ok()) std::visit(rows, *c);
  else rows.row("(unknown event)", "", "");
  return out;
}

bool type_matches(const std::string& filter, const std::string& type) {
  std::string f;
  for (char c : filter) f.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (f == "task") return type.starts_with("Task");
  if (f == "status") return type == "ConsumptionStatusSet" || type == "ServiceStatusSet" || type == "TargetDateSet";
  if (f == "note") return type == "NoteAdded";
  if (f == "contact") return type.starts_with("Contact");
  if (f == "usage") return type == "UsageRecorded";
  if (f == "correction") return type == "CorrectionRecorded";
  if (f == "engagement") return !schema::is_catalog_type(type);
  if (f == "catalog") return schema::is_catalog_type(type);
  return filter == type;
}

}  // namespace ftl::projections
