// S3 errors in natss3d: the one mapping from natss3::Status to an S3Error and the error XML
// body. The error type and its well-known values are in auth/s3_error.h.
#pragma once

#include <string>
#include <string_view>

#include "auth/s3_error.h"
#include "natss3/status.h"

namespace natss3::s3d {

using s3::S3Error;
using s3::S3Result;
using s3::S3Status;

// What a failing core call was about: decides NoSuchBucket vs NoSuchKey vs NoSuchUpload, etc.
enum class ErrorContext { kService, kBucket, kObject, kUpload };

// The one place a core Status becomes an S3 error. Decided by status.code() and
// status.detail(), never by the message text (which only fills <Message>).
S3Error FromStatus(const Status& status, ErrorContext context);

// <Error><Code/><Message/><Resource/><RequestId/></Error>
std::string ErrorXml(const S3Error& error, std::string_view resource, std::string_view request_id);

}  // namespace natss3::s3d
