#include "ledger/head_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ledger/format.h"

namespace ftl {

Result<std::optional<Digest>> HeadFile::read(const std::string& dir) {
  const std::string path = dir + "/" + format::kHeadFileName;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Digest>{};
    return Status::Unavailable("cannot read the head file " + path + ": " + std::strerror(errno)).tagged("ledger.head_damaged");
  }
  char buf[format::kHeadFileBytes + 1];
  const auto n = ::pread(fd, buf, sizeof buf, 0);
  ::close(fd);
  Digest d;
  if (n != static_cast<ssize_t>(format::kHeadFileBytes) || !format::parse_head_file({buf, format::kHeadFileBytes}, &d))
    return Status::Unavailable("the head file " + path + " is damaged: it is not the " + std::to_string(format::kHeadFileBytes) +
                               " bytes FORMAT.md defines, so the ledger cannot tell whether it lost events; it was left untouched",
                               "a recovery accepts that and writes it again; or restore a backup")
        .tagged("ledger.head_damaged");
  return std::optional<Digest>{d};
}

Result<HeadFile> HeadFile::open(const std::string& dir, const Digest& initial) {
  const std::string path = dir + "/" + format::kHeadFileName;
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    const std::string aside = path + ".new";
    const int tmp = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (tmp < 0) return Status::IOError("cannot create " + aside + ": " + std::strerror(errno));
    const auto bytes = format::head_file_bytes(initial);
    const bool written = ::pwrite(tmp, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()) && ::fdatasync(tmp) == 0;
    const int err = errno;
    ::close(tmp);
    if (!written || ::rename(aside.c_str(), path.c_str()) != 0) {
      const int why = written ? errno : err;
      ::unlink(aside.c_str());
      return Status::IOError("cannot create " + path + ": " + std::strerror(why));
    }
    if (const int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
      ::fsync(d);
      ::close(d);
    }
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  return HeadFile(fd);
}

HeadFile::~HeadFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status HeadFile::write(const Digest& d) {
  const auto bytes = format::head_file_bytes(d);
  if (::pwrite(fd_, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    return Status::IOError(std::string("cannot write the head file: ") + std::strerror(errno));
  return Status::Ok();
}

Status HeadFile::sync() {
  if (::fdatasync(fd_) != 0) return Status::IOError(std::string("cannot sync the head file: ") + std::strerror(errno));
  return Status::Ok();
}

}  // namespace ftl
