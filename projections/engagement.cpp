#include "projections/engagement.h"

#include <algorithm>
#include <cctype>

#include "projections/fold.h"
#include "schema/codec.h"

namespace ftl::projections {

std::string engagement_stream(const std::string& engagement_id) { return kEngagementStreamPrefix + engagement_id; }

const char* task_status_name(TaskStatus s) {
  switch (s) {
    case TaskStatus::kOpen: return "open";
    case TaskStatus::kDone: return "done";
    case TaskStatus::kNotApplicable: return "not applicable";
  }
  return "open";
}

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <class T>
const T* current(const std::vector<std::pair<std::string, T>>& history, const std::set<std::string>& voided) {
  for (auto it = history.rbegin(); it != history.rend(); ++it)
    if (voided.count(it->first) == 0) return &it->second;
  return nullptr;
}

std::string field(const schema::CorrectionRecorded& c, const std::string& key) {
  for (const auto& [k, v] : c.fields)
    if (k == key) return v;
  return {};
}

// Which fact an event set: "task/N", "entitlement/SERVICE", "usage", "note", or "" if none.
// A search of the histories: only a correction asks, and corrections are rare.
std::string fact_set_by(const EngagementState& s, const std::string& event_id) {
  for (const auto& [task, history] : s.task_history)
    for (const auto& entry : history)
      if (entry.first == event_id) return "task/" + std::to_string(task);
  for (const auto& [service, history] : s.entitlement_history)
    for (const auto& entry : history)
      if (entry.first == event_id) return "entitlement/" + service;
  for (const auto& entry : s.usage_history)
    if (entry.first == event_id) return "usage";
  for (const auto& n : s.notes)
    if (n.by.event_id == event_id) return "note";
  return {};
}

struct Folder {
  EngagementState& s;
  const Event& e;
  Provenance by() const { return {e.actor, e.event_id, e.sequence, e.effective_us, e.recorded_us}; }

  void refresh_task(std::uint32_t task) {
    if (const auto* m = current(s.task_history[task], s.voided)) s.tasks[task] = *m;
    else s.tasks.erase(task);
  }
  void set_task(std::uint32_t task, TaskMark mark) {
    s.task_history[task].emplace_back(e.event_id, std::move(mark));
    refresh_task(task);
  }
  void refresh_entitlement(const std::string& service) {
    if (const auto* v = current(s.entitlement_history[service], s.voided)) s.entitlements[service] = *v;
    else s.entitlements.erase(service);
  }
  Entitlement entitlement(const std::string& service) const {
    auto it = s.entitlements.find(service);
    return it == s.entitlements.end() ? Entitlement{} : it->second;
  }
  void set_entitlement(const std::string& service, Entitlement v) {
    v.by = by();
    s.entitlement_history[service].emplace_back(e.event_id, std::move(v));
    refresh_entitlement(service);
  }
  void refresh_usage() {
    const auto* u = current(s.usage_history, s.voided);
    s.usage = u != nullptr ? *u : Usage{};
  }

  void operator()(const schema::EngagementOpened& v) {
    s.id = v.engagement_id;
    s.customer = v.customer;
    s.seats = v.seats;
    s.services = v.services;
    s.motions = v.motions;
    s.phase = v.phase;
    s.exception = v.exception;
    s.opened_us = e.effective_us;
  }
  void operator()(const schema::ScopeChanged& v) { s.services = v.to; }
  void operator()(const schema::SeatsChanged& v) { s.seats = v.to; }
  void operator()(const schema::MotionsChanged& v) { s.motions = v.to; }
  void operator()(const schema::PhaseChanged& v) { s.phase = v.to; }
  void operator()(const schema::TaskCompleted& v) {
    set_task(v.task, {TaskStatus::kDone, v.playbook, v.note, {}, by()});
  }
  void operator()(const schema::TaskReopened& v) {
    set_task(v.task, {TaskStatus::kOpen, {}, {}, v.reason, by()});
  }
  void operator()(const schema::TaskMarkedNotApplicable& v) {
    set_task(v.task, {TaskStatus::kNotApplicable, v.playbook, {}, v.reason, by()});
  }
  void operator()(const schema::ConsumptionStatusSet& v) {
    auto ent = entitlement(v.service);
    ent.l1 = v.l1_to;
    ent.l2 = v.l2_to;
    if (!v.target_to.empty()) ent.target = v.target_to;
    set_entitlement(v.service, ent);
  }
  void operator()(const schema::ServiceStatusSet& v) {
    auto ent = entitlement(v.service);
    ent.service_status = v.to;
    set_entitlement(v.service, ent);
  }
  void operator()(const schema::TargetDateSet& v) {
    auto ent = entitlement(v.service);
    ent.target = v.to;
    set_entitlement(v.service, ent);
  }
  void operator()(const schema::NoteAdded& v) {
    s.notes.push_back({v, by(), false});
  }
  void operator()(const schema::ContactAdded& v) { s.contacts[v.contact_id] = {v.contact_id, v.contact, by()}; }
  void operator()(const schema::ContactChanged& v) { s.contacts[v.contact_id] = {v.contact_id, v.to, by()}; }
  void operator()(const schema::UsageRecorded& v) {
    s.usage_history.emplace_back(e.event_id, Usage{v.active_users, v.source, by()});
    refresh_usage();
  }
  void operator()(const schema::CorrectionRecorded& v) {
    s.corrections.push_back({v, by()});
    const std::string key = fact_set_by(s, v.corrects);
    if (key.empty()) return;  // the engine refuses to correct what has no fact; keep the record
    s.voided.insert(v.corrects);
    if (key.starts_with("task/")) {
      const auto task = static_cast<std::uint32_t>(std::stoul(key.substr(5)));
      TaskMark old;
      for (const auto& [id, m] : s.task_history[task])
        if (id == v.corrects) old = m;
      refresh_task(task);
      const auto replacement = field(v, "task");
      const auto reason = field(v, "reason");
      if (!replacement.empty() || !reason.empty()) {
        const auto target = replacement.empty() ? task : static_cast<std::uint32_t>(std::stoul(replacement));
        if (!reason.empty()) old.reason = reason;
        old.by = by();
        set_task(target, old);
      }
    } else if (key.starts_with("entitlement/")) {
      const auto service = key.substr(12);
      refresh_entitlement(service);
      auto ent = entitlement(service);
      bool changed = false;
      for (const auto& [k, val] : v.fields) {
        if (k == "l1") ent.l1 = val, changed = true;
        else if (k == "l2") ent.l2 = val, changed = true;
        else if (k == "service_status") ent.service_status = val, changed = true;
        else if (k == "target") ent.target = val, changed = true;
      }
      if (changed) set_entitlement(service, ent);
    } else if (key == "usage") {
      refresh_usage();
      if (const auto users = field(v, "active_users"); !users.empty()) {
        s.usage_history.emplace_back(e.event_id, Usage{std::stoull(users), field(v, "source"), by()});
        refresh_usage();
      }
    } else if (key == "note") {
      for (auto& n : s.notes) {
        if (n.by.event_id != v.corrects) continue;
        n.voided = true;
        if (const auto text = field(v, "text"); !text.empty()) {
          auto replaced = n.note;
          replaced.text = text;
          s.notes.push_back({replaced, by(), false});
        }
        break;
      }
    }
  }
};

}  // namespace

