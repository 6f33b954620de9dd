// FileState: the data of one file while it is open for writing (shared by its handles).
//
// Modes:
//  - kClean: nothing pending; reads go to the object store (or the clean staging file).
//  - kStreaming: a new version written sequentially from offset 0 streams straight into an
//    ObjectWriter (memory: the writer's window). The bytes are also teed into an unlinked local
//    staging file while the cache budget allows; beyond it, into a staged blob in NATS (the
//    "spill": invisible to every client, purged at commit). So a later seek back, read or
//    truncate can always switch to kStaged. Writes past the end (holes) are filled with
//    zeros up to kMaxZeroFill and keep streaming.
//  - kStaged: random access. A byte of the file comes from the local staging file when its
//    ExtentMap covers it, else from a base segment (a staged blob or the committed object, read
//    from NATS), else it is zero (a hole). Uploaded by Commit (close, fsync, flush). The old
//    version stays visible until then. Only written bytes count against the cache budget
//    (ENOSPC beyond it); an existing object larger than the budget is not downloaded but
//    read as the base.
// A crash before Commit leaves the old version (or nothing): the object store only shows a
// version once its meta is published by ObjectWriter::Commit; staged blobs have no meta.
// Stopping natss3fs never commits either (Abandon): a file the application did not close is
// not published, and uploads in progress give up when the mount's stop flag is raised.
//
// The committed version reads come from (version()) is held (ObjectStore::HoldVersion) while
// the file is open, and read by its info, never by path: after an unlink or a rename over it
// the open handles keep reading it, and its chunks are purged only after the last close.
// Unpublished data of an unlinked file stays readable through its handles too (Discard).
//
// Writes of a streamed file past its first MiB return once queued in an AppendPipe (4 MiB):
// a put error then surfaces as the staged fallback or at close, not in that write(2).
//
// Lock order: io_mu_ before mu_ (before the AppendPipe's own lock). io_mu_ serializes the data transfer of this one file (the
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
#include <vector>

#include "append_pipe.h"
#include "extent_map.h"
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

class FileState {
 public:
  enum class Mode { kClean, kStreaming, kStaged };

  // `stopping`, when set, makes every upload of this file give up (EIO) from then on.
  FileState(ObjectStore* store, std::string bucket, std::string key, const FsOptions* options,
            CacheBudget* budget, const std::atomic<bool>* stopping);
  ~FileState();  // aborts an uncommitted writer, drops the staging file
  FileState(const FileState&) = delete;
  FileState& operator=(const FileState&) = delete;

  // State at first open: the object's current version (none: it does not exist) and the
  // headers attributes come from (a link's own).
  void InitExisting(std::optional<ObjectInfo> version, Headers headers);
  // Starts a new, empty version (create, O_TRUNC). Errors as errno (EROFS for a sealed bucket).
  int BeginFresh();
  int Write(uint64_t offset, const char* data, size_t n);
  int Truncate(uint64_t size);
  // Reads pending or staged content. *served false: the caller must read the object store.
  int Read(uint64_t offset, char* buf, size_t n, size_t* got, bool* served);
  // Publishes pending content as the new object version; no-op when clean, unlinked, or (EIO)
  // once natss3fs stops. Fills *committed (when given) with the new version once the data is
  // published, also when applying the attributes or a rename to it failed afterwards (the
  // error is returned then).
  int Commit(std::optional<ObjectInfo>* committed);
  // The name was unlinked (or renamed over): never commit. Unpublished bytes stay readable
  // through the open handles until the last close, like the committed version.
  void Discard();
  // natss3fs stops with this file still open: never commit, give up the upload, and keep the
  // locally staged bytes (if any) as a named file in the cache directory, logged on stderr.
  void Abandon();

  // Attribute changes while open: applied to the next commit (or to the store by the caller).
  void ApplyAttrs(const SetAttrIn& in);
  void Rename(std::string key);
  // Headers to use for a metadata-only update of the committed object.
  Headers headers() const;
  uint64_t size() const;
  bool exists() const;
  bool pending() const;  // uncommitted data that will be published (not after Discard)
  std::string key() const;
  // The committed version reads of unchanged content come from (held while this lives).
  std::optional<ObjectInfo> version() const;

