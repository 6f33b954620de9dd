// Private structures shared by the filesystem*.cc files (not part of the library's interface).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "filesystem.h"
#include "read_stream.h"

namespace natss3::fs {

// A directory entry with its attributes computed once at opendir (ino filled in by readdir).
struct DirItem {
  std::string name;   // the object-name component (any bytes)
  std::string shown;  // the file name it is shown as (shown_names.h)
  bool is_dir = false;
  Attr attr;
};

struct Filesystem::DirHandle {
  InodeInfo dir;
  std::vector<DirItem> items;  // sorted snapshot taken at opendir
};

// One open(2). Sequential reads go through `stream` (see read_stream.h); other reads are
// positional, on pooled readers. mu guards the pool and next_offset only; readers are taken out
// of the pool while used.
struct Filesystem::Handle {
  uint64_t ino = 0;
  std::string bucket;
  int flags = 0;
  bool writable = false;
  uint64_t max_size = 0;  // writable: no write may end past this (EFBIG)
  std::shared_ptr<FileState> state;
  ReadStream stream;

  std::mutex mu;
  std::vector<std::unique_ptr<ObjectReader>> pool;
  uint64_t next_offset = 0;  // where a sequential reader reads next
};


}  // namespace natss3::fs
