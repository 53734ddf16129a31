// What every command does once its options are read: run its operation (cli/invoke.h) and
// print the document in the format asked for.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/output.h"

namespace CLI {
class App;
}

namespace ftl::cli {

// A recording: "contoso: recorded task 1126 as done (sequence 42)".
int write_command(const std::string& op, nlohmann::json args);
// --effective as the user typed it, checked here (the option's own words) and sent on.
// Returns false (and has reported the error) if it is not a date.
bool put_effective(nlohmann::json& args, const std::string& effective, const char* example = "2026-11-24");

// What every recording on an engagement shares: its id and --effective.
struct Recording {
  std::string engagement, effective;
};
void add_effective(CLI::App* cmd, Recording& r);
// Runs a recording `op` with `args` plus the engagement and its --effective.
int record_command(const std::string& op, const Recording& r, nlohmann::json args);

// A listing, streamed through a RowWriter; `shape` adjusts a row for the format (M/O letters,
// short dates) before it is printed.
using RowShape = std::function<nlohmann::json(nlohmann::json, Format)>;
int list_command(const std::string& op, const nlohmann::json& args, const std::vector<Column>& columns, const RowShape& shape = {});
// The same, with the columns depending on the format.
int list_command(const std::string& op, const nlohmann::json& args, const std::function<std::vector<Column>(Format)>& columns,
                 const RowShape& shape = {});

// A document: JSON as it is for json/jsonl, else `print` renders it.
int document_command(const std::string& op, const nlohmann::json& args, const std::function<void(const nlohmann::json&, Format)>& print);

// How the views print (cli/cmd_history.cpp, cli/cmd_engagement.cpp), for every command that
// shows them: live, or from a bundle.
std::vector<Column> history_columns(Format format, bool with_source);
nlohmann::json history_shape(nlohmann::json row, Format format);
std::vector<Column> audit_columns();
nlohmann::json audit_shape(nlohmann::json row, Format format);
void print_engagement(const nlohmann::json& doc, Format format);

}  // namespace ftl::cli