 private:
  // Bytes [start, start + length) of the file read from `reader` at reader_offset + (x - start).
  struct BaseSegment {
    uint64_t start = 0;
    uint64_t length = 0;
    uint64_t reader_offset = 0;
    std::unique_ptr<ObjectReader> reader;
    std::optional<StagedBlob> blob;  // purged when the segment is dropped
  };

  // file_state.cc (all io_mu_ held): streaming and commit
  int AppendStreaming(const char* data, size_t n);  // ApplyAppend now, and grows size_
  int ApplyAppend(const char* data, size_t n);       // writer + tee at streamed_ (pipe sink)
  void DrainPipe();  // afterwards the pipe's worker touches nothing until the next Push
  void StopPipe();
  int ZeroFillStreaming(uint64_t to);
  void TeeStreaming(uint64_t offset, const char* data, size_t n);
  int ToStaged();  // from kStreaming or kClean
  int StageStreamed();  // kStreaming -> kStaged from the tee and the spill; EIO when lost
  int StreamFromLocal();  // clean kStaged local copy -> kStreaming (replays it into a put)
  bool Stopping() const { return stopping_ != nullptr && stopping_->load(); }
  bool Discarded() const;  // mu_ not held
  int OpenStagingFile();
  void DropStagingFile();
  void DropSpill();
  bool GrowReservation(uint64_t bytes);
  ObjectMeta CommitMeta() const;  // mu_ not held
  // After a streamed commit: applies attribute changes and a rename made while streaming
  // (the writer's meta was fixed when it started) to the version just committed.
  int UpdateCommitted(ObjectInfo* info);
  // file_state_staged.cc (all io_mu_ held): random access
  int StageFromStore();
  int SpillToBase();
  int StagedWrite(uint64_t offset, const char* data, size_t n);
  int StagedTruncate(uint64_t size);
  // Exactly n bytes of content at offset (< size_): local file, base segments or zeros.
  int ReadContent(uint64_t offset, char* buf, size_t n);
  int ReadBase(uint64_t offset, char* buf, size_t n);
  int UploadStaged(std::optional<ObjectInfo>* committed);
  // Moves a staged blob into a base segment (the blob is purged when it is dropped).
  int AddBlobSegment(uint64_t start, const StagedBlob& blob);
  void DropBase();

  // file_state_keep.cc (io_mu_ held): gives the staging file a name in the cache directory.
  void KeepStagingFile(const std::string& key);

  ObjectStore* store_;
  const std::string bucket_;
  const FsOptions* options_;
  CacheBudget* budget_;
  const std::atomic<bool>* stopping_;

  std::mutex io_mu_;
  Mode mode_ = Mode::kClean;
  std::unique_ptr<ObjectWriter> writer_;
  bool writer_failed_ = false;
  // kStreaming with a pipe: Write() queues appends (and grows size_ at once); the pipe's
  // worker applies them (ApplyAppend) and owns writer_, the tee and the spill until drained.
  std::unique_ptr<AppendPipe> pipe_;
  uint64_t streamed_ = 0;                 // kStreaming: bytes given to writer_ (== size_ drained)
  uint64_t tee_end_ = 0;                  // kStreaming: the local file holds [0, tee_end_)
  std::unique_ptr<StagedWriter> spill_;   // kStreaming: holds [tee_end_, size_) when set
  bool spill_failed_ = false;             // kStreaming: bytes past tee_end_ are lost
  int staging_fd_ = -1;
  uint64_t reserved_ = 0;                 // bytes of budget_ this file holds
  ExtentMap local_;                       // kStaged: bytes held by the local file
  std::vector<BaseSegment> base_;         // kStaged: sorted, disjoint
  bool dirty_ = false;                    // staged content differs from the committed object

  mutable std::mutex mu_;
  std::string key_;
  uint64_t size_ = 0;
  bool exists_ = false;
  bool pending_ = false;
  bool discarded_ = false;        // unlinked or abandoned: never commits
  bool headers_changed_ = false;  // attrs changed after the writer captured its meta
  Headers headers_;
  std::optional<timespec> explicit_mtime_;
  std::optional<ObjectInfo> version_;
  std::shared_ptr<void> hold_;  // HoldVersion token of version_
};

}  // namespace natss3::fs
