// Helpers shared by the object, copy and multipart handlers.
#pragma once

#include <memory>
#include <string>

#include "natss3/object_store.h"
#include "s3d/errors.h"
#include "s3d/s3_service.h"

namespace natss3::s3d {

// Streams `reader` (already positioned on the selected range) as the response body of
// `length` bytes with a bounded buffer; `content_type` must not also be in res.headers. The
// first slice is read before the status line goes out, so a read that fails at once (a
// failover, a version replaced meanwhile) is an error answer, not a truncated body; that
// read's status is returned.
Status StreamObjectBody(httplib::Response& res, std::unique_ptr<ObjectReader> reader,
                        uint64_t length, const std::string& content_type);
// Object info, disambiguating a missing bucket from a missing key.
// Opens bucket/key for reading, following an object-store link (one level). A link is
// followed only into a bucket the caller may read: AccessDenied otherwise (a link must not
// widen the caller's permissions).
S3Result<std::unique_ptr<ObjectReader>> OpenForRead(RequestContext& ctx, const std::string& bucket,
                                                    const std::string& key,
                                                    const ReadOptions& options = {});
S3Result<ObjectInfo> GetObjectInfo(RequestContext& ctx, const std::string& bucket,
                                   const std::string& key);
// Object headers for a new object from the request (content headers, x-amz-meta-*,
// x-amz-tagging, x-amz-checksum-* sent as headers).
S3Result<Headers> NewObjectHeaders(RequestContext& ctx);

}  // namespace natss3::s3d
