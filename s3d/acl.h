// Canned ACLs (private, public-read, public-read-write, authenticated-read) and the per-bucket
// configuration records (bucket ACL, CORS) every gateway shares.
//
// Object ACLs live in the object's meta as the kAclHeader header (absent = private), changed
// only through the core's conditional meta update. Bucket ACLs and CORS rules are bucket
// records (bucket_records.h): "cfg.acl.<bucket>" holds the canned ACL name, "cfg.cors.<bucket>"
// the rules as JSON. Each record is replaced whole by one write (S3's Put* replace the whole
// configuration too), so concurrent writers never merge and the last write wins, as in S3.
// A missing record means private / no CORS. DeleteBucket removes both; CreateBucket of a new
// bucket resets them, so a re-created bucket never inherits an old grant.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "natss3/object_store.h"
#include "natss3/types.h"
#include "s3d/bucket_records.h"
#include "s3d/errors.h"
#include "s3d/routing.h"

namespace natss3::s3d {

inline constexpr const char* kAclHeader = "Natss3-Acl";

enum class CannedAcl { kPrivate, kPublicRead, kPublicReadWrite, kAuthenticatedRead };

std::optional<CannedAcl> ParseCannedAcl(std::string_view name);
std::string_view CannedAclName(CannedAcl acl);

// The request's x-amz-acl: nullopt when absent; InvalidArgument for a value that is not one of
// the four canned ACLs natss3 supports (NotImplemented for S3's other canned ACLs and for
// x-amz-grant-* headers, which name arbitrary grantees).
S3Result<std::optional<CannedAcl>> RequestedAcl(const httplib::Request& req);
// Sets (or, for private, removes) kAclHeader in object headers.
void SetObjectAcl(Headers* headers, CannedAcl acl);
// The object's ACL from its headers (private when absent or unknown).
CannedAcl ObjectAclOf(const Headers& headers);

// <AccessControlPolicy> with the owner and the grants S3 reports for `acl`.
std::string AccessControlPolicyXml(CannedAcl acl);
// An <AccessControlPolicy> body that states exactly the grants of one canned ACL (owner
// FULL_CONTROL plus the AllUsers / AuthenticatedUsers group grants); MalformedXML when it is
// not a policy, NotImplemented for any other set of grants.
S3Result<CannedAcl> ParseAccessControlPolicy(std::string_view body);

// Whether `acl` lets the caller read (`write` false) or write: public-read and
// public-read-write read for everyone, authenticated-read for every valid key,
// public-read-write writes for everyone.
bool AclGrants(CannedAcl acl, bool anonymous, bool write);

// The bucket ACL its record states (private when none or unknown).
CannedAcl BucketAclOf(const std::string& record);
// The bucket's ACL as `records` caches it.
S3Result<CannedAcl> CachedBucketAcl(BucketRecords& records, const std::string& bucket);

// The grant of a bucket or object ACL for a request its key's own permissions refused: reads
// of the bucket (ListObjects, HeadBucket, GetObject, HeadObject) by the bucket ACL, reads of
// one object (GetObject, HeadObject) by the object ACL, object writes by a public-read-write
// bucket ACL. Configuration operations (ACL, CORS, bucket create/delete) are never granted.
bool AclPermits(ObjectStore& store, BucketRecords& records, const s3::AuthContext& auth,
                Operation op, const std::string& bucket, const std::string& key);

}  // namespace natss3::s3d
