// The change history in the style of a playbook's Refresh Summary: Date | Who Changed |
// What Changed, newest first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "projections/catalog.h"

namespace ftl::projections {

struct HistoryRow {
  std::string date;  // YYYY-MM-DD (the effective date), or a page's date as written if it is not one
  bool date_understood = true;
  std::string sort_date;  // YYYY-MM-DD: the date, or for one not understood its neighbour's in the page
  std::int64_t sort_rank = 0;  // among rows of one sort_date: higher first (places a row not understood)
  std::string who, what;
  std::string source;  // "page": a row of the page's own Refresh Summary; "ledger": changes the ledger detected
  std::string notes;
  bool backdated = false;  // the effective date is before the day it was recorded
};

// The catalog's history: the page's own Refresh Summary rows beside what each import
// detected, one ledger row per (day, person), newest first.
std::vector<HistoryRow> playbook_history(const PlaybookState& state);

// UTC calendar date of a time in microseconds: YYYY-MM-DD.
std::string iso_date(std::int64_t us);
// UTC time: YYYY-MM-DDTHH:MM:SS.ffffffZ
std::string iso_time(std::int64_t us);

}  // namespace ftl::projections
