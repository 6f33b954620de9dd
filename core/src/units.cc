// Size and duration parsing (see natss3/units.h).
#include "natss3/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "natss3/ascii.h"

namespace natss3 {
namespace {

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
  std::string unit = AsciiLower(Trim(std::string_view(value).substr(used)));
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

}  // namespace natss3
