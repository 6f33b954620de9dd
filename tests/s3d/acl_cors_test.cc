// Canned ACLs (bucket and object) and bucket CORS against the in-process natss3d: grants really
// open anonymous and cross-key access, stored where every gateway sees them, and browser
// preflights are answered per the bucket's rules without authentication.
#include <gtest/gtest.h>

#include "s3_test_client.h"
#include "s3d/acl.h"
#include "s3d/cors.h"

namespace natss3::s3d::test {
namespace {

class S3Acl : public ::testing::Test {
 protected:
  void SetUp() override {
    bucket_ = UniqueBucket("acl");
    ASSERT_EQ(client_.Send("PUT", "/" + bucket_).status, 200);
  }
  HttpResponse Anon(const std::string& method, std::string path, s3::HeaderMap headers = {},
                    const std::string& body = "") {
    std::string query;
    if (size_t q = path.find('?'); q != std::string::npos) {
      query = path.substr(q + 1);
      path.resize(q);
    }
    return client_.Send(method, path, query, std::move(headers), body, std::string());
  }
  InProcessDaemon& daemon_ = SharedDaemon();
  S3TestClient client_{SharedDaemon().port()};
  std::string bucket_;
};

const char* kPublicReadPolicy =
    "<AccessControlPolicy><Owner><ID>natss3</ID></Owner><AccessControlList>"
    "<Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xsi:type=\"CanonicalUser\"><ID>natss3</ID></Grantee><Permission>FULL_CONTROL</Permission>"
    "</Grant><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee>"
    "<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>";

TEST(AclUnit, PolicyXmlRoundTripsEveryCannedAcl) {
  for (CannedAcl acl : {CannedAcl::kPrivate, CannedAcl::kPublicRead, CannedAcl::kPublicReadWrite,
                        CannedAcl::kAuthenticatedRead}) {
    auto parsed = ParseAccessControlPolicy(AccessControlPolicyXml(acl));
    ASSERT_TRUE(parsed.ok()) << CannedAclName(acl);
    EXPECT_EQ(*parsed, acl);
  }
  auto from_client = ParseAccessControlPolicy(kPublicReadPolicy);
  ASSERT_TRUE(from_client.ok());
  EXPECT_EQ(*from_client, CannedAcl::kPublicRead);
  EXPECT_EQ(ParseAccessControlPolicy("<nope/>").error().code, "MalformedXML");
  std::string other_user = AccessControlPolicyXml(CannedAcl::kPrivate);
  other_user.replace(other_user.rfind("<ID>natss3</ID>"), 15, "<ID>someone-else</ID>");
  EXPECT_EQ(ParseAccessControlPolicy(other_user).error().code, "NotImplemented");
  // AllUsers WRITE without READ is no canned ACL.
  std::string write_only = AccessControlPolicyXml(CannedAcl::kPublicReadWrite);
  write_only.replace(write_only.find("<Permission>READ</Permission>"), 29,
                     "<Permission>READ_ACP</Permission>");
  EXPECT_EQ(ParseAccessControlPolicy(write_only).error().code, "NotImplemented");
  EXPECT_TRUE(AclGrants(CannedAcl::kPublicRead, true, false));
  EXPECT_FALSE(AclGrants(CannedAcl::kPublicRead, true, true));
  EXPECT_FALSE(AclGrants(CannedAcl::kAuthenticatedRead, true, false));
  EXPECT_TRUE(AclGrants(CannedAcl::kAuthenticatedRead, false, false));
  EXPECT_FALSE(AclGrants(CannedAcl::kPrivate, false, false));
}

TEST_F(S3Acl, PrivateByDefaultAndPublicReadBucketOpensAnonymousReads) {
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/k", "", {}, "data").status, 200);
  auto acl = client_.Send("GET", "/" + bucket_, "acl");
  ASSERT_EQ(acl.status, 200) << acl.body;
  EXPECT_NE(acl.body.find("<Permission>FULL_CONTROL</Permission>"), std::string::npos);
  EXPECT_EQ(acl.body.find("AllUsers"), std::string::npos) << acl.body;
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/k").status, 403);
  EXPECT_EQ(Anon("GET", "/" + bucket_).status, 403);

  auto put = client_.Send("PUT", "/" + bucket_, "acl", {{"x-amz-acl", "public-read"}});
  ASSERT_EQ(put.status, 200) << put.body;
  acl = client_.Send("GET", "/" + bucket_, "acl");
  EXPECT_NE(acl.body.find("global/AllUsers</URI></Grantee><Permission>READ"), std::string::npos)
      << acl.body;
  auto get = Anon("GET", "/" + bucket_ + "/k");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "data");
  EXPECT_EQ(Anon("HEAD", "/" + bucket_ + "/k").status, 200);
  auto list = Anon("GET", "/" + bucket_ + "?list-type=2");
  EXPECT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("<Key>k</Key>"), std::string::npos);
  // Read only: anonymous writes, deletes and configuration stay refused.
  EXPECT_EQ(Anon("PUT", "/" + bucket_ + "/new", {}, "x").status, 403);
  EXPECT_EQ(Anon("DELETE", "/" + bucket_ + "/k").status, 403);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "?acl").status, 403);
  EXPECT_EQ(Anon("PUT", "/" + bucket_ + "?acl", {{"x-amz-acl", "public-read-write"}}).status, 403);
  // Another bucket stays closed.
  std::string other = UniqueBucket("acl");
  ASSERT_EQ(client_.Send("PUT", "/" + other).status, 200);
  ASSERT_EQ(client_.Send("PUT", "/" + other + "/k", "", {}, "x").status, 200);
  EXPECT_EQ(Anon("GET", "/" + other + "/k").status, 403);

  // Back to private (by an AccessControlPolicy body this time).
  auto reset =
      client_.Send("PUT", "/" + bucket_, "acl", {}, AccessControlPolicyXml(CannedAcl::kPrivate));
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/k").status, 403);
}

