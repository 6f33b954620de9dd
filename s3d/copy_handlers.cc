// CopyObject (streamed from a reader into a writer; metadata-only when copying onto itself).
#include "natss3/types.h"
#include "s3d/acl.h"
#include "s3d/copy_source.h"
#include "s3d/object_handlers.h"
#include "s3d/object_headers.h"
#include "s3d/object_lock.h"
#include "s3d/object_parts.h"
#include "s3d/range.h"
#include "s3d/xml.h"

namespace natss3::s3d {

S3Result<CopySource> ParseCopySource(std::string_view header) {
  std::string_view source = header;
  size_t question = source.find('?');
  if (question != std::string_view::npos) {
    std::string_view query = source.substr(question + 1);
    if (query.starts_with("versionId=")) {
      S3Status version = CheckVersionId(query.substr(std::string_view("versionId=").size()));
      if (!version.ok()) return version.error();
    }
    source = source.substr(0, question);
  }
  std::string decoded;
  if (!UriDecode(source, &decoded, false))
    return S3Error::InvalidArgument("Invalid copy source encoding");
  std::string_view path = decoded;
  if (path.starts_with("/")) path.remove_prefix(1);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == path.size()) {
    return S3Error::InvalidArgument(
        "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
  }
  std::string bucket(path.substr(0, slash));
  S3Status valid = ValidateExistingBucketName(bucket);
  if (!valid.ok()) return valid.error();
  return CopySource{NatsBucketName(bucket), std::string(path.substr(slash + 1)), bucket};
}

S3Result<ObjectInfo> OpenCopySource(RequestContext& ctx, const CopySource& source) {
  // The source answers to its bucket's policy for s3:GetObject: a Deny refuses the copy, an
  // Allow grants the read the key's own permissions lack.
  auto decision = DecidePolicy(ctx.records, ctx.auth, "s3:GetObject", source.bucket,
                               source.s3_bucket, source.key);
  if (!decision.ok()) return decision.error();
  if (*decision == PolicyDecision::kDeny) return S3Error::AccessDenied();
  S3Status readable = ctx.auth_gate.AuthorizeRead(ctx.auth, source.s3_bucket);
  if (!readable.ok() && *decision != PolicyDecision::kAllow) return readable.error();
  auto info = GetObjectInfo(ctx, source.bucket, source.key);
  if (!info.ok()) return info.error();
  Conditions conditions{ctx.req.get_header_value("x-amz-copy-source-if-match"),
                        ctx.req.get_header_value("x-amz-copy-source-if-none-match"),
                        ctx.req.get_header_value("x-amz-copy-source-if-modified-since"),
                        ctx.req.get_header_value("x-amz-copy-source-if-unmodified-since")};
  if (EvaluateConditions(conditions, EtagOf(*info), info->mtime, false) !=
      ConditionOutcome::kProceed) {
    return S3Error::PreconditionFailed();
  }
  return info;
}

Status CopyStream(ObjectReader& reader, const std::function<Status(std::string_view)>& write) {
  std::string buffer(256 * 1024, '\0');
  while (true) {
    NATSS3_ASSIGN_OR_RETURN(size_t got, reader.Read(buffer.data(), buffer.size()));
    if (got == 0) return Status::OK();
    NATSS3_RETURN_IF_ERROR(write(std::string_view(buffer.data(), got)));
  }
}

namespace {
void SendCopyResult(RequestContext& ctx, const char* root, const std::string& etag,
                    TimePoint modified) {
  XmlWriter xml;
  xml.Open(root, true);
  xml.Element("LastModified", FormatIso8601(modified));
  xml.Element("ETag", etag);
  xml.Close(root);
  SendXml(ctx.res, 200, xml.Finish());
}

// `same`: a metadata-only copy onto the source itself keeps its object lock unless the
// request names one; any other copy gets the request's lock (or the bucket default), never
// the source's.
S3Result<Headers> CopyHeaders(RequestContext& ctx, const ObjectInfo& source, bool replace,
                              bool same) {
  Headers headers;
  if (replace) {
    auto fresh = NewObjectHeaders(ctx);
    if (!fresh.ok()) return fresh.error();
    headers = std::move(fresh).value();
    CopyBookkeepingHeaders(source.meta.headers, &headers, false);
  } else {
    headers = source.meta.headers;
  }
  // The copy's storage class is the request's (STANDARD without one), never the source's.
  S3Status storage_class = ApplyStorageClass(ctx.req, &headers);
  if (!storage_class.ok()) return storage_class.error();
  // Nor its ACL: a copy is private unless the request names a canned ACL (as in S3).
  auto acl = RequestedAcl(ctx.req);
  if (!acl.ok()) return acl.error();
  SetObjectAcl(&headers, acl->value_or(CannedAcl::kPrivate));
  std::string tagging = ctx.req.get_header_value("x-amz-tagging-directive");
  if (tagging == "REPLACE") {
    EraseHeader(&headers, kTaggingHeader);
    auto tags = ParseTaggingHeader(ctx.req.get_header_value("x-amz-tagging"));
    if (!tags.ok()) return tags.error();
    if (!tags->empty()) SetHeader(&headers, kTaggingHeader, FormatTaggingHeader(*tags));
  } else if (replace) {
    std::string tags = source.Header(kTaggingHeader);
    EraseHeader(&headers, kTaggingHeader);
    if (!tags.empty()) SetHeader(&headers, kTaggingHeader, tags);
  }
  if (same) SetLock(&headers, LockOf(source.meta.headers));
  S3Status lock = ApplyRequestedLock(ctx, &headers, /*keep_existing=*/same);
  if (!lock.ok()) return lock.error();
  if (same && !source.Header(kLegalHoldHeader).empty() &&
      !ctx.req.has_header("x-amz-object-lock-legal-hold"))
    SetHeader(&headers, kLegalHoldHeader, source.Header(kLegalHoldHeader));
  return headers;
}
}  // namespace

S3Status CopyObject(RequestContext& ctx) {
  auto source = ParseCopySource(ctx.req.get_header_value("x-amz-copy-source"));
  if (!source.ok()) return source.error();
  std::string directive = ctx.req.get_header_value("x-amz-metadata-directive");
  if (!directive.empty() && directive != "COPY" && directive != "REPLACE") {
    return S3Error::InvalidArgument("Unknown metadata directive.");
  }
  bool replace = directive == "REPLACE";
  auto info = OpenCopySource(ctx, *source);
  if (!info.ok()) return info.error();
  bool same = source->bucket == ctx.address.bucket && source->key == ctx.address.key;
  if (same && !replace && ctx.req.get_header_value("x-amz-tagging-directive") != "REPLACE" &&
      !ctx.req.has_header("x-amz-storage-class")) {
    return S3Error::InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without "
        "changing the object's metadata, storage class, website redirect location or encryption "
        "attributes.");
  }
  auto headers = CopyHeaders(ctx, *info, replace, same && !info->is_link());
  if (!headers.ok()) return headers.error();
  if (same && !info->is_link()) {
    // Metadata-only: the headers are derived from the version current when they are written
    // (re-derived if a put replaced it meanwhile), never from an older one.
    std::optional<S3Error> refused;
    auto updated = ctx.store.ModifyMeta(ctx.address.bucket, ctx.address.key, [&](ObjectInfo& cur) {
      Conditions conditions{ctx.req.get_header_value("x-amz-copy-source-if-match"),
                            ctx.req.get_header_value("x-amz-copy-source-if-none-match"),
                            ctx.req.get_header_value("x-amz-copy-source-if-modified-since"),
                            ctx.req.get_header_value("x-amz-copy-source-if-unmodified-since")};
      if (EvaluateConditions(conditions, EtagOf(cur), cur.mtime, false) !=
          ConditionOutcome::kProceed) {
        refused = S3Error::PreconditionFailed();
        return Cancelled("copy source condition failed");
      }
      auto fresh = CopyHeaders(ctx, cur, replace, true);
      if (!fresh.ok()) {
        refused = fresh.error();
        return Cancelled("copy headers refused");
      }
      std::string md5 = cur.Header(kMd5Header), etag = cur.Header(kEtagHeader);
      std::string parts = cur.Header(kPartsHeader);
      cur.meta.headers = std::move(fresh).value();
      if (!md5.empty()) SetHeader(&cur.meta.headers, kMd5Header, md5);
      if (!etag.empty()) SetHeader(&cur.meta.headers, kEtagHeader, etag);
      if (!parts.empty()) SetHeader(&cur.meta.headers, kPartsHeader, parts);
      return Status::OK();
    });
    if (refused) return *refused;
    if (!updated.ok()) return FromStatus(updated.status(), ErrorContext::kObject);
    SendCopyResult(ctx, "CopyObjectResult", EtagOf(*updated), updated->mtime);
    return {};
  }
  ObjectMeta meta;
  meta.name = ctx.address.key;
  meta.headers = std::move(headers).value();
  EraseHeader(&meta.headers, kEtagHeader);
  EraseHeader(&meta.headers, kMd5Header);
  auto reader = OpenForRead(ctx, source->bucket, source->key);
  if (!reader.ok()) return reader.error();
  auto writer = ctx.store.NewWriter(ctx.address.bucket, meta);
  if (!writer.ok()) return FromStatus(writer.status(), ErrorContext::kObject);
  Status copied = CopyStream(**reader, [&](std::string_view d) { return (*writer)->Write(d); });
  if (!copied.ok()) {
    (*writer)->Abort();
    return FromStatus(copied, ErrorContext::kObject);
  }
  auto committed = (*writer)->Commit();
  if (!committed.ok()) return FromStatus(committed.status(), ErrorContext::kObject);
  SendCopyResult(ctx, "CopyObjectResult", EtagOf(*committed), committed->mtime);
  return {};
}

void SendCopyPartResult(RequestContext& ctx, const std::string& etag, TimePoint modified) {
  SendCopyResult(ctx, "CopyPartResult", etag, modified);
}

}  // namespace natss3::s3d
