// S3Service: turns one HTTP request into one S3 operation over the ObjectStore: addressing,
// authentication, permission check, dispatch to the handler, and rendering of errors (XML with
// x-amz-request-id). Thread-safe: any number of HTTP workers call Handle at once.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "auth/sigv4.h"
#include "natss3/object_store.h"
#include "s3d/auth_gate.h"
#include "s3d/errors.h"
#include "s3d/policy.h"
#include "s3d/routing.h"

namespace natss3 {
class MultipartStore;
}

namespace natss3::s3d {

// Buckets recently seen to exist. Object calls on a missing bucket would otherwise wait for a
// NATS timeout (a direct get on a missing stream has no responder), so object operations check
// here first. Positive entries live 10 s; missing buckets are never cached.
class BucketCache {
 public:
  bool Fresh(const std::string& bucket) const;
  void Remember(const std::string& bucket);
  void Forget(const std::string& bucket);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> seen_;
};

struct ServiceOptions {
  std::string domain;  // virtual-hosted style base domain ("" = path style only)
  std::chrono::seconds multipart_expiry{24 * 3600};
};

// Everything a handler needs for one request.
struct RequestContext {
  const httplib::Request& req;
  httplib::Response& res;
  const httplib::ContentReader* reader;  // nullptr for GET/HEAD
  S3Address address;
  Operation op;
  s3::AuthContext auth;
  ObjectStore& store;
  const AuthGate& auth_gate;
  MultipartStore& uploads;
  BucketCache& buckets;
  const ServiceOptions& options;
  PolicyCache& policies;
  uint64_t bytes_in = 0;
};

class S3Service {
 public:
  S3Service(std::shared_ptr<ObjectStore> store, std::shared_ptr<AuthGate> auth,
            ServiceOptions options);
  ~S3Service();

  // Serves the request; always fills `res` (status, x-amz-request-id, body or provider).
  // Returns the operation name (for logs and metrics) and bytes received via `bytes_in`.
  std::string Handle(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader* reader, uint64_t* bytes_in);
  // Expect: 100-continue: authenticates before the client sends the body. 100 or an error
  // status with the error already in `res`.
  int Expect100(const httplib::Request& req, httplib::Response& res);

  MultipartStore& uploads() { return *uploads_; }
  ObjectStore& store() { return *store_; }
  static std::string NewRequestId();

 private:
  ApiStatus Dispatch(RequestContext& ctx);

  std::shared_ptr<ObjectStore> store_;
  std::shared_ptr<AuthGate> auth_;
  ServiceOptions options_;
  std::unique_ptr<MultipartStore> uploads_;
  BucketCache buckets_;
  PolicyCache policies_;
};

// Response helpers shared by the handlers.
void SendXml(httplib::Response& res, int status, std::string xml);
void SendEmpty(httplib::Response& res, int status);
// Bucket existence check that turns kNotFound into NoSuchBucket.
ApiStatus RequireBucket(RequestContext& ctx);

// Handlers (bucket_handlers.cc, object_handlers.cc, copy_handlers.cc, multipart_handlers.cc).
ApiStatus ListBuckets(RequestContext& ctx);
ApiStatus CreateBucket(RequestContext& ctx);
ApiStatus DeleteBucket(RequestContext& ctx);
ApiStatus HeadBucket(RequestContext& ctx);
ApiStatus GetBucketLocation(RequestContext& ctx);
ApiStatus GetBucketVersioning(RequestContext& ctx);
ApiStatus PutBucketVersioning(RequestContext& ctx);
ApiStatus ListObjectVersions(RequestContext& ctx);
ApiStatus ListObjects(RequestContext& ctx, bool v2);
ApiStatus DeleteObjects(RequestContext& ctx);
ApiStatus PutObject(RequestContext& ctx);
ApiStatus GetObject(RequestContext& ctx, bool head);
ApiStatus GetObjectAttributes(RequestContext& ctx);
ApiStatus DeleteObject(RequestContext& ctx);
ApiStatus GetObjectTagging(RequestContext& ctx);
ApiStatus PutObjectTagging(RequestContext& ctx);
ApiStatus DeleteObjectTagging(RequestContext& ctx);
ApiStatus CopyObject(RequestContext& ctx);
ApiStatus CreateMultipartUpload(RequestContext& ctx);
ApiStatus UploadPart(RequestContext& ctx, bool copy);
ApiStatus CompleteMultipartUpload(RequestContext& ctx);
ApiStatus AbortMultipartUpload(RequestContext& ctx);
ApiStatus ListParts(RequestContext& ctx);
ApiStatus ListMultipartUploads(RequestContext& ctx);
// acl.cc, cors.cc
ApiStatus GetBucketAcl(RequestContext& ctx);
ApiStatus PutBucketAcl(RequestContext& ctx);
ApiStatus GetObjectAcl(RequestContext& ctx);
ApiStatus PutObjectAcl(RequestContext& ctx);
ApiStatus GetBucketCors(RequestContext& ctx);
ApiStatus PutBucketCors(RequestContext& ctx);
ApiStatus DeleteBucketCors(RequestContext& ctx);
// policy.cc
ApiStatus GetBucketPolicy(RequestContext& ctx);
ApiStatus PutBucketPolicy(RequestContext& ctx);
ApiStatus DeleteBucketPolicy(RequestContext& ctx);
// object_lock.cc
ApiStatus GetObjectLockConfiguration(RequestContext& ctx);
ApiStatus PutObjectLockConfiguration(RequestContext& ctx);
ApiStatus GetObjectRetention(RequestContext& ctx);
ApiStatus PutObjectRetention(RequestContext& ctx);
ApiStatus GetObjectLegalHold(RequestContext& ctx);
ApiStatus PutObjectLegalHold(RequestContext& ctx);

}  // namespace natss3::s3d
