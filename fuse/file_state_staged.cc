// FileState random access (kStaged): local changes over base segments read from NATS, and the
// upload of the result (see file_state.h).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "errno_map.h"
#include "file_state.h"
#include "posix_io.h"

namespace natss3::fs {
namespace {

constexpr size_t kCopyBlock = 1 << 20;

}  // namespace

int FileState::StageFromStore() {
  if (int err = OpenStagingFile(); err != 0) return err;
  local_.Clear();
  // The version this file shows (held), not whatever the name holds now: it may have been
  // unlinked, renamed over, or replaced by another client since the file was opened.
  std::optional<ObjectInfo> version = this->version();
  if (!version || version->size == 0 || size_ == 0) return 0;
  ReadOptions read_options;  // verifies the digest of a whole download; ReadAt never does
  read_options.window = options_->read_window;
  read_options.idle_timeout = std::chrono::milliseconds(options_->read_idle_timeout_ms);
  auto reader = store_->OpenInfo(*version, read_options);
  if (!reader.ok()) return ErrnoFor(reader.status(), OpKind::kRead);
  const uint64_t size = (*reader)->info().size;
  if (!GrowReservation(size)) {
    // Larger than the cache: the committed object is the base, only changes are kept here.
    BaseSegment segment;
    segment.length = size;
    segment.reader = std::move(reader).value();
    base_.push_back(std::move(segment));
  } else {
    std::vector<char> buf(kCopyBlock);
    uint64_t offset = 0;
    for (;;) {
      if (Stopping()) return EIO;
      auto got = (*reader)->Read(buf.data(), buf.size());
      if (!got.ok()) return ErrnoFor(got.status(), OpKind::kRead);
      if (*got == 0) break;
      if (int err = PwriteAll(staging_fd_, buf.data(), *got, offset); err != 0) return err;
      offset += *got;
    }
    if (offset != size) return EIO;
    local_.Add(0, size);
  }
  std::lock_guard lock(mu_);
  size_ = size;
  return 0;
}

int FileState::AddBlobSegment(uint64_t start, const StagedBlob& blob) {
  ReadOptions read_options;
  read_options.verify_digest = false;
  read_options.window = options_->read_window;
  read_options.idle_timeout = std::chrono::milliseconds(options_->read_idle_timeout_ms);
  auto reader = store_->OpenStaged(bucket_, blob, read_options);
  if (!reader.ok()) {
    (void)store_->PurgeStaged(bucket_, blob.nuid);
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

int FileState::SpillToBase() {
  auto spilled = spill_->Finish();
  spill_.reset();
  if (!spilled.ok()) {
    spill_failed_ = true;
    return ErrnoFor(spilled.status(), OpKind::kWrite);
  }
  if (int err = AddBlobSegment(tee_end_, *spilled); err != 0) {
    spill_failed_ = true;
    return err;
  }
  if (tee_end_ == 0) return 0;
  // The local tee filled the whole cache budget. Move it to NATS too, so the budget is free
  // for the changes to come (a header patched, then more appended...). One copy of at most
  // --cache-size bytes, only for a file that outgrew the cache and then seeked back.
  auto prefix = store_->NewStagedWriter(bucket_);
  if (!prefix.ok()) return 0;  // keep the prefix local: correct, only the budget stays used
  std::vector<char> buf(kCopyBlock);
  for (uint64_t offset = 0; offset < tee_end_;) {
    if (Stopping()) return 0;  // the prefix stays local
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), tee_end_ - offset));
    if (PreadAll(staging_fd_, buf.data(), n, offset) != 0 ||
        !(*prefix)->Write(std::string_view(buf.data(), n)).ok()) {
      return 0;
    }
    offset += n;
  }
  auto blob = (*prefix)->Finish();
  if (!blob.ok() || AddBlobSegment(0, *blob) != 0) return 0;
  local_.Clear();
  if (ftruncate(staging_fd_, 0) == 0) {
    budget_->Release(reserved_);
    reserved_ = 0;
  }
  tee_end_ = 0;
  return 0;
}

void FileState::DropBase() {
  for (auto& segment : base_) {
    segment.reader.reset();
    if (segment.blob) (void)store_->PurgeStaged(bucket_, segment.blob->nuid);
  }
  base_.clear();
}

int FileState::StagedWrite(uint64_t offset, const char* data, size_t n) {
  if (!GrowReservation(local_.covered() + local_.Uncovered(offset, offset + n))) return ENOSPC;
  if (int err = PwriteAll(staging_fd_, data, n, offset); err != 0) return err;
  local_.Add(offset, offset + n);
  dirty_ = true;
  std::lock_guard lock(mu_);
  size_ = std::max<uint64_t>(size_, offset + n);
  pending_ = true;
  explicit_mtime_.reset();
  return 0;
}

int FileState::StagedTruncate(uint64_t size) {
  if (size < size_) {
    local_.Clip(size);
    if (ftruncate(staging_fd_, static_cast<off_t>(size)) != 0) return errno;
    for (auto it = base_.begin(); it != base_.end();) {
      if (it->start >= size) {
        if (it->blob) (void)store_->PurgeStaged(bucket_, it->blob->nuid);
        it = base_.erase(it);
        continue;
      }
      it->length = std::min<uint64_t>(it->length, size - it->start);
      ++it;
    }
    if (reserved_ > local_.covered()) {
      budget_->Release(reserved_ - local_.covered());
      reserved_ = local_.covered();
    }
  }
  // Growing leaves a hole: bytes covered neither locally nor by the base read as zeros.
  dirty_ = true;
  std::lock_guard lock(mu_);
  size_ = size;
  pending_ = true;
  explicit_mtime_.reset();
  return 0;
}

int FileState::ReadBase(uint64_t offset, char* buf, size_t n) {
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
        take = static_cast<size_t>(std::min<uint64_t>(take, segment.start + segment.length - offset));
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

int FileState::ReadContent(uint64_t offset, char* buf, size_t n) {
  while (n > 0) {
    bool covered = false;
    uint64_t run_end = local_.RunAt(offset, &covered);
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, run_end - offset));
    int err = covered ? PreadAll(staging_fd_, buf, take, offset) : ReadBase(offset, buf, take);
    if (err != 0) return err;
    buf += take;
    offset += take;
    n -= take;
  }
  return 0;
}

int FileState::UploadStaged(std::optional<ObjectInfo>* committed) {
  auto writer = store_->NewWriter(bucket_, CommitMeta(), PutOptionsFor(*options_));
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  std::vector<char> buf(kCopyBlock);
  for (uint64_t offset = 0; offset < size_;) {
    // natss3fs is stopping: give up (the writer's destructor purges what went out).
    if (Stopping()) return EIO;
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    if (int err = ReadContent(offset, buf.data(), n); err != 0) return err;
    Status st = (*writer)->Write(std::string_view(buf.data(), n));
    if (!st.ok()) return ErrnoFor(st, OpKind::kWrite);
    offset += n;
  }
  auto info = (*writer)->Commit();
  if (!info.ok()) return ErrnoFor(info.status(), OpKind::kWrite);
  *committed = std::move(info).value();
  return 0;
}

}  // namespace natss3::fs
