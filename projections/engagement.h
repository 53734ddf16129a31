// An engagement's current state as a pure fold over its stream "engagement/<id>". No I/O.
//
// Corrections: every fact (a task's status, an entitlement's L1/L2, status and target, the
// usage figure, a note) keeps the list of events that set it. A CorrectionRecorded voids the
// event it names; the fact's value is then that of its latest event that is not void. The
// corrected event and the correction both stay in the log and in the history.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "schema/engagement_events.h"

namespace ftl::projections {

inline constexpr const char* kEngagementStreamPrefix = "engagement/";
std::string engagement_stream(const std::string& engagement_id);

// Who recorded something, when (effective), and by which event.
struct Provenance {
  std::string actor, event_id;
  std::uint64_t sequence = 0;
  std::int64_t effective_us = 0, recorded_us = 0;
  bool operator==(const Provenance&) const = default;
};

enum class TaskStatus { kOpen, kDone, kNotApplicable };
const char* task_status_name(TaskStatus s);  // "open", "done", "not applicable"

struct TaskMark {
  TaskStatus status = TaskStatus::kOpen;
  std::string playbook, note, reason;
  Provenance by;
  bool operator==(const TaskMark&) const = default;
};

struct Entitlement {
  std::string l1, l2, service_status, target;  // target: YYYY-MM-DD
  Provenance by;                                // the last change
  bool operator==(const Entitlement&) const = default;
};

struct Note {
  schema::NoteAdded note;
  Provenance by;
  bool voided = false;
  bool operator==(const Note&) const = default;
};

struct Contact {
  std::string id;
  schema::ContactDetails details;
  Provenance by;
  bool operator==(const Contact&) const = default;
};

struct Usage {
  std::uint64_t active_users = 0;
  std::string source;
  Provenance by;
  bool operator==(const Usage&) const = default;
};

struct CorrectionView {
  schema::CorrectionRecorded correction;
  Provenance by;
  bool operator==(const CorrectionView&) const = default;
};

struct EngagementState {
  std::string id, customer;
  std::uint32_t seats = 0;
  schema::Strings services, motions;
  std::string phase;
  bool exception = false;
  std::uint64_t version = 0, last_sequence = 0;
  std::int64_t opened_us = 0, last_change_us = 0;

  std::map<std::uint32_t, TaskMark> tasks;             // tasks with a recorded status
  std::map<std::string, Entitlement> entitlements;     // by service
  std::vector<Note> notes;
  std::map<std::string, Contact> contacts;             // by contact id
  Usage usage;
  std::vector<CorrectionView> corrections;

  // Each fact's values with the event that set each, oldest first; the current value is the
  // newest whose event is not void.
  template <class T>
  using History = std::vector<std::pair<std::string, T>>;
  std::map<std::uint32_t, History<TaskMark>> task_history;
  std::map<std::string, History<Entitlement>> entitlement_history;
  History<Usage> usage_history;
  std::set<std::string> voided;                // event ids a correction voided

  TaskStatus task_status(std::uint32_t task) const;
  bool has_survey_eligible_contact() const;
  bool in_scope(const std::string& service) const;  // case-insensitive
  // The usage milestone: 100 active users, or 10% of seats where there are fewer than 1,000.
  std::uint64_t milestone_threshold() const;
  bool milestone_reached() const { return usage.active_users >= milestone_threshold() && milestone_threshold() > 0; }
  bool operator==(const EngagementState&) const = default;
};

// Recomputes what the histories determine: the current task marks, entitlements and usage. A
// snapshot stores only the histories and calls this on load.
void derive_current(EngagementState& state);

// Applies one event of the engagement's stream. Returns Corruption (state unchanged) if it is
// not the next version or cannot be decoded.
Status apply(EngagementState& state, const Event& event);

}  // namespace ftl::projections

namespace ftl::projections {

// One difference between two states of an engagement.
struct StateChange {
  std::string field, from, to;
  bool operator==(const StateChange&) const = default;
};

// What differs from `a` to `b`: customer, seats, scope, motions, phase, each task's status,
// each entitlement's L1, L2, Service Status and target, contacts, notes, usage. Pure.
std::vector<StateChange> diff(const EngagementState& a, const EngagementState& b);

}  // namespace ftl::projections
