// AwsChunkedDecoder tests: AWS's published streaming examples, tampering, framing, trailers.
#include "auth/aws_chunked.h"

#include <gtest/gtest.h>

#include "auth/sigv4_signer.h"
#include "test_vectors.h"

namespace natss3::s3 {
namespace {

using namespace natss3::s3::testing;  // NOLINT

struct Decoded {
  S3Status status;
  std::string data;
  size_t sink_calls = 0;
};

// Feeds `body` in pieces of `piece` bytes, then calls Finish.
Decoded DecodeAll(AwsChunkedDecoder& decoder, std::string_view body, size_t piece) {
  Decoded out;
  auto sink = [&](std::string_view data) {
    out.data.append(data);
    ++out.sink_calls;
    return true;
  };
  for (size_t pos = 0; pos < body.size(); pos += piece) {
    out.status = decoder.Feed(body.substr(pos, piece), sink);
    if (!out.status.ok()) return out;
  }
  out.status = decoder.Finish();
  return out;
}

AuthContext VerifiedExample(bool trailer) {
  S3Result<AuthContext> ctx = VerifyRequest(StreamingExampleRequest(trailer), ExampleStore());
  EXPECT_TRUE(ctx.ok());
  return ctx.ok() ? *ctx : AuthContext{};
}

AwsChunkedDecoder MakeDecoder(const AuthContext& ctx, const HeaderMap& headers) {
  S3Result<AwsChunkedDecoder> decoder = AwsChunkedDecoder::Create(ctx, headers);
  EXPECT_TRUE(decoder.ok()) << (decoder.ok() ? "" : decoder.error().message);
  return std::move(decoder).value();
}

// sigv4-streaming.html "Example: PUT Object": the body with AWS's chunk signatures.
std::string StreamingExampleBody() {
  return "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
         "\r\n" + std::string(65536, 'a') + "\r\n"
         "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497"
         "\r\n" + std::string(1024, 'a') + "\r\n"
         "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"
         "\r\n\r\n";
}

// sigv4-streaming-trailers.html: the same data with a CRC32C trailer and trailer signature.
std::string TrailerExampleBody(bool blank_line_after_final_chunk) {
  return "10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2"
         "\r\n" + std::string(65536, 'a') + "\r\n"
         "400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7"
         "\r\n" + std::string(1024, 'a') + "\r\n"
         "0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"
         "\r\n" + std::string(blank_line_after_final_chunk ? "\r\n" : "") +
         "x-amz-checksum-crc32c:sOO8/Q==\r\n"
         "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
         "\r\n\r\n";
}

TEST(AwsChunkedVectorsTest, StreamingExampleDecodesInAnySlicing) {
  AuthContext ctx = VerifiedExample(false);
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, size_t{70000}}) {
    AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(false).headers);
    Decoded out = DecodeAll(decoder, StreamingExampleBody(), piece);
    ASSERT_TRUE(out.status.ok()) << piece << ": " << out.status.error().message;
    EXPECT_EQ(out.data, std::string(66560, 'a'));
    EXPECT_TRUE(decoder.done());
    EXPECT_EQ(decoder.decoded_bytes(), 66560u);
  }
}

