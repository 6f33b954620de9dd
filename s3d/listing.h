// ListObjects v1/v2 and ListBuckets: request parameters and XML, served from a ListingIndex page.
#pragma once

#include <string>
#include <vector>

#include "natss3/listing_index.h"
#include "natss3/types.h"
#include "s3d/errors.h"
#include "s3d/routing.h"

namespace natss3::s3d {

struct ListParams {
  bool v2 = false;
  std::string prefix;
  std::string delimiter;
  size_t max_keys = 1000;          // clamped to 1000
  std::string marker;              // v1
  std::string start_after;         // v2
  std::string continuation_token;  // v2, as sent (opaque)
  bool url_encoding = false;       // encoding-type=url
  bool fetch_owner = false;
};

// InvalidArgument for a bad max-keys, encoding-type or continuation token.
S3Result<ListParams> ParseListParams(const S3Address& address, bool v2);
// The index query the params describe (start after the later of marker/start-after/token).
ListingIndex::Query ToQuery(const ListParams& params);
std::string ListObjectsXml(const std::string& bucket, const ListParams& params,
                           const ListingIndex::Page& page);

// ListObjectVersions of an unversioned store: every current object is its only version, with
// VersionId "null". Paging: key-marker (+ version-id-marker "null") resumes after that key.
struct VersionListParams {
  std::string prefix;
  std::string delimiter;
  size_t max_keys = 1000;  // clamped to 1000
  std::string key_marker;
  std::string version_id_marker;  // "" or "null"
  bool url_encoding = false;
};
// InvalidArgument for a bad max-keys or encoding-type, a version-id-marker without a key-marker
// or one other than "null" (no other version exists).
S3Result<VersionListParams> ParseVersionListParams(const S3Address& address);
ListingIndex::Query ToQuery(const VersionListParams& params);
std::string ListVersionsXml(const std::string& bucket, const VersionListParams& params,
                            const ListingIndex::Page& page);

std::string EncodeContinuationToken(std::string_view start_after);
S3Result<std::string> DecodeContinuationToken(std::string_view token);

std::string ListBucketsXml(const std::vector<BucketStatus>& buckets);

}  // namespace natss3::s3d
