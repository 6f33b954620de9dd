// Filesystem: lookup, attributes, directory listing, statfs and kernel cache invalidation.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "attrs.h"
#include "errno_map.h"
#include "fs_internal.h"
#include "natss3/names.h"
#include "shown_names.h"

namespace natss3::fs {

Filesystem::Filesystem(std::shared_ptr<ObjectStore> store, FsOptions options)
    : store_(std::move(store)), options_(std::move(options)),
      mount_time_(Clock::now()), inodes_(options_.bucket), budget_(options_.cache_limit) {
  notify_thread_ = std::thread([this] { NotifyLoop(); });
  if (!options_.bucket.empty()) {
    // Load the bucket's listing index now rather than on the first lookup (a bucket of 100k
    // objects takes seconds to load).
    preload_thread_ = std::thread([this] { (void)IndexFor(options_.bucket); });
  }
}

Filesystem::~Filesystem() { Shutdown(); }

void Filesystem::SetNotifier(Notifier* notifier) {
  std::lock_guard lock(notify_mu_);
  notifier_ = notifier;
}

void Filesystem::Stop() { stopping_uploads_.store(true); }

void Filesystem::Shutdown() {
  Stop();
  if (preload_thread_.joinable()) preload_thread_.join();  // before indexes_ is emptied
  std::vector<std::pair<std::string, std::shared_ptr<FileState>>> open;
  std::map<std::string, IndexSlot> indexes;
  {
    std::lock_guard lock(mu_);
    for (auto& [ino, file] : files_) {
      if (auto info = inodes_.Get(ino)) open.emplace_back(info->bucket, file.state);
    }
    indexes.swap(indexes_);
  }
  // Files the application has not closed are not published: it never said they were done
  // (a half-written file must not replace the previous version).
  for (auto& [bucket, state] : open) state->Abandon();
  for (auto& [bucket, slot] : indexes) slot.index->RemoveListener(slot.listener);
  {
    std::lock_guard lock(notify_mu_);
    stopping_ = true;
    notifier_ = nullptr;
  }
  notify_cv_.notify_all();
  if (notify_thread_.joinable() && notify_thread_.get_id() != std::this_thread::get_id()) {
    notify_thread_.join();
  }
}

Result<std::shared_ptr<ListingIndex>> Filesystem::IndexFor(const std::string& bucket) {
  {
    std::lock_guard lock(mu_);
    if (auto it = indexes_.find(bucket); it != indexes_.end()) return it->second.index;
  }
  NATSS3_ASSIGN_OR_RETURN(auto index, store_->Index(bucket));
  int listener = index->AddListener([this, bucket](const ObjectInfo& info) {
    OnChange(bucket, info);
  });
  std::lock_guard lock(mu_);
  auto [it, inserted] = indexes_.emplace(bucket, IndexSlot{index, listener});
  if (!inserted) index->RemoveListener(listener);  // lost a race; RemoveListener is a leaf
  return it->second.index;
}

int Filesystem::Facts(const std::string& bucket, BucketFacts* out) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = bucket_facts_.find(bucket);
    if (it != bucket_facts_.end() && now - it->second.checked < std::chrono::seconds(2)) {
      *out = it->second;
      return 0;
    }
  }
  auto status = store_->GetBucketStatus(bucket);
  if (!status.ok()) return ErrnoFor(status.status(), OpKind::kWrite);
  *out = BucketFacts{now, status->sealed, status->max_bytes};
  std::lock_guard lock(mu_);
  bucket_facts_[bucket] = *out;
  return 0;
}

int Filesystem::CheckWritable(const std::string& bucket) {
  if (options_.read_only) return EROFS;
  if (bucket.empty()) return 0;
  BucketFacts facts;
  if (int err = Facts(bucket, &facts); err != 0) return err;
  return facts.sealed ? EROFS : 0;
}

