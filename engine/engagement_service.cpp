#include "engine/engagement_service.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <thread>

#include "ledger/sha256.h"
#include "projections/fold.h"
#include "projections/history.h"
#include "projections/sentences.h"
#include "projections/snapshot.h"
#include "schema/codec.h"
#include "schema/playbook_page.h"
#include "schema/taxonomy.h"

namespace ftl::engine {

using projections::EngagementState;
using projections::TaskState;
using projections::TaskStatus;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
bool same(const std::string& a, const std::string& b) { return lower(a) == lower(b); }
bool is_all_services(const std::string& s) { return same(s, "All Services"); }
std::string list(const schema::Strings& v) { return projections::join_list(v, ", "); }

Status invalid(std::string msg, std::string hint = {}) { return Status::InvalidArgument(std::move(msg), std::move(hint)); }

// The in-scope spelling of a service, or an error naming the scope.
Result<std::string> scoped_service(const EngagementState& s, const std::string& service) {
  for (const auto& x : s.services)
    if (same(x, service)) return x;
  return invalid("service '" + service + "' is not in " + s.id + "'s scope (" + list(s.services) + ")",
                 "change " + s.id + "'s scope first")
      .tagged("engagement.out_of_scope");
}

Result<std::string> iso_date(const std::string& text, const char* what) {
  auto d = schema::parse_date(text);
  if (d.empty()) return invalid(std::string(what) + " '" + text + "' is not a date", "write it as 2026-12-15 or 12/15/2026");
  return d;
}

Decision one(schema::EngagementEvent e, std::string message) {
  Decision d;
  d.events.push_back(std::move(e));
  d.message = std::move(message);
  return d;
}

Decision nothing(std::string message) { return Decision{{}, std::move(message)}; }

}  // namespace

schema::Strings split_names(const std::string& text) {
  schema::Strings out;
  std::string cur;
  auto flush = [&] {
    auto t = schema::normalize_space(cur);
    if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    cur.clear();
  };
  for (char c : text) {
    if (c == ',' || c == '/') flush();
    else cur.push_back(c);
  }
  flush();
  return out;
}

std::string slug(const std::string& name) {
  std::string s;
  for (char c : schema::normalize_space(name)) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || u >= 0x80) s.push_back(static_cast<char>(std::tolower(u)));
    else if (!s.empty() && s.back() != '-') s.push_back('-');
  }
  while (!s.empty() && s.back() == '-') s.pop_back();
  return s;
}

// --- the catalog as the rules see it ---------------------------------------------------------

const TaskState* CatalogView::task(std::uint32_t id, std::string* playbook) const {
  for (const auto& p : playbooks) {
    auto it = p.tasks.find(id);
    if (it != p.tasks.end() && it->second.listed) {
      if (playbook != nullptr) *playbook = p.id;
      return &it->second;
    }
  }
  return nullptr;
}

std::optional<std::string> CatalogView::deprecated(std::uint32_t id) const {
  for (const auto& p : playbooks)
    if (auto it = p.deprecated.find(id); it != p.deprecated.end()) return it->second;
  return std::nullopt;
}

const schema::StepDefinition* CatalogView::step(const std::string& name) const {
  for (const auto& p : playbooks)
    for (const auto& st : p.steps)
      if (st.listed && same(st.def.name, name)) return &st.def;
  return nullptr;
}

