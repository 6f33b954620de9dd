// Plain value types shared by the natss3fs filesystem layer and its FUSE adapter (no FUSE types).
#pragma once

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <optional>
#include <string>

namespace natss3::fs {

inline constexpr uint64_t kRootIno = 1;
inline constexpr size_t kNameMax = 255;  // longest path component (NAME_MAX)

// What stat(2) shows. ino is the FUSE inode number (never reused while the mount lives).
struct Attr {
  uint64_t ino = 0;
  uint32_t mode = 0;  // type bits + permissions
  uint64_t size = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t nlink = 1;
  timespec mtime{};
  timespec ctime{};
};

// Fields of a setattr call; an unset optional is left unchanged.
struct SetAttrIn {
  std::optional<uint64_t> size;
  std::optional<uint32_t> mode;  // permission bits (type bits ignored)
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  std::optional<timespec> mtime;  // already resolved (UTIME_NOW -> now) by the adapter
};

// Who asked (the FUSE request's context). Defaults to root, the kernel-free callers' identity.
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct OpenOut {
  uint64_t fh = 0;
  bool keep_cache = false;  // the object did not change since the kernel last cached it
};

struct DirEntryOut {
  std::string name;
  Attr attr;
  off_t next_offset = 0;  // offset to pass to continue after this entry
};

struct StatFsOut {
  uint64_t block_size = 4096;
  uint64_t blocks = 0;
  uint64_t blocks_free = 0;
  uint64_t files = 0;
  uint64_t files_free = 0;
  uint64_t name_max = kNameMax;
};

// How the filesystem is presented; parsed from the command line by options.h.
struct FsOptions {
  std::string bucket;       // empty: every bucket is a directory under the root
  bool read_only = false;   // every modifying call fails with EROFS
  // -o md5: record each file's MD5 (an MD5 ETag for S3 clients) at ~1.7 CPU-s/GiB more;
  // without it S3 shows the digest-derived "-1" ETag.
  bool md5 = false;
  uint32_t uid = 0;         // owner shown (when trusted: when an object has no X-Amz-Meta-Uid)
  uint32_t gid = 0;
  uint32_t umask = 0022;    // applied to the default modes (0777 dirs, 0666 files)
  // Whether X-Amz-Meta-Uid/Gid and the setuid, setgid and sticky bits of X-Amz-Meta-Mode are
  // shown (-o trust_metadata_owner). Any S3 or NATS writer sets those headers, so by default
  // files belong to uid/gid above and never carry those bits, and the mount never writes them.
  bool trust_metadata_owner = false;
  std::string cache_dir;    // staging files; empty: $TMPDIR/natss3fs-<pid>
  uint64_t cache_limit = 1ull << 30;  // bytes of staging files at once (ENOSPC beyond)
  double attr_timeout = 1.0;          // kernel attr/entry cache seconds
  uint64_t read_idle_timeout_ms = 10000;  // a read with no progress for this long fails EIO
  // Chunk fetches in flight per sequential reader: read_window_max while few files are read,
  // shrinking towards read_window as more streams share kReadBudgetChunks (filesystem.h).
  int read_window = 8;
  int read_window_max = 32;
  // Chunk size of the objects this mount writes (0: the core's default, 128 KiB, as nats.go).
  // Bigger chunks cost the server less per byte; reads fetch whole chunks.
  uint32_t chunk_size = 0;
  // Largest file this mount writes (EFBIG beyond, before anything is uploaded). 0: the
  // bucket's max_bytes when it has one, else kDefaultMaxFileSize (filesystem.h).
  uint64_t max_file_size = 0;
};

}  // namespace natss3::fs
