// Key <-> entry-name mapping of natss3fs (see paths.h).
#include "paths.h"

#include "fs_types.h"

namespace natss3::fs {

std::optional<std::string> EntryName(std::string_view prefix, std::string_view key,
                                     bool is_prefix) {
  if (key.size() < prefix.size() || key.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view name = key.substr(prefix.size());
  if (is_prefix) {
    if (name.empty() || name.back() != '/') return std::nullopt;
    name.remove_suffix(1);
  }
  // The kernel takes entry names as C strings: "a\0b" would show as "a" and lead to the
  // object "a" (or to nothing).
  if (name.empty() || name == "." || name == ".." || name.size() > kNameMax ||
      name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(name);
}

SplitKey SplitObjectKey(std::string_view key) {
  if (!key.empty() && key.back() == '/') key.remove_suffix(1);
  size_t slash = key.rfind('/');
  if (slash == std::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

}  // namespace natss3::fs
