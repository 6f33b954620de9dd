// Object keys <-> directory entry names of natss3fs: pure string functions (fuzzed in fuzz/).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace natss3::fs {

// The key of entry `name` in the directory whose key is `dir` ("" for a bucket's root).
inline std::string JoinPath(const std::string& dir, std::string_view name) {
  return dir.empty() ? std::string(name) : dir + "/" + std::string(name);
}

// The entry name `key` shows as when the directory is listed with `prefix` ("" at a bucket's
// root, else "<dir>/"): the key past the prefix, without the trailing '/' of a common prefix
// (`is_prefix`). nullopt when it cannot be a directory entry: empty, "." or "..", longer than
// NAME_MAX, or holding a '/' (a slash run as in "a//b") or a NUL.
std::optional<std::string> EntryName(std::string_view prefix, std::string_view key, bool is_prefix);

// The directory key and entry name of an object key (a marker's trailing '/' ignored): what
// the kernel's cache knows the object by. "a/b/c" -> {"a/b", "c"}; "c" -> {"", "c"}.
struct SplitKey {
  std::string parent;
  std::string child;
};
SplitKey SplitObjectKey(std::string_view key);

}  // namespace natss3::fs
