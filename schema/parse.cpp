#include "schema/parse.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <utf8cpp/utf8.h>

#include "schema/playbook_page.h"

namespace ftl::schema {
namespace {

bool utf8_ok(std::string_view s, std::size_t* bad = nullptr) {
  const auto it = utf8::find_invalid(s.begin(), s.end());
  if (bad != nullptr) *bad = static_cast<std::size_t>(it - s.begin());
  return it == s.end();
}

// A value quoted in an error: bounded, and printable whatever bytes it holds.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text.substr(0, 64)) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (!utf8_ok(out)) out = "'(" + std::to_string(text.size()) + " bytes, not UTF-8)";
  return out + (text.size() > 64 ? "...'" : "'");
}

std::string range(std::uint64_t min, std::uint64_t max) {
  if (max == ~std::uint64_t{0}) return min == 0 ? "" : " from " + std::to_string(min);
  return " from " + std::to_string(min) + " to " + std::to_string(max);
}

// "field 'value'", or just "'value'" when the caller names the field itself.
std::string subject(std::string_view field, std::string_view text) {
  return field.empty() ? quoted(text) : std::string(field) + " " + quoted(text);
}

}  // namespace

Result<std::uint64_t> parse_uint(std::string_view text, std::string_view field, std::uint64_t min, std::uint64_t max) {
  auto bad = [&] {
    return Status::InvalidArgument(subject(field, text) + " is not a whole number" + range(min, max),
                                   "write it in digits, e.g. " + std::to_string(min == 0 ? 1 : min));
  };
  if (text.empty() || text.size() > 20) return bad();
  for (char c : text)
    if (c < '0' || c > '9') return bad();
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return bad();
  return v;
}

Result<std::int64_t> parse_int(std::string_view text, std::string_view field, std::int64_t min, std::int64_t max) {
  auto bad = [&] {
    return Status::InvalidArgument(subject(field, text) + " is not a whole number from " + std::to_string(min) + " to " +
                                   std::to_string(max));
  };
  const bool negative = !text.empty() && text[0] == '-';
  const auto digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 19) return bad();
  for (char c : digits)
    if (c < '0' || c > '9') return bad();
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return bad();
  return v;
}

Result<double> parse_decimal(std::string_view text, std::string_view field, double min, double max) {
  char lo[32], hi[32];
  std::snprintf(lo, sizeof lo, "%g", min);
  std::snprintf(hi, sizeof hi, "%g", max);
  auto bad = [&] { return Status::InvalidArgument(subject(field, text) + " is not a number from " + lo + " to " + hi); };
  if (text.empty() || text.size() > 32) return bad();
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) return bad();
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < min || v > max) return bad();
  return v;
}

std::optional<std::int64_t> parse_time(std::string_view input) {
  if (input.size() > 64) return std::nullopt;
  const std::string text(input);
  auto date = parse_date(text);
  int h = 0, mi = 0;
  double sec = 0;
  if (date.empty()) {
    int y = 0, mo = 0, d = 0, n = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5) return std::nullopt;
    std::string rest = text.substr(static_cast<std::size_t>(n));
    if (!rest.empty() && rest[0] == ':') {
      // Seconds: two digits, then an optional fraction of up to six.
      std::size_t i = 1;
      while (i < rest.size() && i <= 2 && rest[i] >= '0' && rest[i] <= '9') ++i;
      if (i != 3) return std::nullopt;
      std::size_t j = i;
      if (j < rest.size() && rest[j] == '.') {
        ++j;
        while (j < rest.size() && j - i <= 6 && rest[j] >= '0' && rest[j] <= '9') ++j;
        if (j == i + 1) return std::nullopt;
      }
      auto parsed = parse_decimal(std::string_view(rest).substr(1, j - 1), "seconds", 0, 60.999999);
      if (!parsed.ok()) return std::nullopt;
      sec = *parsed;
      rest = rest.substr(j);
    }
    if (!(rest.empty() || rest == "Z" || rest == "+00:00")) return std::nullopt;
    date = parse_date(text.substr(0, 10));
    if (date.empty() || h < 0 || h > 23 || mi < 0 || mi > 59 || text[4] != '-' || text[7] != '-') return std::nullopt;
  }
  std::tm tm{};
  if (std::sscanf(date.c_str(), "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000000 + static_cast<std::int64_t>(std::llround(sec * 1e6));
}

namespace {
bool write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}
}  // namespace

