// Bucket policy parser and evaluator (s3d/policy.h) without a server.
#include <gtest/gtest.h>

#include <string>

#include "s3d/policy.h"

namespace natss3::s3d {
namespace {

s3::AuthContext Key(const std::string& access_key) {
  s3::AuthContext auth;
  auth.access_key = access_key;
  return auth;
}

s3::AuthContext Anonymous() {
  s3::AuthContext auth;
  auth.anonymous = true;
  return auth;
}

BucketPolicy Parse(const std::string& json, const std::string& bucket = "b") {
  auto policy = ParseBucketPolicy(json, bucket);
  EXPECT_TRUE(policy.ok()) << (policy.ok() ? "" : policy.error().message) << " in " << json;
  return policy.ok() ? *policy : BucketPolicy{};
}

std::string ErrorOf(const std::string& json, const std::string& bucket = "b") {
  auto policy = ParseBucketPolicy(json, bucket);
  return policy.ok() ? "ok" : policy.error().code;
}

TEST(PolicyWildcard, Matches) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("b/*", "b/a/b/c"));
  EXPECT_FALSE(WildcardMatch("b/*", "b"));
  EXPECT_TRUE(WildcardMatch("b/a?c", "b/abc"));
  EXPECT_FALSE(WildcardMatch("b/a?c", "b/ac"));
  EXPECT_TRUE(WildcardMatch("b/*/x*y", "b/dir/x--y"));
  EXPECT_FALSE(WildcardMatch("b/*/x*y", "b/dir/x--z"));
  EXPECT_TRUE(WildcardMatch("s3:get*", "s3:getobject"));
  EXPECT_TRUE(WildcardMatch("**a", "a"));
  EXPECT_FALSE(WildcardMatch("b", "b/"));
}

TEST(PolicyParse, MinioGoPolicies) {
  // The three policies of minio-go's testFunctional.
  for (const char* action : {R"(["s3:ListBucket"])", R"(["s3:ListBucketMultipartUploads"])",
                             R"(["s3:ListBucket","s3:ListBucketMultipartUploads"])"}) {
    BucketPolicy policy = Parse(
        std::string(R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":)") +
        R"({"AWS":["*"]},"Action":)" + action + R"(,"Resource":["arn:aws:s3:::b"]}]})");
    ASSERT_EQ(policy.statements.size(), 1u);
    EXPECT_TRUE(policy.statements[0].any_principal);
    EXPECT_FALSE(policy.statements[0].deny);
  }
}

