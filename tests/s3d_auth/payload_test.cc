// PayloadDecoder tests: Content-MD5, x-amz-content-sha256, x-amz-checksum-*, lengths, ETag MD5.
#include "auth/payload.h"

#include <gtest/gtest.h>

#include "auth/sigv4_signer.h"
#include "test_vectors.h"

namespace natss3::s3 {
namespace {

struct DecodeRun {
  S3Status status;
  std::string data;
};

DecodeRun Decode(const AuthContext& ctx, const HeaderMap& headers, std::string_view body,
           std::unique_ptr<PayloadDecoder>* keep = nullptr) {
  DecodeRun run;
  S3Result<std::unique_ptr<PayloadDecoder>> decoder = PayloadDecoder::Create(ctx, headers);
  if (!decoder.ok()) {
    run.status = decoder.error();
    return run;
  }
  auto sink = [&](std::string_view d) {
    run.data.append(d);
    return true;
  };
  for (size_t pos = 0; pos < body.size(); pos += 3) {
    run.status = (*decoder)->Feed(body.substr(pos, 3), sink);
    if (!run.status.ok()) return run;
  }
  run.status = (*decoder)->Finish();
  if (keep != nullptr) *keep = std::move(decoder).value();
  return run;
}

AuthContext Unsigned() { return AuthContext{}; }

AuthContext SignedSha(std::string_view body) {
  AuthContext ctx;
  ctx.payload_mode = PayloadMode::kSignedSha256;
  ctx.payload_sha256 = Sha256Hex(body);
  return ctx;
}

TEST(PayloadTest, PlainBodyPassesThrough) {
  std::unique_ptr<PayloadDecoder> decoder;
  DecodeRun run = Decode(Unsigned(), {{"content-length", "11"}}, "hello world", &decoder);
  ASSERT_TRUE(run.status.ok());
  EXPECT_EQ(run.data, "hello world");
  EXPECT_EQ(decoder->payload_bytes(), 11u);
  EXPECT_FALSE(decoder->checksum_algorithm().has_value());
}

TEST(PayloadTest, ContentMd5) {
  HeaderMap headers = {{"content-md5", Md5Base64("hello world")}};
  EXPECT_TRUE(Decode(Unsigned(), headers, "hello world").status.ok());
  DecodeRun bad = Decode(Unsigned(), headers, "hello World");
  ASSERT_FALSE(bad.status.ok());
  EXPECT_EQ(bad.status.error().code, "BadDigest");
  DecodeRun malformed = Decode(Unsigned(), {{"content-md5", "nope"}}, "x");
  EXPECT_EQ(malformed.status.error().code, "InvalidDigest");
  DecodeRun wrong_size = Decode(Unsigned(), {{"content-md5", Base64Encode("short")}}, "x");
  EXPECT_EQ(wrong_size.status.error().code, "InvalidDigest");
}

TEST(PayloadTest, SignedSha256) {
  EXPECT_TRUE(Decode(SignedSha("data"), {}, "data").status.ok());
  DecodeRun bad = Decode(SignedSha("data"), {}, "dat4");
  ASSERT_FALSE(bad.status.ok());
  EXPECT_EQ(bad.status.error().code, "XAmzContentSHA256Mismatch");
  EXPECT_EQ(bad.status.error().http_status, 400);
}

TEST(PayloadTest, ChecksumHeaders) {
  Checksum crc(ChecksumAlgorithm::kCrc32c);
  crc.Update("payload");
  std::unique_ptr<PayloadDecoder> decoder;
  DecodeRun run = Decode(Unsigned(), {{"x-amz-checksum-crc32c", crc.Base64()}}, "payload", &decoder);
  ASSERT_TRUE(run.status.ok());
  EXPECT_EQ(decoder->checksum_algorithm(), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(decoder->checksum_base64(), crc.Base64());

  DecodeRun bad = Decode(Unsigned(), {{"x-amz-checksum-crc32c", crc.Base64()}}, "Payload");
  EXPECT_EQ(bad.status.error().code, "BadDigest");
  DecodeRun malformed = Decode(Unsigned(), {{"x-amz-checksum-sha256", "AAAA"}}, "x");
  EXPECT_EQ(malformed.status.error().code, "InvalidRequest");
  DecodeRun two = Decode(Unsigned(),
                   {{"x-amz-checksum-crc32c", crc.Base64()}, {"x-amz-checksum-crc32", "AAAAAA=="}},
                   "payload");
  EXPECT_EQ(two.status.error().code, "InvalidRequest");
}

TEST(PayloadTest, ContentLength) {
  EXPECT_EQ(Decode(Unsigned(), {{"content-length", "5"}}, "abc").status.error().code,
            "IncompleteBody");
  EXPECT_EQ(Decode(Unsigned(), {{"content-length", "2"}}, "abc").status.error().code,
            "IncompleteBody");
  EXPECT_EQ(Decode(Unsigned(), {{"content-length", "x"}}, "abc").status.error().code,
            "InvalidArgument");
}

TEST(PayloadTest, AwsChunkedSignedExample) {
  using namespace natss3::s3::testing;  // NOLINT
  RequestView request = StreamingExampleRequest(true);
  S3Result<AuthContext> ctx = VerifyRequest(request, ExampleStore());
  ASSERT_TRUE(ctx.ok());
  std::string payload(66560, 'a');
  std::string body = EncodeAwsChunked(payload, 65536, PayloadMode::kStreamingSignedTrailer, *ctx,
                                      ChecksumAlgorithm::kCrc32c);
  std::unique_ptr<PayloadDecoder> decoder;
  DecodeRun run = Decode(*ctx, request.headers, body, &decoder);
  ASSERT_TRUE(run.status.ok()) << run.status.error().message;
  EXPECT_EQ(run.data, payload);
  EXPECT_EQ(decoder->checksum_algorithm(), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(decoder->checksum_base64(), "sOO8/Q==");

  // Content-MD5 applies to the decoded payload, not the aws-chunked framing.
  HeaderMap with_md5 = request.headers;
  with_md5["content-md5"] = Md5Base64(payload);
  EXPECT_TRUE(Decode(*ctx, with_md5, body).status.ok());
  with_md5["content-md5"] = Md5Base64("other");
  EXPECT_EQ(Decode(*ctx, with_md5, body).status.error().code, "BadDigest");
}

TEST(PayloadTest, StripAwsChunkedEncoding) {
  EXPECT_EQ(StripAwsChunkedEncoding("aws-chunked"), "");
  EXPECT_EQ(StripAwsChunkedEncoding("aws-chunked,gzip"), "gzip");
  EXPECT_EQ(StripAwsChunkedEncoding("gzip, aws-chunked"), "gzip");
  EXPECT_EQ(StripAwsChunkedEncoding("gzip"), "gzip");
}

}  // namespace
}  // namespace natss3::s3
