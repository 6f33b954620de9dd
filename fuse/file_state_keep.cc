// FileState when its name goes away or natss3fs stops: unlinked files stay readable through
// their handles, unclosed files are never published, and their staged bytes are kept on disk.
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "file_state.h"
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
  struct stat st{};
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

int FileState::OpenStagingFile() {
  if (staging_fd_ >= 0) return 0;
  // Anonymous, so a crash leaves nothing behind; O_TMPFILE (not an unlinked mkstemp file) so
  // that Abandon can still give it a name with linkat.
  int fd = open(options_->cache_dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::string path = options_->cache_dir + "/stage-XXXXXX";
    fd = mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) return errno;
    unlink(path.c_str());
  }
  staging_fd_ = fd;
  return 0;
}

void FileState::Discard() {
  std::lock_guard io(io_mu_);
  {
    std::lock_guard lock(mu_);
    discarded_ = true;
    exists_ = false;
  }
  // POSIX keeps an unlinked file's data until its last close: the put is dropped, the bytes
  // written so far stay readable from the tee and the spill (now a staged file).
  if (mode_ == Mode::kStreaming) {
    DrainPipe();
    if (StageStreamed() != 0) {
      // Not all of it is left (the cache was full and the spill failed): back to the last
      // committed version, as if the unpublished writes never happened.
      StopPipe();
      if (writer_) writer_->Abort();
      writer_.reset();
      DropSpill();
      DropBase();
      DropStagingFile();
      mode_ = Mode::kClean;
      dirty_ = false;
      std::lock_guard lock(mu_);
      size_ = version_ ? version_->size : 0;
    }
  }
}

void FileState::Abandon() {
  std::lock_guard io(io_mu_);
  std::string key;
  {
    std::lock_guard lock(mu_);
    if (discarded_ || !pending_) return;
    discarded_ = true;
    key = key_;
  }
  StopPipe();  // the pipe's sink sees the stop flag and uploads nothing more
  if (writer_) writer_->Abort();
  writer_.reset();
  DropSpill();
  DropBase();
  KeepStagingFile(key);
  DropStagingFile();
  mode_ = Mode::kClean;
  dirty_ = false;
}

void FileState::KeepStagingFile(const std::string& key) {
  const bool streaming = mode_ == Mode::kStreaming;
  const uint64_t staged = streaming ? tee_end_ : local_.covered();
  if (staging_fd_ < 0 || staged == 0) {
    Warn("%s/%s was still open when natss3fs stopped: not published (the previous version, "
         "if any, stays); nothing of it was staged locally",
         bucket_.c_str(), key.c_str());
    return;
  }
  static std::atomic<int> counter{0};
  const std::string path = options_->cache_dir + "/unpublished-" +
                           std::to_string(time(nullptr)) + "-" + std::to_string(getpid()) +
                           "-" + std::to_string(++counter);
  const std::string proc = "/proc/self/fd/" + std::to_string(staging_fd_);
  int err = 0;
  if (linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    err = CopyToNewFile(staging_fd_, path);
  }
  if (err != 0) {
    Warn("%s/%s was still open when natss3fs stopped: not published (the previous version, "
         "if any, stays); its %llu staged bytes could not be kept in %s: %s",
         bucket_.c_str(), key.c_str(), static_cast<unsigned long long>(staged), path.c_str(),
         strerror(err));
    return;
  }
  Warn("%s/%s was still open when natss3fs stopped: not published (the previous version, if "
       "any, stays); its %llu staged bytes are kept in %s (%s)",
       bucket_.c_str(), key.c_str(), static_cast<unsigned long long>(staged), path.c_str(),
       streaming ? "the file's first bytes, in order"
                 : "at their offsets; parts that were not staged read as zeros there");
}

}  // namespace natss3::fs
