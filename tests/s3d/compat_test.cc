// S3 behaviours clients rely on, in-process on a real nats-server: checksums sent in an
// aws-chunked trailer are stored and returned like header checksums, CreateBucket without a
// body or Content-Length, keep-alive connections and graceful stop of the HTTP layer.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "auth/checksums.h"
#include "auth/sigv4_signer.h"
#include "s3_test_client.h"
#include "s3d/body_reader.h"

namespace natss3::s3d::test {
namespace {

class S3Compat : public ::testing::Test {
 protected:
  void SetUp() override {
    bucket_ = UniqueBucket("compat");
    ASSERT_EQ(client_.Send("PUT", "/" + bucket_).status, 200);
  }
  // PUT with an aws-chunked body whose checksum travels in the trailer.
  HttpResponse PutWithTrailer(const std::string& key, const std::string& payload,
                              s3::ChecksumAlgorithm algorithm, bool signed_chunks,
                              bool corrupt_trailer = false) {
    std::string trailer_name(s3::ChecksumHeaderName(algorithm));
    s3::HeaderMap headers = {{"content-encoding", "aws-chunked"},
                             {"x-amz-decoded-content-length", std::to_string(payload.size())},
                             {"x-amz-trailer", trailer_name}};
    s3::PayloadMode mode = signed_chunks ? s3::PayloadMode::kStreamingSignedTrailer
                                         : s3::PayloadMode::kStreamingUnsignedTrailer;
    s3::AuthContext ctx;
    std::string probe = client_.Build(
        "PUT", "/" + bucket_ + "/" + key, "", headers, "",
        std::string(signed_chunks ? "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
                                  : "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        &ctx);
    ctx.payload_mode = mode;
    std::string body = s3::EncodeAwsChunked(payload, 65536, mode, ctx, algorithm);
    if (corrupt_trailer) {
      size_t at = body.find(trailer_name + ":") + trailer_name.size() + 1;
      body[at] = body[at] == 'A' ? 'B' : 'A';
    }
    std::string request = probe.substr(0, probe.find("Content-Length:")) + "Content-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    return SendRaw(client_.port(), request);
  }
  static std::string Expected(s3::ChecksumAlgorithm algorithm, const std::string& payload) {
    s3::Checksum checksum(algorithm);
    checksum.Update(payload);
    return checksum.Base64();
  }
  InProcessDaemon& daemon_ = SharedDaemon();
  S3TestClient client_{SharedDaemon().port()};
  std::string bucket_;
};

TEST_F(S3Compat, TrailerChecksumIsStoredAndReturnedLikeAHeaderChecksum) {
  using Algo = s3::ChecksumAlgorithm;
  // Below, at and above one write slice: small bodies get the checksum in their first meta,
  // larger ones once the upload is committed.
  const size_t sizes[] = {1000, kBodyWriteSlice, kBodyWriteSlice + 70000};
  const Algo algorithms[] = {Algo::kCrc32, Algo::kCrc32c, Algo::kSha256};
  int n = 0;
  for (size_t size : sizes) {
    for (Algo algorithm : algorithms) {
      bool signed_chunks = (n++ % 2) == 0;
      std::string key = "t" + std::to_string(size) + "-" + std::string(s3::ChecksumAlgorithmName(algorithm));
      std::string header(s3::ChecksumHeaderName(algorithm));
      std::string payload = natss3::test::RandomBytes(size, static_cast<int>(size) + n);
      std::string expected = Expected(algorithm, payload);
      SCOPED_TRACE(key + (signed_chunks ? " signed" : " unsigned"));
      auto put = PutWithTrailer(key, payload, algorithm, signed_chunks);
      ASSERT_EQ(put.status, 200) << put.body;
      EXPECT_EQ(put.Header(header), expected) << "PutObject echoes the trailer checksum";
      EXPECT_EQ(put.Header("etag"), "\"" + Md5Hex(payload) + "\"");
      s3::HeaderMap mode = {{"x-amz-checksum-mode", "ENABLED"}};
      auto head = client_.Send("HEAD", "/" + bucket_ + "/" + key, "", mode);
      EXPECT_EQ(head.Header(header), expected);
      EXPECT_EQ(head.Header("etag"), put.Header("etag"));
      auto get = client_.Send("GET", "/" + bucket_ + "/" + key, "", mode);
      EXPECT_EQ(get.Header(header), expected);
      EXPECT_TRUE(get.body == payload);
      EXPECT_TRUE(client_.Send("HEAD", "/" + bucket_ + "/" + key).Header(header).empty())
          << "only with x-amz-checksum-mode: ENABLED";
      mode["range"] = "bytes=0-9";
      auto ranged = client_.Send("GET", "/" + bucket_ + "/" + key, "", mode);
      EXPECT_EQ(ranged.status, 206);
      EXPECT_TRUE(ranged.Header(header).empty()) << "a part of the object has another checksum";
    }
  }
  // Visible to NATS clients in the object's headers, like a header checksum.
  auto info = daemon_.store().GetInfo(bucket_, "t1000-CRC32");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->Header("Natss3-Checksum-CRC32").empty());
}

TEST_F(S3Compat, TrailerChecksumMismatchOnALargeBodyLeavesNothing) {
  auto before = daemon_.store().GetBucketStatus(bucket_);
  ASSERT_TRUE(before.ok());
  std::string payload = natss3::test::RandomBytes(3 * kBodyWriteSlice, 9);
  auto put = PutWithTrailer("bad", payload, s3::ChecksumAlgorithm::kCrc32, false, true);
  EXPECT_EQ(put.status, 400) << put.body;
  EXPECT_EQ(put.ErrorCode(), "BadDigest");
  EXPECT_EQ(client_.Send("HEAD", "/" + bucket_ + "/bad").status, 404);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  uint64_t messages = ~0ull;
  while (std::chrono::steady_clock::now() < deadline) {
    auto status = daemon_.store().GetBucketStatus(bucket_);
    messages = status.ok() ? status->messages : ~0ull;
    if (messages == before->messages) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(messages, before->messages) << "the aborted upload's chunks are purged";
}

TEST_F(S3Compat, CreateBucketWithoutContentLength) {
  std::string bucket = UniqueBucket("nocl");
  // A signed CreateBucket with neither Content-Length nor Transfer-Encoding (curl -X PUT does
  // this): no body, answered at once.
  std::string request = client_.Build("PUT", "/" + bucket, "", {}, "", std::nullopt);
  size_t at = request.find("Content-Length: 0\r\n");
  ASSERT_NE(at, std::string::npos);
  request.erase(at, std::string("Content-Length: 0\r\n").size());
  auto start = std::chrono::steady_clock::now();
  auto created = SendRaw(client_.port(), request);
  EXPECT_EQ(created.status, 200) << created.body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(client_.Send("HEAD", "/" + bucket).status, 200);
  // With a CreateBucketConfiguration sent chunked (no Content-Length either).
  std::string second = UniqueBucket("nocl");
  std::string xml = "<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint>"
                    "</CreateBucketConfiguration>";
  std::string chunked_request = client_.Build("PUT", "/" + second, "", {}, xml, std::nullopt);
  char chunk_size[16];
  std::snprintf(chunk_size, sizeof(chunk_size), "%zx", xml.size());
  chunked_request = chunked_request.substr(0, chunked_request.find("Content-Length:")) +
                    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunk_size +
                    "\r\n" + xml + "\r\n0\r\n\r\n";
  auto chunked = SendRaw(client_.port(), chunked_request);
  EXPECT_EQ(chunked.status, 200) << chunked.body;
  EXPECT_EQ(client_.Send("HEAD", "/" + second).status, 200);
  // PutObject still requires a length, as S3 does.
  std::string put = client_.Build("PUT", "/" + bucket + "/k", "", {}, "", std::nullopt);
  put.erase(put.find("Content-Length: 0\r\n"), std::string("Content-Length: 0\r\n").size());
  EXPECT_EQ(SendRaw(client_.port(), put).ErrorCode(), "MissingContentLength");
}

// Clients that cancel downloads: the abandoned readers still have chunk requests in flight.
// Destroying them at once can crash libnats 3.4.1's read loop (nats.c #637); the daemon must
// keep serving.
TEST_F(S3Compat, CancelledDownloadsDoNotHurtTheDaemon) {
  std::string payload = natss3::test::RandomBytes(16 << 20, 21);
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/big", "", {}, payload).status, 200);
  std::string request = client_.Build("GET", "/" + bucket_ + "/big", "", {}, "", std::nullopt);
  for (int i = 0; i < 40; ++i) {
    int fd = ConnectLoopback(client_.port());
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    char buf[4096];
    ASSERT_GT(::recv(fd, buf, sizeof(buf), 0), 0);  // the response started
    linger hard{1, 0};  // RST: the server's next write fails at once
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::close(fd);
  }
  auto get = client_.Send("GET", "/" + bucket_ + "/big");
  EXPECT_EQ(get.status, 200);
  EXPECT_TRUE(get.body == payload);
}

// Reads one HTTP response with a Content-Length body from a keep-alive socket; "" on error.
std::string ReadOneResponse(int fd) {
  std::string data;
  char c;
  while (data.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd, &c, 1, 0) != 1) return "";
    data += c;
  }
  size_t at = data.find("Content-Length: ");
  size_t length = at == std::string::npos ? 0 : std::stoul(data.substr(at + 16));
  std::string body(length, '\0');
  for (size_t got = 0; got < length;) {
    ssize_t n = ::recv(fd, body.data() + got, length - got, 0);
    if (n <= 0) return "";
    got += static_cast<size_t>(n);
  }
  return data + body;
}

// Idle keep-alive connections are parked (no worker each) and served again when a request
// arrives; pipelined requests are answered in order.
TEST_F(S3Compat, KeepAliveConnectionsAreParkedAndServedAgain) {
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/ka", "", {}, "keep-alive body").status, 200);
  size_t idle_before = daemon_.http().idle_connections();
  std::string get = client_.Build("GET", "/" + bucket_ + "/ka", "", {}, "", std::nullopt);
  get.erase(get.find("Connection: close\r\n"), std::string("Connection: close\r\n").size());
  const int kConnections = 48;  // more than the in-process daemon's 32 workers
  std::vector<int> fds;
  for (int i = 0; i < kConnections; ++i) {
    int fd = ConnectLoopback(client_.port(), 10);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
    std::string response = ReadOneResponse(fd);
    ASSERT_NE(response.find("keep-alive body"), std::string::npos) << response;
    EXPECT_NE(response.find("Keep-Alive: timeout=30"), std::string::npos) << response;
    fds.push_back(fd);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (daemon_.http().idle_connections() < idle_before + kConnections &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_GE(daemon_.http().idle_connections(), idle_before + kConnections);
  for (int fd : fds) {  // two pipelined requests on each parked connection
    std::string twice = get + get;
    ASSERT_EQ(::send(fd, twice.data(), twice.size(), MSG_NOSIGNAL), static_cast<ssize_t>(twice.size()));
    EXPECT_NE(ReadOneResponse(fd).find("keep-alive body"), std::string::npos);
    EXPECT_NE(ReadOneResponse(fd).find("keep-alive body"), std::string::npos);
    ::close(fd);
  }
}

}  // namespace
}  // namespace natss3::s3d::test
