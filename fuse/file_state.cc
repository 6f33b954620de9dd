// FileState implementation: streaming puts, staging files, commit (see file_state.h).
#include "file_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "attrs.h"
#include "errno_map.h"
#include "posix_io.h"

namespace natss3::fs {
namespace {

constexpr size_t kZeroBlock = 1 << 20;
// Largest hole a streamed file fills with zeros; a larger jump switches to kStaged.
constexpr uint64_t kMaxZeroFill = 64ull << 20;
// Streamed files start their AppendPipe from this size on (small files need no thread).
constexpr uint64_t kPipeAfter = 1 << 20;

}  // namespace

PutOptions PutOptionsFor(const FsOptions& options) {
  PutOptions put;
  put.chunk_size = options.chunk_size;  // the core sizes the window in bytes
  put.md5 = options.md5;
  return put;
}

bool CacheBudget::Reserve(uint64_t bytes) {
  uint64_t used = used_.load();
  do {
    if (used + bytes > limit_) return false;
  } while (!used_.compare_exchange_weak(used, used + bytes));
  return true;
}

void CacheBudget::Release(uint64_t bytes) { used_.fetch_sub(bytes); }

FileState::FileState(ObjectStore* store, std::string bucket, std::string key,
                     const FsOptions* options, CacheBudget* budget,
                     const std::atomic<bool>* stopping)
    : store_(store), bucket_(std::move(bucket)), options_(options), budget_(budget),
      stopping_(stopping), key_(std::move(key)) {}

FileState::~FileState() {
  std::lock_guard io(io_mu_);
  StopPipe();
  if (writer_) writer_->Abort();
  DropSpill();
  DropBase();
  DropStagingFile();
}

void FileState::InitExisting(std::optional<ObjectInfo> version, Headers headers) {
  std::shared_ptr<void> hold = version ? store_->HoldVersion(*version) : nullptr;
  std::lock_guard lock(mu_);
  exists_ = version.has_value();
  size_ = version ? version->size : 0;
  headers_ = std::move(headers);
  version_ = std::move(version);
  hold_ = std::move(hold);
}

ObjectMeta FileState::CommitMeta() const {
  std::lock_guard lock(mu_);
  ObjectMeta meta;
  meta.name = key_;
  meta.headers = headers_;
  RemoveHeader(&meta.headers, kMd5Header);
  RemoveHeader(&meta.headers, "Natss3-Etag");
  // New content from a mount that hides these bits: a setuid bit some S3 writer set on the
  // old version must not stick to it (the kernel, which never saw the bit, cannot clear it).
  if (!options_->trust_metadata_owner) DropSpecialModeBits(&meta.headers);
  if (explicit_mtime_) {
    SetHeader(&meta.headers, kMtimeHeader, FormatMtime(*explicit_mtime_));
  } else {
    RemoveHeader(&meta.headers, kMtimeHeader);
  }
  return meta;
}

int FileState::BeginFresh() {
  std::lock_guard io(io_mu_);
  StopPipe();
  if (writer_) writer_->Abort();
  writer_.reset();
  DropSpill();
  DropBase();
  DropStagingFile();
  auto writer = store_->NewWriter(bucket_, CommitMeta(), PutOptionsFor(*options_));
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  writer_ = std::move(writer).value();
  writer_failed_ = false;
  spill_failed_ = false;
  tee_end_ = 0;
  streamed_ = 0;
  mode_ = Mode::kStreaming;
  dirty_ = true;
  if (OpenStagingFile() != 0) DropStagingFile();  // the local tee is optional: spill instead
  std::lock_guard lock(mu_);
  size_ = 0;
  pending_ = true;
  headers_changed_ = false;
  explicit_mtime_.reset();
  return 0;
}

void FileState::DropStagingFile() {
  if (staging_fd_ >= 0) close(staging_fd_);
  staging_fd_ = -1;
  budget_->Release(reserved_);
  reserved_ = 0;
  local_.Clear();
  tee_end_ = 0;
}

void FileState::DropSpill() {
  if (spill_) spill_->Abort();
  spill_.reset();
}

bool FileState::GrowReservation(uint64_t total) {
  if (total <= reserved_) return true;
  if (!budget_->Reserve(total - reserved_)) return false;
  reserved_ = total;
  return true;
}

void FileState::TeeStreaming(uint64_t offset, const char* data, size_t n) {
  if (spill_failed_) return;
  if (!spill_ && staging_fd_ >= 0 && tee_end_ == offset) {
    if (GrowReservation(offset + n) && PwriteAll(staging_fd_, data, n, offset) == 0) {
      tee_end_ = offset + n;
      return;
    }
  }
  // The cache is full (or unusable): keep the rest where it can be read back, in NATS.
  if (!spill_ && Stopping()) {
    spill_failed_ = true;  // no new upload once natss3fs stops
    return;
  }
  if (!spill_) {
    auto spill = store_->NewStagedWriter(bucket_);
    if (spill.ok()) spill_ = std::move(spill).value();
  }
  if (!spill_ || !spill_->Write(std::string_view(data, n)).ok()) {
    spill_failed_ = true;  // a seek back is impossible now; sequential writes still work
    DropSpill();
    DropStagingFile();
  }
}

int FileState::ApplyAppend(const char* data, size_t n) {
  int err = EIO;
  if (Stopping()) writer_failed_ = true;  // nothing more goes out; the tee still keeps it
  if (!writer_failed_) {
    Status st = writer_->Write(std::string_view(data, n));
    err = st.ok() ? 0 : ErrnoFor(st, OpKind::kWrite);
    writer_failed_ = !st.ok();
  }
  TeeStreaming(streamed_, data, n);  // even after a failure: the staged copy takes over
  streamed_ += n;
  return err;
}

int FileState::AppendStreaming(const char* data, size_t n) {
  int err = ApplyAppend(data, n);
  std::lock_guard lock(mu_);
  size_ += n;
  explicit_mtime_.reset();
  return err;
}

void FileState::DrainPipe() {
  if (pipe_) (void)pipe_->Drain();  // a sink error is in writer_failed_
}

void FileState::StopPipe() { pipe_.reset(); }

int FileState::ZeroFillStreaming(uint64_t to) {
  static const std::vector<char> zeros(kZeroBlock);
  while (size_ < to) {
    if (Stopping()) return EIO;
    size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), to - size_));
    if (int err = AppendStreaming(zeros.data(), n); err != 0) return err;
  }
  return 0;
}

