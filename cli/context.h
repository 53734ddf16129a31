// What every `ftl` command shares: the global options, opening the ledger the way the
// command needs it, and reporting a Status the one documented way.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/output.h"
#include "ledger/ledger.h"
#include <nlohmann/json.hpp>

namespace CLI {
class App;
}

namespace ftl::cli {

struct Globals {
  std::string db = "./ftl-data";
  std::string actor;
  std::string server, token;
  std::string format_name;  // empty: table
  bool quiet = false;
  bool no_color = false;
  double wait_seconds = 10;
  std::string signing_key;  // a command's --key: the file of the key that signs checkpoints

  Format format() const;
  bool color() const;  // on a terminal, unless --no-color or NO_COLOR
};

Globals& globals();

// Reading commands open read-only and never take the writer's lock.
// `whole_ledger`: the command looks up every event in the indexes (verify).
Result<std::unique_ptr<Ledger>> open_for_reading(bool whole_ledger = false);
// Writing commands wait up to --wait for another writer, then fail naming the path. Only
// `create` (importing a playbook, which starts a ledger) makes one where there is none.
Result<std::unique_ptr<Ledger>> open_for_writing(bool create = false);
// The snapshot key: FTL_SNAPSHOT_KEY (set but empty: none), else
// $XDG_CONFIG_HOME/ftl/snapshot.key, else ~/.config/ftl/snapshot.key.
std::string snapshot_key_file();
// The key that signs checkpoints: a command's --key, else FTL_LEDGER_KEY; empty if neither.
std::string signing_key_file();
// The actor for local writes: --as, else FTL_ACTOR, else the login name.
std::string actor();

// Prints "error: ..." (and "hint: ...") to stderr; returns the documented exit code.
int fail(const Status& s);
void warn(const std::string& message);
void info(const std::string& message);  // stderr, unless --quiet

// YYYY-MM-DD, M/D/YYYY or YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z] -> UTC microseconds.
std::optional<std::int64_t> parse_time(const std::string& text);

// Prints history rows (Date | Who Changed | What Changed) of the "history" operation with
// `args`, on or after `since` (any date form; empty: all), in the playbook's M/D/YYYY style for
// --format md. `with_source` adds whether a row is the page's own or detected by the ledger.
int print_history(nlohmann::json args, const std::string& since, bool with_source);

// Each command file registers its commands; each command stores its exit code here.
int& exit_code();
void setup_playbook(CLI::App& app);
void setup_log(CLI::App& app);
void setup_verify(CLI::App& app);
void setup_proofs(CLI::App& app);  // key generate, checkpoint, proof (cli/cmd_proofs.cpp)
void setup_engagement(CLI::App& app);
void setup_history(CLI::App& app);
void setup_record(CLI::App& app);
void setup_serve(CLI::App& app);

}  // namespace ftl::cli
