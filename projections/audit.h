// The views auditors read, as pure functions of events: the engagement history in the style of
// a playbook's Refresh Summary, and audit rows (one per fact changed, from what to what).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "projections/history.h"
#include "projections/sentences.h"

namespace ftl::projections {

// The engagement's history: one row per (effective day, person), newest first, What Changed in
// plain sentences ("Completed tasks 1126 and 1672; set ..."). Feed it the stream's events in order.
class EngagementHistory {
 public:
  Status apply(const Event& event);
  std::vector<HistoryRow> rows() const;
  // A history of a stretch of the stream: its first event will be version `version` + 1.
  void start_after(std::uint64_t version) { version_ = version; }

 private:
  struct Group {
    std::string date, who;
    bool backdated = false;
    std::vector<Change> changes;
  };
  std::uint64_t version_ = 0;
  std::vector<Group> groups_;                     // in order of first appearance
  std::map<std::string, std::size_t> by_key_;     // date + who -> group
  std::map<std::string, std::string> described_;  // event id -> "the completion of task 1126 on 11/18/2026"
};

struct AuditRow {
  std::uint64_t sequence = 0;
  std::int64_t recorded_us = 0, effective_us = 0;
  std::string actor, stream, type, event_id;
  std::string field, from, to;
};

// One row per fact the event changed. Events of a type this build does not know give one row
// with field "(unknown event)".
std::vector<AuditRow> audit_rows(const Event& event);

// The families --type accepts besides exact type names: task, status, note, contact, usage,
// correction, engagement, catalog.
bool type_matches(const std::string& filter, const std::string& type);

}  // namespace ftl::projections