uint64_t Filesystem::MaxFileSize(const std::string& bucket) {
  if (options_.max_file_size > 0) return options_.max_file_size;
  std::optional<uint64_t> limit;
  BucketFacts facts;
  if (Facts(bucket, &facts) == 0 && facts.max_bytes > 0) {
    limit = static_cast<uint64_t>(facts.max_bytes);
  }
  // What the JetStream account has left, when it has a limit (asked at open for writing:
  // one request, and the figure moves with every other writer anyway).
  auto account = store_->GetAccountStorage();
  if (account.ok() && account->limit > 0) {
    uint64_t cap = static_cast<uint64_t>(account->limit);
    uint64_t left = account->used < cap ? cap - account->used : 0;
    limit = limit ? std::min(*limit, left) : left;
  }
  return limit ? *limit : kDefaultMaxFileSize;
}

std::shared_ptr<FileState> Filesystem::OpenState(uint64_t ino) {
  std::lock_guard lock(mu_);
  auto it = files_.find(ino);
  return it == files_.end() ? nullptr : it->second.state;
}

int Filesystem::CheckBucket(const std::string& bucket, Resolved* out) {
  if (!ValidateBucketName(bucket).ok()) return ENOENT;
  auto status = store_->GetBucketStatus(bucket);
  if (!status.ok()) return ErrnoFor(status.status(), OpKind::kRead);
  out->is_dir = true;
  out->mtime = status->created;
  return 0;
}

int Filesystem::ResolveDir(const std::string& bucket, const std::string& path, Resolved* out,
                           bool* exists) {
  auto index = IndexFor(bucket);
  if (!index.ok()) return ErrnoFor(index.status(), OpKind::kRead);
  *exists = false;
  out->is_dir = true;
  out->mtime = mount_time_;
  ListingIndex::Query query;
  query.prefix = DirPrefix(path);
  query.delimiter = "/";
  query.max_entries = 16;
  auto page = (*index)->List(query);
  *exists = !page.common_prefixes.empty() || !page.entries.empty();
  if (auto marker = (*index)->Lookup(query.prefix)) {
    out->headers = marker->headers;
    out->mtime = marker->mtime;
  }
  return 0;
}

int Filesystem::Resolve(const std::string& bucket, const std::string& path, Resolved* out) {
  bool is_dir = false;
  if (int err = ResolveDir(bucket, path, out, &is_dir); err != 0) return err;
  if (is_dir) return 0;
  *out = Resolved{};
  if (!path.empty() && path.back() == '/') return ENOENT;  // names only a directory
  if (auto ino = inodes_.Find(bucket, path)) {
    if (auto state = OpenState(*ino); state && (state->pending() || state->exists())) {
      out->size = state->size();
      out->headers = state->headers();
      out->mtime = Clock::now();
      if (!state->pending()) {
        auto index = IndexFor(bucket);
        if (index.ok()) {
          if (auto entry = (*index)->Lookup(path)) out->mtime = entry->mtime;
        }
      }
      return 0;
    }
  }
  auto index = IndexFor(bucket);
  if (!index.ok()) return ErrnoFor(index.status(), OpKind::kRead);
  auto entry = (*index)->Lookup(path);
  if (!entry) {
    // While the index's watch is being rebuilt (a failover) it may not know a name another
    // process wrote a moment ago: the store is asked before answering ENOENT.
    if ((*index)->ready()) return ENOENT;
    auto info = store_->GetInfo(bucket, path);
    if (!info.ok() || info->meta.link) return ENOENT;
    out->size = info->size;
    out->headers = info->meta.headers;
    out->mtime = info->mtime;
    return 0;
  }
  out->size = entry->size;
  out->headers = entry->headers;
  out->mtime = entry->mtime;
  if (entry->is_link) {
    // The index does not carry link targets: read the link record, then its target.
    auto link = store_->GetInfo(bucket, path);
    if (!link.ok()) return ErrnoFor(link.status(), OpKind::kRead);
    if (!link->meta.link || link->meta.link->is_bucket_link()) return ENOENT;
    auto target = store_->GetInfo(link->meta.link->bucket, link->meta.link->name);
    if (!target.ok()) return ErrnoFor(target.status(), OpKind::kRead);
    out->size = target->size;
  }
  return 0;
}

