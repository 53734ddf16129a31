// A playbook page as read from Markdown, before it becomes catalog events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/status.h"
#include "schema/catalog_events.h"

namespace ftl::schema {

struct PageTask {
  std::uint32_t id = 0;
  std::string name;
  bool mandatory = false;
  std::string role;
  Strings services;
  std::string step;
  int line = 0;
};

struct PageStep {
  StepDefinition def;
  int line = 0;
};

struct PageRefreshRow {
  RefreshSummaryRowRecorded row;
  int line = 0;
};

struct Page {
  std::string title, phase;
  Strings motions;
  std::vector<std::pair<std::string, std::string>> front_matter;
  std::vector<PageStep> steps;
  std::vector<PageTask> tasks;             // page order
  std::vector<PageRefreshRow> refresh;     // page order (newest first, as pages write it)
};

struct Diagnostic {
  std::string file;
  int line = 0;
  std::string message;
  std::string str() const { return file + ":" + std::to_string(line) + ": " + message; }
};

struct ParsedPage {
  Page page;
  std::vector<Diagnostic> warnings;  // what was repaired
};

// Reads a playbook page. Repairs what it can (reported as warnings with file:line); returns
// InvalidArgument "file:line: ..." for the first thing it cannot read.
Result<ParsedPage> parse_playbook(std::string_view markdown, const std::string& file);

// Text helpers shared with the views.
std::string normalize_space(std::string_view s);  // NBSP, zero-width and runs of spaces -> one space; trimmed
std::string strip_markup(std::string_view s);     // **bold**, *em*, `code`, [text](url) -> text
// M/D/YYYY, M/D/YY, YYYY-MM-DD, D.M.YYYY -> YYYY-MM-DD; empty if not a date.
std::string parse_date(std::string_view s);
// YYYY-MM-DD -> microseconds since the epoch at midnight UTC (0 if not a date).
std::int64_t date_to_us(std::string_view iso);
// YYYY-MM-DD -> M/D/YYYY, the playbooks' own style.
std::string playbook_date(std::string_view iso);

}  // namespace ftl::schema
