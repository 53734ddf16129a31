// What people record against an engagement, as events on a stream "engagement/<id>". Each
// struct is one event type; its stored name (kType) and class version are permanent (see
// schema/EVENTS.md). Changes record the value before and after.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "schema/catalog_events.h"

namespace ftl::schema {

struct EngagementOpened {
  static constexpr const char* kType = "EngagementOpened";
  std::string engagement_id, customer;
  std::uint32_t seats = 0;
  Strings services, motions;
  std::string phase;
  bool exception = false;  // qualifies for Enterprise Additional Benefit below 20,000 seats
  bool operator==(const EngagementOpened&) const = default;
};

struct ScopeChanged {
  static constexpr const char* kType = "ScopeChanged";
  Strings from, to;
  bool operator==(const ScopeChanged&) const = default;
};
struct SeatsChanged {
  static constexpr const char* kType = "SeatsChanged";
  std::uint32_t from = 0, to = 0;
  bool operator==(const SeatsChanged&) const = default;
};
struct MotionsChanged {
  static constexpr const char* kType = "MotionsChanged";
  Strings from, to;
  bool operator==(const MotionsChanged&) const = default;
};
struct PhaseChanged {
  static constexpr const char* kType = "PhaseChanged";
  std::string from, to;
  bool operator==(const PhaseChanged&) const = default;
};

struct TaskCompleted {
  static constexpr const char* kType = "TaskCompleted";
  std::uint32_t task = 0;
  std::string playbook, note;
  std::string from = "open";  // the status before: "open" or "not applicable"
  bool operator==(const TaskCompleted&) const = default;
};
struct TaskReopened {
  static constexpr const char* kType = "TaskReopened";
  std::uint32_t task = 0;
  std::string from;  // "done" or "not applicable"
  std::string reason;
  bool operator==(const TaskReopened&) const = default;
};
struct TaskMarkedNotApplicable {
  static constexpr const char* kType = "TaskMarkedNotApplicable";
  std::uint32_t task = 0;
  std::string playbook, reason;
  std::string from = "open";  // the status before: "open" or "done"
  bool operator==(const TaskMarkedNotApplicable&) const = default;
};

// Consumption Status (L1) and Reason (L2) of one service entitlement, with its target date.
struct ConsumptionStatusSet {
  static constexpr const char* kType = "ConsumptionStatusSet";
  std::string service;
  std::string l1_from, l1_to, l2_from, l2_to;
  std::string target_from, target_to;  // YYYY-MM-DD or empty
  bool operator==(const ConsumptionStatusSet&) const = default;
};
struct ServiceStatusSet {
  static constexpr const char* kType = "ServiceStatusSet";
  std::string service, from, to;
  bool operator==(const ServiceStatusSet&) const = default;
};
struct TargetDateSet {
  static constexpr const char* kType = "TargetDateSet";
  std::string service, from, to;  // YYYY-MM-DD
  bool operator==(const TargetDateSet&) const = default;
};

struct NoteAdded {
  static constexpr const char* kType = "NoteAdded";
  std::string kind;  // technical-enablement | engagement-management | environment
  std::string text, step;
  std::uint32_t item = 0;  // 1-based checklist item of the step's inputs/outputs; 0: none
  bool operator==(const NoteAdded&) const = default;
};

struct ContactDetails {
  std::string name, role;
  bool survey_eligible = false;
  std::string language, country;
  Strings services;
  bool operator==(const ContactDetails&) const = default;
};
struct ContactAdded {
  static constexpr const char* kType = "ContactAdded";
  std::string contact_id;
  ContactDetails contact;
  bool operator==(const ContactAdded&) const = default;
};
struct ContactChanged {
  static constexpr const char* kType = "ContactChanged";
  std::string contact_id;
  ContactDetails from, to;
  bool operator==(const ContactChanged&) const = default;
};

struct UsageRecorded {
  static constexpr const char* kType = "UsageRecorded";
  std::uint64_t active_users = 0;
  std::string source;
  bool operator==(const UsageRecorded&) const = default;
};

// A correction: the event it names is void from here on, and `fields` say what was meant
// instead (e.g. {"task", "1158"}). Both stay in the history.
struct CorrectionRecorded {
  static constexpr const char* kType = "CorrectionRecorded";
  std::string corrects;  // event id
  std::string corrected_type;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> fields;
  bool operator==(const CorrectionRecorded&) const = default;
};

using EngagementEvent =
    std::variant<EngagementOpened, ScopeChanged, SeatsChanged, MotionsChanged, PhaseChanged, TaskCompleted,
                 TaskReopened, TaskMarkedNotApplicable, ConsumptionStatusSet, ServiceStatusSet, TargetDateSet,
                 NoteAdded, ContactAdded, ContactChanged, UsageRecorded, CorrectionRecorded>;

}  // namespace ftl::schema
