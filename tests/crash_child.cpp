// A helper process for crash_test and the CLI tests.
//   crash_child hold DB SECONDS           holds the writer's lock, prints "HOLDING", then sleeps
//   crash_child forge-text DB             appends, below the engine's checks, an engagement whose
//                                         customer's name is not UTF-8: what only a forger's
//                                         ledger holds, for the fronts to show without aborting
//   crash_child soak DB PREFIX THREADS ACKS
//                                         appends forever from THREADS threads, one event per
//                                         append, each with its own event id; after each is
//                                         acknowledged, appends "<event id> <sequence>" to the
//                                         file ACKS and syncs it before the next append
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"
#include "schema/codec.h"

int main(int argc, char** argv) {
  if (argc < 3 || (argc < 4 && std::strcmp(argv[1], "forge-text") != 0)) {
    std::fprintf(stderr, "usage: crash_child hold DB SECONDS | forge-text DB | soak DB PREFIX THREADS ACKS\n");
    return 1;
  }
  const std::string mode = argv[1];
  ftl::OpenOptions o;
  o.wait_seconds = 30;
  auto ledger = ftl::Ledger::Open(argv[2], o);
  if (!ledger.ok()) {
    std::fprintf(stderr, "crash_child: %s\n", ledger.status().message().c_str());
    return 5;
  }
  if (mode == "forge-text") {
    auto enc = ftl::schema::encode(ftl::schema::EngagementEvent(
        ftl::schema::EngagementOpened{"forged", "Bad \xff\xfe Name \xc0\xaf\x1b[2J\x1b]0;owned\x07", 10, {"Exchange"}, {}, "Enable", false}));
    ftl::NewEvent e;
    e.type = enc.type;
    e.schema_version = enc.version;
    e.actor = "forger";
    e.payload = enc.bytes;
    auto r = (*ledger)->append({"engagement/forged", ftl::ExpectedVersion::NoStream(), {e}});
    return r.ok() ? 0 : 3;
  }
  if (mode == "hold") {
    const char* msg = "HOLDING\n";
    if (write(STDOUT_FILENO, msg, std::strlen(msg)) < 0) return 1;
    std::this_thread::sleep_for(std::chrono::seconds(std::atoi(argv[3])));
    return 0;
  }
  const std::string prefix = argv[3];
  const int threads = argc > 4 ? std::atoi(argv[4]) : 4;
  if (mode != "soak" || argc < 6) {
    std::fprintf(stderr, "crash_child: unknown mode %s\n", mode.c_str());
    return 1;
  }
  const int acks = ::open(argv[5], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (acks < 0) return 6;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (long n = 0;; ++n) {
        ftl::NewEvent e;
        e.event_id = prefix + "-" + std::to_string(t) + "-" + std::to_string(n);
        e.type = "SoakAppended";
        e.actor = "soak-" + std::to_string(t % 4);
        e.payload = std::string(100 + (n * 37 + t) % 400, static_cast<char>('a' + t % 26));
        auto r = (*ledger)->append({"soak/" + std::to_string(t % 8), ftl::ExpectedVersion::Any(), {e}});
        if (!r.ok()) {
          std::fprintf(stderr, "crash_child: %s\n", r.status().message().c_str());
          std::_Exit(3);
        }
        // One write(2) per line (O_APPEND: never interleaved), synced before it counts.
        const std::string line = e.event_id + " " + std::to_string(r->first_sequence) + "\n";
        if (::write(acks, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fdatasync(acks) != 0) std::_Exit(4);
      }
    });
  }
  for (auto& t : ts) t.join();
}
