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

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Parses a leading unsigned decimal ("12", "1.5", ".5"); returns chars consumed (0: none).
size_t ParseNumber(std::string_view s, double* out) {
  size_t i = 0;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  }
  if (!digits) return 0;
  *out = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
  return i;
}

}  // namespace

Result<int64_t> ParseSize(std::string_view text) {
  std::string value = Trim(text);
  if (value.empty() || value[0] == '-') return int64_t{-1};
  double number = 0;
  size_t used = ParseNumber(value, &number);
  if (used == 0) return InvalidArgument("invalid size \"" + value + "\"");
  std::string unit = Lower(Trim(std::string_view(value).substr(used)));
  static const std::vector<std::pair<std::vector<std::string>, int>> kUnits = {
      {{"", "b"}, 0},           {{"k", "kb", "kib"}, 1}, {{"m", "mb", "mib"}, 2},
      {{"g", "gb", "gib"}, 3}, {{"t", "tb", "tib"}, 4}, {{"p", "pb", "pib"}, 5}};
  for (const auto& [names, power] : kUnits) {
    for (const auto& name : names) {
      if (unit != name) continue;
      double bytes = number * std::pow(1024.0, power);
      if (bytes >= 9.2e18) return InvalidArgument("size \"" + value + "\" is too large");
      return static_cast<int64_t>(bytes);
    }
  }
  return InvalidArgument("invalid size \"" + value + "\": unknown unit \"" + unit +
                         "\" (use B, K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB, TiB)");
}

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  std::string value = Trim(text);
  auto invalid = [&] { return InvalidArgument("invalid duration \"" + value + "\""); };
  if (value == "0") return std::chrono::nanoseconds(0);
  if (value.empty()) return invalid();
  static const std::vector<std::pair<std::string, double>> kUnits = {
      {"ns", 1},        {"us", 1e3},       {"\xC2\xB5s", 1e3}, {"\xCE\xBCs", 1e3},
      {"ms", 1e6},      {"s", 1e9},        {"m", 60e9},        {"h", 3600e9},
      {"d", 86400e9},   {"w", 604800e9},   {"M", 2592000e9},   {"y", 31536000e9}};
  std::string_view rest = value;
  double total = 0;
  while (!rest.empty()) {
    double number = 0;
    size_t used = ParseNumber(rest, &number);
    if (used == 0) return invalid();
    rest.remove_prefix(used);
    // Longest unit first so "ms" wins over "m".
    const std::pair<std::string, double>* best = nullptr;
    for (const auto& unit : kUnits) {
      if (rest.substr(0, unit.first.size()) == unit.first &&
          (best == nullptr || unit.first.size() > best->first.size())) {
        best = &unit;
      }
    }
    if (best == nullptr) return invalid();
    rest.remove_prefix(best->first.size());
    total += number * best->second;
  }
  if (total >= 9.2e18) return InvalidArgument("duration \"" + value + "\" is too large");
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
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
