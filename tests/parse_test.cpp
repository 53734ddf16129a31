// The parsers of schema/parse.h: what users type and send is bounded and checked, and every
// failure names the value. Among the cases, the ones that used to wrap, abort or mean nothing.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <thread>

#include "schema/parse.h"
#include "tests/testutil.h"

using namespace ftl;
using namespace ftl::schema;

TEST_CASE("parse_uint takes decimal digits in range, nothing else", "[parse]") {
  CHECK(*parse_uint("0", "n") == 0);
  CHECK(*parse_uint("25000", "n") == 25000);
  CHECK(*parse_uint("007", "n") == 7);
  CHECK(*parse_uint("18446744073709551615", "n") == UINT64_MAX);
  for (const char* bad : {"", "-5", "+7", " 7", "7 ", "0x10", "1e3", "1.0", "18446744073709551616",
                          "99999999999999999999999", "seven", "\xff"}) {
    auto r = parse_uint(bad, "--active-users");
    INFO(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::StartsWith("--active-users '") && Catch::Contains("is not a whole number"));
  }
  auto ranged = parse_uint("200", "from_sequence", 1, 121);
  REQUIRE_FALSE(ranged.ok());
  CHECK_THAT(ranged.status().message(), Catch::Contains("from 1 to 121"));
  CHECK(*parse_uint("121", "n", 1, 121) == 121);
  CHECK_FALSE(parse_uint("0", "n", 1, 121).ok());
}

TEST_CASE("parse_int takes an optional minus sign and a range", "[parse]") {
  CHECK(*parse_int("-5", "n", -10, 10) == -5);
  CHECK(*parse_int("10", "n", -10, 10) == 10);
  CHECK(*parse_int("-9223372036854775808", "n", INT64_MIN, INT64_MAX) == INT64_MIN);
  for (const char* bad : {"", "-", "--5", "+5", "11", "-11", "5.0", "9223372036854775808", "1e2"}) {
    INFO(bad);
    CHECK_FALSE(parse_int(bad, "n", -10, 10).ok());
  }
}

TEST_CASE("parse_decimal takes finite numbers in range, never inf, nan or hex", "[parse]") {
  CHECK(*parse_decimal("0.25", "--interval", 0, 60) == 0.25);
  CHECK(*parse_decimal("10", "--wait", 0, 1e9) == 10);
  CHECK(*parse_decimal("1e3", "--wait", 0, 1e9) == 1000);
  for (const char* bad : {"", "inf", "-inf", "nan", "NaN", "1e400", "0x10", "-1", "1,5", " 1", "1e9999999999"}) {
    INFO(bad);
    auto r = parse_decimal(bad, "--wait", 0, 1e9);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Contains("is not a number from 0 to 1e+09"));
  }
}

TEST_CASE("parse_time reads dates and ISO times in UTC, and refuses what is not a moment", "[parse]") {
  CHECK(*parse_time("1970-01-01") == 0);
  CHECK(*parse_time("2026-11-10") == 1794268800LL * 1000000);
  CHECK(*parse_time("2026-11-10T12:00Z") == (1794268800LL + 43200) * 1000000);
  CHECK(*parse_time("2026-11-10T12:00:30.5Z") == (1794268800LL + 43230) * 1000000 + 500000);
  CHECK(*parse_time("2026-11-10T12:00:00+00:00") == (1794268800LL + 43200) * 1000000);
  CHECK(*parse_time("11/10/2026") == 1794268800LL * 1000000);
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-10T24:00Z", "2026-11-10T12:60Z",
                          "2026-11-10T12:00:61Z", "2026-11-10T12:00+01:00", "2026-11-10T12:00:00.1234567Z", "99999-01-01",
                          "2026-11-10T12:00:00Zjunk", "1969-12-31", "3000-01-01"}) {
    INFO(bad);
    CHECK_FALSE(parse_time(bad).has_value());
  }
  CHECK_FALSE(parse_time(std::string(100000, '9')).has_value());
}

TEST_CASE("read_file refuses a directory, a missing file and one past its limit, without reading it all", "[parse]") {
  test::TempDir dir;
  auto r = read_file(dir.path(), 1 << 20, "digest file");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("is a directory, not a digest file"));
  r = read_file(dir.sub("missing"), 1 << 20, "playbook file");
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("cannot read playbook file") && Catch::Contains("No such file"));
  r = read_file("/dev/zero", 1 << 20, "playbook file");  // never ends
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("more than 1048576 bytes"));
  test::write_file(dir.sub("page.md"), "# A page\n");
  CHECK(*read_file(dir.sub("page.md"), 9, "playbook file") == "# A page\n");
  CHECK_FALSE(read_file(dir.sub("page.md"), 8, "playbook file").ok());
}

TEST_CASE("read_file reads a FIFO as its writer sends, and never waits for ever for one", "[parse][fifo]") {
  test::TempDir dir;
  const auto fifo = dir.sub("page.fifo");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto r = read_file(fifo, 1 << 20, "playbook file", 300);  // nobody writes
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::StartsWith("no program wrote to " + fifo));
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ofstream(fifo) << "# A page\n";
  });
  auto late = read_file(fifo, 1 << 20, "playbook file", 5000);
  writer.join();
  REQUIRE(late.ok());
  CHECK(*late == "# A page\n");
}

TEST_CASE("check_text takes UTF-8 with tabs and newlines, and names the first bad byte", "[parse][utf8]") {
  CHECK(check_text("Kick-off held", "text").ok());
  CHECK(check_text("Reunião com o PM\tok\n", "text").ok());
  CHECK(check_text("会议 🎉", "text").ok());
  struct Case {
    std::string text, expect;
  };
  for (const auto& c : std::vector<Case>{{"abc\xff", "not valid UTF-8 (byte 3 of 4)"},
                                         {"\xc3\x28", "not valid UTF-8 (byte 0"},
                                         {"\xc0\xaf", "not valid UTF-8"},           // overlong '/'
                                         {"\xed\xa0\x80", "not valid UTF-8"},       // a surrogate
                                         {"\xf4\x90\x80\x80", "not valid UTF-8"},   // past U+10FFFF
                                         {"\xe2\x82", "not valid UTF-8"},           // cut short
                                         {std::string("a\0b", 3), "control character 0x00 at byte 1"},
                                         {"a\rb", "control character 0x0d"},
                                         {"\x1b[31m", "control character 0x1b at byte 0"},
                                         {"a\x7f", "control character 0x7f"}}) {
    INFO(c.text);
    auto st = check_text(c.text, "the note's text");
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.message(), Catch::StartsWith("the note's text") && Catch::Contains(c.expect));
  }
}
