// Request pipeline: address -> authenticate -> authorize -> handler -> error rendering.
#include "s3d/s3_service.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "natss3/ascii.h"
#include "natss3/multipart.h"
#include "natss3/names.h"
#include "s3d/acl.h"
#include "s3d/cors.h"
#include "s3d/httplib_bridge.h"
#include "s3d/object_headers.h"
#include "s3d/post_object.h"

namespace natss3::s3d {

bool BucketCache::Fresh(const std::string& bucket) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = seen_.find(bucket);
  return it != seen_.end() && std::chrono::steady_clock::now() - it->second < std::chrono::seconds(10);
}

void BucketCache::Remember(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  seen_[bucket] = std::chrono::steady_clock::now();
}

void BucketCache::Forget(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  seen_.erase(bucket);
}

void SendXml(httplib::Response& res, int status, std::string xml) {
  res.status = status;
  res.set_content(std::move(xml), "application/xml");
}

void SendEmpty(httplib::Response& res, int status) { res.status = status; }

S3Status RequireBucket(RequestContext& ctx) {
  auto status = ctx.store.GetBucketStatus(ctx.address.bucket);
  if (!status.ok()) return FromStatus(status.status(), ErrorContext::kBucket);
  ctx.buckets.Remember(ctx.address.bucket);
  return {};
}

S3Service::S3Service(std::shared_ptr<ObjectStore> store, std::shared_ptr<AuthGate> auth,
                     ServiceOptions options)
    : store_(std::move(store)), auth_(std::move(auth)), options_(std::move(options)),
      uploads_(std::make_unique<MultipartStore>(store_.get())),
      records_(store_.get(), options_.bucket_record_ttl) {}

S3Service::~S3Service() = default;

std::string S3Service::NewRequestId() {
  unsigned char raw[8];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return NewNuid().substr(0, 16);
  std::string id = HexEncode(std::string_view(reinterpret_cast<char*>(raw), sizeof(raw)));
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return id;
}

namespace {
std::string ResourceOf(const S3Address& address) {
  if (address.bucket.empty()) return "/";
  const std::string& bucket = address.s3_bucket.empty() ? address.bucket : address.s3_bucket;
  return "/" + bucket + (address.key.empty() ? "" : "/" + address.key);
}

void RenderError(httplib::Response& res, const S3Error& error, const S3Address* address,
                 const std::string& request_id, bool head) {
  res.status = error.http_status;
  res.body.clear();
  res.headers.erase("Content-Type");
  res.headers.erase("Content-Length");
  res.headers.erase("ETag");
  res.headers.erase("Last-Modified");
  DropStreamedBody(res);
  if (error.http_status == 304 || head) return;  // no body allowed / expected
  res.set_content(ErrorXml(error, address ? ResourceOf(*address) : "/", request_id),
                  "application/xml");
}
}  // namespace

int S3Service::Expect100(const httplib::Request& req, httplib::Response& res) {
  std::string request_id = res.get_header_value("x-amz-request-id");
  auto address = ParseAddress(req.target, req.get_header_value("Host"), options_.domain);
  if (!address.ok()) {
    RenderError(res, address.error(), nullptr, request_id, false);
    return res.status;
  }
  if (IsPostObject(req, *address)) return 100;  // authenticated by its form fields
  auto auth = auth_->Authenticate(req, *address);
  S3Status allowed;
  if (auth.ok()) {
    Operation op = Classify(req.method, *address, req.has_header("x-amz-copy-source"));
    allowed = AuthorizeRequest(*store_, *auth_, records_, *auth, op,
                               NatsBucketName(address->bucket), address->bucket, address->key);
  }
  if (!auth.ok() || !allowed.ok()) {
    RenderError(res, auth.ok() ? allowed.error() : auth.error(), &*address, request_id, false);
    res.set_header("Connection", "close");
    return res.status;
  }
  return 100;
}

