// End-to-end S3 Object Lock through the natss3d binary: boto3 (boto3_object_lock.py) with a key
// that may bypass governance retention and one that may not, and aws CLI v2 s3api.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
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

constexpr const char* kAdmin = "AKLOCKADMIN";
constexpr const char* kAdminSecret = "lock-admin-secret";
constexpr const char* kPlain = "AKLOCKWRITER";
constexpr const char* kPlainSecret = "lock-writer-secret";

class S3ObjectLockEndToEnd : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    nats_ = natss3::test::NatsServer::Start().release();
    ASSERT_NE(nats_, nullptr);
    creds_ = new TempDir("natss3-lock-e2e-creds");
    std::ofstream(creds_->File("credentials.json"))
        << "{\"credentials\":[{\"access_key\":\"" << kAdmin << "\",\"secret_key\":\""
        << kAdminSecret
        << "\",\"read\":[\"*\"],\"write\":[\"*\"],\"bypass_governance\":[\"*\"]},"
           "{\"access_key\":\""
        << kPlain << "\",\"secret_key\":\"" << kPlainSecret
        << "\",\"read\":[\"*\"],\"write\":[\"*\"]}]}";
    daemon_ = new Daemon(
        {"--nats-servers", nats_->url(), "--credentials", creds_->File("credentials.json")});
    ASSERT_TRUE(daemon_->started()) << daemon_->log();
  }
  static void TearDownTestSuite() {
    delete daemon_;
    delete creds_;
    delete nats_;
  }
  std::map<std::string, std::string> Env(const char* key, const char* secret) {
    std::string config = work_.File("aws-config");
    natss3::test::WriteFile(config, "[default]\nregion = us-east-1\n");
    return {{"AWS_ACCESS_KEY_ID", key},
            {"AWS_SECRET_ACCESS_KEY", secret},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"HOME", work_.path()},
            {"AWS_CONFIG_FILE", config},
            {"AWS_SHARED_CREDENTIALS_FILE", work_.File("none")},
            {"AWS_PAGER", ""}};
  }
  std::string Script(const std::string& name) { return std::string(S3D_TEST_SCRIPTS) + "/" + name; }
  // aws CLI v2 (/usr/bin/aws) s3api with the plain key (or the admin key).
  int AwsV2(std::vector<std::string> args, std::string* out, bool admin = false) {
    std::vector<std::string> argv = {"/usr/bin/aws", "--endpoint-url", daemon_->endpoint(),
                                     "s3api"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, out, std::chrono::seconds(120),
                      admin ? Env(kAdmin, kAdminSecret) : Env(kPlain, kPlainSecret));
  }

  static natss3::test::NatsServer* nats_;
  static TempDir* creds_;
  static Daemon* daemon_;
  TempDir work_{"natss3-lock-e2e"};
};

natss3::test::NatsServer* S3ObjectLockEndToEnd::nats_ = nullptr;
TempDir* S3ObjectLockEndToEnd::creds_ = nullptr;
Daemon* S3ObjectLockEndToEnd::daemon_ = nullptr;

TEST_F(S3ObjectLockEndToEnd, Boto3) {
  std::string out;
  int rc = RunCommand({"python3", Script("boto3_object_lock.py"), daemon_->endpoint(), kAdmin,
                       kAdminSecret, kPlain, kPlainSecret},
                      &out, std::chrono::seconds(240), Env(kPlain, kPlainSecret));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("object lock OK"), std::string::npos) << out;
}

std::string InOneHour() {
  std::time_t t = std::time(nullptr) + 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

TEST_F(S3ObjectLockEndToEnd, AwsCliV2) {
  if (!std::filesystem::exists("/usr/bin/aws")) GTEST_SKIP() << "no aws CLI v2";
  std::string out;
  ASSERT_EQ(
      AwsV2({"create-bucket", "--bucket", "lock-cli", "--object-lock-enabled-for-bucket"}, &out), 0)
      << out;
  ASSERT_EQ(AwsV2({"get-object-lock-configuration", "--bucket", "lock-cli"}, &out), 0) << out;
  EXPECT_NE(out.find("\"ObjectLockEnabled\": \"Enabled\""), std::string::npos) << out;
  natss3::test::WriteFile(work_.File("body"), "locked by aws cli v2\n");
  ASSERT_EQ(
      AwsV2({"put-object", "--bucket", "lock-cli", "--key", "doc.txt", "--body", work_.File("body"),
             "--object-lock-mode", "COMPLIANCE", "--object-lock-retain-until-date", InOneHour()},
            &out),
      0)
      << out;
  ASSERT_EQ(AwsV2({"get-object-retention", "--bucket", "lock-cli", "--key", "doc.txt"}, &out), 0)
      << out;
  EXPECT_NE(out.find("COMPLIANCE"), std::string::npos) << out;
  EXPECT_NE(AwsV2({"delete-object", "--bucket", "lock-cli", "--key", "doc.txt",
                   "--bypass-governance-retention"},
                  &out, /*admin=*/true),
            0);
  EXPECT_NE(out.find("AccessDenied"), std::string::npos) << out;
  EXPECT_NE(AwsV2({"put-object", "--bucket", "lock-cli", "--key", "doc.txt", "--body",
                   work_.File("body")},
                  &out),
            0);
  EXPECT_NE(out.find("AccessDenied"), std::string::npos) << out;
  ASSERT_EQ(AwsV2({"put-object-legal-hold", "--bucket", "lock-cli", "--key", "doc.txt",
                   "--legal-hold", "Status=ON"},
                  &out),
            0)
      << out;
  ASSERT_EQ(AwsV2({"head-object", "--bucket", "lock-cli", "--key", "doc.txt"}, &out), 0) << out;
  EXPECT_NE(out.find("\"ObjectLockLegalHoldStatus\": \"ON\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"ObjectLockMode\": \"COMPLIANCE\""), std::string::npos) << out;
  EXPECT_NE(AwsV2({"delete-bucket", "--bucket", "lock-cli"}, &out), 0);
  EXPECT_NE(out.find("BucketNotEmpty"), std::string::npos) << out;
}

}  // namespace
}  // namespace natss3::s3d::test