std::vector<std::string> CatalogView::services() const {
  std::set<std::string> seen_lower;
  std::vector<std::string> out;
  for (const auto& p : playbooks)
    for (const auto& [id, t] : p.tasks)
      if (t.listed)
        for (const auto& svc : t.services)
          if (!is_all_services(svc) && seen_lower.insert(lower(svc)).second) out.push_back(svc);
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> CatalogView::service(const std::string& name) const {
  for (const auto& p : playbooks)
    for (const auto& [id, t] : p.tasks)
      if (t.listed)
        for (const auto& svc : t.services)
          if (same(svc, name) && !is_all_services(svc)) return svc;
  return std::nullopt;
}

namespace {
// What the catalog was made of at the last look, per open ledger: how many streams the ledger
// held (a new playbook is a new stream), and each playbook stream's version and last hash.
// Within one open ledger an event, once written, keeps its hash, so a stream whose version is
// unchanged needs no read: the fingerprint costs a few in-memory lookups.
struct CatalogParts {
  std::uint64_t streams = 0;
  std::vector<std::tuple<std::string, std::uint64_t, std::string>> parts;  // stream, version, last hash (hex)
};
std::mutex parts_mu;
std::map<std::uint64_t, CatalogParts> known_parts;  // by ledger instance

Result<std::string> last_hash(Ledger& ledger, const std::string& stream, std::uint64_t version) {
  auto last = ledger.scan_stream(stream, version);
  if (!last->valid()) return last->status().ok() ? Status::Corruption("stream " + stream + " has no event " + std::to_string(version)) : last->status();
  return to_hex(last->event().hash);
}
}  // namespace

Result<std::string> catalog_fingerprint(Ledger& ledger) {
  const std::uint64_t streams = ledger.stream_count();
  CatalogParts known;
  bool listed = false;
  {
    std::lock_guard lock(parts_mu);
    if (auto it = known_parts.find(ledger.instance()); it != known_parts.end() && it->second.streams == streams) {
      known = it->second;
      listed = true;
    }
  }
  if (listed) {
    for (auto& [name, version, hash] : known.parts) {
      auto now = ledger.stream_version(name);
      if (!now.ok()) return now.status();
      if (*now == version) continue;
      auto h = last_hash(ledger, name, *now);
      if (!h.ok()) return h.status();
      version = *now;
      hash = std::move(*h);
    }
  } else {
    known.streams = streams;
    std::vector<std::pair<std::string, std::uint64_t>> found;
    auto st = ledger.list_streams(projections::kPlaybookStreamPrefix, [&](const std::string& name, std::uint64_t version) {
      found.emplace_back(name, version);
      return true;
    });
    if (!st.ok()) return st;
    for (auto& [name, version] : found) {
      auto h = last_hash(ledger, name, version);
      if (!h.ok()) return h.status();
      known.parts.emplace_back(name, version, std::move(*h));
    }
  }
  std::string fingerprint = ledger.path();
  for (const auto& [name, version, hash] : known.parts) fingerprint += "\n" + name + " " + std::to_string(version) + " " + hash;
  std::lock_guard lock(parts_mu);
  if (known_parts.size() > 64) known_parts.clear();  // ledgers opened and closed: a long-lived process keeps a few
  known_parts[ledger.instance()] = std::move(known);
  return fingerprint;
}

Result<std::shared_ptr<const CatalogView>> shared_catalog(Ledger& ledger, std::uint64_t as_of_sequence) {
  if (as_of_sequence != 0) {
    auto view = load_catalog(ledger, as_of_sequence);
    if (!view.ok()) return view.status();
    return std::make_shared<const CatalogView>(std::move(*view));
  }
  auto fp = catalog_fingerprint(ledger);
  if (!fp.ok()) return fp.status();
  const std::string& fingerprint = *fp;
  static std::mutex mu;
  static std::map<std::uint64_t, std::pair<std::string, std::shared_ptr<const CatalogView>>> cache;  // by ledger instance
  {
    std::lock_guard lock(mu);
    if (auto it = cache.find(ledger.instance()); it != cache.end() && it->second.first == fingerprint) return it->second.second;
  }
  auto view = load_catalog(ledger, 0);
  if (!view.ok()) return view.status();
  auto shared = std::make_shared<const CatalogView>(std::move(*view));
  std::lock_guard lock(mu);
  if (cache.size() > 64) cache.clear();  // ledgers opened and closed: a long-lived process keeps a few
  cache[ledger.instance()] = {fingerprint, shared};
  return shared;
}

Result<CatalogView> load_catalog(Ledger& ledger, std::uint64_t as_of_sequence) {
  CatalogView view;
  auto ids = playbook_ids(ledger);
  if (!ids.ok()) return ids.status();
  for (const auto& id : *ids) {
    auto p = load_playbook(ledger, id, as_of_sequence);
    if (p.ok()) view.playbooks.push_back(std::move(*p));
    else if (p.status().code() != Code::kNotFound) return p.status();
  }
  return view;
}

bool task_applies(const TaskState& task, const EngagementState& s, std::string* why) {
  const bool any = std::any_of(task.services.begin(), task.services.end(),
                               [&](const std::string& x) { return is_all_services(x) || s.in_scope(x); });
  if (!any) {
    if (why != nullptr)
      *why = "task " + std::to_string(task.id) + " is for " + projections::join_list(task.services, " / ") +
             ", none of which is in " + s.id + "'s scope (" + list(s.services) + ")";
    return false;
  }
  if (same(task.step, kEnterpriseStep) && s.seats < kEnterpriseSeats && !s.exception) {
    if (why != nullptr)
      *why = "task " + std::to_string(task.id) + " belongs to the Enterprise Additional Benefit Enablement step, which applies only from " +
             std::to_string(kEnterpriseSeats) + " seats or with an exception (" + s.id + " has " + std::to_string(s.seats) + ")";
    return false;
  }
  return true;
}

std::vector<std::pair<const TaskState*, std::string>> applicable_tasks(const CatalogView& catalog, const EngagementState& s) {
  std::vector<std::pair<const TaskState*, std::string>> out;
  std::set<std::uint32_t> seen;
  for (const auto& p : catalog.playbooks)
    for (const auto& [id, t] : p.tasks)
      if (t.listed && task_applies(t, s) && seen.insert(id).second) out.emplace_back(&t, p.id);
  return out;
}

bool service_enabled(const CatalogView& catalog, const EngagementState& s, const std::string& service) {
  for (const auto& [t, playbook] : applicable_tasks(catalog, s)) {
    if (!t->mandatory) continue;
    const bool names_it = std::any_of(t->services.begin(), t->services.end(), [&](const std::string& x) { return same(x, service); });
    if (names_it && s.task_status(t->id) != TaskStatus::kDone) return false;
  }
  return true;
}

// --- decisions ----------------------------------------------------------------------------------

namespace {
bool well_formed_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 && id == slug(id) &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}
}  // namespace

