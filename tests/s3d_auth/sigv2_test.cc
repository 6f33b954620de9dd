// SigV2 verification tests: the S3 documentation's "Signing and Authenticating REST Requests"
// examples (secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY), error cases and building blocks.
#include "auth/sigv2.h"

#include <gtest/gtest.h>

#include "test_vectors.h"

namespace natss3::s3 {
namespace {

using namespace natss3::s3::testing;  // NOLINT
using std::chrono::minutes;

std::chrono::system_clock::time_point At(long long unix_seconds) {
  return std::chrono::system_clock::from_time_t(static_cast<std::time_t>(unix_seconds));
}

// A header-signed request of the documentation's bucket "johnsmith", virtual-hosted.
RequestView DocRequest(std::string method, std::string path, std::string query, std::string date,
                       long long now, std::string signature) {
  RequestView r;
  r.method = std::move(method);
  r.raw_path = std::move(path);
  r.raw_query = std::move(query);
  r.resource_prefix = "/johnsmith";
  r.headers = {{"host", "johnsmith.s3.amazonaws.com"},
               {"date", std::move(date)},
               {"authorization", std::string("AWS ") + kAccessKey + ":" + signature}};
  r.now = At(now);
  return r;
}

void ExpectOk(const S3Result<AuthContext>& result) {
  ASSERT_TRUE(result.ok()) << result.error().code << ": " << result.error().message;
  EXPECT_EQ(result->access_key, kAccessKey);
  EXPECT_FALSE(result->anonymous);
}

void ExpectError(const S3Result<AuthContext>& result, const std::string& code, int status,
                 const std::string& message = "") {
  ASSERT_FALSE(result.ok()) << "expected " << code;
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_EQ(result.error().http_status, status);
  if (!message.empty()) {
    EXPECT_EQ(result.error().message, message);
  }
}

TEST(SigV2VectorsTest, ObjectGet) {
  RequestView r = DocRequest("GET", "/photos/puppy.jpg", "", "Tue, 27 Mar 2007 19:36:42 +0000",
                             1175024202, "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
  EXPECT_EQ(SigV2StringToSign("GET", r.headers, r.headers["date"],
                              SigV2CanonicalResource("/johnsmith", r.raw_path, "")),
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg");
  ExpectOk(VerifyRequest(r, ExampleStore()));
  // The same request path-style: the bucket is in the path, no prefix.
  r.resource_prefix.clear();
  r.raw_path = "/johnsmith/photos/puppy.jpg";
  ExpectOk(VerifyRequest(r, ExampleStore()));
}

TEST(SigV2VectorsTest, ObjectPutWithContentType) {
  RequestView r = DocRequest("PUT", "/photos/puppy.jpg", "", "Tue, 27 Mar 2007 21:15:45 +0000",
                             1175030145, "MyyxeRY7whkBe+bq8fHCL/2kKUg=");
  r.headers["content-type"] = "image/jpeg";
  r.headers["content-length"] = "94328";
  ExpectOk(VerifyRequest(r, ExampleStore()));
  r.headers["content-type"] = "image/png";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV2VectorsTest, ListAndAclSubresource) {
  RequestView list =
      DocRequest("GET", "/", "prefix=photos&max-keys=50&marker=puppy",
                 "Tue, 27 Mar 2007 19:42:41 +0000", 1175024561, "htDYFYduRNen8P9ZfE/s9SuKy0U=");
  ExpectOk(VerifyRequest(list, ExampleStore()));
  // Path-style "/johnsmith" signed as "/johnsmith/" (botocore does so for bucket operations).
  list.resource_prefix.clear();
  list.raw_path = "/johnsmith";
  ExpectOk(VerifyRequest(list, ExampleStore()));
  list.raw_path = "/johnsmith/x";
  ExpectError(VerifyRequest(list, ExampleStore()), "SignatureDoesNotMatch", 403);
  RequestView acl = DocRequest("GET", "/", "acl", "Tue, 27 Mar 2007 19:44:46 +0000", 1175024686,
                               "c2WLPFtWHVgbEmeEG93a4cG37dM=");
  ExpectOk(VerifyRequest(acl, ExampleStore()));
  // ?acl is signed: the same signature without it does not verify.
  acl.raw_query = "";
  ExpectError(VerifyRequest(acl, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV2VectorsTest, UploadWithAmzHeadersAndContentMd5) {
  RequestView r;
  r.method = "PUT";
  r.raw_path = "/db-backup.dat.gz";
  r.resource_prefix = "/static.johnsmith.net";
  r.now = At(1175029568);
  r.headers = {
      {"host", "static.johnsmith.net:8080"},
      {"date", "Tue, 27 Mar 2007 21:06:08 +0000"},
      {"x-amz-acl", "public-read"},
      {"content-type", "application/x-download"},
      {"content-md5", "4gJE4saaMU4BqNR0kLY+lw=="},
      // Two X-Amz-Meta-ReviewedBy headers, joined by the HTTP layer.
      {"x-amz-meta-reviewedby", "joe@johnsmith.net,jane@johnsmith.net"},
      {"x-amz-meta-filechecksum", "0x02661779"},
      {"x-amz-meta-checksumalgorithm", "crc32"},
      {"content-disposition", "attachment; filename=database.dat"},
      {"content-encoding", "gzip"},
      {"content-length", "5913339"},
      {"authorization", std::string("AWS ") + kAccessKey + ":ilyl83RwaSoYIEdixDQcA4OnAnc="}};
  EXPECT_EQ(SigV2CanonicalAmzHeaders(r.headers),
            "x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\n"
            "x-amz-meta-filechecksum:0x02661779\n"
            "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n");
  ExpectOk(VerifyRequest(r, ExampleStore()));
  r.headers["x-amz-meta-filechecksum"] = "0x02661770";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV2VectorsTest, ListAllMyBucketsAndUnicodeKeys) {
  RequestView service = DocRequest("GET", "/", "", "Wed, 28 Mar 2007 01:29:59 +0000", 1175045399,
                                   "qGdzdERIC03wnaRNKh6OqZehG9s=");
  service.resource_prefix.clear();
  ExpectOk(VerifyRequest(service, ExampleStore()));
  // The path is signed as sent: its lower-case escapes are kept.
  RequestView unicode =
      DocRequest("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "",
                 "Wed, 28 Mar 2007 01:49:49 +0000", 1175046589, "DNEZGsoieTZ92F3bUfSPQcbGmlM=");
  unicode.resource_prefix.clear();
  ExpectOk(VerifyRequest(unicode, ExampleStore()));
}

TEST(SigV2VectorsTest, DeleteWithDateHeader) {
  RequestView r = DocRequest("DELETE", "/photos/puppy.jpg", "", "Tue, 27 Mar 2007 21:20:26 +0000",
                             1175030426, "lx3byBScXR6KzyMaifNkardMwNk=");
  ExpectOk(VerifyRequest(r, ExampleStore()));
}

TEST(SigV2VectorsTest, CopySourceVerifiesOnlyAsSent) {
  // Clients sign x-amz-copy-source percent-encoded, and it is verified byte for byte as sent;
  // its decoded form no longer verifies through a re-encoding retry.
  RequestView r = DocRequest("PUT", "/johnsmith/copy", "", "Tue, 27 Mar 2007 19:36:42 +0000",
                             1175024202, "EXtiSBDvyK89sByBGNx/0Bo+zIk=");
  r.resource_prefix.clear();
  r.headers["x-amz-copy-source"] = "/johnsmith/a%20b%2B%C3%A9";
  ExpectOk(VerifyRequest(r, ExampleStore()));
  r.headers["x-amz-copy-source"] = "/johnsmith/a b+\xC3\xA9";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
  r.headers["x-amz-copy-source"] = "/johnsmith/a%20b%2B%C3%A8";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV2VectorsTest, EmptySubresourceValueSignedBare) {
  // minio-go sends "?delete=" and signs "?delete", as the AWS rules say.
  RequestView r = DocRequest("POST", "/johnsmith/", "delete=", "Tue, 27 Mar 2007 19:36:42 +0000",
                             1175024202, "KhnmslH1vK3u1abmzzsh1aHft9Y=");
  r.resource_prefix.clear();
  ExpectOk(VerifyRequest(r, ExampleStore()));
  r.raw_query = "delete";
  ExpectOk(VerifyRequest(r, ExampleStore()));
  r.raw_query = "delete=x";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV2VectorsTest, XAmzDateEmptiesTheDateLine) {
  // With x-amz-date, the Date element is empty and x-amz-date is signed among the amz headers.
  RequestView r = DocRequest("DELETE", "/photos/puppy.jpg", "", "Tue, 27 Mar 2007 21:20:27 +0000",
                             1175030426, "R4dJ53KECjStyBO5iTBJZ4XVOaI=");
  r.headers["x-amz-date"] = "Tue, 27 Mar 2007 21:20:26 +0000";
  EXPECT_EQ(SigV2StringToSign("DELETE", r.headers, "",
                              SigV2CanonicalResource("/johnsmith", r.raw_path, "")),
            "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n"
            "/johnsmith/photos/puppy.jpg");
  ExpectOk(VerifyRequest(r, ExampleStore()));
}

TEST(SigV2VectorsTest, QueryStringAuthentication) {
  RequestView r;
  r.method = "GET";
  r.raw_path = "/photos/puppy.jpg";
  r.resource_prefix = "/johnsmith";
  r.raw_query =
      "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&"
      "Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
  r.headers = {{"host", "johnsmith.s3.amazonaws.com"}};
  r.now = At(1175139620 - 3600);
  S3Result<AuthContext> ctx = VerifyRequest(r, ExampleStore());
  ExpectOk(ctx);
  EXPECT_TRUE(ctx->presigned);
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);
  // A '+' sent unencoded still verifies.
  r.raw_query =
      "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&"
      "Signature=NpgCjnDzrM+WFzoENXmpNDUsSn8=";
  ExpectOk(VerifyRequest(r, ExampleStore()));
  // Expired a second ago.
  r.now = At(1175139621);
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403, "Request has expired");
  // Expires extended by the client: the signature no longer matches.
  r.now = At(1175139620 - 3600);
  r.raw_query =
      "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139621&"
      "Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV2ErrorsTest, HeaderForm) {
  RequestView r = DocRequest("GET", "/photos/puppy.jpg", "", "Tue, 27 Mar 2007 19:36:42 +0000",
                             1175024202, "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
  // Clock skew: 15 minutes either way is fine, more is RequestTimeTooSkewed.
  r.now = At(1175024202) + minutes(15);
  ExpectOk(VerifyRequest(r, ExampleStore()));
  r.now = At(1175024202) + minutes(16);
  ExpectError(VerifyRequest(r, ExampleStore()), "RequestTimeTooSkewed", 403);
  r.now = At(1175024202) - minutes(16);
  ExpectError(VerifyRequest(r, ExampleStore()), "RequestTimeTooSkewed", 403);
  r.now = At(1175024202);

  RequestView no_date = r;
  no_date.headers.erase("date");
  ExpectError(VerifyRequest(no_date, ExampleStore()), "AccessDenied", 403);
  no_date.headers["date"] = "yesterday";
  ExpectError(VerifyRequest(no_date, ExampleStore()), "AccessDenied", 403);

  RequestView bad = r;
  bad.headers["authorization"] = "AWS AKIAIOSFODNN7EXAMPLE";
  ExpectError(VerifyRequest(bad, ExampleStore()), "InvalidArgument", 400);
  bad.headers["authorization"] = "AWS :sig";
  ExpectError(VerifyRequest(bad, ExampleStore()), "InvalidArgument", 400);
  bad.headers["authorization"] = "AWS NOSUCHKEY:bWq2s1WEIj+Ydj0vQ697zp+IXMU=";
  ExpectError(VerifyRequest(bad, ExampleStore()), "InvalidAccessKeyId", 403);
  bad.headers["authorization"] = "AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMV=";
  ExpectError(VerifyRequest(bad, ExampleStore()), "SignatureDoesNotMatch", 403);
  // Both mechanisms at once.
  bad = r;
  bad.raw_query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1&Signature=x";
  ExpectError(VerifyRequest(bad, ExampleStore()), "InvalidArgument", 400);
  // A signed streaming body needs SigV4's seed signature.
  bad = r;
  bad.headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  ExpectError(VerifyRequest(bad, ExampleStore()), "InvalidRequest", 400);
}

TEST(SigV2ErrorsTest, QueryForm) {
  RequestView r;
  r.method = "GET";
  r.raw_path = "/johnsmith/photos/puppy.jpg";
  r.now = At(1175139620 - 10);
  r.raw_query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=abc";
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403);
  r.raw_query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=soon&Signature=abc";
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403);
  r.raw_query = "Expires=1175139620&Signature=abc";
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403);
  r.raw_query = "AWSAccessKeyId=NOPE&Expires=1175139620&Signature=abc";
  ExpectError(VerifyRequest(r, ExampleStore()), "InvalidAccessKeyId", 403);
  r.raw_query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=abc";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
  // An Expires past the clock's range is far future, not malformed.
  r.raw_query = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=999999999999&Signature=abc";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV2CanonicalTest, ResourceSubresources) {
  // Only sub-resources are signed; sorted by name; values decoded; bare names stay bare.
  EXPECT_EQ(SigV2CanonicalResource("", "/b/k",
                                   "uploadId=a%2Fb&partNumber=2&max-keys=3&x=y&"
                                   "response-content-type=text%2Fplain&versioning"),
            "/b/k?partNumber=2&response-content-type=text/plain&uploadId=a/b&versioning");
  EXPECT_EQ(SigV2CanonicalResource("/bkt", "/", "delete"), "/bkt/?delete");
  EXPECT_EQ(SigV2CanonicalResource("", "/b", "uploads&prefix=p"), "/b?uploads");
  EXPECT_EQ(SigV2CanonicalResource("", "/b", "tagging=&versionId=null"),
            "/b?tagging=&versionId=null");
  EXPECT_EQ(SigV2CanonicalResource("", "/b", "tagging=&versionId=null", true),
            "/b?tagging&versionId=null");
  EXPECT_TRUE(IsSigV2Subresource("lifecycle"));
  EXPECT_TRUE(IsSigV2Subresource("response-expires"));
  EXPECT_FALSE(IsSigV2Subresource("prefix"));
  EXPECT_FALSE(IsSigV2Subresource("Signature"));
}

TEST(SigV2CanonicalTest, AmzHeadersTrimmedAndUnfolded) {
  HeaderMap headers = {{"x-amz-meta-a", "  one  "},
                       {"x-amz-meta-b", "two\r\n   lines"},
                       {"x-amzfoo", "not amz"},
                       {"content-type", "a/b"}};
  EXPECT_EQ(SigV2CanonicalAmzHeaders(headers), "x-amz-meta-a:one\nx-amz-meta-b:two lines\n");
}

TEST(SigV2CanonicalTest, Dates) {
  auto expect = [](const char* text, long long unix_seconds) {
    auto parsed = ParseSigV2Date(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, At(unix_seconds)) << text;
  };
  expect("Tue, 27 Mar 2007 19:36:42 +0000", 1175024202);
  expect("Tue, 27 Mar 2007 19:36:42 GMT", 1175024202);
  expect("Tue, 27 Mar 2007 21:36:42 +0200", 1175024202);
  expect("Tue, 27 Mar 2007 17:36:42 -0200", 1175024202);
  expect("20070327T193642Z", 1175024202);
  EXPECT_FALSE(ParseSigV2Date("Tue, 27 Mar 2007 19:36:42 CEST"));
  EXPECT_FALSE(ParseSigV2Date("1175024202"));
  EXPECT_FALSE(ParseSigV2Date(""));
}

TEST(SigV2CanonicalTest, SignatureIsBase64HmacSha1) {
  // RFC 2202 test case 2.
  EXPECT_EQ(SigV2Signature("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

}  // namespace
}  // namespace natss3::s3
