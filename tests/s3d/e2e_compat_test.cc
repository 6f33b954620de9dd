// End to end, the natss3d binary with real clients on what S3 clients rely on: checksums sent
// in aws-chunked trailers (aws CLI v1/v2 and boto3 over HTTPS) come back on HEAD/GET, curl's
// SigV4 CreateBucket without Content-Length, Range handling, a clear error for a missing
// --credentials file, and a fast graceful SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "auth/checksums.h"
#include "e2e_fixture.h"
#include "s3_test_client.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::RunCommand;
using natss3::test::TempDir;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kAccess = "AKE2ECOMPATKEY";
constexpr const char* kSecret = "e2e-compat-secret";

std::string Crc32Base64(const std::string& data) {
  s3::Checksum crc(s3::ChecksumAlgorithm::kCrc32);
  crc.Update(data);
  return crc.Base64();
}

// A suite-wide nats-server, credentials, a TLS certificate and two daemons (HTTPS: botocore
// sends trailers only over TLS; plain HTTP for curl and raw sockets).
class S3Compat2e : public E2eSuite {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(StartSuite({{kAccess, kSecret}}));
    https_ = StartSuiteDaemon(TlsFlags(), /*tls=*/true);
    http_ = StartSuiteDaemon({});
  }
  int Aws(const std::string& binary, std::vector<std::string> args, std::string* out = nullptr) {
    std::string output;
    int rc = AwsOn(*https_, binary, args, &output, std::chrono::seconds(120));
    if (out) *out = output;
    EXPECT_EQ(rc, 0) << binary << " " << args[0] << " " << args[1] << ": " << output;
    return rc;
  }
  // aws s3api put-object (trailer CRC32), then head-object --checksum-mode ENABLED.
  void PutAndHeadChecksum(const std::string& aws, const std::string& bucket, size_t size,
                          std::vector<std::string> put_extra = {}) {
    std::string data = natss3::test::RandomBytes(size, static_cast<int>(size % 1000));
    std::string file = work_.File("body" + std::to_string(size));
    ASSERT_TRUE(natss3::test::WriteFile(file, data));
    std::string key = "k" + std::to_string(size);
    std::vector<std::string> put = {"s3api", "put-object", "--bucket", bucket, "--key", key, "--body", file};
    put.insert(put.end(), put_extra.begin(), put_extra.end());
    std::string out;
    ASSERT_EQ(Aws(aws, put, &out), 0);
    EXPECT_NE(out.find(Crc32Base64(data)), std::string::npos) << out;
    ASSERT_EQ(Aws(aws, {"s3api", "head-object", "--bucket", bucket, "--key", key, "--checksum-mode", "ENABLED"}, &out), 0);
    EXPECT_NE(out.find("\"ChecksumCRC32\": \"" + Crc32Base64(data) + "\""), std::string::npos)
        << aws << " " << size << ": " << out;
  }
  static inline Daemon* https_ = nullptr;
  static inline Daemon* http_ = nullptr;
};

TEST_F(S3Compat2e, Boto3TrailerChecksumsAndRanges) {
  ExpectScriptOk("boto3_checksums.py", {https_->endpoint(), "boto3-trailers"},
                 "boto3 checksums OK");
}

TEST_F(S3Compat2e, AwsCliTrailerChecksums) {
  ASSERT_EQ(Aws("aws", {"s3", "mb", "s3://cli-trailers"}), 0);
  // Larger than natss3d's 256 KiB write slice: the checksum is added after the commit (smaller
  // bodies, with the checksum in the first meta, are covered by the boto3 script).
  PutAndHeadChecksum("aws", "cli-trailers", 700000);
  if (std::filesystem::exists("/usr/bin/aws")) {       // v2.9 sends a trailer when asked to
    PutAndHeadChecksum("/usr/bin/aws", "cli-trailers", 400000, {"--checksum-algorithm", "CRC32"});
  }
  // A syntactically invalid Range is ignored (whole object), as S3 does.
  std::string out;
  ASSERT_EQ(Aws("aws", {"s3api", "get-object", "--bucket", "cli-trailers", "--key", "k700000",
                        "--range", "bytes=abc", work_.File("whole")}, &out), 0);
  EXPECT_EQ(std::filesystem::file_size(work_.File("whole")), 700000u) << out;
}

