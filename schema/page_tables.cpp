#include "schema/page_tables.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "schema/playbook_page.h"

namespace ftl::schema::tables {

std::string lower_ascii(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string clean(std::string_view s) { return normalize_space(strip_markup(s)); }

namespace {
// Full-width ASCII (U+FF01..U+FF5E, as East Asian pages write "（Ｍ）" or "１２３４") as ASCII,
// for reading headers, letters and ids; names keep what the page wrote.
std::string fold_fullwidth(std::string s) {
  if (s.find('\xEF') == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b1 = i + 2 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    const auto b2 = i + 2 < s.size() ? static_cast<unsigned char>(s[i + 2]) : 0;
    if (static_cast<unsigned char>(s[i]) == 0xEF && ((b1 == 0xBC && b2 >= 0x81 && b2 <= 0xBF) || (b1 == 0xBD && b2 >= 0x80 && b2 <= 0x9E))) {
      out.push_back(static_cast<char>(b1 == 0xBC ? b2 - 0x60 : b2 - 0x20));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}
}  // namespace

std::string key_of(std::string_view s) { return lower_ascii(fold_fullwidth(clean(s))); }

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
      cells.push_back(normalize_space(cur));  // only trims: t is normalised already
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
    return !c.empty() && c.find('-') != std::string::npos && c.find_first_not_of(":- ") == std::string::npos;
  });
}

namespace {

// Words (lower case) that mean mandatory or optional, and the stems a legend's words start with.
const std::array<const char*, 15> kYesWords = {"m", "mandatory", "required", "pflicht", "obligatorisch", "obligatorio",
                                               "obrigatório", "obrigatorio", "erforderlich", "requerido", "obligatoire",
                                               "obbligatorio", "verplicht", "必須", "必需"};
const std::array<const char*, 11> kNoWords = {"o", "optional", "opcional", "optionale", "facultatif", "facultativo",
                                              "facoltativo", "optioneel", "任意", "可选", "オプション"};
bool means_mandatory(const std::string& w) {
  return starts_with_any(w, {"mandator", "requir", "pflicht", "obligator", "obligatoi", "obbligator", "obrigat", "erforderlich",
                             "requerid", "verplicht", "必須", "必需"});
}
bool means_optional(const std::string& w) {
  return starts_with_any(w, {"option", "opcion", "opcional", "facultat", "facoltativ", "任意", "可选", "オプション"});
}

}  // namespace

MandatoryLegend read_legend(std::string_view header_cell) {
  MandatoryLegend legend;
  std::map<std::string, int> seen;  // letter -> 1 mandatory, 2 optional, 3 both
  const auto text = fold_fullwidth(clean(header_cell));
  for (std::size_t open = text.find('('); open != std::string::npos; open = text.find('(', open + 1)) {
    const auto close = text.find(')', open);
    if (close == std::string::npos || close == open + 1 || close - open > 4) continue;
    const auto letter = lower_ascii(text.substr(open + 1, close - open - 1));
    if (!std::all_of(letter.begin(), letter.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }))
      continue;
    // "(M)andatory": the word goes on from the letter; "(E) Erforderlich": the next word.
    std::size_t from = close + 1;
    const bool glued = from < text.size() && std::isalpha(static_cast<unsigned char>(text[from])) != 0;
    while (!glued && from < text.size() && text[from] == ' ') ++from;
    auto to = text.find_first_of(" /|()", from);
    auto word = lower_ascii(text.substr(from, to == std::string::npos ? std::string::npos : to - from));
    if (glued) word = letter + word;
    if (means_mandatory(word)) seen[letter] |= 1;
    else if (means_optional(word)) seen[letter] |= 2;
  }
  for (const auto& [letter, m] : seen) {
    if (m == 1 || m == 2) legend.letters.emplace_back(letter, m == 1);
    else legend.ambiguous.push_back(letter);
  }
  return legend;
}

std::optional<bool> parse_mandatory(const std::string& cell, const MandatoryLegend& legend) {
  auto k = key_of(cell);
  k.erase(std::remove_if(k.begin(), k.end(), [](char c) { return c == '(' || c == ')' || c == '.'; }), k.end());
  k = normalize_space(k);
  for (const auto& [letter, mandatory] : legend.letters)
    if (k == letter) return mandatory;
  for (const auto& letter : legend.ambiguous)
    if (k == letter) return std::nullopt;  // the header gives it both meanings
  for (const auto* y : kYesWords)
    if (k == y) return true;
  for (const auto* n : kNoWords)
    if (k == n) return false;
  return std::nullopt;
}

