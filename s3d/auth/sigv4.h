// AWS Signature Version 4 verification for S3: Authorization header and presigned URLs.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/credentials.h"
#include "auth/s3_error.h"

namespace natss3::s3 {

// Request headers: lower-case names -> value. Repeated headers are joined with "," in arrival
// order by the caller (as the SigV4 canonical form requires).
using HeaderMap = std::map<std::string, std::string, std::less<>>;

// What VerifyRequest needs of an HTTP request. No ownership of anything beyond the copies.
struct RequestView {
  std::string method;     // "GET", "PUT", ... (upper case, as sent)
  std::string raw_path;   // the request-target's path exactly as sent, still percent-encoded,
                          // without the query; e.g. "/bucket/my%20key"
  std::string raw_query;  // exactly as sent after '?', without the '?'; "" if none
  HeaderMap headers;      // must contain "host" for signed requests
  // SigV2 only: "/bucket" when the bucket came from the Host (virtual-hosted style), as the
  // SigV2 canonical resource starts with the bucket; "" for path-style requests.
  std::string resource_prefix;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// How the request body is protected, from x-amz-content-sha256 (or the presign rules).
enum class PayloadMode {
  kUnsigned,                 // UNSIGNED-PAYLOAD, presigned URLs, anonymous requests
  kSignedSha256,             // a hex SHA-256 of the whole body; caller must verify it
  kStreamingSigned,          // STREAMING-AWS4-HMAC-SHA256-PAYLOAD (aws-chunked, chunk sigs)
  kStreamingSignedTrailer,   // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER (+ trailer sig)
  kStreamingUnsignedTrailer, // STREAMING-UNSIGNED-PAYLOAD-TRAILER (aws-chunked, no sigs)
};
bool IsStreaming(PayloadMode mode);  // true for the three aws-chunked modes

// Hex SHA-256 of an empty payload.
inline constexpr const char* kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The outcome of a successful verification: who signed, and what the body decoder needs.
struct AuthContext {
  bool anonymous = false;      // no Authorization header and no X-Amz-Algorithm query param
  bool presigned = false;      // authenticated by query parameters
  std::string access_key;      // "" when anonymous
  std::string signing_key;     // raw 32-byte HMAC key of the scope ("" when anonymous)
  std::string scope;           // "20130524/us-east-1/s3/aws4_request"
  std::string region;          // region of the scope, e.g. "us-east-1"
  std::string amz_date;        // "20130524T000000Z": the request's signing timestamp
  std::string seed_signature;  // hex signature of the request (first chunk's previous sig)
  PayloadMode payload_mode = PayloadMode::kUnsigned;
  std::string payload_sha256;  // lower-case hex, only for kSignedSha256
};

struct VerifyOptions {
  // Maximum difference between the request time and `now` (header auth), and how far in the
  // future a presigned X-Amz-Date may be. Default 15 minutes, as S3.
  std::chrono::seconds max_skew{15 * 60};
  // When non-empty, the credential scope's region must equal it (AuthorizationHeaderMalformed
  // otherwise). Default "": any region is accepted (clients are configured with anything).
  std::string region;
  // S3 rejects x-amz-* request headers that are present but not signed (AccessDenied).
  // Default true.
  bool require_signed_amz_headers = true;
};

// Verifies `request` against `store`. On success returns the AuthContext; for a request with
// no authentication at all returns an AuthContext with anonymous = true (payload_mode taken
// from x-amz-content-sha256 when it names an unsigned streaming mode, else kUnsigned): the
// caller decides whether anonymous access is allowed (CredentialStore::CanRead/CanWrite with
// an empty key). Bucket permissions are NOT checked here.
//
// Errors (S3 code, HTTP status):
//   AuthorizationHeaderMalformed 400 - unparsable Authorization header, bad credential scope
//                                      (date not matching x-amz-date, service not s3,
//                                      terminator not aws4_request, wrong region)
//   AuthorizationQueryParametersError 400 - missing/invalid X-Amz-* presign parameters,
//                                      X-Amz-Expires not in 1..604800
//   InvalidRequest 400               - other algorithm (SigV4a)
//   InvalidArgument 400              - malformed x-amz-content-sha256 value
//   AccessDenied 403                 - missing date; "Request has expired" (presigned);
//                                      presigned X-Amz-Date more than max_skew in the future;
//                                      host or an x-amz-* header present but not signed
//   InvalidAccessKeyId 403           - unknown access key
//   RequestTimeTooSkewed 403         - header auth more than max_skew away from now
//   SignatureDoesNotMatch 403        - wrong signature (constant-time comparison)
// Header auth without x-amz-content-sha256 is verified as kSignedSha256 of an empty payload
// (kEmptyPayloadSha256), as MinIO does; S3 itself insists on the header.
// SigV2 requests (auth/sigv2.h: IsSigV2Request) are verified by VerifySigV2, with its errors.
// Thread-safe (pure function of its arguments).
S3Result<AuthContext> VerifyRequest(const RequestView& request, const CredentialStore& store,
                                    const VerifyOptions& options = {});

// ---- SigV4 building blocks (shared with the signer, exposed for tests) ----

// RFC 3986 percent-encoding as SigV4 specifies: unreserved A-Z a-z 0-9 - _ . ~ kept, everything
// else %XX with upper-case hex; '/' kept when !encode_slash.
std::string UriEncode(std::string_view raw, bool encode_slash);
// Percent-decoding; '+' is kept as '+' unless plus_is_space. Invalid escapes stay literal.
std::string UriDecode(std::string_view encoded, bool plus_is_space);
// S3's canonical URI from the path as sent: each '/'-separated segment is decoded once and
// re-encoded (so "%7e", "~" and "%7E" agree, and an encoded "%2F" stays inside its segment);
// no dot-segment removal, no slash merging. "" becomes "/".
std::string CanonicalUri(std::string_view raw_path);
// Canonical query string: parameters decoded ('+' as space), re-encoded, sorted by name then
// value, "name=value" joined with '&'; a parameter without '=' gets an empty value.
// `skip_signature` drops X-Amz-Signature (presigned URLs).
std::string CanonicalQuery(std::string_view raw_query, bool skip_signature);
// Header value canonical form: trimmed, inner runs of spaces collapsed to one.
std::string CanonicalHeaderValue(std::string_view value);
// The full canonical request. `signed_headers` are lower-case names in the order the client
// listed them (SigV4 clients sort them). Missing headers canonicalise to an empty value.
std::string CanonicalRequest(std::string_view method, std::string_view raw_path,
                             std::string_view raw_query, bool presigned,
                             const HeaderMap& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_hash);
// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
std::string DeriveSigningKey(std::string_view secret_key, std::string_view date_yyyymmdd,
                             std::string_view region, std::string_view service = "s3");
// Hex HMAC-SHA256 of `string_to_sign` under the signing key.
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

// Timestamps: "20130524T000000Z" <-> time_point (UTC). nullopt when malformed or outside what
// system_clock holds (about 1678 to 2262).
std::optional<std::chrono::system_clock::time_point> ParseAmzDate(std::string_view amz_date);
std::string FormatAmzDate(std::chrono::system_clock::time_point time);
// RFC 1123 "Fri, 24 May 2013 00:00:00 GMT" (the Date header), nullopt when malformed or out of
// range as above.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view http_date);

}  // namespace natss3::s3
