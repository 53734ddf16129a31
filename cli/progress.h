// A progress bar with rate and ETA on stderr, shown only on a terminal (never when piped,
// never with --quiet).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ftl::cli {

// Clears the line of a bar being drawn, so that a warning prints on a line of its own; the
// bar redraws on its next update.
void clear_progress_line();

class Progress {
 public:
  Progress(std::string label, std::uint64_t total, std::string unit);
  ~Progress();
  void update(std::uint64_t done);
  void finish();
  bool shown() const { return enabled_; }

 private:
  std::string label_, unit_;
  std::uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace ftl::cli