Status check_engagement_id(const std::string& id) {
  if (id.empty()) return invalid("the engagement id is empty", "name it in lower-case letters, digits and '-', e.g. contoso");
  if (!well_formed_id(id)) {
    const auto suggestion = slug(id);
    return invalid("engagement id '" + id.substr(0, 80) + "' is not 1 to 64 lower-case letters, digits and '-'",
                   well_formed_id(suggestion) ? "use " + suggestion : "");
  }
  return Status::Ok();
}

namespace {
// The services named, in the catalog's spelling; an error names the first unknown one.
Result<schema::Strings> catalog_services(const CatalogView& catalog, const schema::Strings& services) {
  if (catalog.playbooks.empty())
    return invalid("the catalog is empty, so the services cannot be checked", "import a playbook first").tagged("catalog.empty");
  schema::Strings out;
  for (const auto& svc : services) {
    auto known = catalog.service(svc);
    if (!known) {
      const auto all = catalog.services();
      auto near = schema::nearest(svc, all);
      return invalid("service '" + svc + "' is in no playbook of the catalog",
                     (near.empty() ? "" : "did you mean " + near + "? ") + "services: " + list(all));
    }
    if (std::find(out.begin(), out.end(), *known) == out.end()) out.push_back(*known);
  }
  return out;
}
}  // namespace

