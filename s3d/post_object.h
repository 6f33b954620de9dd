// POST Object: browser uploads with a presigned POST policy (multipart/form-data).
#pragma once

#include <httplib.h>

#include "s3d/errors.h"
#include "s3d/routing.h"
#include "s3d/s3_service.h"

namespace natss3::s3d {

// A POST to a bucket (no key, no sub-resource) with a multipart/form-data body. Such a request
// carries its authentication in the form, so it skips header authentication and goes to
// PostObject.
bool IsPostObject(const httplib::Request& req, const S3Address& address);

// Streams the form: fields first (at most 64 KiB), then the file straight into the store. The
// policy's signature, expiration and conditions are checked when the file part begins, before
// any byte is stored; content-length-range while and after the file streams (EntityTooLarge /
// EntityTooSmall, the upload aborted). Answers per success_action_redirect (303) or
// success_action_status (200, 201 with PostResponse XML, default 204).
S3Status PostObject(RequestContext& ctx);

}  // namespace natss3::s3d