TEST(PolicyParse, Rejects) {
  const std::string ok_statement =
      R"("Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*")";
  EXPECT_EQ(ErrorOf(R"({"Statement":{)" + ok_statement + "}}"), "ok");
  EXPECT_EQ(ErrorOf(R"({"Version":"2008-10-17","Statement":[{)" + ok_statement + "}]}"), "ok");
  EXPECT_EQ(ErrorOf("not json"), "MalformedPolicy");
  EXPECT_EQ(ErrorOf("[]"), "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17"})"), "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Version":"2012-10-17","Statement":[]})"), "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Version":"2013-01-01","Statement":{)" + ok_statement + "}}"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Extra":1,"Statement":{)" + ok_statement + "}}"), "MalformedPolicy");
  // Resources of another bucket, or not S3 ARNs.
  EXPECT_EQ(ErrorOf(R"({"Statement":{)" + ok_statement + "}}", "other"), "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*",)"
                    R"("Resource":"arn:aws:s3:::bb/*"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*",)"
                    R"("Resource":"arn:aws:s3:::*"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*",)"
                    R"("Resource":"b/*"}})"),
            "MalformedPolicy");
  // Effect, Principal, Action.
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"allow","Principal":"*","Action":"s3:*",)"
                    R"("Resource":"arn:aws:s3:::b"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Action":"s3:*",)"
                    R"("Resource":"arn:aws:s3:::b"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":{"Service":"s3"},)"
                    R"("Action":"s3:*","Resource":"arn:aws:s3:::b"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/x"},)"
                    R"("Action":"s3:*","Resource":"arn:aws:s3:::b"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"ec2:Run",)"
                    R"("Resource":"arn:aws:s3:::b"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*",)"
                    R"("NotAction":"s3:Get*","Resource":"arn:aws:s3:::b"}})"),
            "MalformedPolicy");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[],)"
                    R"("Resource":"arn:aws:s3:::b"}})"),
            "MalformedPolicy");
  // Conditions and the negated forms are refused, not ignored.
  EXPECT_EQ(ErrorOf(R"({"Statement":{)" + ok_statement +
                    R"(,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}})"),
            "NotImplemented");
  EXPECT_EQ(ErrorOf(R"({"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"k"},)"
                    R"("Action":"s3:*","Resource":"arn:aws:s3:::b/*"}})"),
            "NotImplemented");
  // S3's 20 KB limit.
  std::string big = R"({"Statement":[)";
  for (int i = 0; i < 300; ++i) big += std::string(i ? "," : "") + "{" + ok_statement + "}";
  big += "]}";
  ASSERT_GT(big.size(), kMaxBucketPolicyBytes);
  EXPECT_EQ(ErrorOf(big), "PolicyTooLarge");
}

TEST(PolicyEvaluate, PrincipalsActionsResources) {
  BucketPolicy policy = Parse(R"({"Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/pub/*"},
    {"Effect":"Allow","Principal":{"AWS":["AKONE","arn:aws:iam::123456789012:user/AKTWO"]},
     "Action":["s3:Put*","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]})");
  EXPECT_EQ(EvaluatePolicy(policy, Anonymous(), "s3:GetObject", "b/pub/x"), PolicyDecision::kAllow);
  EXPECT_EQ(EvaluatePolicy(policy, Anonymous(), "s3:GetObject", "b/private/x"),
            PolicyDecision::kNone);
  EXPECT_EQ(EvaluatePolicy(policy, Anonymous(), "s3:PutObject", "b/pub/x"), PolicyDecision::kNone);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKONE"), "s3:PutObject", "b/any"), PolicyDecision::kAllow);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKTWO"), "s3:PutObjectTagging", "b/any"),
            PolicyDecision::kAllow);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKTWO"), "s3:ListBucket", "b"), PolicyDecision::kAllow);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKTHREE"), "s3:PutObject", "b/any"), PolicyDecision::kNone);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKTHREE"), "s3:GetObject", "b/pub/y"),
            PolicyDecision::kAllow);
  // Action names compare without case, resources with.
  EXPECT_EQ(EvaluatePolicy(policy, Anonymous(), "S3:GETOBJECT", "b/pub/x"), PolicyDecision::kAllow);
  EXPECT_EQ(EvaluatePolicy(policy, Anonymous(), "s3:GetObject", "b/PUB/x"), PolicyDecision::kNone);
}

TEST(PolicyEvaluate, DenyOverAllowAndNotAction) {
  BucketPolicy policy = Parse(R"({"Version":"2012-10-17","Statement":[
    {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"},
    {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:DeleteObject",
     "Resource":"arn:aws:s3:::b/keep/*"},
    {"Effect":"Deny","Principal":{"AWS":"AKONE"},"NotAction":["s3:Get*","s3:List*"],
     "Resource":"arn:aws:s3:::b/ro/*"}]})");
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKONE"), "s3:DeleteObject", "b/x"), PolicyDecision::kAllow);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKONE"), "s3:DeleteObject", "b/keep/x"),
            PolicyDecision::kDeny);
  EXPECT_EQ(EvaluatePolicy(policy, Anonymous(), "s3:DeleteObject", "b/keep/x"),
            PolicyDecision::kDeny);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKONE"), "s3:PutObject", "b/ro/x"), PolicyDecision::kDeny);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKONE"), "s3:GetObject", "b/ro/x"), PolicyDecision::kAllow);
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKTWO"), "s3:PutObject", "b/ro/x"), PolicyDecision::kAllow);
  // The bucket itself is not "b/*".
  EXPECT_EQ(EvaluatePolicy(policy, Key("AKONE"), "s3:ListBucket", "b"), PolicyDecision::kNone);
}

TEST(PolicyActions, Operations) {
  EXPECT_EQ(OperationName(Operation::kGetBucketPolicy), "GetBucketPolicy");
  EXPECT_EQ(OperationName(Operation::kPutBucketPolicy), "PutBucketPolicy");
  EXPECT_EQ(OperationName(Operation::kDeleteBucketPolicy), "DeleteBucketPolicy");
  EXPECT_EQ(OperationName(Operation::kPreflight), "Preflight");
  EXPECT_EQ(PolicyAction(Operation::kGetObject), "s3:GetObject");
  EXPECT_EQ(PolicyAction(Operation::kHeadObject), "s3:GetObject");
  EXPECT_EQ(PolicyAction(Operation::kListObjectsV2), "s3:ListBucket");
  EXPECT_EQ(PolicyAction(Operation::kHeadBucket), "s3:ListBucket");
  EXPECT_EQ(PolicyAction(Operation::kUploadPart), "s3:PutObject");
  EXPECT_EQ(PolicyAction(Operation::kCopyObject), "s3:PutObject");
  EXPECT_EQ(PolicyAction(Operation::kListParts), "s3:ListMultipartUploadParts");
  EXPECT_EQ(PolicyAction(Operation::kListMultipartUploads), "s3:ListBucketMultipartUploads");
  EXPECT_EQ(PolicyAction(Operation::kAbortMultipartUpload), "s3:AbortMultipartUpload");
  // Never governed by a policy.
  EXPECT_EQ(PolicyAction(Operation::kListBuckets), "");
  EXPECT_EQ(PolicyAction(Operation::kCreateBucket), "");
  EXPECT_EQ(PolicyAction(Operation::kGetBucketPolicy), "");
  EXPECT_EQ(PolicyAction(Operation::kPutBucketPolicy), "");
  EXPECT_EQ(PolicyAction(Operation::kDeleteBucketPolicy), "");
}

}  // namespace
}  // namespace natss3::s3d