std::string S3Service::Handle(const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader* reader, uint64_t* bytes_in) {
  std::string request_id = res.get_header_value("x-amz-request-id");
  bool head = req.method == "HEAD";
  auto address = ParseAddress(req.target, req.get_header_value("Host"), options_.domain);
  if (!address.ok()) {
    RenderError(res, address.error(), nullptr, request_id, head);
    return "Invalid";
  }
  if (IsPostObject(req, *address)) {
    // The form carries the authentication: PostObject verifies and authorizes it.
    s3::AuthContext unverified;
    unverified.anonymous = true;
    MapBucketName(&*address);
    RequestContext ctx{req, res, reader, std::move(address).value(), Operation::kPutObject,
                       std::move(unverified), *store_, *auth_, *uploads_, buckets_, options_,
                       records_};
    S3Status result = PostObject(ctx);
    if (bytes_in) *bytes_in = ctx.bytes_in;
    if (!result.ok()) RenderError(res, result.error(), &ctx.address, request_id, head);
    return "PostObject";
  }
  Operation op = Classify(req.method, *address, req.has_header("x-amz-copy-source"));
  std::string op_name(OperationName(op));
  if (op == Operation::kPreflight) {
    // Browsers send preflights without credentials: the bucket's CORS rules decide.
    AnswerPreflight(records_, NatsBucketName(address->bucket), req, res);
    return op_name;
  }
  // A browser's request from an allowed origin gets the Access-Control-* headers whatever its
  // outcome, so the page can read errors too.
  struct CorsHeaders {
    BucketRecords& records;
    const std::string bucket;
    const httplib::Request& req;
    httplib::Response& res;
    ~CorsHeaders() { AddCorsHeaders(records, bucket, req, res); }
  } cors{records_, NatsBucketName(address->bucket), req, res};
  auto auth = auth_->Authenticate(req, *address);
  if (!auth.ok()) {
    RenderError(res, auth.error(), &*address, request_id, head);
    return op_name;
  }
  MapBucketName(&*address);
  RequestContext ctx{req, res, reader, std::move(address).value(), op, std::move(auth).value(),
                     *store_, *auth_, *uploads_, buckets_, options_, records_};
  S3Status result = Dispatch(ctx);
  if (bytes_in) *bytes_in = ctx.bytes_in;
  if (!result.ok()) {
    if (result.error().http_status >= 500) {
      spdlog::warn("{} {} failed: {} {}", op_name, ResourceOf(ctx.address), result.error().code,
                   result.error().message);
    }
    RenderError(res, result.error(), &ctx.address, request_id, head);
  }
  return op_name;
}

