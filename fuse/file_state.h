// FileState: the data of one file while it is open for writing (shared by its handles).
//
// Modes:
//  - kClean: nothing pending; reads go to the object store (or the clean staging file).
//  - kStreaming: a new version written sequentially from offset 0 streams straight into an
//    ObjectWriter (memory: the writer's window). While the cache budget allows, the bytes are
//    also teed into an unlinked staging file, so a later seek/overwrite can switch to kStaged.
//  - kStaged: the whole content lives in an unlinked staging file in the cache directory and is
//    uploaded by Commit (close, fsync, flush). The old version stays visible until then.
// A crash before Commit leaves the old version (or nothing): the object store only shows a
// version once its meta is published by ObjectWriter::Commit.
//
// Lock order: io_mu_ before mu_. io_mu_ serializes the data transfer of this one file (the
// ObjectWriter is single-threaded) and is held across its NATS calls and disk I/O; mu_ guards
// the small fields getattr needs and is never held across I/O, so stat never waits for NATS.
// Neither is held while the caller replies to FUSE.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
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

class FileState {
 public:
  enum class Mode { kClean, kStreaming, kStaged };

  FileState(ObjectStore* store, std::string bucket, std::string key, const FsOptions* options,
            CacheBudget* budget);
  ~FileState();  // aborts an uncommitted writer, drops the staging file
  FileState(const FileState&) = delete;
  FileState& operator=(const FileState&) = delete;

  // State of an existing object (or none) at first open.
  void InitExisting(bool exists, uint64_t size, Headers headers);
  // Starts a new, empty version (create, O_TRUNC). Errors as errno (EROFS for a sealed bucket).
  int BeginFresh();
  int Write(uint64_t offset, const char* data, size_t n);
  int Truncate(uint64_t size);
  // Reads pending or staged content. *served false: the caller must read the object store.
  int Read(uint64_t offset, char* buf, size_t n, size_t* got, bool* served);
  // Publishes pending content as the new object version; no-op when clean. On success fills
  // *committed (when given) with the new version.
  int Commit(std::optional<ObjectInfo>* committed);
  // The name was unlinked: drop pending data, never commit.
  void Discard();

  // Attribute changes while open: applied to the next commit (or to the store by the caller).
  void ApplyAttrs(const SetAttrIn& in);
  void Rename(std::string key);
  // Headers to use for a metadata-only update of the committed object.
  Headers headers() const;
  uint64_t size() const;
  bool exists() const;
  bool pending() const;  // uncommitted data (streaming, or a dirty staging file)
  std::string key() const;

 private:
  int StageFromStore();            // io_mu_ held: downloads the object into a staging file
  int OpenStagingFile();           // io_mu_ held
  int UploadStaged(std::optional<ObjectInfo>* committed);  // io_mu_ held
  void DropStagingFile();          // io_mu_ held
  bool GrowReservation(uint64_t size);  // io_mu_ held
  ObjectMeta CommitMeta() const;   // mu_ not held

  ObjectStore* store_;
  const std::string bucket_;
  const FsOptions* options_;
  CacheBudget* budget_;

  std::mutex io_mu_;
  Mode mode_ = Mode::kClean;
  std::unique_ptr<ObjectWriter> writer_;
  int staging_fd_ = -1;
  uint64_t reserved_ = 0;
  bool dirty_ = false;         // staging file differs from the committed object
  bool writer_failed_ = false;

  mutable std::mutex mu_;
  std::string key_;
  uint64_t size_ = 0;
  bool exists_ = false;
  bool pending_ = false;
  bool discarded_ = false;
  bool headers_changed_ = false;  // attrs changed after the writer captured its meta
  Headers headers_;
  std::optional<timespec> explicit_mtime_;
};

}  // namespace natss3::fs
