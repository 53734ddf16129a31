// The playbook catalog as events on a stream "playbook/<id>". Each struct is one event type;
// its stored name (kType) and class version are permanent: see schema/EVENTS.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ftl::schema {

using Strings = std::vector<std::string>;

// A page was imported; it opens every import's batch of events.
struct PlaybookImported {
  static constexpr const char* kType = "PlaybookImported";
  std::string playbook_id, title, phase, source, content_sha256;
  Strings motions;
  std::vector<std::pair<std::string, std::string>> front_matter;
  std::uint32_t steps = 0, tasks = 0;
  bool operator==(const PlaybookImported&) const = default;
};

struct StepDefinition {
  std::string name;
  std::uint32_t position = 0;  // 1-based order on the page
  std::string primary_role;
  Strings motions, applies_to, inputs, outputs;  // nested checklist items are indented two spaces a level
  bool operator==(const StepDefinition&) const = default;
};

struct StepAdded {
  static constexpr const char* kType = "StepAdded";
  StepDefinition step;
  bool operator==(const StepAdded&) const = default;
};
struct StepChanged {
  static constexpr const char* kType = "StepChanged";
  StepDefinition from, to;
  bool operator==(const StepChanged&) const = default;
};
struct StepRemoved {
  static constexpr const char* kType = "StepRemoved";
  std::string name;
  bool operator==(const StepRemoved&) const = default;
};

struct TaskAdded {
  static constexpr const char* kType = "TaskAdded";
  std::uint32_t id = 0;
  std::string name;
  bool mandatory = false;
  std::string role;
  Strings services;
  std::string step;
  bool operator==(const TaskAdded&) const = default;
};
struct TaskRenamed {
  static constexpr const char* kType = "TaskRenamed";
  std::uint32_t id = 0;
  std::string from, to;
  bool operator==(const TaskRenamed&) const = default;
};
struct TaskMandatoryChanged {
  static constexpr const char* kType = "TaskMandatoryChanged";
  std::uint32_t id = 0;
  bool from = false, to = false;
  bool operator==(const TaskMandatoryChanged&) const = default;
};
struct TaskRoleChanged {
  static constexpr const char* kType = "TaskRoleChanged";
  std::uint32_t id = 0;
  std::string from, to;
  bool operator==(const TaskRoleChanged&) const = default;
};
struct TaskServicesChanged {
  static constexpr const char* kType = "TaskServicesChanged";
  std::uint32_t id = 0;
  Strings from, to;
  bool operator==(const TaskServicesChanged&) const = default;
};
struct TaskMoved {
  static constexpr const char* kType = "TaskMoved";
  std::uint32_t id = 0;
  std::string from, to;  // step names
  bool operator==(const TaskMoved&) const = default;
};
struct TaskUnlisted {
  static constexpr const char* kType = "TaskUnlisted";
  std::uint32_t id = 0;
  std::string name, step;
  bool operator==(const TaskUnlisted&) const = default;
};
// One row of the page's own Refresh Summary, stored with the row's date as effective date.
struct RefreshSummaryRowRecorded {
  static constexpr const char* kType = "RefreshSummaryRowRecorded";
  std::string date;  // ISO 8601, YYYY-MM-DD
  std::string who, what, notes;
  bool operator==(const RefreshSummaryRowRecorded&) const = default;
};

using CatalogEvent = std::variant<PlaybookImported, StepAdded, StepChanged, StepRemoved, TaskAdded, TaskRenamed,
                                  TaskMandatoryChanged, TaskRoleChanged, TaskServicesChanged, TaskMoved,
                                  TaskUnlisted, RefreshSummaryRowRecorded>;

const char* type_name(const CatalogEvent& e);

}  // namespace ftl::schema
