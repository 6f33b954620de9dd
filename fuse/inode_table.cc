// InodeTable implementation (see inode_table.h).
#include "inode_table.h"

#include <spdlog/spdlog.h>

#include <cassert>
#include <vector>

#include "fs_types.h"
#include "shown_names.h"

namespace natss3::fs {

InodeTable::InodeTable(std::string root_bucket) {
  Node root;
  root.key = Key(root_bucket, "");
  root.is_dir = true;
  root.lookups = 1;
  MapLocked(kRootIno, nodes_.emplace(kRootIno, std::move(root)).first->second);
}

std::string InodeTable::Key(std::string_view bucket, std::string_view path) {
  std::string key;
  key.reserve(bucket.size() + 1 + path.size());
  key.append(bucket);
  key.push_back('\0');
  key.append(path);
  return key;
}

InodeInfo InodeTable::InfoOf(uint64_t ino, const Node& node) {
  const size_t split = node.key.find('\0');
  return InodeInfo{ino, node.key.substr(0, split), node.key.substr(split + 1), node.is_dir,
                   node.orphan};
}

void InodeTable::MapLocked(uint64_t ino, const Node& node) {
  by_path_.emplace(std::string_view(node.key), ino);
}

uint64_t InodeTable::Acquire(const std::string& bucket, const std::string& path, bool is_dir,
                             uint64_t lookups) {
  std::lock_guard lock(mu_);
  std::string key = Key(bucket, path);
  if (auto it = by_path_.find(key); it != by_path_.end()) {
    Node& node = nodes_.at(it->second);
    if (node.is_dir == is_dir || it->second == kRootIno) {
      node.lookups += lookups;
      return it->second;
    }
    OrphanLocked(key);
  }
  const uint64_t ino = next_ino_++;
  Node node;
  node.key = std::move(key);
  node.is_dir = is_dir;
  node.lookups = lookups;
  MapLocked(ino, nodes_.emplace(ino, std::move(node)).first->second);
  return ino;
}

std::optional<InodeInfo> InodeTable::Get(uint64_t ino) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return std::nullopt;
  return InfoOf(ino, it->second);
}

std::optional<uint64_t> InodeTable::Find(const std::string& bucket,
                                         const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = by_path_.find(Key(bucket, path));
  if (it == by_path_.end()) return std::nullopt;
  return it->second;
}

void InodeTable::Forget(uint64_t ino, uint64_t lookups) {
  if (ino == kRootIno) return;
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  if (lookups > node.lookups) {
    ++over_forgets_;
    InodeInfo info = InfoOf(ino, node);
    spdlog::error("natss3fs: inode {} ({}/{}) forgotten {} times but looked up {} times", ino,
                  info.bucket, info.path, lookups, node.lookups);
    assert(false && "the kernel forgot more lookups than the inode table counted");
  }
  node.lookups = lookups >= node.lookups ? 0 : node.lookups - lookups;
  if (node.lookups > 0) return;
  if (!node.orphan) {  // its key is mapped, to it: the entry goes before the key it views
    auto path_it = by_path_.find(node.key);
    if (path_it != by_path_.end() && path_it->second == ino) by_path_.erase(path_it);
  }
  nodes_.erase(it);
}

uint64_t InodeTable::over_forgets() const {
  std::lock_guard lock(mu_);
  return over_forgets_;
}

void InodeTable::OrphanLocked(std::string_view key) {
  auto it = by_path_.find(key);
  if (it == by_path_.end() || it->second == kRootIno) return;
  nodes_.at(it->second).orphan = true;
  by_path_.erase(it);
}

void InodeTable::Orphan(const std::string& bucket, const std::string& path) {
  std::lock_guard lock(mu_);
  OrphanLocked(Key(bucket, path));
}

void InodeTable::Move(const std::string& bucket, const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  OrphanLocked(Key(bucket, to));
  // Unmapped first, renamed, then mapped again under their new keys (an inode already there
  // is orphaned): a key is never changed while by_path_ views it.
  std::vector<uint64_t> moved;
  auto move_one = [&](std::map<std::string_view, uint64_t>::iterator it,
                      const std::string& path) {
    const uint64_t ino = it->second;
    auto next = by_path_.erase(it);
    nodes_.at(ino).key = Key(bucket, path);
    moved.push_back(ino);
    return next;
  };
  if (auto it = by_path_.find(Key(bucket, from)); it != by_path_.end()) move_one(it, to);
  // Descendants by key prefix (DirPrefix: a directory named "" keeps its '/').
  const std::string from_prefix = DirPrefix(from), to_prefix = DirPrefix(to);
  const std::string children = Key(bucket, from_prefix);
  const size_t path_at = bucket.size() + 1;
  for (auto it = by_path_.lower_bound(children);
       it != by_path_.end() && it->first.compare(0, children.size(), children) == 0;) {
    std::string path(it->first.substr(path_at + from_prefix.size()));
    it = move_one(it, to_prefix + path);
  }
  for (uint64_t ino : moved) {
    const Node& node = nodes_.at(ino);
    OrphanLocked(node.key);
    MapLocked(ino, node);
  }
}

uint64_t InodeTable::SwapRevision(uint64_t ino, uint64_t revision) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return 0;
  uint64_t previous = it->second.revision;
  it->second.revision = revision;
  return previous;
}

size_t InodeTable::size() const {
  std::lock_guard lock(mu_);
  return nodes_.size();
}

}  // namespace natss3::fs
