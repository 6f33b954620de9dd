// Bucket CORS: the CORSConfiguration of Put/Get/DeleteBucketCors, the OPTIONS preflight
// (answered without authentication) and the Access-Control-* headers of ordinary requests
// that carry an Origin. Rules are stored as a bucket configuration record (see s3d/acl.h).
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natss3/object_store.h"
#include "s3d/bucket_records.h"
#include "s3d/errors.h"

namespace natss3::s3d {

struct CorsRule {
  std::string id;
  std::vector<std::string> allowed_origins;  // at most one '*' each
  std::vector<std::string> allowed_methods;  // GET, PUT, HEAD, POST, DELETE
  std::vector<std::string> allowed_headers;  // at most one '*' each, matched case-insensitively
  std::vector<std::string> expose_headers;
  std::optional<int64_t> max_age_seconds;
};

// <CORSConfiguration><CORSRule>...</CORSRule>...</CORSConfiguration>: 1..100 rules, each with
// at least one AllowedOrigin and AllowedMethod (MalformedXML otherwise); InvalidRequest for a
// method S3 does not allow or an origin or header with more than one wildcard.
S3Result<std::vector<CorsRule>> ParseCorsConfiguration(std::string_view body);
std::string CorsConfigurationXml(const std::vector<CorsRule>& rules);
// The stored form (JSON) and back; a malformed record reads as no rules.
std::string CorsRulesToJson(const std::vector<CorsRule>& rules);
std::vector<CorsRule> CorsRulesFromJson(std::string_view json);

// `pattern` with at most one '*' that matches any run of characters.
bool WildcardMatch(std::string_view pattern, std::string_view value, bool ignore_case);
// The first rule that allows `origin`, `method` and every one of `request_headers`.
const CorsRule* MatchCorsRule(const std::vector<CorsRule>& rules, std::string_view origin,
                              std::string_view method,
                              const std::vector<std::string>& request_headers);

// Answers an OPTIONS request for `bucket` (no authentication, as S3 does), by the rules as
// `records` caches them.
void AnswerPreflight(BucketRecords& records, const std::string& bucket, const httplib::Request& req,
                     httplib::Response& res);
// Adds Access-Control-Allow-Origin etc. to the response of an ordinary request that carries
// an Origin header matching one of the bucket's rules (as `records` caches them).
void AddCorsHeaders(BucketRecords& records, const std::string& bucket, const httplib::Request& req,
                    httplib::Response& res);

}  // namespace natss3::s3d
