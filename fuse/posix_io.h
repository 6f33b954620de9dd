// Whole-buffer pread/pwrite on staging files (retrying short transfers and EINTR).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace natss3::fs {

// 0 or errno.
inline int PwriteAll(int fd, const char* data, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t done = pwrite(fd, data, n, static_cast<off_t>(offset));
    if (done < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += done;
    n -= static_cast<size_t>(done);
    offset += static_cast<uint64_t>(done);
  }
  return 0;
}

// 0 or errno; EIO when the file ends before n bytes.
inline int PreadAll(int fd, char* buf, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t done = pread(fd, buf, n, static_cast<off_t>(offset));
    if (done < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (done == 0) return EIO;
    buf += done;
    n -= static_cast<size_t>(done);
    offset += static_cast<uint64_t>(done);
  }
  return 0;
}

}  // namespace natss3::fs
