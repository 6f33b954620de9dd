// Private structures shared by the filesystem*.cc files (not part of the library's interface).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "filesystem.h"

namespace natss3::fs {

struct DirItem {
  std::string name;
  bool is_dir = false;
  uint64_t size = 0;
  Headers headers;
  TimePoint mtime{};
};

struct Filesystem::DirHandle {
  InodeInfo dir;
  std::vector<DirItem> items;  // sorted snapshot taken at opendir
};

// One open(2). Readers: a sequential reader streams through `stream` (the core pipelines
// chunk fetches ahead of it); other reads use positional reads on pooled readers. mu guards
// the stream/pool bookkeeping only; readers are taken out of the handle while used.
struct Filesystem::Handle {
  uint64_t ino = 0;
  std::string bucket;
  int flags = 0;
  bool writable = false;
  std::shared_ptr<FileState> state;

  std::mutex mu;
  std::unique_ptr<ObjectReader> stream;
  uint64_t stream_pos = 0;
  bool stream_busy = false;
  std::vector<std::unique_ptr<ObjectReader>> pool;
  uint64_t next_offset = 0;  // where a sequential reader reads next
};

inline std::string JoinPath(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

}  // namespace natss3::fs