TEST_F(S3Compat2e, CurlCreateBucketWithoutContentLengthAndRanges) {
  std::string base = http_->endpoint();
  std::vector<std::string> curl = {"curl", "-s", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                                   std::string(kAccess) + ":" + kSecret};
  auto run = [&](std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv = curl;
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, out, std::chrono::seconds(30));
  };
  std::string out;
  // curl -X PUT sends neither Content-Length nor (curl 7.x) x-amz-content-sha256.
  ASSERT_EQ(run({"-X", "PUT", "-o", "/dev/null", "-w", "%{http_code}", base + "/curl-bucket"}, &out), 0);
  EXPECT_EQ(out, "200");
  std::string data = natss3::test::RandomBytes(100000, 11);
  natss3::test::WriteFile(work_.File("data"), data);
  ASSERT_EQ(run({"-X", "PUT", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "--data-binary",
                 "@" + work_.File("data"), "-o", "/dev/null", "-w", "%{http_code}",
                 base + "/curl-bucket/obj"}, &out), 0);
  EXPECT_EQ(out, "200");
  ASSERT_EQ(run({"-H", "Range: bytes=abc", "-o", work_.File("whole"), "-w", "%{http_code}",
                 base + "/curl-bucket/obj"}, &out), 0);
  EXPECT_EQ(out, "200") << "invalid Range ignored";
  EXPECT_EQ(natss3::test::ReadFile(work_.File("whole")), data);
  ASSERT_EQ(run({"-r", "10-19", "-o", work_.File("part"), "-w", "%{http_code}", base + "/curl-bucket/obj"}, &out), 0);
  EXPECT_EQ(out, "206");
  EXPECT_EQ(natss3::test::ReadFile(work_.File("part")), data.substr(10, 10));
  ASSERT_EQ(run({"-r", "100000-", base + "/curl-bucket/obj"}, &out), 0);
  EXPECT_NE(out.find("<Code>InvalidRange</Code>"), std::string::npos) << out;
  ASSERT_EQ(run({"-I", "-H", "Range: bytes=9-3", base + "/curl-bucket/obj"}, &out), 0);
  EXPECT_EQ(out.substr(0, 15), "HTTP/1.1 200 OK") << out;
  EXPECT_NE(out.find("Content-Length: 100000"), std::string::npos) << out;
}

TEST(S3Credentials, MissingExplicitFileIsAClearStartupError) {
  TempDir dir;
  std::string out;
  // Embedded mode: the error comes before any nats-server is started.
  auto start = SteadyClock::now();
  int rc = RunCommand({NATSS3D_PATH, "--listen", "127.0.0.1:0", "--data-dir", dir.File("data"),
                       "--credentials", dir.File("typo.json")}, &out, std::chrono::seconds(30));
  EXPECT_EQ(rc, 2) << out;
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(10));
  EXPECT_NE(out.find(dir.File("typo.json") + " does not exist (set by --credentials)"), std::string::npos) << out;
  EXPECT_NE(out.find("does not create a credentials file you name"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.File("typo.json"))) << "not created";
  EXPECT_FALSE(std::filesystem::exists(dir.File("data/nats-server.log"))) << "no nats-server started";
  rc = RunCommand({NATSS3D_PATH, "--listen", "127.0.0.1:0", "--data-dir", dir.File("data")}, &out,
                  std::chrono::seconds(30), {{"NATSS3_CREDENTIALS", dir.File("env.json")}});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("(set by NATSS3_CREDENTIALS)"), std::string::npos) << out;
}

// A raw keep-alive connection.
int Connect(int port) { return ConnectLoopback(port, 20); }

// Reads one response; returns its body length, or -1. `delay` slows the reader down.
long ReadResponse(int fd, std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd, &c, 1, 0) != 1) return -1;
    head += c;
  }
  size_t at = head.find("Content-Length: ");
  if (at == std::string::npos) return -1;
  long length = std::stol(head.substr(at + 16)), got = 0;
  std::vector<char> buf(256 * 1024);
  while (got < length) {
    ssize_t n = ::recv(fd, buf.data(), std::min<size_t>(buf.size(), length - got), 0);
    if (n <= 0) break;
    got += n;
    std::this_thread::sleep_for(delay);
  }
  return got;
}

TEST(S3Shutdown, SigtermClosesIdleConnectionsAtOnceAndFinishesRequestsInProgress) {
  auto nats = natss3::test::NatsServer::Start();
  ASSERT_NE(nats, nullptr);
  Daemon daemon({"--nats-servers", nats->url(), "--anonymous"});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  S3TestClient client(daemon.port(), "", "");
  ASSERT_EQ(client.Anonymous("PUT", "/shutdown").status, 200);
  const long size = 24 << 20;
  ASSERT_EQ(client.Anonymous("PUT", "/shutdown/big", natss3::test::RandomBytes(size, 3)).status, 200);
  // Idle keep-alive connections: httplib 0.11 held each one open (and the stop) for up to its
  // keep-alive timeout.
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) {
    int fd = Connect(daemon.port());
    ASSERT_GE(fd, 0);
    std::string ping = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(fd, ping.data(), ping.size(), 0), static_cast<ssize_t>(ping.size()));
    ASSERT_EQ(ReadResponse(fd), 3);
    idle.push_back(fd);
  }
  int busy = Connect(daemon.port());
  std::string get = "GET /shutdown/big HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(busy, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the response has started
  auto signalled = SteadyClock::now();
  daemon.process().Signal(SIGTERM);
  for (int fd : idle) {
    char c;
    EXPECT_EQ(::recv(fd, &c, 1, 0), 0) << "idle connection closed by the server";
    ::close(fd);
  }
  EXPECT_LT(SteadyClock::now() - signalled, std::chrono::seconds(3));
  // The download in progress is served whole, read slowly (about 1.5 s).
  EXPECT_EQ(ReadResponse(busy, std::chrono::milliseconds(15)), size);
  ::close(busy);
  auto read_done = SteadyClock::now();
  EXPECT_EQ(daemon.process().Wait(std::chrono::seconds(10)), 0) << daemon.log();
  EXPECT_LT(SteadyClock::now() - read_done, std::chrono::seconds(3)) << daemon.log();
  EXPECT_EQ(natss3::test::WaitForPort(daemon.port(), std::chrono::milliseconds(200)), false);
}

}  // namespace
}  // namespace natss3::s3d::test
