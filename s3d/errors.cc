// Status -> S3 error mapping (the only one in s3d) and the well-known S3 errors.
#include "s3d/errors.h"

#include "s3d/xml.h"

namespace natss3::s3d {
namespace {
bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}
}  // namespace

ApiError FromStatus(const Status& status, ErrorContext context) {
  const std::string& msg = status.message();
  switch (status.code()) {
    case Code::kOk:
      return errors::InternalError("OK status mapped as an error");
    case Code::kNotFound:
      if (context == ErrorContext::kBucket || Contains(msg, "bucket not found") ||
          Contains(msg, "stream not found")) {
        return errors::NoSuchBucket();
      }
      if (context == ErrorContext::kUpload) return errors::NoSuchUpload();
      return errors::NoSuchKey();
    case Code::kInvalidArgument:
      if (Contains(msg, "too long")) return errors::KeyTooLong();
      if (context == ErrorContext::kBucket && Contains(msg, "bucket")) {
        return errors::InvalidBucketName(msg);
      }
      return errors::InvalidArgument(msg);
    case Code::kAlreadyExists:
      if (context == ErrorContext::kBucket) return errors::BucketAlreadyOwnedByYou();
      return {"OperationAborted", msg, 409};
    case Code::kFailedPrecondition:
      if (status.detail() == Detail::kObjectLocked) {
        if (context == ErrorContext::kBucket) return errors::BucketNotEmpty();
        return {"InvalidBucketState", msg, 409};
      }
      if (context == ErrorContext::kBucket && !Contains(msg, "sealed")) {
        return errors::BucketNotEmpty();
      }
      if (Contains(msg, "sealed")) return errors::AccessDenied("The bucket is sealed: " + msg);
      return errors::PreconditionFailed();
    case Code::kPermissionDenied:
      if (status.detail() == Detail::kObjectLocked) {
        return errors::AccessDenied("Access Denied because object protected by object lock. (" +
                                    msg + ")");
      }
      return errors::AccessDenied("NATS denied the operation: " + msg);
    case Code::kUnavailable:
    case Code::kDeadlineExceeded:
      return errors::ServiceUnavailable("NATS is unavailable: " + msg);
    case Code::kDataLoss:
      return errors::InternalError("Stored data is damaged: " + msg);
    case Code::kResourceExhausted:
      return {"QuotaExceeded", "The bucket or account limit was reached: " + msg, 403};
    case Code::kCancelled:
      return {"RequestTimeout", "The request was cancelled: " + msg, 400};
    case Code::kUnimplemented:
      return errors::NotImplemented(msg);
    case Code::kInternal:
      break;
  }
  return errors::InternalError(msg);
}

namespace errors {
ApiError AccessDenied(std::string m) { return {"AccessDenied", std::move(m), 403}; }
ApiError NoSuchBucket() { return {"NoSuchBucket", "The specified bucket does not exist", 404}; }
ApiError NoSuchKey() { return {"NoSuchKey", "The specified key does not exist.", 404}; }
ApiError NoSuchUpload() {
  return {"NoSuchUpload",
          "The specified multipart upload does not exist. The upload ID may be invalid, or the "
          "upload may have been aborted or completed.",
          404};
}
ApiError NoSuchVersion() {
  return {"NoSuchVersion",
          "The specified version does not exist. (natss3 buckets are unversioned: the only "
          "version of an object is \"null\")",
          404};
}
ApiError BucketNotEmpty() {
  return {"BucketNotEmpty", "The bucket you tried to delete is not empty", 409};
}
ApiError BucketAlreadyExists() {
  return {"BucketAlreadyExists",
          "The requested bucket name is not available. The bucket namespace is shared by all "
          "users of the system. Please select a different name and try again.",
          409};
}
ApiError BucketAlreadyOwnedByYou() {
  return {"BucketAlreadyOwnedByYou",
          "Your previous request to create the named bucket succeeded and you already own it.",
          409};
}
ApiError InvalidBucketName(std::string m) { return {"InvalidBucketName", std::move(m), 400}; }
ApiError KeyTooLong() { return {"KeyTooLongError", "Your key is too long", 400}; }
ApiError InvalidRange() {
  return {"InvalidRange", "The requested range is not satisfiable", 416};
}
ApiError PreconditionFailed() {
  return {"PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
          412};
}
ApiError MalformedXML(std::string m) { return {"MalformedXML", std::move(m), 400}; }
ApiError InvalidArgument(std::string m) { return {"InvalidArgument", std::move(m), 400}; }
ApiError InvalidRequest(std::string m) { return {"InvalidRequest", std::move(m), 400}; }
ApiError NotImplemented(std::string m) { return {"NotImplemented", std::move(m), 501}; }
ApiError MethodNotAllowed() {
  return {"MethodNotAllowed", "The specified method is not allowed against this resource.", 405};
}
ApiError EntityTooSmall() {
  return {"EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.",
          400};
}
ApiError EntityTooLarge() {
  return {"EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.", 400};
}
ApiError InvalidPart(std::string m) { return {"InvalidPart", std::move(m), 400}; }
ApiError InvalidPartOrder() {
  return {"InvalidPartOrder",
          "The list of parts was not in ascending order. The parts list must be specified in "
          "order by part number.",
          400};
}
ApiError BadDigest(std::string m) { return {"BadDigest", std::move(m), 400}; }
ApiError InvalidDigest(std::string m) { return {"InvalidDigest", std::move(m), 400}; }
ApiError IncompleteBody() {
  return {"IncompleteBody",
          "You did not provide the number of bytes specified by the Content-Length HTTP header.",
          400};
}
ApiError MissingContentLength() {
  return {"MissingContentLength", "You must provide the Content-Length HTTP header.", 411};
}
ApiError ServiceUnavailable(std::string m) { return {"ServiceUnavailable", std::move(m), 503}; }
ApiError InternalError(std::string m) { return {"InternalError", std::move(m), 500}; }
}  // namespace errors

std::string ErrorXml(const ApiError& error, std::string_view resource,
                     std::string_view request_id) {
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
