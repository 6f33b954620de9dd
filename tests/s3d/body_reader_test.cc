// StreamRawBody: request bodies read into the slice buffer and decoded in place.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "auth/checksums.h"
#include "auth/sigv4_signer.h"
#include "s3d/body_reader.h"

namespace natss3::s3d {
namespace {

// What the sink saw: the bytes, each write's size, and when `verified` ran (writes before it).
struct Written {
  std::string bytes;
  std::vector<size_t> writes;
  int verified_after_writes = -1;
};

// A body handed over in pieces of pseudo-random size (1 byte up to `max_piece`), as a socket
// gives them: a read never fills the caller's room unless the piece happens to.
class PiecewiseBody {
 public:
  PiecewiseBody(std::string body, size_t max_piece, uint32_t seed)
      : body_(std::move(body)), max_piece_(max_piece), rng_(seed) {}
  // Fails (-1) once `fail_at` bytes were handed over, like a client that went away.
  void FailAt(size_t fail_at) { fail_at_ = fail_at; }
  RawBodyRead reader() {
    return [this](char* dst, size_t size) -> ssize_t {
      if (pos_ >= fail_at_) return -1;
      if (pos_ == body_.size()) return 0;
      size_t piece = std::uniform_int_distribution<size_t>(1, max_piece_)(rng_);
      size_t n = std::min({size, piece, body_.size() - pos_, fail_at_ - pos_});
      body_.copy(dst, n, pos_);
      pos_ += n;
      return static_cast<ssize_t>(n);
    };
  }