TEST_F(S3Acl, PublicReadWriteAndAuthenticatedRead) {
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_, "acl", {{"x-amz-acl", "public-read-write"}}).status,
            200);
  ASSERT_EQ(Anon("PUT", "/" + bucket_ + "/w", {}, "anon").status, 200);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/w").body, "anon");
  EXPECT_EQ(Anon("DELETE", "/" + bucket_ + "/w").status, 204);

  // authenticated-read: every valid key reads, anonymous does not.
  S3TestClient scoped(daemon_.port(), kScopedKey, kScopedSecret);
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/r", "", {}, "r").status, 200);
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_, "acl", {{"x-amz-acl", "private"}}).status, 200);
  EXPECT_EQ(Anon("PUT", "/" + bucket_ + "/w", {}, "anon").status, 403);
  EXPECT_EQ(scoped.Send("GET", "/" + bucket_ + "/r").status, 403);
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_, "acl", {{"x-amz-acl", "authenticated-read"}}).status,
            200);
  EXPECT_EQ(scoped.Send("GET", "/" + bucket_ + "/r").status, 200);
  EXPECT_EQ(scoped.Send("PUT", "/" + bucket_ + "/r2", "", {}, "x").status, 403);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/r").status, 403);
  // Signature checks are unchanged: a bad signature is never "anonymous".
  S3TestClient wrong(daemon_.port(), kFullKey, "wrong-secret");
  EXPECT_EQ(wrong.Send("GET", "/" + bucket_ + "/r").ErrorCode(), "SignatureDoesNotMatch");
}

