#include "ledger/snapshot_key.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ftl {
namespace {

Status bad_key(const std::string& file, const std::string& why, const std::string& hint) {
  return Status::Unavailable("the snapshot key file " + file + " " + why, hint).tagged("ledger.snapshot_key");
}

}  // namespace

Result<std::optional<Hash>> read_snapshot_key(const std::string& file) {
  // O_NONBLOCK: a FIFO without a writer does not hold the open; it is refused below.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Hash>{};
    return bad_key(file, std::string("cannot be read: ") + std::strerror(errno), "");
  }
  struct stat st {};
  char buf[130];
  ssize_t n = -1;
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (regular) n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  if (!regular) return bad_key(file, "is not a regular file", "name a file of 64 hex digits, or remove it to have one made");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return bad_key(file, std::string("can be read by others (mode ") + mode + "), so it keeps no secret", "chmod 600 " + file);
  }
  std::string text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  auto key = hash_from_hex(text);
  if (!key) return bad_key(file, "does not hold a key (64 hex digits)", "move it away: a new key is made, and snapshots are refolded as they are needed");
  return std::optional<Hash>{*key};
}

Result<Hash> make_snapshot_key(const std::string& file) {
  auto existing = read_snapshot_key(file);
  if (!existing.ok()) return existing.status();
  if (*existing) return **existing;
  Hash key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return Status::IOError("no random bytes for a snapshot key");
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto parent = fs::path(file).parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) return Status::IOError("cannot create " + parent.string() + " for the snapshot key: " + ec.message());
    fs::permissions(parent, fs::perms::owner_all, ec);
  }
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {  // another writer made it first
      auto made = read_snapshot_key(file);
      if (!made.ok()) return made.status();
      if (*made) return **made;
    }
    return Status::IOError("cannot create the snapshot key file " + file + ": " + std::strerror(errno));
  }
  const auto text = to_hex(key) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::IOError("cannot write the snapshot key file " + file);
  return key;
}

}  // namespace ftl
