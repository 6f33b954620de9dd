// InodeTable implementation (see inode_table.h).
#include "inode_table.h"

#include <spdlog/spdlog.h>

#include <cassert>

#include "fs_types.h"
#include "shown_names.h"

namespace natss3::fs {

InodeTable::InodeTable(std::string root_bucket) {
  Node root;
  root.info = InodeInfo{kRootIno, std::move(root_bucket), "", true, false};
  root.lookups = 1;
  by_path_[Key(root.info.bucket, "")] = kRootIno;
  nodes_.emplace(kRootIno, std::move(root));
}

std::string InodeTable::Key(const std::string& bucket, const std::string& path) {
  std::string key = bucket;
  key.push_back('\0');
  key += path;
  return key;
}

uint64_t InodeTable::Acquire(const std::string& bucket, const std::string& path, bool is_dir,
                             uint64_t lookups) {
  std::lock_guard lock(mu_);
  const std::string key = Key(bucket, path);
  if (auto it = by_path_.find(key); it != by_path_.end()) {
    Node& node = nodes_.at(it->second);
    if (node.info.is_dir == is_dir || it->second == kRootIno) {
      node.lookups += lookups;
      return it->second;
    }
    OrphanLocked(key);
  }
  const uint64_t ino = next_ino_++;
  Node node;
  node.info = InodeInfo{ino, bucket, path, is_dir, false};
  node.lookups = lookups;
  nodes_.emplace(ino, std::move(node));
  by_path_[key] = ino;
  return ino;
}

std::optional<InodeInfo> InodeTable::Get(uint64_t ino) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return std::nullopt;
  return it->second.info;
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
    spdlog::error("natss3fs: inode {} ({}/{}) forgotten {} times but looked up {} times", ino,
                  node.info.bucket, node.info.path, lookups, node.lookups);
    assert(false && "the kernel forgot more lookups than the inode table counted");
  }
  node.lookups = lookups >= node.lookups ? 0 : node.lookups - lookups;
  if (node.lookups > 0) return;
  if (!node.info.orphan) {
    auto path_it = by_path_.find(Key(node.info.bucket, node.info.path));
    if (path_it != by_path_.end() && path_it->second == ino) by_path_.erase(path_it);
  }
  nodes_.erase(it);
}

uint64_t InodeTable::over_forgets() const {
  std::lock_guard lock(mu_);
  return over_forgets_;
}

void InodeTable::OrphanLocked(const std::string& key) {
  auto it = by_path_.find(key);
  if (it == by_path_.end() || it->second == kRootIno) return;
  nodes_.at(it->second).info.orphan = true;
  by_path_.erase(it);
}

void InodeTable::Orphan(const std::string& bucket, const std::string& path) {
  std::lock_guard lock(mu_);
  OrphanLocked(Key(bucket, path));
}

void InodeTable::Move(const std::string& bucket, const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  OrphanLocked(Key(bucket, to));
  std::map<std::string, uint64_t> moved;
  auto move_one = [&](std::map<std::string, uint64_t>::iterator it, const std::string& path) {
    nodes_.at(it->second).info.path = path;
    moved[Key(bucket, path)] = it->second;
    return by_path_.erase(it);
  };
  if (auto it = by_path_.find(Key(bucket, from)); it != by_path_.end()) move_one(it, to);
  // Descendants by key prefix (DirPrefix: a directory named "" keeps its '/').
  const std::string from_prefix = DirPrefix(from), to_prefix = DirPrefix(to);
  const std::string children = Key(bucket, from_prefix);
  for (auto it = by_path_.lower_bound(children);
       it != by_path_.end() && it->first.compare(0, children.size(), children) == 0;) {
    const std::string& path = nodes_.at(it->second).info.path;
    it = move_one(it, to_prefix + path.substr(from_prefix.size()));
  }
  for (auto& [key, ino] : moved) {
    OrphanLocked(key);
    by_path_[key] = ino;
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
