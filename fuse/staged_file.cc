// StagedFile: random access over a local staging file and base segments read from NATS, and
// the upload of the result (see staged_file.h).
#include "staged_file.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>
#include <vector>

#include "errno_map.h"
#include "posix_io.h"

namespace natss3::fs {
namespace {

constexpr size_t kCopyBlock = 1 << 20;

ReadOptions BaseReadOptions(const FsOptions& options) {
  ReadOptions read_options;
  read_options.window = options.read_window;
  read_options.idle_timeout = std::chrono::milliseconds(options.read_idle_timeout_ms);
  return read_options;
}

}  // namespace

StagedFile::StagedFile(const FileEnv* env, uint64_t size) : env_(env), size_(size), file_(env) {}

StagedFile::~StagedFile() {
  for (auto& segment : base_) DropSegment(&segment);
}

void StagedFile::DropSegment(BaseSegment* segment) {
  segment->reader.reset();
  if (segment->blob) (void)env_->store->PurgeStaged(env_->bucket, segment->blob->nuid);
}

int StagedFile::FromStore(const FileEnv* env, const std::optional<ObjectInfo>& version,
                          uint64_t size, std::unique_ptr<StagedFile>* out) {
  auto staged = std::make_unique<StagedFile>(env, size);
  if (int err = staged->file_.Open(); err != 0) return err;
  // The version this file shows (held), not whatever the name holds now: it may have been
  // unlinked, renamed over, or replaced by another client since the file was opened.
  if (version && version->size != 0 && size != 0) {
    // Verifies the digest of a whole download; ReadAt never does.
    auto reader = env->store->OpenInfo(*version, BaseReadOptions(*env->options));
    if (!reader.ok()) return ErrnoFor(reader.status(), OpKind::kRead);
    const uint64_t object_size = (*reader)->info().size;
    if (!staged->file_.Reserve(object_size)) {
      // Larger than the cache: the committed object is the base, only changes are kept here.
      BaseSegment segment;
      segment.length = object_size;
      segment.reader = std::move(reader).value();
      staged->base_.push_back(std::move(segment));
    } else if (int err = staged->Download(reader->get(), object_size); err != 0) {
      return err;
    }
    staged->size_ = object_size;
  }
  *out = std::move(staged);
  return 0;
}

int StagedFile::Download(ObjectReader* reader, uint64_t size) {
  std::vector<char> buf(kCopyBlock);
  uint64_t offset = 0;
  for (;;) {
    if (env_->Stopping()) return EIO;
    auto got = reader->Read(buf.data(), buf.size());
    if (!got.ok()) return ErrnoFor(got.status(), OpKind::kRead);
    if (*got == 0) break;
    if (int err = PwriteAll(file_.fd(), buf.data(), *got, offset); err != 0) return err;
    offset += *got;
  }
  if (offset != size) return EIO;
  local_.Add(0, size);
  return 0;
}

void StagedFile::AdoptLocal(StagingFile file, uint64_t end) {
  file_ = std::move(file);
  local_.Clear();
  local_.Add(0, end);
}

int StagedFile::AddBlobSegment(uint64_t start, const StagedBlob& blob) {
  ReadOptions read_options = BaseReadOptions(*env_->options);
  read_options.verify_digest = false;
  auto reader = env_->store->OpenStaged(env_->bucket, blob, read_options);
  if (!reader.ok()) {
    (void)env_->store->PurgeStaged(env_->bucket, blob.nuid);
    return ErrnoFor(reader.status(), OpKind::kRead);
  }
  BaseSegment segment;
  segment.start = start;
  segment.length = blob.size;
  segment.reader = std::move(reader).value();
  segment.blob = blob;
  auto at = std::upper_bound(base_.begin(), base_.end(), start,
                             [](uint64_t s, const BaseSegment& b) { return s < b.start; });
  base_.insert(at, std::move(segment));
  return 0;
}

void StagedFile::MoveLocalToStore() {
  // Called when the local tee filled the whole cache budget and the rest spilled: one copy of
  // at most --cache-size bytes, only for a file that outgrew the cache and then seeked back.
  const uint64_t end = local_.covered();
  if (end == 0) return;
  auto prefix = env_->store->NewStagedWriter(env_->bucket);
  if (!prefix.ok()) return;  // keep it local: correct, only the budget stays used
  std::vector<char> buf(kCopyBlock);
  for (uint64_t offset = 0; offset < end;) {
    if (env_->Stopping()) return;  // it stays local
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - offset));
    if (PreadAll(file_.fd(), buf.data(), n, offset) != 0 ||
        !(*prefix)->Write(std::string_view(buf.data(), n)).ok()) {
      return;
    }
    offset += n;
  }
  auto blob = (*prefix)->Finish();
  if (!blob.ok() || AddBlobSegment(0, *blob) != 0) return;
  local_.Clear();
  if (file_.Truncate(0) == 0) file_.ReleaseBeyond(0);
}

