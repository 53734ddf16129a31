// The engagement operations: recording (open, scope, seats, phase, motions, tasks, status,
// service status and target, notes, contacts, usage, corrections) and the views of one
// engagement (list, show, tasks, diff, replay).
#include "engine/args.h"
#include "ledger/sha256.h"
#include "engine/engagement_document.h"
#include "engine/operations.h"
#include "engine/queries.h"
#include "projections/history.h"

namespace ftl::engine {
namespace {

using nlohmann::json;
using projections::EngagementState;
using projections::TaskStatus;

// What every recording operation answers: what was recorded and where.
json outcome_json(const std::string& engagement, const Outcome& out) {
  return {{"engagement", engagement},
          {"message", out.message},
          {"events", out.events},
          {"first_sequence", out.position.first_sequence},
          {"last_sequence", out.position.last_sequence},
          {"duplicate", out.position.duplicate}};
}

// Reads the fields every recording shares (engagement, effective), then the operation's own
// (`read` fills a Decide), and executes it, waiting or not.
using ReadDecision = std::function<Decide(Args&)>;
struct Recording {
  std::string engagement;
  std::optional<std::int64_t> effective;
  Decide decide;
};
Result<Recording> read_recording(const std::string& name, bool create, const ReadDecision& read, const json& j) {
  Args a(j, name);
  Recording r;
  r.engagement = a.text("engagement", true);
  r.effective = a.time("effective");
  r.decide = read(a);
  if (auto st = a.done(); !st.ok()) return st;
  if (create)
    if (auto st = check_engagement_id(r.engagement); !st.ok()) return st;
  return r;
}

Operation recording(std::string name, bool create, ReadDecision read) {
  Operation op{name, Access::kWrite, false, false, [name, create, read](Call& call, const json& j) -> Result<json> {
                 auto r = read_recording(name, create, read, j);
                 if (!r.ok()) return r.status();
                 auto out = execute(call.ledger, r->engagement, call.actor, r->effective, create, r->decide, call.idempotency_key);
                 if (!out.ok()) return out.status();
                 return outcome_json(r->engagement, *out);
               }};
  op.run_async = [name, create, read](Call& call, const json& j, Operation::Done done) {
    auto r = read_recording(name, create, read, j);
    if (!r.ok()) return done(r.status());
    execute_async(call.ledger, r->engagement, call.actor, r->effective, create, std::move(r->decide), call.idempotency_key, call.post, call.background,
                  [engagement = r->engagement, done = std::move(done)](Result<Outcome> out) {
                    if (!out.ok()) return done(out.status());
                    done(outcome_json(engagement, *out));
                  });
  };
  return op;
}

std::optional<bool> yes_no(const std::string& v) {
  const auto l = lower(v);
  if (l == "yes" || l == "y" || l == "true") return true;
  if (l == "no" || l == "n" || l == "false") return false;
  return std::nullopt;
}

void add_recordings(std::vector<Operation>& ops) {
  ops.push_back(recording("engagement.open", true, [](Args& a) -> Decide {
    OpenCommand c;
    c.id = a.text("engagement", true);
    c.customer = a.text("customer");
    c.seats = static_cast<std::uint32_t>(a.number("seats", UINT32_MAX));
    c.services = a.names("services").value_or(schema::Strings{});
    c.motions = a.names("motions").value_or(schema::Strings{});
    if (auto p = a.maybe_text("phase"); p && !p->empty()) c.phase = *p;
    c.exception = a.flag("exception");
    return [c](const EngagementState& s, const CatalogView& cat) { return decide_open(s, cat, c); };
  }));
  ops.push_back(recording("engagement.scope", false, [](Args& a) -> Decide {
    auto services = a.names("services").value_or(schema::Strings{});
    return [services](const EngagementState& s, const CatalogView& c) { return decide_scope(s, c, services); };
  }));
  ops.push_back(recording("engagement.seats", false, [](Args& a) -> Decide {
    const auto seats = static_cast<std::uint32_t>(a.number("seats", UINT32_MAX, true));
    return [seats](const EngagementState& s, const CatalogView&) { return decide_seats(s, seats); };
  }));
  ops.push_back(recording("engagement.phase", false, [](Args& a) -> Decide {
    const auto phase = a.text("phase", true);
    return [phase](const EngagementState& s, const CatalogView& c) { return decide_phase(s, c, phase); };
  }));
  ops.push_back(recording("engagement.motions", false, [](Args& a) -> Decide {
    auto motions = a.names("motions").value_or(schema::Strings{});
    return [motions](const EngagementState& s, const CatalogView&) { return decide_motions(s, motions); };
  }));
  for (const auto& entry : {std::pair{"task.done", TaskCommand::Kind::kDone}, std::pair{"task.reopen", TaskCommand::Kind::kReopen},
                             std::pair{"task.na", TaskCommand::Kind::kNotApplicable}}) {
    const auto kind = entry.second;  // a plain variable: clang 14 cannot capture a structured binding
    ops.push_back(recording(entry.first, false, [kind](Args& a) -> Decide {
      TaskCommand c;
      c.kind = kind;
      c.task = static_cast<std::uint32_t>(a.number("task", UINT32_MAX, true));
      // Only what the event keeps is read, so anything else is refused, never dropped.
      if (kind == TaskCommand::Kind::kDone) c.note = a.text("note");
      else c.reason = a.text("reason");
      return [c](const EngagementState& s, const CatalogView& cat) { return decide_task(s, cat, c); };
    }));
  }
  ops.push_back(recording("status.set", false, [](Args& a) -> Decide {
    StatusCommand c;
    c.service = a.text("service");
    c.l1 = a.text("l1", true);
    c.l2 = a.text("l2");
    c.target = a.text("target");
    return [c](const EngagementState& s, const CatalogView&) { return decide_status(s, c); };
  }));
  ops.push_back(recording("service.status", false, [](Args& a) -> Decide {
    const auto service = a.text("service", true), value = a.text("value", true);
    return [service, value](const EngagementState& s, const CatalogView&) { return decide_service_status(s, service, value); };
  }));
  ops.push_back(recording("service.target", false, [](Args& a) -> Decide {
    const auto service = a.text("service", true), date = a.text("date", true);
    return [service, date](const EngagementState& s, const CatalogView&) { return decide_target(s, service, date); };
  }));
  ops.push_back(recording("note.add", false, [](Args& a) -> Decide {
    NoteCommand c;
    c.kind = a.text("kind", true);
    c.text = a.text("text");
    c.step = a.text("step");
    c.item = static_cast<std::uint32_t>(a.number("item", UINT32_MAX));
    return [c](const EngagementState& s, const CatalogView& cat) { return decide_note(s, cat, c); };
  }));
  for (bool update : {false, true}) {
    ops.push_back(recording(update ? "contact.update" : "contact.add", false, [update](Args& a) -> Decide {
      ContactCommand c;
      c.update = update;
      if (update) c.id = a.text("contact", true);
      c.name = a.maybe_text("name");
      c.role = a.maybe_text("role");
      c.language = a.maybe_text("language");
      c.country = a.maybe_text("country");
      c.services = a.names("services");
      if (a.has("survey_eligible")) {
        const auto& v = a.raw("survey_eligible");
        std::optional<bool> yn;
        if (v.is_boolean()) yn = v.get<bool>();
        else if (v.is_string()) yn = yes_no(v.get<std::string>());
        if (!yn) return [v](const EngagementState&, const CatalogView&) -> Result<Decision> {
          return Status::InvalidArgument("survey_eligible '" + (v.is_string() ? v.get<std::string>() : v.dump()) + "' is neither yes nor no")
              .tagged("field.survey_eligible");
        };
        c.survey_eligible = *yn;
      }
      return [c](const EngagementState& s, const CatalogView&) { return decide_contact(s, c); };
    }));
  }
  ops.push_back(recording("usage.record", false, [](Args& a) -> Decide {
    const auto users = a.number("active_users", UINT32_MAX, true);
    const auto source = a.text("source");
    return [users, source](const EngagementState& s, const CatalogView&) { return decide_usage(s, users, source); };
  }));
  // A correction names an event; the engagement is the one that event is on.
  ops.push_back({"correct", Access::kWrite, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "correct");
                   CorrectCommand c;
                   c.event_id = a.text("event_id", true);
                   c.reason = a.text("reason");
                   const auto effective = a.time("effective");
                   for (const char* key : {"task", "na_reason", "l1", "l2", "target", "service_status", "text", "active_users", "source"})
                     if (auto v = a.maybe_text(key)) c.fields.emplace_back(std::string(key) == "na_reason" ? "reason" : key, *v);
                   if (auto st = a.done(); !st.ok()) return st;
                   auto corrected = call.ledger.get_by_id(c.event_id);
                   if (!corrected.ok()) {
                     if (corrected.status().code() != Code::kNotFound) return corrected.status();
                     return Status::InvalidArgument("no event " + c.event_id).tagged("event.none");
                   }
                   const std::string prefix = projections::kEngagementStreamPrefix;
                   if (!corrected->stream.starts_with(prefix))
                     return Status::InvalidArgument("event " + c.event_id + " is on " + corrected->stream + ", not on an engagement");
                   const auto engagement = corrected->stream.substr(prefix.size());
                   const Event event = *corrected;
                   auto out = execute(
                       call.ledger, engagement, call.actor, effective, false,
                       [&](const EngagementState& s, const CatalogView&) { return decide_correct(s, event, c); }, call.idempotency_key);
                   if (!out.ok()) return out.status();
                   return outcome_json(engagement, *out);
                 }});
}