int FileState::ToStaged() {
  if (mode_ == Mode::kStaged) return 0;
  if (mode_ == Mode::kStreaming) return StageStreamed();
  if (int err = StageFromStore(); err != 0) {
    DropBase();
    DropStagingFile();
    return err;
  }
  mode_ = Mode::kStaged;
  return 0;
}

int FileState::StreamFromLocal() {
  auto writer = store_->NewWriter(bucket_, CommitMeta(), PutOptionsFor(*options_));
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  std::vector<char> buf(std::min<uint64_t>(size_, kZeroBlock));
  for (uint64_t offset = 0; offset < size_;) {
    if (Stopping()) return EIO;
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    if (int err = PreadAll(staging_fd_, buf.data(), n, offset); err != 0) return err;
    Status st = (*writer)->Write(std::string_view(buf.data(), n));
    if (!st.ok()) return ErrnoFor(st, OpKind::kWrite);
    offset += n;
  }
  writer_ = std::move(writer).value();
  writer_failed_ = false;
  spill_failed_ = false;
  tee_end_ = size_;
  streamed_ = size_;
  local_.Clear();
  mode_ = Mode::kStreaming;
  dirty_ = true;
  std::lock_guard lock(mu_);
  pending_ = true;
  headers_changed_ = false;
  return 0;
}

int FileState::StageStreamed() {
  StopPipe();
  // The streamed content is the local tee [0, tee_end_) plus the spill [tee_end_, size_).
  if (spill_failed_ || (!spill_ && tee_end_ != size_)) return EIO;
  if (int err = OpenStagingFile(); err != 0) return err;
  local_.Clear();
  local_.Add(0, tee_end_);
  if (spill_) {
    if (int err = SpillToBase(); err != 0) return err;
  }
  if (writer_) writer_->Abort();
  writer_.reset();
  mode_ = Mode::kStaged;
  dirty_ = true;
  return 0;
}

