// FileEnv: what every mode of one open file shares (the store, the mount's options, the cache
// budget, the stop flag, and how a content change reaches the file's attributes).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "fs_types.h"
#include "natss3/object_store.h"

namespace natss3::fs {

// Bytes of staging files in use, against the cache size limit. Thread-safe.
class CacheBudget {
 public:
  explicit CacheBudget(uint64_t limit) : limit_(limit) {}
  bool Reserve(uint64_t bytes);
  void Release(uint64_t bytes);
  uint64_t used() const { return used_.load(); }

 private:
  const uint64_t limit_;
  std::atomic<uint64_t> used_{0};
};

// Put options of this mount: its chunk size.
PutOptions PutOptionsFor(const FsOptions& options);

// Owned by the FileState; its modes borrow it (they never outlive it). Immutable once built.
struct FileEnv {
  ObjectStore* store = nullptr;
  std::string bucket;
  const FsOptions* options = nullptr;
  CacheBudget* budget = nullptr;
  const std::atomic<bool>* stopping = nullptr;  // set: every upload gives up (EIO)
  // The content changed and is now `size` bytes: the file becomes pending and its explicit
  // mtime is dropped. Called by a mode on the thread that holds FileState::io_mu_ (never by
  // the AppendPipe's worker); takes FileState::mu_.
  std::function<void(uint64_t size)> changed;

  bool Stopping() const { return stopping != nullptr && stopping->load(); }
};

}  // namespace natss3::fs
