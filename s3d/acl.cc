// Canned ACLs and the ACL operations.
#include "s3d/acl.h"

#include <pugixml.hpp>
#include <set>
#include <utility>

#include "s3d/body_reader.h"
#include "s3d/object_handlers.h"
#include "s3d/object_headers.h"
#include "s3d/s3_service.h"
#include "s3d/xml.h"

namespace natss3::s3d {

namespace {
constexpr const char* kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr const char* kAuthenticatedUsers =
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

// (grantee, permission); the owner is "owner", groups their URI.
using GrantSet = std::set<std::pair<std::string, std::string>>;

GrantSet GrantsOf(CannedAcl acl) {
  GrantSet grants{{"owner", "FULL_CONTROL"}};
  switch (acl) {
    case CannedAcl::kPrivate:
      break;
    case CannedAcl::kPublicRead:
      grants.insert({kAllUsers, "READ"});
      break;
    case CannedAcl::kPublicReadWrite:
      grants.insert({kAllUsers, "READ"});
      grants.insert({kAllUsers, "WRITE"});
      break;
    case CannedAcl::kAuthenticatedRead:
      grants.insert({kAuthenticatedUsers, "READ"});
      break;
  }
  return grants;
}

constexpr CannedAcl kAllCanned[] = {CannedAcl::kPrivate, CannedAcl::kPublicRead,
                                    CannedAcl::kPublicReadWrite, CannedAcl::kAuthenticatedRead};
}  // namespace

std::optional<CannedAcl> ParseCannedAcl(std::string_view name) {
  for (CannedAcl acl : kAllCanned) {
    if (CannedAclName(acl) == name) return acl;
  }
  return std::nullopt;
}

std::string_view CannedAclName(CannedAcl acl) {
  switch (acl) {
    case CannedAcl::kPrivate:
      return "private";
    case CannedAcl::kPublicRead:
      return "public-read";
    case CannedAcl::kPublicReadWrite:
      return "public-read-write";
    case CannedAcl::kAuthenticatedRead:
      return "authenticated-read";
  }
  return "private";
}

S3Result<std::optional<CannedAcl>> RequestedAcl(const httplib::Request& req) {
  for (const char* grant : {"x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp",
                            "x-amz-grant-write-acp", "x-amz-grant-full-control"}) {
    if (req.has_header(grant)) {
      return S3Error::NotImplemented(
          "Grants to named grantees (x-amz-grant-*) are not supported; "
          "use a canned ACL (x-amz-acl)");
    }
  }
  if (!req.has_header("x-amz-acl")) return std::optional<CannedAcl>();
  std::string value = req.get_header_value("x-amz-acl");
  if (auto acl = ParseCannedAcl(value)) return std::optional<CannedAcl>(*acl);
  if (value == "aws-exec-read" || value == "bucket-owner-read" ||
      value == "bucket-owner-full-control" || value == "log-delivery-write") {
    return S3Error::NotImplemented("The canned ACL " + value + " is not supported");
  }
  return S3Error::InvalidArgument("Invalid canned ACL: " + value);
}

void SetObjectAcl(Headers* headers, CannedAcl acl) {
  if (acl == CannedAcl::kPrivate)
    EraseHeader(headers, kAclHeader);
  else
    SetHeader(headers, kAclHeader, std::string(CannedAclName(acl)));
}

CannedAcl ObjectAclOf(const Headers& headers) {
  return ParseCannedAcl(FirstHeader(headers, kAclHeader)).value_or(CannedAcl::kPrivate);
}

std::string AccessControlPolicyXml(CannedAcl acl) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AccessControlPolicy xmlns=\"";
  xml += kS3Namespace;
  xml += "\"><Owner><ID>";
  xml += XmlEscape(kOwnerId);
  xml += "</ID><DisplayName>";
  xml += XmlEscape(kOwnerName);
  xml += "</DisplayName></Owner><AccessControlList>";
  constexpr const char* kXsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
  xml += "<Grant><Grantee ";
  xml += kXsi;
  xml += " xsi:type=\"CanonicalUser\"><ID>";
  xml += XmlEscape(kOwnerId);
  xml += "</ID><DisplayName>";
  xml += XmlEscape(kOwnerName);
  xml += "</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>";
  for (const auto& [grantee, permission] : GrantsOf(acl)) {
    if (grantee == "owner") continue;
    xml += "<Grant><Grantee ";
    xml += kXsi;
    xml += " xsi:type=\"Group\"><URI>" + grantee + "</URI></Grantee><Permission>" + permission +
           "</Permission></Grant>";
  }
  xml += "</AccessControlList></AccessControlPolicy>";
  return xml;
}

S3Result<CannedAcl> ParseAccessControlPolicy(std::string_view body) {
  pugi::xml_document doc;
  if (body.empty() || !doc.load_buffer(body.data(), body.size())) return S3Error::MalformedXML();
  pugi::xml_node root = doc.child("AccessControlPolicy");
  if (!root) return S3Error::MalformedXML();
  pugi::xml_node list = root.child("AccessControlList");
  if (!list) return S3Error::MalformedXML();
  GrantSet grants;
  for (pugi::xml_node grant : list.children("Grant")) {
    pugi::xml_node grantee = grant.child("Grantee");
    std::string permission = grant.child("Permission").child_value();
    if (!grantee || permission.empty()) return S3Error::MalformedXML();
    static const std::set<std::string> kPermissions = {"FULL_CONTROL", "READ", "WRITE", "READ_ACP",
                                                       "WRITE_ACP"};
    if (!kPermissions.count(permission)) return S3Error::MalformedXML();
    std::string type = grantee.attribute("xsi:type").value();
    std::string uri = grantee.child("URI").child_value();
    std::string id = grantee.child("ID").child_value();
    if (!uri.empty() && (type.empty() || type == "Group")) {
      grants.insert({uri, permission});
    } else if (id == kOwnerId && (type.empty() || type == "CanonicalUser")) {
      grants.insert({"owner", permission});
    } else {
      return S3Error::NotImplemented(
          "Only the grants of the canned ACLs private, public-read, public-read-write and "
          "authenticated-read are supported");
    }
  }
  for (CannedAcl acl : kAllCanned) {
    if (GrantsOf(acl) == grants) return acl;
  }
  return S3Error::NotImplemented(
      "Only the grants of the canned ACLs private, public-read, public-read-write and "
      "authenticated-read are supported");
}

