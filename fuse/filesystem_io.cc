// Filesystem: open files, reads (streamed or positional), writes, commit on close, setattr.
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "attrs.h"
#include "errno_map.h"
#include "fs_internal.h"
#include "shown_names.h"

namespace natss3::fs {
namespace {

constexpr size_t kMaxPooledReaders = 4;

}  // namespace

std::shared_ptr<Filesystem::Handle> Filesystem::GetHandle(uint64_t fh) {
  std::lock_guard lock(mu_);
  auto it = handles_.find(fh);
  return it == handles_.end() ? nullptr : it->second;
}

int Filesystem::AttachFile(uint64_t ino, const InodeInfo& info,
                           std::shared_ptr<FileState>* state) {
  {
    std::lock_guard lock(mu_);
    if (auto it = files_.find(ino); it != files_.end()) {
      it->second.handles++;
      *state = it->second.state;
      return 0;
    }
  }
  Resolved r;
  int err = Resolve(info.bucket, info.path, &r);
  if (err != 0 && err != ENOENT) return err;
  if (err == 0 && r.is_dir) return EISDIR;
  std::optional<ObjectInfo> version;
  if (err == 0) {
    // The whole record (the index lacks the chunk count): every read of this open file goes
    // to this version by its info, and it is held until the last close (file_state.h).
    auto current = CurrentVersion(info.bucket, info.path);
    if (!current.ok() && current.status().code() != Code::kNotFound) {
      return ErrnoFor(current.status(), OpKind::kRead);
    }
    if (current.ok()) version = std::move(current).value();
  }
  auto fresh = std::make_shared<FileState>(store_.get(), info.bucket, info.path, &options_,
                                           &budget_, &stopping_uploads_);
  fresh->InitExisting(std::move(version), std::move(r.headers));
  std::lock_guard lock(mu_);
  auto [it, inserted] = files_.emplace(ino, OpenFile{fresh, 0});
  it->second.handles++;
  *state = it->second.state;
  return 0;
}

Result<ObjectInfo> Filesystem::CurrentVersion(const std::string& bucket,
                                              const std::string& path) {
  NATSS3_ASSIGN_OR_RETURN(ObjectInfo info, store_->GetInfo(bucket, path));
  if (!info.is_link()) return info;
  const ObjectLink& link = *info.meta.link;
  if (link.is_bucket_link()) return NotFound("a bucket link is not a file");
  NATSS3_ASSIGN_OR_RETURN(ObjectInfo target,
                          store_->GetInfo(link.bucket.empty() ? bucket : link.bucket, link.name));
  if (target.is_link()) return NotFound("a link to a link is not a file");
  return target;
}

void Filesystem::DetachFile(uint64_t ino) {
  std::shared_ptr<FileState> last;  // destroyed outside mu_
  std::lock_guard lock(mu_);
  auto it = files_.find(ino);
  if (it == files_.end() || --it->second.handles > 0) return;
  last = std::move(it->second.state);
  files_.erase(it);
}

int Filesystem::CommitFile(FileState& state) {
  std::optional<ObjectInfo> info;  // listed at once when set (the store's read-your-writes)
  return state.Commit(&info);
}

namespace {
// A file whose version object lock protects cannot be changed: refuse at open and truncate
// (EPERM, as for an immutable file) rather than at close, when the core refuses the commit.
int LockedErrno(const FileState& state) {
  auto version = state.version();
  if (!version) return 0;
  TimePoint now = std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now());
  Status may = CheckMayDestroy(*version, now, /*bypass_governance=*/false);
  return may.ok() ? 0 : ErrnoFor(may, OpKind::kWrite);
}
}  // namespace

