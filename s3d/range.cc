// Range, conditional and HTTP-date logic.
#include "s3d/range.h"

#include <algorithm>
#include <ctime>
#include <vector>

namespace natss3::s3d {
namespace {
bool ParseUint(std::string_view text, uint64_t* value) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *value = v;
  return true;
}

std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}
}  // namespace

RangeResult ParseRange(std::string_view header, uint64_t size) {
  RangeResult whole;
  header = Trim(header);
  if (!header.starts_with("bytes=")) return whole;
  std::string_view spec = Trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return whole;
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  std::string_view first = Trim(spec.substr(0, dash)), last = Trim(spec.substr(dash + 1));
  RangeResult unsatisfiable{RangeResult::Kind::kUnsatisfiable, {}};
  if (first.empty()) {
    uint64_t suffix = 0;
    if (!ParseUint(last, &suffix)) return whole;
    if (suffix == 0 || size == 0) return unsatisfiable;
    if (suffix > size) suffix = size;
    return {RangeResult::Kind::kPartial, {size - suffix, suffix}};
  }
  uint64_t start = 0;
  if (!ParseUint(first, &start)) return whole;
  uint64_t end = 0;
  if (last.empty()) {
    end = size == 0 ? 0 : size - 1;
  } else {
    if (!ParseUint(last, &end)) return whole;
    if (end < start) return whole;
  }
  if (start >= size) return unsatisfiable;
  if (end >= size) end = size - 1;
  return {RangeResult::Kind::kPartial, {start, end - start + 1}};
}

std::string ContentRange(const ByteRange& range, uint64_t size) {
  return "bytes " + std::to_string(range.offset) + "-" +
         std::to_string(range.offset + range.length - 1) + "/" + std::to_string(size);
}

namespace {
// True when any entity tag in the comma-separated list equals etag (weak comparison), or "*".
bool EtagListMatches(std::string_view list, std::string_view etag) {
  std::string_view bare = etag;
  if (bare.size() >= 2 && bare.front() == '"') bare = bare.substr(1, bare.size() - 2);
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') {
      item = item.substr(1, item.size() - 2);
    }
    if (item == bare) return true;
  }
  return false;
}

std::chrono::seconds ToSeconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch());
}
}  // namespace

ConditionOutcome EvaluateConditions(const Conditions& c, std::string_view etag,
                                    TimePoint last_modified, bool is_read) {
  if (!c.if_match.empty()) {
    if (!EtagListMatches(c.if_match, etag)) return ConditionOutcome::kPreconditionFailed;
  } else if (!c.if_unmodified_since.empty()) {
    auto since = ParseHttpDate(c.if_unmodified_since);
    if (since && ToSeconds(last_modified) > ToSeconds(*since)) {
      return ConditionOutcome::kPreconditionFailed;
    }
  }
  if (!c.if_none_match.empty()) {
    if (EtagListMatches(c.if_none_match, etag)) {
      return is_read ? ConditionOutcome::kNotModified : ConditionOutcome::kPreconditionFailed;
    }
  } else if (!c.if_modified_since.empty()) {
    auto since = ParseHttpDate(c.if_modified_since);
    if (since && ToSeconds(last_modified) <= ToSeconds(*since)) {
      return is_read ? ConditionOutcome::kNotModified : ConditionOutcome::kPreconditionFailed;
    }
  }
  return ConditionOutcome::kProceed;
}

std::string FormatHttpDate(TimePoint time) {
  std::time_t secs = static_cast<std::time_t>(ToSeconds(time).count());
  if (secs < 0) secs = 0;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::optional<TimePoint> ParseHttpDate(std::string_view text) {
  std::string input(Trim(text));
  static const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                   "%a %b %d %H:%M:%S %Y", "%Y-%m-%dT%H:%M:%SZ"};
  for (const char* format : kFormats) {
    std::tm tm{};
    const char* end = strptime(input.c_str(), format, &tm);
    if (end != nullptr && *end == '\0') {
      // Years 1 to 9999 parse, TimePoint (int64 nanoseconds) holds 1678 to 2262: clamp, so
      // far dates compare as they should instead of overflowing.
      constexpr std::time_t kLimit =
          std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max()).count();
      std::time_t secs = std::clamp<std::time_t>(timegm(&tm), -kLimit, kLimit);
      return TimePoint(std::chrono::seconds(secs));
    }
  }
  return std::nullopt;
}

}  // namespace natss3::s3d
