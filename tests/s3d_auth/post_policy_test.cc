// POST Object building blocks: the streaming form-data parser (every split of the body gives
// the same result), policy parsing, conditions and form signatures (SigV4 and SigV2).
#include "auth/post_policy.h"

#include <gtest/gtest.h>

#include "auth/checksums.h"
#include "auth/form_data.h"
#include "auth/sigv2.h"
#include "test_vectors.h"

namespace natss3::s3 {
namespace {

using namespace natss3::s3::testing;  // NOLINT

struct Parsed {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string filename, file_type, file;
  bool ended = false;
  S3Status status;
};

Parsed Parse(const std::string& boundary, const std::string& body, size_t piece) {
  Parsed out;
  FormDataParser::Callbacks cb;
  cb.on_field = [&](std::string_view n, std::string_view v) {
    out.fields.emplace_back(n, v);
    return S3Status::OK();
  };
  cb.on_file_start = [&](std::string_view, std::string_view f, std::string_view t) {
    out.filename = f;
    out.file_type = t;
    return S3Status::OK();
  };
  cb.on_file_data = [&](std::string_view d) {
    out.file.append(d);
    return S3Status::OK();
  };
  cb.on_file_end = [&] {
    out.ended = true;
    return S3Status::OK();
  };
  FormDataParser parser(boundary, cb);
  for (size_t i = 0; i < body.size(); i += piece) {
    out.status = parser.Feed(std::string_view(body).substr(i, piece));
    if (!out.status.ok()) return out;
  }
  out.status = parser.Finish();
  return out;
}

std::string Body(const std::string& file) {
  return "preamble ignored\r\n"
         "--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuploads/${filename}\r\n"
         "--XyZ\r\ncontent-disposition: form-data; "
         "name=\"X-Amz-Meta-Tag\"\r\n\r\nline1\r\nline2\r\n"
         "--XyZ  \r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n"
         "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C:\\\\dir\\\\a "
         "\\\"b\\\".bin\""
         "\r\nContent-Type: application/x-test\r\n\r\n" +
         file +
         "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"after\"\r\n\r\nignored\r\n"
         "--XyZ--\r\nepilogue";
}

TEST(FormDataTest, EverySplitGivesTheSameParts) {
  // The file holds near-boundaries: CR LF, "--XyZ" without the line break, partial ones.
  std::string file = "\r\n--XyQ-not\r\n--Xy\r\r\n-" + std::string(3000, 'z') + "--XyZ\r\n--X";
  std::string body = Body(file);
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, body.size()}) {
    Parsed p = Parse("XyZ", body, piece);
    ASSERT_TRUE(p.status.ok()) << piece << ": " << p.status.error().message;
    ASSERT_EQ(p.fields.size(), 3u) << piece;
    EXPECT_EQ(p.fields[0], (std::pair<std::string, std::string>{"key", "uploads/${filename}"}));
    EXPECT_EQ(p.fields[1].first, "X-Amz-Meta-Tag");
    EXPECT_EQ(p.fields[1].second, "line1\r\nline2");
    EXPECT_EQ(p.fields[2].second, "");
    EXPECT_EQ(p.filename, "a \"b\".bin");
    EXPECT_EQ(p.file_type, "application/x-test");
    EXPECT_EQ(p.file, file) << piece;
    EXPECT_TRUE(p.ended);
  }
}

TEST(FormDataTest, Malformed) {
  std::string body = Body("data");
  // Truncated before the closing boundary.
  Parsed cut = Parse("XyZ", body.substr(0, body.find("--XyZ--")), 5);
  ASSERT_FALSE(cut.status.ok());
  EXPECT_EQ(cut.status.error().code, "MalformedPOSTRequest");
  // Garbage after a boundary.
  Parsed garbage = Parse("B", "--Bxx\r\n\r\n--B--", 3);
  ASSERT_FALSE(garbage.status.ok());
  EXPECT_EQ(garbage.status.error().code, "MalformedPOSTRequest");
  // A part without a name.
  Parsed nameless = Parse("B", "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--", 4);
  ASSERT_FALSE(nameless.status.ok());
  // A field larger than the limit.
  Parsed big = Parse("B",
                     "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" +
                         std::string(30000, 'a') + "\r\n--B--",
                     1000);
  ASSERT_FALSE(big.status.ok());
  EXPECT_EQ(big.status.error().code, "MaxPostPreDataLengthExceeded");
}

