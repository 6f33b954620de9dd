// Bucket policies: parsing, evaluation (of the cached policy) and the policy operations.
#include "s3d/policy.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "natss3/ascii.h"
#include "s3d/acl.h"
#include "s3d/auth_gate.h"
#include "s3d/body_reader.h"
#include "s3d/s3_service.h"

namespace natss3::s3d {

namespace {

constexpr std::string_view kS3Arn = "arn:aws:s3:::";

S3Error Malformed(std::string message) {
  return S3Error{"MalformedPolicy", std::move(message), 400};
}

S3Error PolicyTooLarge() {
  return S3Error{"PolicyTooLarge", "Policy exceeds the maximum allowed document size.", 400};
}

// A string or a list of strings (IAM accepts both wherever a list is expected).
S3Result<std::vector<std::string>> StringList(const nlohmann::json& value, const char* field) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array() && !value.empty()) {
    for (const auto& item : value) {
      if (!item.is_string()) return Malformed(std::string(field) + " must hold strings");
      out.push_back(item.get<std::string>());
    }
  } else {
    return Malformed(std::string(field) + " must be a string or a non-empty list of strings");
  }
  return out;
}

S3Status ParsePrincipal(const nlohmann::json& value, PolicyStatement* st) {
  if (value.is_string()) {
    if (value.get<std::string>() != "*") return Malformed("Invalid principal in policy");
    st->any_principal = true;
    return {};
  }
  if (!value.is_object() || value.size() != 1 || !value.contains("AWS")) {
    return Malformed("Invalid principal in policy");
  }
  auto names = StringList(value["AWS"], "Principal");
  if (!names.ok()) return Malformed("Invalid principal in policy");
  for (const std::string& name : *names) {
    if (name == "*") {
      st->any_principal = true;
      continue;
    }
    std::string key = name;
    if (name.rfind("arn:", 0) == 0) {
      // arn:aws:iam::<account>:user/<access key>
      constexpr std::string_view kIam = "arn:aws:iam::";
      size_t user = name.find(":user/");
      if (name.rfind(kIam, 0) != 0 || user == std::string::npos ||
          name.find(':', kIam.size()) != user) {
        return Malformed("Invalid principal in policy");
      }
      key = name.substr(user + 6);
    }
    if (key.empty() || key.find_first_of("*?/: ") != std::string::npos) {
      return Malformed("Invalid principal in policy");
    }
    st->principals.push_back(key);
  }
  return {};
}

S3Status ParseStatement(const nlohmann::json& s, std::string_view bucket, PolicyStatement* st) {
  if (!s.is_object()) return Malformed("Each Statement must be an object");
  for (const auto& [name, value] : s.items()) {
    if (name == "Condition" || name == "NotPrincipal" || name == "NotResource") {
      return S3Error::NotImplemented("natss3 bucket policies do not support " + name);
    }
    if (name != "Sid" && name != "Effect" && name != "Principal" && name != "Action" &&
        name != "NotAction" && name != "Resource") {
      return Malformed("Policy has an unknown field: " + name);
    }
  }
  if (!s.contains("Effect") || !s["Effect"].is_string()) {
    return Malformed("Missing required field Effect");
  }
  std::string effect = s["Effect"].get<std::string>();
  if (effect != "Allow" && effect != "Deny") return Malformed("Invalid effect: " + effect);
  st->deny = effect == "Deny";
  if (!s.contains("Principal")) return Malformed("Missing required field Principal");
  S3Status principal = ParsePrincipal(s["Principal"], st);
  if (!principal.ok()) return principal;
  bool has_action = s.contains("Action"), has_not_action = s.contains("NotAction");
  if (has_action == has_not_action) {
    return Malformed(has_action ? "A statement cannot hold both Action and NotAction"
                                : "Missing required field Action");
  }
  st->not_action = has_not_action;
  auto actions = StringList(s[has_action ? "Action" : "NotAction"], "Action");
  if (!actions.ok()) return actions.error();
  for (const std::string& action : *actions) {
    std::string lower = AsciiLower(action);
    if (lower != "*" && (lower.rfind("s3:", 0) != 0 || lower.size() == 3)) {
      return Malformed("Policy has invalid action");
    }
    st->actions.push_back(lower);
  }
  if (!s.contains("Resource")) return Malformed("Missing required field Resource");
  auto resources = StringList(s["Resource"], "Resource");
  if (!resources.ok()) return resources.error();
  for (const std::string& arn : *resources) {
    if (arn.rfind(kS3Arn, 0) != 0) return Malformed("Policy has invalid resource");
    std::string rest = arn.substr(kS3Arn.size());
    size_t slash = rest.find('/');
    if (rest.substr(0, slash) != bucket) return Malformed("Policy has invalid resource");
    st->resources.push_back(rest);
  }
  return {};
}

