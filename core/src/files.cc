// Safe small-file writes (see natss3/files.h).
#include "natss3/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "natss3/names.h"

namespace natss3 {
namespace {

Status Failed(const std::string& what, const std::string& path) {
  return Internal("cannot " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp-" + NewNuid();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return Failed("create", tmp);
  // The mode is set at creation, but the umask may have narrowed it: make it exact.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  Status failure = ok ? Status::OK() : Failed("write", tmp);
  ::close(fd);
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    failure = Failed("rename to", path);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return failure;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

Status MakeDirectory(const std::string& dir, mode_t mode) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::OK();
    return Internal(dir + " exists and is not a directory");
  }
  std::string parent = std::filesystem::path(dir).parent_path().string();
  if (!parent.empty() && parent != dir) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Internal("cannot create " + parent + ": " + ec.message());
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return Failed("create", dir);
  if (::chmod(dir.c_str(), mode) != 0) return Failed("set the mode of", dir);
  return Status::OK();
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound(path + " does not exist");
    return Failed("open", path);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Failed("read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return InvalidArgument(path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace natss3
