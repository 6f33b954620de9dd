// Streaming copies between file descriptors and the object store, with a bounded buffer.
// Memory budget: one kSliceSize buffer per transfer plus the core writer/reader windows
// (ObjectWriter: 32 chunks in flight; ObjectReader: 8 chunks), never the whole object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "natss3/object_store.h"
#include "natss3/status.h"

namespace natss3::cli {

class ProgressBar;

inline constexpr size_t kSliceSize = 1024 * 1024;

// Reads `fd` to EOF into `writer` in kSliceSize slices; stops with kCancelled on SIGINT.
// Does not commit. On error the caller aborts the writer.
Status CopyFdToWriter(int fd, ObjectWriter& writer, ProgressBar* progress);

// Reads `reader` to its end into `fd`; returns the bytes written. kCancelled on SIGINT.
Result<uint64_t> CopyReaderToFd(ObjectReader& reader, int fd, ProgressBar* progress);

// The same two copies reporting each slice's byte count to `on_bytes` (may be empty).
using ByteCallback = std::function<void(uint64_t)>;
Status CopyFdToWriter(int fd, ObjectWriter& writer, const ByteCallback& on_bytes);
Result<uint64_t> CopyReaderToFd(ObjectReader& reader, int fd, const ByteCallback& on_bytes);

// A file written under a temporary name next to `path` and renamed over it by Commit(); the
// destructor removes it unless committed, so a failed get never leaves a partial file and never
// destroys the file it was going to replace. The replacement keeps the old file's mode and
// owner; a symbolic link's target is replaced, not the link. Written in place instead: special
// files (/dev/null, FIFOs), files with several hard links, and files whose directory refuses a
// temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path) : path_(std::move(path)) {}
  ~AtomicFile();
  Status Open();
  int fd() const { return fd_; }
  Status Commit();

 private:
  Status OpenInPlace(int flags);

  std::string path_, temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  bool in_place_ = false;
};

// "open <path>: <strerror(errno)>"-style error from the current errno.
Status ErrnoStatus(const std::string& what);

// Absolute, cleaned form of `path` (relative paths resolve against the working directory).
std::string AbsolutePath(const std::string& path);

}  // namespace natss3::cli