bool PrincipalMatches(const PolicyStatement& st, const s3::AuthContext& auth) {
  if (st.any_principal) return true;
  if (auth.anonymous) return false;
  for (const std::string& key : st.principals) {
    if (key == auth.access_key) return true;
  }
  return false;
}

bool ActionMatches(const PolicyStatement& st, std::string_view action) {
  std::string lower = AsciiLower(action);
  bool any = false;
  for (const std::string& pattern : st.actions) {
    if (WildcardMatch(pattern, lower)) {
      any = true;
      break;
    }
  }
  return any != st.not_action;
}

bool ResourceMatches(const PolicyStatement& st, std::string_view resource) {
  for (const std::string& pattern : st.resources) {
    if (WildcardMatch(pattern, resource)) return true;
  }
  return false;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Iterative glob match with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

S3Result<BucketPolicy> ParseBucketPolicy(std::string_view json, std::string_view s3_bucket) {
  if (json.size() > kMaxBucketPolicyBytes) {
    return PolicyTooLarge();
  }
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Malformed("Policies must be valid JSON and the first byte must be '{'");
  }
  for (const auto& [name, value] : doc.items()) {
    if (name != "Version" && name != "Id" && name != "Statement") {
      return Malformed("Policy has an unknown field: " + name);
    }
  }
  if (doc.contains("Version")) {
    const auto& version = doc["Version"];
    if (!version.is_string() || (version.get<std::string>() != "2012-10-17" &&
                                 version.get<std::string>() != "2008-10-17")) {
      return Malformed("The policy must contain a valid version string");
    }
  }
  if (!doc.contains("Statement")) return Malformed("Missing required field Statement");
  nlohmann::json statements = doc["Statement"];
  if (statements.is_object()) statements = nlohmann::json::array({statements});
  if (!statements.is_array() || statements.empty()) {
    return Malformed("Statement must be a statement or a non-empty list of statements");
  }
  BucketPolicy policy;
  for (const auto& s : statements) {
    PolicyStatement st;
    S3Status parsed = ParseStatement(s, s3_bucket, &st);
    if (!parsed.ok()) return parsed.error();
    policy.statements.push_back(std::move(st));
  }
  return policy;
}

PolicyDecision EvaluatePolicy(const BucketPolicy& policy, const s3::AuthContext& auth,
                              std::string_view action, std::string_view resource) {
  PolicyDecision decision = PolicyDecision::kNone;
  for (const PolicyStatement& st : policy.statements) {
    if (!PrincipalMatches(st, auth) || !ActionMatches(st, action) ||
        !ResourceMatches(st, resource)) {
      continue;
    }
    if (st.deny) return PolicyDecision::kDeny;
    decision = PolicyDecision::kAllow;
  }
  return decision;
}

namespace {
// Whether some Allow statement could grant `action` to the caller on some resource (the
// request-level gate of DeleteObjects, whose keys are then checked one by one).
bool MayAllow(const BucketPolicy& policy, const s3::AuthContext& auth, std::string_view action) {
  for (const PolicyStatement& st : policy.statements) {
    if (!st.deny && PrincipalMatches(st, auth) && ActionMatches(st, action)) return true;
  }
  return false;
}
}  // namespace

std::string_view PolicyAction(Operation op) {
  switch (op) {
    case Operation::kDeleteBucket:
      return "s3:DeleteBucket";
    case Operation::kHeadBucket:
    case Operation::kListObjectsV1:
    case Operation::kListObjectsV2:
      return "s3:ListBucket";
    case Operation::kGetBucketLocation:
      return "s3:GetBucketLocation";
    case Operation::kGetBucketVersioning:
      return "s3:GetBucketVersioning";
    case Operation::kPutBucketVersioning:
      return "s3:PutBucketVersioning";
    case Operation::kListMultipartUploads:
      return "s3:ListBucketMultipartUploads";
    case Operation::kListObjectVersions:
      return "s3:ListBucketVersions";
    case Operation::kDeleteObjects:
    case Operation::kDeleteObject:
      return "s3:DeleteObject";
    case Operation::kPutObject:
    case Operation::kCopyObject:
    case Operation::kCreateMultipartUpload:
    case Operation::kUploadPart:
    case Operation::kUploadPartCopy:
    case Operation::kCompleteMultipartUpload:
      return "s3:PutObject";
    case Operation::kGetObject:
    case Operation::kHeadObject:
      return "s3:GetObject";
    case Operation::kGetObjectAttributes:
      return "s3:GetObjectAttributes";
    case Operation::kGetObjectTagging:
      return "s3:GetObjectTagging";
    case Operation::kPutObjectTagging:
      return "s3:PutObjectTagging";
    case Operation::kDeleteObjectTagging:
      return "s3:DeleteObjectTagging";
    case Operation::kAbortMultipartUpload:
      return "s3:AbortMultipartUpload";
    case Operation::kListParts:
      return "s3:ListMultipartUploadParts";
    case Operation::kGetBucketAcl:
      return "s3:GetBucketAcl";
    case Operation::kPutBucketAcl:
      return "s3:PutBucketAcl";
    case Operation::kGetObjectAcl:
      return "s3:GetObjectAcl";
    case Operation::kPutObjectAcl:
      return "s3:PutObjectAcl";
    case Operation::kGetBucketCors:
      return "s3:GetBucketCORS";
    case Operation::kPutBucketCors:
    case Operation::kDeleteBucketCors:
      return "s3:PutBucketCORS";
    case Operation::kGetObjectLockConfiguration:
      return "s3:GetBucketObjectLockConfiguration";
    case Operation::kPutObjectLockConfiguration:
      return "s3:PutBucketObjectLockConfiguration";
    case Operation::kGetObjectRetention:
      return "s3:GetObjectRetention";
    case Operation::kPutObjectRetention:
      return "s3:PutObjectRetention";
    case Operation::kGetObjectLegalHold:
      return "s3:GetObjectLegalHold";
    case Operation::kPutObjectLegalHold:
      return "s3:PutObjectLegalHold";
    default:
      return "";
  }
}

