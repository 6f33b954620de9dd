// S3 bucket policies: Put/Get/DeleteBucketPolicy and their evaluation on every request.
//
// The policy is kept as the client sent it (GetBucketPolicy answers it byte for byte) in the
// "cfg.policy.<bucket>" bucket record, next to the bucket ACL and CORS records
// (bucket_records.h). natss3 understands the part of the IAM policy language that
// concerns one bucket: Effect Allow|Deny; Principal "*" or {"AWS": ...} naming "*", access key
// ids or "arn:aws:iam::<account>:user/<access key>"; Action / NotAction with '*' and '?'
// wildcards; Resource ARNs of this bucket ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/<key
// pattern>"). Condition, NotPrincipal and NotResource are refused with NotImplemented rather
// than ignored (ignoring a condition would grant more than the policy says).
//
// Evaluation (S3's order): an explicit Deny that matches the request refuses it whatever the
// key's own permissions; otherwise the key's permissions, then an Allow of the policy, then the
// ACL grants. Anonymous requests match only Principal "*". The policy operations themselves
// need a key with write permission on the bucket; a policy never grants or denies them, so a
// policy cannot lock its owner out.
//
// Requests read the policy through the process's BucketRecords cache, parsed once per read:
// one KV get per bucket and TTL (1 s) instead of one per request; a change made through this
// gateway applies to its next request, one made through another within the TTL.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sigv4.h"
#include "natss3/object_store.h"
#include "s3d/bucket_records.h"
#include "s3d/errors.h"
#include "s3d/routing.h"

namespace natss3::s3d {

inline constexpr size_t kMaxBucketPolicyBytes = 20 * 1024;

struct PolicyStatement {
  bool deny = false;
  bool any_principal = false;           // "*"
  std::vector<std::string> principals;  // access key ids
  bool not_action = false;
  std::vector<std::string> actions;    // lower-cased patterns ("s3:get*")
  std::vector<std::string> resources;  // "bucket" or "bucket/<key pattern>" (ARN prefix cut)
};

struct BucketPolicy {
  std::vector<PolicyStatement> statements;
};

// Validates a PutBucketPolicy body for the bucket `s3_bucket` (the S3 name): MalformedPolicy
// for what S3 rejects, NotImplemented for Condition / NotPrincipal / NotResource.
S3Result<BucketPolicy> ParseBucketPolicy(std::string_view json, std::string_view s3_bucket);

enum class PolicyDecision { kNone, kAllow, kDeny };

// '*' matches any run of characters, '?' one character.
bool WildcardMatch(std::string_view pattern, std::string_view text);

// The decision of `policy` for `action` ("s3:GetObject") on `resource` ("bucket" or
// "bucket/key"): kDeny when a Deny statement matches, else kAllow when an Allow does.
PolicyDecision EvaluatePolicy(const BucketPolicy& policy, const s3::AuthContext& auth,
                              std::string_view action, std::string_view resource);

// The S3 action an operation needs ("" for operations a bucket policy does not govern:
// ListBuckets, CreateBucket, preflights, the policy operations).
std::string_view PolicyAction(Operation op);

// The bucket's policy as `records` caches it, parsed (nullptr when it has none or the stored
// one does not parse).
S3Result<std::shared_ptr<const BucketPolicy>> CachedBucketPolicy(BucketRecords& records,
                                                                 const std::string& bucket,
                                                                 const std::string& s3_bucket);

// The decision of the bucket's policy (cached) for `action` on `key` ("" for the bucket).
S3Result<PolicyDecision> DecidePolicy(BucketRecords& records, const s3::AuthContext& auth,
                                      std::string_view action, const std::string& bucket,
                                      const std::string& s3_bucket, const std::string& key);

// The whole permission check of a request: the policy's Deny, the key's own permissions
// (AuthGate::Authorize), the policy's Allow, the ACL grants (AclPermits). `bucket` is the
// NATS name, `s3_bucket` the S3 name.
class AuthGate;
S3Status AuthorizeRequest(ObjectStore& store, const AuthGate& gate, BucketRecords& records,
                          const s3::AuthContext& auth, Operation op, const std::string& bucket,
                          const std::string& s3_bucket, const std::string& key);

}  // namespace natss3::s3d
