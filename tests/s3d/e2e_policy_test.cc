// End-to-end tests of bucket policies with real clients: boto3 (boto3_policy.py), aws CLI v2's
// s3api put/get/delete-bucket-policy, and a policy set through one natss3d reaching a second
// gateway of the same account within its 1 s cache.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "e2e_fixture.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::RunCommand;

constexpr const char* kAccess = "AKPOLICYOWNER";
constexpr const char* kSecret = "policy-owner-secret";
constexpr const char* kReadOnlyAccess = "AKPOLICYREADER";
constexpr const char* kReadOnlySecret = "policy-reader-secret";

class S3PolicyEndToEnd : public E2eSuite {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(StartSuite({{kAccess, kSecret}, {kReadOnlyAccess, kReadOnlySecret, true}}));
    daemon_ = StartSuiteDaemon({});
  }
  // The HTTP status of an unsigned GET.
  static std::string AnonymousGet(const std::string& url) {
    std::string out;
    RunCommand({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url}, &out);
    return out;
  }
  static inline Daemon* daemon_ = nullptr;
};

TEST_F(S3PolicyEndToEnd, Boto3) {
  ExpectScriptOk("boto3_policy.py", {daemon_->endpoint(), kReadOnlyAccess, kReadOnlySecret},
                 "policy OK", std::chrono::seconds(240));
}

// aws CLI v2 (/usr/bin/aws): put-bucket-policy from a file, get-bucket-policy's JSON answer,
// delete-bucket-policy, and the CLI's exit code and message for a malformed policy.
TEST_F(S3PolicyEndToEnd, AwsCliV2) {
  const std::string aws2 = "/usr/bin/aws";
  if (!Have(aws2)) GTEST_SKIP() << "no aws CLI v2";
  std::string out;
  const std::vector<std::string> base = {aws2, "--endpoint-url", daemon_->endpoint(), "s3api"};
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv, &out);
  };
  ASSERT_EQ(cli({"create-bucket", "--bucket", "policy-cli"}), 0) << out;
  EXPECT_NE(cli({"get-bucket-policy", "--bucket", "policy-cli"}), 0);
  EXPECT_NE(out.find("NoSuchBucketPolicy"), std::string::npos) << out;
  natss3::test::WriteFile(work_.File("obj"), "hello policy\n");
  ASSERT_EQ(cli({"put-object", "--bucket", "policy-cli", "--key", "site/index.html", "--body",
                 work_.File("obj")}),
            0)
      << out;
  const std::string url = daemon_->endpoint() + "/policy-cli/site/index.html";
  EXPECT_EQ(AnonymousGet(url), "403");
  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Sid":"web","Effect":"Allow",)"
      R"("Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::policy-cli/site/*"}]})";
  natss3::test::WriteFile(work_.File("policy.json"), policy);
  ASSERT_EQ(cli({"put-bucket-policy", "--bucket", "policy-cli", "--policy",
                 "file://" + work_.File("policy.json")}),
            0)
      << out;
  ASSERT_EQ(cli({"get-bucket-policy", "--bucket", "policy-cli", "--output", "text"}), 0) << out;
  EXPECT_EQ(out.substr(0, out.find_last_not_of("\n") + 1), policy);
  EXPECT_EQ(AnonymousGet(url), "200");
  EXPECT_NE(cli({"put-bucket-policy", "--bucket", "policy-cli", "--policy", "{\"Version\":1}"}), 0);
  EXPECT_NE(out.find("MalformedPolicy"), std::string::npos) << out;
  ASSERT_EQ(cli({"delete-bucket-policy", "--bucket", "policy-cli"}), 0) << out;
  EXPECT_EQ(AnonymousGet(url), "403");
  cli({"delete-object", "--bucket", "policy-cli", "--key", "site/index.html"});
  cli({"delete-bucket", "--bucket", "policy-cli"});
}

// Another gateway of the account sees a new policy and its removal within about a second.
TEST_F(S3PolicyEndToEnd, SecondGatewayWithinCacheTtl) {
  auto other = StartDaemon({});
  ASSERT_TRUE(other->started());
  std::string out;
  const std::vector<std::string> aws = {"aws", "--endpoint-url", daemon_->endpoint(), "s3api"};
  auto cli = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = aws;
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv, &out);
  };
  ASSERT_EQ(cli({"create-bucket", "--bucket", "policy-two"}), 0) << out;
  natss3::test::WriteFile(work_.File("obj2"), "x");
  ASSERT_EQ(
      cli({"put-object", "--bucket", "policy-two", "--key", "k", "--body", work_.File("obj2")}), 0)
      << out;
  const std::string url = other->endpoint() + "/policy-two/k";
  EXPECT_EQ(AnonymousGet(url), "403");  // caches "no policy" on the other gateway
  natss3::test::WriteFile(
      work_.File("p2.json"),
      R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:Get*",)"
      R"("Resource":"arn:aws:s3:::policy-two/*"}})");
  ASSERT_EQ(cli({"put-bucket-policy", "--bucket", "policy-two", "--policy",
                 "file://" + work_.File("p2.json")}),
            0)
      << out;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::string status;
  while ((status = AnonymousGet(url)) != "200" && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, "200");
  ASSERT_EQ(cli({"delete-bucket-policy", "--bucket", "policy-two"}), 0) << out;
  until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while ((status = AnonymousGet(url)) != "403" && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, "403");
  cli({"delete-object", "--bucket", "policy-two", "--key", "k"});
  cli({"delete-bucket", "--bucket", "policy-two"});
}

}  // namespace
}  // namespace natss3::s3d::test