bool AclGrants(CannedAcl acl, bool anonymous, bool write) {
  switch (acl) {
    case CannedAcl::kPrivate:
      return false;
    case CannedAcl::kPublicRead:
      return !write;
    case CannedAcl::kPublicReadWrite:
      return true;
    case CannedAcl::kAuthenticatedRead:
      return !write && !anonymous;
  }
  return false;
}

CannedAcl BucketAclOf(const std::string& record) {
  return ParseCannedAcl(record).value_or(CannedAcl::kPrivate);
}

S3Result<CannedAcl> CachedBucketAcl(BucketRecords& records, const std::string& bucket) {
  auto acl = records.Get<CannedAcl>("acl", bucket, BucketAclOf);
  if (!acl.ok()) return acl.error();
  return **acl;
}

bool AclPermits(ObjectStore& store, BucketRecords& records, const s3::AuthContext& auth,
                Operation op, const std::string& bucket, const std::string& key) {
  if (bucket.empty()) return false;
  bool bucket_read = op == Operation::kListObjectsV1 || op == Operation::kListObjectsV2 ||
                     op == Operation::kHeadBucket || op == Operation::kGetObject ||
                     op == Operation::kHeadObject;
  bool object_write = op == Operation::kPutObject || op == Operation::kDeleteObject ||
                      op == Operation::kDeleteObjects || op == Operation::kCreateMultipartUpload ||
                      op == Operation::kUploadPart || op == Operation::kCompleteMultipartUpload ||
                      op == Operation::kAbortMultipartUpload;
  if (!bucket_read && !object_write) return false;
  auto bucket_acl = CachedBucketAcl(records, bucket);
  if (bucket_acl.ok() && AclGrants(*bucket_acl, auth.anonymous, object_write)) return true;
  if (op != Operation::kGetObject && op != Operation::kHeadObject) return false;
  // A meta lookup in a missing bucket would wait for a NATS timeout: check the bucket first.
  if (!store.GetBucketStatus(bucket).ok()) return false;
  auto info = store.GetInfo(bucket, key);
  if (!info.ok()) return false;
  return AclGrants(ObjectAclOf(info->meta.headers), auth.anonymous, false);
}

// --- Operations -------------------------------------------------------------------------

namespace {
S3Result<CannedAcl> AclOfRequest(RequestContext& ctx) {
  auto requested = RequestedAcl(ctx.req);
  if (!requested.ok()) return requested.error();
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, 64 * 1024);
  if (!body.ok()) return body.error();
  if (requested->has_value()) {
    if (!body->empty()) {
      return S3Error::InvalidRequest("Specify either an x-amz-acl header or an ACL body, not both");
    }
    return **requested;
  }
  if (body->empty()) {
    return S3Error{"MissingSecurityHeader", "Your request was missing a required header", 400};
  }
  return ParseAccessControlPolicy(*body);
}
}  // namespace

S3Status GetBucketAcl(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  auto record = ctx.records.Load("acl", ctx.address.bucket);
  if (!record.ok()) return record.error();
  SendXml(ctx.res, 200, AccessControlPolicyXml(BucketAclOf(*record)));
  return {};
}

S3Status PutBucketAcl(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  auto acl = AclOfRequest(ctx);
  if (!acl.ok()) return acl.error();
  std::string value = *acl == CannedAcl::kPrivate ? "" : std::string(CannedAclName(*acl));
  S3Status stored = ctx.records.Store("acl", ctx.address.bucket, value);
  if (!stored.ok()) return stored;
  SendEmpty(ctx.res, 200);
  return {};
}

S3Status GetObjectAcl(RequestContext& ctx) {
  auto info = GetObjectInfo(ctx, ctx.address.bucket, ctx.address.key);
  if (!info.ok()) return info.error();
  SendXml(ctx.res, 200, AccessControlPolicyXml(ObjectAclOf(info->meta.headers)));
  return {};
}

S3Status PutObjectAcl(RequestContext& ctx) {
  auto acl = AclOfRequest(ctx);
  if (!acl.ok()) return acl.error();
  auto info = GetObjectInfo(ctx, ctx.address.bucket, ctx.address.key);
  if (!info.ok()) return info.error();
  // Only the ACL header changes, on whatever version is current when it is written.
  auto updated = ctx.store.ModifyMeta(ctx.address.bucket, ctx.address.key, [&](ObjectInfo& cur) {
    SetObjectAcl(&cur.meta.headers, *acl);
    return Status::OK();
  });
  if (!updated.ok()) return FromStatus(updated.status(), ErrorContext::kObject);
  SendEmpty(ctx.res, 200);
  return {};
}

}  // namespace natss3::s3d