Status write_new_file(const std::string& path, std::string_view bytes, unsigned mode, std::string_view what) {
  const std::string w(what);
  auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat existing {};
  if (::lstat(path.c_str(), &existing) == 0)  // a link, even one that leads nowhere, is there too
    return Status::InvalidArgument("the " + w + " " + path + " exists; it is never written over", "choose another name").tagged("file.exists");
  // An unnamed file in the directory (O_TMPFILE), so a process killed while writing leaves
  // nothing behind; where the file system has none, a named one beside it.
  std::string tmp;
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    tmp = path + ".tmp-XXXXXX";
    fd = ::mkstemp(tmp.data());
  }
  if (fd < 0) {
    const int err = errno;
    const auto why = "cannot create " + w + " " + path + ": " + std::strerror(err);
    if (err == ENOENT || err == ENOTDIR || err == EACCES || err == EROFS || err == EISDIR) return Status::InvalidArgument(why);
    return Status::IOError(why);
  }
  bool ok = write_all(fd, bytes) && ::fchmod(fd, static_cast<mode_t>(mode)) == 0 && ::fsync(fd) == 0;
  int err = errno;
  const std::string from = tmp.empty() ? "/proc/self/fd/" + std::to_string(fd) : tmp;
  if (ok && ::linkat(AT_FDCWD, from.c_str(), AT_FDCWD, path.c_str(), tmp.empty() ? AT_SYMLINK_FOLLOW : 0) != 0) {
    err = errno;
    ::close(fd);
    if (!tmp.empty()) ::unlink(tmp.c_str());
    if (err == EEXIST)
      return Status::InvalidArgument("the " + w + " " + path + " exists; it is never written over", "choose another name").tagged("file.exists");
    return Status::IOError("cannot create " + w + " " + path + ": " + std::strerror(err));
  }
  ::close(fd);
  if (!tmp.empty()) ::unlink(tmp.c_str());
  if (!ok) return Status::IOError("cannot write " + w + " " + path + ": " + std::strerror(err));
  if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return Status::Ok();
}

Status replace_file(const std::string& path, std::string_view bytes, std::string_view what) {
  const std::string w(what);
  auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Status::IOError("cannot create " + w + " " + path + ": " + std::strerror(errno));
  const bool ok = write_all(fd, bytes) && ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int why = ok ? errno : err;
    ::unlink(tmp.c_str());
    return Status::IOError("cannot write " + w + " " + path + ": " + std::strerror(why));
  }
  const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = d >= 0 && ::fsync(d) == 0;
  if (d >= 0) ::close(d);
  if (!synced) return Status::IOError("cannot sync the directory of " + w + " " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes, std::string_view what, int idle_ms) {
  const std::string w(what);
  // O_NONBLOCK: a FIFO nobody writes to does not hold the open (nor, below, the read).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::InvalidArgument("cannot read " + w + " " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + " is a directory, not " + (std::string_view("aeiou").find(w[0]) != std::string_view::npos ? "an " : "a ") + w);
  }
  const bool pipe = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode);
  // A file that says it is too large is refused before a byte of it is read.
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::InvalidArgument(path + " holds " + std::to_string(st.st_size) + " bytes, more than the " + std::to_string(max_bytes) +
                                   " " + (std::string_view("aeiou").find(w[0]) != std::string_view::npos ? "an " : "a ") + w + " may hold");
  }
  std::string out;
  if (S_ISREG(st.st_mode)) out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && pipe) {
        // A writer is there but has sent nothing yet: wait for it, though not for ever.
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, idle_ms) > 0) continue;
        ::close(fd);
        return Status::InvalidArgument("nothing came from " + path + " for " + std::to_string(idle_ms / 1000) + " seconds, so no " + w + " was read");
      }
      const int err = errno;
      ::close(fd);
      return Status::InvalidArgument("cannot read " + w + " " + path + ": " + std::strerror(err));
    }
    if (n == 0) {
      if (pipe && out.empty() && S_ISFIFO(st.st_mode)) {
        // No writer has opened the FIFO yet (or it is gone): give one a moment to come (a
        // shell's <(...) opens it at once).
        const int wait_ms = std::min(idle_ms, 5000);
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, wait_ms) > 0 && (p.revents & POLLIN) != 0) continue;
        ::close(fd);
        return Status::InvalidArgument("no program wrote to " + path + " within " + std::to_string(wait_ms / 1000) + " seconds, so no " + w + " was read");
      }
      break;
    }
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::InvalidArgument(path + " holds more than " + std::to_string(max_bytes) + " bytes, more than a " + w + " may");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Status check_text(std::string_view text, std::string_view field) {
  // Most text is printable ASCII: one pass, no decoding.
  if (std::all_of(text.begin(), text.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n';
      }))
    return Status::Ok();
  std::size_t bad = 0;
  if (!utf8_ok(text, &bad))
    return Status::InvalidArgument(std::string(field) + " is not valid UTF-8 (byte " + std::to_string(bad) + " of " +
                                   std::to_string(text.size()) + ")",
                                   "save it as UTF-8");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", c);
      return Status::InvalidArgument(std::string(field) + " holds the control character " + buf + " at byte " + std::to_string(i));
    }
    // The C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F): a terminal obeys them as it does ESC.
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      char buf[12];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned char>(text[i + 1]));
      return Status::InvalidArgument(std::string(field) + " holds the control character " + buf + " at byte " + std::to_string(i));
    }
  }
  return Status::Ok();
}

}  // namespace ftl::schema
