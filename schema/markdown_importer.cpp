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

#include "schema/parse.h"
#include "schema/playbook_page.h"

namespace ftl::schema {
namespace {

std::string lower_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string clean(std::string_view s) { return normalize_space(strip_markup(s)); }
std::string key_of(std::string_view s) { return lower_ascii(clean(s)); }

bool contains_any(const std::string& hay, std::initializer_list<const char*> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](const char* n) { return hay.find(n) != std::string::npos; });
}
bool starts_with_any(const std::string& hay, std::initializer_list<const char*> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](const char* n) { return hay.starts_with(n); });
}

bool has_token(const std::string& s, const char* token) {
  std::string t;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    unsigned char c = i < s.size() ? static_cast<unsigned char>(s[i]) : ' ';
    if (std::isalnum(c) != 0) {
      t.push_back(static_cast<char>(c));
    } else {
      if (t == token) return true;
      t.clear();
    }
  }
  return false;
}

// Labels as the English pages and their translations write them (lower-case).
bool is_primary_role_label(const std::string& k) {
  return contains_any(k, {"primary role", "primäre rolle", "hauptrolle", "rol principal", "función principal",
                          "função principal", "papel principal", "主な役割", "主要角色", "主要な役割", "プライマリ ロール"});
}
bool is_motions_label(const std::string& k) {
  return contains_any(k, {"motion", "bewegung", "movimiento", "movimento", "モーション", "动议", "动作"});
}
bool is_applies_label(const std::string& k) {
  return contains_any(k, {"applies to", "gilt für", "se aplica a", "aplica-se a", "aplica a", "aplicável a", "適用対象",
                          "対象", "适用于", "适用对象"});
}
bool is_phase_label(const std::string& k) {
  return k == "phase" || k == "fase" || k == "フェーズ" || k == "阶段" || k == "階段";
}
bool is_inputs_label(const std::string& k) {
  return starts_with_any(k, {"step inputs", "schritteingaben", "eingaben", "entradas", "ステップの入力", "ステップ入力",
                             "入力", "步骤输入", "输入"});
}
bool is_outputs_label(const std::string& k) {
  return starts_with_any(k, {"step outputs", "schrittausgaben", "ausgaben", "salidas", "saídas", "saidas",
                             "ステップの出力", "ステップ出力", "出力", "步骤输出", "输出"});
}

Strings split_list(const std::string& v) {
  // "A / B / C": a slash between spaces separates; an unspaced one ("Classroom/SDS") is part of a name.
  Strings out;
  std::string cur;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool sep = v[i] == '/' && ((i > 0 && v[i - 1] == ' ') || (i + 1 < v.size() && v[i + 1] == ' '));
    if (sep) {
      if (auto t = normalize_space(cur); !t.empty()) out.push_back(t);
      cur.clear();
    } else {
      cur.push_back(v[i]);
    }
  }
  if (auto t = normalize_space(cur); !t.empty()) out.push_back(t);
  return out;
}

std::string expand_role(const std::string& r) {
  static const std::map<std::string, std::string> kAbbrev = {
      {"FE", "FastTrack Engineer"}, {"FM", "FastTrack Manager"}, {"MVM", "Migration Velocity Manager"}};
  auto it = kAbbrev.find(r);
  return it == kAbbrev.end() ? r : it->second;
}

std::optional<bool> parse_mandatory(const std::string& cell) {
  auto k = key_of(cell);
  k.erase(std::remove_if(k.begin(), k.end(), [](char c) { return c == '(' || c == ')' || c == '.'; }), k.end());
  k = normalize_space(k);
  static const std::array<const char*, 10> kYes = {"m", "mandatory", "required", "pflicht", "obligatorisch", "obligatorio",
                                                   "obrigatório", "obrigatorio", "必須", "必需"};
  static const std::array<const char*, 7> kNo = {"o", "optional", "opcional", "optionale", "任意", "可选", "オプション"};
  for (auto* y : kYes)
    if (k == y) return true;
  for (auto* n : kNo)
    if (k == n) return false;
  return std::nullopt;
}

