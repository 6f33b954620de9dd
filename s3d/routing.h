// Request addressing and routing: bucket/key from path-style or virtual-hosted URLs, query
// parsing, and which S3 operation a request is. Pure functions, unit-tested without a server.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "s3d/auth/sigv4.h"
#include "s3d/errors.h"

namespace natss3::s3d {

enum class Operation {
  kListBuckets,
  kCreateBucket,
  kDeleteBucket,
  kHeadBucket,
  kGetBucketLocation,
  kGetBucketVersioning,
  kListObjectsV1,
  kListObjectsV2,
  kListMultipartUploads,
  kDeleteObjects,
  kPutObject,
  kCopyObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kGetObjectTagging,
  kPutObjectTagging,
  kDeleteObjectTagging,
  kCreateMultipartUpload,
  kUploadPart,
  kUploadPartCopy,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kListParts,
  kListObjectVersions,
  kPutBucketVersioning,
  kGetObjectAttributes,
  kGetBucketAcl,
  kPutBucketAcl,
  kGetObjectAcl,
  kPutObjectAcl,
  kGetBucketCors,
  kPutBucketCors,
  kDeleteBucketCors,
  kGetObjectLockConfiguration,
  kPutObjectLockConfiguration,
  kGetObjectRetention,
  kPutObjectRetention,
  kGetObjectLegalHold,
  kPutObjectLegalHold,
  kGetBucketPolicy,
  kPutBucketPolicy,
  kDeleteBucketPolicy,
  kPreflight,  // OPTIONS: a CORS preflight, answered without authentication
  kNotImplemented,    // a known S3 operation natss3 does not implement (501)
  kMethodNotAllowed,  // a method S3 does not define for the resource (405)
};

std::string_view OperationName(Operation op);
// Operations that only read (used for permission checks).
bool IsReadOperation(Operation op);

// Decoded query parameters in order of appearance ('+' decodes to space).
using QueryParams = std::multimap<std::string, std::string>;
QueryParams ParseQuery(std::string_view query);

// Percent-decoding; false on a malformed escape.
bool UriDecode(std::string_view in, std::string* out, bool plus_is_space);
// RFC 3986 unreserved characters kept; '/' kept unless encode_slash (SigV4's encoding).
using s3::UriEncode;

struct S3Address {
  std::string bucket;  // empty: service level
  std::string key;     // empty: bucket level
  QueryParams query;
  std::string raw_path;
  std::string raw_query;
  bool virtual_host = false;  // the bucket came from the Host header
  // The bucket as the client named it (S3 name, e.g. "my.bucket"). `bucket` holds the same
  // until MapBucketName turns it into the NATS bucket name ("my_bucket").
  std::string s3_bucket;
  bool Has(const std::string& name) const { return query.count(name) > 0; }
  std::string Get(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
};

// Parses the request target ("/bucket/key?x=y"). With a non-empty `domain` and a Host of
// "<bucket>.<domain>[:port]", the bucket comes from the host and the whole path is the key.
S3Result<S3Address> ParseAddress(std::string_view target, std::string_view host,
                                 std::string_view domain);

// method: "GET", "HEAD", "PUT", "POST", "DELETE"; has_copy_source: x-amz-copy-source present.
Operation Classify(std::string_view method, const S3Address& address, bool has_copy_source);

// S3 bucket names natss3 can create: 3-63 characters of [a-z0-9.-], starting and ending with a
// letter or digit, no "..", ".-" or "-.", not shaped like an IPv4 address.
S3Status ValidateNewBucketName(std::string_view bucket);
// Names accepted when addressing an existing bucket: any name whose NATS name is a NATS bucket
// name ([A-Za-z0-9_-]+), so buckets made by other NATS clients stay reachable.
S3Status ValidateExistingBucketName(std::string_view bucket);

// Bucket name mapping. NATS bucket (stream) names cannot hold '.', S3 bucket names cannot hold
// '_': the S3 bucket "my.bucket" is stored as the NATS bucket "my_bucket". The other way, a NATS
// bucket shows under S3 with '_' turned into '.' when that makes a valid S3 bucket name, and
// unchanged otherwise (upper case, leading '_', ...). Both names address the bucket.
std::string NatsBucketName(std::string_view s3_bucket);
std::string S3BucketName(std::string_view nats_bucket);
// Sets address->s3_bucket to the name the client used and address->bucket to the NATS name.
void MapBucketName(S3Address* address);
// Keys: 1..1024 bytes (KeyTooLongError beyond). Operations that create an object also need
// well-formed UTF-8 without NUL (InvalidArgument); control characters, CR and LF are fine.
S3Status ValidateKey(std::string_view key, Operation op);

// The store keeps one version per key, S3's "null" version: a versionId query parameter of
// "null" (or none) names it. Another id cannot exist: NoSuchVersion when it has the shape of
// an S3 version id, InvalidArgument otherwise (as S3 answers for an id it never issued).
S3Status CheckVersionId(const S3Address& address);
// The same rule for one id (DeleteObjects entries, copy sources).
S3Status CheckVersionId(std::string_view version_id);

}  // namespace natss3::s3d
