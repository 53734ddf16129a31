// The application layer for engagements. Each command is a pure decision
// (state, catalog, command) -> events or an error naming the offending value, and one
// execute() loads the state, decides, appends with the expected stream version and decides
// again if another writer got there first. The CLI and the server call these; neither writes
// engagement events itself.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/catalog_service.h"
#include "projections/engagement.h"

namespace ftl::engine {

// The catalog as the rules see it: every playbook's listed tasks.
struct CatalogView {
  std::vector<projections::PlaybookState> playbooks;
  // The listed task with this id and its playbook, or nullptr.
  const projections::TaskState* task(std::uint32_t id, std::string* playbook = nullptr) const;
  // Date a Refresh Summary called the task deprecated, if any.
  std::optional<std::string> deprecated(std::uint32_t id) const;
  const schema::StepDefinition* step(const std::string& name) const;  // case-insensitive
  // The catalog's spelling of a service some listed task names (case-insensitive), or nullopt.
  std::optional<std::string> service(const std::string& name) const;
  std::vector<std::string> services() const;  // every service a listed task names, sorted
};
Result<CatalogView> load_catalog(Ledger& ledger, std::uint64_t as_of_sequence = 0);
// The same, shared: the catalog at the head is folded once and kept while every playbook
// stream's version and last event hash stay the same (a long-lived process, such as a server,
// folds it once per import, not once per command). Thread-safe.
Result<std::shared_ptr<const CatalogView>> shared_catalog(Ledger& ledger, std::uint64_t as_of_sequence = 0);
// What the catalog at the head is made of (each playbook stream's version and last event hash,
// and the ledger's path): equal fingerprints, equal catalogs.
Result<std::string> catalog_fingerprint(Ledger& ledger);

inline constexpr const char* kEnterpriseStep = "Enterprise Additional Benefit Enablement";
inline constexpr std::uint32_t kEnablementCompleteTask = 1701;
inline constexpr std::uint32_t kEnterpriseSeats = 20000;

// Whether a catalog task applies to the engagement: one of its services is in scope (or it is
// for All Services), and an Enterprise Additional Benefit task only from 20,000 seats or with
// an exception. `why` says why not.
bool task_applies(const projections::TaskState& task, const projections::EngagementState& s, std::string* why = nullptr);
// Every listed catalog task that applies, with its playbook.
std::vector<std::pair<const projections::TaskState*, std::string>> applicable_tasks(const CatalogView& catalog,
                                                                                    const projections::EngagementState& s);
// A scoped service is enabled when every applicable mandatory task naming it is done.
bool service_enabled(const CatalogView& catalog, const projections::EngagementState& s, const std::string& service);

struct Decision {
  std::vector<schema::EngagementEvent> events;  // empty: nothing to record
  std::string message;                          // says what was (or was not) recorded
};
using Decide = std::function<Result<Decision>(const projections::EngagementState&, const CatalogView&)>;

struct OpenCommand {
  std::string id, customer;
  std::uint32_t seats = 0;
  schema::Strings services, motions;
  std::string phase = "Enable";
  bool exception = false;
};
struct TaskCommand {
  enum class Kind { kDone, kReopen, kNotApplicable } kind = Kind::kDone;
  std::uint32_t task = 0;
  std::string reason, note;
};
struct StatusCommand {
  std::string service;  // empty: every service in scope
  std::string l1, l2, target;
};
struct NoteCommand {
  std::string kind, text, step;
  std::uint32_t item = 0;
};
struct ContactCommand {
  bool update = false;
  std::string id;  // update: the contact's id or name
  std::optional<std::string> name, role, language, country;
  std::optional<bool> survey_eligible;
  std::optional<schema::Strings> services;
};
struct CorrectCommand {
  std::string event_id, reason;
  std::vector<std::pair<std::string, std::string>> fields;
};

// An engagement id: 1 to 64 characters of lower-case letters, digits and single '-' between
// them (as slug() makes them). InvalidArgument names the id and suggests its slug.
Status check_engagement_id(const std::string& id);

Result<Decision> decide_open(const projections::EngagementState& s, const CatalogView& catalog, const OpenCommand& c);
Result<Decision> decide_task(const projections::EngagementState& s, const CatalogView& catalog, const TaskCommand& c);
Result<Decision> decide_status(const projections::EngagementState& s, const StatusCommand& c);
Result<Decision> decide_service_status(const projections::EngagementState& s, const std::string& service, const std::string& value);
Result<Decision> decide_target(const projections::EngagementState& s, const std::string& service, const std::string& date);
Result<Decision> decide_note(const projections::EngagementState& s, const CatalogView& catalog, const NoteCommand& c);
Result<Decision> decide_contact(const projections::EngagementState& s, const ContactCommand& c);
Result<Decision> decide_usage(const projections::EngagementState& s, std::uint64_t active_users, const std::string& source);
Result<Decision> decide_scope(const projections::EngagementState& s, const CatalogView& catalog, const schema::Strings& services);
Result<Decision> decide_seats(const projections::EngagementState& s, std::uint32_t seats);
Result<Decision> decide_motions(const projections::EngagementState& s, const schema::Strings& motions);
Result<Decision> decide_phase(const projections::EngagementState& s, const CatalogView& catalog, const std::string& phase);
// `corrected` is the event the correction names (looked up by the caller).
Result<Decision> decide_correct(const projections::EngagementState& s, const Event& corrected, const CorrectCommand& c);

struct Outcome {
  std::string message;
  std::size_t events = 0;
  AppendResult position;  // duplicate: an earlier call with the same idempotency key recorded these
};

// An idempotency key: 1 to 128 of A-Z a-z 0-9 . _ : - (a UUID fits). InvalidArgument names it.
Status check_idempotency_key(const std::string& key);

// Loads the engagement (must exist unless `create`), decides, appends, retries on conflict.
// With an idempotency key, the events appended get it as their event ids (the key, then
// "KEY/2", "KEY/3"...: no key a client sends has a "/"), and a call whose key was recorded before returns that call's positions
// (duplicate) without deciding again; a key recorded on another stream or by another actor is
// an InvalidArgument tagged "idempotency.reused".
Result<Outcome> execute(Ledger& ledger, const std::string& engagement_id, const std::string& actor,
                        std::optional<std::int64_t> effective_us, bool create, const Decide& decide,
                        const std::string& idempotency_key = {});
// The same without waiting for the append: the command is decided on the calling thread, its
// append joins the ledger's group commit (Ledger::append_async), and what follows the sync
// (retries, the outcome, the next command on this engagement) runs through `post`, which must
// hand the work to a thread that may read the ledger (empty: run it where the sync completes,
// which holds up the next group). What may wait for the disk (loading an engagement this
// process does not keep, writing its snapshot) goes through `background` instead (empty: the
// same as `post`). `done` gets what execute would have returned, once.
using Post = std::function<void(std::function<void()>)>;
void execute_async(Ledger& ledger, const std::string& engagement_id, const std::string& actor, std::optional<std::int64_t> effective_us,
                   bool create, Decide decide, const std::string& idempotency_key, Post post, Post background,
                   std::function<void(Result<Outcome>)> done);

// The engagement's state (as of a sequence, or 0: the head). It starts from the engagement's
// snapshot when one passes the checks of projections/snapshot.h and covers no more than
// `as_of_sequence`; otherwise it folds from the stream's first event.
Result<projections::EngagementState> load_engagement(Ledger& ledger, const std::string& engagement_id,
                                                     std::uint64_t as_of_sequence = 0);
// The same, shared: at the head, the state this process keeps (nothing is copied when no event
// came after it). It never changes; the next change makes a new one.
Result<std::shared_ptr<const projections::EngagementState>> load_engagement_shared(Ledger& ledger, const std::string& engagement_id,
                                                                                   std::uint64_t as_of_sequence = 0);
// The engagement folded from its first event: no snapshot, no state kept from before (rebuild).
Result<projections::EngagementState> fold_engagement(Ledger& ledger, const std::string& engagement_id);
// The snapshot of an engagement if it is valid for this ledger and build (and, given
// `as_of_sequence`, covers no more than that), else nullopt.
std::optional<projections::EngagementState> valid_snapshot(Ledger& ledger, const std::string& engagement_id,
                                                           std::uint64_t as_of_sequence = 0);
// Writes a snapshot of `state` (which must be the stream folded up to state.last_sequence).
Status write_snapshot(Ledger& ledger, const projections::EngagementState& state);
inline constexpr std::uint64_t kSnapshotEvery = 128;  // events between automatic snapshots, at least
// Events between automatic snapshots of a stream at `version`: kSnapshotEvery, or a quarter of
// the stream once it is long. A snapshot grows with its stream (~130 bytes an event), so a
// fixed interval would make every event appended cost more snapshot bytes, in the log and in
// compaction, the longer the engagement; this way it costs about 500 bytes at most, and a load
// folds at most a fifth of the stream after the snapshot.
inline std::uint64_t snapshot_interval(std::uint64_t version) { return version / 4 > kSnapshotEvery ? version / 4 : kSnapshotEvery; }
Result<std::vector<std::string>> engagement_ids(Ledger& ledger);

// "Exchange, Teams" or "Exchange / Teams" -> {"Exchange", "Teams"}
schema::Strings split_names(const std::string& text);
// "Ana Silva" -> "ana-silva"
std::string slug(const std::string& name);

}  // namespace ftl::engine
