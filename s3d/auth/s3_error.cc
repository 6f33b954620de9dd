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
S3Error S3Error::InvalidRequest(std::string m) {
  return Make("InvalidRequest", std::move(m), 400);
}
S3Error S3Error::XAmzContentSHA256Mismatch(std::string m) {
  return Make("XAmzContentSHA256Mismatch", std::move(m), 400);
}
S3Error S3Error::InvalidArgument(std::string m) {
  return Make("InvalidArgument", std::move(m), 400);
}
S3Error S3Error::MalformedTrailerError(std::string m) {
  return Make("MalformedTrailerError", std::move(m), 400);
}
S3Error S3Error::InternalError(std::string m) { return Make("InternalError", std::move(m), 500); }

}  // namespace natss3::s3
