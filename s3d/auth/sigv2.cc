// SigV2 verification: string to sign, canonical resource and amz headers, both auth forms.
#include "auth/sigv2.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <vector>

#include "auth/checksums.h"
#include "natss3/ascii.h"

namespace natss3::s3 {
namespace {

using Clock = std::chrono::system_clock;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const std::string* Header(const HeaderMap& headers, std::string_view name) {
  auto it = headers.find(name);
  return it == headers.end() ? nullptr : &it->second;
}

// (name, value) pairs of a raw query, both percent-decoded ('+' as space), in order.
std::vector<std::pair<std::string, std::string>> QueryPairs(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view piece = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    out.emplace_back(
        UriDecode(piece.substr(0, eq), true),
        eq == std::string_view::npos ? std::string() : UriDecode(piece.substr(eq + 1), true));
  }
  return out;
}

std::optional<std::string> QueryValue(const std::vector<std::pair<std::string, std::string>>& q,
                                      std::string_view name) {
  for (const auto& [n, v] : q) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::optional<Clock::time_point> FromTimeT(long long t) {
  // system_clock holds int64 nanoseconds: about +-292 years around 1970.
  constexpr long long kLimit = 9'000'000'000LL;
  if (t < -kLimit || t > kLimit) return std::nullopt;
  return Clock::from_time_t(static_cast<std::time_t>(t));
}

S3Result<PayloadMode> PayloadModeOf(const HeaderMap& headers, std::string* sha256) {
  const std::string* value = Header(headers, "x-amz-content-sha256");
  if (value == nullptr || *value == "UNSIGNED-PAYLOAD") return PayloadMode::kUnsigned;
  if (*value == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
    return PayloadMode::kStreamingUnsignedTrailer;
  }
  if (value->rfind("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 0) == 0) {
    return S3Error::InvalidRequest("A signed streaming payload requires AWS4-HMAC-SHA256.");
  }
  std::string lower = AsciiLower(*value);
  bool hex = lower.size() == 64 && std::all_of(lower.begin(), lower.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
             });
  if (!hex) {
    return S3Error::InvalidArgument(
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a "
        "valid sha256 value.");
  }
  *sha256 = lower;
  return PayloadMode::kSignedSha256;
}

// What the two forms extract before the signature is computed.
struct V2Parts {
  std::string access_key;
  std::string signature;  // base64 as sent
  std::string date_line;  // the StringToSign's date element
  bool presigned = false;
};

S3Result<V2Parts> ParseHeaderForm(const RequestView& request, const std::string& authorization,
                                  const VerifyOptions& options) {
  V2Parts parts;
  std::string_view credential = Trim(std::string_view(authorization).substr(4));
  size_t colon = credential.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == credential.size()) {
    return S3Error::InvalidArgument(
        "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature");
  }
  parts.access_key = std::string(credential.substr(0, colon));
  parts.signature = std::string(Trim(credential.substr(colon + 1)));
  // x-amz-date, when present, is the request time and the Date element is empty (it is signed
  // among the amz headers instead).
  const std::string* amz_date = Header(request.headers, "x-amz-date");
  const std::string* date = Header(request.headers, "date");
  std::optional<Clock::time_point> when;
  if (amz_date != nullptr) {
    when = ParseSigV2Date(*amz_date);
  } else if (date != nullptr) {
    when = ParseSigV2Date(*date);
    parts.date_line = *date;
  }
  if (!when) {
    return S3Error::AccessDenied("AWS authentication requires a valid Date or x-amz-date header");
  }
  if (*when > request.now + options.max_skew || *when < request.now - options.max_skew) {
    return S3Error::RequestTimeTooSkewed();
  }
  return parts;
}

S3Result<V2Parts> ParseQueryForm(const RequestView& request) {
  auto query = QueryPairs(request.raw_query);
  std::optional<std::string> key = QueryValue(query, "AWSAccessKeyId");
  std::optional<std::string> signature = QueryValue(query, "Signature");
  std::optional<std::string> expires = QueryValue(query, "Expires");
  if (!key || !signature || !expires || key->empty() || signature->empty()) {
    return S3Error::AccessDenied(
        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId "
        "parameters");
  }
  bool digits =
      !expires->empty() && expires->size() <= 12 &&
      std::all_of(expires->begin(), expires->end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    return S3Error::AccessDenied("Invalid date (should be seconds since epoch): " + *expires);
  }
  // Beyond what the clock holds (about year 2262) is simply not expired.
  std::optional<Clock::time_point> deadline = FromTimeT(std::stoll(*expires));
  if (deadline && request.now > *deadline) return S3Error::RequestExpired();
  V2Parts parts;
  parts.presigned = true;
  parts.access_key = *key;
  // A '+' sent unencoded decodes to a space; base64 has no spaces, so it can only be a '+'.
  parts.signature = *signature;
  std::replace(parts.signature.begin(), parts.signature.end(), ' ', '+');
  parts.date_line = *expires;
  return parts;
}

}  // namespace

