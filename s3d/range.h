// Byte ranges, conditional requests and HTTP dates (RFC 9110 as S3 applies them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "natss3/types.h"

namespace natss3::s3d {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct RangeResult {
  enum class Kind { kWhole, kPartial, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  ByteRange range;  // kPartial only
};

// "bytes=a-b", "bytes=a-", "bytes=-n" against an object of `size` bytes. A header S3 would
// ignore (malformed, several ranges, a > b) gives kWhole; a start at or past the end or a zero
// suffix gives kUnsatisfiable (416).
RangeResult ParseRange(std::string_view header, uint64_t size);
// "bytes a-b/size"
std::string ContentRange(const ByteRange& range, uint64_t size);

// If-Match / If-None-Match / If-(Un)Modified-Since evaluation. Empty strings: header absent.
struct Conditions {
  std::string if_match;
  std::string if_none_match;
  std::string if_modified_since;
  std::string if_unmodified_since;
};
enum class ConditionOutcome { kProceed, kNotModified, kPreconditionFailed };
// `etag` is quoted. For writes (CopyObject sources use the same rules) pass is_read=true to
// get 304s; a failing If-None-Match on a non-read is a 412.
ConditionOutcome EvaluateConditions(const Conditions& conditions, std::string_view etag,
                                    TimePoint last_modified, bool is_read);

// RFC 1123 "Sun, 06 Nov 1994 08:49:37 GMT"
std::string FormatHttpDate(TimePoint time);
// Accepts RFC 1123, RFC 850 and asctime forms; nullopt otherwise. Dates beyond what TimePoint
// holds (about 1678 to 2262) give its first or last second.
std::optional<TimePoint> ParseHttpDate(std::string_view text);

}  // namespace natss3::s3d
