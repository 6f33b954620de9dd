// Small files written safely: secrets created with their final mode (never readable by others
// for an instant), replaced atomically, durable once the call returns.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

#include "natss3/status.h"

namespace natss3 {

// Writes `data` to a new temporary file next to `path` created with O_EXCL and `mode` (no
// window with a wider mode), fsyncs it, renames it over `path` and fsyncs the directory.
// kInternal with the reason on any failure (the temporary file is removed).
Status WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode = 0600);

// Creates `dir` (and parents) if missing; a directory it creates gets `mode` exactly (umask
// does not apply). An existing directory keeps its mode. kInternal on failure.
Status MakeDirectory(const std::string& dir, mode_t mode = 0700);

// Reads a whole file of at most `max_bytes`; kNotFound when it does not exist.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace natss3