bool IsSigV2Request(const RequestView& request) {
  if (const std::string* authorization = Header(request.headers, "authorization")) {
    return authorization->rfind("AWS ", 0) == 0;
  }
  bool v2 = false;
  for (const auto& [name, value] : QueryPairs(request.raw_query)) {
    if (name == "X-Amz-Algorithm" || name == "X-Amz-Signature") return false;
    if (name == "AWSAccessKeyId" || name == "Signature") v2 = true;
  }
  return v2;
}

S3Result<AuthContext> VerifySigV2(const RequestView& request, const CredentialStore& store,
                                  const VerifyOptions& options) {
  const std::string* authorization = Header(request.headers, "authorization");
  if (authorization != nullptr) {
    for (const auto& [name, value] : QueryPairs(request.raw_query)) {
      if (name == "AWSAccessKeyId" || name == "Signature") {
        return S3Error::InvalidArgument(
            "Only one auth mechanism allowed; only the Signature query parameter or the "
            "Authorization header should be specified");
      }
    }
  }
  S3Result<V2Parts> parsed = authorization != nullptr
                                 ? ParseHeaderForm(request, *authorization, options)
                                 : ParseQueryForm(request);
  if (!parsed.ok()) return parsed.error();
  const V2Parts& parts = *parsed;

  AuthContext context;
  context.presigned = parts.presigned;
  S3Result<PayloadMode> mode = PayloadModeOf(request.headers, &context.payload_sha256);
  if (!mode.ok()) return mode.error();
  context.payload_mode = *mode;

  const Credentials* credentials = store.Find(parts.access_key);
  if (credentials == nullptr) return S3Error::InvalidAccessKeyId();
  context.access_key = credentials->access_key;

  // The path as sent is what clients sign. Also accepted: the decoded path (some clients sign
  // it), and for a path-style bucket request "/bucket/" (botocore signs bucket operations with
  // the trailing slash it does not send). Each extra candidate costs an HMAC on a mismatch only.
  std::vector<std::string> paths = {request.raw_path.empty() ? "/" : request.raw_path};
  if (std::string decoded = UriDecode(request.raw_path, false); decoded != paths[0]) {
    paths.push_back(decoded);
  }
  if (request.resource_prefix.empty() && paths[0].size() > 1 &&
      paths[0].find('/', 1) == std::string::npos) {
    paths.push_back(paths[0] + "/");
  }
  // A sub-resource sent with an empty value ("?delete=") is signed bare by the AWS rules and
  // minio-go, with its '=' by botocore: both forms are tried.
  std::vector<std::string> resources;
  for (const std::string& path : paths) {
    resources.push_back(SigV2CanonicalResource(request.resource_prefix, path, request.raw_query));
    std::string bare =
        SigV2CanonicalResource(request.resource_prefix, path, request.raw_query, true);
    if (bare != resources.back()) resources.push_back(std::move(bare));
  }
  const std::string& provided = parts.signature;
  bool match = false;
  for (const std::string& resource : resources) {
    std::string expected = SigV2Signature(
        credentials->secret_key,
        SigV2StringToSign(request.method, request.headers, parts.date_line, resource));
    if (ConstantTimeEquals(expected, provided)) match = true;
  }
  if (!match) return S3Error::SignatureDoesNotMatch();
  return context;
}

