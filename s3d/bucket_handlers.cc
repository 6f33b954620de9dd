// Bucket operations and listings.
#include <chrono>

#include "natss3/listing_index.h"
#include "natss3/multipart.h"
#include "s3d/acl.h"
#include "s3d/body_reader.h"
#include "s3d/listing.h"
#include "s3d/object_lock.h"
#include "s3d/s3_service.h"
#include "s3d/xml.h"

namespace natss3::s3d {

S3Status ListBuckets(RequestContext& ctx) {
  auto buckets = ctx.store.ListBuckets();
  if (!buckets.ok()) return FromStatus(buckets.status(), ErrorContext::kService);
  // Only the buckets the caller may read: bucket names are not for everyone to see.
  std::vector<BucketStatus> visible;
  for (auto& b : *buckets) {
    b.bucket = S3BucketName(b.bucket);  // "my_bucket" shows as "my.bucket"
    if (ctx.auth_gate.AuthorizeRead(ctx.auth, b.bucket).ok()) visible.push_back(std::move(b));
  }
  SendXml(ctx.res, 200, ListBucketsXml(visible));
  return {};
}

S3Status CreateBucket(RequestContext& ctx) {
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, 64 * 1024);
  if (!body.ok()) return body.error();
  auto location = ParseCreateBucketConfiguration(*body);
  if (!location.ok()) return location.error();
  auto acl = RequestedAcl(ctx.req);
  if (!acl.ok()) return acl.error();
  std::string lock_header = ctx.req.get_header_value("x-amz-bucket-object-lock-enabled");
  for (char& c : lock_header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lock_header.empty() && lock_header != "true" && lock_header != "false") {
    return S3Error::InvalidArgument("x-amz-bucket-object-lock-enabled must be true or false");
  }
  bool created_now = false;
  // Re-creating a bucket the caller owns (may write) answers 200 and keeps its objects, as S3
  // does in us-east-1 (the region natss3d reports); asked for in another region, it is
  // BucketAlreadyOwnedByYou, as S3 answers there. Buckets of other keys never get here (see
  // S3Service::Dispatch: BucketAlreadyExists).
  const bool exists = ctx.store.GetBucketStatus(ctx.address.bucket).ok();
  if (exists && !location->empty() && *location != "us-east-1") {
    return S3Error::BucketAlreadyOwnedByYou();
  }
  if (!exists) {
    BucketConfig bucket;
    bucket.bucket = ctx.address.bucket;
    auto created = ctx.store.CreateBucket(bucket);
    if (!created.ok() && created.status().code() != Code::kAlreadyExists) {
      return FromStatus(created.status(), ErrorContext::kBucket);
    }
    created_now = created.ok();
  }
  // A new bucket starts from its own ACL (private unless x-amz-acl), no CORS rules and no
  // policy, never from records a bucket of the same name left (deleted by another NATS client).
  if (created_now || acl->has_value()) {
    CannedAcl chosen = acl->value_or(CannedAcl::kPrivate);
    S3Status stored =
        ctx.records.Store("acl", ctx.address.bucket,
                          chosen == CannedAcl::kPrivate ? "" : std::string(CannedAclName(chosen)));
    if (!stored.ok()) return stored;
  }
  if (created_now) {
    for (const char* kind : {"cors", "policy"}) {
      S3Status cleared = ctx.records.Store(kind, ctx.address.bucket, "");
      if (!cleared.ok()) return cleared;
    }
    // Object lock is chosen at creation (natss3 buckets cannot turn versioning on, which S3
    // requires to add it later); a configuration a same-named bucket left is replaced.
    ObjectLockConfig lock;
    lock.enabled = lock_header == "true";
    Status st = ctx.store.PutObjectLockConfig(ctx.address.bucket, lock);
    if (!st.ok()) return FromStatus(st, ErrorContext::kBucket);
  }
  ctx.buckets.Remember(ctx.address.bucket);
  ctx.res.set_header("Location", "/" + ctx.address.s3_bucket);
  SendEmpty(ctx.res, 200);
  return {};
}

namespace {
S3Status AbortAllUploads(RequestContext& ctx) {
  const std::string& bucket = ctx.address.bucket;
  auto uploads = ctx.uploads.List(bucket, /*include_completed=*/true);
  if (!uploads.ok()) {
    // No upload record store (never created, or out of this NATS account's reach): there is
    // nothing natss3 could have recorded to abort.
    Code code = uploads.status().code();
    if (code == Code::kNotFound || code == Code::kPermissionDenied) return {};
    return FromStatus(uploads.status(), ErrorContext::kService);
  }
  for (const UploadRecord& upload : *uploads) {
    Status removed = ctx.uploads.Remove(bucket, upload.upload_id);
    if (!removed.ok() && removed.code() != Code::kNotFound) {
      return FromStatus(removed, ErrorContext::kService);
    }
  }
  // Part records whose upload was already gone (an abort or crash cut short): their blobs go
  // with the bucket's stream, the records are deleted here.
  auto refs = ctx.uploads.PartReferences(bucket);
  if (!refs.ok()) return FromStatus(refs.status(), ErrorContext::kService);
  for (const MultipartStore::OrphanPart& orphan : refs->orphans) {
    Status deleted = ctx.uploads.DeletePartRecord(orphan.key);
    if (!deleted.ok() && deleted.code() != Code::kNotFound) {
      return FromStatus(deleted, ErrorContext::kService);
    }
  }
  return {};
}
}  // namespace

