// Parsers for what users type and send: numbers, times, files, text. Each is bounded and
// checked, never throws and never aborts; a failure is InvalidArgument naming the field, the
// value and what would be valid (never a CLI flag or an HTTP route: the fronts word their own).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace ftl::schema {

// A whole number in decimal digits only (no sign, space, "0x" or exponent), from min to max.
Result<std::uint64_t> parse_uint(std::string_view text, std::string_view field, std::uint64_t min = 0,
                                 std::uint64_t max = ~std::uint64_t{0});
// A whole number with an optional leading '-', from min to max.
Result<std::int64_t> parse_int(std::string_view text, std::string_view field, std::int64_t min, std::int64_t max);
// A finite decimal number ("2", "0.25", "1e3"), from min to max; no inf, nan or hex.
Result<double> parse_decimal(std::string_view text, std::string_view field, double min, double max);

// YYYY-MM-DD (and the playbook forms parse_date reads) or YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|+00:00]
// -> UTC microseconds since the epoch; nullopt if it is not one of those, or not a real moment
// between 1970 and 2999.
std::optional<std::int64_t> parse_time(std::string_view text);

// Reads a whole file of at most `max_bytes`; `what` names it in errors ("playbook file").
// InvalidArgument for a directory, a file that cannot be opened or read (with the system's
// reason) or one larger than the limit (read no further than the limit, so /dev/zero or a pipe
// that never ends is refused, not read until memory runs out).
// A FIFO or socket is read as its writer sends, waiting at most `idle_ms` for each piece (and
// for a writer to come), so a pipe nobody writes to does not hold the command.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes, std::string_view what, int idle_ms = 30000);

// Writes a file that must not exist yet, with `mode`: written beside it, synced, then linked
// into place (never over a file that exists, even one made meanwhile) and the directory synced;
// a failed or interrupted write leaves no file of that name. `what` names it in errors ("key
// file"); InvalidArgument tagged "file.exists" if it exists.
Status write_new_file(const std::string& path, std::string_view bytes, unsigned mode, std::string_view what);

// Replaces (or creates) a file with `bytes`, mode 0644: written beside it under a name of its
// own, synced, renamed over it and the directory synced, so a reader sees the old bytes or the
// new, never a part. IOError names `what` and the system's reason.
Status replace_file(const std::string& path, std::string_view bytes, std::string_view what);

// Text as users give it (a note, a name, a reason): valid UTF-8 with no control character but
// tab and newline. InvalidArgument names the field and the offset of the first bad byte.
Status check_text(std::string_view text, std::string_view field);

}  // namespace ftl::schema
