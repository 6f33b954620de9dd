// StagingFile: local staging files, their cache reservation, and keeping an unpublished one
// when natss3fs stops (see staging_file.h).
#include "staging_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "posix_io.h"

namespace natss3::fs {
namespace {

// To stderr (foreground mounts, tests) and syslog: a daemonized mount's stderr is /dev/null,
// and this line is the only record of where unpublished data went.
__attribute__((format(printf, 1, 2))) void Warn(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  fprintf(stderr, "natss3fs: ");
  vfprintf(stderr, format, args);
  fprintf(stderr, "\n");
  fflush(stderr);
  vsyslog(LOG_WARNING, format, copy);
  va_end(copy);
  va_end(args);
}

// Copies the whole of `from` into the new file `path` (holes are written as zeros: this is the
// fallback when the staging file cannot be linked, and it is bounded by the cache size).
int CopyToNewFile(int from, const std::string& path) {
  struct stat st {};
  if (fstat(from, &st) != 0) return errno;
  int to = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (to < 0) return errno;
  std::vector<char> buf(1 << 20);
  int err = 0;
  for (uint64_t offset = 0; err == 0 && offset < static_cast<uint64_t>(st.st_size);) {
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(buf.size(), static_cast<uint64_t>(st.st_size) - offset));
    err = PreadAll(from, buf.data(), n, offset);
    if (err == 0) err = PwriteAll(to, buf.data(), n, offset);
    offset += n;
  }
  if (close(to) != 0 && err == 0) err = errno;
  if (err != 0) unlink(path.c_str());
  return err;
}

}  // namespace

StagingFile::StagingFile(StagingFile&& other) noexcept
    : env_(other.env_),
      fd_(std::exchange(other.fd_, -1)),
      reserved_(std::exchange(other.reserved_, 0)) {}

StagingFile& StagingFile::operator=(StagingFile&& other) noexcept {
  if (this != &other) {
    Close();
    env_ = other.env_;
    fd_ = std::exchange(other.fd_, -1);
    reserved_ = std::exchange(other.reserved_, 0);
  }
  return *this;
}

int StagingFile::Open() {
  if (fd_ >= 0) return 0;
  // Anonymous, so a crash leaves nothing behind; O_TMPFILE (not an unlinked mkstemp file) so
  // that KeepUnpublished can still give it a name with linkat.
  const std::string& dir = env_->options->cache_dir;
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string path = dir + "/stage-XXXXXX";
    fd = mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) return errno;
    unlink(path.c_str());
  }
  fd_ = fd;
  return 0;
}

bool StagingFile::Reserve(uint64_t total) {
  if (total <= reserved_) return true;
  if (!env_->budget->Reserve(total - reserved_)) return false;
  reserved_ = total;
  return true;
}

void StagingFile::ReleaseBeyond(uint64_t total) {
  if (reserved_ <= total) return;
  env_->budget->Release(reserved_ - total);
  reserved_ = total;
}

int StagingFile::Truncate(uint64_t size) {
  return ftruncate(fd_, static_cast<off_t>(size)) == 0 ? 0 : errno;
}

void StagingFile::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  ReleaseBeyond(0);
}

void StagingFile::KeepUnpublished(const std::string& key, uint64_t staged, bool in_order) const {
  const char* bucket = env_->bucket.c_str();
  if (fd_ < 0 || staged == 0) {
    Warn(
        "%s/%s was still open when natss3fs stopped: not published (the previous version, "
        "if any, stays); nothing of it was staged locally",
        bucket, key.c_str());
    return;
  }
  static std::atomic<int> counter{0};
  const std::string path = env_->options->cache_dir + "/unpublished-" +
                           std::to_string(time(nullptr)) + "-" + std::to_string(getpid()) + "-" +
                           std::to_string(++counter);
  const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
  int err = 0;
  if (linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    err = CopyToNewFile(fd_, path);
  }
  if (err != 0) {
    Warn(
        "%s/%s was still open when natss3fs stopped: not published (the previous version, "
        "if any, stays); its %llu staged bytes could not be kept in %s: %s",
        bucket, key.c_str(), static_cast<unsigned long long>(staged), path.c_str(), strerror(err));
    return;
  }
  Warn(
      "%s/%s was still open when natss3fs stopped: not published (the previous version, if "
      "any, stays); its %llu staged bytes are kept in %s (%s)",
      bucket, key.c_str(), static_cast<unsigned long long>(staged), path.c_str(),
      in_order ? "the file's first bytes, in order"
               : "at their offsets; parts that were not staged read as zeros there");
}

}  // namespace natss3::fs
