// Streaming copies and atomic output files for put/get.
#include "transfer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "app.h"
#include "format.h"
#include "terminal.h"

namespace natss3::cli {

Status ErrnoStatus(const std::string& what) {
  int error = errno;
  Code code = error == ENOENT ? Code::kNotFound
              : (error == EACCES || error == EPERM) ? Code::kPermissionDenied
                                                    : Code::kInternal;
  return Status(code, what + ": " + std::strerror(error));
}

std::string AbsolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return CleanPath(path);
  char cwd[4096];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return CleanPath(path);
  return CleanPath(std::string(cwd) + "/" + path);
}

Status CopyFdToWriter(int fd, ObjectWriter& writer, ProgressBar* progress) {
  return CopyFdToWriter(fd, writer, [progress](uint64_t n) {
    if (progress != nullptr) progress->Add(n);
  });
}

Result<uint64_t> CopyReaderToFd(ObjectReader& reader, int fd, ProgressBar* progress) {
  return CopyReaderToFd(reader, fd, [progress](uint64_t n) {
    if (progress != nullptr) progress->Add(n);
  });
}

Status CopyFdToWriter(int fd, ObjectWriter& writer, const ByteCallback& on_bytes) {
  auto buffer = std::make_unique<char[]>(kSliceSize);
  while (true) {
    if (Interrupted()) return Cancelled("interrupted");
    // Fill the slice fully when possible (pipes deliver small pieces).
    size_t filled = 0;
    bool eof = false;
    while (filled < kSliceSize) {
      ssize_t n = ::read(fd, buffer.get() + filled, kSliceSize - filled);
      if (n < 0 && errno == EINTR) {
        if (Interrupted()) return Cancelled("interrupted");
        continue;
      }
      if (n < 0) return ErrnoStatus("read input");
      if (n == 0) {
        eof = true;
        break;
      }
      filled += static_cast<size_t>(n);
    }
    if (filled > 0) {
      NATSS3_RETURN_IF_ERROR(writer.Write(std::string_view(buffer.get(), filled)));
      if (on_bytes) on_bytes(filled);
    }
    if (eof) return Status::OK();
  }
}

Result<uint64_t> CopyReaderToFd(ObjectReader& reader, int fd, const ByteCallback& on_bytes) {
  auto buffer = std::make_unique<char[]>(kSliceSize);
  uint64_t total = 0;
  while (true) {
    if (Interrupted()) return Cancelled("interrupted");
    NATSS3_ASSIGN_OR_RETURN(size_t n, reader.Read(buffer.get(), kSliceSize));
    if (n == 0) return total;
    size_t written = 0;
    while (written < n) {
      ssize_t w = ::write(fd, buffer.get() + written, n - written);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoStatus("write output");
      written += static_cast<size_t>(w);
    }
    total += n;
    if (on_bytes) on_bytes(n);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !in_place_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

// Where a symbolic link at `path` points (resolved against the link's directory, whether or not
// the target exists); `path` itself when it is not a link.
std::string FollowLink(const std::string& path) {
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) != 0 || !S_ISLNK(lst.st_mode)) return path;
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (real) return real.get();
  std::string target(4096, '\0');
  ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n <= 0) return path;
  target.resize(static_cast<size_t>(n));
  if (target[0] == '/') return target;
  auto slash = path.rfind('/');
  return slash == std::string::npos ? target : path.substr(0, slash + 1) + target;
}

Status AtomicFile::OpenInPlace(int flags) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC | flags);
  if (fd_ < 0) return ErrnoStatus("open " + path_);
  in_place_ = true;
  return Status::OK();
}

Status AtomicFile::Open() {
  struct stat st {};
  bool exists = ::stat(path_.c_str(), &st) == 0;
  // A device, FIFO or socket (/dev/null, a named pipe): written in place. Renaming a temporary
  // file over it would replace the special file with a regular one.
  if (exists && !S_ISREG(st.st_mode)) return OpenInPlace(0);
  // A file with other hard links is rewritten in place too, so every name sees the new data.
  if (exists && st.st_nlink > 1) return OpenInPlace(O_TRUNC);
  // A symbolic link keeps pointing where it did; the file it names is replaced.
  path_ = FollowLink(path_);
  std::string buffer = path_ + ".natss3ctl-XXXXXX";
  fd_ = ::mkstemp(buffer.data());
  if (fd_ < 0) {
    // E.g. a writable file in a directory we may not create in, or a name near NAME_MAX: write
    // in place as `nats obj get` always does.
    if (exists && (errno == EACCES || errno == EPERM || errno == ENAMETOOLONG || errno == EROFS))
      return OpenInPlace(O_TRUNC);
    return ErrnoStatus("create " + path_);
  }
  temp_path_ = buffer;
  if (exists) {
    // The replacement keeps the replaced file's permissions and, where allowed, its owner.
    [[maybe_unused]] int owner_kept = ::fchown(fd_, st.st_uid, st.st_gid);  // EPERM: stays ours
    ::fchmod(fd_, st.st_mode & 07777);
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd_, 0666 & ~mask);
  }
  return Status::OK();
}

Status AtomicFile::Commit() {
  if (::close(fd_) != 0) {
    fd_ = -1;
    return ErrnoStatus("write " + path_);
  }
  fd_ = -1;
  if (!in_place_ && ::rename(temp_path_.c_str(), path_.c_str()) != 0) return ErrnoStatus("rename to " + path_);
  committed_ = true;
  return Status::OK();
}

}  // namespace natss3::cli