bool StagedFile::AllLocal() const { return base_.empty() && local_.covered() == size_; }

int StagedFile::Write(uint64_t offset, const char* data, size_t n) {
  if (!file_.Reserve(local_.covered() + local_.Uncovered(offset, offset + n))) return ENOSPC;
  if (int err = PwriteAll(file_.fd(), data, n, offset); err != 0) return err;
  local_.Add(offset, offset + n);
  size_ = std::max<uint64_t>(size_, offset + n);
  env_->changed(size_);
  return 0;
}

int StagedFile::Truncate(uint64_t size) {
  if (size < size_) {
    if (int err = file_.Truncate(size); err != 0) return err;  // nothing changed then
    local_.Clip(size);
    for (auto it = base_.begin(); it != base_.end();) {
      if (it->start >= size) {
        if (it->blob) (void)env_->store->PurgeStaged(env_->bucket, it->blob->nuid);
        it = base_.erase(it);
        continue;
      }
      it->length = std::min<uint64_t>(it->length, size - it->start);
      ++it;
    }
    file_.ReleaseBeyond(local_.covered());
  }
  // Growing leaves a hole: bytes covered neither locally nor by the base read as zeros.
  size_ = size;
  env_->changed(size_);
  return 0;
}

int StagedFile::ReadBase(uint64_t offset, char* buf, size_t n) {
  while (n > 0) {
    size_t take = n;
    BaseSegment* hit = nullptr;
    for (auto& segment : base_) {
      if (offset < segment.start) {
        take = static_cast<size_t>(std::min<uint64_t>(take, segment.start - offset));
        break;
      }
      if (offset < segment.start + segment.length) {
        hit = &segment;
        take =
            static_cast<size_t>(std::min<uint64_t>(take, segment.start + segment.length - offset));
        break;
      }
    }
    if (!hit) {
      std::memset(buf, 0, take);  // a hole
    } else {
      auto got = hit->reader->ReadAt(hit->reader_offset + (offset - hit->start), buf, take);
      if (!got.ok()) return ErrnoFor(got.status(), OpKind::kRead);
      if (*got != take) return EIO;  // the base object is shorter than it said
    }
    buf += take;
    offset += take;
    n -= take;
  }
  return 0;
}

int StagedFile::Read(uint64_t offset, char* buf, size_t n) {
  while (n > 0) {
    bool covered = false;
    uint64_t run_end = local_.RunAt(offset, &covered);
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, run_end - offset));
    int err = covered ? PreadAll(file_.fd(), buf, take, offset) : ReadBase(offset, buf, take);
    if (err != 0) return err;
    buf += take;
    offset += take;
    n -= take;
  }
  return 0;
}

int StagedFile::Upload(const ObjectMeta& meta, std::optional<ObjectInfo>* committed) {
  auto writer = env_->store->NewWriter(env_->bucket, meta, PutOptionsFor(*env_->options));
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  std::vector<char> buf(kCopyBlock);
  for (uint64_t offset = 0; offset < size_;) {
    // natss3fs is stopping: give up (the writer's destructor purges what went out).
    if (env_->Stopping()) return EIO;
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    if (int err = Read(offset, buf.data(), n); err != 0) return err;
    Status st = (*writer)->Write(std::string_view(buf.data(), n));
    if (!st.ok()) return ErrnoFor(st, OpKind::kWrite);
    offset += n;
  }
  auto info = (*writer)->Commit();
  if (!info.ok()) return ErrnoFor(info.status(), OpKind::kWrite);
  *committed = std::move(info).value();
  return 0;
}

void StagedFile::Abandon(const std::string& key) const {
  file_.KeepUnpublished(key, local_.covered(), /*in_order=*/false);
}

}  // namespace natss3::fs
