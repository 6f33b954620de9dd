// S3 Object Lock in natss3d: the request headers and XML bodies of object lock, the response
// headers, and the six configuration/retention/legal-hold operations. The lock itself lives in
// the object's meta headers and is enforced by the core (natss3/object_lock.h).
#pragma once

#include <httplib.h>

#include <optional>
#include <string_view>

#include "natss3/object_lock.h"
#include "s3d/errors.h"
#include "s3d/s3_service.h"

namespace natss3::s3d {

// The lock a request's x-amz-object-lock-mode, x-amz-object-lock-retain-until-date and
// x-amz-object-lock-legal-hold headers ask for, checked at `now`: nullopt when it has none.
// InvalidArgument when mode and date do not come together, for an unknown mode, a date that is
// not ISO 8601 or not in the future, and a legal hold other than ON or OFF.
S3Result<std::optional<ObjectLock>> ParseLockHeaders(const httplib::Request& req, TimePoint now);
// For a new object's headers (PutObject, CopyObject, CreateMultipartUpload): removes lock
// headers copied from elsewhere (unless `keep_existing` and the request names none) and sets
// the request's. InvalidRequest when the request names a lock and the bucket has no object
// lock configuration.
S3Status ApplyRequestedLock(RequestContext& ctx, Headers* headers, bool keep_existing = false);
// x-amz-object-lock-mode, -retain-until-date and -legal-hold of a GET/HEAD response.
void SetLockResponseHeaders(const ObjectInfo& info, httplib::Response& res);
// x-amz-bypass-governance-retention: true, from a key allowed to bypass governance retention
// in this bucket (AuthGate::MayBypassGovernance).
bool BypassGovernance(RequestContext& ctx);

// <ObjectLockConfiguration>: MalformedXML unless ObjectLockEnabled is Enabled and a Rule names
// one DefaultRetention with a Mode and exactly one of Days and Years; InvalidArgument for a
// period that is not positive.
S3Result<ObjectLockConfig> ParseObjectLockConfiguration(std::string_view body);
std::string ObjectLockConfigurationXml(const ObjectLockConfig& config);
// <Retention><Mode/><RetainUntilDate/></Retention>: both or neither (neither removes it).
S3Result<ObjectLock> ParseRetention(std::string_view body, TimePoint now);
// <LegalHold><Status>ON|OFF</Status></LegalHold>.
S3Result<bool> ParseLegalHold(std::string_view body);

// The S3 handlers (Get/PutObjectLockConfiguration, ...) are declared in s3d/s3_service.h.

}  // namespace natss3::s3d
