// How object-name components are spelled as file names (escaping) and how directory paths map
// to key prefixes. No FUSE or store types.
//
// Object names may hold any bytes; a file name may not hold NUL, should be UTF-8, and may not
// be empty, "." or "..". Such components are shown percent-escaped, reversibly:
//   - NUL, '%' and every byte of a malformed UTF-8 sequence become %HH (upper-case hex);
//     "." and ".." become %2E and %2E%2E; an empty component (as in "a//b" or "/x") is "%".
//   - Only components that need it are escaped. A name that reads as such an escape (say an
//     object really named "%00") is escaped too ("%2500"), so that no two objects share a
//     shown name. Every other name is shown as it is ("100%", "my%20file" stay).
// The mount's names are exactly the shown ones: a name that is not the shown spelling of any
// component (a kernel name with malformed UTF-8) is refused with EINVAL when created.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace natss3::fs {

// The file name an object-name component is shown as.
std::string ShownName(std::string_view component);

// The component a file name stands for; nullopt when `name` is not the shown spelling of any
// component (ShownName(*ParseShownName(n)) == n whenever it is set).
std::optional<std::string> ParseShownName(std::string_view name);

// Directory paths (InodeInfo::path) are key prefixes without their final '/': "a" holds the
// keys "a/...". A directory whose last component is empty keeps the '/': it is the only way
// to tell the directory "" at the bucket root (prefix "/", path "/") from the root itself
// (prefix "", path ""), and "a/" + "" (prefix "a//", path "a//") from "a".
// The key prefix of the objects inside directory `path` ("" for the bucket root).
std::string DirPrefix(std::string_view path);
// The path of the entry `component` of directory `dir_path` (a file, or a directory).
std::string ChildPath(std::string_view dir_path, std::string_view component);
// The directory path whose key prefix is `prefix` ("" or ending in '/').
std::string PathOfPrefix(std::string_view prefix);
// Splits an object key (a file, or a directory marker ending in '/') into the path of its
// parent directory and its own component.
void SplitKey(std::string_view key, std::string* parent_path, std::string* component);

}  // namespace natss3::fs
