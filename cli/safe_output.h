// What ftl prints is text a terminal only shows: std::cout and std::cerr pass through a filter
// that turns bytes that are not UTF-8, and control characters (but newline, tab, and the
// colour sequences ftl itself writes, ESC [ digits m), into U+FFFD. So bytes only a forged
// ledger holds cannot move the cursor, clear the screen or pose as other output. JSON output
// is unchanged by it: its strings are escaped already.
#pragma once

#include <memory>
#include <streambuf>
#include <string>

namespace ftl::cli {

class SafeOutput {
 public:
  SafeOutput();  // installs the filter on std::cout and std::cerr
  ~SafeOutput();  // flushes and puts the streams back
  SafeOutput(const SafeOutput&) = delete;
  SafeOutput& operator=(const SafeOutput&) = delete;

 private:
  class Filter;
  std::unique_ptr<Filter> out_, err_;
};

// The same filter over one string (tests, and what is printed without a stream).
std::string printable(const std::string& bytes);
// One line of an error or warning: printable, with newlines and tabs shown as \n and \t and the
// characters that reorder or hide text (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) as
// <U+XXXX>, cut to `max` bytes: a value quoted in a message can neither add a line nor
// disguise one.
std::string one_line(const std::string& text, std::size_t max = 2000);

}  // namespace ftl::cli
