#include "engine/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cctype>
#include <filesystem>

#include "ledger/sha256.h"
#include "schema/parse.h"

namespace ftl::engine {

namespace fs = std::filesystem;

namespace {

// A file name for an origin: its safe characters, then 8 hex digits of its SHA-256 (so two
// origins never share a file, whatever they hold).
std::string slug(const std::string& origin) {
  std::string out;
  for (char c : origin.substr(0, 64)) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return out + "-" + to_hex(Sha256::of(origin)).substr(0, 8);
}

Status io(const std::string& what, const std::string& file) {
  return Status::IOError("cannot " + what + " " + file + ": " + std::strerror(errno));
}

// Reads a state file: NotFound only when it does not exist.
Result<std::optional<std::string>> read_state(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return io("read", file);
  }
  auto bytes = schema::read_file(file, 1 << 20, "witness state file");
  if (!bytes.ok()) return bytes.status();
  return std::optional<std::string>{std::move(*bytes)};
}

class DirLock {
 public:
  static Result<DirLock> take(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Status::IOError("cannot make the witness state directory " + dir + ": " + ec.message());
    const auto file = dir + "/.lock";
    // O_NOFOLLOW: a link planted in the state directory does not make the witness create files elsewhere.
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
    if (fd < 0 && errno == ELOOP)
      return Status::IOError("the witness lock " + file + " is a symbolic link; it must be a plain file in the state directory").tagged("witness.state");
    if (fd < 0) return io("open", file);
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return io("lock", file);
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

Status inconsistent(const std::string& why) {
  return Status::Corruption(why + ": the log shows another history than the one this witness saw; nothing was cosigned")
      .tagged("witness.inconsistent");
}

}  // namespace

Result<Cosigned> cosign(const CosignRequest& r) {
  if (r.witness_key.type != kCosignerKey)
    return Status::InvalidArgument("the witness key of " + r.witness_key.name + " is a note key; a witness cosigns with a cosigner key (type 0x04)",
                                   "make one with ftl key generate --cosigner")
        .tagged("key.type");
  auto opened = open_checkpoint(r.checkpoint, r.log_key);
  if (!opened.ok()) return opened.status();
  const auto& c = *opened;
  auto lock = DirLock::take(r.state_dir);
  if (!lock.ok()) return lock.status();
  const auto base = r.state_dir + "/" + slug(c.origin);
  auto known_key = read_state(base + ".log-key");
  if (!known_key.ok()) return known_key.status();
  const auto key_text = verifier_text(r.log_key);
  if (*known_key && **known_key != key_text + "\n") {
    const auto kept = (*known_key)->substr(0, (*known_key)->find('\n'));
    if (!parse_verifier(kept).ok())
      return Status::Corruption("the witness state file " + base + ".log-key holds no verifier key; the state directory was damaged")
          .tagged("witness.state");
    return Status::InvalidArgument("the log " + c.origin + " was witnessed with another key (" + kept + "), not " + key_text,
                                   "a log that changes its key must say so out of band; this witness does not follow it")
        .tagged("witness.key");
  }
  auto last_note = read_state(base + ".checkpoint");
  if (!last_note.ok()) return last_note.status();

  Cosigned out;
  out.checkpoint = c;
  if (*last_note) {
    auto last = open_checkpoint(**last_note, r.log_key);
    if (!last.ok()) return Status::Corruption("the witness's own state " + base + ".checkpoint does not verify: " + last.status().message());
    out.previous_size = last->size;
    if (c.size < last->size)
      return inconsistent("the checkpoint's tree of " + std::to_string(c.size) + " events of " + c.origin + " is smaller than the tree of " +
                          std::to_string(last->size) + " events this witness cosigned before");
    if (c.size == last->size && c.root != last->root)
      return inconsistent("the checkpoint's tree of " + std::to_string(c.size) + " events of " + c.origin + " has root " + to_hex(c.root) +
                          ", but the tree of that size this witness cosigned has root " + to_hex(last->root));
    if (c.size > last->size) {
      if (!r.proof)
        return Status::InvalidArgument("a consistency proof from the tree of " + std::to_string(last->size) + " events this witness cosigned last is needed",
                                       "make one with ftl proof consistency, from the witness's last checkpoint to this one")
            .tagged("witness.proof");
      auto proven = verify_consistency_file(*r.proof, r.log_key);
      if (!proven.ok()) {
        if (proven.status().code() == Code::kCorruption) return inconsistent("the consistency proof fails: " + proven.status().message());
        return proven.status();
      }
      if (proven->first.size == last->size && proven->first.root != last->root)
        return inconsistent("the consistency proof starts from a tree of " + std::to_string(last->size) + " events of " + c.origin +
                            " signed by its key with root " + to_hex(proven->first.root) + ", but the tree of that size this witness cosigned has root " +
                            to_hex(last->root));
      if (proven->first.size != last->size)
        return Status::InvalidArgument("the consistency proof starts from a tree of " + std::to_string(proven->first.size) +
                                       " events, not from the tree of " + std::to_string(last->size) + " events this witness cosigned last")
            .tagged("witness.proof");
      if (proven->second.size != c.size || proven->second.root != c.root)
        return Status::InvalidArgument("the consistency proof ends at a tree of " + std::to_string(proven->second.size) + " events with root " +
                                       to_hex(proven->second.root).substr(0, 16) + "..., not at the checkpoint given (" + std::to_string(c.size) +
                                       " events, root " + to_hex(c.root).substr(0, 16) + "...)")
            .tagged("witness.proof");
    }
  }
  out.cosigned_at = r.now_seconds != 0
                        ? r.now_seconds
                        : static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  auto text = split_note(r.checkpoint);
  if (!text.ok()) return text.status();
  // The log's signature lines and any other witness's, without an earlier line of this witness.
  std::string note = text->text + "\n";
  const auto mine = "\xE2\x80\x94 " + r.witness_key.name + " ";
  for (const auto& line : text->lines)
    if (!line.starts_with(mine)) note += line + "\n";
  auto line = cosignature_line(text->text, r.witness_key, out.cosigned_at);
  if (!line.ok()) return line.status();
  note += *line + "\n";
  out.note = std::move(note);
  if (!*known_key)
    if (auto st = schema::replace_file(base + ".log-key", key_text + "\n", "witness state file"); !st.ok()) return st;
  if (auto st = schema::replace_file(base + ".checkpoint", out.note, "witness state file"); !st.ok()) return st;
  return out;
}

Result<std::string> witnessed(const std::string& state_dir, const std::string& origin) {
  auto note = read_state(state_dir + "/" + slug(origin) + ".checkpoint");
  if (!note.ok()) return note.status();
  if (!*note) return Status::NotFound("this witness has cosigned no checkpoint of " + origin).tagged("witness.none");
  return **note;
}

}  // namespace ftl::engine