TEST(AwsChunkedVectorsTest, SignerReproducesAwsChunkSignatures) {
  AuthContext ctx = VerifiedExample(false);
  EXPECT_EQ(EncodeAwsChunked(std::string(66560, 'a'), 65536, PayloadMode::kStreamingSigned, ctx),
            StreamingExampleBody());
  EXPECT_EQ(ChunkSignature(ctx.signing_key, kAmzDate, ctx.scope, ctx.seed_signature,
                           std::string(65536, 'a')),
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
}

TEST(AwsChunkedVectorsTest, TrailerExample) {
  AuthContext ctx = VerifiedExample(true);
  EXPECT_EQ(ctx.seed_signature,
            "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e");
  for (bool blank : {false, true}) {
    for (size_t piece : {size_t{1}, size_t{13}, size_t{100000}}) {
      AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(true).headers);
      Decoded out = DecodeAll(decoder, TrailerExampleBody(blank), piece);
      ASSERT_TRUE(out.status.ok()) << out.status.error().code << " "
                                   << out.status.error().message;
      EXPECT_EQ(out.data, std::string(66560, 'a'));
      EXPECT_EQ(decoder.trailer_algorithm(), ChecksumAlgorithm::kCrc32c);
      EXPECT_EQ(decoder.trailer_checksum_base64(), "sOO8/Q==");
    }
  }
  EXPECT_EQ(TrailerSignature(ctx.signing_key, kAmzDate, ctx.scope,
                             "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
                             "x-amz-checksum-crc32c:sOO8/Q==\n"),
            "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435");
  EXPECT_EQ(EncodeAwsChunked(std::string(66560, 'a'), 65536,
                             PayloadMode::kStreamingSignedTrailer, ctx,
                             ChecksumAlgorithm::kCrc32c),
            TrailerExampleBody(false));
}

TEST(AwsChunkedSignedTest, TamperedDataFailsItsChunkSignature) {
  AuthContext ctx = VerifiedExample(false);
  std::string body = StreamingExampleBody();
  body[body.find("\r\n") + 2 + 70000 % 65536] = 'b';  // one byte inside chunk 1
  AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(false).headers);
  Decoded out = DecodeAll(decoder, body, 4096);
  ASSERT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(out.status.error().http_status, 403);
  // The decoder stays failed.
  EXPECT_EQ(decoder.Feed("x", [](std::string_view) { return true; }).error().code,
            "SignatureDoesNotMatch");
}

TEST(AwsChunkedSignedTest, WrongOrMissingChunkSignature) {
  AuthContext ctx = VerifiedExample(false);
  std::string body = StreamingExampleBody();
  size_t final_sig = body.rfind("b6c6ea8a");
  body[final_sig] = 'c';  // final (empty) chunk signature
  AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(false).headers);
  EXPECT_EQ(DecodeAll(decoder, body, 65000).status.error().code, "SignatureDoesNotMatch");

  AwsChunkedDecoder unsigned_chunk = MakeDecoder(ctx, StreamingExampleRequest(false).headers);
  EXPECT_EQ(DecodeAll(unsigned_chunk, "3\r\nabc\r\n0\r\n\r\n", 100).status.error().code,
            "InvalidRequest");
}

TEST(AwsChunkedSignedTest, ChunksCannotBeReplayedOutOfOrder) {
  // Re-encode the payload with a different first chunk but keep AWS's later signatures.
  AuthContext ctx = VerifiedExample(false);
  std::string body = StreamingExampleBody();
  std::string swapped = body;
  swapped.replace(swapped.find("ad80c730"), 64,
                  "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(false).headers);
  EXPECT_EQ(DecodeAll(decoder, swapped, 1 << 20).status.error().code, "SignatureDoesNotMatch");
}

TEST(AwsChunkedFramingTest, TruncationIsIncompleteBody) {
  AuthContext ctx = VerifiedExample(false);
  std::string body = StreamingExampleBody();
  for (size_t cut : {size_t{10}, size_t{5000}, body.size() - 90, body.size() - 3}) {
    AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(false).headers);
    Decoded out = DecodeAll(decoder, std::string_view(body).substr(0, cut), 3000);
    ASSERT_FALSE(out.status.ok()) << cut;
    EXPECT_EQ(out.status.error().code, "IncompleteBody") << cut;
  }
  // Only the closing blank line missing: every byte and signature arrived, so it is accepted.
  AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(false).headers);
  EXPECT_TRUE(DecodeAll(decoder, std::string_view(body).substr(0, body.size() - 2), 3000)
                  .status.ok());
}

