// AWS Signature Version 2 verification for S3: "Authorization: AWS AKID:signature" and
// query-string authentication (AWSAccessKeyId, Signature, Expires), as older SDKs, boto3 with
// signature_version "s3", aws-cli v1's presign and minio-go's V2 mode still produce.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "auth/credentials.h"
#include "auth/s3_error.h"
#include "auth/sigv4.h"

namespace natss3::s3 {

// True when `request` is signed the SigV2 way: an Authorization header starting "AWS " or an
// AWSAccessKeyId / Signature query parameter (and no SigV4 X-Amz-Algorithm).
bool IsSigV2Request(const RequestView& request);

// Verifies a SigV2 request (IsSigV2Request true). The context has access_key set, signing_key
// and seed_signature empty, payload_mode kUnsigned (or what an x-amz-content-sha256 header
// names; signed streaming modes need SigV4: InvalidRequest).
// Errors (S3 code, HTTP status):
//   InvalidArgument 400       - Authorization not "AWS <key>:<signature>"
//   AccessDenied 403          - missing/invalid Date (header form); query form missing one of
//                               AWSAccessKeyId, Signature, Expires, or Expires not a number;
//                               "Request has expired" when Expires is in the past
//   RequestTimeTooSkewed 403  - header form more than max_skew from now
//   InvalidAccessKeyId 403    - unknown access key
//   SignatureDoesNotMatch 403 - wrong signature (constant-time comparison)
S3Result<AuthContext> VerifySigV2(const RequestView& request, const CredentialStore& store,
                                  const VerifyOptions& options = {});

// ---- building blocks (exposed for tests and the POST-policy check) ----

// Whether a query parameter is one of the sub-resources SigV2 signs (acl, uploadId, versionId,
// response-content-type, ...).
bool IsSigV2Subresource(std::string_view name);
// CanonicalizedResource: `bucket_prefix` ("/bucket" for virtual-hosted requests, else ""), the
// path as sent (still percent-encoded), then the signed sub-resources of the query sorted by
// name, '?'-then-'&'-joined, values percent-decoded ("name" alone when sent without '=', and
// with `empty_values_bare` also when sent with an empty value).
std::string SigV2CanonicalResource(std::string_view bucket_prefix, std::string_view path,
                                   std::string_view raw_query, bool empty_values_bare = false);
// CanonicalizedAmzHeaders: x-amz-* headers (lower-case names, sorted, values trimmed), each
// "name:value\n".
std::string SigV2CanonicalAmzHeaders(const HeaderMap& headers);
// "METHOD\nContent-MD5\nContent-Type\n<date_line>\n<amz headers><resource>".
std::string SigV2StringToSign(std::string_view method, const HeaderMap& headers,
                              std::string_view date_line, std::string_view canonical_resource);
// base64(HMAC-SHA1(secret, string_to_sign)).
std::string SigV2Signature(std::string_view secret_key, std::string_view string_to_sign);
// Raw 20-byte HMAC-SHA1.
std::string HmacSha1(std::string_view key, std::string_view data);
// The Date / x-amz-date forms SigV2 clients send: RFC 1123 with "GMT", "UTC", "Z" or a
// numeric "+hhmm" offset, or ISO 8601 basic "20130524T000000Z". nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseSigV2Date(std::string_view text);

}  // namespace natss3::s3
