// S3Error constructors: codes and statuses as Amazon S3 returns them.
#include "auth/s3_error.h"

namespace natss3::s3 {
namespace {
S3Error Make(const char* code, std::string message, int status) {
  return S3Error{code, std::move(message), status};
}
}  // namespace

S3Error S3Error::AccessDenied(std::string m) { return Make("AccessDenied", std::move(m), 403); }
S3Error S3Error::RequestExpired() { return Make("AccessDenied", "Request has expired", 403); }
S3Error S3Error::SignatureDoesNotMatch(std::string m) {
  return Make("SignatureDoesNotMatch", std::move(m), 403);
}
S3Error S3Error::InvalidAccessKeyId(std::string m) {
  return Make("InvalidAccessKeyId", std::move(m), 403);
}
S3Error S3Error::RequestTimeTooSkewed(std::string m) {
  return Make("RequestTimeTooSkewed", std::move(m), 403);
}
S3Error S3Error::AuthorizationHeaderMalformed(std::string m) {
  return Make("AuthorizationHeaderMalformed", std::move(m), 400);
}
S3Error S3Error::AuthorizationQueryParametersError(std::string m) {
  return Make("AuthorizationQueryParametersError", std::move(m), 400);
}
S3Error S3Error::MissingSecurityHeader(std::string m) {
  return Make("MissingSecurityHeader", std::move(m), 400);
}
S3Error S3Error::BadDigest(std::string m) { return Make("BadDigest", std::move(m), 400); }
S3Error S3Error::InvalidDigest(std::string m) { return Make("InvalidDigest", std::move(m), 400); }
S3Error S3Error::IncompleteBody(std::string m) {
  return Make("IncompleteBody", std::move(m), 400);
}
S3Error S3Error::MissingContentLength() {
  return Make("MissingContentLength", "You must provide the Content-Length HTTP header.", 411);
}
S3Error S3Error::XAmzContentSHA256Mismatch(std::string m) {
  return Make("XAmzContentSHA256Mismatch", std::move(m), 400);
}
S3Error S3Error::MalformedTrailerError(std::string m) {
  return Make("MalformedTrailerError", std::move(m), 400);
}
S3Error S3Error::InvalidRequest(std::string m) { return Make("InvalidRequest", std::move(m), 400); }
S3Error S3Error::InvalidArgument(std::string m) {
  return Make("InvalidArgument", std::move(m), 400);
}
S3Error S3Error::MalformedXML(std::string m) { return Make("MalformedXML", std::move(m), 400); }
S3Error S3Error::NotImplemented(std::string m) { return Make("NotImplemented", std::move(m), 501); }
S3Error S3Error::MethodNotAllowed() {
  return Make("MethodNotAllowed", "The specified method is not allowed against this resource.",
              405);
}
S3Error S3Error::PreconditionFailed() {
  return Make("PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
              412);
}
S3Error S3Error::InvalidRange() {
  return Make("InvalidRange", "The requested range is not satisfiable", 416);
}
S3Error S3Error::EntityTooSmall() {
  return Make("EntityTooSmall",
              "Your proposed upload is smaller than the minimum allowed object size.", 400);
}
S3Error S3Error::EntityTooLarge() {
  return Make("EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.",
              400);
}
S3Error S3Error::NoSuchBucket() {
  return Make("NoSuchBucket", "The specified bucket does not exist", 404);
}
S3Error S3Error::NoSuchKey() { return Make("NoSuchKey", "The specified key does not exist.", 404); }
S3Error S3Error::NoSuchUpload() {
  return Make("NoSuchUpload",
              "The specified multipart upload does not exist. The upload ID may be invalid, or "
              "the upload may have been aborted or completed.",
              404);
}
S3Error S3Error::NoSuchVersion() {
  return Make("NoSuchVersion",
              "The specified version does not exist. (natss3 buckets are unversioned: the only "
              "version of an object is \"null\")",
              404);
}
S3Error S3Error::BucketNotEmpty() {
  return Make("BucketNotEmpty", "The bucket you tried to delete is not empty", 409);
}
S3Error S3Error::BucketAlreadyOwnedByYou() {
  return Make("BucketAlreadyOwnedByYou",
              "Your previous request to create the named bucket succeeded and you already own "
              "it.",
              409);
}
S3Error S3Error::BucketAlreadyExists() {
  return Make("BucketAlreadyExists",
              "The requested bucket name is not available. The bucket namespace is shared by "
              "all users of the system. Please select a different name and try again.",
              409);
}
S3Error S3Error::InvalidBucketName(std::string m) {
  return Make("InvalidBucketName", std::move(m), 400);
}
S3Error S3Error::KeyTooLong() { return Make("KeyTooLongError", "Your key is too long", 400); }
S3Error S3Error::InvalidPart(std::string m) { return Make("InvalidPart", std::move(m), 400); }
S3Error S3Error::InvalidPartOrder() {
  return Make("InvalidPartOrder",
              "The list of parts was not in ascending order. The parts list must be specified "
              "in order by part number.",
              400);
}
S3Error S3Error::ServiceUnavailable(std::string m) {
  return Make("ServiceUnavailable", std::move(m), 503);
}
S3Error S3Error::InternalError(std::string m) { return Make("InternalError", std::move(m), 500); }

}  // namespace natss3::s3