Result<Decision> decide_open(const EngagementState& s, const CatalogView& catalog, const OpenCommand& c) {
  if (auto st = check_engagement_id(c.id); !st.ok()) return st;
  if (s.version != 0) return Status::Conflict("engagement " + c.id + " is already open (opened for " + s.customer + ")");
  if (schema::normalize_space(c.customer).empty()) return invalid("the customer is empty; name the customer").tagged("field.customer");
  if (c.seats == 0) return invalid("seats must be a positive number, not 0").tagged("field.seats");
  if (c.services.empty()) return invalid("the services are empty; name the services in scope, e.g. \"Exchange, Teams\"").tagged("field.services");
  auto services = catalog_services(catalog, c.services);
  if (!services.ok()) return services.status();
  auto phase = schema::canonical_service_status(c.phase);
  if (!phase)
    return invalid("phase '" + c.phase + "' is not a phase", "phases: " + list(schema::service_status_values()));
  for (const auto& m : c.motions)
    if (!same(m, "Customer Health") && !same(m, "RFA") && !same(m, "Targeting"))
      return invalid("motion '" + m + "' is not one of Customer Health, RFA, Targeting");
  return one(schema::EngagementOpened{c.id, schema::normalize_space(c.customer), c.seats, *services, c.motions, *phase, c.exception},
             "opened " + c.id + " for " + c.customer + " (" + std::to_string(c.seats) + " seats; " + list(*services) + ")");
}

Result<Decision> decide_task(const EngagementState& s, const CatalogView& catalog, const TaskCommand& c) {
  if (catalog.playbooks.empty())
    return invalid("the catalog is empty, so task " + std::to_string(c.task) + " cannot be checked", "import a playbook first")
        .tagged("catalog.empty");
  std::string playbook;
  const auto* t = catalog.task(c.task, &playbook);
  const std::string id = std::to_string(c.task);
  if (t == nullptr) {
    if (auto when = catalog.deprecated(c.task))
      return invalid("task " + id + " was deprecated on " + *when + " and is in no playbook any more");
    const TaskState* best = nullptr;
    for (const auto& p : catalog.playbooks)
      for (const auto& [tid, task] : p.tasks)
        if (task.listed && (best == nullptr || std::abs(static_cast<long>(tid) - static_cast<long>(c.task)) <
                                                   std::abs(static_cast<long>(best->id) - static_cast<long>(c.task))))
          best = &task;
    return invalid("no task " + id + " in the catalog",
                   best == nullptr ? "" : "did you mean task " + std::to_string(best->id) + " (" + best->name + ")?");
  }
  std::string why;
  if (!task_applies(*t, s, &why)) return invalid(why);
  const auto status = s.task_status(c.task);
  using Kind = TaskCommand::Kind;
  switch (c.kind) {
    case Kind::kDone: {
      if (status == TaskStatus::kDone) {
        const auto& m = s.tasks.at(c.task);
        return nothing("task " + id + " is already done (by " + m.by.actor + "); nothing recorded");
      }
      if (c.task == kEnablementCompleteTask) {
        std::vector<std::string> open;
        for (const auto& [task, pb] : applicable_tasks(catalog, s))
          if (task->mandatory && task->id != kEnablementCompleteTask && s.task_status(task->id) != TaskStatus::kDone)
            open.push_back(std::to_string(task->id));
        if (!open.empty())
          return invalid("task 1701 (Enablement Complete) needs every in-scope mandatory task done; still open: " +
                         projections::join_and(open));
        if (!s.has_survey_eligible_contact())
          return invalid("task 1701 (Enablement Complete) needs at least one contact marked Survey Eligible",
                         "add a Survey Eligible contact to " + s.id + " first")
              .tagged("engagement.no_survey_contact");
      }
      return one(schema::TaskCompleted{c.task, playbook, c.note, projections::task_status_name(status)},
                 "completed task " + id + " (" + t->name + ")");
    }
    case Kind::kReopen:
      if (status == TaskStatus::kOpen) return invalid("task " + id + " is already open; there is nothing to reopen");
      return one(schema::TaskReopened{c.task, projections::task_status_name(status), c.reason}, "reopened task " + id);
    case Kind::kNotApplicable:
      if (t->mandatory)
        return invalid("task " + id + " (" + t->name + ") is mandatory and cannot be marked not applicable");
      if (schema::normalize_space(c.reason).empty())
        return invalid("marking task " + id + " not applicable needs a reason").tagged("field.reason");
      if (status == TaskStatus::kNotApplicable) return nothing("task " + id + " is already not applicable; nothing recorded");
      return one(schema::TaskMarkedNotApplicable{c.task, playbook, c.reason, projections::task_status_name(status)},
                 "marked task " + id + " not applicable");
  }
  return invalid("unknown task command");
}

