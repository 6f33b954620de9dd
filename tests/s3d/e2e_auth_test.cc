// End-to-end tests with real clients of natss3d's other authentication forms, SigV2 (boto3
// signature_version "s3", aws CLI v1 presign + curl), and of storage classes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "e2e_daemon.h"
#include "support/nats_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::RunCommand;
using natss3::test::TempDir;

constexpr const char* kAccess = "AKAUTHE2EKEY";
constexpr const char* kSecret = "auth-e2e-secret/value+";
constexpr const char* kReadOnlyAccess = "AKREADONLYKEY";
constexpr const char* kReadOnlySecret = "read-only-secret";

class S3AuthEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    nats_ = natss3::test::NatsServer::Start().release();
    ASSERT_NE(nats_, nullptr);
    creds_ = new TempDir("natss3-auth-e2e-creds");
    std::ofstream(creds_->File("credentials.json"))
        << "{\"credentials\":[{\"access_key\":\"" << kAccess << "\",\"secret_key\":\"" << kSecret
        << "\",\"read\":[\"*\"],\"write\":[\"*\"]},{\"access_key\":\"" << kReadOnlyAccess
        << "\",\"secret_key\":\"" << kReadOnlySecret << "\",\"read\":[\"*\"],\"write\":[]}]}";
    daemon_ = new Daemon(
        {"--nats-servers", nats_->url(), "--credentials", creds_->File("credentials.json")});
    ASSERT_TRUE(daemon_->started()) << daemon_->log();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete creds_;
    delete nats_;
  }
  // No signature_version in the config: aws CLI v1 presigns with SigV2 then.
  std::map<std::string, std::string> Env() {
    std::string config = work_.File("aws-config");
    natss3::test::WriteFile(config, "[default]\nregion = us-east-1\n");
    return {{"AWS_ACCESS_KEY_ID", kAccess},
            {"AWS_SECRET_ACCESS_KEY", kSecret},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"HOME", work_.path()},
            {"AWS_CONFIG_FILE", config},
            {"AWS_SHARED_CREDENTIALS_FILE", work_.File("none")},
            {"AWS_PAGER", ""}};
  }
  int Run(std::vector<std::string> argv, std::string* out) {
    return RunCommand(argv, out, std::chrono::seconds(240), Env());
  }
  std::string Script(const std::string& name) { return std::string(S3D_TEST_SCRIPTS) + "/" + name; }

  static natss3::test::NatsServer* nats_;
  static TempDir* creds_;
  static Daemon* daemon_;
  TempDir work_{"natss3-auth-e2e"};
};

natss3::test::NatsServer* S3AuthEndToEnd::nats_ = nullptr;
TempDir* S3AuthEndToEnd::creds_ = nullptr;
Daemon* S3AuthEndToEnd::daemon_ = nullptr;

// boto3 with signature_version "s3": every everyday call, presigned URLs, expiry, skew,
// permissions (boto3_sigv2.py).
TEST_F(S3AuthEndToEnd, SigV2Boto3) {
  std::string out;
  int rc = Run(
      {"python3", Script("boto3_sigv2.py"), daemon_->endpoint(), kReadOnlyAccess, kReadOnlySecret},
      &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("sigv2 OK"), std::string::npos) << out;
}

// aws CLI v1's `s3 presign` makes SigV2 query URLs; curl fetches them.
TEST_F(S3AuthEndToEnd, SigV2AwsCliV1PresignWithCurl) {
  std::string out;
  const std::vector<std::string> aws = {"aws", "--endpoint-url", daemon_->endpoint()};
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = aws;
    argv.insert(argv.end(), args.begin(), args.end());
    int rc = Run(argv, &out);
    EXPECT_EQ(rc, 0) << out;
    return out;
  };
  cli({"s3", "mb", "s3://presign-v2"});
  natss3::test::WriteFile(work_.File("src"), "presigned by aws cli v1\n");
  cli({"s3", "cp", "--only-show-errors", work_.File("src"), "s3://presign-v2/some dir/file.txt"});
  std::string url =
      cli({"s3", "presign", "s3://presign-v2/some dir/file.txt", "--expires-in", "300"});
  url = url.substr(0, url.find('\n'));
  ASSERT_NE(url.find("AWSAccessKeyId="), std::string::npos) << url;
  std::string fetched;
  EXPECT_EQ(RunCommand({"curl", "-sS", "-f", "-o", work_.File("dst"), url}, &fetched), 0)
      << fetched;
  EXPECT_EQ(natss3::test::ReadFile(work_.File("dst")), "presigned by aws cli v1\n");
  // A changed key is not covered by the signature.
  std::string other = url;
  other.replace(other.find("file.txt"), 8, "file.tx2");
  std::string body;
  RunCommand({"curl", "-sS", "-o", "-", "-w", "%{http_code}", other}, &body);
  EXPECT_NE(body.find("SignatureDoesNotMatch"), std::string::npos) << body;
  EXPECT_NE(body.find("403"), std::string::npos) << body;
  cli({"s3", "rm", "--only-show-errors", "--recursive", "s3://presign-v2"});
  cli({"s3", "rb", "s3://presign-v2"});
}

// x-amz-storage-class validated and kept on PUT, copy and multipart, shown by HEAD, GET and
// every listing (boto3_storage_class.py).
TEST_F(S3AuthEndToEnd, StorageClassesBoto3) {
  std::string out;
  int rc = Run({"python3", Script("boto3_storage_class.py"), daemon_->endpoint()}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("storage class OK"), std::string::npos) << out;
}

}  // namespace
}  // namespace natss3::s3d::test
