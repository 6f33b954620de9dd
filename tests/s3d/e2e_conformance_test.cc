// End to end, the natss3d binary driven by boto3 and the aws CLI on S3 conformance details:
// the versioning surface of an unversioned store (how conformance harnesses empty a bucket),
// bucket lifecycle, ETags of objects other NATS clients wrote, metadata and listing paging.
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e_fixture.h"
#include "s3_test_client.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::RunCommand;
using natss3::test::TempDir;

constexpr const char* kAccess = "AKE2ECONFORMKEY";
constexpr const char* kSecret = "e2e-conformance-secret";

class S3Conformance2e : public E2eSuite {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(StartSuite({{kAccess, kSecret}}));
    daemon_ = StartSuiteDaemon({});
  }
  // Runs one section of boto3_conformance.py.
  void Boto3(const std::string& section, const std::string& bucket) {
    ExpectScriptOk("boto3_conformance.py", {daemon_->endpoint(), bucket, section}, section + " OK");
  }
  int Aws(std::vector<std::string> args, std::string* out = nullptr,
          const std::string& binary = "aws") {
    return AwsOn(*daemon_, binary, args, out, std::chrono::seconds(120));
  }
  static inline Daemon* daemon_ = nullptr;
};

TEST_F(S3Conformance2e, Boto3VersionsListingAndNullVersionDeletes) {
  Boto3("versions", "b3-versions");
}

TEST_F(S3Conformance2e, Boto3BucketLifecycle) { Boto3("lifecycle", "b3-lifecycle"); }

TEST_F(S3Conformance2e, Boto3MetadataAndListingPaging) { Boto3("details", "b3-details"); }

// aws CLI v1 (first on PATH) and v2 (/usr/bin/aws): list-object-versions, then delete-objects
// with the listed (null) version ids.
TEST_F(S3Conformance2e, AwsCliEmptiesABucketThroughItsVersions) {
  std::vector<std::string> clis = {"aws"};
  if (std::filesystem::exists("/usr/bin/aws")) clis.push_back("/usr/bin/aws");
  for (const std::string& aws : clis) {
    SCOPED_TRACE(aws);
    ASSERT_EQ(Aws({"s3", "mb", "s3://cli-versions"}, nullptr, aws), 0);
    std::string file = work_.File("body");
    ASSERT_TRUE(natss3::test::WriteFile(file, "hello"));
    for (const char* key : {"a", "b/c", "d e"}) {
      ASSERT_EQ(
          Aws({"s3api", "put-object", "--bucket", "cli-versions", "--key", key, "--body", file},
              nullptr, aws),
          0);
    }
    std::string out;
    ASSERT_EQ(Aws({"s3api", "list-object-versions", "--bucket", "cli-versions", "--query",
                   "{Objects: Versions[].{Key: Key, VersionId: VersionId}}", "--output", "json"},
                  &out, aws),
              0)
        << out;
    EXPECT_NE(out.find("\"VersionId\": \"null\""), std::string::npos) << out;
    ASSERT_TRUE(natss3::test::WriteFile(work_.File("delete.json"), out));
    ASSERT_EQ(Aws({"s3api", "delete-objects", "--bucket", "cli-versions", "--delete",
                   "file://" + work_.File("delete.json")},
                  &out, aws),
              0)
        << out;
    EXPECT_EQ(out.find("Errors"), std::string::npos) << out;
    ASSERT_EQ(Aws({"s3api", "list-object-versions", "--bucket", "cli-versions"}, &out, aws), 0);
    EXPECT_EQ(out.find("\"Key\""), std::string::npos) << out;
    EXPECT_EQ(Aws({"s3", "rb", "s3://cli-versions"}, &out, aws), 0) << out;
  }
}

// Objects nats.go and natss3ctl wrote, fetched and checked by rclone: nats.go records only a
// SHA-256, and an ETag of an MD5's form made rclone report "corrupted on transfer: md5 hash
// differ".
TEST_F(S3Conformance2e, RcloneCopiesObjectsOtherNatsClientsWrote) {
  if (!Have("rclone")) GTEST_SKIP() << "rclone is not installed";
  if (!std::filesystem::exists(NATSS3_GO_OSTOOL)) GTEST_SKIP() << "the nats.go tool was not built";
  ASSERT_EQ(Aws({"s3", "mb", "s3://foreign-writers"}), 0);
  std::string data = natss3::test::RandomBytes(300000, 9);
  std::string file = work_.File("data.bin");
  ASSERT_TRUE(natss3::test::WriteFile(file, data));
  std::string out;
  ASSERT_EQ(RunCommand({NATSS3_GO_OSTOOL, "put", "-s", nats_->url(), "-bucket", "foreign-writers",
                        "-name", "by-nats-go.bin", "-file", file},
                       &out, std::chrono::seconds(60)),
            0)
      << out;
  ASSERT_EQ(RunCommand({NATSS3CTL_PATH, "put", "-s", nats_->url(), "foreign-writers", file,
                        "--name", "by-natss3ctl.bin", "--no-progress"},
                       &out, std::chrono::seconds(60)),
            0)
      << out;
  ASSERT_EQ(
      Aws({"s3api", "head-object", "--bucket", "foreign-writers", "--key", "by-nats-go.bin"}, &out),
      0)
      << out;
  EXPECT_NE(out.find("-1\\\""), std::string::npos) << "a SHA-256 ETag has the -1 suffix: " << out;

  std::map<std::string, std::string> env = RcloneEnv(*daemon_);
  std::string local = work_.File("copied");
  int rc = RunCommand({"rclone", "copy", "n3:foreign-writers", local}, &out,
                      std::chrono::seconds(120), env);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out.find("corrupted"), std::string::npos) << out;
  EXPECT_TRUE(natss3::test::ReadFile(local + "/by-nats-go.bin") == data);
  EXPECT_TRUE(natss3::test::ReadFile(local + "/by-natss3ctl.bin") == data);
  rc = RunCommand({"rclone", "check", local, "n3:foreign-writers"}, &out, std::chrono::seconds(120),
                  env);
  EXPECT_EQ(rc, 0) << out;
}

}  // namespace
}  // namespace natss3::s3d::test
