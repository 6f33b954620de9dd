// End to end, natss3d against request smuggling and log leaks: a request body a handler did
// not read is never parsed as the next request (the response says "Connection: close", or the
// rest is skipped), and the access log never shows presigned-URL secrets or Authorization.
#include <gtest/gtest.h>
#include <poll.h>

#include "hostile_fixture.h"

namespace natss3::s3d::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class S3Desync : public HostileClients {
 protected:
  void SetUp() override {
    daemon_ = StartDaemon({});
    ASSERT_TRUE(daemon_->started());
    full_ = std::make_unique<S3TestClient>(daemon_->port());
    read_only_ = std::make_unique<S3TestClient>(daemon_->port(), kReadKey, kReadSecret);
    bucket_ = UniqueBucket("desync");
    ASSERT_EQ(full_->Send("PUT", "/" + bucket_).status, 200);
  }
  // A complete CreateBucket request, validly signed: if its bytes were ever parsed as a
  // request, the bucket would exist.
  std::string Smuggled(const std::string& bucket) {
    return KeepAlive(full_->Build("PUT", "/" + bucket, "", {}, "", {}));
  }
  bool BucketExists(const std::string& bucket) {
    return full_->Send("HEAD", "/" + bucket).status == 200;
  }
  // After the first response on `connection`: the only other response allowed is the
  // pipelined /healthz (or none, the connection closed). Returns what came.
  void ExpectNothingButHealthz(RawConnection& connection) {
    while (auto next = connection.Read(seconds(3))) {
      EXPECT_EQ(next->status, 200) << next->body;
      EXPECT_EQ(next->body, "ok\n") << "a response to bytes of the body";
    }
  }
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<S3TestClient> full_, read_only_;
  std::string bucket_;
};

constexpr const char* kPipelinedHealthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

// AccessDenied (a read-only key) to a PUT whose body is a request.
TEST_F(S3Desync, RefusedPutBodyIsNeverExecuted) {
  auto connection = RawConnection::Open(daemon_->port());
  ASSERT_TRUE(connection);
  std::string put = KeepAlive(read_only_->Build("PUT", "/" + bucket_ + "/k", "", {}, Smuggled("smuggled-denied"), {}));
  connection->Send(put + kPipelinedHealthz);
  auto first = connection->Read(seconds(5));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 403);
  EXPECT_EQ(first->ErrorCode(), "AccessDenied");
  EXPECT_TRUE(first->SaysClose()) << "an error response to a request with an unread body";
  ExpectNothingButHealthz(*connection);
  EXPECT_FALSE(BucketExists("smuggled-denied")) << "the body was executed as a request";
}

// NoSuchBucket to a PUT whose body is a request.
TEST_F(S3Desync, PutToMissingBucketBodyIsNeverExecuted) {
  auto connection = RawConnection::Open(daemon_->port());
  ASSERT_TRUE(connection);
  connection->Send(KeepAlive(full_->Build("PUT", "/no-such-bucket/k", "", {},
                                          Smuggled("smuggled-missing"), {})) +
                   kPipelinedHealthz);
  auto first = connection->Read(seconds(5));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 404);
  EXPECT_EQ(first->ErrorCode(), "NoSuchBucket");
  EXPECT_TRUE(first->SaysClose());
  ExpectNothingButHealthz(*connection);
  EXPECT_FALSE(BucketExists("smuggled-missing"));
}

// GET with a small body: answered, the body skipped, the pipelined request answered.
TEST_F(S3Desync, GetBodyIsSkippedAndTheConnectionKept) {
  auto connection = RawConnection::Open(daemon_->port());
  ASSERT_TRUE(connection);
  std::string body = Smuggled("smuggled-get");
  connection->Send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body + kPipelinedHealthz);
  auto first = connection->Read(seconds(5));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_FALSE(first->SaysClose()) << "a small unread body after a success is skipped";
  auto second = connection->Read(seconds(5));
  ASSERT_TRUE(second) << "the pipelined request after the skipped body";
  EXPECT_EQ(second->body, "ok\n");
  ExpectNothingButHealthz(*connection);
  EXPECT_FALSE(BucketExists("smuggled-get"));
  // A signed GET of an object with a body is skipped the same way.
  ASSERT_EQ(full_->Send("PUT", "/" + bucket_ + "/obj", "", {}, "content").status, 200);
  connection = RawConnection::Open(daemon_->port());
  std::string get = KeepAlive(full_->Build("GET", "/" + bucket_ + "/obj", "", {}, body, {}));
  connection->Send(get + kPipelinedHealthz);
  auto object = connection->Read(seconds(5));
  ASSERT_TRUE(object);
  EXPECT_EQ(object->body, "content");
  ExpectNothingButHealthz(*connection);
}

