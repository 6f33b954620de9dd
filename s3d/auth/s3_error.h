// S3Error, S3Result<T> and S3Status: the one S3-level error of natss3d (code, message, HTTP
// status), returned by the auth layer and the request handlers alike, with its well-known
// values. s3d/errors.h maps natss3::Status to it and renders it as error XML.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace natss3::s3 {

// An error as S3 reports it: <Code> and <Message> of the error XML plus the HTTP status.
// This header never renders XML (ErrorXml in s3d/errors.h does).
struct S3Error {
  std::string code;      // e.g. "SignatureDoesNotMatch"
  std::string message;   // human-readable, goes to <Message>
  int http_status = 400;

  // Well-known errors (codes and statuses as Amazon S3 returns them). `message` defaults to
  // S3's own wording where one exists.
  // Authentication and request framing (the auth layer).
  static S3Error AccessDenied(std::string message = "Access Denied");  // 403
  static S3Error RequestExpired();  // AccessDenied 403 "Request has expired" (presigned URLs)
  static S3Error SignatureDoesNotMatch(
      std::string message =
          "The request signature we calculated does not match the signature you provided. "
          "Check your key and signing method.");  // 403
  static S3Error InvalidAccessKeyId(
      std::string message =
          "The AWS Access Key Id you provided does not exist in our records.");  // 403
  static S3Error RequestTimeTooSkewed(
      std::string message =
          "The difference between the request time and the current time is too large.");  // 403
  static S3Error AuthorizationHeaderMalformed(std::string message);          // 400
  static S3Error AuthorizationQueryParametersError(std::string message);     // 400
  static S3Error MissingSecurityHeader(std::string message);                 // 400
  static S3Error BadDigest(
      std::string message =
          "The Content-MD5 or checksum value that you specified did not match what the server "
          "received.");  // 400
  static S3Error InvalidDigest(
      std::string message =
          "The Content-MD5 or checksum value that you specified is not valid.");  // 400
  static S3Error IncompleteBody(std::string message =
      "You did not provide the number of bytes specified by the Content-Length HTTP header.");
  static S3Error MissingContentLength();  // 411
  static S3Error XAmzContentSHA256Mismatch(
      std::string message =
          "The provided 'x-amz-content-sha256' header does not match what was computed.");
  static S3Error MalformedTrailerError(std::string message =
      "The request contained trailing data that was not well-formed or did not conform to "
      "our published schema.");                                              // 400
  // Requests in general.
  static S3Error InvalidRequest(std::string message);   // 400
  static S3Error InvalidArgument(std::string message);  // 400
  static S3Error MalformedXML(
      std::string message =
          "The XML you provided was not well-formed or did not validate against our published "
          "schema.");  // 400
  static S3Error NotImplemented(
      std::string message =
          "A header or operation you provided implies functionality that is not "
          "implemented.");              // 501
  static S3Error MethodNotAllowed();    // 405
  static S3Error PreconditionFailed();  // 412
  static S3Error InvalidRange();        // 416
  static S3Error EntityTooSmall();      // 400
  static S3Error EntityTooLarge();      // 400
  // Buckets, objects, uploads.
  static S3Error NoSuchBucket();                          // 404
  static S3Error NoSuchKey();                             // 404
  static S3Error NoSuchUpload();                          // 404
  static S3Error NoSuchVersion();                         // 404
  static S3Error BucketNotEmpty();                        // 409
  static S3Error BucketAlreadyOwnedByYou();               // 409
  static S3Error BucketAlreadyExists();                   // 409
  static S3Error InvalidBucketName(std::string message);  // 400
  static S3Error KeyTooLong();                            // 400
  static S3Error InvalidPart(
      std::string message =
          "One or more of the specified parts could not be found. The part may not have been "
          "uploaded, or the specified entity tag may not match the part's.");  // 400
  static S3Error InvalidPartOrder();                                           // 400
  // The server.
  static S3Error ServiceUnavailable(
      std::string message =
          "Service is unable to handle request: the NATS server is unreachable.");  // 503
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

// Success or an S3Error, for calls with no value (handlers return it; the service renders
// the error once).
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