TEST_F(S3Acl, ObjectAclsOnPutCopyMultipartAndPutObjectAcl) {
  auto put = client_.Send("PUT", "/" + bucket_ + "/pub", "", {{"x-amz-acl", "public-read"}}, "p");
  ASSERT_EQ(put.status, 200) << put.body;
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/priv", "", {}, "q").status, 200);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/pub").body, "p");
  EXPECT_EQ(Anon("HEAD", "/" + bucket_ + "/pub").status, 200);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/priv").status, 403);
  EXPECT_EQ(Anon("GET", "/" + bucket_).status, 403) << "an object grant does not list the bucket";
  auto info = daemon_.store().GetInfo(bucket_, "pub");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->Header(kAclHeader), "public-read");
  auto acl = client_.Send("GET", "/" + bucket_ + "/pub", "acl");
  EXPECT_NE(acl.body.find("AllUsers"), std::string::npos) << acl.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/missing", "acl").ErrorCode(), "NoSuchKey");

  // PutObjectAcl goes through the conditional meta update and keeps the data.
  ASSERT_EQ(
      client_.Send("PUT", "/" + bucket_ + "/priv", "acl", {{"x-amz-acl", "public-read"}}).status,
      200);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/priv").body, "q");
  ASSERT_EQ(client_
                .Send("PUT", "/" + bucket_ + "/priv", "acl", {},
                      AccessControlPolicyXml(CannedAcl::kPrivate))
                .status,
            200);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/priv").status, 403);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/priv").body, "q");

  // A copy is private unless the request names an ACL; the source's is not copied.
  ASSERT_EQ(
      client_
          .Send("PUT", "/" + bucket_ + "/copy", "", {{"x-amz-copy-source", "/" + bucket_ + "/pub"}})
          .status,
      200);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/copy").status, 403);
  ASSERT_EQ(
      client_
          .Send("PUT", "/" + bucket_ + "/copy2", "",
                {{"x-amz-copy-source", "/" + bucket_ + "/priv"}, {"x-amz-acl", "public-read"}})
          .status,
      200);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/copy2").body, "q");

  // Multipart: the ACL given at CreateMultipartUpload applies at Complete.
  auto created =
      client_.Send("POST", "/" + bucket_ + "/mp", "uploads", {{"x-amz-acl", "public-read"}});
  ASSERT_EQ(created.status, 200) << created.body;
  size_t a = created.body.find("<UploadId>") + 10;
  std::string id = created.body.substr(a, created.body.find("</UploadId>") - a);
  auto part = client_.Send("PUT", "/" + bucket_ + "/mp", "partNumber=1&uploadId=" + id, {}, "mp");
  ASSERT_EQ(part.status, 200);
  std::string complete = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                         part.Header("etag") + "</ETag></Part></CompleteMultipartUpload>";
  ASSERT_EQ(client_.Send("POST", "/" + bucket_ + "/mp", "uploadId=" + id, {}, complete).status,
            200);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "/mp").body, "mp");

  // Bad ACLs.
  EXPECT_EQ(
      client_.Send("PUT", "/" + bucket_ + "/bad", "", {{"x-amz-acl", "everyone"}}, "x").ErrorCode(),
      "InvalidArgument");
  EXPECT_EQ(
      client_.Send("PUT", "/" + bucket_ + "/bad", "", {{"x-amz-grant-read", "uri=x"}}, "x").status,
      501);
  EXPECT_EQ(client_.Send("PUT", "/" + bucket_ + "/pub", "acl").ErrorCode(),
            "MissingSecurityHeader");
  EXPECT_EQ(client_.Send("PUT", "/" + bucket_, "acl", {}, "<x").ErrorCode(), "MalformedXML");
}

TEST_F(S3Acl, CreateBucketAclAndDeleteBucketForgetsIt) {
  std::string b = UniqueBucket("aclc");
  ASSERT_EQ(client_.Send("PUT", "/" + b, "", {{"x-amz-acl", "public-read"}}).status, 200);
  ASSERT_EQ(client_.Send("PUT", "/" + b + "/k", "", {}, "v").status, 200);
  EXPECT_EQ(Anon("GET", "/" + b + "/k").body, "v");
  EXPECT_EQ(Anon("HEAD", "/" + b).status, 200);
  ASSERT_EQ(client_.Send("DELETE", "/" + b + "/k").status, 204);
  ASSERT_EQ(client_.Send("DELETE", "/" + b).status, 204);
  ASSERT_EQ(client_.Send("PUT", "/" + b).status, 200);
  ASSERT_EQ(client_.Send("PUT", "/" + b + "/k", "", {}, "v").status, 200);
  EXPECT_EQ(Anon("GET", "/" + b + "/k").status, 403) << "a re-created bucket starts private";
  EXPECT_EQ(client_.Send("GET", "/" + b, "acl").body.find("AllUsers"), std::string::npos);
}

