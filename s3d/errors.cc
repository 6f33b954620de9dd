// Status -> S3 error mapping (the only one in s3d) and the error XML body.
#include "s3d/errors.h"

#include "s3d/xml.h"

namespace natss3::s3d {

S3Error FromStatus(const Status& status, ErrorContext context) {
  const std::string& msg = status.message();
  const Detail detail = status.detail();
  switch (status.code()) {
    case Code::kOk:
      return S3Error::InternalError("OK status mapped as an error");
    case Code::kNotFound:
      if (context == ErrorContext::kBucket || detail == Detail::kBucketNotFound) {
        return S3Error::NoSuchBucket();
      }
      if (context == ErrorContext::kUpload) return S3Error::NoSuchUpload();
      return S3Error::NoSuchKey();
    case Code::kInvalidArgument:
      if (detail == Detail::kNameTooLong) return S3Error::KeyTooLong();
      if (context == ErrorContext::kBucket && detail == Detail::kInvalidBucketName) {
        return S3Error::InvalidBucketName(msg);
      }
      return S3Error::InvalidArgument(msg);
    case Code::kAlreadyExists:
      if (context == ErrorContext::kBucket) return S3Error::BucketAlreadyOwnedByYou();
      return {"OperationAborted", msg, 409};
    case Code::kFailedPrecondition:
      if (detail == Detail::kObjectLocked) {
        if (context == ErrorContext::kBucket) return S3Error::BucketNotEmpty();
        return {"InvalidBucketState", msg, 409};
      }
      if (detail == Detail::kSealed) return S3Error::AccessDenied("The bucket is sealed: " + msg);
      if (context == ErrorContext::kBucket) return S3Error::BucketNotEmpty();
      return S3Error::PreconditionFailed();
    case Code::kPermissionDenied:
      if (detail == Detail::kObjectLocked) {
        return S3Error::AccessDenied("Access Denied because object protected by object lock. (" +
                                     msg + ")");
      }
      return S3Error::AccessDenied("NATS denied the operation: " + msg);
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return S3Error::ServiceUnavailable("NATS is unavailable: " + msg);
    case Code::kDataLoss:
      return S3Error::InternalError("Stored data is damaged: " + msg);
    case Code::kResourceExhausted:
      return {"QuotaExceeded", "The bucket or account limit was reached: " + msg, 403};
    case Code::kCancelled:
      return {"RequestTimeout", "The request was cancelled: " + msg, 400};
    case Code::kUnimplemented:
      return S3Error::NotImplemented(msg);
    case Code::kInternal:
      break;
  }
  return S3Error::InternalError(msg);
}

std::string ErrorXml(const S3Error& error, std::string_view resource, std::string_view request_id) {
  XmlWriter xml;
  xml.Open("Error");
  xml.Element("Code", error.code);
  xml.Element("Message", error.message);
  xml.Element("Resource", resource);
  xml.Element("RequestId", request_id);
  xml.Close("Error");
  return xml.Finish();
}

}  // namespace natss3::s3d
