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

}  // namespace ftl::cli
