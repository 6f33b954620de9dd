// End-to-end S3 Object Lock through the natss3d binary: boto3 (boto3_object_lock.py) with a key
// that may bypass governance retention and one that may not, and aws CLI v2 s3api.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "e2e_fixture.h"
#include "s3d/xml.h"

namespace natss3::s3d::test {
namespace {

// The key the clients use by default, and one that may bypass governance retention.
const S3Key kPlainKey{"AKLOCKWRITER", "lock-writer-secret"};
const S3Key kAdminKey{"AKLOCKADMIN", "lock-admin-secret", false, /*bypass_governance=*/true};

class S3ObjectLockEndToEnd : public E2eSuite {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(StartSuite({kPlainKey, kAdminKey}));
    daemon_ = StartSuiteDaemon({});
  }
  // aws CLI v2 (/usr/bin/aws) s3api with the plain key (or the admin key).
  int AwsV2(std::vector<std::string> args, std::string* out, bool admin = false) {
    std::vector<std::string> argv = {"/usr/bin/aws", "--endpoint-url", daemon_->endpoint(),
                                     "s3api"};
    argv.insert(argv.end(), args.begin(), args.end());
    return natss3::test::RunCommand(argv, out, std::chrono::seconds(120),
                                    EnvFor(admin ? kAdminKey : kPlainKey));
  }
  static inline Daemon* daemon_ = nullptr;
};

TEST_F(S3ObjectLockEndToEnd, Boto3) {
  ExpectScriptOk(
      "boto3_object_lock.py",
      {daemon_->endpoint(), kAdminKey.access, kAdminKey.secret, kPlainKey.access, kPlainKey.secret},
      "object lock OK", std::chrono::seconds(240));
}

std::string InOneHour() { return FormatIso8601(Clock::now() + std::chrono::hours(1)); }

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
