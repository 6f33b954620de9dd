// CleanFile: the committed content of an open file, with the local copy a commit left (see
// clean_file.h).
#include "clean_file.h"

#include <utility>

#include "streaming_file.h"

namespace natss3::fs {

CleanFile::CleanFile(const FileEnv* env, std::unique_ptr<StagedFile> copy)
    : env_(env), copy_(std::move(copy)) {}

CleanFile::~CleanFile() = default;
CleanFile::CleanFile(CleanFile&&) noexcept = default;
CleanFile& CleanFile::operator=(CleanFile&&) noexcept = default;

uint64_t CleanFile::size() const { return copy_->size(); }

bool CleanFile::WholeLocalCopy() const { return copy_ != nullptr && copy_->AllLocal(); }

int CleanFile::Read(uint64_t offset, char* buf, size_t n) { return copy_->Read(offset, buf, n); }

int CleanFile::Stage(const std::optional<ObjectInfo>& version, uint64_t size,
                     std::unique_ptr<StagedFile>* out) {
  if (copy_) {
    *out = std::move(copy_);
    return 0;
  }
  return StagedFile::FromStore(env_, version, size, out);
}

int CleanFile::Resume(const ObjectMeta& meta, std::unique_ptr<StreamingFile>* out) {
  return StreamingFile::Resume(env_, meta, copy_->local_file(), copy_->size(), out);
}

}  // namespace natss3::fs
