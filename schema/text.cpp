// Text clean-up for the untidy Markdown that real playbook pages are written in.
#include <cstdio>
#include <ctime>
#include <string>

#include "schema/playbook_page.h"

namespace ftl::schema {

std::string normalize_space(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  auto emit_space = [&] { space = !out.empty(); };
  for (std::size_t i = 0; i < s.size();) {
    auto rest = s.substr(i);
    if (rest.starts_with("\xC2\xA0")) {  // no-break space
      emit_space();
      i += 2;
    } else if (rest.starts_with("\xE2\x80\x8B") || rest.starts_with("\xE2\x80\x8C") ||
               rest.starts_with("\xE2\x80\x8D") || rest.starts_with("\xEF\xBB\xBF")) {  // zero-width, BOM
      i += 3;
    } else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
      emit_space();
      ++i;
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(s[i]);
      ++i;
    }
  }
  return out;
}

std::string strip_markup(std::string_view s) {
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
  if (std::sscanf(s.c_str(), "%d-%d-%d", &y, &m, &d) != 3) return 0;
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
