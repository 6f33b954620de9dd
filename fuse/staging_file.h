// StagingFile: one anonymous local file in the cache directory plus the cache budget it holds.
//
// Used by the streaming mode of an open file (the tee of what it streamed) and by its staged
// mode (the locally written bytes). Move-only; destroying it closes the file and returns its
// reservation to the budget, so dropping the mode that owns it is its whole teardown. Not
// thread-safe: the owning FileState's io_mu_ guards it.
#pragma once

#include <cstdint>
#include <string>

#include "file_env.h"

namespace natss3::fs {

class StagingFile {
 public:
  explicit StagingFile(const FileEnv* env) : env_(env) {}
  ~StagingFile() { Close(); }
  StagingFile(StagingFile&& other) noexcept;
  StagingFile& operator=(StagingFile&& other) noexcept;
  StagingFile(const StagingFile&) = delete;
  StagingFile& operator=(const StagingFile&) = delete;

  // Creates the file if it is not open yet (O_TMPFILE, else an unlinked mkostemp file).
  // 0 or errno.
  int Open();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Holds at least `total` bytes of the budget; false (nothing changed) when it is full.
  bool Reserve(uint64_t total);
  // Returns the reservation beyond `total` bytes to the budget.
  void ReleaseBeyond(uint64_t total);
  // ftruncate; 0 or errno.
  int Truncate(uint64_t size);
  // Closes the file and returns its whole reservation.
  void Close();

  // natss3fs stops with the file it stages unpublished: gives the file a name in the cache
  // directory (unpublished-<time>-<pid>-<n>) and says where on stderr and syslog. `staged`:
  // how many bytes it holds; `in_order`: they are the file's first bytes (a streaming tee),
  // else they are at their offsets.
  void KeepUnpublished(const std::string& key, uint64_t staged, bool in_order) const;

 private:
  const FileEnv* env_;
  int fd_ = -1;
  uint64_t reserved_ = 0;  // bytes of env_->budget this file holds
};

}  // namespace natss3::fs