TEST(AwsChunkedFramingTest, DecodedLengthMustMatch) {
  AuthContext ctx = VerifiedExample(false);
  HeaderMap headers = StreamingExampleRequest(false).headers;
  headers["x-amz-decoded-content-length"] = "66561";
  AwsChunkedDecoder longer = MakeDecoder(ctx, headers);
  EXPECT_EQ(DecodeAll(longer, StreamingExampleBody(), 4096).status.error().code,
            "IncompleteBody");
  headers["x-amz-decoded-content-length"] = "66559";
  AwsChunkedDecoder shorter = MakeDecoder(ctx, headers);
  EXPECT_FALSE(DecodeAll(shorter, StreamingExampleBody(), 4096).status.ok());
  headers.erase("x-amz-decoded-content-length");
  EXPECT_FALSE(AwsChunkedDecoder::Create(ctx, headers).ok());
}

AuthContext UnsignedTrailerContext() {
  AuthContext ctx;
  ctx.anonymous = true;
  ctx.payload_mode = PayloadMode::kStreamingUnsignedTrailer;
  return ctx;
}

HeaderMap TrailerHeaders(size_t length, const char* trailer = "x-amz-checksum-crc32") {
  return {{"x-amz-decoded-content-length", std::to_string(length)}, {"x-amz-trailer", trailer}};
}

TEST(AwsChunkedUnsignedTrailerTest, ChecksumVerified) {
  std::string crc = Base64Encode(std::string("\x35\x24\x41\xc2", 4));  // CRC32("abc")
  std::string body = "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n";
  AwsChunkedDecoder ok = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  Decoded out = DecodeAll(ok, body, 1);
  ASSERT_TRUE(out.status.ok()) << out.status.error().message;
  EXPECT_EQ(out.data, "abc");
  EXPECT_EQ(ok.trailer_checksum_base64(), crc);

  std::string wrong = "3\r\nabd\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n";
  AwsChunkedDecoder bad = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  Decoded failed = DecodeAll(bad, wrong, 5);
  ASSERT_FALSE(failed.status.ok());
  EXPECT_EQ(failed.status.error().code, "BadDigest");
  EXPECT_EQ(failed.status.error().http_status, 400);
}

TEST(AwsChunkedUnsignedTrailerTest, MissingOrDifferentTrailer) {
  AwsChunkedDecoder missing = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  EXPECT_EQ(DecodeAll(missing, "3\r\nabc\r\n0\r\n\r\n", 64).status.error().code,
            "IncompleteBody");
  AwsChunkedDecoder other = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  EXPECT_EQ(DecodeAll(other, "3\r\nabc\r\n0\r\nx-amz-checksum-sha1:qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
                             "\r\n\r\n", 64).status.error().code,
            "MalformedTrailerError");
  AwsChunkedDecoder garbage = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  EXPECT_EQ(DecodeAll(garbage, "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:!!\r\n\r\n", 64)
                .status.error().code,
            "InvalidRequest");
  EXPECT_FALSE(AwsChunkedDecoder::Create(UnsignedTrailerContext(),
                                         {{"x-amz-decoded-content-length", "3"}}).ok());
  EXPECT_FALSE(AwsChunkedDecoder::Create(UnsignedTrailerContext(),
                                         TrailerHeaders(3, "x-amz-checksum-md5")).ok());
}

TEST(AwsChunkedUnsignedTrailerTest, ToleratesMissingFinalBlankLine) {
  std::string body = "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n";
  AwsChunkedDecoder decoder = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  EXPECT_TRUE(DecodeAll(decoder, body, 4).status.ok());
  AwsChunkedDecoder no_crlf = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  EXPECT_TRUE(DecodeAll(no_crlf, "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==", 4).status.ok());
}

