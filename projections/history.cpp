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
  // A date the page wrote that is not one (schema/EVENTS.md) keeps its place between the rows
  // around it in the page, whichever way the page orders its dates: it sorts with the older of
  // its two neighbours, just above it (or, with only a newer one, just below that).
  const auto& refresh = state.refresh;  // page rows as recorded (each import's oldest first)
  const auto n = static_cast<std::int64_t>(refresh.size());
  std::vector<bool> dated(refresh.size());
  for (std::size_t i = 0; i < refresh.size(); ++i) dated[i] = schema::date_to_us(refresh[i].date) != 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& r = refresh[static_cast<std::size_t>(i)];
    HistoryRow row{r.date, true, r.date, 0, r.who, r.what, "page", r.notes, false};
    if (!dated[static_cast<std::size_t>(i)]) {
      row.date_understood = false;
      std::int64_t before = i - 1, after = i + 1;
      while (before >= 0 && !dated[static_cast<std::size_t>(before)]) --before;
      while (after < n && !dated[static_cast<std::size_t>(after)]) ++after;
      const std::string* prev = before >= 0 ? &refresh[static_cast<std::size_t>(before)].date : nullptr;
      const std::string* next = after < n ? &refresh[static_cast<std::size_t>(after)].date : nullptr;
      if (prev != nullptr && (next == nullptr || *prev <= *next)) {
        row.sort_date = *prev;  // newer towards `next`: above `prev`, later-recorded higher
        row.sort_rank = 1 + i;
      } else if (next != nullptr && prev != nullptr) {
        row.sort_date = *next;  // newer towards `prev`: above `next`, earlier-recorded higher
        row.sort_rank = 1 + (n - i);
      } else if (next != nullptr) {
        row.sort_date = *next;  // only a row recorded after it: below that row
        row.sort_rank = -(n - i);
      } else {
        row.sort_date.clear();
        row.sort_rank = 1 + i;
      }
    }
    rows.push_back(std::move(row));
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
  for (auto& p : ledger_rows) rows.push_back({p.date, true, p.date, 0, p.who, summarize(p.changes), "ledger", "", p.backdated});
  std::reverse(rows.begin(), rows.end());
  std::stable_sort(rows.begin(), rows.end(), [](const HistoryRow& a, const HistoryRow& b) {
    if (a.sort_date != b.sort_date) return a.sort_date > b.sort_date;
    return a.sort_rank > b.sort_rank;
  });
  return rows;
}

}  // namespace ftl::projections
