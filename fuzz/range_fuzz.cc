// Fuzzes the Range header and the conditional headers (If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since) with their HTTP-date parser.
//
// Input: 8 bytes object size, 8 bytes last-modified seconds, then lines "range", "if-match",
// "if-none-match", "if-modified-since", "if-unmodified-since", "etag".
#include "fuzz_input.h"
#include "s3d/range.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

namespace {

// An HTTP date parsed from anything formats and parses back to the same second.
void CheckDate(std::string_view text) {
  auto t = s3d::ParseHttpDate(text);
  if (!t || t->time_since_epoch().count() < 0) return;
  auto again = s3d::ParseHttpDate(s3d::FormatHttpDate(*t));
  FUZZ_CHECK(again && *again == *t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  uint64_t object_size = in.U64();
  // Whole seconds within what TimePoint (int64 nanoseconds) holds: years 1685 to 2255.
  int64_t mtime_seconds = static_cast<int64_t>(in.U64() % 18000000000ULL) - 9000000000LL;
  s3d::Conditions conditions;
  std::string range(in.Line());
  conditions.if_match = in.Line();
  conditions.if_none_match = in.Line();
  conditions.if_modified_since = in.Line();
  conditions.if_unmodified_since = in.Line();
  std::string etag = "\"";
  for (char c : in.Line()) {
    if (c != ',' && c != '"') etag.push_back(c);  // ETags natss3 serves hold neither
  }
  etag.push_back('"');

  s3d::RangeResult r = s3d::ParseRange(range, object_size);
  if (r.kind == s3d::RangeResult::Kind::kPartial) {
    FUZZ_CHECK(r.range.length > 0);
    FUZZ_CHECK(r.range.offset < object_size);
    FUZZ_CHECK(r.range.length <= object_size - r.range.offset);
    std::string content_range = s3d::ContentRange(r.range, object_size);
    FUZZ_CHECK(content_range.rfind("bytes ", 0) == 0);
  }

  TimePoint mtime{std::chrono::seconds(mtime_seconds)};
  for (bool is_read : {true, false}) {
    s3d::ConditionOutcome outcome = s3d::EvaluateConditions(conditions, etag, mtime, is_read);
    if (!is_read) FUZZ_CHECK(outcome != s3d::ConditionOutcome::kNotModified);
  }
  // "*" matches any existing object; an ETag list naming the object's ETag matches it.
  s3d::Conditions star;
  star.if_match = "*";
  FUZZ_CHECK(s3d::EvaluateConditions(star, etag, mtime, true) == s3d::ConditionOutcome::kProceed);
  s3d::Conditions own;
  own.if_none_match = etag;
  FUZZ_CHECK(s3d::EvaluateConditions(own, etag, mtime, true) ==
             s3d::ConditionOutcome::kNotModified);

  CheckDate(conditions.if_modified_since);
  CheckDate(conditions.if_unmodified_since);
  return 0;
}