void derive_current(EngagementState& s) {
  s.tasks.clear();
  s.entitlements.clear();
  for (const auto& [task, history] : s.task_history)
    if (const auto* m = current(history, s.voided)) s.tasks[task] = *m;
  for (const auto& [service, history] : s.entitlement_history)
    if (const auto* v = current(history, s.voided)) s.entitlements[service] = *v;
  const auto* u = current(s.usage_history, s.voided);
  s.usage = u != nullptr ? *u : Usage{};
}

TaskStatus EngagementState::task_status(std::uint32_t task) const {
  auto it = tasks.find(task);
  return it == tasks.end() ? TaskStatus::kOpen : it->second.status;
}

bool EngagementState::has_survey_eligible_contact() const {
  return std::any_of(contacts.begin(), contacts.end(), [](const auto& kv) { return kv.second.details.survey_eligible; });
}

bool EngagementState::in_scope(const std::string& service) const {
  const auto want = lower(service);
  return std::any_of(services.begin(), services.end(), [&](const std::string& s) { return lower(s) == want; });
}

std::uint64_t EngagementState::milestone_threshold() const {
  if (seats == 0) return 0;
  return seats < 1000 ? (seats + 9) / 10 : 100;
}

Status apply(EngagementState& state, const Event& event) {
  return fold_event<Folder>(state, event, "engagement", schema::decode_engagement);
}

}  // namespace ftl::projections

namespace ftl::projections {

std::vector<StateChange> diff(const EngagementState& a, const EngagementState& b) {
  std::vector<StateChange> out;
  auto add = [&](std::string field, std::string from, std::string to) {
    if (from != to) out.push_back({std::move(field), std::move(from), std::move(to)});
  };
  auto list = [](const schema::Strings& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  add("customer", a.customer, b.customer);
  add("seats", a.seats ? std::to_string(a.seats) : "", b.seats ? std::to_string(b.seats) : "");
  add("scope", list(a.services), list(b.services));
  add("motions", list(a.motions), list(b.motions));
  add("phase", a.phase, b.phase);
  std::set<std::uint32_t> tasks;
  for (const auto& [t, m] : a.tasks) tasks.insert(t);
  for (const auto& [t, m] : b.tasks) tasks.insert(t);
  for (auto t : tasks) add("task " + std::to_string(t), task_status_name(a.task_status(t)), task_status_name(b.task_status(t)));
  std::set<std::string> services;
  for (const auto& [s, e] : a.entitlements) services.insert(s);
  for (const auto& [s, e] : b.entitlements) services.insert(s);
  for (const auto& svc : services) {
    Entitlement ea, eb;
    if (auto it = a.entitlements.find(svc); it != a.entitlements.end()) ea = it->second;
    if (auto it = b.entitlements.find(svc); it != b.entitlements.end()) eb = it->second;
    add(svc + " L1", ea.l1, eb.l1);
    add(svc + " L2", ea.l2, eb.l2);
    add(svc + " Service Status", ea.service_status, eb.service_status);
    add(svc + " target date", ea.target, eb.target);
  }
  std::set<std::string> contacts;
  for (const auto& [id, c] : a.contacts) contacts.insert(id);
  for (const auto& [id, c] : b.contacts) contacts.insert(id);
  auto describe = [](const std::map<std::string, Contact>& m, const std::string& id) -> std::string {
    auto it = m.find(id);
    if (it == m.end()) return "";
    const auto& d = it->second.details;
    return d.name + (d.role.empty() ? "" : ", " + d.role) + (d.survey_eligible ? ", survey eligible" : "");
  };
  for (const auto& id : contacts) add("contact " + id, describe(a.contacts, id), describe(b.contacts, id));
  auto live_notes = [](const EngagementState& s) {
    return std::count_if(s.notes.begin(), s.notes.end(), [](const Note& n) { return !n.voided; });
  };
  add("notes", std::to_string(live_notes(a)), std::to_string(live_notes(b)));
  add("active users", a.usage_history.empty() ? "" : std::to_string(a.usage.active_users),
      b.usage_history.empty() ? "" : std::to_string(b.usage.active_users));
  return out;
}

}  // namespace ftl::projections
