// S3Error and S3Result<T>: the S3-level error (code, message, HTTP status) the auth layer returns.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace natss3::s3 {

// An error as S3 reports it: <Code> and <Message> of the error XML plus the HTTP status.
// The s3d front end renders it; this module never renders XML.
struct S3Error {
  std::string code;      // e.g. "SignatureDoesNotMatch"
  std::string message;   // human-readable, goes to <Message>
  int http_status = 400;

  // Well-known errors (codes and statuses as Amazon S3 returns them). `message` defaults to
  // S3's own wording where one exists.
  static S3Error AccessDenied(std::string message = "Access Denied");
  static S3Error RequestExpired();  // AccessDenied 403 "Request has expired" (presigned URLs)
  static S3Error SignatureDoesNotMatch(std::string message =
      "The request signature we calculated does not match the signature you provided. "
      "Check your key and signing method.");
  static S3Error InvalidAccessKeyId(std::string message =
      "The AWS Access Key Id you provided does not exist in our records.");
  static S3Error RequestTimeTooSkewed(std::string message =
      "The difference between the request time and the current time is too large.");
  static S3Error AuthorizationHeaderMalformed(std::string message);          // 400
  static S3Error AuthorizationQueryParametersError(std::string message);     // 400
  static S3Error MissingSecurityHeader(std::string message);                 // 400
  static S3Error BadDigest(std::string message =
      "The Content-MD5 or checksum value that you specified did not match what the server "
      "received.");
  static S3Error InvalidDigest(std::string message =
      "The Content-MD5 or checksum value that you specified is not valid.");
  static S3Error IncompleteBody(std::string message =
      "You did not provide the number of bytes specified by the Content-Length HTTP header.");
  static S3Error InvalidRequest(std::string message);                        // 400
  static S3Error XAmzContentSHA256Mismatch(std::string message =
      "The provided 'x-amz-content-sha256' header does not match what was computed.");
  static S3Error InvalidArgument(std::string message);                       // 400
  static S3Error MalformedTrailerError(std::string message =
      "The request contained trailing data that was not well-formed or did not conform to "
      "our published schema.");                                              // 400
  static S3Error InternalError(std::string message =
      "We encountered an internal error. Please try again.");                 // 500
};

// Either a T or an S3Error. Mirrors natss3::Result<T> (status.h) for the S3 layer.
template <typename T>
class [[nodiscard]] S3Result {
 public:
  S3Result(T value) : v_(std::move(value)) {}        // NOLINT(implicit)
  S3Result(S3Error error) : v_(std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const S3Error& error() const { return std::get<S3Error>(v_); }  // only when !ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, S3Error> v_;
};

// Success or an S3Error, for calls with no value.
class [[nodiscard]] S3Status {
 public:
  S3Status() = default;                                        // OK
  S3Status(S3Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(implicit)
  static S3Status OK() { return {}; }
  bool ok() const { return ok_; }
  const S3Error& error() const { return error_; }  // only meaningful when !ok()

 private:
  S3Error error_;
  bool ok_ = true;
};

}  // namespace natss3::s3