TEST(FormDataTest, FileIsStreamedNotBuffered) {
  // Memory: the parser hands the file on as it comes; what it keeps is less than a delimiter.
  std::string head = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n";
  size_t seen = 0;
  FormDataParser::Callbacks cb;
  cb.on_file_data = [&](std::string_view d) {
    seen += d.size();
    return S3Status::OK();
  };
  FormDataParser parser("B", cb);
  ASSERT_TRUE(parser.Feed(head).ok());
  std::string chunk(1 << 16, 'x');
  for (int i = 0; i < 64; ++i) {
    ASSERT_TRUE(parser.Feed(chunk).ok());
    EXPECT_GE(seen + 8, static_cast<size_t>(i + 1) * chunk.size());
  }
  ASSERT_TRUE(parser.Feed("\r\n--B--\r\n").ok());
  EXPECT_TRUE(parser.Finish().ok());
  EXPECT_EQ(seen, 64u * chunk.size());
}

TEST(FormDataTest, Boundary) {
  EXPECT_EQ(FormDataBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(FormDataBoundary("Multipart/Form-Data; charset=x; boundary=\"a b\""), "a b");
  EXPECT_FALSE(FormDataBoundary("multipart/mixed; boundary=abc"));
  EXPECT_FALSE(FormDataBoundary("multipart/form-data"));
  EXPECT_FALSE(FormDataBoundary("multipart/form-data; boundary=" + std::string(71, 'a')));
}

constexpr const char* kPolicy = R"({"expiration": "2030-01-01T00:00:00.000Z",
  "conditions": [{"bucket": "photos"}, ["starts-with", "$key", "user/"],
                 {"acl": "public-read"}, ["eq", "$Content-Type", "image/jpeg"],
                 ["starts-with", "$x-amz-meta-note", ""],
                 ["content-length-range", 10, 1000], ["content-length-range", "20", "2000"]]})";

FormFields GoodFields() {
  return {{"key", "user/a.jpg"},     {"bucket", "photos"},
          {"acl", "public-read"},    {"content-type", "image/jpeg"},
          {"x-amz-meta-note", "hi"}, {"policy", "eyJ9"},
          {"x-ignore-me", "1"}};
}

