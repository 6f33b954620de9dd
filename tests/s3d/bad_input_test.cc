// Bad input: each rejected with the right S3 error and nothing left behind in the stream.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "auth/checksums.h"
#include "auth/sigv4_signer.h"
#include "s3_test_client.h"
#include "s3d/routing.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {
namespace {

class S3BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    bucket_ = UniqueBucket("bad");
    ASSERT_EQ(client_.Send("PUT", "/" + bucket_).status, 200);
    baseline_ = Messages();
  }
  uint64_t Messages() {
    auto status = daemon_.store().GetBucketStatus(bucket_);
    return status.ok() ? status->messages : ~0ull;
  }
  // Nothing left: the stream's message count returns to the baseline (purges may lag a
  // disconnect slightly, so poll with a deadline).
  void ExpectNothingLeft() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // A request the client abandoned may still be being read, written and then aborted by the
    // daemon (the stream count can rise before it falls): wait until the only request in
    // flight is the metrics request itself.
    while (client_.Send("GET", "/metrics").body.find("natss3_requests_in_flight 1\n") ==
               std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    while (Messages() != baseline_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(Messages(), baseline_);
    EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/obj").status, 404);
  }
  InProcessDaemon& daemon_ = SharedDaemon();
  S3TestClient client_{SharedDaemon().port()};
  std::string bucket_;
  uint64_t baseline_ = 0;
};

TEST_F(S3BadInput, MalformedXml) {
  auto r = client_.Send("POST", "/" + bucket_, "delete", {}, "<Delete><Object><Key>a</Key>");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ErrorCode(), "MalformedXML");
}

TEST_F(S3BadInput, InvalidBucketNames) {
  for (const std::string name : {"with..dots", "dot.-dash", "192.168.5.4", "UPPER", "ab", "-lead",
                                 "under_score", "trailing."}) {
    auto r = client_.Send("PUT", "/" + name);
    EXPECT_EQ(r.status, 400) << name;
    EXPECT_EQ(r.ErrorCode(), "InvalidBucketName") << name;
    EXPECT_FALSE(daemon_.store().GetBucketStatus(NatsBucketName(name)).ok()) << name;
  }
}

TEST_F(S3BadInput, KeyTooLong) {
  auto r = client_.Send("PUT", "/" + bucket_ + "/" + std::string(1025, 'k'), "", {}, "x");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ErrorCode(), "KeyTooLongError");
  ExpectNothingLeft();
}

// A sealed bucket refuses writes with AccessDenied: the core marks the refusal
// Detail::kSealed (whether its cached bucket facts or the server said so first), and the S3
// mapping goes by that detail.
TEST_F(S3BadInput, WriteToSealedBucket) {
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/before", "", {}, "x").status, 200);
  ASSERT_TRUE(daemon_.store().SealBucket(NatsBucketName(bucket_)).ok());
  auto r = client_.Send("PUT", "/" + bucket_ + "/obj", "", {}, "x");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.ErrorCode(), "AccessDenied");
  EXPECT_NE(r.body.find("sealed"), std::string::npos) << r.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/before").body, "x");
}

TEST_F(S3BadInput, WrongContentMd5) {
  auto r = client_.Send("PUT", "/" + bucket_ + "/obj", "", {{"content-md5", Md5Base64("other")}},
                        natss3::test::RandomBytes(500000, 1));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ErrorCode(), "BadDigest");
  ExpectNothingLeft();
}

TEST_F(S3BadInput, WrongChecksumHeader) {
  std::string body = "checksum me";
  s3::Checksum crc(s3::ChecksumAlgorithm::kCrc32);
  crc.Update("something else");
  auto r = client_.Send("PUT", "/" + bucket_ + "/obj", "", {{"x-amz-checksum-crc32", crc.Base64()}}, body);
  EXPECT_EQ(r.ErrorCode(), "BadDigest");
  ExpectNothingLeft();
  s3::Checksum good(s3::ChecksumAlgorithm::kCrc32);
  good.Update(body);
  auto ok = client_.Send("PUT", "/" + bucket_ + "/ok", "", {{"x-amz-checksum-crc32", good.Base64()}}, body);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.Header("x-amz-checksum-crc32"), good.Base64());
  auto head = client_.Send("HEAD", "/" + bucket_ + "/ok", "", {{"x-amz-checksum-mode", "ENABLED"}});
  EXPECT_EQ(head.Header("x-amz-checksum-crc32"), good.Base64());
}

