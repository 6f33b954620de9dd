// Fuzzes natss3fs's path mapping: kernel names -> object keys -> directory entries and back,
// the inode table's (bucket, path) <-> inode map under lookups, forgets, unlinks and renames,
// and the X-Amz-Meta-Mtime attribute parser.
//
// Input: line "directory key", line "kernel name", line "mtime header", byte "op count",
// op bytes, then lines = object keys of other clients (also the paths the ops use).
#include <map>
#include <set>
#include <vector>

#include "attrs.h"
#include "fs_types.h"
#include "fuzz_input.h"
#include "inode_table.h"
#include "shown_names.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

namespace {

// A name the kernel can hand to lookup/create (it never sends '/' or NUL inside a name).
bool IsKernelName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

// Every object-name component is shown as a name the kernel can look up, and that name leads
// back to the component alone (no two components share a shown name).
void CheckComponent(std::string_view component) {
  if (component.find('/') != std::string_view::npos) return;  // not a component
  std::string shown = fs::ShownName(component);
  FUZZ_CHECK(IsKernelName(shown));
  auto back = fs::ParseShownName(shown);
  FUZZ_CHECK(back && *back == component);
}

// A name the kernel sends is either refused or the shown spelling of exactly one component.
void CheckKernelName(std::string_view name) {
  if (!IsKernelName(name)) return;
  auto component = fs::ParseShownName(name);
  if (!component) return;
  FUZZ_CHECK(fs::ShownName(*component) == name);
}

// An object key splits into its parent directory and component, and joins back to itself:
// a file as the child's path, a directory marker as the child directory's prefix.
void CheckKey(std::string_view key) {
  if (key.empty()) return;
  std::string parent, component;
  fs::SplitKey(key, &parent, &component);
  FUZZ_CHECK(component.find('/') == std::string::npos);
  std::string path = fs::ChildPath(parent, component);
  if (key.back() == '/') {
    FUZZ_CHECK(fs::DirPrefix(path) == key);
    FUZZ_CHECK(fs::PathOfPrefix(key) == path);
  } else {
    FUZZ_CHECK(path == key);
  }
  // The parent lists the key under its prefix.
  std::string prefix = fs::DirPrefix(parent);
  FUZZ_CHECK(key.substr(0, prefix.size()) == prefix);
}

void CheckMtime(std::string_view text) {
  auto ts = fs::ParseMtime(text);
  if (!ts) return;
  FUZZ_CHECK(ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000);
  auto again = fs::ParseMtime(fs::FormatMtime(*ts));
  FUZZ_CHECK(again && again->tv_sec == ts->tv_sec && again->tv_nsec == ts->tv_nsec);
}

// Every live, non-orphaned inode is what its (bucket, path) finds.
void CheckTable(const fs::InodeTable& table, const std::set<uint64_t>& handed) {
  FUZZ_CHECK(table.Get(fs::kRootIno).has_value());
  for (uint64_t ino : handed) {
    auto info = table.Get(ino);
    if (!info || info->orphan) continue;
    auto found = table.Find(info->bucket, info->path);
    FUZZ_CHECK(found && *found == ino);
  }
}

// Whether `path` lies inside directory `dir` (a directory path ending in '/' has an empty last
// component: its children are "dir/<name>", see shown_names.h).
bool Within(const std::string& path, const std::string& dir) {
  const std::string prefix = fs::DirPrefix(dir);
  return !dir.empty() && path != dir && path.compare(0, prefix.size(), prefix) == 0;
}

void RunTable(FuzzInput& ops, size_t count, const std::vector<std::string>& paths) {
  fs::InodeTable table("");
  std::set<uint64_t> handed;
  const std::string buckets[] = {"b", "c"};
  for (size_t i = 0; i < count && !paths.empty(); ++i) {
    uint8_t op = ops.Byte();
    const std::string& bucket = buckets[op >> 7];
    const std::string& path = paths[ops.Byte() % paths.size()];
    switch (op % 5) {
      case 0: {
        bool is_dir = (op & 8) != 0;
        uint64_t ino = table.Acquire(bucket, path, is_dir, 1);
        handed.insert(ino);
        auto info = table.Get(ino);
        FUZZ_CHECK(info && info->path == path && info->bucket == bucket);
        FUZZ_CHECK(info->is_dir == is_dir || ino == fs::kRootIno);
        break;
      }
      case 1:
        if (!handed.empty()) table.Forget(*std::next(handed.begin(), op % handed.size()), 1);
        break;
      case 2:
        table.Orphan(bucket, path);
        break;
      case 3: {
        const std::string& to = paths[ops.Byte() % paths.size()];
        // rename(2) refuses these before the table sees them.
        if (path.empty() || to.empty() || path == to || Within(to, path) || Within(path, to)) {
          break;
        }
        std::map<uint64_t, std::string> expected;  // ino -> its path after the move
        for (uint64_t ino : handed) {
          auto info = table.Get(ino);
          if (!info || info->orphan || info->bucket != bucket) continue;
          if (info->path == path || Within(info->path, path)) {
            expected[ino] = info->path == path
                                ? to
                                : fs::DirPrefix(to) + info->path.substr(fs::DirPrefix(path).size());
          }
        }
        table.Move(bucket, path, to);
        FUZZ_CHECK(!table.Find(bucket, path).has_value());
        for (const auto& [ino, moved] : expected) {
          auto info = table.Get(ino);
          FUZZ_CHECK(info && !info->orphan && info->path == moved);
          auto found = table.Find(bucket, moved);
          FUZZ_CHECK(found && *found == ino);
        }
        break;
      }
      case 4:
        if (!handed.empty()) table.SwapRevision(*handed.begin(), op);
        break;
    }
    CheckTable(table, handed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  std::string dir(in.Line());  // a component, or a name the kernel sent
  std::string_view name = in.Line();
  CheckMtime(in.Line());
  size_t op_count = in.Byte() % 64;
  std::string op_bytes(in.Line());
  std::vector<std::string> keys;
  while (!in.empty() && keys.size() < 16) keys.emplace_back(in.Line());

  CheckComponent(dir);
  CheckComponent(name);
  CheckKernelName(name);
  for (const std::string& key : keys) CheckKey(key);

  FuzzInput ops(reinterpret_cast<const uint8_t*>(op_bytes.data()), op_bytes.size());
  // The table holds paths as natss3fs makes them: a key's parent path joined with its component.
  std::vector<std::string> paths;
  for (const std::string& key : keys) {
    if (key.empty()) continue;
    std::string parent, component;
    fs::SplitKey(key, &parent, &component);
    paths.push_back(fs::ChildPath(parent, component));
  }
  RunTable(ops, op_count, paths);
  return 0;
}