// The engagement as of `point`; before its first event (or before the ledger's) the empty state.
Result<EngagementState> state_at(Ledger& ledger, const std::string& id, const std::string& point, const std::string& field) {
  auto seq = as_of_sequence(ledger, point, field);
  if (!seq.ok()) {
    if (seq.status().code() == Code::kNotFound) return EngagementState{};
    return seq.status();
  }
  auto s = load_engagement(ledger, id, *seq);
  if (!s.ok() && s.status().code() == Code::kNotFound) return EngagementState{};
  return s;
}

// An engagement and the catalog as of a moment (empty: the head).
struct Loaded {
  std::shared_ptr<const EngagementState> state;
  std::shared_ptr<const CatalogView> catalog;
};
Result<Loaded> load_as_of(Ledger& ledger, const std::string& id, const std::string& as_of) {
  auto seq = as_of_sequence(ledger, as_of);
  if (!seq.ok()) return seq.status();
  auto s = load_engagement_shared(ledger, id, *seq);
  if (!s.ok()) return s.status();
  auto catalog = shared_catalog(ledger, *seq);
  if (!catalog.ok()) return catalog.status();
  return Loaded{std::move(*s), std::move(*catalog)};
}

void add_views(std::vector<Operation>& ops) {
  ops.push_back({"engagement.list", Access::kRead, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "engagement.list");
                   const auto as_of = a.text("as_of");
                   if (auto st = a.done(); !st.ok()) return st;
                   auto seq = as_of_sequence(call.ledger, as_of);
                   if (!seq.ok()) return seq.status();
                   auto catalog = shared_catalog(call.ledger, *seq);
                   if (!catalog.ok()) return catalog.status();
                   auto ids = engagement_ids(call.ledger);
                   if (!ids.ok()) return ids.status();
                   Rows rows{call};
                   for (const auto& id : *ids) {
                     auto loaded = load_engagement_shared(call.ledger, id, *seq);
                     if (*seq != 0 && loaded.status().code() == Code::kNotFound) continue;  // opened later
                     if (!loaded.ok()) return loaded.status();
                     const auto& s = *loaded;
                     std::size_t mandatory = 0, done = 0;
                     for (const auto& [t, pb] : applicable_tasks(**catalog, *s)) {
                       if (!t->mandatory) continue;
                       ++mandatory;
                       if (s->task_status(t->id) == TaskStatus::kDone) ++done;
                     }
                     auto st = rows.add({{"id", id}, {"customer", s->customer}, {"phase", s->phase}, {"seats", s->seats},
                                         {"progress", std::to_string(done) + "/" + std::to_string(mandatory)},
                                         {"mandatory_done", done}, {"mandatory", mandatory},
                                         {"last_change", projections::iso_time(s->last_change_us)}});
                     if (!st.ok()) return st;
                   }
                   return rows.doc;
                 }});
  ops.push_back({"engagement.show", Access::kRead, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "engagement.show");
                   const auto id = a.text("engagement", true), as_of = a.text("as_of");
                   if (auto st = a.done(); !st.ok()) return st;
                   auto loaded = load_as_of(call.ledger, id, as_of);
                   if (!loaded.ok()) return loaded.status();
                   auto doc = engagement_document(*loaded->state, *loaded->catalog);
                   if (!as_of.empty()) doc["as_of"] = as_of;
                   return doc;
                 }});
  // The document at the head changes with the engagement's last event or the catalog.
  ops.back().version = [](Call& call, const json& j) -> Result<std::string> {
    if (!j.is_object() || !j.contains("engagement") || !j["engagement"].is_string() || (j.contains("as_of") && j["as_of"] != ""))
      return std::string();
    const auto stream = projections::engagement_stream(j["engagement"].get<std::string>());
    auto v = call.ledger.stream_version(stream);
    if (!v.ok()) return v.status();
    if (*v == 0) return std::string();
    auto last = call.ledger.scan_stream(stream, *v);
    if (!last->valid()) return last->status().ok() ? std::string() : Result<std::string>(last->status());
    auto fp = catalog_fingerprint(call.ledger);
    if (!fp.ok()) return fp.status();
    return to_hex(last->event().hash).substr(0, 32) + to_hex(Sha256::of(*fp)).substr(0, 32);
  };
  ops.push_back({"task.list", Access::kRead, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "task.list");
                   const auto id = a.text("engagement", true), service = a.text("service"), as_of = a.text("as_of");
                   const bool open = a.flag("open"), done = a.flag("done"), na = a.flag("na");
                   if (auto st = a.done(); !st.ok()) return st;
                   auto loaded = load_as_of(call.ledger, id, as_of);
                   if (!loaded.ok()) return loaded.status();
                   const auto& catalog = loaded->catalog;
                   Rows rows{call};
                   for (auto& row : task_rows(*loaded->state, *catalog)) {
                     const auto status = row["status"].get<std::string>();
                     if ((open || done || na) && !((open && status == "open") || (done && status == "done") ||
                                                   (na && status == "not applicable")))
                       continue;
                     if (!service.empty()) {
                       const auto* t = catalog->task(row["id"].get<std::uint32_t>());
                       if (t == nullptr || !task_for_service(*t, service)) continue;
                     }
                     if (auto st = rows.add(std::move(row)); !st.ok()) return st;
                   }
                   return rows.doc;
                 }});
  ops.push_back({"engagement.diff", Access::kRead, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "engagement.diff");
                   const auto id = a.text("engagement", true), from = a.text("from", true), to = a.text("to", true);
                   if (auto st = a.done(); !st.ok()) return st;
                   if (auto exists = load_engagement(call.ledger, id); !exists.ok()) return exists.status();
                   auto x = state_at(call.ledger, id, from, "from");
                   if (!x.ok()) return x.status();
                   auto y = state_at(call.ledger, id, to, "to");
                   if (!y.ok()) return y.status();
                   Rows rows{call};
                   for (const auto& c : projections::diff(*x, *y))
                     if (auto st = rows.add({{"field", c.field}, {"from", c.from}, {"to", c.to}}); !st.ok()) return st;
                   return rows.doc;
                 }});
  ops.push_back({"engagement.replay", Access::kRead, false, false, [](Call& call, const json& j) -> Result<json> {
                   Args a(j, "engagement.replay");
                   const auto id = a.text("engagement", true);
                   const auto from = a.number("from", UINT64_MAX, false, 1), to = a.number("to", UINT64_MAX);
                   if (auto st = a.done(); !st.ok()) return st;
                   if (auto exists = load_engagement(call.ledger, id); !exists.ok()) return exists.status();
                   const auto head = call.ledger.head().sequence;
                   if (from < 1 || from > head || to > head || (to != 0 && to < from))
                     return Status::InvalidArgument("from " + std::to_string(from) + (to != 0 ? " to " + std::to_string(to) : "") +
                                                        " is not a range of this ledger's sequences",
                                                    "its events are 1 to " + std::to_string(head) + ", and from comes before to")
                         .tagged("replay.range");
                   Rows rows{call};
                   EngagementState state;
                   auto cursor = call.ledger.scan_stream(projections::engagement_stream(id));
                   for (; cursor->valid(); cursor->next()) {
                     const auto& e = cursor->event();
                     if (to != 0 && e.sequence > to) break;
                     const auto before = state;
                     if (auto st = projections::apply(state, e); !st.ok()) return st;
                     if (e.sequence < from) continue;
                     json base = {{"sequence", e.sequence}, {"recorded_at", projections::iso_time(e.recorded_us)},
                                  {"actor", e.actor}, {"type", e.type}, {"event_id", e.event_id}};
                     auto changes = projections::diff(before, state);
                     if (changes.empty()) changes.push_back({"(no change)", "", ""});
                     for (const auto& c : changes) {
                       auto row = base;
                       row["field"] = c.field;
                       row["from"] = c.from;
                       row["to"] = c.to;
                       if (auto st = rows.add(std::move(row)); !st.ok()) return st;
                     }
                   }
                   if (!cursor->status().ok()) return cursor->status();
                   return rows.doc;
                 }});
}

}  // namespace

void add_engagement_operations(std::vector<Operation>& ops) {
  add_recordings(ops);
  add_views(ops);
}

}  // namespace ftl::engine
