// Filesystem: namespace changes -- mkdir, rmdir, unlink and metadata-only rename.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "attrs.h"
#include "errno_map.h"
#include "fs_internal.h"
#include "natss3/names.h"
#include "shown_names.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace natss3::fs {

int Filesystem::Mkdir(uint64_t parent, std::string_view name, uint32_t mode, Attr* out,
                      const Caller& caller) {
  if (options_.read_only) return EROFS;
  InodeInfo dir;
  std::string path;
  if (int err = ParentPath(parent, name, &dir, &path); err != 0) return err;
  Resolved r;
  if (dir.bucket.empty()) {
    if (!ValidateBucketName(path).ok()) return EINVAL;
    if (CheckBucket(path, &r) == 0) return EEXIST;
    BucketConfig config;
    config.bucket = path;
    auto created = store_->CreateBucket(config);
    if (!created.ok()) return ErrnoFor(created.status(), OpKind::kMkdir);
    r.is_dir = true;
    r.mtime = created->created;
    *out = AttrOf(inodes_.Acquire(path, "", true, 1), r);
    return 0;
  }
  int err = Resolve(dir.bucket, path, &r);
  if (err == 0) return EEXIST;
  if (int e = CheckWritable(dir.bucket); e != 0) return e;
  if (err != ENOENT) return err;
  ObjectMeta marker;
  marker.name = DirPrefix(path);
  marker.headers = NewHeaders(mode, true, caller);
  auto put = store_->PutBytes(dir.bucket, marker, "");
  if (!put.ok()) return ErrnoFor(put.status(), OpKind::kMkdir);
  r = Resolved{true, 0, put->meta.headers, put->mtime};
  *out = AttrOf(inodes_.Acquire(dir.bucket, path, true, 1), r);
  return 0;
}

int Filesystem::Unlink(uint64_t parent, std::string_view name) {
  if (options_.read_only) return EROFS;
  InodeInfo dir;
  std::string path;
  if (int err = ParentPath(parent, name, &dir, &path); err != 0) {
    return err == EINVAL ? ENOENT : err;
  }
  if (dir.bucket.empty()) return EISDIR;
  if (int err = CheckWritable(dir.bucket); err != 0) return err;
  Resolved r;
  if (int err = Resolve(dir.bucket, path, &r); err != 0) return err;
  if (r.is_dir) return EISDIR;
  std::shared_ptr<FileState> state;
  if (auto ino = inodes_.Find(dir.bucket, path)) state = OpenState(*ino);
  auto index = IndexFor(dir.bucket);
  if (!index.ok()) return ErrnoFor(index.status(), OpKind::kNamespace);
  if ((*index)->Lookup(path)) {  // gone from the listing when Delete returns
    Status st = store_->Delete(dir.bucket, path);
    if (!st.ok() && st.code() != Code::kNotFound) return ErrnoFor(st, OpKind::kNamespace);
  }
  if (state) state->Discard();
  inodes_.Orphan(dir.bucket, path);
  return 0;
}

int Filesystem::Rmdir(uint64_t parent, std::string_view name) {
  if (options_.read_only) return EROFS;
  InodeInfo dir;
  std::string path;
  if (int err = ParentPath(parent, name, &dir, &path); err != 0) {
    return err == EINVAL ? ENOENT : err;
  }
  const std::string bucket = dir.bucket.empty() ? path : dir.bucket;
  const std::string prefix = dir.bucket.empty() ? "" : DirPrefix(path);
  Resolved r;
  if (dir.bucket.empty()) {
    if (int err = CheckBucket(bucket, &r); err != 0) return err;
  } else if (int err = Resolve(bucket, path, &r); err != 0) {
    // A directory implied only by object names vanishes with its last object, so after `rm -r`
    // unlinked its files the directory the kernel still holds is already gone: that is success.
    auto ino = inodes_.Find(bucket, path);
    auto known = ino ? inodes_.Get(*ino) : std::nullopt;
    if (err != ENOENT || !known || !known->is_dir) return err;
    inodes_.Orphan(bucket, path);
    return 0;
  } else if (!r.is_dir) {
    return ENOTDIR;
  }
  auto index = IndexFor(bucket);
  if (!index.ok()) return ErrnoFor(index.status(), OpKind::kRmdir);
  ListingIndex::Query query;
  query.prefix = prefix;
  query.max_entries = 16;
  bool has_marker = false;
  for (const auto& entry : (*index)->List(query).entries) {
    if (entry.name != prefix) return ENOTEMPTY;
    has_marker = true;
  }
  std::vector<std::pair<uint64_t, std::shared_ptr<FileState>>> open;
  {
    std::lock_guard lock(mu_);
    for (auto& [ino, file] : files_) open.emplace_back(ino, file.state);
  }
  for (auto& [ino, state] : open) {
    if (state->pending() && state->key().compare(0, prefix.size(), prefix) == 0 &&
        inodes_.Get(ino).value_or(InodeInfo{}).bucket == bucket) {
      return ENOTEMPTY;
    }
  }
  if (dir.bucket.empty()) {
    Status st = store_->DeleteBucket(bucket);
    if (!st.ok()) return ErrnoFor(st, OpKind::kRmdir);
    std::optional<IndexSlot> slot;
    {
      std::lock_guard lock(mu_);
      if (auto it = indexes_.find(bucket); it != indexes_.end()) {
        slot = std::move(it->second);
        indexes_.erase(it);
      }
    }
    if (slot) slot->index->RemoveListener(slot->listener);
  } else if (has_marker) {
    Status st = store_->Delete(bucket, prefix);
    if (!st.ok() && st.code() != Code::kNotFound) return ErrnoFor(st, OpKind::kRmdir);
  }
  inodes_.Orphan(bucket, dir.bucket.empty() ? "" : path);
  return 0;
}