 private:
  std::string body_;
  size_t max_piece_;
  std::mt19937 rng_;
  size_t pos_ = 0;
  size_t fail_at_ = SIZE_MAX;
};

S3Result<BodySummary> Stream(const s3::HeaderMap& headers, const s3::AuthContext& auth,
                             PiecewiseBody& body, Written& out,
                             const WrittenSha256& written_sha256 = nullptr) {
  auto write = [&](std::string_view data) {
    out.bytes.append(data);
    out.writes.push_back(data.size());
    return Status::OK();
  };
  auto verified = [&](const BodySummary&) {
    out.verified_after_writes = static_cast<int>(out.writes.size());
  };
  return StreamRawBody(headers, body.reader(), auth, write, verified, written_sha256);
}

std::string Payload(size_t size) {
  std::string payload(size, '\0');
  std::mt19937 rng(7);
  for (char& c : payload) c = static_cast<char>(rng());
  return payload;
}

s3::AuthContext Streaming(s3::PayloadMode mode) {
  s3::AuthContext ctx;
  ctx.access_key = "AKIDEXAMPLE";
  ctx.signing_key = std::string(32, 'k');
  ctx.scope = "20260101/us-east-1/s3/aws4_request";
  ctx.region = "us-east-1";
  ctx.amz_date = "20260101T000000Z";
  ctx.seed_signature = std::string(64, 'a');
  ctx.payload_mode = mode;
  return ctx;
}

// Every write but the last is a whole slice, and `verified` runs before the last write.
void ExpectWholeSlices(const Written& out) {
  ASSERT_FALSE(out.writes.empty());
  for (size_t i = 0; i + 1 < out.writes.size(); ++i) EXPECT_EQ(out.writes[i], kBodyWriteSlice);
  EXPECT_LE(out.writes.back(), kBodyWriteSlice);
  EXPECT_EQ(out.verified_after_writes, static_cast<int>(out.writes.size()) - 1);
}

TEST(StreamRawBody, PlainBodyArrivesWholeInFullSlices) {
  for (size_t size : {size_t{0}, size_t{1}, kBodyWriteSlice - 1, kBodyWriteSlice,
                      2 * kBodyWriteSlice, 3 * kBodyWriteSlice + 17}) {
    for (size_t max_piece : {size_t{1} << 20, size_t{70000}, size_t{4096}}) {
      SCOPED_TRACE("size " + std::to_string(size) + ", pieces up to " +
                   std::to_string(max_piece));
      if (size > kBodyWriteSlice && max_piece < 70000) continue;  // slow and adds nothing
      std::string payload = Payload(size);
      PiecewiseBody body(payload, max_piece, 1);
      Written out;
      auto summary = Stream({{"content-length", std::to_string(size)}}, {}, body, out);
      ASSERT_TRUE(summary.ok()) << summary.error().message;
      EXPECT_EQ(summary->bytes, size);
      EXPECT_TRUE(out.bytes == payload);
      if (size == 0) {
        EXPECT_TRUE(out.writes.empty());
        EXPECT_EQ(out.verified_after_writes, 0);
      } else {
        ExpectWholeSlices(out);
      }
    }
  }
}

TEST(StreamRawBody, AwsChunkedBodiesAreDecodedInPlace) {
  struct Case {
    s3::PayloadMode mode;
    size_t chunk;
    size_t size;
  };
  const Case cases[] = {
      {s3::PayloadMode::kStreamingSigned, 65536, 3 * kBodyWriteSlice + 5000},
      {s3::PayloadMode::kStreamingSigned, 8192, 2 * kBodyWriteSlice},  // ends on a slice
      {s3::PayloadMode::kStreamingUnsignedTrailer, 65536, 2 * kBodyWriteSlice},
      {s3::PayloadMode::kStreamingUnsignedTrailer, 100000, kBodyWriteSlice + 1},
      {s3::PayloadMode::kStreamingSignedTrailer, 3000, 50000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("mode " + std::to_string(static_cast<int>(c.mode)) + ", chunk " +
                 std::to_string(c.chunk) + ", size " + std::to_string(c.size));
    s3::AuthContext ctx = Streaming(c.mode);
    std::string payload = Payload(c.size);
    std::string encoded = s3::EncodeAwsChunked(payload, c.chunk, c.mode, ctx);
    s3::HeaderMap headers = {{"content-encoding", "aws-chunked"},
                             {"content-length", std::to_string(encoded.size())},
                             {"x-amz-decoded-content-length", std::to_string(c.size)}};
    if (c.mode != s3::PayloadMode::kStreamingSigned) {
      headers.emplace("x-amz-trailer", "x-amz-checksum-crc32");
    }
    for (uint32_t seed : {1u, 2u}) {
      PiecewiseBody body(encoded, 70000, seed);
      Written out;
      auto summary = Stream(headers, ctx, body, out);
      ASSERT_TRUE(summary.ok()) << summary.error().message;
      EXPECT_EQ(summary->bytes, c.size);
      EXPECT_TRUE(out.bytes == payload);
      ExpectWholeSlices(out);
      if (c.mode != s3::PayloadMode::kStreamingSigned) {
        EXPECT_TRUE(summary->checksum_in_trailer);
      }
    }
  }
}

TEST(StreamRawBody, ATamperedChunkFailsItsSignature) {
  s3::AuthContext ctx = Streaming(s3::PayloadMode::kStreamingSigned);
  std::string payload = Payload(kBodyWriteSlice + 100);
  std::string encoded = s3::EncodeAwsChunked(payload, 65536, ctx.payload_mode, ctx);
  encoded[encoded.size() / 2] ^= 1;
  PiecewiseBody body(encoded, 70000, 3);
  Written out;
  auto summary = Stream({{"content-encoding", "aws-chunked"},
                         {"content-length", std::to_string(encoded.size())},
                         {"x-amz-decoded-content-length", std::to_string(payload.size())}},
                        ctx, body, out);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().code, "SignatureDoesNotMatch");
  EXPECT_EQ(out.verified_after_writes, -1);
}

TEST(StreamRawBody, ABodyCutShortIsIncomplete) {
  std::string payload = Payload(2 * kBodyWriteSlice + 10);
  for (size_t cut : {size_t{0}, size_t{100}, kBodyWriteSlice, 2 * kBodyWriteSlice + 9}) {
    PiecewiseBody body(payload, 70000, 4);
    body.FailAt(cut);
    Written out;
    auto summary = Stream({{"content-length", std::to_string(payload.size())}}, {}, body, out);
    ASSERT_FALSE(summary.ok());
    EXPECT_EQ(summary.error().code, "IncompleteBody");
    EXPECT_EQ(out.verified_after_writes, -1);
  }
}

TEST(StreamRawBody, AWriteErrorIsReportedAsItself) {
  std::string payload = Payload(3 * kBodyWriteSlice);
  PiecewiseBody body(payload, 70000, 5);
  int writes = 0;
  auto write = [&](std::string_view) {
    return ++writes == 2 ? Unavailable("store down") : Status::OK();
  };
  auto summary = StreamRawBody({{"content-length", std::to_string(payload.size())}},
                               body.reader(), {}, write);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.error().http_status, 503);
  EXPECT_EQ(writes, 2);
}

TEST(StreamRawBody, ASignedPayloadIsCheckedAgainstTheWrittenDigest) {
  std::string payload = Payload(kBodyWriteSlice + 3);
  s3::AuthContext ctx;
  ctx.payload_mode = s3::PayloadMode::kSignedSha256;
  ctx.payload_sha256 = s3::Sha256Hex(payload);
  for (bool intact : {true, false}) {
    std::string sent = payload;
    if (!intact) sent[7] ^= 1;
    PiecewiseBody body(sent, 70000, 6);
    Written out;
    // The store's digest of what it was given, as ObjectWriter::Sha256Raw reports it; the
    // whole body must be written before it is asked for.
    auto digest = [&] {
      EXPECT_EQ(out.bytes.size(), sent.size());
      return s3::Sha256Raw(out.bytes);
    };
    auto summary = Stream({{"content-length", std::to_string(sent.size())}}, ctx, body, out,
                          digest);
    if (intact) {
      ASSERT_TRUE(summary.ok()) << summary.error().message;
      EXPECT_TRUE(out.bytes == payload);
    } else {
      ASSERT_FALSE(summary.ok());
      EXPECT_EQ(summary.error().code, "XAmzContentSHA256Mismatch");
    }
  }
}

}  // namespace
}  // namespace natss3::s3d
