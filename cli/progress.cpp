#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "cli/context.h"

namespace ftl::cli {

namespace {
bool line_drawn = false;  // a bar occupies the cursor's line on stderr
}

void clear_progress_line() {
  if (line_drawn) {
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
    line_drawn = false;
  }
}

Progress::Progress(std::string label, std::uint64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      enabled_(isatty(STDERR_FILENO) != 0 && !globals().quiet),
      start_(std::chrono::steady_clock::now()), last_(start_ - std::chrono::seconds(1)) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double frac = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1;
  const int width = 30;
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar += std::string(static_cast<std::size_t>(width - filled), '-');
  const double eta = rate > 0 && total_ > done ? static_cast<double>(total_ - done) / rate : 0;
  std::fprintf(stderr, "\r%s [%s] %llu/%llu %s  %.1f/s  ETA %.0fs\x1b[K", label_.c_str(), bar.c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), unit_.c_str(), rate, eta);
  std::fflush(stderr);
  drawn_ = true;
  line_drawn = true;
}

void Progress::finish() {
  if (drawn_) clear_progress_line();
  drawn_ = false;
}

}  // namespace ftl::cli
