// SigV4 verification tests: AWS's published S3 examples, error cases, signer round trips.
#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include "auth/sigv4_signer.h"
#include "test_vectors.h"

namespace natss3::s3 {
namespace {

using namespace natss3::s3::testing;  // NOLINT
using std::chrono::minutes;
using std::chrono::seconds;

std::string Auth(const std::string& signed_headers, const std::string& signature) {
  return "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
         "SignedHeaders=" + signed_headers + ",Signature=" + signature;
}

// sig-v4-header-based-auth.html, "Example: GET Object".
RequestView GetObjectExample() {
  RequestView r;
  r.method = "GET";
  r.raw_path = "/test.txt";
  r.now = ExampleTime();
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"},
               {"range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha256},
               {"x-amz-date", kAmzDate},
               {"authorization",
                Auth("host;range;x-amz-content-sha256;x-amz-date",
                     "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")}};
  return r;
}

// sigv4-query-string-auth.html, the presigned GET example.
RequestView PresignedExample() {
  RequestView r;
  r.method = "GET";
  r.raw_path = "/test.txt";
  r.raw_query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2F"
      "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
      "X-Amz-SignedHeaders=host&X-Amz-Signature="
      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
  r.headers = {{"host", "examplebucket.s3.amazonaws.com"}};
  r.now = ExampleTime();
  return r;
}

void ExpectError(const S3Result<AuthContext>& result, const std::string& code, int status) {
  ASSERT_FALSE(result.ok()) << "expected " << code;
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_EQ(result.error().http_status, status);
}

TEST(SigV4VectorsTest, GetObject) {
  S3Result<AuthContext> ctx = VerifyRequest(GetObjectExample(), ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().code << ": " << ctx.error().message;
  EXPECT_FALSE(ctx->anonymous);
  EXPECT_FALSE(ctx->presigned);
  EXPECT_EQ(ctx->access_key, kAccessKey);
  EXPECT_EQ(ctx->scope, "20130524/us-east-1/s3/aws4_request");
  EXPECT_EQ(ctx->region, "us-east-1");
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kSignedSha256);
  EXPECT_EQ(ctx->payload_sha256, kEmptySha256);
  EXPECT_EQ(ctx->seed_signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4VectorsTest, GetObjectCanonicalRequestHash) {
  RequestView r = GetObjectExample();
  std::string canonical = CanonicalRequest(r.method, r.raw_path, r.raw_query, false, r.headers,
                                           {"host", "range", "x-amz-content-sha256",
                                            "x-amz-date"},
                                           kEmptySha256);
  EXPECT_EQ(Sha256Hex(canonical),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(SigV4VectorsTest, PutObjectWithDollarInKeyEncodedOrNot) {
  // "Example: PUT Object": key "test$file.text", the Date header signed too.
  for (const char* path : {"/test$file.text", "/test%24file.text"}) {
    RequestView r;
    r.method = "PUT";
    r.raw_path = path;
    r.now = ExampleTime();
    r.headers = {{"host", "examplebucket.s3.amazonaws.com"},
                 {"date", "Fri, 24 May 2013 00:00:00 GMT"},
                 {"x-amz-date", kAmzDate},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                 {"x-amz-content-sha256",
                  "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"},
                 {"authorization",
                  Auth("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                       "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")}};
    S3Result<AuthContext> ctx = VerifyRequest(r, ExampleStore());
    ASSERT_TRUE(ctx.ok()) << path << ": " << ctx.error().message;
    EXPECT_EQ(ctx->payload_sha256, Sha256Hex("Welcome to Amazon S3."));
  }
}

TEST(SigV4VectorsTest, SubresourceAndListQueries) {
  RequestView lifecycle;
  lifecycle.method = "GET";
  lifecycle.raw_path = "/";
  lifecycle.raw_query = "lifecycle";
  lifecycle.now = ExampleTime();
  lifecycle.headers = {{"host", "examplebucket.s3.amazonaws.com"},
                       {"x-amz-date", kAmzDate},
                       {"x-amz-content-sha256", kEmptySha256},
                       {"authorization",
                        Auth("host;x-amz-content-sha256;x-amz-date",
                             "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")}};
  S3Result<AuthContext> ctx = VerifyRequest(lifecycle, ExampleStore());
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;

  RequestView list = lifecycle;
  list.raw_query = "max-keys=2&prefix=J";
  list.headers["authorization"] =
      Auth("host;x-amz-content-sha256;x-amz-date",
           "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  ctx = VerifyRequest(list, ExampleStore());
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  list.raw_query = "prefix=J&max-keys=2";  // order on the wire does not matter
  EXPECT_TRUE(VerifyRequest(list, ExampleStore()).ok());
  list.raw_query = "max-keys=3&prefix=J";
  ExpectError(VerifyRequest(list, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV4VectorsTest, Presigned) {
  S3Result<AuthContext> ctx = VerifyRequest(PresignedExample(), ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_TRUE(ctx->presigned);
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);

  SigningParams params{kAccessKey, kSecretKey, "us-east-1", ExampleTime()};
  EXPECT_EQ(PresignQuery("GET", "/test.txt", "", "examplebucket.s3.amazonaws.com",
                         seconds(86400), params),
            PresignedExample().raw_query);
}

TEST(SigV4VectorsTest, PresignedExpiry) {
  RequestView r = PresignedExample();
  r.now = ExampleTime() + seconds(86400);
  EXPECT_TRUE(VerifyRequest(r, ExampleStore()).ok());  // last valid second
  r.now = ExampleTime() + seconds(86401);
  S3Result<AuthContext> ctx = VerifyRequest(r, ExampleStore());
  ExpectError(ctx, "AccessDenied", 403);
  EXPECT_EQ(ctx.error().message, "Request has expired");
  r.now = ExampleTime() - minutes(16);  // signed "in the future"
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403);
}

TEST(SigV4VectorsTest, StreamingSeedSignatures) {
  S3Result<AuthContext> ctx = VerifyRequest(StreamingExampleRequest(false), ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kStreamingSigned);
  EXPECT_EQ(ctx->seed_signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  EXPECT_EQ(ctx->signing_key, DeriveSigningKey(kSecretKey, "20130524", "us-east-1"));

  ctx = VerifyRequest(StreamingExampleRequest(true), ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kStreamingSignedTrailer);
}

TEST(SigV4ErrorsTest, WrongSecretOrTamperedRequest) {
  CredentialStore other;
  ASSERT_TRUE(other.Add({kAccessKey, "not-the-secret", {"*"}, {"*"}}).ok());
  ExpectError(VerifyRequest(GetObjectExample(), other), "SignatureDoesNotMatch", 403);

  RequestView r = GetObjectExample();
  r.raw_path = "/test2.txt";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
  r = GetObjectExample();
  r.headers["range"] = "bytes=0-10";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
  r = GetObjectExample();
  r.method = "DELETE";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV4ErrorsTest, UnknownAccessKey) {
  CredentialStore empty;
  ExpectError(VerifyRequest(GetObjectExample(), empty), "InvalidAccessKeyId", 403);
  ExpectError(VerifyRequest(PresignedExample(), empty), "InvalidAccessKeyId", 403);
}

TEST(SigV4ErrorsTest, ClockSkew) {
  RequestView r = GetObjectExample();
  r.now = ExampleTime() + minutes(14);
  EXPECT_TRUE(VerifyRequest(r, ExampleStore()).ok());
  r.now = ExampleTime() - minutes(14);
  EXPECT_TRUE(VerifyRequest(r, ExampleStore()).ok());
  r.now = ExampleTime() + minutes(16);
  ExpectError(VerifyRequest(r, ExampleStore()), "RequestTimeTooSkewed", 403);
  r.now = ExampleTime() - minutes(16);
  ExpectError(VerifyRequest(r, ExampleStore()), "RequestTimeTooSkewed", 403);
  VerifyOptions loose;
  loose.max_skew = minutes(30);
  EXPECT_TRUE(VerifyRequest(r, ExampleStore(), loose).ok());
}

TEST(SigV4ErrorsTest, PresignParameterLimits) {
  SigningParams params{kAccessKey, kSecretKey, "us-east-1", ExampleTime()};
  RequestView r = PresignedExample();
  r.raw_query = PresignQuery("GET", "/test.txt", "", "examplebucket.s3.amazonaws.com",
                             seconds(604800), params);
  EXPECT_TRUE(VerifyRequest(r, ExampleStore()).ok());
  r.raw_query = PresignQuery("GET", "/test.txt", "", "examplebucket.s3.amazonaws.com",
                             seconds(604801), params);
  ExpectError(VerifyRequest(r, ExampleStore()), "AuthorizationQueryParametersError", 400);
  r.raw_query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc";
  ExpectError(VerifyRequest(r, ExampleStore()), "AuthorizationQueryParametersError", 400);
  r.raw_query = PresignedExample().raw_query;
  r.headers["authorization"] = GetObjectExample().headers["authorization"];
  ExpectError(VerifyRequest(r, ExampleStore()), "InvalidArgument", 400);
}

TEST(SigV4ErrorsTest, MalformedAuthorization) {
  RequestView r = GetObjectExample();
  r.headers["authorization"] = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524";
  ExpectError(VerifyRequest(r, ExampleStore()), "AuthorizationHeaderMalformed", 400);
  r.headers["authorization"] = "AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x";
  ExpectError(VerifyRequest(r, ExampleStore()), "InvalidRequest", 400);
  // SigV2 goes to VerifySigV2 (sigv2_test.cc): a wrong signature, not an unknown mechanism.
  r.headers["authorization"] = "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
  r.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request,"
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=00";
  ExpectError(VerifyRequest(r, ExampleStore()), "AuthorizationHeaderMalformed", 400);
  r.headers["authorization"] =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/ec2/aws4_request,"
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=00";
  ExpectError(VerifyRequest(r, ExampleStore()), "AuthorizationHeaderMalformed", 400);
  r.headers["authorization"] =
      Auth("range;x-amz-content-sha256;x-amz-date", std::string(64, '0'));  // host unsigned
  ExpectError(VerifyRequest(r, ExampleStore()), "AuthorizationHeaderMalformed", 400);
}

TEST(SigV4ErrorsTest, RegionCheckWhenConfigured) {
  VerifyOptions options;
  options.region = "us-east-1";
  EXPECT_TRUE(VerifyRequest(GetObjectExample(), ExampleStore(), options).ok());
  options.region = "eu-west-1";
  ExpectError(VerifyRequest(GetObjectExample(), ExampleStore(), options),
              "AuthorizationHeaderMalformed", 400);
}

TEST(SigV4ErrorsTest, ContentSha256Rules) {
  RequestView r = GetObjectExample();
  r.headers.erase("x-amz-content-sha256");  // signed, then removed: the canonical request differs
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
  r.headers["x-amz-content-sha256"] = "not-a-hash";
  ExpectError(VerifyRequest(r, ExampleStore()), "InvalidArgument", 400);
}

// curl --aws-sigv4 (7.x) signs without x-amz-content-sha256, hashing the (empty) payload into
// the canonical request: accepted as a signed empty payload, as MinIO does.
TEST(SigV4VectorsTest, MissingContentSha256MeansSignedEmptyPayload) {
  RequestView r;
  r.method = "PUT";
  r.raw_path = "/newbucket";
  r.now = ExampleTime();
  r.headers = {{"host", "127.0.0.1:5222"}, {"x-amz-date", kAmzDate}};
  std::vector<std::string> signed_headers = {"host", "x-amz-date"};
  std::string canonical = CanonicalRequest(r.method, r.raw_path, "", false, r.headers,
                                           signed_headers, kEmptySha256);
  std::string scope = "20130524/us-east-1/s3/aws4_request";
  std::string signature = SignatureHex(DeriveSigningKey(kSecretKey, "20130524", "us-east-1"),
                                       StringToSign(kAmzDate, scope, canonical));
  r.headers["authorization"] = Auth("host;x-amz-date", signature);
  S3Result<AuthContext> ctx = VerifyRequest(r, ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().code << ": " << ctx.error().message;
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kSignedSha256);
  EXPECT_EQ(ctx->payload_sha256, kEmptySha256);
  // Signed over a non-empty payload hash, the same request does not verify.
  canonical = CanonicalRequest(r.method, r.raw_path, "", false, r.headers, signed_headers,
                               std::string(64, 'a'));
  r.headers["authorization"] = Auth("host;x-amz-date", SignatureHex(DeriveSigningKey(kSecretKey, "20130524", "us-east-1"),
                                                                   StringToSign(kAmzDate, scope, canonical)));
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

// x-amz-copy-source is verified byte for byte as sent (percent-encoded by clients). Its decoded
// form, which an earlier HTTP layer handed over and a retry re-encoded, no longer verifies.
TEST(SigV4VectorsTest, CopySourceVerifiesOnlyAsSent) {
  RequestView r;
  r.method = "PUT";
  r.raw_path = "/bucket/copy";
  r.now = ExampleTime();
  r.headers = {{"host", "127.0.0.1:5222"},
               {"x-amz-date", kAmzDate},
               {"x-amz-content-sha256", kEmptySha256},
               {"x-amz-copy-source", "bucket/a%20b%2B%C3%A9%25?versionId=null"}};
  std::vector<std::string> signed_headers = {"host", "x-amz-content-sha256", "x-amz-copy-source",
                                             "x-amz-date"};
  std::string canonical = CanonicalRequest(r.method, r.raw_path, "", false, r.headers,
                                           signed_headers, kEmptySha256);
  std::string signature =
      SignatureHex(DeriveSigningKey(kSecretKey, "20130524", "us-east-1"),
                   StringToSign(kAmzDate, "20130524/us-east-1/s3/aws4_request", canonical));
  r.headers["authorization"] =
      Auth("host;x-amz-content-sha256;x-amz-copy-source;x-amz-date", signature);
  S3Result<AuthContext> ctx = VerifyRequest(r, ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().code << ": " << ctx.error().message;
  EXPECT_EQ(ctx->seed_signature, signature);
  r.headers["x-amz-copy-source"] = "bucket/a b+\xC3\xA9%?versionId=null";  // decoded
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
  r.headers["x-amz-copy-source"] = "bucket/a%20b%2B%C3%A9%25?versionId=nul";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

TEST(SigV4ErrorsTest, UnsignedAmzHeaderIsRejected) {
  RequestView r = GetObjectExample();
  r.headers["x-amz-meta-injected"] = "1";
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403);
  VerifyOptions lenient;
  lenient.require_signed_amz_headers = false;
  EXPECT_TRUE(VerifyRequest(r, ExampleStore(), lenient).ok());
}

TEST(SigV4ErrorsTest, MissingDate) {
  RequestView r = GetObjectExample();
  r.headers.erase("x-amz-date");
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403);
}

TEST(SigV4AnonymousTest, NoAuthenticationIsReportedAsAnonymous) {
  RequestView r;
  r.method = "GET";
  r.raw_path = "/bucket/key";
  r.headers = {{"host", "localhost"}};
  S3Result<AuthContext> ctx = VerifyRequest(r, ExampleStore());
  ASSERT_TRUE(ctx.ok());
  EXPECT_TRUE(ctx->anonymous);
  EXPECT_TRUE(ctx->access_key.empty());
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);

  r.headers["x-amz-content-sha256"] = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  ctx = VerifyRequest(r, ExampleStore());
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->payload_mode, PayloadMode::kStreamingUnsignedTrailer);
  r.headers["x-amz-content-sha256"] = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
  EXPECT_FALSE(VerifyRequest(r, ExampleStore()).ok());

  r.headers.erase("x-amz-content-sha256");
  r.raw_query = "AWSAccessKeyId=AKIA&Expires=1&Signature=abc";  // SigV2 presigned, expired
  ExpectError(VerifyRequest(r, ExampleStore()), "AccessDenied", 403);
}

TEST(SigV4CanonicalTest, UriRules) {
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/"), "/");
  EXPECT_EQ(CanonicalUri("/b/a b"), "/b/a%20b");
  EXPECT_EQ(CanonicalUri("/b/a%20b"), "/b/a%20b");      // no double encoding
  EXPECT_EQ(CanonicalUri("/b/a%7eb~c%7E"), "/b/a~b~c~");  // unreserved decoded
  EXPECT_EQ(CanonicalUri("/b/a+b"), "/b/a%2Bb");         // '+' is literal in paths
  EXPECT_EQ(CanonicalUri("/b/a%2fb/c"), "/b/a%2Fb/c");   // encoded slash stays encoded
  EXPECT_EQ(CanonicalUri("/b//./../x"), "/b//./../x");   // S3: no normalisation
  EXPECT_EQ(CanonicalUri("/b/%C3%BC!"), "/b/%C3%BC%21");
  EXPECT_EQ(CanonicalUri("/b/\xC3\xBC"), "/b/%C3%BC");
}

TEST(SigV4CanonicalTest, QueryRules) {
  EXPECT_EQ(CanonicalQuery("", false), "");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0", false), "a=0&a=1&b=2");
  EXPECT_EQ(CanonicalQuery("uploads", false), "uploads=");
  EXPECT_EQ(CanonicalQuery("acl=&versionId=x", false), "acl=&versionId=x");
  EXPECT_EQ(CanonicalQuery("prefix=a+b&delimiter=%2F", false), "delimiter=%2F&prefix=a%20b");
  EXPECT_EQ(CanonicalQuery("x=%7e&y=a%2bb", false), "x=~&y=a%2Bb");
  EXPECT_EQ(CanonicalQuery("X-Amz-Signature=abc&a=1", true), "a=1");
  EXPECT_EQ(CanonicalQuery("X-Amz-Signature=abc&a=1", false), "X-Amz-Signature=abc&a=1");
}

TEST(SigV4CanonicalTest, HeaderValuesAndDates) {
  EXPECT_EQ(CanonicalHeaderValue("  a   b  c "), "a b c");
  EXPECT_EQ(FormatAmzDate(ExampleTime()), kAmzDate);
  EXPECT_EQ(ParseAmzDate(kAmzDate), ExampleTime());
  EXPECT_FALSE(ParseAmzDate("20130524T000000").has_value());
  EXPECT_FALSE(ParseAmzDate("2013-05-24T00:00:00Z").has_value());
  EXPECT_EQ(ParseHttpDate("Fri, 24 May 2013 00:00:00 GMT"), ExampleTime());
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

// Found by fuzz/sigv4_header and fuzz/sigv4_presign: a date before 1678 or after 2262
// overflowed system_clock's int64 nanoseconds in from_time_t (undefined behaviour; an
// arbitrary wrapped time in practice, which then went into the skew and expiry checks).
TEST(SigV4CanonicalTest, DatesOutsideTheClockRangeAreRejected) {
  EXPECT_FALSE(ParseAmzDate("99991231T235959Z").has_value());
  EXPECT_FALSE(ParseAmzDate("00010101T000000Z").has_value());
  EXPECT_FALSE(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Mon, 01 Jan 1001 00:00:00 GMT").has_value());
  EXPECT_TRUE(ParseAmzDate("22000101T000000Z").has_value());
  EXPECT_TRUE(ParseAmzDate("17000101T000000Z").has_value());
  RequestView r = PresignedExample();
  r.raw_query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F00010101%2F"
      "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=00010101T000000Z&X-Amz-Expires=86400&"
      "X-Amz-SignedHeaders=host&X-Amz-Signature=" + std::string(64, '0');
  ExpectError(VerifyRequest(r, ExampleStore()), "AuthorizationQueryParametersError", 400);
}

TEST(SigV4SignerTest, RoundTripWithAwkwardKeysAndQueries) {
  SigningParams params{"AKTEST", "secret/with+chars", "eu-central-1",
                       std::chrono::system_clock::now()};
  CredentialStore store;
  ASSERT_TRUE(store.Add({"AKTEST", "secret/with+chars", {"*"}, {"*"}}).ok());
  for (const char* path : {"/bucket/a%20b%2Bc~d%25/%C3%BC", "/bucket/dir/", "/bucket",
                           "/bucket/%E2%82%AC%21%27%28%29%2A"}) {
    RequestView r;
    r.method = "PUT";
    r.raw_path = path;
    r.raw_query = "partNumber=1&uploadId=a%2Fb";
    r.headers = {{"host", "127.0.0.1:5222"}, {"content-type", "text/plain"},
                 {"x-amz-meta-note", "  two   spaces "}};
    r.headers["authorization"] =
        SignRequest(r.method, r.raw_path, r.raw_query, r.headers, "UNSIGNED-PAYLOAD", params);
    S3Result<AuthContext> ctx = VerifyRequest(r, store);
    ASSERT_TRUE(ctx.ok()) << path << ": " << ctx.error().message;
    EXPECT_EQ(ctx->payload_mode, PayloadMode::kUnsigned);
    EXPECT_EQ(ctx->region, "eu-central-1");
    r.headers["x-amz-meta-note"] = "changed";
    ExpectError(VerifyRequest(r, store), "SignatureDoesNotMatch", 403);
  }
}

TEST(SigV4SignerTest, PresignRoundTripWithExistingQuery) {
  SigningParams params{kAccessKey, kSecretKey, "us-east-1", std::chrono::system_clock::now()};
  RequestView r;
  r.method = "GET";
  r.raw_path = "/bucket/some%20key";
  r.raw_query = PresignQuery("GET", r.raw_path, "response-content-type=text%2Fplain",
                             "localhost:5222", seconds(60), params);
  r.headers = {{"host", "localhost:5222"}};
  S3Result<AuthContext> ctx = VerifyRequest(r, ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_TRUE(ctx->presigned);
  r.headers["host"] = "evil:5222";
  ExpectError(VerifyRequest(r, ExampleStore()), "SignatureDoesNotMatch", 403);
}

}  // namespace
}  // namespace natss3::s3
