#include "projections/history.h"

#include <algorithm>
#include <ctime>

#include "schema/playbook_page.h"

namespace ftl::projections {

std::string iso_date(std::int64_t us) { return iso_time(us).substr(0, 10); }

std::string iso_time(std::int64_t us) {
  std::int64_t secs = us / 1000000;
  std::int64_t frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

std::vector<HistoryRow> playbook_history(const PlaybookState& state) {
  // Rows in recorded order; the sort below is stable, so for one date the later-recorded row
  // comes first once reversed, which is also the page's own order for its rows.
  std::vector<HistoryRow> rows;
  // A date the page wrote that is not one (schema/EVENTS.md) keeps its place in the page: it
  // sorts as the row recorded before it (the one below it on the page), or if there is none, after.
  std::string below;
  for (const auto& r : state.refresh) {
    const bool understood = schema::date_to_us(r.date) != 0;
    if (understood) below = r.date;
    rows.push_back({r.date, understood, understood ? r.date : below, r.who, r.what, "page", r.notes, false});
  }
  std::string above;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (it->date_understood) above = it->date;
    else if (it->sort_date.empty()) it->sort_date = above;
  }
  struct Pending {
    std::string date, who;
    bool backdated;
    std::vector<Change> changes;
  };
  std::vector<Pending> ledger_rows;
  for (const auto& imp : state.imports) {
    std::vector<Change> changes;
    if (imp.first) {
      auto n = [](std::uint32_t k, const char* noun) { return std::to_string(k) + " " + noun + (k == 1 ? "" : "s"); };
      changes.push_back({"Imported", "", "", "the page from " + imp.source + " (" + n(imp.steps, "step") + ", " + n(imp.tasks, "task") + ")"});
    } else {
      changes = imp.changes;
      if (changes.empty()) changes.push_back({"Imported", "", "", "a new revision from " + imp.source + " (no catalog change)"});
    }
    Pending p{iso_date(imp.effective_us), imp.actor, iso_date(imp.effective_us) < iso_date(imp.recorded_us), std::move(changes)};
    if (!ledger_rows.empty() && ledger_rows.back().date == p.date && ledger_rows.back().who == p.who) {
      auto& into = ledger_rows.back().changes;
      into.insert(into.end(), p.changes.begin(), p.changes.end());
    } else {
      ledger_rows.push_back(std::move(p));
    }
  }
  for (auto& p : ledger_rows) rows.push_back({p.date, true, p.date, p.who, summarize(p.changes), "ledger", "", p.backdated});
  std::reverse(rows.begin(), rows.end());
  std::stable_sort(rows.begin(), rows.end(), [](const HistoryRow& a, const HistoryRow& b) { return a.sort_date > b.sort_date; });
  return rows;
}

}  // namespace ftl::projections