int Filesystem::Open(uint64_t ino, int flags, OpenOut* out) {
  auto info = inodes_.Get(ino);
  if (!info) return ENOENT;
  if (info->is_dir) return EISDIR;
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  if (writable) {
    if (int err = CheckWritable(info->bucket); err != 0) return err;
  }
  auto handle = std::make_shared<Handle>();
  handle->ino = ino;
  handle->bucket = info->bucket;
  handle->flags = flags;
  handle->writable = writable;
  handle->max_size = writable ? MaxFileSize(info->bucket) : 0;
  handle->stream.Attach(&active_streams_);
  if (int err = AttachFile(ino, *info, &handle->state); err != 0) return err;
  if (!handle->state->exists() && !handle->state->pending()) {
    DetachFile(ino);
    return ENOENT;
  }
  if (writable) {
    if (int err = LockedErrno(*handle->state); err != 0) {
      DetachFile(ino);
      return err;
    }
  }
  if (writable && (flags & O_TRUNC)) {
    if (int err = handle->state->Truncate(0); err != 0) {
      DetachFile(ino);
      return err;
    }
  }
  out->keep_cache = false;
  if (!handle->state->pending()) {
    // The revision of the content this open reads (the held version, a link's target), not
    // the name's latest: pages cached from a held older version must not be kept for a newer.
    if (auto version = handle->state->version()) {
      out->keep_cache = inodes_.SwapRevision(ino, version->revision) == version->revision;
    }
  }
  std::lock_guard lock(mu_);
  out->fh = next_fh_++;
  handles_[out->fh] = std::move(handle);
  return 0;
}

Headers Filesystem::NewHeaders(uint32_t mode, bool is_dir, const Caller& caller) const {
  Headers headers;
  uint32_t type = is_dir ? S_IFDIR : S_IFREG;
  SetHeader(&headers, kModeHeader, std::to_string((mode & WritableModeBits(options_)) | type));
  if (options_.trust_metadata_owner) {
    // Shown owners come from these headers: without them the file would belong to the
    // mount's uid, maybe root, with whatever setuid bit its creator gave it.
    SetHeader(&headers, kUidHeader, std::to_string(caller.uid));
    SetHeader(&headers, kGidHeader, std::to_string(caller.gid));
  }
  return headers;
}

int Filesystem::Create(uint64_t parent, std::string_view name, uint32_t mode, int flags,
                       Attr* attr, OpenOut* out, const Caller& caller) {
  if (options_.read_only) return EROFS;
  InodeInfo dir;
  std::string path;
  if (int err = ParentPath(parent, name, &dir, &path); err != 0) return err;
  if (dir.bucket.empty()) return EPERM;  // only buckets (mkdir) live at the root
  if (path.back() == '/') return EINVAL;  // "%" (empty) names only a directory
  if (int err = CheckWritable(dir.bucket); err != 0) return err;
  Resolved r;
  int err = Resolve(dir.bucket, path, &r);
  if (err == 0 && r.is_dir) return EISDIR;
  if (err == 0 && (flags & O_EXCL)) return EEXIST;
  if (err != 0 && err != ENOENT) return err;
  const bool existed = err == 0;
  const uint64_t ino = inodes_.Acquire(dir.bucket, path, false, 1);
  if (!existed) {
    // Register the state with the creation mode before anyone can open it.
    std::shared_ptr<FileState> state;
    if (int e = AttachFile(ino, InodeInfo{ino, dir.bucket, path, false, false}, &state);
        e != 0) {
      inodes_.Forget(ino, 1);
      return e;
    }
    state->InitExisting(std::nullopt, NewHeaders(mode, false, caller));
    int begin = state->BeginFresh();
    if (begin == 0) begin = Open(ino, (flags & ~O_TRUNC), out);
    DetachFile(ino);
    if (begin != 0) {
      inodes_.Forget(ino, 1);
      return begin;
    }
  } else if (int e = Open(ino, flags, out); e != 0) {
    inodes_.Forget(ino, 1);
    return e;
  }
  return GetAttr(ino, attr);
}