Result<Decision> decide_status(const EngagementState& s, const StatusCommand& c) {
  auto l1 = schema::canonical_l1(c.l1);
  if (!l1) {
    auto near = schema::nearest(c.l1, schema::l1_values());
    return invalid("'" + c.l1 + "' is not a Consumption Status (L1)",
                   (near.empty() ? "" : "did you mean " + near + "? ") + "L1 values: " + list(schema::l1_values()));
  }
  std::string l2;
  if (!c.l2.empty()) {
    const auto& valid = schema::l2_values(*l1);
    if (valid.empty()) return invalid(*l1 + " takes no Reason (L2), but '" + c.l2 + "' was given");
    auto found = schema::canonical_l2(*l1, c.l2);
    if (!found) {
      auto owner = schema::l1_of_l2(c.l2);
      return invalid("'" + c.l2 + "' is not a Reason (L2) of " + *l1 +
                         (owner ? " (it is one of " + *owner + ")" : ""),
                     "L2 values of " + *l1 + ": " + list(valid));
    }
    l2 = *found;
  }
  std::string target;
  if (!c.target.empty()) {
    auto d = iso_date(c.target, "the target date");
    if (!d.ok()) return d.status();
    target = *d;
  }
  schema::Strings services;
  if (c.service.empty()) {
    services = s.services;
  } else {
    auto svc = scoped_service(s, c.service);
    if (!svc.ok()) return svc.status();
    services.push_back(*svc);
  }
  Decision d;
  for (const auto& svc : services) {
    projections::Entitlement cur;
    if (auto it = s.entitlements.find(svc); it != s.entitlements.end()) cur = it->second;
    const std::string new_target = target.empty() ? cur.target : target;
    if (*l1 == "In Progress" && new_target.empty())
      return invalid("In Progress needs a target date for " + svc + ", and it has none").tagged("field.target");
    if (cur.l1 == *l1 && cur.l2 == l2 && cur.target == new_target) continue;
    d.events.emplace_back(schema::ConsumptionStatusSet{svc, cur.l1, *l1, cur.l2, l2, cur.target, new_target});
  }
  d.message = d.events.empty() ? "status unchanged; nothing recorded"
                               : "set Consumption Status (L1) to " + *l1 + (l2.empty() ? "" : ", Reason (L2) to " + l2) +
                                     " for " + std::to_string(d.events.size()) + " service" + (d.events.size() == 1 ? "" : "s");
  return d;
}

Result<Decision> decide_service_status(const EngagementState& s, const std::string& service, const std::string& value) {
  auto svc = scoped_service(s, service);
  if (!svc.ok()) return svc.status();
  auto v = schema::canonical_service_status(value);
  if (!v) return invalid("'" + value + "' is not a Service Status", "values: " + list(schema::service_status_values()));
  std::string from;
  if (auto it = s.entitlements.find(*svc); it != s.entitlements.end()) from = it->second.service_status;
  if (from == *v) return nothing("the Service Status of " + *svc + " is already " + *v + "; nothing recorded");
  return one(schema::ServiceStatusSet{*svc, from, *v}, "set the Service Status of " + *svc + " to " + *v);
}

Result<Decision> decide_target(const EngagementState& s, const std::string& service, const std::string& date) {
  auto svc = scoped_service(s, service);
  if (!svc.ok()) return svc.status();
  auto d = iso_date(date, "target date");
  if (!d.ok()) return d.status();
  std::string from;
  if (auto it = s.entitlements.find(*svc); it != s.entitlements.end()) from = it->second.target;
  if (from == *d) return nothing("the target date of " + *svc + " is already " + *d + "; nothing recorded");
  return one(schema::TargetDateSet{*svc, from, *d}, "set the target date of " + *svc + " to " + *d);
}