S3Status S3Service::Dispatch(RequestContext& ctx) {
  if (ctx.op == Operation::kNotImplemented) return S3Error::NotImplemented();
  if (ctx.op == Operation::kMethodNotAllowed) return S3Error::MethodNotAllowed();
  if (!ctx.address.bucket.empty()) {
    S3Status valid = ctx.op == Operation::kCreateBucket
                         ? ValidateNewBucketName(ctx.address.s3_bucket)
                         : ValidateExistingBucketName(ctx.address.s3_bucket);
    if (!valid.ok()) return valid;
  }
  if (!ctx.address.key.empty()) {
    S3Status valid = ValidateKey(ctx.address.key, ctx.op);
    if (!valid.ok()) return valid;
  }
  // Grants name buckets as S3 does ("my.bucket").
  // A Deny of the bucket policy first; then the key's own permissions, an Allow of the policy,
  // the grants of the bucket's or object's ACL.
  S3Status allowed = AuthorizeRequest(ctx.store, ctx.auth_gate, ctx.records, ctx.auth, ctx.op,
                                      ctx.address.bucket, ctx.address.s3_bucket, ctx.address.key);
  if (!allowed.ok()) {
    // S3 bucket names are global: creating one that exists and belongs to another key is
    // BucketAlreadyExists, not AccessDenied.
    if (ctx.op == Operation::kCreateBucket && ctx.store.GetBucketStatus(ctx.address.bucket).ok()) {
      return S3Error::BucketAlreadyExists();
    }
    return allowed;
  }
  for (const auto& [name, value] : ctx.req.headers) {
    if (AsksForServerSideEncryption(AsciiLower(name))) return ServerSideEncryptionNotImplemented();
  }
  if (!ctx.address.key.empty() && !ctx.buckets.Fresh(ctx.address.bucket)) {
    S3Status exists = RequireBucket(ctx);
    if (!exists.ok()) return exists;
  }
  bool names_version = ctx.op == Operation::kGetObject || ctx.op == Operation::kHeadObject ||
                       ctx.op == Operation::kDeleteObject ||
                       ctx.op == Operation::kGetObjectTagging ||
                       ctx.op == Operation::kGetObjectAttributes ||
                       ctx.op == Operation::kPutObjectTagging ||
                       ctx.op == Operation::kDeleteObjectTagging ||
                       ctx.op == Operation::kGetObjectRetention ||
                       ctx.op == Operation::kPutObjectRetention ||
                       ctx.op == Operation::kGetObjectLegalHold ||
                       ctx.op == Operation::kPutObjectLegalHold;
  if (names_version && ctx.address.Has("versionId")) {
    S3Status version = CheckVersionId(ctx.address);
    if (!version.ok()) return version;
    ctx.res.set_header("x-amz-version-id", "null");
  }
  switch (ctx.op) {
    case Operation::kListBuckets: return ListBuckets(ctx);
    case Operation::kCreateBucket: return CreateBucket(ctx);
    case Operation::kDeleteBucket: return DeleteBucket(ctx);
    case Operation::kHeadBucket: return HeadBucket(ctx);
    case Operation::kGetBucketLocation: return GetBucketLocation(ctx);
    case Operation::kGetBucketVersioning: return GetBucketVersioning(ctx);
    case Operation::kListObjectsV1: return ListObjects(ctx, false);
    case Operation::kListObjectsV2: return ListObjects(ctx, true);
    case Operation::kListMultipartUploads: return ListMultipartUploads(ctx);
    case Operation::kDeleteObjects: return DeleteObjects(ctx);
    case Operation::kPutObject: return PutObject(ctx);
    case Operation::kCopyObject: return CopyObject(ctx);
    case Operation::kGetObject: return GetObject(ctx, false);
    case Operation::kHeadObject: return GetObject(ctx, true);
    case Operation::kDeleteObject: return DeleteObject(ctx);
    case Operation::kGetObjectTagging: return GetObjectTagging(ctx);
    case Operation::kPutObjectTagging: return PutObjectTagging(ctx);
    case Operation::kDeleteObjectTagging: return DeleteObjectTagging(ctx);
    case Operation::kCreateMultipartUpload: return CreateMultipartUpload(ctx);
    case Operation::kUploadPart: return UploadPart(ctx, false);
    case Operation::kUploadPartCopy: return UploadPart(ctx, true);
    case Operation::kCompleteMultipartUpload: return CompleteMultipartUpload(ctx);
    case Operation::kAbortMultipartUpload: return AbortMultipartUpload(ctx);
    case Operation::kListParts: return ListParts(ctx);
    case Operation::kListObjectVersions: return ListObjectVersions(ctx);
    case Operation::kPutBucketVersioning: return PutBucketVersioning(ctx);
    case Operation::kGetObjectAttributes: return GetObjectAttributes(ctx);
    case Operation::kGetBucketAcl: return GetBucketAcl(ctx);
    case Operation::kPutBucketAcl: return PutBucketAcl(ctx);
    case Operation::kGetObjectAcl: return GetObjectAcl(ctx);
    case Operation::kPutObjectAcl: return PutObjectAcl(ctx);
    case Operation::kGetBucketCors: return GetBucketCors(ctx);
    case Operation::kPutBucketCors: return PutBucketCors(ctx);
    case Operation::kDeleteBucketCors: return DeleteBucketCors(ctx);
    case Operation::kGetObjectLockConfiguration: return GetObjectLockConfiguration(ctx);
    case Operation::kPutObjectLockConfiguration: return PutObjectLockConfiguration(ctx);
    case Operation::kGetObjectRetention: return GetObjectRetention(ctx);
    case Operation::kPutObjectRetention: return PutObjectRetention(ctx);
    case Operation::kGetObjectLegalHold: return GetObjectLegalHold(ctx);
    case Operation::kPutObjectLegalHold: return PutObjectLegalHold(ctx);
    case Operation::kGetBucketPolicy: return GetBucketPolicy(ctx);
    case Operation::kPutBucketPolicy: return PutBucketPolicy(ctx);
    case Operation::kDeleteBucketPolicy: return DeleteBucketPolicy(ctx);
    case Operation::kPreflight:
    case Operation::kNotImplemented:
    case Operation::kMethodNotAllowed: break;
  }
  return S3Error::NotImplemented();
}

}  // namespace natss3::s3d