TEST_F(S3BadInput, ContentSha256Mismatch) {
  auto r = client_.Send("PUT", "/" + bucket_ + "/obj", "", {}, "payload", s3::Sha256Hex("other"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.ErrorCode(), "XAmzContentSHA256Mismatch");
  ExpectNothingLeft();
}

// The payload hash is checked against the store's own SHA-256 (one hash per byte): a body of
// several write slices whose last slice differs is refused and leaves nothing, and a correct
// one commits with the same digest.
TEST_F(S3BadInput, ContentSha256MismatchInTheLastSliceOfALargeBody) {
  std::string body = natss3::test::RandomBytes(700000, 3);
  std::string other = body;
  other.back() = static_cast<char>(other.back() ^ 1);
  auto r = client_.Send("PUT", "/" + bucket_ + "/obj", "", {}, body, s3::Sha256Hex(other));
  EXPECT_EQ(r.ErrorCode(), "XAmzContentSHA256Mismatch");
  ExpectNothingLeft();
  auto ok = client_.Send("PUT", "/" + bucket_ + "/ok", "", {}, body, s3::Sha256Hex(body));
  EXPECT_EQ(ok.status, 200) << ok.body;
  auto got = client_.Send("GET", "/" + bucket_ + "/ok");
  EXPECT_EQ(got.status, 200);
  EXPECT_TRUE(got.body == body);
}

TEST_F(S3BadInput, WrongSha256ChecksumHeader) {
  std::string body = natss3::test::RandomBytes(300000, 4);
  s3::Checksum wrong(s3::ChecksumAlgorithm::kSha256);
  wrong.Update("something else");
  for (bool signed_payload : {true, false}) {
    std::optional<std::string> hash;
    if (!signed_payload) hash = std::string("UNSIGNED-PAYLOAD");
    auto r = client_.Send("PUT", "/" + bucket_ + "/obj", "",
                          {{"x-amz-checksum-sha256", wrong.Base64()}}, body, hash);
    EXPECT_EQ(r.ErrorCode(), "BadDigest") << signed_payload;
    ExpectNothingLeft();
  }
  s3::Checksum good(s3::ChecksumAlgorithm::kSha256);
  good.Update(body);
  auto ok = client_.Send("PUT", "/" + bucket_ + "/ok", "", {{"x-amz-checksum-sha256", good.Base64()}},
                         body);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Header("x-amz-checksum-sha256"), good.Base64());
}

TEST_F(S3BadInput, BodyShorterThanContentLength) {
  std::string body = natss3::test::RandomBytes(300000, 2);
  std::string request = client_.Build("PUT", "/" + bucket_ + "/obj", "", {}, body,
                                      std::string("UNSIGNED-PAYLOAD"), nullptr, body.size() + 1000);
  auto r = SendRaw(daemon_.port(), request, /*half_close=*/true);
  if (r.status != 0) {
    EXPECT_EQ(r.status, 400);
  }
  ExpectNothingLeft();
}

TEST_F(S3BadInput, ClientDisconnectsMidUpload) {
  std::string body = natss3::test::RandomBytes(2 << 20, 5);
  std::string request = client_.Build("PUT", "/" + bucket_ + "/obj", "", {}, body,
                                      std::string("UNSIGNED-PAYLOAD"), nullptr, 64 << 20);
  int fd = ConnectLoopback(daemon_.port());
  ASSERT_GE(fd, 0);
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<size_t>(n);
  }
  ::close(fd);  // 2 MiB of a declared 64 MiB, then gone
  ExpectNothingLeft();
}