int FileState::Write(uint64_t offset, const char* data, size_t n) {
  std::lock_guard io(io_mu_);
  if (mode_ == Mode::kStreaming && pipe_ && !pipe_->failed() && offset == size_) {
    pipe_->Push(data, n);  // hashed and published while the kernel sends the next write
    std::lock_guard lock(mu_);
    size_ += n;
    explicit_mtime_.reset();
    return 0;
  }
  DrainPipe();
  // Appending to a clean local copy (e.g. dd and shell redirections: open, dup2, close --
  // that close publishes the new, empty file): stream again rather than stage.
  if (mode_ == Mode::kStaged && !dirty_ && offset == size_ && base_.empty() &&
      local_.covered() == size_ && !Discarded()) {
    (void)StreamFromLocal();
  }
  if (mode_ == Mode::kStreaming && !writer_failed_) {
    // A hole (e.g. cp --sparse) keeps streaming: the object holds its zeros anyway.
    if (offset > size_ && offset - size_ <= kMaxZeroFill) (void)ZeroFillStreaming(offset);
    if (!writer_failed_ && offset == size_) {
      if (int err = AppendStreaming(data, n); err != 0) {
        // The put failed; the tee and the spill kept every byte: go on from them.
        return StageStreamed() == 0 ? 0 : err;
      }
      if (!pipe_ && size_ >= kPipeAfter) {
        pipe_ = std::make_unique<AppendPipe>(
            [this](const std::string& bytes) { return ApplyAppend(bytes.data(), bytes.size()); });
      }
      return 0;
    }
    // Not sequential (or the put failed): continue from the tee and the spill.
  }
  if (int err = ToStaged(); err != 0) return err;
  return StagedWrite(offset, data, n);
}

int FileState::Truncate(uint64_t size) {
  {
    std::lock_guard io(io_mu_);
    if (mode_ == Mode::kStreaming && size == size_) return 0;
  }
  if (size == 0 && !Discarded()) return BeginFresh();
  std::lock_guard io(io_mu_);
  DrainPipe();
  if (mode_ == Mode::kStreaming && !writer_failed_ && size > size_ &&
      size - size_ <= kMaxZeroFill && ZeroFillStreaming(size) == 0) {
    return 0;
  }
  if (int err = ToStaged(); err != 0) return err;
  return StagedTruncate(size);
}

int FileState::Read(uint64_t offset, char* buf, size_t n, size_t* got, bool* served) {
  std::lock_guard io(io_mu_);
  DrainPipe();
  *got = 0;
  *served = true;
  if (mode_ == Mode::kClean) {
    *served = false;
    return 0;
  }
  if (offset >= size_) return 0;
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  if (mode_ == Mode::kStreaming) {
    if (staging_fd_ >= 0 && offset + n <= tee_end_) {
      if (int err = PreadAll(staging_fd_, buf, n, offset); err != 0) return err;
      *got = n;
      return 0;
    }
    // The bytes went to NATS: make them readable (the upload restarts at commit).
    if (int err = ToStaged(); err != 0) return err;
  }
  if (int err = ReadContent(offset, buf, n); err != 0) return err;
  *got = n;
  return 0;
}

