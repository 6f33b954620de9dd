// S3 POST Object policies (browser uploads): the signature over the base64 policy (SigV4 form
// fields x-amz-algorithm/-credential/-date/-signature, or SigV2 AWSAccessKeyId/signature) and
// the policy's expiration and conditions against the form fields.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/credentials.h"
#include "auth/s3_error.h"
#include "auth/sigv4.h"

namespace natss3::s3 {

// Form fields by lower-case name (S3 field names are case-insensitive); first one wins.
using FormFields = std::map<std::string, std::string, std::less<>>;

struct PostPolicy {
  struct Condition {
    enum class Kind { kEq, kStartsWith, kContentLengthRange };
    Kind kind = Kind::kEq;
    std::string field;  // lower-case, without '$' ("key", "content-type", "x-amz-meta-a")
    std::string value;
    int64_t min = 0, max = 0;  // kContentLengthRange
    std::string text;          // as written, for error messages
  };
  std::chrono::system_clock::time_point expiration;
  std::vector<Condition> conditions;
  // The tightest content-length-range, if any.
  std::optional<std::pair<int64_t, int64_t>> length_range;
};

// Parses the decoded policy JSON: {"expiration": "2007-12-01T12:00:00.000Z", "conditions": [
// {"bucket": "b"}, ["eq", "$key", "k"], ["starts-with", "$key", "p/"],
// ["content-length-range", 1, 1048576], ...]}. InvalidPolicyDocument (400) when malformed.
S3Result<PostPolicy> ParsePostPolicy(std::string_view json);

// Verifies the form's signature over fields["policy"] (the base64 text as sent). Anonymous
// (AuthContext.anonymous) when the form has no signature fields and no policy. Errors:
// InvalidArgument (400) for a policy without signature fields or incomplete ones,
// InvalidAccessKeyId (403), SignatureDoesNotMatch (403), AuthorizationQueryParametersError
// for a malformed x-amz-credential, InvalidRequest for another x-amz-algorithm.
S3Result<AuthContext> VerifyPostSignature(const FormFields& fields, const CredentialStore& store);

// Checks the policy: not expired at `now` (AccessDenied "Invalid according to Policy: Policy
// expired."), every condition holds for `fields` (where "bucket" is the bucket and "key" the
// final key) and every field is covered by a condition except policy, signature,
// x-amz-signature, awsaccesskeyid, file and x-ignore-* ("Extra input fields"). The length range
// is not checked here (the size is known only after the upload: see length_range).
S3Status CheckPostPolicy(const PostPolicy& policy, const FormFields& fields,
                         std::chrono::system_clock::time_point now);

// ISO 8601 "2007-12-01T12:00:00.000Z" (fraction optional), nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);

}  // namespace natss3::s3
