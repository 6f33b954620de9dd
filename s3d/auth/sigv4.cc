// SigV4 verification: canonical request, header and presigned-URL authentication.
#include "auth/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "auth/checksums.h"
#include "auth/sigv2.h"
#include "natss3/ascii.h"

namespace natss3::s3 {
namespace {

using Clock = std::chrono::system_clock;
constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr long kMaxPresignExpiry = 604800;  // 7 days

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

bool IsLowerHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The credential scope "<date>/<region>/s3/aws4_request" split from "<key>/<scope>".
struct Credential {
  std::string access_key, date, region, service, terminator;
  std::string Scope() const { return date + "/" + region + "/" + service + "/" + terminator; }
};

std::optional<Credential> ParseCredential(std::string_view text) {
  std::vector<std::string> parts = Split(text, '/');
  if (parts.size() < 5) return std::nullopt;
  Credential c;
  size_t n = parts.size();
  c.terminator = parts[n - 1];
  c.service = parts[n - 2];
  c.region = parts[n - 3];
  c.date = parts[n - 4];
  for (size_t i = 0; i + 4 < n; ++i) c.access_key += (i ? "/" : "") + parts[i];
  if (c.access_key.empty()) return std::nullopt;
  return c;
}

// Everything both auth styles extract before computing the signature.
struct SignedParts {
  Credential credential;
  std::vector<std::string> signed_headers;
  std::string signature;
  std::string amz_date;
  std::string payload_hash;  // as it enters the canonical request
  bool presigned = false;
};

std::optional<PayloadMode> ParsePayloadMode(std::string_view value, std::string* sha256) {
  if (value == kUnsignedPayload) return PayloadMode::kUnsigned;
  if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return PayloadMode::kStreamingSigned;
  if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") {
    return PayloadMode::kStreamingSignedTrailer;
  }
  if (value == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return PayloadMode::kStreamingUnsignedTrailer;
  std::string lower = AsciiLower(value);
  if (!IsLowerHex64(lower)) return std::nullopt;
  *sha256 = lower;
  return PayloadMode::kSignedSha256;
}

// time_t -> time_point, nullopt outside what system_clock (int64 nanoseconds: 1678 to 2262)
// holds with a week to spare, so adding X-Amz-Expires or the allowed skew cannot overflow.
std::optional<Clock::time_point> FromTimeT(std::time_t t) {
  constexpr std::time_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max()).count() -
      kMaxPresignExpiry;
  if (t < -kLimit || t > kLimit) return std::nullopt;
  return Clock::from_time_t(t);
}

S3Error BadContentSha256() {
  return S3Error::InvalidArgument(
      "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a "
      "valid sha256 value.");
}

S3Error Unsupported() {
  return S3Error::InvalidRequest(
      "The authorization mechanism you have provided is not supported. Please use "
      "AWS4-HMAC-SHA256.");
}

const std::string* Header(const HeaderMap& headers, std::string_view name) {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

// Decoded query parameters (first occurrence wins), for reading X-Amz-* values.
std::map<std::string, std::string, std::less<>> DecodeQuery(std::string_view raw_query) {
  std::map<std::string, std::string, std::less<>> out;
  for (const std::string& piece : Split(raw_query, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string name = UriDecode(std::string_view(piece).substr(0, eq), true);
    std::string value =
        eq == std::string::npos ? "" : UriDecode(std::string_view(piece).substr(eq + 1), true);
    out.emplace(std::move(name), std::move(value));
  }
  return out;
}

S3Result<SignedParts> ParseAuthorizationHeader(const RequestView& request,
                                               std::string_view authorization) {
  if (authorization.substr(0, kAlgorithm.size() + 1) != std::string(kAlgorithm) + " ") {
    return Unsupported();
  }
  SignedParts parts;
  std::string credential, signed_headers;
  for (const std::string& item : Split(authorization.substr(kAlgorithm.size() + 1), ',')) {
    std::string_view field = Trim(item);
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = Trim(field.substr(0, eq));
    std::string_view value = Trim(field.substr(eq + 1));
    if (name == "Credential") credential = value;
    if (name == "SignedHeaders") signed_headers = value;
    if (name == "Signature") parts.signature = value;
  }
  if (credential.empty() || signed_headers.empty() || parts.signature.empty()) {
    return S3Error::AuthorizationHeaderMalformed(
        "The authorization header is malformed; it must contain Credential, SignedHeaders "
        "and Signature.");
  }
  std::optional<Credential> parsed = ParseCredential(credential);
  if (!parsed) {
    return S3Error::AuthorizationHeaderMalformed(
        "The authorization header is malformed; the Credential is mal-formed; expecting "
        "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  parts.credential = *parsed;
  parts.signed_headers = Split(signed_headers, ';');

  if (const std::string* amz_date = Header(request.headers, "x-amz-date")) {
    parts.amz_date = *amz_date;
  } else if (const std::string* date = Header(request.headers, "date")) {
    std::optional<Clock::time_point> t = ParseHttpDate(*date);
    if (t) parts.amz_date = FormatAmzDate(*t);
  }
  if (!ParseAmzDate(parts.amz_date)) {
    return S3Error::AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
  }
  // Without x-amz-content-sha256 (curl --aws-sigv4 before 8.x omits it) the payload is taken
  // to be empty, signed with the empty SHA-256, as MinIO does: body-less requests such as
  // CreateBucket work, a request with a body fails its payload check.
  const std::string* content_sha = Header(request.headers, "x-amz-content-sha256");
  parts.payload_hash = content_sha != nullptr ? *content_sha : kEmptyPayloadSha256;
  return parts;
}

S3Result<SignedParts> ParsePresignedQuery(const RequestView& request) {
  auto query = DecodeQuery(request.raw_query);
  auto get = [&](std::string_view name) -> std::string {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  };
  auto error = S3Error::AuthorizationQueryParametersError;
  if (get("X-Amz-Algorithm") != kAlgorithm) {
    return error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  SignedParts parts;
  parts.presigned = true;
  std::string credential = get("X-Amz-Credential");
  std::string signed_headers = get("X-Amz-SignedHeaders");
  std::string expires = get("X-Amz-Expires");
  parts.signature = get("X-Amz-Signature");
  parts.amz_date = get("X-Amz-Date");
  if (credential.empty() || signed_headers.empty() || expires.empty() ||
      parts.signature.empty() || parts.amz_date.empty()) {
    return error(
        "Query-string authentication version 4 requires the X-Amz-Algorithm, "
        "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
        "X-Amz-Expires parameters.");
  }
  std::optional<Credential> parsed = ParseCredential(credential);
  if (!parsed) {
    return error(
        "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
        "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
  }
  parts.credential = *parsed;
  parts.signed_headers = Split(signed_headers, ';');
  std::optional<Clock::time_point> date = ParseAmzDate(parts.amz_date);
  if (!date) return error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (expires.size() > 7 || !std::all_of(expires.begin(), expires.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return error("X-Amz-Expires should be a number");
  }
  long expiry = std::stol(expires);
  if (expiry < 1) return error("X-Amz-Expires must be non-negative");
  if (expiry > kMaxPresignExpiry) {
    return error("X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  if (request.now > *date + std::chrono::seconds(expiry)) return S3Error::RequestExpired();
  std::string content_sha = get("X-Amz-Content-Sha256");
  parts.payload_hash = content_sha.empty() ? std::string(kUnsignedPayload) : content_sha;
  return parts;
}

// Scope, time and signed-header checks common to both styles.
S3Status CheckParts(const RequestView& request, const SignedParts& parts,
                    const VerifyOptions& options) {
  auto malformed = parts.presigned ? S3Error::AuthorizationQueryParametersError
                                   : S3Error::AuthorizationHeaderMalformed;
  const Credential& c = parts.credential;
  if (c.date != parts.amz_date.substr(0, 8)) {
    return malformed("Invalid credential date \"" + c.date +
                     "\". This date is not the same as X-Amz-Date: \"" +
                     parts.amz_date.substr(0, 8) + "\".");
  }
  if (c.service != "s3") return malformed("Credential should be scoped to correct service: 's3'.");
  if (c.terminator != "aws4_request") {
    return malformed("Credential should be scoped with a valid terminator: 'aws4_request'.");
  }
  if (!options.region.empty() && c.region != options.region) {
    return malformed("The authorization header is malformed; the region '" + c.region +
                     "' is wrong; expecting '" + options.region + "'");
  }
  auto signed_header = [&](std::string_view name) {
    return std::find(parts.signed_headers.begin(), parts.signed_headers.end(), name) !=
           parts.signed_headers.end();
  };
  if (!signed_header("host")) return malformed("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  if (options.require_signed_amz_headers) {
    for (const auto& [name, value] : request.headers) {
      if (name.rfind("x-amz-", 0) == 0 && !signed_header(name)) {
        return S3Error::AccessDenied(
            "There were headers present in the request which were not signed: " + name);
      }
    }
  }
  Clock::time_point date = *ParseAmzDate(parts.amz_date);
  if (parts.presigned) {
    if (date > request.now + options.max_skew) {
      return S3Error::AccessDenied("Request is not valid yet");
    }
  } else if (date > request.now + options.max_skew || date < request.now - options.max_skew) {
    return S3Error::RequestTimeTooSkewed();
  }
  return S3Status::OK();
}

S3Result<AuthContext> Anonymous(const RequestView& request) {
  AuthContext context;
  context.anonymous = true;
  if (const std::string* content_sha = Header(request.headers, "x-amz-content-sha256")) {
    std::optional<PayloadMode> mode = ParsePayloadMode(*content_sha, &context.payload_sha256);
    if (!mode) return BadContentSha256();
    if (*mode == PayloadMode::kStreamingSigned || *mode == PayloadMode::kStreamingSignedTrailer) {
      return S3Error::AccessDenied("A signed streaming payload requires a signed request.");
    }
    context.payload_mode = *mode;
  }
  return context;
}

}  // namespace

bool IsStreaming(PayloadMode mode) {
  return mode == PayloadMode::kStreamingSigned || mode == PayloadMode::kStreamingSignedTrailer ||
         mode == PayloadMode::kStreamingUnsignedTrailer;
}

S3Result<AuthContext> VerifyRequest(const RequestView& request, const CredentialStore& store,
                                    const VerifyOptions& options) {
  if (IsSigV2Request(request)) return VerifySigV2(request, store, options);
  const std::string* authorization = Header(request.headers, "authorization");
  // An Authorization header without a value proves nothing: S3 answers AccessDenied (403), as
  // for no header when anonymous access is off, not a 400 for an unknown scheme.
  if (authorization != nullptr && Trim(*authorization).empty()) {
    return S3Error::AccessDenied("The Authorization header is empty");
  }
  auto query = DecodeQuery(request.raw_query);
  bool has_query_auth = query.count("X-Amz-Algorithm") > 0 || query.count("X-Amz-Signature") > 0;
  if (authorization != nullptr && has_query_auth) {
    return S3Error::InvalidArgument("Only one auth mechanism allowed; only the X-Amz-Algorithm "
                                    "query parameter or the Authorization header should be "
                                    "specified");
  }
  if (authorization == nullptr && !has_query_auth) {
    return Anonymous(request);
  }
  S3Result<SignedParts> parsed = authorization != nullptr
                                     ? ParseAuthorizationHeader(request, *authorization)
                                     : ParsePresignedQuery(request);
  if (!parsed.ok()) return parsed.error();
  const SignedParts& parts = *parsed;

  AuthContext context;
  context.presigned = parts.presigned;
  std::optional<PayloadMode> mode = ParsePayloadMode(parts.payload_hash, &context.payload_sha256);
  if (!mode) return BadContentSha256();
  context.payload_mode = *mode;
  if (S3Status checked = CheckParts(request, parts, options); !checked.ok()) {
    return checked.error();
  }
  const Credentials* credentials = store.Find(parts.credential.access_key);
  if (credentials == nullptr) return S3Error::InvalidAccessKeyId();

  std::string canonical =
      CanonicalRequest(request.method, request.raw_path, request.raw_query, parts.presigned,
                       request.headers, parts.signed_headers, parts.payload_hash);
  context.access_key = credentials->access_key;
  context.scope = parts.credential.Scope();
  context.region = parts.credential.region;
  context.amz_date = parts.amz_date;
  context.signing_key = DeriveSigningKey(credentials->secret_key, parts.credential.date,
                                         parts.credential.region, parts.credential.service);
  context.seed_signature =
      SignatureHex(context.signing_key, StringToSign(context.amz_date, context.scope, canonical));
  std::string provided = AsciiLower(parts.signature);
  if (ConstantTimeEquals(context.seed_signature, provided)) return context;
  return S3Error::SignatureDoesNotMatch();
}

std::string UriEncode(std::string_view raw, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size() * 3);
  for (unsigned char c : raw) {
    if (IsUnreserved(c) || (c == '/' && !encode_slash)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string UriDecode(std::string_view encoded, bool plus_is_space) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c == '%' && i + 2 < encoded.size() && HexValue(encoded[i + 1]) >= 0 &&
        HexValue(encoded[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(encoded[i + 1]) * 16 + HexValue(encoded[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string CanonicalUri(std::string_view raw_path) {
  if (raw_path.empty()) return "/";
  std::string out;
  std::vector<std::string> segments = Split(raw_path, '/');
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += UriEncode(UriDecode(segments[i], false), true);
  }
  return out;
}

std::string CanonicalQuery(std::string_view raw_query, bool skip_signature) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const std::string& piece : Split(raw_query, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string name = UriDecode(std::string_view(piece).substr(0, eq), true);
    if (skip_signature && name == "X-Amz-Signature") continue;
    std::string value =
        eq == std::string::npos ? "" : UriDecode(std::string_view(piece).substr(eq + 1), true);
    params.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  value = Trim(value);
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out.push_back(c);
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view raw_path,
                             std::string_view raw_query, bool presigned,
                             const HeaderMap& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash) {
  std::string out;
  out.append(method).append("\n");
  out.append(CanonicalUri(raw_path)).append("\n");
  out.append(CanonicalQuery(raw_query, presigned)).append("\n");
  std::string names;
  for (const std::string& name : signed_headers) {
    const std::string* value = Header(headers, name);
    out.append(name).append(":").append(value ? CanonicalHeaderValue(*value) : "").append("\n");
    names += (names.empty() ? "" : ";") + name;
  }
  out.append("\n").append(names).append("\n").append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(Sha256Hex(canonical_request));
  return out;
}

std::string DeriveSigningKey(std::string_view secret_key, std::string_view date_yyyymmdd,
                             std::string_view region, std::string_view service) {
  // The key changes once a day per credential: each thread remembers the last one it derived
  // (four HMACs saved on almost every request).
  struct Last {
    std::string secret, date, region, service, key;
  };
  thread_local Last last;
  if (!last.key.empty() && last.secret == secret_key && last.date == date_yyyymmdd &&
      last.region == region && last.service == service) {
    return last.key;
  }
  std::string key = HmacSha256("AWS4" + std::string(secret_key), date_yyyymmdd);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  last = Last{std::string(secret_key), std::string(date_yyyymmdd), std::string(region),
              std::string(service), key};
  return key;
}

std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::optional<Clock::time_point> ParseAmzDate(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) { return std::stoi(std::string(s.substr(pos, len))); };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  return FromTimeT(timegm(&tm));
}

std::string FormatAmzDate(Clock::time_point time) {
  std::time_t t = Clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::optional<Clock::time_point> ParseHttpDate(std::string_view http_date) {
  std::string text(http_date);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return FromTimeT(timegm(&tm));
}

}  // namespace natss3::s3
