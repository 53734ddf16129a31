// Text clean-up for the untidy Markdown that real playbook pages are written in.
#include <cstdio>
#include <ctime>
#include <string>

#include "schema/playbook_page.h"

namespace ftl::schema {

std::string normalize_space(std::string_view s) {
  // One pass; only a lead byte of the few multi-byte spaces looks further (a page is read
  // through here several times a cell, so this is the importer's inner loop).
  std::string out;
  out.reserve(s.size());
  bool space = false;
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      ++i;
      continue;
    }
    if (c == 0xC2 && i + 1 < n && s[i + 1] == '\xA0') {  // no-break space
      space = !out.empty();
      i += 2;
      continue;
    }
    if (i + 2 < n && ((c == 0xE2 && s[i + 1] == '\x80' && (s[i + 2] == '\x8B' || s[i + 2] == '\x8C' || s[i + 2] == '\x8D')) ||
                      (c == 0xEF && s[i + 1] == '\xBB' && s[i + 2] == '\xBF'))) {  // zero-width, BOM
      i += 3;
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    // The run of ordinary bytes up to the next byte that could be, or start, a space.
    std::size_t j = i + 1;
    while (j < n) {
      const auto d = static_cast<unsigned char>(s[j]);
      if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == 0xC2 || d == 0xE2 || d == 0xEF) break;
      ++j;
    }
    out.append(s.data() + i, j - i);
    i = j;
  }
  return out;
}

std::string strip_markup(std::string_view s) {
  if (s.find_first_of("\\![*`_") == std::string_view::npos) return std::string(s);  // most cells: no markup
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && std::string_view("\\`*_{}[]()#+-.!|").find(s[i + 1]) != std::string_view::npos) {
      out.push_back(s[++i]);
      continue;
    }
    if (c == '!' && i + 1 < s.size() && s[i + 1] == '[') continue;  // image: keep its alt text
    if (c == '[') {
      // [text](url) -> text; a lone '[' stays.
      auto close = s.find(']', i + 1);
      if (close != std::string_view::npos && close + 1 < s.size() && s[close + 1] == '(') {
        auto end = s.find(')', close + 2);
        if (end != std::string_view::npos) {
          out += strip_markup(s.substr(i + 1, close - i - 1));
          i = end;
          continue;
        }
      }
    }
    if (c == '*' || c == '`') continue;
    if (c == '_' && i + 1 < s.size() && s[i + 1] == '_') {
      ++i;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

namespace {
bool valid_ymd(int y, int m, int d) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 2999 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m != 2 || d <= 28 || leap;
}
std::string iso(int y, int m, int d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}
}  // namespace

std::string parse_date(std::string_view text) {
  std::string s = normalize_space(strip_markup(text));
  int a = 0, b = 0, c = 0, n = 0;
  auto full = [&] { return n == static_cast<int>(s.size()); };
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &a, &b, &c, &n) == 3 && full() && valid_ymd(a, b, c)) return iso(a, b, c);
  n = 0;
  if (std::sscanf(s.c_str(), "%4d/%2d/%2d%n", &a, &b, &c, &n) == 3 && full() && a > 999 && valid_ymd(a, b, c))
    return iso(a, b, c);
  n = 0;
  if (std::sscanf(s.c_str(), "%2d/%2d/%4d%n", &a, &b, &c, &n) == 3 && full()) {
    const auto year_digits = s.size() - s.rfind('/') - 1;
    if (year_digits == 2) c += 2000;
    if ((year_digits == 2 || year_digits == 4) && valid_ymd(c, a, b)) return iso(c, a, b);
    return {};
  }
  n = 0;
  if (std::sscanf(s.c_str(), "%2d.%2d.%4d%n", &a, &b, &c, &n) == 3 && full() && valid_ymd(c, b, a)) return iso(c, b, a);
  n = 0;
  if (std::sscanf(s.c_str(), "%4d\xE5\xB9\xB4%2d\xE6\x9C\x88%2d\xE6\x97\xA5%n", &a, &b, &c, &n) == 3 && full() &&
      valid_ymd(a, b, c))  // 2020年3月25日
    return iso(a, b, c);
  return {};
}

std::int64_t date_to_us(std::string_view iso_date) {
  int y = 0, m = 0, d = 0;
  const std::string s(iso_date);
  // Only a whole, valid YYYY-MM-DD is a date ("2021-02-30", kept as a page wrote it, is not).
  char tail = 0;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || !valid_ymd(y, m, d)) return 0;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000000;
}

std::string playbook_date(std::string_view iso_date) {
  int y = 0, m = 0, d = 0;
  std::string s(iso_date);
  if (std::sscanf(s.c_str(), "%d-%d-%d", &y, &m, &d) != 3) return s;
  return std::to_string(m) + "/" + std::to_string(d) + "/" + std::to_string(y);
}

}  // namespace ftl::schema