std::optional<std::uint32_t> parse_task_id(const std::string& cell) {
  auto s = clean(cell);
  if (!s.empty() && s[0] == '#') s.erase(0, 1);
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return static_cast<std::uint32_t>(std::stoul(s));
}

// Splits "| a | b |" into cells, honouring "\|". `closed` says whether the row ended in '|'.
Strings split_row(std::string_view line, bool* closed) {
  auto t = normalize_space(line);
  Strings cells;
  std::string cur;
  std::size_t i = (!t.empty() && t[0] == '|') ? 1 : 0;
  for (; i < t.size(); ++i) {
    if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '|') {
      cur.push_back('|');
      ++i;
    } else if (t[i] == '|') {
      cells.push_back(normalize_space(cur));
      cur.clear();
    } else {
      cur.push_back(t[i]);
    }
  }
  *closed = normalize_space(cur).empty() && !t.empty() && t.back() == '|';
  if (!*closed) cells.push_back(normalize_space(cur));
  return cells;
}

bool is_separator_row(const Strings& cells) {
  if (cells.empty()) return false;
  return std::all_of(cells.begin(), cells.end(), [](const std::string& c) {
    return !c.empty() && c.find('-') != std::string::npos &&
           c.find_first_not_of(":- ") == std::string::npos;
  });
}

enum class TableKind { kOther, kTasks, kRefresh };

struct Columns {
  TableKind kind = TableKind::kOther;
  int id = -1, name = -1, mo = -1, role = -1, services = -1;  // tasks
  int date = -1, who = -1, what = -1, notes = -1;              // refresh summary
  std::size_t count = 0;
};

