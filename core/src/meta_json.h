// ObjectInfo <-> meta JSON in nats.go's shape (docs/object-store-format.md §3), liberal when reading (§3.2).
#pragma once

#include <string>
#include <string_view>

#include "natss3/status.h"
#include "natss3/types.h"

namespace natss3 {

// Go field order, Go's <>& escaping, zero mtime, omitempty rules; options always present.
std::string MarshalObjectInfo(const ObjectInfo& info);
// Ignores unknown keys; tolerates missing options/nuid/digest/mtime and digest "".
// mtime and revision are left for the caller to fill from the message.
Result<ObjectInfo> UnmarshalObjectInfo(std::string_view json);

// RFC 3339 with nanoseconds, UTC ("2026-11-23T07:14:17.740123456Z").
std::string FormatRfc3339(TimePoint t);
// Parses RFC 3339 (any fraction, Z or offset). Returns epoch on failure.
TimePoint ParseRfc3339(std::string_view s);

}  // namespace natss3