// Bucket names with dots: grants and rules are found under the mapped NATS name on every path
// (the signed handlers, anonymous reads and the unauthenticated preflight).
TEST_F(S3Acl, DottedBucketGrantsAndPreflight) {
  std::string b = UniqueBucket("acl") + ".dots";
  ASSERT_EQ(client_.Send("PUT", "/" + b, "", {{"x-amz-acl", "public-read"}}).status, 200);
  ASSERT_EQ(client_.Send("PUT", "/" + b + "/k", "", {}, "v").status, 200);
  EXPECT_EQ(Anon("GET", "/" + b + "/k").body, "v");
  ASSERT_EQ(client_
                .Send("PUT", "/" + b, "cors", {},
                      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>"
                      "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
                .status,
            200);
  auto preflight =
      SendRaw(daemon_.port(), "OPTIONS /" + b +
                                  "/k HTTP/1.1\r\nHost: x\r\nOrigin: https://a.test\r\n"
                                  "Access-Control-Request-Method: GET\r\n"
                                  "Connection: close\r\n\r\n");
  EXPECT_EQ(preflight.status, 200) << preflight.body;
  EXPECT_EQ(preflight.Header("access-control-allow-origin"), "*");
}

TEST(CorsUnit, ParseValidateAndMatch) {
  auto rules = ParseCorsConfiguration(
      "<CORSConfiguration><CORSRule><ID>r1</ID><AllowedOrigin>https://*.example.com</AllowedOrigin>"
      "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
      "<AllowedHeader>x-amz-*</AllowedHeader><AllowedHeader>Content-Type</AllowedHeader>"
      "<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule>"
      "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
      "</CORSConfiguration>");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].max_age_seconds.value_or(0), 300);
  auto round = CorsRulesFromJson(CorsRulesToJson(*rules));
  ASSERT_EQ(round.size(), 2u);
  EXPECT_EQ(round[0].allowed_headers, (*rules)[0].allowed_headers);
  auto reparsed = ParseCorsConfiguration(CorsConfigurationXml(*rules));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ((*reparsed)[0].id, "r1");

  const CorsRule* hit =
      MatchCorsRule(*rules, "https://app.example.com", "PUT", {"x-amz-date", "content-type"});
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->id, "r1");
  EXPECT_EQ(MatchCorsRule(*rules, "https://app.example.com", "PUT", {"authorization"}), nullptr);
  EXPECT_EQ(MatchCorsRule(*rules, "https://example.org", "PUT", {}), nullptr);
  const CorsRule* any = MatchCorsRule(*rules, "https://example.org", "GET", {});
  ASSERT_NE(any, nullptr);
  EXPECT_EQ(any->allowed_origins[0], "*");
  EXPECT_TRUE(WildcardMatch("http://*.a.com", "http://x.y.a.com", false));
  EXPECT_FALSE(WildcardMatch("http://*.a.com", "http://a.com", false));
  EXPECT_TRUE(WildcardMatch("X-Amz-*", "x-amz-meta-a", true));

  EXPECT_EQ(ParseCorsConfiguration("<CORSConfiguration/>").error().code, "MalformedXML");
  EXPECT_EQ(ParseCorsConfiguration("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod>"
                                   "</CORSRule></CORSConfiguration>")
                .error()
                .code,
            "MalformedXML");
  auto bad_method = ParseCorsConfiguration(
      "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH"
      "</AllowedMethod></CORSRule></CORSConfiguration>");
  EXPECT_EQ(bad_method.error().code, "InvalidRequest");
  EXPECT_NE(bad_method.error().message.find("Unsupported method is PATCH"), std::string::npos);
  EXPECT_EQ(
      ParseCorsConfiguration("<CORSConfiguration><CORSRule><AllowedOrigin>*.*</AllowedOrigin>"
                             "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>")
          .error()
          .code,
      "InvalidRequest");
}

