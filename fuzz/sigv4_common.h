// Fixtures shared by the SigV4 fuzz targets: one known credential, a fixed clock, sanitizers.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "fuzz_input.h"

namespace natss3::fuzz {

inline constexpr const char* kAccessKey = "AKIAIOSFODNN7EXAMPLE";
inline constexpr const char* kSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// Fri, 24 May 2013 00:00:00 GMT, as AWS's SigV4 examples.
inline std::chrono::system_clock::time_point ExampleTime() {
  return std::chrono::system_clock::from_time_t(1369353600);
}

inline const s3::CredentialStore& Store() {
  static const s3::CredentialStore store = [] {
    s3::CredentialStore s;
    (void)s.Add({kAccessKey, kSecretKey, {"*"}, {"*"}});
    return s;
  }();
  return store;
}

// A header name or region a client could send: [a-z0-9-] (others dropped), lower-cased.
inline std::string Token(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') out.push_back(c);
  }
  return out;
}

// A header value as an HTTP parser hands it over: no CR, LF or NUL.
inline std::string FieldValue(std::string_view raw) {
  std::string out;
  for (char c : raw) {
    if (c != '\r' && c != '\n' && c != '\0') out.push_back(c);
  }
  return out;
}

// True when the query carries a parameter whose decoded name starts with "X-Amz-".
inline bool HasAmzParam(std::string_view query) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::string name = s3::UriDecode(piece.substr(0, piece.find('=')), true);
    if (name.rfind("X-Amz-", 0) == 0) return true;
  }
  return false;
}

// Checks that hold for any successful verification.
inline void CheckContext(const s3::AuthContext& context) {
  FUZZ_CHECK(!context.anonymous);
  FUZZ_CHECK(context.access_key == kAccessKey);
  FUZZ_CHECK(context.seed_signature.size() == 64);
  FUZZ_CHECK(context.amz_date.size() == 16);
  if (context.payload_mode == s3::PayloadMode::kSignedSha256) {
    FUZZ_CHECK(context.payload_sha256.size() == 64);
  }
}

// Timestamp parsers: whatever they accept formats back to the same instant.
inline void CheckDates(std::string_view text) {
  if (auto t = s3::ParseAmzDate(text)) {
    auto again = s3::ParseAmzDate(s3::FormatAmzDate(*t));
    FUZZ_CHECK(again && *again == *t);
  }
  if (auto t = s3::ParseHttpDate(text)) {
    auto again = s3::ParseAmzDate(s3::FormatAmzDate(*t));
    FUZZ_CHECK(again && *again == *t);
  }
}

}  // namespace natss3::fuzz
