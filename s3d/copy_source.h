// x-amz-copy-source parsing and source checks shared by CopyObject and UploadPartCopy.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "natss3/object_store.h"
#include "s3d/errors.h"
#include "s3d/s3_service.h"

namespace natss3::s3d {

struct CopySource {
  std::string bucket;  // NATS bucket name
  std::string key;
  std::string s3_bucket;  // as the client named it (grants are per S3 name)
};

// "/bucket/key" or "bucket/key", URL-encoded, optional "?versionId=null". The bucket is mapped
// to its NATS name (see NatsBucketName).
S3Result<CopySource> ParseCopySource(std::string_view header);
// Read permission, existence and x-amz-copy-source-if-* (412 PreconditionFailed).
S3Result<ObjectInfo> OpenCopySource(RequestContext& ctx, const CopySource& source);
// Copies everything `reader` yields into `write` in 256 KiB slices.
Status CopyStream(ObjectReader& reader, const std::function<Status(std::string_view)>& write);
void SendCopyPartResult(RequestContext& ctx, const std::string& etag, TimePoint modified);

}  // namespace natss3::s3d
