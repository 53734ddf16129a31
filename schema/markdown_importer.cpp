// Reads a playbook page: front matter, title, phase, steps (Primary Role, Motions, Applies
// To, Step Inputs/Outputs), every FTOP Tasks table and the Refresh Summary. Pages are read
// line by line; tables are recognised by their header row, not by the heading above them,
// so that translated and rearranged pages read the same way.
#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "schema/page_tables.h"
#include "schema/parse.h"
#include "schema/playbook_page.h"

namespace ftl::schema {
namespace {

using tables::clean;
using tables::Columns;
using tables::contains_any;
using tables::expand_role;
using tables::key_of;
using tables::lower_ascii;
using tables::parse_task_id;
using tables::split_row;
using tables::starts_with_any;
using tables::TableKind;
using tables::is_applies_label;
using tables::is_inputs_label;
using tables::is_motions_label;
using tables::is_outputs_label;
using tables::is_phase_label;
using tables::is_primary_role_label;
using tables::split_list;

class Importer {
 public:
  Importer(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  Result<ParsedPage> run() {
    split_lines();
    if (auto st = check_bytes(); !st.ok()) return st;
    if (auto st = front_matter(); !st.ok()) return st;
    for (; at_ < lines_.size(); ++at_) {
      if (auto st = line(lines_[at_]); !st.ok()) return st;
    }
    if (auto st = end_table(); !st.ok()) return st;
    return finish();
  }

 private:
  int lineno() const { return static_cast<int>(at_) + 1; }
  Status error(int line, const std::string& msg) {
    return Status::InvalidArgument(file_ + ":" + std::to_string(line) + ": " + msg);
  }
  void warn(int line, const std::string& msg) { out_.warnings.push_back({file_, line, msg}); }

  // Lines are views into the page (which outlives the import), without their "\r\n".
  void split_lines() {
    std::size_t start = 0;
    while (start <= text_.size()) {
      auto end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
      auto l = text_.substr(start, end - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (end == text_.size()) {
        if (!l.empty()) lines_.push_back(l);  // no line after the final newline
        break;
      }
      lines_.push_back(l);
      start = end + 1;
    }
  }

  // Every line is UTF-8 text: a byte that is not, or a control character (a NUL, say), would
  // otherwise be stored, or dropped, without a word.
  Status check_bytes() {
    for (std::size_t i = 0; i < lines_.size(); ++i) {
      auto st = check_text(lines_[i], "the line");
      if (!st.ok()) return error(static_cast<int>(i) + 1, st.message());
    }
    return Status::Ok();
  }

  Status front_matter() {
    std::size_t i = 0;
    while (i < lines_.size() && normalize_space(lines_[i]).empty()) ++i;
    if (i >= lines_.size() || normalize_space(lines_[i]) != "---") return Status::Ok();
    for (std::size_t j = i + 1; j < lines_.size(); ++j) {
      auto l = normalize_space(lines_[j]);
      if (l == "---") {
        at_ = j + 1;
        return Status::Ok();
      }
      if (l.empty() || l[0] == '#') continue;
      auto colon = l.find(':');
      if (colon == std::string::npos) {
        warn(static_cast<int>(j) + 1, "front matter line '" + l + "' has no 'key: value'; it was skipped");
        continue;
      }
      page().front_matter.emplace_back(normalize_space(l.substr(0, colon)), normalize_space(l.substr(colon + 1)));
    }
    return error(static_cast<int>(i) + 1, "the front matter that starts here is never closed with '---'");
  }

  Page& page() { return out_.page; }

  Status line(std::string_view raw) {
    // A table row is most of a large page: told by its first byte after plain spaces, before
    // the whole line is normalised (normalize_space also drops no-break and zero-width spaces).
    if (const auto first = raw.find_first_not_of(" \t"); first != std::string_view::npos && raw[first] == '|')
      return table_line(raw);
    auto t = normalize_space(raw);
    if (!t.empty() && t[0] == '|') return table_line(raw);
    if (auto st = end_table(); !st.ok()) return st;
    if (t.empty()) return Status::Ok();
    if (t[0] == '#') return heading(t);
    if (list_ != nullptr) {
      if (list_item(raw)) return Status::Ok();
      if (!(raw[0] == ' ' || raw[0] == '\t')) list_ = nullptr;
    }
    if (t.starts_with("**") && step_ != nullptr) {
      auto k = key_of(t);
      if (is_inputs_label(k)) {
        list_ = &step_->def.inputs;
        indents_.clear();
        return Status::Ok();
      }
      if (is_outputs_label(k)) {
        list_ = &step_->def.outputs;
        indents_.clear();
        return Status::Ok();
      }
    }
    label_line(t);
    return Status::Ok();
  }

  bool list_item(std::string_view raw) {
    std::size_t indent = 0;
    while (indent < raw.size() && (raw[indent] == ' ' || raw[indent] == '\t')) indent += 1;
    auto body = std::string_view(raw).substr(indent);
    std::size_t skip = 0;
    if (body.size() > 1 && (body[0] == '-' || body[0] == '*' || body[0] == '+') && body[1] == ' ') {
      skip = 2;
    } else {
      auto dot = body.find(". ");
      if (dot == std::string_view::npos || dot == 0 || dot > 3 ||
          !std::all_of(body.begin(), body.begin() + static_cast<long>(dot), [](char c) { return c >= '0' && c <= '9'; }))
        return false;
      skip = dot + 2;
    }
    while (!indents_.empty() && indents_.back() > indent) indents_.pop_back();
    if (indents_.empty() || indents_.back() < indent) indents_.push_back(indent);
    auto item = clean(body.substr(skip));
    if (item.empty() || lower_ascii(item) == "none") return true;
    list_->push_back(std::string(2 * (indents_.size() - 1), ' ') + item);
    return true;
  }

  void label_line(const std::string& t) {
    auto c = clean(t);
    auto colon = c.find(':');
    const auto fw = c.find("\xEF\xBC\x9A");  // full-width colon
    std::size_t vstart = colon == std::string::npos ? 0 : colon + 1;
    if (fw != std::string::npos && (colon == std::string::npos || fw < colon)) {
      colon = fw;
      vstart = fw + 3;
    }
    if (colon == std::string::npos || colon == 0 || colon > 60) return;
    auto label = lower_ascii(normalize_space(c.substr(0, colon)));
    auto value = normalize_space(c.substr(vstart));
    if (value.empty()) return;
    if (step_ != nullptr) {
      if (is_primary_role_label(label)) step_->def.primary_role = expand_role(value);
      else if (is_motions_label(label)) step_->def.motions = split_list(value);
      else if (is_applies_label(label)) step_->def.applies_to = split_list(value);
    } else if (!in_section_) {
      if (is_phase_label(label) && page().phase.empty()) page().phase = value;
      else if (is_motions_label(label) && page().motions.empty()) page().motions = split_list(value);
    }
  }

  Status heading(const std::string& t) {
    list_ = nullptr;
    std::size_t level = 0;
    while (level < t.size() && t[level] == '#') ++level;
    if (level == t.size() || t[level] != ' ') return Status::Ok();  // "#hashtag", not a heading
    auto text = clean(t.substr(level));
    while (!text.empty() && text.back() == '#') text.pop_back();  // closing hashes
    text = normalize_space(text);
    const auto k = lower_ascii(text);
    if (level == 1) {
      if (page().title.empty()) page().title = text;
      return Status::Ok();
    }
    if (k.find("ftop") != std::string::npos) return Status::Ok();  // a task section of the current step
    if (level == 2) {
      step_ = nullptr;
      in_section_ = true;
      in_refresh_section_ = tables::is_refresh_heading(k);
      return Status::Ok();
    }
    if (level == 3) {
      PageStep s;
      s.def.name = text;
      s.line = lineno();
      candidates_.push_back(std::move(s));
      step_ = &candidates_.back();
      step_index_ = candidates_.size() - 1;
      step_has_tasks_.push_back(false);
    }
    return Status::Ok();
  }

  // A row of more cells than any table has is not split (a line of 60 million '|' would be as
  // many strings): it is reported and left out.
  static constexpr std::size_t kMaxCells = 512;
  static constexpr std::size_t kMaxCellBytes = 64 << 10;

  Status table_line(std::string_view raw) {
    if (const auto pipes = static_cast<std::size_t>(std::count(raw.begin(), raw.end(), '|')); pipes > kMaxCells + 1) {
      warn(lineno(), "the table row has " + std::to_string(pipes - 1) + " cells, more than the " + std::to_string(kMaxCells) +
                         " a table may have; it was ignored");
      return Status::Ok();
    }
    table_.emplace_back(lineno(), raw);
    return Status::Ok();
  }

  static bool separator_line(std::string_view raw) {
    if (raw.find_first_not_of("|-: \t") != std::string_view::npos) return false;
    bool closed = false;
    return tables::is_separator_row(split_row(raw, &closed));
  }

  // Called when a table has ended. A separator row in the middle of it means another table
  // began on the row above, with no blank line between them: each is read on its own. If the
  // row above is a row of the table (a task id or a date first), the separator is a stray one.
  Status end_table() {
    if (table_.empty()) return Status::Ok();
    auto rows = std::move(table_);
    table_.clear();
    list_ = nullptr;
    std::size_t start = 0;
    for (std::size_t r = 2; r < rows.size(); ++r) {
      if (r - 1 <= start || !separator_line(rows[r].second)) continue;
      bool closed = false;
      const auto above = split_row(rows[r - 1].second, &closed);
      if (!above.empty() && (parse_task_id(above[0]) || !parse_date(above[0]).empty()) && r - 1 > start + 1) {
        warn(rows[r].first, "a separator row in the middle of the table was ignored");
        rows.erase(rows.begin() + static_cast<long>(r));
        --r;
        continue;
      }
      if (auto st = read_table(rows, start, r - 1); !st.ok()) return st;
      start = r - 1;
    }
    return read_table(rows, start, rows.size());
  }

  using Rows = std::vector<std::pair<int, std::string_view>>;

  Status read_table(const Rows& rows, std::size_t begin, std::size_t end) {
    bool closed = false;
    auto header = split_row(rows[begin].second, &closed);
    auto cols = tables::classify(header);
    warned_no_mo_ = false;
    const int at = rows[begin].first;
    if (cols.kind == TableKind::kOther) {
      if (cols.date_first || in_refresh_section_)
        warn(at, "the table with the header '" + join(header) + "' is not the Refresh Summary (Date | Who Changed | What Changed) " +
                     "nor an FTOP Tasks table; it was ignored");
      return Status::Ok();
    }
    if (cols.kind == TableKind::kRefresh) in_refresh_section_ = true;
    // (O for mandatory is usual where the word is Obligatoire or Obligatorio; M for optional is not.)
    for (const auto& [letter, mandatory] : cols.legend.letters)
      if (letter == "m" && !mandatory)
        warn(at, "the header's legend makes M optional, the reverse of the usual letter; its rows were read as the header says");
    std::size_t first = begin + 1;
    if (end > begin + 1) {
      bool c2 = false;
      if (tables::is_separator_row(split_row(rows[begin + 1].second, &c2))) first = begin + 2;
      else warn(at, "the table has no separator row under its header; read it anyway");
    }
    // Each row is split into cells once.
    std::vector<std::pair<Strings, bool>> split_rows;
    split_rows.reserve(end - first);
    for (std::size_t r = first; r < end; ++r) {
      bool c = false;
      auto cells = split_row(rows[r].second, &c);
      split_rows.emplace_back(std::move(cells), c);
    }
    if (cols.kind == TableKind::kTasks) learn_roles(cols, split_rows);
    for (std::size_t r = first; r < end; ++r) {
      const auto& [line, text] = rows[r];
      auto cells = std::move(split_rows[r - first].first);
      closed = split_rows[r - first].second;
      if (!closed) warn(line, "the table row is missing its closing '|'; read it as if it were there");
      if (normalize_space(text).starts_with("||") && cells.size() > 1 && cells[0].empty() &&
          (cols.kind != TableKind::kTasks || parse_task_id(cells[1]))) {
        cells.erase(cells.begin());
        warn(line, "the row begins with '||'; read it as if it began with one '|'");
      }
      auto starts_row = [&](const std::string& cell) {
        return cols.kind == TableKind::kTasks ? parse_task_id(cell).has_value() : !parse_date(cell).empty();
      };
      // Rows run together on one line: split where a cell past the header's width starts a row.
      std::vector<Strings> split;
      while (cells.size() > cols.count) {
        std::size_t next = cols.count;
        if (cells[next].empty() && next + 1 < cells.size() && starts_row(cells[next + 1])) ++next;
        else if (!starts_row(cells[next])) break;
        split.emplace_back(cells.begin(), cells.begin() + static_cast<long>(cols.count));
        cells.erase(cells.begin(), cells.begin() + static_cast<long>(next));
      }
      if (!split.empty())
        warn(line, std::to_string(split.size() + 1) + " table rows are run together on one line; read them as separate rows");
      split.push_back(std::move(cells));
      for (auto& row : split) {
        if (auto st = table_row(cols, row, line); !st.ok()) return st;
      }
    }
    return Status::Ok();
  }

  static std::string join(const Strings& cells) {
    std::string out;
    for (const auto& c : cells) out += (out.empty() ? "" : " | ") + c;
    return out;
  }

  // The roles a table's well-formed rows name, for repairing a row whose role shares a cell.
  void learn_roles(const Columns& cols, const std::vector<std::pair<Strings, bool>>& rows) {
    if (cols.role < 0) return;
    const auto at = static_cast<std::size_t>(cols.role);
    for (const auto& [cells, closed] : rows)
      if (cells.size() == cols.count && !cells[at].empty()) roles_.insert(lower_ascii(expand_role(clean(cells[at]))));
  }
  bool known_role(const std::string& role) const {
    static const std::set<std::string> kRoles = {"fasttrack engineer", "fasttrack manager", "migration velocity manager",
                                                 "fasttrack architect", "customer", "partner"};
    const auto k = lower_ascii(role);
    return kRoles.count(k) != 0 || roles_.count(k) != 0;
  }

  Status table_row(const Columns& cols, Strings& cells, int line) {
    if (std::all_of(cells.begin(), cells.end(), [](const std::string& c) { return c.empty(); })) return Status::Ok();
    for (const auto& c : cells)
      if (c.size() > kMaxCellBytes) {
        skip(line, "a cell of the row holds " + std::to_string(c.size()) + " bytes, more than the " + std::to_string(kMaxCellBytes) +
                       " a cell may");
        return Status::Ok();
      }
    if (cells.size() > cols.count) {
      if (std::any_of(cells.begin() + static_cast<long>(cols.count), cells.end(), [](const std::string& c) { return !c.empty(); }))
        warn(line, "the row has " + std::to_string(cells.size()) + " cells but the header has " + std::to_string(cols.count) +
                       "; the extra cells were ignored");
      cells.resize(cols.count);
    }
    return cols.kind == TableKind::kTasks ? task_row(cols, cells, line) : refresh_row(cols, cells, line);
  }

  // A row that cannot become a task is skipped with a warning; the page is refused only if no
  // task at all can be read (finish()).
  void skip(int line, const std::string& why) {
    warn(line, why + "; the row was skipped");
    if (first_skip_.empty()) {
      first_skip_line_ = line;
      first_skip_ = why;
    }
  }

  Status task_row(const Columns& cols, Strings& cells, int line) {
    auto cell = [&](int i) -> const std::string& { return cells[static_cast<std::size_t>(i)]; };
    if (tables::is_placeholder_id(cell(cols.id))) {
      skip(line, cell(cols.id).empty() ? std::string("the row has no task id") : "the task id '" + cell(cols.id) + "' is a placeholder");
      return Status::Ok();
    }
    const bool reads = parse_task_id(cell(cols.id)) && (cols.mo < 0 || (cols.mo < static_cast<int>(cells.size()) &&
                                                                         tables::parse_mandatory(cell(cols.mo), cols.legend)));
    std::string merged;
    // A row one cell short that reads, but whose role is none the page knows ("FastTrack Engineer
    // Exchange"): the role and the next cell may share one.
    if (reads && cells.size() + 1 == cols.count && cols.role >= 0 && cols.role < static_cast<int>(cells.size()) &&
        !cell(cols.role).empty() && !known_role(expand_role(clean(cell(cols.role))))) {
      if (auto repaired = tables::split_merged_cell(cols, cells, [this](const std::string& r) { return known_role(r); }, &merged)) {
        cells = std::move(*repaired);
        warn(line, "the cell '" + merged + "' holds two cells (a '|' is missing); read it as two");
      }
    }
    if (!reads) {
      auto repaired = tables::split_merged_cell(cols, cells, [this](const std::string& r) { return known_role(r); }, &merged);
      if (repaired) {
        cells = std::move(*repaired);
        warn(line, "the cell '" + merged + "' holds two cells (a '|' is missing); read it as two");
      } else if (cells.size() + 1 == cols.count) {
        return error(line, "the task row has " + std::to_string(cells.size()) + " cells where the header has " +
                               std::to_string(cols.count) + ", and no one cell splits in two unambiguously; add the missing '|'");
      }
    }
    const int needed = std::max({cols.id, cols.name, cols.mo}) + 1;
    if (static_cast<int>(cells.size()) < needed)
      return error(line, "the task row has " + std::to_string(cells.size()) + " cells; it needs at least " +
                             std::to_string(needed) + " (Task ID, Task Name, (M)andatory / (O)ptional)");
    if (cells.size() < cols.count) {
      warn(line, "the task row has " + std::to_string(cells.size()) + " cells but the header has " +
                     std::to_string(cols.count) + "; the missing ones were left empty");
      cells.resize(cols.count);
    }
    auto id = parse_task_id(cell(cols.id));
    if (!id) {
      const auto digits = clean(cell(cols.id));
      const bool number = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
      skip(line, "task id '" + cell(cols.id) + (number ? "' is larger than 4294967295" : "' is not a number"));
      return Status::Ok();
    }
    PageTask t;
    t.id = *id;
    t.line = line;
    t.name = clean(cell(cols.name));
    if (t.name.empty()) {
      skip(line, "task " + std::to_string(t.id) + " has no name");
      return Status::Ok();
    }
    if (cols.mo < 0) {
      if (!warned_no_mo_) warn(line, "the task table has no (M)andatory / (O)ptional column; its tasks were read as optional");
      warned_no_mo_ = true;
    } else {
      auto m = tables::parse_mandatory(cell(cols.mo), cols.legend);
      if (!m) {
        skip(line, "task " + std::to_string(t.id) + " is marked '" + cell(cols.mo) + "', which is neither M (mandatory) nor O (optional)" +
                       legend_note(cols.legend));
        return Status::Ok();
      }
      t.mandatory = *m;
    }
    if (cols.role >= 0) t.role = expand_role(clean(cell(cols.role)));
    step_for_table(line);
    const auto& step = candidates_[step_index_];
    t.step = step.def.name;
    if (cols.services >= 0) t.services = split_list(clean(cell(cols.services)));
    if (t.services.empty()) t.services = step.def.applies_to;
    if (t.role.empty()) t.role = step.def.primary_role;
    if (auto seen = task_lines_.find(t.id); seen != task_lines_.end()) {
      warn(line, "task " + std::to_string(t.id) + " is listed again (first at line " + std::to_string(seen->second) +
                     "); this row was ignored");
      return Status::Ok();
    }
    task_lines_.emplace(t.id, line);
    page().tasks.push_back(std::move(t));
    return Status::Ok();
  }

  static std::string legend_note(const tables::MandatoryLegend& legend) {
    std::string out;
    for (const auto& [letter, mandatory] : legend.letters)
      out += (out.empty() ? "" : ", ") + letter + (mandatory ? " (mandatory)" : " (optional)");
    std::string both;
    for (const auto& letter : legend.ambiguous) both += (both.empty() ? "" : ", ") + letter;
    if (!both.empty()) out += std::string(out.empty() ? "" : "; ") + "its header gives " + both + " both meanings";
    return out.empty() ? "" : ", nor a letter of its header: " + out;
  }

  // A task table outside any step belongs to a step named after the page.
  void step_for_table(int line) {
    if (step_ == nullptr) {
      PageStep s;
      s.def.name = page().title.empty() ? "Tasks" : page().title;
      s.def.applies_to = {"All Services"};
      s.line = line;
      candidates_.push_back(std::move(s));
      step_ = &candidates_.back();
      step_index_ = candidates_.size() - 1;
      step_has_tasks_.push_back(false);
    }
    step_has_tasks_[step_index_] = true;
  }

  Status refresh_row(const Columns& cols, Strings& cells, int line) {
    if (static_cast<int>(cells.size()) <= std::max(cols.who, cols.what)) cells.resize(static_cast<std::size_t>(std::max(cols.who, cols.what) + 1));
    auto cell = [&](int i) -> const std::string& { return cells[static_cast<std::size_t>(i)]; };
    PageRefreshRow r;
    r.line = line;
    r.row.date = parse_date(cell(cols.date));
    if (r.row.date.empty()) {
      // Kept as written: schema/EVENTS.md, RefreshSummaryRowRecorded.
      r.row.date = clean(cell(cols.date));
      warn(line, "Refresh Summary date '" + r.row.date + "' is not a date (expected M/D/YYYY, like 3/25/2020); the row was kept with its date as written");
    }
    r.row.who = clean(cell(cols.who));
    r.row.what = clean(cell(cols.what));
    if (cols.notes >= 0 && cols.notes < static_cast<int>(cells.size())) r.row.notes = clean(cell(cols.notes));
    page().refresh.push_back(std::move(r));
    return Status::Ok();
  }

  Result<ParsedPage> finish() {
    // In the page's order, whatever order they were found in (a table is read when it ends).
    std::stable_sort(out_.warnings.begin(), out_.warnings.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
    if (page().title.empty()) {
      for (const auto& [k, v] : page().front_matter)
        if (k == "title") page().title = v;
    }
    if (page().title.empty()) return error(1, "the page has no title (no '# Title' heading and no 'title:' in its front matter)");
    if (page().tasks.empty() && !first_skip_.empty())
      return error(first_skip_line_, first_skip_ + ", and no other task on the page could be read");
    if (page().tasks.empty())
      return error(std::max(1, static_cast<int>(lines_.size())), "the page has no FTOP Tasks table (a table whose header starts with Task ID and names the task)");
    std::uint32_t position = 0;
    for (std::size_t i = 0; i < candidates_.size(); ++i) {
      auto& s = candidates_[i];
      if (!step_has_tasks_[i] && s.def.primary_role.empty()) continue;  // a sub-heading, not a step
      s.def.position = ++position;
      page().steps.push_back(std::move(s));
    }
    return std::move(out_);
  }

  std::string_view text_;
  std::string file_;
  std::vector<std::string_view> lines_;
  std::size_t at_ = 0;
  ParsedPage out_;
  std::deque<PageStep> candidates_;  // stable addresses
  std::vector<bool> step_has_tasks_;
  std::size_t step_index_ = 0;  // candidates_[step_index_] is *step_
  bool in_refresh_section_ = false;  // under a Refresh Summary heading, or past its table in that section
  std::set<std::string> roles_;      // lower case
  int first_skip_line_ = 0;
  std::string first_skip_;
  PageStep* step_ = nullptr;
  bool in_section_ = false;  // past the first level-2 heading: page-level labels no longer apply
  Strings* list_ = nullptr;  // the checklist being read
  std::vector<std::size_t> indents_;
  std::vector<std::pair<int, std::string_view>> table_;
  std::map<std::uint32_t, int> task_lines_;
  bool warned_no_mo_ = false;
};

}  // namespace

Result<ParsedPage> parse_playbook(std::string_view markdown, const std::string& file) {
  return Importer(markdown, file).run();
}

}  // namespace ftl::schema
