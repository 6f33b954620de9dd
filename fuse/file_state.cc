// FileState implementation: streaming puts, staging files, commit (see file_state.h).
#include "file_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "attrs.h"
#include "errno_map.h"

namespace natss3::fs {
namespace {

constexpr size_t kCopyBlock = 1 << 20;

int PwriteAll(int fd, const char* data, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t done = pwrite(fd, data, n, static_cast<off_t>(offset));
    if (done < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += done;
    n -= static_cast<size_t>(done);
    offset += static_cast<uint64_t>(done);
  }
  return 0;
}

}  // namespace

bool CacheBudget::Reserve(uint64_t bytes) {
  uint64_t used = used_.load();
  do {
    if (used + bytes > limit_) return false;
  } while (!used_.compare_exchange_weak(used, used + bytes));
  return true;
}

void CacheBudget::Release(uint64_t bytes) { used_.fetch_sub(bytes); }

FileState::FileState(ObjectStore* store, std::string bucket, std::string key,
                     const FsOptions* options, CacheBudget* budget)
    : store_(store), bucket_(std::move(bucket)), options_(options), budget_(budget),
      key_(std::move(key)) {}

FileState::~FileState() {
  std::lock_guard io(io_mu_);
  if (writer_) writer_->Abort();
  DropStagingFile();
}

void FileState::InitExisting(bool exists, uint64_t size, Headers headers) {
  std::lock_guard lock(mu_);
  exists_ = exists;
  size_ = size;
  headers_ = std::move(headers);
}

ObjectMeta FileState::CommitMeta() const {
  std::lock_guard lock(mu_);
  ObjectMeta meta;
  meta.name = key_;
  meta.headers = headers_;
  RemoveHeader(&meta.headers, kMd5Header);
  RemoveHeader(&meta.headers, "Natss3-Etag");
  if (explicit_mtime_) {
    SetHeader(&meta.headers, kMtimeHeader, FormatMtime(*explicit_mtime_));
  } else {
    RemoveHeader(&meta.headers, kMtimeHeader);
  }
  return meta;
}

int FileState::BeginFresh() {
  std::lock_guard io(io_mu_);
  if (writer_) writer_->Abort();
  writer_.reset();
  DropStagingFile();
  auto writer = store_->NewWriter(bucket_, CommitMeta());
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  writer_ = std::move(writer).value();
  writer_failed_ = false;
  mode_ = Mode::kStreaming;
  dirty_ = true;
  if (OpenStagingFile() != 0) DropStagingFile();  // the tee is optional
  std::lock_guard lock(mu_);
  size_ = 0;
  pending_ = true;
  headers_changed_ = false;
  explicit_mtime_.reset();
  return 0;
}

int FileState::OpenStagingFile() {
  std::string path = options_->cache_dir + "/stage-XXXXXX";
  int fd = mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) return errno;
  unlink(path.c_str());  // anonymous: a crash leaves nothing behind
  staging_fd_ = fd;
  return 0;
}

void FileState::DropStagingFile() {
  if (staging_fd_ >= 0) close(staging_fd_);
  staging_fd_ = -1;
  budget_->Release(reserved_);
  reserved_ = 0;
}

bool FileState::GrowReservation(uint64_t size) {
  if (size <= reserved_) return true;
  if (!budget_->Reserve(size - reserved_)) return false;
  reserved_ = size;
  return true;
}

int FileState::StageFromStore() {
  if (int err = OpenStagingFile(); err != 0) return err;
  if (!exists_ || size_ == 0) return 0;
  if (!GrowReservation(size_)) return ENOSPC;
  auto reader = store_->Open(bucket_, key());
  if (!reader.ok()) return ErrnoFor(reader.status(), OpKind::kRead);
  std::vector<char> buf(kCopyBlock);
  uint64_t offset = 0;
  for (;;) {
    auto got = (*reader)->Read(buf.data(), buf.size());
    if (!got.ok()) return ErrnoFor(got.status(), OpKind::kRead);
    if (*got == 0) break;
    if (int err = PwriteAll(staging_fd_, buf.data(), *got, offset); err != 0) return err;
    offset += *got;
  }
  std::lock_guard lock(mu_);
  size_ = offset;
  return 0;
}

int FileState::Write(uint64_t offset, const char* data, size_t n) {
  std::lock_guard io(io_mu_);
  if (mode_ == Mode::kStreaming) {
    if (offset == size_ && !writer_failed_) {
      Status st = writer_->Write(std::string_view(data, n));
      if (!st.ok()) {
        writer_failed_ = true;
        if (staging_fd_ < 0) return ErrnoFor(st, OpKind::kWrite);
      } else {
        if (staging_fd_ >= 0 && (!GrowReservation(offset + n) ||
                                 PwriteAll(staging_fd_, data, n, offset) != 0)) {
          DropStagingFile();
        }
        std::lock_guard lock(mu_);
        size_ = offset + n;
        explicit_mtime_.reset();
        return 0;
      }
    }
    // Not sequential (or the put failed): continue from the tee copy if there is one.
    if (staging_fd_ < 0) return EIO;
    writer_->Abort();
    writer_.reset();
    mode_ = Mode::kStaged;
  } else if (mode_ == Mode::kClean) {
    if (staging_fd_ < 0) {
      if (int err = StageFromStore(); err != 0) {
        DropStagingFile();
        return err;
      }
    }
    mode_ = Mode::kStaged;
  }
  if (!GrowReservation(std::max<uint64_t>(size_, offset + n))) return ENOSPC;
  if (int err = PwriteAll(staging_fd_, data, n, offset); err != 0) return err;
  dirty_ = true;
  std::lock_guard lock(mu_);
  size_ = std::max<uint64_t>(size_, offset + n);
  pending_ = true;
  explicit_mtime_.reset();
  return 0;
}

