#include "cli/context.h"
#include "cli/safe_output.h"
#include "cli/exit_code.h"

#include <map>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "cli/progress.h"
#include "server/server.h"
#include "schema/parse.h"
#include "schema/playbook_page.h"

namespace ftl::cli {

Globals& globals() {
  static Globals g;
  return g;
}

int& exit_code() {
  static int code = 0;
  return code;
}

Format Globals::format() const { return parse_format(format_name).value_or(Format::kTable); }

bool Globals::color() const {
  return !no_color && std::getenv("NO_COLOR") == nullptr && isatty(STDOUT_FILENO) != 0;
}


std::string snapshot_key_file() {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
  };
  // Set but empty: no snapshot key, so snapshots are neither trusted nor written.
  if (const char* set = std::getenv("FTL_SNAPSHOT_KEY"); set != nullptr) return set;
  if (auto x = env("XDG_CONFIG_HOME"); !x.empty()) return x + "/ftl/snapshot.key";
  if (auto h = env("HOME"); !h.empty()) return h + "/.config/ftl/snapshot.key";
  return "";
}

std::string signing_key_file() {
  if (!globals().signing_key.empty()) return globals().signing_key;
  const char* env = std::getenv("FTL_LEDGER_KEY");
  return env != nullptr ? env : "";
}

Result<std::unique_ptr<Ledger>> open_for_reading(bool whole_ledger) {
  OpenOptions o;
  o.read_only = true;
  o.whole_ledger = whole_ledger;
  o.defer_head_check = whole_ledger;
  o.wait_seconds = 2;
  o.snapshot_key_file = snapshot_key_file();
  return Ledger::Open(globals().db, o);
}

Result<std::unique_ptr<Ledger>> open_for_writing(bool create) {
  // A ledger a server holds is written through the server: say so at once, not after --wait.
  if (const auto url = server::serving_url(globals().db); !url.empty())
    return Status::Unavailable("the ledger at " + globals().db + " is held by ftl serve at " + url).tagged("ledger.served");
  OpenOptions o;
  o.wait_seconds = globals().wait_seconds;
  o.snapshot_key_file = snapshot_key_file();
  o.create_if_missing = create;
  return Ledger::Open(globals().db, o);
}