Result<Decision> decide_note(const EngagementState& /*s*/, const CatalogView& catalog, const NoteCommand& c) {
  auto kind = schema::canonical_note_kind(c.kind);
  if (!kind) return invalid("note kind '" + c.kind + "' is not one of " + list(schema::note_kinds()));
  if (schema::normalize_space(c.text).empty()) return invalid("the note has no text").tagged("field.text");
  std::string step;
  if (!c.step.empty()) {
    const auto* st = catalog.step(c.step);
    if (st == nullptr) return invalid("no step '" + c.step + "' in the catalog").tagged("catalog.no_step");
    step = st->name;
    const auto items = st->inputs.size() + st->outputs.size();
    if (c.item > items)
      return invalid("step '" + step + "' has " + std::to_string(items) + " checklist items (inputs then outputs), not " +
                     std::to_string(c.item));
  } else if (c.item != 0) {
    return invalid("checklist item " + std::to_string(c.item) + " needs a step to say which step's checklist").tagged("field.step");
  }
  return one(schema::NoteAdded{*kind, c.text, step, c.item}, "added " + schema::note_kind_title(*kind) + " note");
}

Result<Decision> decide_contact(const EngagementState& s, const ContactCommand& c) {
  if (!c.update) {
    if (!c.name || schema::normalize_space(*c.name).empty()) return invalid("a contact needs a name").tagged("field.name");
    const auto id = slug(*c.name);
    if (s.contacts.count(id) != 0)
      return invalid("contact " + id + " (" + *c.name + ") already exists", "update contact " + id + " instead").tagged("engagement.contact_exists");
    schema::ContactDetails d;
    d.name = schema::normalize_space(*c.name);
    d.role = c.role.value_or("");
    d.survey_eligible = c.survey_eligible.value_or(false);
    d.language = c.language.value_or("");
    d.country = c.country.value_or("");
    d.services = c.services.value_or(schema::Strings{});
    for (const auto& svc : d.services)
      if (!s.in_scope(svc) && !is_all_services(svc))
        return invalid("contact service '" + svc + "' is not in " + s.id + "'s scope (" + list(s.services) + ")");
    return one(schema::ContactAdded{id, d}, "added contact " + id);
  }
  auto it = s.contacts.find(c.id);
  if (it == s.contacts.end()) it = s.contacts.find(slug(c.id));
  if (it == s.contacts.end()) {
    std::vector<std::string> ids;
    for (const auto& [id, contact] : s.contacts) ids.push_back(id);
    return invalid("no contact '" + c.id + "' on " + s.id, ids.empty() ? "" : "contacts: " + list(ids));
  }
  auto d = it->second.details;
  if (c.name) d.name = *c.name;
  if (c.role) d.role = *c.role;
  if (c.survey_eligible) d.survey_eligible = *c.survey_eligible;
  if (c.language) d.language = *c.language;
  if (c.country) d.country = *c.country;
  if (c.services) d.services = *c.services;
  if (d == it->second.details) return nothing("contact " + it->first + " unchanged; nothing recorded");
  return one(schema::ContactChanged{it->first, it->second.details, d}, "updated contact " + it->first);
}

Result<Decision> decide_usage(const EngagementState& s, std::uint64_t active_users, const std::string& source) {
  auto message = "recorded " + std::to_string(active_users) + " active users";
  auto after = s;
  after.usage.active_users = active_users;
  if (after.milestone_reached() && !s.milestone_reached())
    message += "; the usage milestone (" + std::to_string(s.milestone_threshold()) + ") is reached";
  return one(schema::UsageRecorded{active_users, source}, message);
}

Result<Decision> decide_scope(const EngagementState& s, const CatalogView& catalog, const schema::Strings& requested) {
  if (requested.empty()) return invalid("the services are empty; an engagement needs at least one service in scope").tagged("field.services");
  auto services = catalog_services(catalog, requested);
  if (!services.ok()) return services.status();
  if (*services == s.services) return nothing("scope unchanged; nothing recorded");
  return one(schema::ScopeChanged{s.services, *services}, "scope is now " + list(*services));
}

