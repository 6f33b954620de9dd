// StagedFile: the random-access mode of an open file -- local changes over base segments.
//
// A byte of the file comes from the local StagingFile when its ExtentMap covers it, else from
// a base segment (a staged blob or the committed object, read from NATS), else it is zero (a
// hole). Uploaded whole by Upload (close, fsync, flush); the old version stays visible until
// then. Only written bytes count against the cache budget (ENOSPC beyond it); an existing
// object larger than the budget is not downloaded but read as the base.
//
// Chosen by FileState for any write or truncate that is not an append to a streamed file
// (CleanFile::Stage: a clean file's local copy, or FromStore; StreamingFile::Stage: a streamed
// one, which also covers reads of streamed bytes the tee lost, a failed put, and an unlink
// while streaming). In the staged mode it always holds changes to publish. After Upload the
// file is clean: this object becomes the clean mode's copy when it has no base segments
// (CleanFile), else it is dropped and reads go to the new version. One staged from a clean
// file whose first change failed goes back to the clean mode as its copy, unchanged.
//
// Not thread-safe: FileState::io_mu_ serializes every call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "extent_map.h"
#include "file_env.h"
#include "staging_file.h"

namespace natss3::fs {

class StagedFile {
 public:
  // `size` bytes with no local bytes and no base yet (all holes).
  StagedFile(const FileEnv* env, uint64_t size);
  ~StagedFile();  // purges the staged blobs of the base; the local file goes with StagingFile
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  // The committed `version` (held by the caller) as a staged file to change: downloaded into a
  // new local file when it fits the cache budget, else read as the base. `size`: the file's
  // size now (0: nothing to download). 0 or errno.
  static int FromStore(const FileEnv* env, const std::optional<ObjectInfo>& version, uint64_t size,
                       std::unique_ptr<StagedFile>* out);

  // Builders for the switch from streaming: `file` holds the content's [0, end).
  void AdoptLocal(StagingFile file, uint64_t end);
  // Bytes [start, start + blob.size) come from a staged blob (purged when dropped). On error
  // the blob is purged.
  int AddBlobSegment(uint64_t start, const StagedBlob& blob);
  // Moves the local bytes into a staged blob too, so that the cache budget is free for the
  // changes to come. Best effort: on any error they stay local.
  void MoveLocalToStore();

  uint64_t size() const { return size_; }
  bool has_base() const { return !base_.empty(); }
  // Every byte is in the local file (no base segments, no holes).
  bool AllLocal() const;
  StagingFile* local_file() { return &file_; }

  int Write(uint64_t offset, const char* data, size_t n);  // ENOSPC: cache budget full
  int Truncate(uint64_t size);
  // Exactly n bytes of content at offset (offset + n <= size()).
  int Read(uint64_t offset, char* buf, size_t n);
  // Writes the whole content as a new version with `meta`. 0 or errno; EIO once natss3fs
  // stops.
  int Upload(const ObjectMeta& meta, std::optional<ObjectInfo>* committed);
  // natss3fs stops: the local file is kept as a named file (StagingFile).
  void Abandon(const std::string& key) const;

 private:
  // Bytes [start, start + length) of the file read from `reader` at reader_offset + (x - start).
  struct BaseSegment {
    uint64_t start = 0;
    uint64_t length = 0;
    uint64_t reader_offset = 0;
    std::unique_ptr<ObjectReader> reader;
    std::optional<StagedBlob> blob;  // purged when the segment is dropped
  };

  int Download(ObjectReader* reader, uint64_t size);
  int ReadBase(uint64_t offset, char* buf, size_t n);
  void DropSegment(BaseSegment* segment);

  const FileEnv* env_;
  uint64_t size_;
  StagingFile file_;
  ExtentMap local_;                // bytes held by file_
  std::vector<BaseSegment> base_;  // sorted, disjoint
};

}  // namespace natss3::fs
