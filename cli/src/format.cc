// Formatting helpers mirroring go-humanize and natscli so output matches `nats obj`.
#include "format.h"

#include <time.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <vector>

namespace natss3::cli {

std::string IBytes(uint64_t bytes) {
  static const char* kSuffixes[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 10) return std::to_string(bytes) + " B";
  int exponent = static_cast<int>(std::floor(std::log(static_cast<double>(bytes)) / std::log(1024.0)));
  if (exponent > 6) exponent = 6;
  double value = std::floor(static_cast<double>(bytes) / std::pow(1024.0, exponent) * 10 + 0.5) / 10;
  char buf[64];
  std::snprintf(buf, sizeof(buf), value < 10 ? "%.1f %s" : "%.0f %s", value, kSuffixes[exponent]);
  return buf;
}

std::string Comma(int64_t value) {
  bool negative = value < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string HumanizeDuration(std::chrono::nanoseconds duration) {
  using std::chrono::duration_cast;
  int64_t total_seconds = duration_cast<std::chrono::seconds>(duration).count();
  int64_t minutes = total_seconds / 60, hours = minutes / 60, days = hours / 24, years = days / 365;
  char buf[96];
  if (years > 0) {
    std::snprintf(buf, sizeof(buf), "%lldy%lldd%lldh%lldm%llds", (long long)years,
                  (long long)(days % 365), (long long)(hours % 24), (long long)(minutes % 60),
                  (long long)(total_seconds % 60));
  } else if (days > 0) {
    std::snprintf(buf, sizeof(buf), "%lldd%lldh%lldm%llds", (long long)days,
                  (long long)(hours % 24), (long long)(minutes % 60),
                  (long long)(total_seconds % 60));
  } else if (hours > 0) {
    std::snprintf(buf, sizeof(buf), "%lldh%lldm%llds", (long long)hours,
                  (long long)(minutes % 60), (long long)(total_seconds % 60));
  } else if (minutes > 0) {
    std::snprintf(buf, sizeof(buf), "%lldm%llds", (long long)minutes,
                  (long long)(total_seconds % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fs", static_cast<double>(duration.count()) / 1e9);
  }
  return buf;
}

std::string FormatTime(TimePoint time) {
  time_t seconds = std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  struct tm local {};
  localtime_r(&seconds, &local);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

std::string FormatTimeJson(TimePoint time) {
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
  int64_t nanos = (since_epoch - seconds).count();
  time_t whole = seconds.count();
  struct tm utc {};
  gmtime_r(&whole, &utc);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out = buf;
  if (nanos > 0) {
    char frac[32];
    std::snprintf(frac, sizeof(frac), ".%09lld", static_cast<long long>(nanos));
    std::string fraction = frac;
    while (fraction.back() == '0') fraction.pop_back();
    out += fraction;
  }
  return out + "Z";
}


std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path[0] == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string part(path.substr(i, j - i));
    if (part.empty() || part == ".") {
      // skip
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back("..");
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? "/" : "") + parts[k];
  return out.empty() ? "." : out;
}

std::string BasePath(std::string_view path) {
  if (path.empty()) return ".";
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return "/";
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace natss3::cli
