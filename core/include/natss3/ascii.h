// Locale-independent ASCII case helpers for protocol tokens (HTTP header names, S3 field names,
// units): bytes outside A-Z are left as they are, so UTF-8 passes through unchanged.
#pragma once

#include <string>
#include <string_view>

namespace natss3 {

inline char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

}  // namespace natss3
