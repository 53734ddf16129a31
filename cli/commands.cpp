#include "cli/commands.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

#include "cli/context.h"
#include "cli/invoke.h"

namespace ftl::cli {

using nlohmann::json;

bool put_effective(json& args, const std::string& effective, const char* example) {
  if (effective.empty()) return true;
  if (!parse_time(effective)) {
    fail(Status::InvalidArgument("--effective '" + effective + "' is not a date", std::string("write it as ") + example));
    return false;
  }
  args["effective"] = effective;
  return true;
}

void add_effective(CLI::App* cmd, Recording& r) {
  cmd->add_option("--effective", r.effective, "Business date of the fact (default: now); a back-dated entry shows as such");
}

int record_command(const std::string& op, const Recording& r, json args) {
  args["engagement"] = r.engagement;
  if (!put_effective(args, r.effective)) return exit_code();
  return write_command(op, std::move(args));
}

int write_command(const std::string& op, json args) {
  auto out = invoke(op, args);
  if (!out.ok()) return fail(out.status());
  const auto format = globals().format();
  const auto& d = *out;
  if (format == Format::kJson || format == Format::kJsonl) {
    std::cout << json_text(d) << "\n";
    return 0;
  }
  const auto events = d.value("events", std::uint64_t{0});
  if (!globals().quiet || events == 0) {
    std::cout << d.value("engagement", std::string()) << ": " << d.value("message", std::string());
    if (events > 0) {
      const auto first = d["first_sequence"].get<std::uint64_t>(), last = d["last_sequence"].get<std::uint64_t>();
      std::cout << " (sequence " << first << (events > 1 ? "-" + std::to_string(last) : "") << ")";
    }
    std::cout << "\n";
  }
  return 0;
}

int list_command(const std::string& op, const json& args, const std::function<std::vector<Column>(Format)>& columns,
                 const RowShape& shape) {
  const auto format = globals().format();
  // Made at the first row, so that a command that fails before any prints nothing on stdout.
  std::optional<RowWriter> w;
  auto open = [&] {
    if (!w) w.emplace(std::cout, format, columns(format), globals().color());
  };
  auto out = invoke(op, args, [&](const json& row) {
    open();
    w->row(shape ? shape(row, format) : row);
    return Status::Ok();
  });
  if (out.ok()) open();
  if (w) w->finish();
  if (!out.ok()) return fail(out.status());
  return 0;
}

int list_command(const std::string& op, const json& args, const std::vector<Column>& columns, const RowShape& shape) {
  return list_command(op, args, [&](Format) { return columns; }, shape);
}

int document_command(const std::string& op, const json& args, const std::function<void(const json&, Format)>& print) {
  auto out = invoke(op, args);
  if (!out.ok()) return fail(out.status());
  const auto format = globals().format();
  if (format == Format::kJson || format == Format::kJsonl) {
    std::cout << json_text(*out, format == Format::kJson ? 2 : -1) << "\n";
    return 0;
  }
  print(*out, format);
  return 0;
}

}  // namespace ftl::cli