int FileState::Truncate(uint64_t size) {
  {
    std::lock_guard io(io_mu_);
    if (mode_ == Mode::kStreaming && size == size_) return 0;
  }
  if (size == 0) return BeginFresh();
  std::lock_guard io(io_mu_);
  if (mode_ == Mode::kStreaming) {
    if (staging_fd_ < 0) return EIO;
    writer_->Abort();
    writer_.reset();
  } else if (staging_fd_ < 0) {
    if (int err = StageFromStore(); err != 0) {
      DropStagingFile();
      return err;
    }
  }
  mode_ = Mode::kStaged;
  if (!GrowReservation(size)) return ENOSPC;
  if (ftruncate(staging_fd_, static_cast<off_t>(size)) != 0) return errno;
  dirty_ = true;
  std::lock_guard lock(mu_);
  size_ = size;
  pending_ = true;
  explicit_mtime_.reset();
  return 0;
}

int FileState::Read(uint64_t offset, char* buf, size_t n, size_t* got, bool* served) {
  std::lock_guard io(io_mu_);
  *got = 0;
  *served = true;
  if (staging_fd_ < 0) {
    if (mode_ == Mode::kClean) {
      *served = false;
      return 0;
    }
    // Streaming without a tee copy: the bytes already went to NATS, uncommitted.
    return size_ == 0 ? 0 : EIO;
  }
  if (offset >= size_) return 0;
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  while (*got < n) {
    ssize_t done = pread(staging_fd_, buf + *got, n - *got, static_cast<off_t>(offset + *got));
    if (done < 0 && errno == EINTR) continue;
    if (done < 0) return errno;
    if (done == 0) break;
    *got += static_cast<size_t>(done);
  }
  return 0;
}

int FileState::UploadStaged(std::optional<ObjectInfo>* committed) {
  auto writer = store_->NewWriter(bucket_, CommitMeta());
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  std::vector<char> buf(kCopyBlock);
  for (uint64_t offset = 0; offset < size_;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size_ - offset));
    ssize_t done = pread(staging_fd_, buf.data(), want, static_cast<off_t>(offset));
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) return done < 0 ? errno : EIO;
    Status st = (*writer)->Write(std::string_view(buf.data(), static_cast<size_t>(done)));
    if (!st.ok()) return ErrnoFor(st, OpKind::kWrite);
    offset += static_cast<uint64_t>(done);
  }
  auto info = (*writer)->Commit();
  if (!info.ok()) return ErrnoFor(info.status(), OpKind::kWrite);
  *committed = std::move(info).value();
  return 0;
}

int FileState::Commit(std::optional<ObjectInfo>* committed) {
  std::lock_guard io(io_mu_);
  std::optional<ObjectInfo> info;
  {
    std::lock_guard lock(mu_);
    if (discarded_) return 0;
  }
  if (mode_ == Mode::kStreaming) {
    if (writer_failed_) return EIO;
    auto result = writer_->Commit();
    writer_.reset();
    mode_ = staging_fd_ >= 0 ? Mode::kStaged : Mode::kClean;
    if (!result.ok()) {
      dirty_ = staging_fd_ >= 0;  // retry from the tee copy on the next flush
      return ErrnoFor(result.status(), OpKind::kWrite);
    }
    info = std::move(result).value();
    bool needs_update;
    {
      std::lock_guard lock(mu_);
      needs_update = headers_changed_ || info->name() != key_;
    }
    if (needs_update) {
      ObjectMeta meta = CommitMeta();
      auto updated = store_->UpdateMeta(bucket_, info->name(), meta);
      if (!updated.ok() && updated.status().code() == Code::kAlreadyExists) {
        // Renamed while streaming over an older version that moved to the new name first.
        (void)store_->Delete(bucket_, meta.name);
        updated = store_->UpdateMeta(bucket_, info->name(), meta);
      }
      if (!updated.ok()) return ErrnoFor(updated.status(), OpKind::kWrite);
      info = std::move(updated).value();
    }
  } else if (mode_ == Mode::kStaged && dirty_) {
    if (int err = UploadStaged(&info); err != 0) return err;
  } else {
    return 0;
  }
  dirty_ = false;
  std::lock_guard lock(mu_);
  exists_ = true;
  pending_ = false;
  headers_changed_ = false;
  headers_ = info->meta.headers;
  if (committed) *committed = std::move(info);
  return 0;
}

void FileState::Discard() {
  std::lock_guard io(io_mu_);
  if (writer_) writer_->Abort();
  writer_.reset();
  DropStagingFile();
  mode_ = Mode::kClean;
  dirty_ = false;
  std::lock_guard lock(mu_);
  discarded_ = true;
  pending_ = false;
  exists_ = false;
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
  return pending_;
}
std::string FileState::key() const {
  std::lock_guard lock(mu_);
  return key_;
}

}  // namespace natss3::fs