S3Status DeleteBucket(RequestContext& ctx) {
  auto index = ctx.store.Index(ctx.address.bucket);
  if (!index.ok()) return FromStatus(index.status(), ErrorContext::kBucket);
  if (!(*index)->empty()) return S3Error::BucketNotEmpty();
  // In-progress multipart uploads do not keep a bucket alive: S3 aborts them with it. Their
  // part blobs are purged and their records deleted, so nothing of them outlives the bucket.
  S3Status aborted = AbortAllUploads(ctx);
  if (!aborted.ok()) return aborted;
  Status st = ctx.store.DeleteBucket(ctx.address.bucket);
  if (!st.ok()) return FromStatus(st, ErrorContext::kBucket);
  // Its ACL, CORS rules and policy go with it: a bucket created later under the name starts
  // private. Best effort: CreateBucket resets them as well.
  for (const char* kind : {"acl", "cors", "policy"}) {
    (void)ctx.records.Store(kind, ctx.address.bucket, "");
  }
  ctx.buckets.Forget(ctx.address.bucket);
  SendEmpty(ctx.res, 204);
  return {};
}

S3Status HeadBucket(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  ctx.res.set_header("x-amz-bucket-region", "us-east-1");
  SendEmpty(ctx.res, 200);
  return {};
}

S3Status GetBucketLocation(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  XmlWriter xml;
  xml.Open("LocationConstraint", true);
  xml.Close("LocationConstraint");
  SendXml(ctx.res, 200, xml.Finish());
  return {};
}

S3Status GetBucketVersioning(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  XmlWriter xml;
  xml.Open("VersioningConfiguration", true);
  xml.Close("VersioningConfiguration");
  SendXml(ctx.res, 200, xml.Finish());
  return {};
}

S3Status PutBucketVersioning(RequestContext& ctx) {
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, 64 * 1024);
  if (!body.ok()) return body.error();
  auto request = ParseVersioningConfiguration(*body);
  if (!request.ok()) return request.error();
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  // Suspended is what the store does anyway (one "null" version per key, replaced by every
  // write), so it is accepted and changes nothing; keeping versions it cannot do.
  if (request->status == "Enabled" || request->mfa_delete == "Enabled") {
    return S3Error::NotImplemented(
        "natss3 buckets are unversioned: the NATS object store keeps one version per key, so "
        "versioning cannot be enabled (Suspended is accepted and changes nothing)");
  }
  SendEmpty(ctx.res, 200);
  return {};
}

S3Status ListObjectVersions(RequestContext& ctx) {
  auto params = ParseVersionListParams(ctx.address);
  if (!params.ok()) return params.error();
  auto index = ctx.store.Index(ctx.address.bucket);
  if (!index.ok()) return FromStatus(index.status(), ErrorContext::kBucket);
  ListingIndex::Page page;
  if (params->max_keys > 0) page = (*index)->List(ToQuery(*params));
  SendXml(ctx.res, 200, ListVersionsXml(ctx.address.s3_bucket, *params, page));
  return {};
}

S3Status ListObjects(RequestContext& ctx, bool v2) {
  auto params = ParseListParams(ctx.address, v2);
  if (!params.ok()) return params.error();
  auto index = ctx.store.Index(ctx.address.bucket);
  if (!index.ok()) return FromStatus(index.status(), ErrorContext::kBucket);
  ListingIndex::Page page;
  if (params->max_keys > 0) page = (*index)->List(ToQuery(*params));
  SendXml(ctx.res, 200, ListObjectsXml(ctx.address.s3_bucket, *params, page));
  return {};
}

S3Status DeleteObjects(RequestContext& ctx) {
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, 2 << 20);
  if (!body.ok()) return body.error();
  auto request = ParseDeleteObjects(*body);
  if (!request.ok()) return request.error();
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  DeleteOptions options;
  options.bypass_governance = BypassGovernance(ctx);
  XmlWriter xml;
  xml.Open("DeleteResult", true);
  for (size_t i = 0; i < request->keys.size(); ++i) {
    const std::string& key = request->keys[i];
    const std::optional<std::string>& version = request->version_ids[i];
    S3Status version_ok = version ? CheckVersionId(*version) : S3Status();
    // Each key answers to the bucket policy on its own (a Deny of some keys, an Allow of
    // others); the request itself only passed the bucket-level check.
    if (version_ok.ok()) {
      version_ok = AuthorizeRequest(ctx.store, ctx.auth_gate, ctx.records, ctx.auth,
                                    Operation::kDeleteObject, ctx.address.bucket,
                                    ctx.address.s3_bucket, key);
    }
    if (!version_ok.ok()) {
      xml.Open("Error");
      xml.Element("Key", key);
      if (version) xml.Element("VersionId", *version);
      xml.Element("Code", version_ok.error().code);
      xml.Element("Message", version_ok.error().message);
      xml.Close("Error");
      continue;
    }
    Status st = ctx.store.DeleteWithOptions(ctx.address.bucket, key, options);
    if (st.ok() || st.code() == Code::kNotFound) {
      if (!request->quiet) {
        xml.Open("Deleted");
        xml.Element("Key", key);
        if (version) xml.Element("VersionId", *version);
        xml.Close("Deleted");
      }
      continue;
    }
    S3Error error = FromStatus(st, ErrorContext::kObject);
    xml.Open("Error");
    xml.Element("Key", key);
    if (version) xml.Element("VersionId", *version);
    xml.Element("Code", error.code);
    xml.Element("Message", error.message);
    xml.Close("Error");
  }
  xml.Close("DeleteResult");
  SendXml(ctx.res, 200, xml.Finish());
  return {};
}

}  // namespace natss3::s3d