// Bodies that cannot be skipped cheaply close the connection after the response.
TEST_F(S3Desync, UnskippableBodiesCloseTheConnection) {
  // Chunked.
  std::string smuggled = Smuggled("smuggled-chunked");
  char size[16];
  std::snprintf(size, sizeof(size), "%zx", smuggled.size());
  auto connection = RawConnection::Open(daemon_->port());
  connection->Send(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n") +
                   size + "\r\n" + smuggled + "\r\n0\r\n\r\n" + kPipelinedHealthz);
  auto first = connection->Read(seconds(5));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_TRUE(first->SaysClose());
  EXPECT_FALSE(connection->Read(seconds(3))) << "nothing after Connection: close";
  // Larger than the drain limit (1 MiB), not even sent.
  connection = RawConnection::Open(daemon_->port());
  connection->Send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
  first = connection->Read(seconds(5));
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->SaysClose());
  EXPECT_TRUE(connection->WaitClosed(seconds(5)));
  // Expect: 100-continue refused: the client may never send the body, or send it anyway.
  connection = RawConnection::Open(daemon_->port());
  std::string body = Smuggled("smuggled-expect");
  std::string put = KeepAlive(read_only_->Build("PUT", "/" + bucket_ + "/e", "", {{"expect", "100-continue"}},
                                                body, {}));
  connection->Send(put.substr(0, put.size() - body.size()));
  first = connection->Read(seconds(5));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 403);
  EXPECT_TRUE(first->SaysClose());
  connection->Send(body + kPipelinedHealthz);
  ExpectNothingButHealthz(*connection);
  EXPECT_FALSE(BucketExists("smuggled-chunked"));
  EXPECT_FALSE(BucketExists("smuggled-expect"));
}

// Framing that httplib and a proxy could read differently is refused.
TEST_F(S3Desync, AmbiguousFramingIsRefused) {
  auto refuse = [&](const std::string& headers, int status) {
    auto connection = RawConnection::Open(daemon_->port());
    connection->Send("PUT /" + bucket_ + "/x HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" +
                     Smuggled("smuggled-framing"));
    auto response = connection->Read(seconds(5));
    ASSERT_TRUE(response) << headers;
    EXPECT_EQ(response->status, status) << headers;
    EXPECT_TRUE(response->SaysClose()) << headers;
    EXPECT_TRUE(connection->WaitClosed(seconds(5))) << headers;
  };
  refuse("Content-Length: 5\r\nContent-Length: 50\r\n", 400);
  refuse("Content-Length: -1\r\n", 400);
  refuse("Transfer-Encoding: gzip, chunked\r\n", 501);
  EXPECT_FALSE(BucketExists("smuggled-framing"));
}

// The access log shows neither presigned-URL secrets nor the Authorization header.
TEST_F(S3Desync, AccessLogRedactsSecrets) {
  auto daemon = StartDaemon({"--access-log", "true"});
  ASSERT_TRUE(daemon->started());
  S3TestClient client(daemon->port());
  std::string bucket = UniqueBucket("logged");
  ASSERT_EQ(client.Send("PUT", "/" + bucket).status, 200);
  std::string presigned = client.Presign("/" + bucket + "/k", seconds(300));
  std::string signature = presigned.substr(presigned.find("X-Amz-Signature=") + 16);
  std::string credential = presigned.substr(presigned.find("X-Amz-Credential=") + 17);
  credential = credential.substr(0, credential.find('&'));
  auto connection = RawConnection::Open(daemon->port());
  connection->Send(PlainGet(presigned + "&X-Amz-Security-Token=SECRET-SESSION-TOKEN"));
  ASSERT_TRUE(connection->Read(seconds(5)));
  std::string signed_get = client.Build("GET", "/" + bucket + "/k", "", {}, "", {});
  std::string header_signature = signed_get.substr(signed_get.find("Signature=") + 10, 64);
  connection = RawConnection::Open(daemon->port());
  connection->Send(signed_get);
  ASSERT_TRUE(connection->Read(seconds(5)));
  // The log line follows the response: poll for it.
  std::string log = daemon->log();
  for (auto deadline = std::chrono::steady_clock::now() + seconds(10);
       std::count(log.begin(), log.end(), '\n') < 3 || log.find("Signature=REDACTED") == std::string::npos ||
       log.find("\"GET /" + bucket + "/k\"") == std::string::npos;
       log = daemon->log()) {
    if (std::chrono::steady_clock::now() > deadline) break;
    ::poll(nullptr, 0, 20);
  }
  EXPECT_NE(log.find("X-Amz-Signature=REDACTED"), std::string::npos) << log;
  EXPECT_EQ(log.find(signature), std::string::npos) << "presigned signature in the log";
  EXPECT_EQ(log.find(credential), std::string::npos) << "credential scope in the log";
  EXPECT_EQ(log.find("SECRET-SESSION-TOKEN"), std::string::npos);
  EXPECT_EQ(log.find(header_signature), std::string::npos) << "Authorization in the log";
  EXPECT_EQ(log.find("Authorization"), std::string::npos);
  EXPECT_NE(log.find("X-Amz-Credential=" + std::string(kFullKey) + "/REDACTED"), std::string::npos)
      << "the access key ID stays visible";
}

}  // namespace
}  // namespace natss3::s3d::test
