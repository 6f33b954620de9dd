// StreamingFile: a sequentially written version streamed into a put, teed for a later switch
// to random access (see streaming_file.h).
#include "streaming_file.h"

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "errno_map.h"
#include "posix_io.h"
#include "staged_file.h"

namespace natss3::fs {
namespace {

constexpr size_t kZeroBlock = 1 << 20;

}  // namespace

StreamingFile::StreamingFile(const FileEnv* env, std::unique_ptr<ObjectWriter> writer)
    : env_(env), writer_(std::move(writer)), tee_(env) {}

StreamingFile::~StreamingFile() {
  StopPipe();  // before anything its worker touches
  if (writer_) writer_->Abort();
  DropSpill();
}

int StreamingFile::Start(const FileEnv* env, const ObjectMeta& meta,
                         std::unique_ptr<StreamingFile>* out) {
  auto writer = env->store->NewWriter(env->bucket, meta, PutOptionsFor(*env->options));
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  std::unique_ptr<StreamingFile> file(new StreamingFile(env, std::move(writer).value()));
  if (file->tee_.Open() != 0) file->tee_.Close();  // the local tee is optional: spill instead
  *out = std::move(file);
  return 0;
}

int StreamingFile::Resume(const FileEnv* env, const ObjectMeta& meta, StagingFile* local,
                          uint64_t size, std::unique_ptr<StreamingFile>* out) {
  auto writer = env->store->NewWriter(env->bucket, meta, PutOptionsFor(*env->options));
  if (!writer.ok()) return ErrnoFor(writer.status(), OpKind::kWrite);
  std::vector<char> buf(std::min<uint64_t>(size, kZeroBlock));
  for (uint64_t offset = 0; offset < size;) {
    if (env->Stopping()) return EIO;
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - offset));
    if (int err = PreadAll(local->fd(), buf.data(), n, offset); err != 0) return err;
    Status st = (*writer)->Write(std::string_view(buf.data(), n));
    if (!st.ok()) return ErrnoFor(st, OpKind::kWrite);
    offset += n;
  }
  std::unique_ptr<StreamingFile> file(new StreamingFile(env, std::move(writer).value()));
  file->tee_ = std::move(*local);
  file->tee_end_ = size;
  file->streamed_ = size;
  file->size_ = size;
  *out = std::move(file);
  return 0;
}

void StreamingFile::DropSpill() {
  if (spill_) spill_->Abort();
  spill_.reset();
}

void StreamingFile::Tee(uint64_t offset, const char* data, size_t n) {
  if (spill_failed_) return;
  if (!spill_ && tee_.is_open() && tee_end_ == offset) {
    if (tee_.Reserve(offset + n) && PwriteAll(tee_.fd(), data, n, offset) == 0) {
      tee_end_ = offset + n;
      return;
    }
  }
  // The cache is full (or unusable): keep the rest where it can be read back, in NATS.
  if (!spill_ && env_->Stopping()) {
    spill_failed_ = true;  // no new upload once natss3fs stops
    return;
  }
  if (!spill_) {
    auto spill = env_->store->NewStagedWriter(env_->bucket);
    if (spill.ok()) spill_ = std::move(spill).value();
  }
  if (!spill_ || !spill_->Write(std::string_view(data, n)).ok()) {
    spill_failed_ = true;  // a seek back is impossible now; sequential writes still work
    DropSpill();
    tee_.Close();
    tee_end_ = 0;
  }
}

int StreamingFile::ApplyAppend(const char* data, size_t n) {
  int err = EIO;
  if (env_->Stopping()) writer_failed_ = true;  // nothing more goes out; the tee still keeps it
  if (!writer_failed_) {
    Status st = writer_->Write(std::string_view(data, n));
    err = st.ok() ? 0 : ErrnoFor(st, OpKind::kWrite);
    writer_failed_ = !st.ok();
  }
  Tee(streamed_, data, n);  // even after a failure: the staged copy takes over
  streamed_ += n;
  return err;
}