Attr Filesystem::AttrOf(uint64_t ino, const Resolved& r) const {
  Attr attr = MakeAttr(ino, r.is_dir, r.size, r.headers, r.mtime, options_);
  if (options_.read_only) attr.mode &= ~0222u;
  return attr;
}

int Filesystem::ParentPath(uint64_t parent, std::string_view name, InodeInfo* dir,
                           std::string* path) {
  if (name.size() > kNameMax) return ENAMETOOLONG;
  auto info = inodes_.Get(parent);
  if (!info) return ENOENT;
  if (!info->is_dir) return ENOTDIR;
  *dir = *info;
  if (dir->bucket.empty()) {
    *path = std::string(name);  // a bucket (names are checked where they matter)
  } else {
    // The mount's names are the shown spellings; any other (malformed UTF-8 from the kernel)
    // names no object, and creating it would make an object listed under another name.
    auto component = ParseShownName(name);
    if (!component) return EINVAL;
    *path = ChildPath(dir->path, *component);
  }
  if (!dir->bucket.empty() && path->size() > MaxObjectNameLength(dir->bucket)) {
    return ENAMETOOLONG;
  }
  return 0;
}

int Filesystem::Lookup(uint64_t parent, std::string_view name, Attr* out) {
  InodeInfo dir;
  std::string path;
  if (int err = ParentPath(parent, name, &dir, &path); err != 0) {
    return err == EINVAL ? ENOENT : err;
  }
  Resolved r;
  std::string bucket = dir.bucket.empty() ? path : dir.bucket;
  if (dir.bucket.empty()) {
    if (int err = CheckBucket(path, &r); err != 0) return err;
    path.clear();
  } else if (int err = Resolve(bucket, path, &r); err != 0) {
    return err;
  }
  *out = AttrOf(inodes_.Acquire(bucket, path, r.is_dir, 1), r);
  return 0;
}

void Filesystem::Forget(uint64_t ino, uint64_t lookups) { inodes_.Forget(ino, lookups); }

int Filesystem::GetAttr(uint64_t ino, Attr* out) {
  auto info = inodes_.Get(ino);
  if (!info) return ENOENT;
  Resolved r;
  r.is_dir = info->is_dir;
  r.mtime = mount_time_;
  if (info->is_dir && info->path.empty()) {
    *out = AttrOf(ino, r);
    return 0;
  }
  auto state = info->is_dir ? nullptr : OpenState(ino);
  if (info->orphan && !state) return ENOENT;
  if (state && (info->orphan || state->pending())) {
    r.size = state->size();
    r.headers = state->headers();
    r.mtime = Clock::now();
  } else if (int err = Resolve(info->bucket, info->path, &r); err != 0) {
    return err;
  } else if (r.is_dir != info->is_dir) {
    return ENOENT;
  }
  *out = AttrOf(ino, r);
  if (info->orphan) out->nlink = 0;  // unlinked (or renamed over) but still open: fstat
  return 0;
}

