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
#include "s3d/bucket_records.h"
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
  // How long a bucket's ACL, CORS and policy records are cached (BucketRecords).
  std::chrono::milliseconds bucket_record_ttl = BucketRecords::kDefaultTtl;
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
  BucketRecords& records;  // bucket ACL, CORS and policy records, cached
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
  S3Status Dispatch(RequestContext& ctx);

  std::shared_ptr<ObjectStore> store_;
  std::shared_ptr<AuthGate> auth_;
  ServiceOptions options_;
  std::unique_ptr<MultipartStore> uploads_;
  BucketCache buckets_;
  BucketRecords records_;
};

// Response helpers shared by the handlers.
void SendXml(httplib::Response& res, int status, std::string xml);
void SendEmpty(httplib::Response& res, int status);
// Bucket existence check that turns kNotFound into NoSuchBucket.
S3Status RequireBucket(RequestContext& ctx);

// Handlers (bucket_handlers.cc, object_handlers.cc, copy_handlers.cc, multipart_handlers.cc).
S3Status ListBuckets(RequestContext& ctx);
S3Status CreateBucket(RequestContext& ctx);
S3Status DeleteBucket(RequestContext& ctx);
S3Status HeadBucket(RequestContext& ctx);
S3Status GetBucketLocation(RequestContext& ctx);
S3Status GetBucketVersioning(RequestContext& ctx);
S3Status PutBucketVersioning(RequestContext& ctx);
S3Status ListObjectVersions(RequestContext& ctx);
S3Status ListObjects(RequestContext& ctx, bool v2);
S3Status DeleteObjects(RequestContext& ctx);
S3Status PutObject(RequestContext& ctx);
S3Status GetObject(RequestContext& ctx, bool head);
S3Status GetObjectAttributes(RequestContext& ctx);
S3Status DeleteObject(RequestContext& ctx);
S3Status GetObjectTagging(RequestContext& ctx);
S3Status PutObjectTagging(RequestContext& ctx);
S3Status DeleteObjectTagging(RequestContext& ctx);
S3Status CopyObject(RequestContext& ctx);
S3Status CreateMultipartUpload(RequestContext& ctx);
S3Status UploadPart(RequestContext& ctx, bool copy);
S3Status CompleteMultipartUpload(RequestContext& ctx);
S3Status AbortMultipartUpload(RequestContext& ctx);
S3Status ListParts(RequestContext& ctx);
S3Status ListMultipartUploads(RequestContext& ctx);
// acl.cc, cors.cc
S3Status GetBucketAcl(RequestContext& ctx);
S3Status PutBucketAcl(RequestContext& ctx);
S3Status GetObjectAcl(RequestContext& ctx);
S3Status PutObjectAcl(RequestContext& ctx);
S3Status GetBucketCors(RequestContext& ctx);
S3Status PutBucketCors(RequestContext& ctx);
S3Status DeleteBucketCors(RequestContext& ctx);
// policy.cc
S3Status GetBucketPolicy(RequestContext& ctx);
S3Status PutBucketPolicy(RequestContext& ctx);
S3Status DeleteBucketPolicy(RequestContext& ctx);
// object_lock.cc
S3Status GetObjectLockConfiguration(RequestContext& ctx);
S3Status PutObjectLockConfiguration(RequestContext& ctx);
S3Status GetObjectRetention(RequestContext& ctx);
S3Status PutObjectRetention(RequestContext& ctx);
S3Status GetObjectLegalHold(RequestContext& ctx);
S3Status PutObjectLegalHold(RequestContext& ctx);

}  // namespace natss3::s3d