bool IsSigV2Subresource(std::string_view name) {
  static constexpr std::string_view kNames[] = {"accelerate",
                                                "acl",
                                                "analytics",
                                                "cors",
                                                "delete",
                                                "encryption",
                                                "inventory",
                                                "legal-hold",
                                                "lifecycle",
                                                "location",
                                                "logging",
                                                "metrics",
                                                "notification",
                                                "object-lock",
                                                "partNumber",
                                                "policy",
                                                "replication",
                                                "requestPayment",
                                                "restore",
                                                "retention",
                                                "select",
                                                "select-type",
                                                "storageClass",
                                                "tagging",
                                                "torrent",
                                                "uploadId",
                                                "uploads",
                                                "versionId",
                                                "versioning",
                                                "versions",
                                                "website",
                                                "attributes",
                                                "response-cache-control",
                                                "response-content-disposition",
                                                "response-content-encoding",
                                                "response-content-language",
                                                "response-content-type",
                                                "response-expires"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

std::string SigV2CanonicalResource(std::string_view bucket_prefix, std::string_view path,
                                   std::string_view raw_query, bool empty_values_bare) {
  std::string out(bucket_prefix);
  out.append(path);
  // Names keep their order of appearance among equals (stable sort), values stay decoded.
  std::vector<std::pair<std::string, std::optional<std::string>>> params;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view piece = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string name = UriDecode(piece.substr(0, eq), true);
    if (!IsSigV2Subresource(name)) continue;
    std::optional<std::string> value;
    if (eq != std::string_view::npos) value = UriDecode(piece.substr(eq + 1), true);
    params.emplace_back(std::move(name), std::move(value));
  }
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  char sep = '?';
  for (const auto& [name, value] : params) {
    out.push_back(sep);
    sep = '&';
    out.append(name);
    if (value && !(empty_values_bare && value->empty())) out.append("=").append(*value);
  }
  return out;
}

std::string SigV2CanonicalAmzHeaders(const HeaderMap& headers) {
  std::string out;
  for (auto it = headers.lower_bound("x-amz-");
       it != headers.end() && it->first.compare(0, 6, "x-amz-") == 0; ++it) {
    // Folded values: each line break with its surrounding whitespace becomes one space.
    std::string value;
    std::string_view raw = Trim(it->second);
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\r' || raw[i] == '\n') {
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
        while (i + 1 < raw.size() && (raw[i + 1] == ' ' || raw[i + 1] == '\t' ||
                                      raw[i + 1] == '\r' || raw[i + 1] == '\n')) {
          ++i;
        }
        value.push_back(' ');
      } else {
        value.push_back(raw[i]);
      }
    }
    out.append(it->first).append(":").append(value).append("\n");
  }
  return out;
}

std::string SigV2StringToSign(std::string_view method, const HeaderMap& headers,
                              std::string_view date_line, std::string_view canonical_resource) {
  const std::string* md5 = Header(headers, "content-md5");
  const std::string* type = Header(headers, "content-type");
  std::string out(method);
  out.append("\n").append(md5 ? Trim(*md5) : "").append("\n");
  out.append(type ? Trim(*type) : "").append("\n");
  out.append(date_line).append("\n");
  out.append(SigV2CanonicalAmzHeaders(headers));
  out.append(canonical_resource);
  return out;
}

std::string HmacSha1(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string SigV2Signature(std::string_view secret_key, std::string_view string_to_sign) {
  return Base64Encode(HmacSha1(secret_key, string_to_sign));
}

std::optional<Clock::time_point> ParseSigV2Date(std::string_view text) {
  text = Trim(text);
  if (text.size() == 16 && text[8] == 'T' && text.back() == 'Z') return ParseAmzDate(text);
  std::string copy(text);
  std::tm tm{};
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  std::string_view zone = Trim(std::string_view(end));
  long offset = 0;
  if (zone == "GMT" || zone == "UTC" || zone == "Z" || zone == "UT") {
    offset = 0;
  } else if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-') &&
             std::all_of(zone.begin() + 1, zone.end(),
                         [](char c) { return c >= '0' && c <= '9'; })) {
    int hh = (zone[1] - '0') * 10 + (zone[2] - '0');
    int mm = (zone[3] - '0') * 10 + (zone[4] - '0');
    if (hh > 23 || mm > 59) return std::nullopt;
    offset = (hh * 3600L + mm * 60L) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  return FromTimeT(static_cast<long long>(timegm(&tm)) - offset);
}

}  // namespace natss3::s3