int Filesystem::ListDir(const InodeInfo& dir, DirHandle* handle) {
  auto& items = handle->items;
  auto dir_item = [&](std::string name, const Headers& headers, TimePoint mtime) {
    Resolved r{true, 0, {}, mtime};
    r.headers = headers;
    std::string shown = dir.bucket.empty() ? name : ShownName(name);
    return DirItem{std::move(name), std::move(shown), true, AttrOf(0, r)};
  };
  if (dir.bucket.empty()) {
    auto buckets = store_->ListBuckets();
    if (!buckets.ok()) return ErrnoFor(buckets.status(), OpKind::kRead);
    for (const auto& b : *buckets) items.push_back(dir_item(b.bucket, {}, b.created));
    return 0;
  }
  auto index = IndexFor(dir.bucket);
  if (!index.ok()) return ErrnoFor(index.status(), OpKind::kRead);
  ListingIndex::Query query;
  query.prefix = DirPrefix(dir.path);
  query.delimiter = "/";
  query.max_entries = 10000;
  std::vector<DirItem> dirs;
  for (;;) {
    auto page = (*index)->List(query);
    items.reserve(items.size() + page.entries.size());
    for (auto& entry : page.entries) {
      std::string name = entry.name.substr(query.prefix.size());
      if (name.empty()) continue;  // the directory's own marker
      std::string shown = ShownName(name);
      if (shown.size() > kNameMax) continue;
      Resolved r{false, entry.size, {}, entry.mtime};
      if (entry.is_link && Resolve(dir.bucket, entry.name, &r) != 0) continue;
      r.headers = std::move(entry.headers);
      items.push_back(DirItem{std::move(name), std::move(shown), false, AttrOf(0, r)});
    }
    for (auto& prefix : page.common_prefixes) {
      // May be empty ("a//b" holds a directory "" in "a"): shown escaped, like odd bytes.
      std::string name = prefix.substr(query.prefix.size(), prefix.size() - query.prefix.size() - 1);
      if (ShownName(name).size() > kNameMax) continue;
      auto marker = (*index)->Lookup(prefix);
      dirs.push_back(marker ? dir_item(std::move(name), marker->headers, marker->mtime)
                            : dir_item(std::move(name), {}, mount_time_));
    }
    if (!page.truncated) break;
    query.start_after = page.next_start_after;
  }
  // Files written through this mount and not committed yet. They go first, so among entries of
  // the same name the sort keeps them ahead of the index's committed entry and the unique pass
  // keeps their size: readdirplus hands it to the kernel, and a stale one would make the next
  // O_APPEND write land on bytes already appended.
  std::vector<DirItem> pending;
  std::vector<std::shared_ptr<FileState>> open;
  {
    std::lock_guard lock(mu_);
    for (auto& [ino, file] : files_) open.push_back(file.state);
  }
  for (auto& state : open) {
    std::string key = state->key();
    if (!state->pending() || key.compare(0, query.prefix.size(), query.prefix) != 0) continue;
    std::string name = key.substr(query.prefix.size());
    if (name.empty() || name.find('/') != std::string::npos) continue;
    Resolved r{false, state->size(), state->headers(), Clock::now()};
    pending.push_back(DirItem{name, ShownName(name), false, AttrOf(0, r)});
  }
  items.insert(items.begin(), std::make_move_iterator(pending.begin()),
               std::make_move_iterator(pending.end()));
  items.insert(items.end(), std::make_move_iterator(dirs.begin()),
               std::make_move_iterator(dirs.end()));
  // Directories first among equal names, so the unique pass keeps them (a dir shadows a file).
  std::stable_sort(items.begin(), items.end(), [](const DirItem& a, const DirItem& b) {
    int c = a.name.compare(b.name);
    return c != 0 ? c < 0 : (a.is_dir && !b.is_dir);
  });
  items.erase(std::unique(items.begin(), items.end(),
                          [](const DirItem& a, const DirItem& b) { return a.name == b.name; }),
              items.end());
  return 0;
}

int Filesystem::OpenDir(uint64_t ino, uint64_t* fh) {
  auto info = inodes_.Get(ino);
  if (!info) return ENOENT;
  if (!info->is_dir) return ENOTDIR;
  auto handle = std::make_shared<DirHandle>();
  handle->dir = *info;
  if (int err = ListDir(*info, handle.get()); err != 0) return err;
  std::lock_guard lock(mu_);
  *fh = next_fh_++;
  dir_handles_[*fh] = std::move(handle);
  return 0;
}

