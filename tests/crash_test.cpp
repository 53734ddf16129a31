// kill -9 at random points: a child appends from several threads and reports each
// acknowledged append; it is killed with SIGKILL many times. Afterwards the chain and indexes
// verify, and every append the child reported as acknowledged is there at its sequence.
#include <catch2/catch.hpp>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <sstream>

#include "tests/testutil.h"

using namespace ftl;

extern char** environ;

namespace {

// Runs the child for `millis`, kills it with SIGKILL, and returns what it printed.
std::string run_and_kill(const std::string& db, const std::string& prefix, int millis) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  std::string bin = FTL_CRASH_CHILD;
  std::vector<std::string> args = {bin, "append", db, prefix, "4"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  std::string out;
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 5) > 0) {
      auto n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) FAIL("the child ended on its own: status " << status);
  return out;
}

}  // namespace

TEST_CASE("appends acknowledged before a SIGKILL survive it, and the chain verifies", "[crash]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> delay(30, 250);
  std::map<std::string, std::uint64_t> acked;
  constexpr int kRounds = 30;
  for (int round = 0; round < kRounds; ++round) {
    auto out = run_and_kill(db, "r" + std::to_string(round), delay(rng));
    std::istringstream lines(out);
    std::string word, id;
    std::uint64_t seq = 0;
    while (lines >> word >> id >> seq) {
      REQUIRE(word == "ACK");
      acked[id] = seq;
    }
  }
  INFO("acknowledged appends: " << acked.size());
  REQUIRE(acked.size() > 100);
  OpenOptions ro;
  ro.read_only = true;
  auto l = test::open_ledger(db, ro);
  auto report = l->verify({});
  INFO(report.status().message());
  REQUIRE(report.ok());
  std::size_t missing = 0;
  for (const auto& [id, seq] : acked) {
    auto e = l->get_by_id(id);
    if (!e.ok() || e->sequence != seq) ++missing;
  }
  CHECK(missing == 0);
  CHECK(l->head().sequence >= acked.size());
}
