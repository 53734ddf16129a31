// kill -9 at random moments: a child appends from 32 threads and, after each acknowledged
// append, writes its event id and sequence to a file it syncs. It is killed with SIGKILL 100
// times, at any point of its life: opening (replaying the WAL), appending, closing. After each
// kill the ledger opens, verifies from end to end, and holds every event the file names, at its
// sequence. The counts are printed for docs/PERFORMANCE.md.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "tests/testutil.h"

using namespace ftl;

extern char** environ;

namespace {

constexpr int kRounds = 100;
constexpr int kWriters = 32;

// Runs the child for `millis`, then kills it with SIGKILL; false if it ended on its own.
bool run_and_kill(const std::string& db, const std::string& prefix, const std::string& acks, int millis, std::string* err) {
  const std::string bin = FTL_CRASH_CHILD;
  const std::string errfile = acks + ".stderr";
  std::vector<std::string> args = {bin, "soak", db, prefix, std::to_string(kWriters), acks};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errfile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  std::this_thread::sleep_for(std::chrono::milliseconds(millis));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return true;
  std::ifstream in(errfile);
  std::stringstream ss;
  ss << in.rdbuf();
  *err = "status " + std::to_string(status) + ": " + ss.str();
  return false;
}

}  // namespace

TEST_CASE("100 SIGKILLs under 32 writers: every acknowledged append survives each, and the ledger verifies", "[crash][soak]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  const auto acks = dir.sub("acks");
  std::mt19937 rng(std::random_device{}());
  // Mostly mid-append; some during the open's WAL replay, some while the writer closes.
  std::uniform_int_distribution<int> delay(2, 400);
  std::unordered_map<std::string, std::uint64_t> acked;
  std::uint64_t lost = 0, verified = 0;
  std::size_t read_bytes = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::string err;
    INFO("round " << round);
    REQUIRE(run_and_kill(db, "r" + std::to_string(round), acks, delay(rng), &err));
    if (!std::ifstream(db + "/CURRENT")) continue;  // killed before the ledger was made
    // Every line the child synced, up to the kill.
    {
      std::ifstream in(acks);
      in.seekg(static_cast<std::streamoff>(read_bytes));
      std::string line;
      while (std::getline(in, line)) {
        if (in.eof()) break;  // a line without its newline was being written: not acknowledged yet
        read_bytes += line.size() + 1;
        std::istringstream ls(line);
        std::string id;
        std::uint64_t seq = 0;
        REQUIRE(ls >> id >> seq);
        acked[id] = seq;
      }
    }
    // A line the kill cut short (a write(2) that crosses a page boundary can stop between the
    // pages) was never acknowledged: it goes, so the next child's lines start on a line of their own.
    if (std::filesystem::exists(acks)) std::filesystem::resize_file(acks, read_bytes);
    OpenOptions ro;
    ro.read_only = true;
    ro.whole_ledger = true;
    auto l = Ledger::Open(db, ro);
    INFO(l.status().message());
    if (!l.ok() && l.status().tag() == "ledger.missing") {
      // Killed while the first writer was still creating it (its marker not yet written): there
      // is no ledger, so nothing can have been acknowledged, and the next writer makes it.
      REQUIRE(acked.empty());
      continue;
    }
    REQUIRE(l.ok());
    auto report = (*l)->verify({});
    INFO(report.status().message());
    REQUIRE(report.ok());
    ++verified;
    std::unordered_map<std::string, std::uint64_t> present;
    present.reserve(report->events_checked);
    auto c = (*l)->scan(1);
    for (; c->valid(); c->next()) present.emplace(c->event().event_id, c->event().sequence);
    REQUIRE(c->status().ok());
    std::string first_lost;
    for (const auto& [id, seq] : acked) {
      auto it = present.find(id);
      if (it == present.end() || it->second != seq) {
        if (lost++ == 0)
          first_lost = id + " acknowledged at " + std::to_string(seq) + (it == present.end() ? ", absent" : ", found at " + std::to_string(it->second));
      }
    }
    INFO(first_lost);
    REQUIRE(lost == 0);
  }
  OpenOptions ro;
  ro.read_only = true;
  const auto head = test::open_ledger(db, ro)->head().sequence;
  std::printf("kill -9 soak: %d SIGKILLs under %d writers; %zu acknowledged appends (synced to the ack file), %llu lost; "
              "%llu verifies green; %llu events in the ledger\n",
              kRounds, kWriters, acked.size(), static_cast<unsigned long long>(lost), static_cast<unsigned long long>(verified),
              static_cast<unsigned long long>(head));
  CHECK(acked.size() > 1000);
  CHECK(head >= acked.size());
}