Result<Decision> decide_seats(const EngagementState& s, std::uint32_t seats) {
  if (seats == 0) return invalid("seats must be a positive number, not 0").tagged("field.seats");
  if (seats == s.seats) return nothing("seats unchanged; nothing recorded");
  return one(schema::SeatsChanged{s.seats, seats}, "seats are now " + std::to_string(seats));
}

Result<Decision> decide_motions(const EngagementState& s, const schema::Strings& motions) {
  for (const auto& m : motions)
    if (!same(m, "Customer Health") && !same(m, "RFA") && !same(m, "Targeting"))
      return invalid("motion '" + m + "' is not one of Customer Health, RFA, Targeting");
  if (motions == s.motions) return nothing("motions unchanged; nothing recorded");
  return one(schema::MotionsChanged{s.motions, motions}, "motions are now " + list(motions));
}

Result<Decision> decide_phase(const EngagementState& s, const CatalogView& catalog, const std::string& phase) {
  auto p = schema::canonical_service_status(phase);
  if (!p) return invalid("phase '" + phase + "' is not a phase", "phases: " + list(schema::service_status_values()));
  if (*p == s.phase) return nothing("already in phase " + *p + "; nothing recorded");
  if (*p == "Migrate" || *p == "Adoption") {
    std::vector<std::string> not_enabled;
    for (const auto& svc : s.services)
      if (!service_enabled(catalog, s, svc)) not_enabled.push_back(svc);
    if (!not_enabled.empty())
      return invalid("moving " + s.id + " to " + *p + " needs every scoped service enabled; not yet: " + projections::join_and(not_enabled),
                     "a service is enabled when its mandatory tasks are done")
          .tagged("engagement.not_enabled");
  }
  return one(schema::PhaseChanged{s.phase, *p}, "phase is now " + *p);
}

Result<Decision> decide_correct(const EngagementState& s, const Event& corrected, const CorrectCommand& c) {
  if (schema::normalize_space(c.reason).empty()) return invalid("a correction needs a reason").tagged("field.reason");
  if (corrected.stream != projections::engagement_stream(s.id))
    return invalid("event " + c.event_id + " belongs to " + corrected.stream + ", not to engagement " + s.id);
  if (s.voided.count(corrected.event_id) != 0) return invalid("event " + c.event_id + " was already corrected");
  static const std::map<std::string, std::set<std::string>> kFields = {
      {"TaskCompleted", {"task"}},
      {"TaskMarkedNotApplicable", {"task", "reason"}},
      {"TaskReopened", {"reason"}},
      {"ConsumptionStatusSet", {"l1", "l2", "target"}},
      {"ServiceStatusSet", {"service_status"}},
      {"TargetDateSet", {"target"}},
      {"NoteAdded", {"text"}},
      {"UsageRecorded", {"active_users", "source"}},
  };
  auto allowed = kFields.find(corrected.type);
  if (allowed == kFields.end())
    return invalid("a " + corrected.type + " event cannot be corrected",
                   "record the right value as a new change instead; corrections apply to task, status, note and usage events");
  for (const auto& [k, v] : c.fields) {
    if (allowed->second.count(k) == 0) {
      std::vector<std::string> names(allowed->second.begin(), allowed->second.end());
      return invalid("a correction of " + corrected.type + " cannot set '" + k + "'", "it can set: " + list(names));
    }
    if ((k == "task" || k == "active_users") && (v.empty() || !std::all_of(v.begin(), v.end(), ::isdigit)))
      return invalid("--" + k + " '" + v + "' is not a number");
  }
  return one(schema::CorrectionRecorded{corrected.event_id, corrected.type, c.reason, c.fields},
             "recorded a correction of event " + corrected.event_id + " (" + corrected.type + ")");
}

}  // namespace ftl::engine
