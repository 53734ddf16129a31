// Queries every front needs: a moment named by a sequence or a time, an event as JSON, a
// service filter. One definition each, for the CLI and the server alike.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "ledger/ledger.h"
#include "projections/audit.h"
#include "projections/catalog.h"
#include "projections/history.h"

namespace ftl::engine {

// The last sequence a view as of `text` folds: "1042" is a sequence, anything else a time
// (any form schema::parse_time reads; a date is its start, 00:00 UTC) and means the last event
// recorded by then, found by binary search (recorded time never runs backwards). Empty: 0, the
// head. NotFound if nothing was recorded by then. `field` names the value in errors.
Result<std::uint64_t> as_of_sequence(Ledger& ledger, const std::string& text, const std::string& field = "as_of");
// The first sequence a stretch from `text` holds: "1042" is that sequence, a time the first
// event recorded at or after it (empty: 1). NotFound (tagged from.after_last) if nothing was
// recorded at or after that time.
Result<std::uint64_t> from_sequence(Ledger& ledger, const std::string& text, const std::string& field = "from");

// The sequence of the event named by `event`: its sequence (decimal) or its event id.
// NotFound (tagged field.event) if there is none.
Result<std::uint64_t> event_sequence(Ledger& ledger, const std::string& event);

// An event with its whole envelope and its payload as JSON (`ftl log --format jsonl`).
nlohmann::json event_json(const Event& e);

// Whether an event as `ftl log --format jsonl` prints it is the proven one: every envelope field
// equal, its hash SHA-256(prev_hash ‖ canonical) when it gives both, and, when it carries its
// payload ("payload", base64), that payload's SHA-256. Corruption naming the first field that differs.
Status event_document_matches(const nlohmann::json& doc, const Event& proven, std::string_view canonical);

// A row of the audit trail and of a history, as their documents hold them.
nlohmann::json audit_row_json(const projections::AuditRow& r);
nlohmann::json history_row_json(const projections::HistoryRow& r);

// Whether a task is for `service` (case-insensitive), counting tasks for All Services.
bool task_for_service(const projections::TaskState& task, const std::string& service);
// Whether a task's role is `role` (case-insensitive; FE and FM are the engineer and manager).
bool task_for_role(const projections::TaskState& task, const std::string& role);

std::string lower(std::string s);

}  // namespace ftl::engine