int StreamingFile::AppendNow(const char* data, size_t n) {
  int err = ApplyAppend(data, n);
  size_ += n;
  env_->changed(size_);
  return err;
}

void StreamingFile::Drain() {
  if (pipe_) (void)pipe_->Drain();  // a sink error is in writer_failed_
}

int StreamingFile::ZeroFill(uint64_t to) {
  static const std::vector<char> zeros(kZeroBlock);
  while (size_ < to) {
    if (env_->Stopping()) return EIO;
    size_t n = static_cast<size_t>(std::min<uint64_t>(zeros.size(), to - size_));
    if (int err = AppendNow(zeros.data(), n); err != 0) return err;
  }
  return 0;
}

bool StreamingFile::Append(uint64_t offset, const char* data, size_t n, int* err) {
  *err = 0;
  if (pipe_ && !pipe_->failed() && offset == size_) {
    pipe_->Push(data, n);  // hashed and published while the kernel sends the next write
    size_ += n;
    env_->changed(size_);
    return true;
  }
  Drain();
  if (writer_failed_) return false;
  // A hole (e.g. cp --sparse) keeps streaming: the object holds its zeros anyway.
  if (offset > size_ && offset - size_ <= kMaxZeroFill) (void)ZeroFill(offset);
  if (writer_failed_ || offset != size_) return false;
  *err = AppendNow(data, n);
  if (*err == 0 && !pipe_ && size_ >= kPipeAfter) {
    pipe_ = std::make_unique<AppendPipe>(
        [this](const std::string& bytes) { return ApplyAppend(bytes.data(), bytes.size()); });
  }
  return true;
}

bool StreamingFile::Extend(uint64_t size) {
  Drain();
  return !writer_failed_ && size > size_ && size - size_ <= kMaxZeroFill && ZeroFill(size) == 0;
}

bool StreamingFile::TeeHolds(uint64_t offset, size_t n) const {
  return tee_.is_open() && offset + n <= tee_end_;
}

int StreamingFile::ReadTee(uint64_t offset, char* buf, size_t n) const {
  return PreadAll(tee_.fd(), buf, n, offset);
}

Result<ObjectInfo> StreamingFile::Commit() {
  StopPipe();
  Result<ObjectInfo> result = Unavailable("the streaming put failed");
  if (!writer_failed_) result = writer_->Commit();
  writer_.reset();
  return result;
}

bool StreamingFile::HasWholeTee() const {
  return !spill_ && !spill_failed_ && tee_.is_open() && tee_end_ == size_;
}

StagingFile StreamingFile::TakeTee() {
  tee_end_ = 0;
  return std::move(tee_);
}

int StreamingFile::Stage(std::unique_ptr<StagedFile>* out) {
  StopPipe();
  if (spill_failed_ || (!spill_ && tee_end_ != size_)) return EIO;
  if (int err = tee_.Open(); err != 0) return err;
  auto staged = std::make_unique<StagedFile>(env_, size_);
  const bool spilled = spill_ != nullptr;
  if (spilled) {
    auto blob = spill_->Finish();
    spill_.reset();
    int err = blob.ok() ? staged->AddBlobSegment(tee_end_, *blob)
                        : ErrnoFor(blob.status(), OpKind::kWrite);
    if (err != 0) {
      spill_failed_ = true;
      return err;
    }
  }
  staged->AdoptLocal(std::move(tee_), tee_end_);
  tee_end_ = 0;
  if (spilled) staged->MoveLocalToStore();
  if (writer_) writer_->Abort();
  writer_.reset();
  *out = std::move(staged);
  return 0;
}

void StreamingFile::Abandon(const std::string& key) {
  StopPipe();  // the pipe's sink sees the stop flag and uploads nothing more
  tee_.KeepUnpublished(key, tee_end_, /*in_order=*/true);
}

}  // namespace natss3::fs
