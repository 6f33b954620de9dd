// Header <-> attribute conversion (s3fs-compatible X-Amz-Meta-* headers).
#include "attrs.h"

#include <strings.h>
#include <sys/stat.h>

#include <charconv>
#include <limits>

namespace natss3::fs {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr == text.data()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> GetHeader(const Headers& headers, std::string_view key) {
  for (const auto& [name, values] : headers) {
    if (IEquals(name, key) && !values.empty()) return values.front();
  }
  return std::nullopt;
}

void RemoveHeader(Headers* headers, std::string_view key) {
  for (auto it = headers->begin(); it != headers->end();) {
    it = IEquals(it->first, key) ? headers->erase(it) : std::next(it);
  }
}

void SetHeader(Headers* headers, std::string_view key, std::string value) {
  RemoveHeader(headers, key);
  (*headers)[std::string(key)] = {std::move(value)};
}

std::optional<timespec> ParseMtime(std::string_view text) {
  auto dot = text.find('.');
  auto sec = ParseUint(text.substr(0, dot));
  // Past time_t's range the cast would wrap to a date before 1970.
  if (!sec || *sec > static_cast<uint64_t>(std::numeric_limits<time_t>::max())) {
    return std::nullopt;
  }
  timespec ts{static_cast<time_t>(*sec), 0};
  if (dot != std::string_view::npos) {
    std::string frac(text.substr(dot + 1, 9));
    if (!frac.empty()) {
      frac.resize(9, '0');
      if (auto ns = ParseUint(frac)) ts.tv_nsec = static_cast<long>(*ns);
    }
  }
  return ts;
}

std::string FormatMtime(timespec ts) {
  std::string out = std::to_string(ts.tv_sec);
  if (ts.tv_nsec != 0) {
    char frac[16];
    snprintf(frac, sizeof(frac), ".%09ld", static_cast<long>(ts.tv_nsec));
    out += frac;
  }
  return out;
}

timespec ToTimespec(TimePoint tp) {
  auto ns = tp.time_since_epoch().count();
  if (ns < 0) return timespec{0, 0};
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

timespec NowTimespec() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

Attr MakeAttr(uint64_t ino, bool is_dir, uint64_t size, const Headers& headers,
              TimePoint object_mtime, const FsOptions& options) {
  Attr attr;
  attr.ino = ino;
  const bool trusted = options.trust_metadata_owner;
  uint32_t perms = (is_dir ? 0777u : 0666u) & ~options.umask;
  if (auto mode = GetHeader(headers, kModeHeader)) {
    // Any S3 client writes these headers: untrusted, a setuid bit from them would become a
    // real one in the hands of root's `cp -a`.
    if (auto value = ParseUint(*mode)) perms = static_cast<uint32_t>(*value) & (trusted ? 07777 : 0777);
  }
  attr.mode = (is_dir ? S_IFDIR : S_IFREG) | perms;
  attr.nlink = is_dir ? 2 : 1;
  attr.size = is_dir ? 4096 : size;
  attr.uid = options.uid;
  attr.gid = options.gid;
  if (auto uid = trusted ? GetHeader(headers, kUidHeader) : std::nullopt) {
    if (auto value = ParseUint(*uid)) attr.uid = static_cast<uint32_t>(*value);
  }
  if (auto gid = trusted ? GetHeader(headers, kGidHeader) : std::nullopt) {
    if (auto value = ParseUint(*gid)) attr.gid = static_cast<uint32_t>(*value);
  }
  attr.mtime = ToTimespec(object_mtime);
  if (auto mtime = GetHeader(headers, kMtimeHeader)) {
    if (auto ts = ParseMtime(*mtime)) attr.mtime = *ts;
  }
  attr.ctime = attr.mtime;
  return attr;
}

void ApplySetAttr(const SetAttrIn& in, bool is_dir, Headers* headers) {
  if (in.mode) {
    uint32_t mode = (*in.mode & 07777) | (is_dir ? S_IFDIR : S_IFREG);
    SetHeader(headers, kModeHeader, std::to_string(mode));
  }
  if (in.uid) SetHeader(headers, kUidHeader, std::to_string(*in.uid));
  if (in.gid) SetHeader(headers, kGidHeader, std::to_string(*in.gid));
  if (in.mtime) SetHeader(headers, kMtimeHeader, FormatMtime(*in.mtime));
}

uint32_t WritableModeBits(const FsOptions& options) {
  return options.trust_metadata_owner ? 07777 : 0777;
}

void DropSpecialModeBits(Headers* headers) {
  auto mode = GetHeader(*headers, kModeHeader);
  auto value = mode ? ParseUint(*mode) : std::nullopt;
  if (value && (*value & 07000)) SetHeader(headers, kModeHeader, std::to_string(*value & ~07000ull));
}

void CopyOwnedHeaders(const Headers& from, Headers* to) {
  for (std::string_view key : {kModeHeader, kUidHeader, kGidHeader}) {
    if (auto value = GetHeader(from, key)) SetHeader(to, key, *value);
    else RemoveHeader(to, key);
  }
}

}  // namespace natss3::fs
