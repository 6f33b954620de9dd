// CleanFile: the clean mode of an open file -- nothing to publish; the content is the
// committed version FileState holds, read from the object store or from a local copy of it.
//
// The copy, when there is one, is a StagedFile this mode reads and never changes:
//  - the content a commit left local: a streamed commit whose tee held every byte, or a staged
//    upload without base segments (local bytes and holes);
//  - or what the first change of a clean file had staged before that change failed (the
//    committed version downloaded, or read as the base), so the next change starts from it.
// Without one, reads go to the object store (FileState::Read leaves them to the caller).
//
// Left for StagedFile by the first write or truncate (Stage: the copy itself, else
// StagedFile::FromStore), for StreamingFile by an append to a whole local copy (Resume) or a
// new version (FileState::BeginFresh).
//
// Not thread-safe: FileState::io_mu_ serializes every call.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "file_env.h"
#include "staged_file.h"

namespace natss3::fs {

class StreamingFile;

class CleanFile {
 public:
  // `copy`: the committed content as a StagedFile (nullptr: none; reads go to the store).
  explicit CleanFile(const FileEnv* env, std::unique_ptr<StagedFile> copy = nullptr);
  ~CleanFile();  // drops the local copy (its StagingFile returns the cache budget)
  CleanFile(CleanFile&&) noexcept;
  CleanFile& operator=(CleanFile&&) noexcept;

  bool has_copy() const { return copy_ != nullptr; }
  uint64_t size() const;  // the copy's size (has_copy() only)
  // Every byte of the copy is in its local file: an append may stream it again (Resume).
  bool WholeLocalCopy() const;
  // Exactly n bytes of the copy at offset (has_copy(), offset + n <= size()).
  int Read(uint64_t offset, char* buf, size_t n);

  // The content as a StagedFile to change: the local copy (moved out), else the committed
  // `version` (held by the caller) through StagedFile::FromStore; `size` is the file's size
  // (0: nothing to download). 0 or errno; on error this file is unchanged.
  int Stage(const std::optional<ObjectInfo>& version, uint64_t size,
            std::unique_ptr<StagedFile>* out);
  // Streams the whole local copy into a new put with `meta` and keeps streaming
  // (StreamingFile::Resume; WholeLocalCopy() only). 0 or errno; on error this file is unchanged.
  int Resume(const ObjectMeta& meta, std::unique_ptr<StreamingFile>* out);

 private:
  const FileEnv* env_;
  std::unique_ptr<StagedFile> copy_;
};

}  // namespace natss3::fs