Columns classify(const Strings& header) {
  Columns c;
  c.count = header.size();
  std::vector<std::string> k;
  for (const auto& h : header) {
    auto key = key_of(h);  // "(M)andatory / (O)ptional" -> "mandatory / optional"
    key.erase(std::remove_if(key.begin(), key.end(), [](char ch) { return ch == '(' || ch == ')'; }), key.end());
    k.push_back(key);
  }
  if (k.empty()) return c;
  if (contains_any(k[0], {"date", "datum", "fecha", "data", "日付", "日期"})) {
    c.kind = TableKind::kRefresh;
    c.date = 0;
    for (int i = 1; i < static_cast<int>(k.size()); ++i) {
      const auto& h = k[static_cast<std::size_t>(i)];
      if (c.who < 0 && contains_any(h, {"who", "wer", "quién", "quien", "quem", "変更者", "更改者", "author", "autor"})) c.who = i;
      else if (c.what < 0 && contains_any(h, {"what", "was ", "qué", "que", "変更内容", "更改内容", "änderung", "cambio", "alteração", "change"})) c.what = i;
      else if (c.notes < 0 && contains_any(h, {"note", "notiz", "nota", "備考", "注", "comment"})) c.notes = i;
    }
    if (c.who < 0) c.who = 1;
    if (c.what < 0) c.what = 2;
    if (c.who >= static_cast<int>(k.size()) || c.what >= static_cast<int>(k.size())) c.kind = TableKind::kOther;
    return c;
  }
  for (int i = 0; i < static_cast<int>(k.size()); ++i) {
    const auto& h = k[static_cast<std::size_t>(i)];
    if (c.id < 0 && (has_token(h, "id") || h == "ｉｄ")) c.id = i;
    else if (c.mo < 0 && contains_any(h, {"mandatory", "optional", "obligator", "obrigat", "pflicht", "必須", "必需", "opcional", "m / o", "m/o"})) c.mo = i;
    else if (c.services < 0 && contains_any(h, {"service", "dienst", "servicio", "serviço", "servico", "サービス", "服务", "服務", "workload"})) c.services = i;
    else if (c.role < 0 && (contains_any(h, {"role", "rolle", "função", "funcao", "papel", "ロール", "役割", "角色"}) || has_token(h, "rol"))) c.role = i;
    else if (c.name < 0 && c.id >= 0) c.name = i;
  }
  if (c.id == 0 && c.name > 0) c.kind = TableKind::kTasks;
  return c;
}

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

  void split_lines() {
    std::size_t start = 0;
    while (start <= text_.size()) {
      auto end = text_.find('\n', start);
      if (end == std::string_view::npos) end = text_.size();
      std::string l(text_.substr(start, end - start));
      if (!l.empty() && l.back() == '\r') l.pop_back();
      if (end == text_.size()) {
        if (!l.empty()) lines_.push_back(std::move(l));  // no line after the final newline
        break;
      }
      lines_.push_back(std::move(l));
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

  Status line(const std::string& raw) {
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

  bool list_item(const std::string& raw) {
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
      return Status::Ok();
    }
    if (level == 3) {
      PageStep s;
      s.def.name = text;
      s.line = lineno();
      candidates_.push_back(std::move(s));
      step_ = &candidates_.back();
      step_has_tasks_.push_back(false);
    }
    return Status::Ok();
  }

  Status table_line(const std::string& raw) {
    table_.emplace_back(lineno(), raw);
    return Status::Ok();
  }

  // Called when a table has ended: classify it and read its rows.
  Status end_table() {
    if (table_.empty()) return Status::Ok();
    auto rows = std::move(table_);
    table_.clear();
    list_ = nullptr;
    bool closed = false;
    auto header = split_row(rows[0].second, &closed);
    auto cols = classify(header);
    warned_no_mo_ = false;
    if (cols.kind == TableKind::kOther) return Status::Ok();
    std::size_t first = 1;
    if (rows.size() > 1) {
      bool c2 = false;
      if (is_separator_row(split_row(rows[1].second, &c2))) first = 2;
      else warn(rows[0].first, "the table has no separator row under its header; read it anyway");
    }
    for (std::size_t r = first; r < rows.size(); ++r) {
      auto [line, text] = rows[r];
      auto cells = split_row(text, &closed);
      if (!closed) warn(line, "the table row is missing its closing '|'; read it as if it were there");
      auto starts_row = [&](const std::string& cell) {
        return cols.kind == TableKind::kTasks ? parse_task_id(cell).has_value() : !parse_date(cell).empty();
      };
      // Rows run together on one line: split where a cell past the header's width starts a row.
      std::vector<Strings> split;
      while (cells.size() > cols.count) {
        std::size_t at = cols.count;
        if (cells[at].empty() && at + 1 < cells.size() && starts_row(cells[at + 1])) ++at;
        else if (!starts_row(cells[at])) break;
        split.emplace_back(cells.begin(), cells.begin() + static_cast<long>(cols.count));
        cells.erase(cells.begin(), cells.begin() + static_cast<long>(at));
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

  Status table_row(const Columns& cols, Strings& cells, int line) {
    if (std::all_of(cells.begin(), cells.end(), [](const std::string& c) { return c.empty(); })) return Status::Ok();
    if (cells.size() > cols.count) {
      if (std::any_of(cells.begin() + static_cast<long>(cols.count), cells.end(), [](const std::string& c) { return !c.empty(); }))
        warn(line, "the row has " + std::to_string(cells.size()) + " cells but the header has " + std::to_string(cols.count) +
                       "; the extra cells were ignored");
      cells.resize(cols.count);
    }
    return cols.kind == TableKind::kTasks ? task_row(cols, cells, line) : refresh_row(cols, cells, line);
  }

  Status task_row(const Columns& cols, Strings& cells, int line) {
    const int needed = std::max({cols.id, cols.name, cols.mo}) + 1;
    if (static_cast<int>(cells.size()) < needed)
      return error(line, "the task row has " + std::to_string(cells.size()) + " cells; it needs at least " +
                             std::to_string(needed) + " (Task ID, Task Name, (M)andatory / (O)ptional)");
    if (cells.size() < cols.count) {
      warn(line, "the task row has " + std::to_string(cells.size()) + " cells but the header has " +
                     std::to_string(cols.count) + "; the missing ones were left empty");
      cells.resize(cols.count);
    }
    auto cell = [&](int i) -> const std::string& { return cells[static_cast<std::size_t>(i)]; };
    auto id = parse_task_id(cell(cols.id));
    if (!id) return error(line, "task id '" + cell(cols.id) + "' is not a number");
    PageTask t;
    t.id = *id;
    t.line = line;
    t.name = clean(cell(cols.name));
    if (t.name.empty()) return error(line, "task " + std::to_string(t.id) + " has no name");
    if (cols.mo < 0) {
      if (!warned_no_mo_) warn(line, "the task table has no (M)andatory / (O)ptional column; its tasks were read as optional");
      warned_no_mo_ = true;
    } else {
      auto m = parse_mandatory(cell(cols.mo));
      if (!m)
        return error(line, "task " + std::to_string(t.id) + " is marked '" + cell(cols.mo) +
                               "', which is neither M (mandatory) nor O (optional)");
      t.mandatory = *m;
    }
    if (cols.role >= 0) t.role = expand_role(clean(cell(cols.role)));
    step_for_table(line);
    const auto& step = candidates_[current_step_index()];
    t.step = step.def.name;
    if (cols.services >= 0) t.services = split_list(clean(cell(cols.services)));
    if (t.services.empty()) t.services = step.def.applies_to;
    if (t.role.empty()) t.role = step.def.primary_role;
    if (auto seen = task_lines_.find(t.id); seen != task_lines_.end()) {
      warn(line, "task " + std::to_string(t.id) + " is listed again (first at line " + std::to_string(seen->second) +
                     "); this row was ignored");
      return Status::Ok();
    }
    task_lines_[t.id] = line;
    page().tasks.push_back(std::move(t));
    return Status::Ok();
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
      step_has_tasks_.push_back(false);
    }
    step_has_tasks_[current_step_index()] = true;
  }
  std::size_t current_step_index() const {
    for (std::size_t i = 0; i < candidates_.size(); ++i)
      if (&candidates_[i] == step_) return i;
    return candidates_.size() - 1;
  }

  Status refresh_row(const Columns& cols, Strings& cells, int line) {
    if (static_cast<int>(cells.size()) <= std::max(cols.who, cols.what)) cells.resize(static_cast<std::size_t>(std::max(cols.who, cols.what) + 1));
    auto cell = [&](int i) -> const std::string& { return cells[static_cast<std::size_t>(i)]; };
    PageRefreshRow r;
    r.line = line;
    r.row.date = parse_date(cell(cols.date));
    if (r.row.date.empty())
      return error(line, "Refresh Summary date '" + cell(cols.date) + "' is not a date (expected M/D/YYYY, like 3/25/2020)");
    r.row.who = clean(cell(cols.who));
    r.row.what = clean(cell(cols.what));
    if (cols.notes >= 0 && cols.notes < static_cast<int>(cells.size())) r.row.notes = clean(cell(cols.notes));
    page().refresh.push_back(std::move(r));
    return Status::Ok();
  }

  Result<ParsedPage> finish() {
    if (page().title.empty()) {
      for (const auto& [k, v] : page().front_matter)
        if (k == "title") page().title = v;
    }
    if (page().title.empty()) return error(1, "the page has no title (no '# Title' heading and no 'title:' in its front matter)");
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
  std::vector<std::string> lines_;
  std::size_t at_ = 0;
  ParsedPage out_;
  std::deque<PageStep> candidates_;  // stable addresses
  std::vector<bool> step_has_tasks_;
  PageStep* step_ = nullptr;
  bool in_section_ = false;  // past the first level-2 heading: page-level labels no longer apply
  Strings* list_ = nullptr;  // the checklist being read
  std::vector<std::size_t> indents_;
  std::vector<std::pair<int, std::string>> table_;
  std::map<std::uint32_t, int> task_lines_;
  bool warned_no_mo_ = false;
};

}  // namespace

Result<ParsedPage> parse_playbook(std::string_view markdown, const std::string& file) {
  return Importer(markdown, file).run();
}

}  // namespace ftl::schema