TEST(PostPolicyTest, ConditionsAndExpiry) {
  auto policy = ParsePostPolicy(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  ASSERT_TRUE(policy->length_range);
  EXPECT_EQ(*policy->length_range, (std::pair<int64_t, int64_t>{20, 1000}));
  auto now = std::chrono::system_clock::from_time_t(1700000000);
  EXPECT_TRUE(CheckPostPolicy(*policy, GoodFields(), now).ok());

  auto expect_denied = [&](FormFields fields, const std::string& message,
                           std::chrono::system_clock::time_point at) {
    S3Status st = CheckPostPolicy(*policy, fields, at);
    ASSERT_FALSE(st.ok()) << message;
    EXPECT_EQ(st.error().code, "AccessDenied");
    EXPECT_EQ(st.error().http_status, 403);
    EXPECT_NE(st.error().message.find(message), std::string::npos) << st.error().message;
  };
  expect_denied(GoodFields(), "Policy expired", std::chrono::system_clock::from_time_t(1893456001));
  FormFields f = GoodFields();
  f["key"] = "other/a.jpg";
  expect_denied(f, "[\"starts-with\",\"$key\",\"user/\"]", now);
  f = GoodFields();
  f["bucket"] = "videos";
  expect_denied(f, "Policy Condition failed", now);
  f = GoodFields();
  f.erase("acl");
  expect_denied(f, "Policy Condition failed", now);
  f = GoodFields();
  f["x-amz-meta-other"] = "x";
  expect_denied(f, "Extra input fields: x-amz-meta-other", now);
}

TEST(PostPolicyTest, MalformedPolicies) {
  for (const char* bad :
       {"not json", "{}", R"({"expiration": "2030-01-01T00:00:00.000Z"})",
        R"({"expiration": "tomorrow", "conditions": []})",
        R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["in", "$a", "b"]]})",
        R"({"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "a", "b"]]})",
        R"({"expiration": "2030-01-01T00:00:00Z",
                              "conditions": [["content-length-range", 5, 1]]})"}) {
    auto policy = ParsePostPolicy(bad);
    ASSERT_FALSE(policy.ok()) << bad;
    EXPECT_EQ(policy.error().code, "InvalidPolicyDocument") << bad;
  }
  EXPECT_TRUE(ParseIso8601("2030-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseIso8601("2030-01-01 00:00:00Z"));
}

TEST(PostPolicyTest, SigV4FormSignature) {
  std::string policy_b64 = Base64Encode(kPolicy);
  std::string key = DeriveSigningKey(kSecretKey, "20130524", "us-east-1", "s3");
  FormFields fields = {
      {"policy", policy_b64},
      {"x-amz-algorithm", "AWS4-HMAC-SHA256"},
      {"x-amz-credential", std::string(kAccessKey) + "/20130524/us-east-1/s3/aws4_request"},
      {"x-amz-date", "20130524T000000Z"},
      {"x-amz-signature", SignatureHex(key, policy_b64)}};
  auto ctx = VerifyPostSignature(fields, ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ(ctx->access_key, kAccessKey);
  EXPECT_FALSE(ctx->anonymous);
  FormFields tampered = fields;
  tampered["policy"] = Base64Encode(std::string(kPolicy) + " ");
  EXPECT_EQ(VerifyPostSignature(tampered, ExampleStore()).error().code, "SignatureDoesNotMatch");
  FormFields unknown = fields;
  unknown["x-amz-credential"] = "NOPE/20130524/us-east-1/s3/aws4_request";
  EXPECT_EQ(VerifyPostSignature(unknown, ExampleStore()).error().code, "InvalidAccessKeyId");
  FormFields malformed = fields;
  malformed["x-amz-credential"] = "AKIA/us-east-1/s3";
  EXPECT_EQ(VerifyPostSignature(malformed, ExampleStore()).error().code,
            "AuthorizationQueryParametersError");
  FormFields no_date = fields;
  no_date.erase("x-amz-date");
  EXPECT_EQ(VerifyPostSignature(no_date, ExampleStore()).error().code, "InvalidArgument");
}

TEST(PostPolicyTest, SigV2FormSignatureAndAnonymous) {
  std::string policy_b64 = Base64Encode(kPolicy);
  FormFields fields = {{"policy", policy_b64},
                       {"awsaccesskeyid", kAccessKey},
                       {"signature", Base64Encode(HmacSha1(kSecretKey, policy_b64))}};
  auto ctx = VerifyPostSignature(fields, ExampleStore());
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  EXPECT_EQ(ctx->access_key, kAccessKey);
  fields["signature"] = Base64Encode(HmacSha1("wrong", policy_b64));
  EXPECT_EQ(VerifyPostSignature(fields, ExampleStore()).error().code, "SignatureDoesNotMatch");
  // No signature fields and no policy: anonymous; a policy without a signature: refused.
  auto anonymous = VerifyPostSignature({{"key", "k"}}, ExampleStore());
  ASSERT_TRUE(anonymous.ok());
  EXPECT_TRUE(anonymous->anonymous);
  EXPECT_EQ(VerifyPostSignature({{"policy", policy_b64}}, ExampleStore()).error().code,
            "InvalidArgument");
}

}  // namespace
}  // namespace natss3::s3