S3Result<std::shared_ptr<const BucketPolicy>> CachedBucketPolicy(BucketRecords& records,
                                                                 const std::string& bucket,
                                                                 const std::string& s3_bucket) {
  auto parse = [&](const std::string& record) -> std::optional<BucketPolicy> {
    if (record.empty()) return std::nullopt;
    // Stored only after validation; one that no longer parses grants nothing.
    auto parsed = ParseBucketPolicy(record, s3_bucket);
    if (!parsed.ok()) return std::nullopt;
    return std::move(parsed).value();
  };
  auto cached = records.Get<std::optional<BucketPolicy>>("policy", bucket, parse);
  if (!cached.ok()) return cached.error();
  if (!**cached) return std::shared_ptr<const BucketPolicy>();
  return std::shared_ptr<const BucketPolicy>(*cached, &***cached);  // shares the cached one
}

S3Result<PolicyDecision> DecidePolicy(BucketRecords& records, const s3::AuthContext& auth,
                                      std::string_view action, const std::string& bucket,
                                      const std::string& s3_bucket, const std::string& key) {
  auto policy = CachedBucketPolicy(records, bucket, s3_bucket);
  if (!policy.ok()) return policy.error();
  if (!*policy) return PolicyDecision::kNone;
  return EvaluatePolicy(**policy, auth, action, key.empty() ? s3_bucket : s3_bucket + "/" + key);
}

S3Status AuthorizeRequest(ObjectStore& store, const AuthGate& gate, BucketRecords& records,
                          const s3::AuthContext& auth, Operation op, const std::string& bucket,
                          const std::string& s3_bucket, const std::string& key) {
  std::string_view action = PolicyAction(op);
  std::shared_ptr<const BucketPolicy> policy;
  PolicyDecision decision = PolicyDecision::kNone;
  if (!action.empty() && !bucket.empty()) {
    auto loaded = CachedBucketPolicy(records, bucket, s3_bucket);
    if (!loaded.ok()) return loaded.error();
    policy = *loaded;
    if (policy) {
      decision =
          EvaluatePolicy(*policy, auth, action, key.empty() ? s3_bucket : s3_bucket + "/" + key);
    }
  }
  if (decision == PolicyDecision::kDeny) return S3Error::AccessDenied();
  S3Status allowed = gate.Authorize(auth, op, s3_bucket);
  if (allowed.ok() || decision == PolicyDecision::kAllow) return {};
  if (AclPermits(store, records, auth, op, bucket, key)) return {};
  if (op == Operation::kDeleteObjects && policy && MayAllow(*policy, auth, action)) return {};
  return allowed;
}

// --- Operations -------------------------------------------------------------------------

S3Status GetBucketPolicy(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  auto record = ctx.records.Load("policy", ctx.address.bucket);
  if (!record.ok()) return record.error();
  if (record->empty()) {
    return S3Error{"NoSuchBucketPolicy", "The bucket policy does not exist", 404};
  }
  ctx.res.status = 200;
  ctx.res.set_content(*record, "application/json");
  return {};
}

S3Status PutBucketPolicy(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, kMaxBucketPolicyBytes + 1);
  if (!body.ok()) {
    if (body.error().code == "EntityTooLarge" || body.error().code == "MaxMessageLengthExceeded") {
      return PolicyTooLarge();
    }
    return body.error();
  }
  auto policy = ParseBucketPolicy(*body, ctx.address.s3_bucket);
  if (!policy.ok()) return policy.error();
  S3Status stored = ctx.records.Store("policy", ctx.address.bucket, *body);
  if (!stored.ok()) return stored;
  SendEmpty(ctx.res, 204);
  return {};
}

S3Status DeleteBucketPolicy(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  S3Status deleted = ctx.records.Store("policy", ctx.address.bucket, "");
  if (!deleted.ok()) return deleted;
  SendEmpty(ctx.res, 204);
  return {};
}

}  // namespace natss3::s3d
