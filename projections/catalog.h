// The playbook catalog as a pure fold over a playbook stream's events. No I/O here.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "projections/sentences.h"
#include "schema/catalog_events.h"

namespace ftl::projections {

struct TaskState {
  std::uint32_t id = 0;
  std::string name;
  bool mandatory = false;
  std::string role;
  schema::Strings services;
  std::string step;
  bool listed = true;  // false once a newer page no longer lists it
  std::int64_t changed_us = 0;
};

struct StepState {
  schema::StepDefinition def;
  bool listed = true;
};

struct RefreshRow {
  std::string date;  // YYYY-MM-DD
  std::string who, what, notes;
};

// One import of a page: the changes it detected, for the history view.
struct ImportRecord {
  std::uint64_t sequence = 0;
  std::int64_t recorded_us = 0, effective_us = 0;
  std::string actor, source;
  bool first = false;
  std::uint32_t steps = 0, tasks = 0;
  std::vector<Change> changes;  // what the import found different from the catalog before it
};

struct PlaybookState {
  std::string id;
  std::uint64_t version = 0;  // stream version folded so far
  std::uint64_t last_sequence = 0;
  std::int64_t last_change_us = 0;
  std::string title, phase, source, content_sha256;
  schema::Strings motions;
  std::vector<std::pair<std::string, std::string>> front_matter;
  std::vector<StepState> steps;               // by position
  std::map<std::string, std::size_t> step_at;  // step name -> its index in `steps`
  std::map<std::uint32_t, TaskState> tasks;   // every task ever listed
  std::vector<RefreshRow> refresh;            // in the order recorded (oldest first)
  std::map<std::uint32_t, std::string> deprecated;  // task id -> date named deprecated in the Refresh Summary
  std::vector<ImportRecord> imports;

  const StepState* step(const std::string& name) const;
  std::size_t listed_tasks() const;
};

// Applies one event of the stream "playbook/<id>". Returns Corruption if the event is not the
// next version of the stream or its payload cannot be decoded; the state is then unchanged.
Status apply(PlaybookState& state, const Event& event);

// The stream id of a playbook, and back.
std::string playbook_stream(const std::string& playbook_id);
inline constexpr const char* kPlaybookStreamPrefix = "playbook/";

// Task ids that a Refresh Summary sentence says were deprecated ("Deprecated task 1910",
// "Deprecated Task 4022"), for the catalog to remember after no table lists them.
std::vector<std::uint32_t> deprecated_task_ids(const std::string& what);

}  // namespace ftl::projections
