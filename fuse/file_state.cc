// FileState: the open-file handle -- mode selection and transitions, commit, and the
// attributes getattr sees while the file is open (see file_state.h).
#include "file_state.h"

#include <cerrno>
#include <utility>

#include "attrs.h"
#include "clean_file.h"
#include "errno_map.h"
#include "staged_file.h"
#include "streaming_file.h"

namespace natss3::fs {

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
    : content_(CleanFile(&env_)), key_(std::move(key)) {
  env_.store = store;
  env_.bucket = std::move(bucket);
  env_.options = options;
  env_.budget = budget;
  env_.stopping = stopping;
  env_.changed = [this](uint64_t size) {
    std::lock_guard lock(mu_);
    size_ = size;
    pending_ = true;
    explicit_mtime_.reset();
  };
}

FileState::~FileState() {
  std::lock_guard io(io_mu_);
  DropContent();
}

StreamingFile* FileState::streaming() {
  auto* content = std::get_if<std::unique_ptr<StreamingFile>>(&content_);
  return content ? content->get() : nullptr;
}

StagedFile* FileState::staged() {
  auto* content = std::get_if<std::unique_ptr<StagedFile>>(&content_);
  return content ? content->get() : nullptr;
}

void FileState::Become(Content next) {
  // The mode replaced is destroyed before `next` takes its place (variant assignment).
  content_ = std::move(next);
}

void FileState::DropContent() { Become(CleanFile(&env_)); }

void FileState::InitExisting(std::optional<ObjectInfo> version, Headers headers) {
  std::shared_ptr<void> hold = version ? env_.store->HoldVersion(*version) : nullptr;
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
  if (!env_.options->trust_metadata_owner) DropSpecialModeBits(&meta.headers);
  if (explicit_mtime_) {
    SetHeader(&meta.headers, kMtimeHeader, FormatMtime(*explicit_mtime_));
  } else {
    RemoveHeader(&meta.headers, kMtimeHeader);
  }
  return meta;
}

int FileState::BeginFresh() {
  std::lock_guard io(io_mu_);
  return BeginFreshLocked();
}

int FileState::BeginFreshLocked() {
  std::unique_ptr<StreamingFile> fresh;
  if (int err = StreamingFile::Start(&env_, CommitMeta(), &fresh); err != 0) return err;
  Become(std::move(fresh));
  std::lock_guard lock(mu_);
  size_ = 0;
  pending_ = true;
  headers_changed_ = false;
  explicit_mtime_.reset();
  return 0;
}

int FileState::ToStaged() {
  if (staged()) return 0;
  std::unique_ptr<StagedFile> next;
  if (StreamingFile* from = streaming()) {
    if (int err = from->Stage(&next); err != 0) return err;
  } else {
    if (int err = clean()->Stage(version(), size(), &next); err != 0) return err;
    SetSize(next->size());
  }
  Become(std::move(next));
  return 0;
}

template <typename Change>
int FileState::ChangeStaged(Change change) {
  const bool was_clean = clean() != nullptr;
  if (int err = ToStaged(); err != 0) return err;
  int err = change(*staged());
  if (err != 0 && was_clean) {
    // A failed change is not published: the file stays clean, and what was staged for it (the
    // copy, or the version downloaded) is kept for the next change as the clean file's copy.
    auto& content = std::get<std::unique_ptr<StagedFile>>(content_);
    Become(CleanFile(&env_, std::move(content)));
  }
  return err;
}

void FileState::ResumeStreaming() {
  std::unique_ptr<StreamingFile> next;
  if (clean()->Resume(CommitMeta(), &next) != 0) return;  // stays clean
  Become(std::move(next));
  std::lock_guard lock(mu_);
  pending_ = true;
  headers_changed_ = false;
}

int FileState::Write(uint64_t offset, const char* data, size_t n) {
  std::lock_guard io(io_mu_);
  // Appending to a clean local copy (e.g. dd and shell redirections: open, dup2, close --
  // that close publishes the new, empty file): stream again rather than stage.
  if (CleanFile* from = clean();
      from && from->WholeLocalCopy() && offset == from->size() && !Discarded()) {
    ResumeStreaming();
  }
  if (StreamingFile* content = streaming()) {
    int err = 0;
    if (content->Append(offset, data, n, &err)) {
      if (err == 0) return 0;
      // The put failed; the tee and the spill kept every byte: go on from them.
      return ToStaged() == 0 ? 0 : err;
    }
    // Not sequential (or the put failed): continue from the tee and the spill.
  }
  return ChangeStaged([&](StagedFile& content) { return content.Write(offset, data, n); });
}

int FileState::Truncate(uint64_t size) {
  std::lock_guard io(io_mu_);
  StreamingFile* streamed = streaming();
  if (streamed && size == streamed->size()) return 0;
  if (size == 0 && !Discarded()) return BeginFreshLocked();
  if (streamed && streamed->Extend(size)) return 0;
  return ChangeStaged([&](StagedFile& content) { return content.Truncate(size); });
}

int FileState::Read(uint64_t offset, char* buf, size_t n, size_t* got, bool* served) {
  std::lock_guard io(io_mu_);
  *got = 0;
  *served = true;
  if (CleanFile* content = clean()) {
    // Without a local copy the committed version is read from the store by the caller.
    if (!content->has_copy()) {
      *served = false;
      return 0;
    }
    if (offset >= content->size()) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, content->size() - offset));
    if (int err = content->Read(offset, buf, n); err != 0) return err;
    *got = n;
    return 0;
  }
  if (StreamingFile* content = streaming()) {
    content->Drain();
    if (offset >= content->size()) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, content->size() - offset));
    if (content->TeeHolds(offset, n)) {
      if (int err = content->ReadTee(offset, buf, n); err != 0) return err;
      *got = n;
      return 0;
    }
    // The bytes went to NATS: make them readable (the upload restarts at commit).
    if (int err = ToStaged(); err != 0) return err;
  }
  StagedFile* content = staged();
  if (offset >= content->size()) return 0;
  n = static_cast<size_t>(std::min<uint64_t>(n, content->size() - offset));
  if (int err = content->Read(offset, buf, n); err != 0) return err;
  *got = n;
  return 0;
}