std::optional<std::uint32_t> parse_task_id(const std::string& cell) {
  auto s = fold_fullwidth(clean(cell));
  if (!s.empty() && s[0] == '#') s.erase(0, 1);
  if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const auto v = std::stoull(s);
  if (v > 0xffffffffULL) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

bool is_placeholder_id(const std::string& cell) {
  static const std::array<const char*, 16> kNone = {"",  "none", "n/a", "na",    "tbd",     "tba",    "-",  "–",
                                                    "—", "?",    "keine", "ninguno", "nenhum", "aucun", "なし", "无"};
  const auto k = key_of(cell);
  return std::any_of(kNone.begin(), kNone.end(), [&](const char* n) { return k == n; });
}

std::string expand_role(const std::string& r) {
  static const std::map<std::string, std::string> kAbbrev = {
      {"FE", "FastTrack Engineer"}, {"FM", "FastTrack Manager"}, {"MVM", "Migration Velocity Manager"}};
  auto it = kAbbrev.find(r);
  return it == kAbbrev.end() ? r : it->second;
}

bool is_refresh_heading(const std::string& k) {
  return contains_any(k, {"refresh summary", "refresh-summary"}) ||
         (contains_any(k, {"zusammenfassung", "resumen", "resumo", "概要", "摘要"}) &&
          contains_any(k, {"aktualisier", "actualiza", "atualiza", "更新", "刷新"}));
}

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
    c.date = 0;
    for (int i = 1; i < static_cast<int>(k.size()); ++i) {
      const auto& h = k[static_cast<std::size_t>(i)];
      if (c.who < 0 && contains_any(h, {"who", "wer", "quién", "quien", "quem", "変更者", "更改者", "author", "autor"})) c.who = i;
      else if (c.what < 0 && contains_any(h, {"what", "was ", "qué", "que", "変更内容", "更改内容", "änderung", "cambio", "alteração", "change"})) c.what = i;
      else if (c.notes < 0 && contains_any(h, {"note", "notiz", "nota", "備考", "注", "comment"})) c.notes = i;
    }
    // Only Date / Who Changed / What Changed is the Refresh Summary; a table of dates and
    // something else (status notes, scenarios) is another table.
    if (c.who > 0 && c.what > 0) c.kind = TableKind::kRefresh;
    else c.date_first = true;
    return c;
  }
  for (int i = 0; i < static_cast<int>(k.size()); ++i) {
    const auto& h = k[static_cast<std::size_t>(i)];
    if (c.id < 0 && (has_token(h, "id") || h == "ｉｄ")) c.id = i;
    else if (c.mo < 0 && contains_any(h, {"mandatory", "optional", "obligator", "obligatoi", "obbligator", "obrigat", "pflicht", "erforderlich", "verplicht",
                                        "必須", "必需", "opcional", "facultat", "facoltativ", "m / o", "m/o"})) c.mo = i;
    else if (c.services < 0 && contains_any(h, {"service", "dienst", "servicio", "serviço", "servico", "servizi", "サービス", "服务", "服務", "workload"})) c.services = i;
    else if (c.role < 0 && (contains_any(h, {"role", "rôle", "rolle", "ruolo", "función", "funcion", "função", "funcao", "papel", "ロール", "役割", "角色"}) || has_token(h, "rol"))) c.role = i;
    else if (c.name < 0 && c.id >= 0) c.name = i;
  }
  if (c.id == 0 && c.name > 0) c.kind = TableKind::kTasks;
  if (c.mo >= 0) c.legend = read_legend(header[static_cast<std::size_t>(c.mo)]);
  return c;
}

std::optional<Strings> split_merged_cell(const Columns& cols, const Strings& cells,
                                         const std::function<bool(const std::string&)>& known_role, std::string* merged) {
  if (cols.kind != TableKind::kTasks || cells.size() + 1 != cols.count) return std::nullopt;
  auto reads = [&](const Strings& row) {
    auto at = [&](int i) -> const std::string& { return row[static_cast<std::size_t>(i)]; };
    if (!parse_task_id(at(cols.id))) return false;
    if (cols.name >= 0 && clean(at(cols.name)).empty()) return false;
    if (cols.mo >= 0 && !parse_mandatory(at(cols.mo), cols.legend)) return false;
    if (cols.role >= 0 && !at(cols.role).empty() && !known_role(expand_role(clean(at(cols.role))))) return false;
    return true;
  };
  std::optional<Strings> found;
  int ways = 0;
  for (std::size_t p = 0; p < cells.size(); ++p) {
    const auto& cell = cells[p];
    for (std::size_t sp = cell.find(' '); sp != std::string::npos; sp = cell.find(' ', sp + 1)) {
      Strings row(cells.begin(), cells.begin() + static_cast<long>(p));
      row.push_back(normalize_space(cell.substr(0, sp)));
      row.push_back(normalize_space(cell.substr(sp + 1)));
      row.insert(row.end(), cells.begin() + static_cast<long>(p) + 1, cells.end());
      // The split must land on a column whose form is fixed: an id, an M/O letter or a known role.
      const auto col = static_cast<int>(p);
      const bool fixed = col == cols.id || col == cols.mo || col + 1 == cols.mo || col == cols.role || col + 1 == cols.role;
      if (fixed && reads(row)) {
        if (++ways > 1) return std::nullopt;
        found = std::move(row);
        *merged = cell;
      }
    }
  }
  return found;
}

bool is_primary_role_label(const std::string& k) {
  return contains_any(k, {"primary role", "rôle principal", "ruolo principale", "primäre rolle", "hauptrolle", "rol principal", "función principal",
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

}  // namespace ftl::schema::tables