int Filesystem::ReadDir(uint64_t ino, uint64_t fh, off_t offset, bool plus,
                        const DirFiller& add) {
  std::shared_ptr<DirHandle> handle;
  {
    std::lock_guard lock(mu_);
    if (auto it = dir_handles_.find(fh); it != dir_handles_.end()) handle = it->second;
  }
  if (!handle) return EBADF;
  const auto& items = handle->items;
  const bool root = handle->dir.bucket.empty();
  DirEntryOut entry;
  for (auto pos = static_cast<size_t>(std::max<off_t>(offset, 0)); pos < items.size() + 2; ++pos) {
    entry.next_offset = static_cast<off_t>(pos + 1);
    uint64_t referenced = 0;
    if (pos < 2) {
      entry.name = pos == 0 ? "." : "..";
      entry.attr = Attr{};
      entry.attr.ino = ino;
      entry.attr.mode = S_IFDIR | 0755;
    } else {
      const DirItem& item = items[pos - 2];
      const std::string& bucket = root ? item.name : handle->dir.bucket;
      const std::string path = root ? "" : ChildPath(handle->dir.path, item.name);
      entry.name = item.shown;
      entry.attr = item.attr;
      entry.attr.ino = plus ? (referenced = inodes_.Acquire(bucket, path, item.is_dir, 1))
                            : inodes_.Find(bucket, path).value_or(~0ull);
    }
    if (!add(entry)) {
      if (referenced != 0) inodes_.Forget(referenced, 1);  // the kernel never saw it
      break;
    }
  }
  return 0;
}

void Filesystem::ReleaseDir(uint64_t fh) {
  std::lock_guard lock(mu_);
  dir_handles_.erase(fh);
}

int Filesystem::StatFs(uint64_t ino, StatFsOut* out) {
  auto info = inodes_.Get(ino);
  std::vector<BucketStatus> buckets;
  std::string bucket = info ? info->bucket : options_.bucket;
  if (bucket.empty()) {
    auto all = store_->ListBuckets();
    if (!all.ok()) return ErrnoFor(all.status(), OpKind::kRead);
    buckets = std::move(all).value();
  } else {
    auto one = store_->GetBucketStatus(bucket);
    if (!one.ok()) return ErrnoFor(one.status(), OpKind::kRead);
    buckets.push_back(std::move(one).value());
  }
  uint64_t used = 0, total = 0, objects = 0;
  bool unlimited = buckets.empty();
  for (const auto& b : buckets) {
    used += b.size;
    objects += b.messages;
    if (b.max_bytes > 0) total += static_cast<uint64_t>(b.max_bytes);
    else unlimited = true;
  }
  if (unlimited) total = used + (1ull << 50);  // no limit: report 1 PiB free
  total = std::max(total, used);
  out->blocks = total / out->block_size;
  out->blocks_free = (total - used) / out->block_size;
  out->files = objects + (1ull << 32);
  out->files_free = 1ull << 32;
  return 0;
}

void Filesystem::OnChange(const std::string& bucket, const ObjectInfo& info) {
  {
    std::lock_guard lock(notify_mu_);
    if (stopping_) return;
    notify_queue_.emplace_back(bucket, info.name());
  }
  notify_cv_.notify_one();
}

void Filesystem::NotifyLoop() {
  std::unique_lock lock(notify_mu_);
  for (;;) {
    notify_cv_.wait(lock, [this] { return stopping_ || !notify_queue_.empty(); });
    if (stopping_) return;
    auto [bucket, name] = std::move(notify_queue_.front());
    notify_queue_.pop_front();
    Notifier* notifier = notifier_;
    lock.unlock();
    if (notifier) {
      const bool marker = !name.empty() && name.back() == '/';
      const std::string path = marker ? PathOfPrefix(name) : name;
      std::string parent, child;
      SplitKey(name, &parent, &child);
      if (auto ino = inodes_.Find(bucket, path)) notifier->InvalInode(*ino);
      if (auto parent_ino = inodes_.Find(bucket, parent)) {
        notifier->InvalEntry(*parent_ino, ShownName(child));
      }
    }
    lock.lock();
  }
}

}  // namespace natss3::fs
