// The tables and labels of a playbook page: splitting rows into cells, telling an FTOP Tasks table and the
// Refresh Summary from every other table by their header, reading the cells that have a fixed
// form (task ids, M/O letters, roles), and repairing a row that lost one '|'.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/catalog_events.h"

namespace ftl::schema::tables {

std::string lower_ascii(std::string s);
std::string clean(std::string_view s);   // markup stripped, spaces normalised
std::string key_of(std::string_view s);  // clean() in lower case (ASCII letters)
bool contains_any(const std::string& hay, std::initializer_list<const char*> needles);
bool starts_with_any(const std::string& hay, std::initializer_list<const char*> needles);
bool has_token(const std::string& s, const char* token);  // a whole alphanumeric word of s

// Splits "| a | b |" into cells, honouring "\|". `closed` says whether the row ended in '|'.
Strings split_row(std::string_view line, bool* closed);
bool is_separator_row(const Strings& cells);  // | --- | :---: |

// The letters an M/O column's header defines for itself: "(E) Erforderlich (O) Optional" makes
// E mandatory; "(b) Obrigatório / (O) Opcional" makes b mandatory. A letter the header gives
// both meanings ("(O)brigatório / (O)pcional") means neither.
struct MandatoryLegend {
  std::vector<std::pair<std::string, bool>> letters;  // lower-case letter -> mandatory
  std::vector<std::string> ambiguous;                 // letters the header gives both meanings
};
MandatoryLegend read_legend(std::string_view header_cell);
// "M", "Mandatory", "O", a translation, or a letter of the legend; nullopt if none of them.
std::optional<bool> parse_mandatory(const std::string& cell, const MandatoryLegend& legend);

std::optional<std::uint32_t> parse_task_id(const std::string& cell);  // "1126", "#1126"
// An id cell that holds no task: empty, "None", "N/A", "TBD", "-", or a translation of none.
bool is_placeholder_id(const std::string& cell);

std::string expand_role(const std::string& role);  // FE, FM, MVM -> their names
bool is_refresh_heading(const std::string& lower_heading);  // "refresh summary" and translations

enum class TableKind { kOther, kTasks, kRefresh };

struct Columns {
  TableKind kind = TableKind::kOther;
  int id = -1, name = -1, mo = -1, role = -1, services = -1;  // tasks
  int date = -1, who = -1, what = -1, notes = -1;              // refresh summary
  std::size_t count = 0;
  MandatoryLegend legend;
  bool date_first = false;  // the first column is a date, but the table is not the Refresh Summary
};
// Tasks: the first column is the task id and another names the task. Refresh Summary: Date,
// Who Changed and What Changed (or translations), each found by its header.
Columns classify(const Strings& header);

// A task row one cell short because two neighbouring cells share one ("| O FastTrack Engineer |"):
// the one way of splitting one cell in two at a space that gives a task id, a name, an M/O
// letter and a known role where the header has them. nullopt when no split, or more than one,
// reads that way. `merged` receives the cell that was split.
std::optional<Strings> split_merged_cell(const Columns& cols, const Strings& cells,
                                         const std::function<bool(const std::string&)>& known_role, std::string* merged);

// The labels of a step ("Primary Role: ...") as the English pages and their translations write
// them; `k` is the label in lower case.
bool is_primary_role_label(const std::string& k);
bool is_motions_label(const std::string& k);
bool is_applies_label(const std::string& k);
bool is_phase_label(const std::string& k);
bool is_inputs_label(const std::string& k);
bool is_outputs_label(const std::string& k);
// "A / B / C": a slash between spaces separates; an unspaced one ("Classroom/SDS") is part of a name.
Strings split_list(const std::string& v);

}  // namespace ftl::schema::tables