TEST_F(S3Acl, CorsConfigurationPreflightAndResponseHeaders) {
  auto none = client_.Send("GET", "/" + bucket_, "cors");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.ErrorCode(), "NoSuchCORSConfiguration");
  std::string preflight_req =
      "OPTIONS /" + bucket_ +
      "/upload.bin HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\n"
      "Access-Control-Request-Method: PUT\r\n"
      "Access-Control-Request-Headers: content-type, x-amz-date\r\n"
      "Connection: close\r\n\r\n";
  auto disabled = SendRaw(daemon_.port(), preflight_req);
  EXPECT_EQ(disabled.status, 403);
  EXPECT_NE(disabled.body.find("CORSResponse"), std::string::npos) << disabled.body;

  std::string config =
      "<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin>"
      "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>"
      "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>"
      "<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>";
  auto put = client_.Send("PUT", "/" + bucket_, "cors", {}, config);
  ASSERT_EQ(put.status, 200) << put.body;
  auto got = client_.Send("GET", "/" + bucket_, "cors");
  ASSERT_EQ(got.status, 200);
  EXPECT_NE(got.body.find("<AllowedOrigin>https://*.example.com</AllowedOrigin>"),
            std::string::npos);
  EXPECT_NE(got.body.find("<MaxAgeSeconds>600</MaxAgeSeconds>"), std::string::npos);
  EXPECT_EQ(Anon("GET", "/" + bucket_ + "?cors").status, 403) << "configuration needs a key";

  auto ok = SendRaw(daemon_.port(), preflight_req);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Header("access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(ok.Header("access-control-allow-methods"), "PUT, GET");
  EXPECT_EQ(ok.Header("access-control-allow-headers"), "content-type, x-amz-date");
  EXPECT_EQ(ok.Header("access-control-max-age"), "600");
  EXPECT_EQ(ok.Header("access-control-expose-headers"), "ETag");
  EXPECT_NE(ok.Header("vary").find("Origin"), std::string::npos);

  std::string wrong_origin = preflight_req;
  wrong_origin.replace(wrong_origin.find("https://app.example.com"), 23, "https://evil.test");
  auto refused = SendRaw(daemon_.port(), wrong_origin);
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("This CORS request is not allowed"), std::string::npos);
  std::string wrong_method = preflight_req;
  wrong_method.replace(wrong_method.find("Method: PUT"), 11, "Method: DELETE");
  EXPECT_EQ(SendRaw(daemon_.port(), wrong_method).status, 403);
  auto no_origin =
      SendRaw(daemon_.port(),
              "OPTIONS /" + bucket_ + "/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(no_origin.status, 400);

  // Ordinary requests from an allowed origin carry the headers (a presigned PUT from a page).
  std::string presigned = client_.Presign("/" + bucket_ + "/k", std::chrono::seconds(300));
  auto with_origin =
      client_.Send("PUT", "/" + bucket_ + "/k", "", {{"origin", "https://app.example.com"}}, "v");
  ASSERT_EQ(with_origin.status, 200);
  EXPECT_EQ(with_origin.Header("access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(with_origin.Header("access-control-expose-headers"), "ETag");
  auto presigned_get =
      SendRaw(daemon_.port(), "GET " + presigned + " HTTP/1.1\r\nHost: " + client_.host() +
                                  "\r\nOrigin: https://app.example.com\r\n"
                                  "Connection: close\r\n\r\n");
  EXPECT_EQ(presigned_get.status, 200) << presigned_get.body;
  EXPECT_EQ(presigned_get.Header("access-control-allow-origin"), "https://app.example.com");
  auto foreign = client_.Send("GET", "/" + bucket_ + "/k", "", {{"origin", "https://evil.test"}});
  EXPECT_EQ(foreign.status, 200);
  EXPECT_TRUE(foreign.Header("access-control-allow-origin").empty());

  EXPECT_EQ(client_.Send("PUT", "/" + bucket_, "cors", {}, "<CORSConfiguration/>").ErrorCode(),
            "MalformedXML");
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_, "cors").status, 204);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_, "cors").ErrorCode(), "NoSuchCORSConfiguration");
  EXPECT_EQ(SendRaw(daemon_.port(), preflight_req).status, 403);
}

}  // namespace
}  // namespace natss3::s3d::test
