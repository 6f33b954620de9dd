// S3 API errors: the error value handlers return, the well-known S3 codes, the one mapping from
// natss3::Status to an S3 error, and the error XML body.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "natss3/status.h"

namespace natss3::s3d {

// An error as S3 reports it: <Code>, <Message> and the HTTP status.
struct ApiError {
  std::string code;
  std::string message;
  int http_status = 400;
};

// Success or an ApiError (handlers return it; the service renders it once).
class [[nodiscard]] ApiStatus {
 public:
  ApiStatus() = default;
  ApiStatus(ApiError error) : error_(std::move(error)) {}  // NOLINT(implicit)
  bool ok() const { return !error_.has_value(); }
  const ApiError& error() const { return *error_; }

 private:
  std::optional<ApiError> error_;
};

template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}          // NOLINT(implicit)
  ApiResult(ApiError error) : v_(std::move(error)) {}   // NOLINT(implicit)
  bool ok() const { return std::holds_alternative<T>(v_); }
  const ApiError& error() const { return std::get<ApiError>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, ApiError> v_;
};

// What a failing core call was about: decides NoSuchBucket vs NoSuchKey vs NoSuchUpload, etc.
enum class ErrorContext { kService, kBucket, kObject, kUpload };

// The one place a core Status becomes an S3 error.
ApiError FromStatus(const Status& status, ErrorContext context);

namespace errors {
ApiError AccessDenied(std::string message = "Access Denied");
ApiError NoSuchBucket();
ApiError NoSuchKey();
ApiError NoSuchUpload();
ApiError NoSuchVersion();
ApiError BucketNotEmpty();
ApiError BucketAlreadyOwnedByYou();
ApiError BucketAlreadyExists();
ApiError InvalidBucketName(std::string message);
ApiError KeyTooLong();
ApiError InvalidRange();
ApiError PreconditionFailed();
ApiError MalformedXML(std::string message = "The XML you provided was not well-formed or did "
                                            "not validate against our published schema.");
ApiError InvalidArgument(std::string message);
ApiError InvalidRequest(std::string message);
ApiError NotImplemented(std::string message = "A header or operation you provided implies "
                                              "functionality that is not implemented.");
ApiError MethodNotAllowed();
ApiError EntityTooSmall();
ApiError EntityTooLarge();
ApiError InvalidPart(std::string message = "One or more of the specified parts could not be "
                                           "found. The part may not have been uploaded, or the "
                                           "specified entity tag may not match the part's.");
ApiError InvalidPartOrder();
ApiError BadDigest(std::string message = "The Content-MD5 or checksum value you specified did "
                                         "not match what we received.");
ApiError InvalidDigest(std::string message = "The Content-MD5 you specified is not valid.");
ApiError IncompleteBody();
ApiError MissingContentLength();
ApiError ServiceUnavailable(std::string message = "Service is unable to handle request: the "
                                                  "NATS server is unreachable.");
ApiError InternalError(std::string message = "We encountered an internal error. Please try "
                                             "again.");
}  // namespace errors

// <Error><Code/><Message/><Resource/><RequestId/></Error>
std::string ErrorXml(const ApiError& error, std::string_view resource,
                     std::string_view request_id);

}  // namespace natss3::s3d