int FileState::Commit(std::optional<ObjectInfo>* committed) {
  std::lock_guard io(io_mu_);
  if (Discarded()) return 0;
  // natss3fs is stopping: a file whose close races with the stop is not published either.
  if (Stopping() && pending()) return EIO;
  std::optional<ObjectInfo> info;
  int update_err = 0;  // the data is published; the attributes or the rename failed
  if (StreamingFile* content = streaming()) {
    Result<ObjectInfo> result = content->Commit();
    if (!result.ok()) {
      int err = ErrnoFor(result.status(), OpKind::kWrite);
      if (ToStaged() != 0) {
        // Nothing left to retry from: the file is back to its committed version.
        DropContent();
        std::lock_guard lock(mu_);
        pending_ = false;
      }
      return err;  // else retried from the staged copy by the next flush
    }
    if (content->HasWholeTee()) {
      // Keeps serving reads from the local copy.
      auto copy = std::make_unique<StagedFile>(&env_, content->size());
      copy->AdoptLocal(content->TakeTee(), content->size());
      Become(CleanFile(&env_, std::move(copy)));
    } else {
      DropContent();
    }
    info = std::move(result).value();
    update_err = UpdateCommitted(&*info);
  } else if (StagedFile* content = staged()) {
    if (int err = content->Upload(CommitMeta(), &info); err != 0) return err;
    if (content->has_base()) {
      DropContent();  // the local file holds only the changes: read the new version
    } else {
      // The whole content is local: it keeps serving reads, as the clean file's copy.
      auto& uploaded = std::get<std::unique_ptr<StagedFile>>(content_);
      Become(CleanFile(&env_, std::move(uploaded)));
    }
  } else {
    return 0;  // clean: nothing to publish
  }
  // Reads of this file now come from the new version: hold it instead of the old one (whose
  // chunks the commit released; readers still on it hold it themselves).
  std::shared_ptr<void> hold = env_.store->HoldVersion(*info);
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
  auto updated = env_.store->ModifyMeta(env_.bucket, info->name(), mutate, options);
  // Replaced or deleted by another client since the commit: last writer wins.
  if (replaced || updated.status().code() == Code::kNotFound) return 0;
  if (!updated.ok()) return ErrnoFor(updated.status(), OpKind::kWrite);
  *info = std::move(updated).value();
  return 0;
}

void FileState::Discard() {
  std::lock_guard io(io_mu_);
  {
    std::lock_guard lock(mu_);
    discarded_ = true;
    exists_ = false;
  }
  // POSIX keeps an unlinked file's data until its last close: the put is dropped, the bytes
  // written so far stay readable from the tee and the spill (now a staged file).
  StreamingFile* content = streaming();
  if (!content) return;
  content->Drain();
  if (ToStaged() != 0) {
    // Not all of it is left (the cache was full and the spill failed): back to the last
    // committed version, as if the unpublished writes never happened.
    DropContent();
    std::lock_guard lock(mu_);
    size_ = version_ ? version_->size : 0;
  }
}

void FileState::Abandon() {
  std::lock_guard io(io_mu_);
  std::string key;
  {
    std::lock_guard lock(mu_);
    if (discarded_ || !pending_) return;
    discarded_ = true;
    key = key_;
  }
  if (StreamingFile* streamed = streaming()) {
    streamed->Abandon(key);
  } else if (StagedFile* changed = staged()) {
    changed->Abandon(key);
  } else {
    StagingFile(&env_).KeepUnpublished(key, 0, /*in_order=*/false);  // says nothing was kept
  }
  DropContent();
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

void FileState::SetSize(uint64_t size) {
  std::lock_guard lock(mu_);
  size_ = size;
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