int Filesystem::ReadStore(Handle& handle, uint64_t offset, size_t size, char* buf,
                          size_t* got) {
  // The version the file shows, by its info: never a lookup of the name, which may have been
  // unlinked or renamed over since (the open file keeps its data, like a local file).
  const std::optional<ObjectInfo> version = handle.state->version();
  *got = 0;
  if (!version) return EIO;  // nothing committed and nothing staged is left
  ReadOptions read_options;
  read_options.idle_timeout = std::chrono::milliseconds(options_.read_idle_timeout_ms);
  read_options.window = options_.read_window;
  bool sequential;
  {
    std::lock_guard lock(handle.mu);
    sequential = offset == handle.next_offset || handle.stream.Near(offset);
    handle.next_offset = offset + size;
  }
  if (sequential) {
    auto open = [&](uint64_t from, std::unique_ptr<ObjectReader>* out) {
      ReadOptions options = read_options;
      options.offset = from;
      options.window = std::clamp(kReadBudgetChunks / (active_streams_.load() + 1),
                                  options_.read_window,
                                  std::max(options_.read_window, options_.read_window_max));
      options.verify_digest = from == 0;  // a whole-object read checks the SHA-256 at the end
      auto opened = store_->OpenInfo(*version, options);
      if (!opened.ok()) return ErrnoFor(opened.status(), OpKind::kRead);
      *out = std::move(opened).value();
      return 0;
    };
    int err = handle.stream.Read(offset, buf, size, got, open);
    if (err != ReadStream::kBehind) return err;
  }
  // Positional: the rest of the request, on a pooled reader.
  std::unique_ptr<ObjectReader> reader;
  {
    std::lock_guard lock(handle.mu);
    if (!handle.pool.empty()) {
      reader = std::move(handle.pool.back());
      handle.pool.pop_back();
    }
  }
  int err = 0;
  if (!reader) {
    read_options.verify_digest = false;
    auto opened = store_->OpenInfo(*version, read_options);
    if (!opened.ok()) return ErrnoFor(opened.status(), OpKind::kRead);
    reader = std::move(opened).value();
  }
  while (err == 0 && *got < size) {
    auto n = reader->ReadAt(offset + *got, buf + *got, size - *got);
    if (!n.ok()) err = ErrnoFor(n.status(), OpKind::kRead);
    else if (*n == 0) break;
    else *got += *n;
  }
  if (err != 0) return err;
  std::lock_guard lock(handle.mu);
  if (handle.pool.size() < kMaxPooledReaders) handle.pool.push_back(std::move(reader));
  return 0;
}

int Filesystem::Read(uint64_t fh, uint64_t offset, size_t size, char* buf, size_t* got) {
  auto handle = GetHandle(fh);
  if (!handle) return EBADF;
  bool served = false;
  if (int err = handle->state->Read(offset, buf, size, got, &served); err != 0 || served) {
    return err;
  }
  return ReadStore(*handle, offset, size, buf, got);
}

int Filesystem::Write(uint64_t fh, uint64_t offset, const char* data, size_t size) {
  auto handle = GetHandle(fh);
  if (!handle || !handle->writable) return EBADF;
  // Past the limit nothing is written, at once: no upload that must fail later (ENOSPC after
  // the bucket filled up), no hole streamed as zeros.
  if (offset > handle->max_size || size > handle->max_size - offset) return EFBIG;
  return handle->state->Write(offset, data, size);
}

// close() waits for FLUSH, not for RELEASE (the kernel sends that one later), so a close that
// publishes does it here. Whatever the handle's access mode, pending data with no other handle
// to publish it later is published: a file created with O_RDONLY | O_CREAT (flock(1), lock
// files) has only a read-only handle.
bool Filesystem::PublishesAtClose(uint64_t fh, const Handle& handle) {
  return handle.writable || (handle.state->pending() && !OtherHandles(handle.ino, false, fh));
}

int Filesystem::Flush(uint64_t fh) {
  auto handle = GetHandle(fh);
  if (!handle) return EBADF;
  return PublishesAtClose(fh, *handle) ? CommitFile(*handle->state) : 0;
}

int Filesystem::Fsync(uint64_t fh) { return Flush(fh); }

int Filesystem::Release(uint64_t fh) {
  std::shared_ptr<Handle> handle;
  {
    std::lock_guard lock(mu_);
    auto it = handles_.find(fh);
    if (it == handles_.end()) return EBADF;
    handle = std::move(it->second);
    handles_.erase(it);
  }
  int err = PublishesAtClose(fh, *handle) ? CommitFile(*handle->state) : 0;
  DetachFile(handle->ino);
  return err;
}

