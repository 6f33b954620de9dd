// Redaction of request targets for the logs.
#include "s3d/log_redact.h"

#include <strings.h>

#include <cctype>
#include <cstdio>

namespace natss3::s3d {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Percent-decoding as the query parser does it ('+' is a space there).
std::string Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

bool Is(const std::string& name, const char* expected) {
  return strcasecmp(name.c_str(), expected) == 0;
}

}  // namespace

std::string LogSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"' || c == '\\') {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

std::string RedactTarget(std::string_view target) {
  size_t question = target.find('?');
  if (question == std::string_view::npos) return LogSafe(target);
  std::string out = LogSafe(target.substr(0, question + 1));
  std::string_view query = target.substr(question + 1);
  bool first = true;
  while (true) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    size_t eq = param.find('=');
    std::string name = Decode(param.substr(0, eq));
    if (!first) out += '&';
    first = false;
    if (eq != std::string_view::npos &&
        (Is(name, "X-Amz-Signature") || Is(name, "Signature") ||
         Is(name, "X-Amz-Security-Token"))) {
      out += LogSafe(param.substr(0, eq)) + "=REDACTED";
    } else if (eq != std::string_view::npos && Is(name, "X-Amz-Credential")) {
      // <access key ID>/<date>/<region>/s3/aws4_request
      std::string value = Decode(param.substr(eq + 1));
      out += LogSafe(param.substr(0, eq)) + "=" + LogSafe(value.substr(0, value.find('/'))) +
             "/REDACTED";
    } else {
      out += LogSafe(param);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace natss3::s3d