int Filesystem::RenameObject(const std::string& bucket, const std::string& from,
                             const std::string& to, bool replace) {
  // Renames the record current at the write (re-run if it changes meanwhile), so a version
  // written just before is what moves, with its own headers.
  auto mutate = [&](ObjectInfo& current) -> Status {
    if (!GetHeader(current.meta.headers, kMtimeHeader)) {
      // A meta write restamps the object: keep its mtime visible.
      SetHeader(&current.meta.headers, kMtimeHeader, FormatMtime(ToTimespec(current.mtime)));
    }
    current.meta.name = to;
    return Status::OK();
  };
  ModifyOptions options;
  options.replace_target = replace;  // POSIX rename: the target is replaced in the same step
  auto renamed = store_->ModifyMeta(bucket, from, mutate, options);
  if (!renamed.ok()) return ErrnoFor(renamed.status(), OpKind::kNamespace);
  return 0;
}

int Filesystem::RenameDir(const std::string& bucket, const std::string& from,
                          const std::string& to) {
  auto index = IndexFor(bucket);
  if (!index.ok()) return ErrnoFor(index.status(), OpKind::kNamespace);
  const std::string from_prefix = DirPrefix(from), to_prefix = DirPrefix(to);
  ListingIndex::Query query;
  query.prefix = from_prefix;
  query.max_entries = 10000;
  std::vector<std::string> names;
  for (;;) {
    auto page = (*index)->List(query);
    for (const auto& entry : page.entries) {
      names.push_back(entry.name);
    }
    if (!page.truncated) break;
    query.start_after = page.next_start_after;
  }
  for (const auto& name : names) {
    // Not atomic: a failure leaves the objects moved so far under the new name.
    // The target directory is new or was empty: a name there now is someone else's.
    if (int err = RenameObject(bucket, name, to_prefix + name.substr(from_prefix.size()), false);
        err != 0) {
      return err;
    }
  }
  std::vector<std::shared_ptr<FileState>> open;
  {
    std::lock_guard lock(mu_);
    for (auto& [ino, file] : files_) open.push_back(file.state);
  }
  for (auto& state : open) {
    std::string key = state->key();
    if (key.compare(0, from_prefix.size(), from_prefix) == 0) {
      state->Rename(to_prefix + key.substr(from_prefix.size()));
    }
  }
  return 0;
}

int Filesystem::Rename(uint64_t parent, std::string_view name, uint64_t new_parent,
                       std::string_view new_name, unsigned int flags) {
  if (options_.read_only) return EROFS;
  if (flags & RENAME_EXCHANGE) return EINVAL;
  InodeInfo src_dir, dst_dir;
  std::string from, to;
  if (int err = ParentPath(parent, name, &src_dir, &from); err != 0) return err;
  if (int err = ParentPath(new_parent, new_name, &dst_dir, &to); err != 0) return err;
  if (src_dir.bucket.empty() || dst_dir.bucket.empty()) return EXDEV;  // buckets cannot move
  if (src_dir.bucket != dst_dir.bucket) return EXDEV;
  const std::string& bucket = src_dir.bucket;
  if (int err = CheckWritable(bucket); err != 0) return err;
  if (from == to) return 0;
  if (to.compare(0, DirPrefix(from).size(), DirPrefix(from)) == 0) return EINVAL;  // into itself
  Resolved src, dst;
  if (int err = Resolve(bucket, from, &src); err != 0) return err;
  if (!src.is_dir && to.back() == '/') return EINVAL;  // "%" (empty) names only a directory
  int dst_err = Resolve(bucket, to, &dst);
  if (dst_err != 0 && dst_err != ENOENT) return dst_err;
  const bool dst_exists = dst_err == 0;
  if (dst_exists && (flags & RENAME_NOREPLACE)) return EEXIST;
  if (src.is_dir) {
    if (dst_exists) {
      if (!dst.is_dir) return ENOTDIR;
      if (int err = Rmdir(new_parent, new_name); err != 0) return err;
    }
    if (int err = RenameDir(bucket, from, to); err != 0) return err;
    inodes_.Move(bucket, from, to);
    return 0;
  }
  if (dst_exists && dst.is_dir) return EISDIR;
  // The replaced file, if open here, becomes an unlinked open file: its handles keep reading
  // it, and unpublished writes to it must never land on the name the renamed file now holds.
  if (auto dst_ino = inodes_.Find(bucket, to)) {
    if (auto replaced = OpenState(*dst_ino)) replaced->Discard();
  }
  std::shared_ptr<FileState> state;
  if (auto ino = inodes_.Find(bucket, from)) state = OpenState(*ino);
  if (state && state->pending() && !state->exists()) {
    // Not in the store yet: the commit will use the new name and replace the target then
    // (until then the target's old version stays in the store; the mount shows this file).
    state->Rename(to);
  } else {
    if (int err = RenameObject(bucket, from, to, (flags & RENAME_NOREPLACE) == 0); err != 0) {
      return err;
    }
    if (state) state->Rename(to);
  }
  inodes_.Move(bucket, from, to);
  return 0;
}

}  // namespace natss3::fs