TEST(AwsChunkedUnsignedTrailerTest, EveryChecksumAlgorithmRoundTrips) {
  std::string payload;
  for (int i = 0; i < 100000; ++i) payload.push_back(static_cast<char>(i * 31 + 7));
  for (ChecksumAlgorithm algorithm :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    std::string body = EncodeAwsChunked(payload, 8192, PayloadMode::kStreamingUnsignedTrailer,
                                        {}, algorithm);
    std::string header(ChecksumHeaderName(algorithm));
    AwsChunkedDecoder decoder =
        MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(payload.size(), header.c_str()));
    Decoded out = DecodeAll(decoder, body, 1000);
    ASSERT_TRUE(out.status.ok()) << header << ": " << out.status.error().message;
    EXPECT_EQ(out.data, payload);
  }
}

TEST(AwsChunkedSignedTrailerTest, TamperedTrailerFailsSignature) {
  AuthContext ctx = VerifiedExample(true);
  std::string body = TrailerExampleBody(false);
  body.replace(body.find("sOO8/Q=="), 8, "AAAAAA==");
  AwsChunkedDecoder decoder = MakeDecoder(ctx, StreamingExampleRequest(true).headers);
  EXPECT_EQ(DecodeAll(decoder, body, 8192).status.error().code, "SignatureDoesNotMatch");

  std::string no_signature = TrailerExampleBody(false);
  size_t sig_line = no_signature.find("x-amz-trailer-signature");
  no_signature.erase(sig_line, no_signature.size() - sig_line - 2);
  AwsChunkedDecoder unsigned_trailer = MakeDecoder(ctx, StreamingExampleRequest(true).headers);
  EXPECT_EQ(DecodeAll(unsigned_trailer, no_signature, 8192).status.error().code,
            "SignatureDoesNotMatch");
}

TEST(AwsChunkedFramingTest, StreamsWithoutBufferingChunks) {
  // A 5 MiB chunk fed in 1 MiB slices reaches the sink slice by slice.
  std::string payload(5 << 20, 'z');
  std::string body = EncodeAwsChunked(payload, payload.size(),
                                      PayloadMode::kStreamingUnsignedTrailer, {});
  AwsChunkedDecoder decoder = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(payload.size()));
  Decoded out = DecodeAll(decoder, body, 1 << 20);
  ASSERT_TRUE(out.status.ok());
  EXPECT_GE(out.sink_calls, 5u);
  EXPECT_EQ(out.data.size(), payload.size());
}

TEST(AwsChunkedFramingTest, MalformedFraming) {
  for (const char* body : {"zz\r\nabc\r\n", "3\r\nabcX\r\n", "3;chunk-signature\r\nabc\r\n",
                           "\r\n"}) {
    AwsChunkedDecoder decoder = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
    Decoded out = DecodeAll(decoder, body, 2);
    ASSERT_FALSE(out.status.ok()) << body;
    EXPECT_EQ(out.status.error().http_status, 400) << body;
  }
  AwsChunkedDecoder long_line = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  EXPECT_EQ(DecodeAll(long_line, "3;" + std::string(10000, 'x'), 100).status.error().code,
            "InvalidRequest");
  AwsChunkedDecoder trailing = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  EXPECT_EQ(DecodeAll(trailing, "3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\nmore", 100)
                .status.error().code,
            "InvalidRequest");
}

TEST(AwsChunkedFramingTest, SinkCanStopDecoding) {
  AwsChunkedDecoder decoder = MakeDecoder(UnsignedTrailerContext(), TrailerHeaders(3));
  S3Status st = decoder.Feed("3\r\nabc\r\n", [](std::string_view) { return false; });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().http_status, 500);
}

TEST(AwsChunkedFramingTest, RejectsNonStreamingContext) {
  AuthContext ctx;
  ctx.payload_mode = PayloadMode::kUnsigned;
  EXPECT_FALSE(AwsChunkedDecoder::Create(ctx, TrailerHeaders(3)).ok());
}

}  // namespace
}  // namespace natss3::s3