namespace {
// The CLI's own words for what the layers below tag (Status::tag).
std::string cli_hint(const Status& s) {
  const auto& t = s.tag();
  if (t == "ledger.missing") return "create one with `ftl playbook import FILE`, or name another with --db PATH";
  if (t == "ledger.locked") return "wait longer with --wait SECONDS, or send writes through `ftl serve` with --server";
  if (t == "ledger.wal_damaged" || t == "ledger.lost_events")
    return "accept the loss with `ftl recover --reason TEXT` (" + s.hint() + "; the damaged files are copied aside first)";
  if (t == "ledger.disk_full")  // a server says what it needs (a restart); a local command opens the ledger afresh
    return s.hint().empty() ? "free space on that disk: nothing was written, and the ledger works again once there is room" : s.hint();
  if (t == "ledger.not_a_ledger") return s.hint() + ", or name another with --db PATH";
  if (t == "key.missing") return "name the signing key file with --key FILE or FTL_LEDGER_KEY (make one with `ftl key generate`)";
  if (t == "proof.mismatch") return "`ftl verify` tells whether this ledger's events or its stored tree changed";
  if (t == "tree.damaged") return "`ftl verify` names the first stored node that differs from what the events hash to";
  if (t == "checkpoint.fork")
    return "`ftl verify` says what changed; if the ledger lost events (`ftl recover`), signing its new history is a fork that witnesses "
           "will see: remove the key's .checkpoint file only to do that knowingly";
  if (t == "checkpoint.state") return "restore that file from a copy, or remove it only if you know what this key signed last";
  if (t == "tree.incomplete") return "run any writing command on that machine (or `ftl serve`): its open builds the tree";
  if (t == "import.strict") return "drop --strict to import the page with its repairs";
  if (t == "import.removals") return "check that the page is whole; if the removals are meant, import it again with --accept-removals";
  if (t == "ledger.snapshot_key") return s.hint().empty() ? "set FTL_SNAPSHOT_KEY to a key file" : s.hint();
  // A field of a command the engine names by its name; here it is the option that sets it.
  static const std::map<std::string, std::string> kFields = {
      {"field.customer", "give it with --customer NAME"},
      {"field.seats", "give it with --seats N"},
      {"field.reason", "give one with --reason TEXT"},
      {"field.target", "add --target YYYY-MM-DD"},
      {"field.text", "give it with --text TEXT"},
      {"field.step", "name the step with --step NAME"},
      {"field.name", "give it with --name NAME"},
      {"field.services", "name them with --services \"Exchange, Teams\""},
      {"playbook.id", "name one with --id, e.g. --id enable-services"},
  };
  if (auto it = kFields.find(t); it != kFields.end()) return it->second;
  auto with = [&](const std::string& command) { return (s.hint().empty() ? "" : s.hint() + ": ") + command; };
  if (t == "catalog.empty") return with("`ftl playbook import FILE`");
  if (t == "catalog.no_step") return "see the steps with `ftl playbook show ID`";
  if (t == "engagement.out_of_scope") return with("`ftl engagement scope ID --services \"...\"`");
  if (t == "engagement.no_survey_contact") return with("`ftl contact add ID --name NAME --survey-eligible yes`");
  if (t == "engagement.contact_exists") return with("`ftl contact update ID CONTACT ...`");
  if (t == "engagement.not_enabled") return with("see what is open with `ftl task list ID --open`");
  if (t == "ledger.served") return "send the command through it: --server URL --token TOKEN (or FTL_SERVER and FTL_TOKEN)";
  if (t == "server.unreachable") return "check that `ftl serve` runs there, or drop --server (and FTL_SERVER) to use the ledger at --db";
  if (t == "auth.missing" || t == "auth.scheme" || t == "auth.token") return "give a token the server knows with --token (or FTL_TOKEN); an admin grants one with `ftl token add NAME --role ROLE`";
  if (t == "auth.role") return "ask an admin for a token whose role allows it (`ftl token add NAME --role ROLE --replace`)";
  if (t == "token.exists") return "add --replace to give NAME a new token (the old one stops working), or choose another name";
  if (t == "token.last_admin") return "grant another admin first: `ftl token add NAME --role admin`";
  if (t == "event.none") return "find event ids with `ftl log --format jsonl`";
  if (t == "replay.range") return "give --from and --to within " + s.hint();
  if (t == "field.survey_eligible") return "write --survey-eligible yes or no";
  if (t == "token.none") return s.hint().empty() ? "see them with `ftl token list`" : s.hint() + " (`ftl token list`)";
  if (t == "token.role") return "give --role reader, writer or admin";
  if (t == "engagement.none") return "open one with `ftl engagement open ID --customer NAME --seats N --services \"A, B\"`";
  return s.hint();
}
}  // namespace

std::string actor() {
  if (!globals().actor.empty()) return globals().actor;
  if (const char* a = std::getenv("FTL_ACTOR"); a != nullptr && *a != '\0') return a;
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
  return "unknown";
}

int fail(const Status& s) {
  clear_progress_line();
  std::cerr << "error: " << one_line(s.message()) << "\n";
  if (const auto hint = cli_hint(s); !hint.empty()) std::cerr << "hint: " << one_line(hint) << "\n";
  exit_code() = static_cast<int>(to_exit_code(s));
  return exit_code();
}

void warn(const std::string& message) {
  clear_progress_line();
  if (!globals().quiet) std::cerr << "warning: " << one_line(message) << "\n";
}

void info(const std::string& message) {
  if (!globals().quiet) std::cerr << message << "\n";
}

std::optional<std::int64_t> parse_time(const std::string& text) { return schema::parse_time(text); }

}  // namespace ftl::cli