int Filesystem::UpdateAttrs(const InodeInfo& info, const SetAttrIn& in) {
  if (info.path.empty()) return 0;  // bucket roots keep no attributes
  const std::string key = info.is_dir ? DirPrefix(info.path) : info.path;
  bool link = false;
  // Edits the record current at the write (re-run if it changes meanwhile): only the headers
  // of `in` change; data, the MD5 header and other clients' headers stay as they are.
  auto mutate = [&](ObjectInfo& current) -> Status {
    if (current.is_link()) {
      link = true;
      return FailedPrecondition("a link keeps no attributes");
    }
    if (!GetHeader(current.meta.headers, kMtimeHeader)) {
      // A meta write restamps the object: keep its mtime visible.
      SetHeader(&current.meta.headers, kMtimeHeader, FormatMtime(ToTimespec(current.mtime)));
    }
    ApplySetAttr(in, info.is_dir, &current.meta.headers);
    return Status::OK();
  };
  auto updated = store_->ModifyMeta(info.bucket, key, mutate);
  if (link) return EPERM;
  if (!updated.ok() && updated.status().code() == Code::kNotFound && info.is_dir) {
    ObjectMeta marker;  // an implied directory gets a marker to hold its attributes
    marker.name = key;
    ApplySetAttr(in, true, &marker.headers);
    updated = store_->PutBytes(info.bucket, marker, "");
  }
  if (!updated.ok()) return ErrnoFor(updated.status(), OpKind::kWrite);
  return 0;
}

int Filesystem::SetAttr(uint64_t ino, const SetAttrIn& request, Attr* out,
                        const Caller& caller) {
  auto info = inodes_.Get(ino);
  if (!info) return ENOENT;
  if (int err = CheckWritable(info->bucket); err != 0) return err;
  SetAttrIn in = request;
  if (in.mode) {
    *in.mode &= WritableModeBits(options_);
    // The kernel checks this with default_permissions; without it natss3fs still never
    // records a setuid or setgid bit for a file its writer does not own.
    if ((*in.mode & (S_ISUID | S_ISGID)) && caller.uid != 0) {
      Attr now;
      uint32_t owner = in.uid ? *in.uid : (GetAttr(ino, &now) == 0 ? now.uid : ~0u);
      if (owner != caller.uid) *in.mode &= ~static_cast<uint32_t>(S_ISUID | S_ISGID);
    }
  }
  if (info->is_dir && in.size) return EISDIR;
  const bool attrs = in.mode || in.uid || in.gid || in.mtime;
  if (info->is_dir) {
    if (attrs) {
      if (int err = UpdateAttrs(*info, in); err != 0) return err;
    }
    return GetAttr(ino, out);
  }
  if (in.size && *in.size > MaxFileSize(info->bucket)) return EFBIG;  // see Write
  if (!in.size && !OpenState(ino)) {
    // Not open here: only the record changes (no state, no lookup of the whole record).
    if (info->orphan) return ENOENT;
    if (attrs) {
      if (int err = UpdateAttrs(*info, in); err != 0) return err;
    }
    return GetAttr(ino, out);
  }
  std::shared_ptr<FileState> state;
  if (int err = AttachFile(ino, *info, &state); err != 0) return err;
  int err = 0;
  if (in.size) err = LockedErrno(*state);
  if (in.size && err == 0) {
    err = state->Truncate(*in.size);
    // Without a writable handle open nobody will publish it at close: publish now.
    if (err == 0 && !OtherHandles(ino, true, 0)) err = CommitFile(*state);
  }
  if (err == 0 && attrs) {
    if (!state->pending() && state->exists()) err = UpdateAttrs(*info, in);
    if (err == 0) state->ApplyAttrs(in);
  }
  DetachFile(ino);
  if (err != 0) return err;
  return GetAttr(ino, out);
}

bool Filesystem::OtherHandles(uint64_t ino, bool writable_only, uint64_t except_fh) {
  std::lock_guard lock(mu_);
  for (const auto& [fh, handle] : handles_) {
    if (fh != except_fh && handle->ino == ino && (handle->writable || !writable_only)) return true;
  }
  return false;
}

int Filesystem::Mknod(uint64_t parent, std::string_view name, uint32_t mode, Attr* out,
                      const Caller& caller) {
  if (!S_ISREG(mode)) return EPERM;  // no device, FIFO or socket objects
  OpenOut open;
  if (int err = Create(parent, name, mode, O_WRONLY | O_EXCL, out, &open, caller); err != 0) {
    return err;
  }
  return Release(open.fh);
}

}  // namespace natss3::fs
