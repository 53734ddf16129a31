// ftl: the admin CLI. main() only wires the commands up; each lives in its own file.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/context.h"
#include "cli/exit_code.h"
#include "cli/safe_output.h"
#include "schema/parse.h"

namespace {

// Every numeric option and argument is read by the bounded parsers of schema/parse.h before
// CLI11 converts it: CLI11 alone takes "-5" as 18446744073709551611, "0x10" as 16 and " 7" as 7.
void harden(CLI::App* app) {
  for (CLI::Option* opt : app->get_options()) {
    const std::string type = opt->get_type_name();
    CLI::Validator strict;
    if (type.rfind("UINT", 0) == 0) {
      strict = CLI::Validator(
          [](std::string& v) {
            auto r = ftl::schema::parse_uint(v, "");
            return r.ok() ? std::string() : r.status().message();
          },
          "", "whole number");
    } else if (type.rfind("INT", 0) == 0) {
      strict = CLI::Validator(
          [](std::string& v) {
            auto r = ftl::schema::parse_int(v, "", INT64_MIN, INT64_MAX);
            return r.ok() ? std::string() : r.status().message();
          },
          "", "whole number");
    } else if (type.rfind("FLOAT", 0) == 0) {
      strict = CLI::Validator(
          [](std::string& v) {
            auto r = ftl::schema::parse_decimal(v, "", 0, 1e9);
            return r.ok() ? std::string() : r.status().message();
          },
          "", "number");
    } else {
      continue;
    }
    opt->check(strict);
  }
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) harden(sub);
}

constexpr const char* kFooter = R"(Exit codes:
  0  ok
  1  usage: the command line is wrong
  2  invalid input: validation failed, or a file cannot be read (file:line named)
  3  conflict: the stream changed under an expected version
  4  verification failed: the ledger was tampered with (the first bad event named)
  5  ledger unavailable: locked by another writer, missing or corrupt

Example:
  ftl playbook import examples/playbooks/enable-services.md
  ftl playbook tasks --playbook enable-services --service Exchange --mandatory
  ftl verify && ftl digest > digest.json)";

}  // namespace

int main(int argc, char** argv) {
  using namespace ftl::cli;
  SafeOutput safe_output;
  CLI::App app{"ftl: a tamper-evident, event-sourced audit ledger for playbook-driven customer engagements", "ftl"};
  app.require_subcommand(1);
  app.footer(kFooter);
  auto& g = globals();
  app.add_option("--db", g.db, "Ledger directory (default ./ftl-data)")->envname("FTL_DB");
  app.add_option("--as", g.actor, "Actor recorded on local writes (default: FTL_ACTOR, else the login name)");
  app.add_option("--server", g.server, "Talk to a running `ftl serve` at this URL")->envname("FTL_SERVER");
  app.add_option("--token", g.token, "Bearer token for --server")->envname("FTL_TOKEN");
  app.add_option("--format", g.format_name, "Output: table, json, jsonl, csv or md (default table)")
      ->check(CLI::IsMember({"table", "json", "jsonl", "csv", "md"}));
  app.add_flag("--quiet,-q", g.quiet, "Print only results and errors");
  app.add_flag("--no-color", g.no_color, "No colour (also: the NO_COLOR environment variable)");
  app.add_option("--wait", g.wait_seconds, "Seconds a writing command waits for another writer (default 10)");
  app.fallthrough();

  setup_playbook(app);
  setup_log(app);
  setup_verify(app);
  setup_proofs(app);
  setup_engagement(app);
  setup_history(app);
  setup_record(app);
  setup_serve(app);
  harden(&app);

  try {
    app.parse(argc, argv);
  } catch (const std::bad_alloc&) {
    // Whatever was being written is not acknowledged: appends are atomic and synced first.
    std::cerr << "error: ran out of memory; nothing more was written\n";
    return static_cast<int>(ftl::ExitCode::kUnavailable);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\n";
    std::cerr << "hint: run `" << (argc > 0 ? "ftl" : "") << " --help` for the commands and their options\n";
    return static_cast<int>(ftl::ExitCode::kUsage);
  }
  return exit_code();
}
