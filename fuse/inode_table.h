// InodeTable: FUSE inode numbers <-> (bucket, path), with kernel lookup counts.
//
// Inode numbers are never reused while the mount lives, so generation is always 0. An inode
// whose name was unlinked, renamed over or changed type is "orphaned": it keeps its number
// (the kernel may still hold it) until forgotten, but no path maps to it any more.
// Thread-safety: all methods are thread-safe; mu_ is a leaf lock (nothing else is taken or
// called while it is held).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace natss3::fs {

struct InodeInfo {
  uint64_t ino = 0;
  std::string bucket;  // empty only for the all-buckets root
  std::string path;    // object key without trailing '/'; empty for a bucket root
  bool is_dir = false;
  bool orphan = false;
};

class InodeTable {
 public:
  // The root (ino 1) is (root_bucket, "") -- root_bucket empty in all-buckets mode.
  explicit InodeTable(std::string root_bucket);

  // Finds or creates the inode of (bucket, path) with this type and adds `lookups` kernel
  // references. A mapped inode of the other type is orphaned and replaced.
  uint64_t Acquire(const std::string& bucket, const std::string& path, bool is_dir,
                   uint64_t lookups);
  std::optional<InodeInfo> Get(uint64_t ino) const;
  std::optional<uint64_t> Find(const std::string& bucket, const std::string& path) const;
  // Drops kernel references; the entry is removed at zero (never the root). The kernel never
  // forgets more than it looked up: when it does, our count is wrong, which is logged, counted
  // (over_forgets()) and asserted in debug builds, and the entry is removed.
  void Forget(uint64_t ino, uint64_t lookups);
  uint64_t over_forgets() const;
  // Detaches (bucket, path) from its inode.
  void Orphan(const std::string& bucket, const std::string& path);
  // Renames path and every descendant path (directory renames); the target is orphaned first.
  void Move(const std::string& bucket, const std::string& from, const std::string& to);
  // Remembers the object revision the kernel cached for ino; returns the previous one.
  uint64_t SwapRevision(uint64_t ino, uint64_t revision);
  size_t size() const;

 private:
  // One per inode; its path is held once, in `key` (bucket '\0' path), which by_path_'s entry
  // views. The map's nodes never move, so the views stay valid while the node lives; a key is
  // changed (Move) only after its by_path_ entry is erased.
  struct Node {
    std::string key;
    uint64_t lookups = 0;
    uint64_t revision = 0;
    bool is_dir = false;
    bool orphan = false;
  };
  static std::string Key(std::string_view bucket, std::string_view path);
  static InodeInfo InfoOf(uint64_t ino, const Node& node);
  void OrphanLocked(std::string_view key);
  // Maps node.key to ino; the key must not be mapped.
  void MapLocked(uint64_t ino, const Node& node);

  mutable std::mutex mu_;
  uint64_t next_ino_ = 2;
  uint64_t over_forgets_ = 0;
  std::unordered_map<uint64_t, Node> nodes_;
  std::map<std::string_view, uint64_t> by_path_;  // Node::key -> ino
};

}  // namespace natss3::fs