int FileState::Commit(std::optional<ObjectInfo>* committed) {
  std::lock_guard io(io_mu_);
  if (Discarded()) return 0;
  // natss3fs is stopping: a file whose close races with the stop is not published either.
  if (Stopping() && pending()) return EIO;
  StopPipe();
  std::optional<ObjectInfo> info;
  int update_err = 0;  // the data is published; the attributes or the rename failed
  if (mode_ == Mode::kStreaming) {
    Result<ObjectInfo> result = Unavailable("the streaming put failed");
    if (!writer_failed_) result = writer_->Commit();
    writer_.reset();
    const bool full_tee = !spill_ && !spill_failed_ && staging_fd_ >= 0 && tee_end_ == size_;
    if (!result.ok()) {
      int err = ErrnoFor(result.status(), OpKind::kWrite);
      if (StageStreamed() != 0) {
        // Nothing left to retry from: the file is back to its committed version.
        DropSpill();
        DropStagingFile();
        mode_ = Mode::kClean;
        dirty_ = false;
        std::lock_guard lock(mu_);
        pending_ = false;
      }
      return err;  // else retried from the staged copy by the next flush
    }
    DropSpill();
    if (full_tee) {
      local_.Clear();
      local_.Add(0, size_);
      mode_ = Mode::kStaged;  // keeps serving reads from the local copy
    } else {
      DropStagingFile();
      mode_ = Mode::kClean;
    }
    info = std::move(result).value();
    update_err = UpdateCommitted(&*info);
  } else if (mode_ == Mode::kStaged && dirty_) {
    if (int err = UploadStaged(&info); err != 0) return err;
    if (!base_.empty()) {
      // The local file holds only the changes: read the new version from the store.
      DropBase();
      DropStagingFile();
      mode_ = Mode::kClean;
    }
  } else {
    return 0;
  }
  dirty_ = false;
  // Reads of this file now come from the new version: hold it instead of the old one (whose
  // chunks the commit released; readers still on it hold it themselves).
  std::shared_ptr<void> hold = store_->HoldVersion(*info);
  std::lock_guard lock(mu_);
  exists_ = true;
  pending_ = false;
  headers_changed_ = false;
  headers_ = info->meta.headers;
  version_ = *info;
  hold_.swap(hold);
  if (committed) *committed = std::move(info);
  return update_err;
}

int FileState::UpdateCommitted(ObjectInfo* info) {
  ObjectMeta wanted = CommitMeta();
  {
    std::lock_guard lock(mu_);
    if (!headers_changed_ && info->name() == key_) return 0;
  }
  // Only the headers this mount owns, and only on the version this commit wrote: if another
  // writer replaced it meanwhile, its record is left as it is (its own attributes, its MD5).
  const std::string nuid = info->nuid;
  bool replaced = false;
  auto mutate = [&](ObjectInfo& current) -> Status {
    if (current.nuid != nuid) {
      replaced = true;
      return FailedPrecondition("replaced by another writer");
    }
    current.meta.name = wanted.name;
    CopyOwnedHeaders(wanted.headers, &current.meta.headers);
    if (auto mtime = GetHeader(wanted.headers, kMtimeHeader)) {
      SetHeader(&current.meta.headers, kMtimeHeader, *mtime);
    } else {
      RemoveHeader(&current.meta.headers, kMtimeHeader);
    }
    return Status::OK();
  };
  // Renamed while streaming: the old version may have moved to the new name first (rename of
  // the committed object), so the rename replaces it, in one step.
  ModifyOptions options;
  options.replace_target = true;
  auto updated = store_->ModifyMeta(bucket_, info->name(), mutate, options);
  // Replaced or deleted by another client since the commit: last writer wins.
  if (replaced || updated.status().code() == Code::kNotFound) return 0;
  if (!updated.ok()) return ErrnoFor(updated.status(), OpKind::kWrite);
  *info = std::move(updated).value();
  return 0;
}

void FileState::ApplyAttrs(const SetAttrIn& in) {
  std::lock_guard lock(mu_);
  SetAttrIn attrs = in;
  attrs.mtime.reset();
  ApplySetAttr(attrs, false, &headers_);
  if (in.mtime) explicit_mtime_ = in.mtime;
  headers_changed_ = true;
}

void FileState::Rename(std::string key) {
  std::lock_guard lock(mu_);
  key_ = std::move(key);
}

Headers FileState::headers() const {
  std::lock_guard lock(mu_);
  return headers_;
}
uint64_t FileState::size() const {
  std::lock_guard lock(mu_);
  return size_;
}
bool FileState::exists() const {
  std::lock_guard lock(mu_);
  return exists_;
}
bool FileState::pending() const {
  std::lock_guard lock(mu_);
  return pending_ && !discarded_;
}
bool FileState::Discarded() const {
  std::lock_guard lock(mu_);
  return discarded_;
}
std::optional<ObjectInfo> FileState::version() const {
  std::lock_guard lock(mu_);
  return version_;
}
std::string FileState::key() const {
  std::lock_guard lock(mu_);
  return key_;
}

}  // namespace natss3::fs