TEST_F(S3BadInput, AwsChunkedBadChunkSignature) {
  std::string payload = natss3::test::RandomBytes(200000, 4);
  s3::HeaderMap headers = {{"content-encoding", "aws-chunked"},
                           {"x-amz-decoded-content-length", std::to_string(payload.size())}};
  // Each request is signed afresh; its seed signature starts the chunk-signature chain.
  for (bool corrupt : {true, false}) {
    s3::AuthContext ctx;
    std::string probe = client_.Build("PUT", "/" + bucket_ + "/obj", "", headers, "",
                                      std::string("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), &ctx);
    ctx.payload_mode = s3::PayloadMode::kStreamingSigned;
    std::string body = s3::EncodeAwsChunked(payload, 65536, s3::PayloadMode::kStreamingSigned, ctx);
    if (corrupt) body[body.find("chunk-signature=") + 16] ^= 1;
    std::string request = probe.substr(0, probe.find("Content-Length:")) +
                          "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    auto r = SendRaw(daemon_.port(), request);
    if (corrupt) {
      EXPECT_EQ(r.ErrorCode(), "SignatureDoesNotMatch") << r.body;
      ExpectNothingLeft();
    } else {
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/obj").body, payload);
    }
  }
}

TEST_F(S3BadInput, AwsChunkedTrailerChecksumMismatch) {
  std::string payload = natss3::test::RandomBytes(100000, 6);
  s3::HeaderMap headers = {{"content-encoding", "aws-chunked"},
                           {"x-amz-decoded-content-length", std::to_string(payload.size())},
                           {"x-amz-trailer", "x-amz-checksum-crc32"}};
  s3::AuthContext ctx;
  std::string probe = client_.Build("PUT", "/" + bucket_ + "/obj", "", headers, "",
                                    std::string("STREAMING-UNSIGNED-PAYLOAD-TRAILER"), &ctx);
  std::string body = s3::EncodeAwsChunked(payload, 65536, s3::PayloadMode::kStreamingUnsignedTrailer, ctx);
  size_t at = body.find("x-amz-checksum-crc32:") + 21;
  body[at] = body[at] == 'A' ? 'B' : 'A';
  std::string request = probe.substr(0, probe.find("Content-Length:")) + "Content-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  auto r = SendRaw(daemon_.port(), request);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.ErrorCode(), "BadDigest") << r.body;
  ExpectNothingLeft();
}

// Malformed headers get the answers S3 (and ceph/s3-tests' test_headers) expect.
TEST_F(S3BadInput, PutIfNoneMatchOtherThanStarIsNotImplemented) {
  auto r = client_.Send("PUT", "/" + bucket_ + "/inm", "", {{"if-none-match", "\"abc\""}}, "x");
  EXPECT_EQ(r.status, 501) << r.body;
  EXPECT_EQ(r.ErrorCode(), "NotImplemented");
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/inm").status, 404);
  EXPECT_EQ(client_.Send("PUT", "/" + bucket_ + "/inm", "", {{"if-none-match", "*"}}, "x").status,
            200);
  client_.Send("DELETE", "/" + bucket_ + "/inm");
}

TEST_F(S3BadInput, EmptyContentLengthIs400) {
  std::string probe =
      client_.Build("PUT", "/" + bucket_ + "/cl", "", {}, "", std::string("UNSIGNED-PAYLOAD"));
  std::string request = probe.substr(0, probe.find("Content-Length:")) +
                        "Content-Length: \r\nConnection: close\r\n\r\n";
  auto r = SendRaw(daemon_.port(), request);
  EXPECT_EQ(r.status, 400) << r.body;
  request = probe.substr(0, probe.find("Content-Length:")) +
            "Content-Length: -1\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(SendRaw(daemon_.port(), request).status, 400);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/cl").status, 404);
}

TEST_F(S3BadInput, EmptyOrMissingAuthorizationIsAccessDenied) {
  for (const std::string auth : {"Authorization: \r\n", "Authorization:\r\n", ""}) {
    std::string request = "PUT /" + bucket_ + "/noauth HTTP/1.1\r\nHost: " + client_.host() +
                          "\r\n" + auth + "Content-Length: 3\r\nConnection: close\r\n\r\nbar";
    auto r = SendRaw(daemon_.port(), request);
    EXPECT_EQ(r.status, 403) << auth << r.body;
    EXPECT_EQ(r.ErrorCode(), "AccessDenied") << auth << r.body;
  }
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/noauth").status, 404);
}

}  // namespace
}  // namespace natss3::s3d::test
