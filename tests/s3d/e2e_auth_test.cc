// End-to-end tests with real clients of natss3d's other authentication forms, SigV2 (boto3
// signature_version "s3", aws CLI v1 presign + curl) and presigned POST policies (boto3
// generate_presigned_post, curl -F), and of storage classes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "e2e_fixture.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::RunCommand;

constexpr const char* kAccess = "AKAUTHE2EKEY";
constexpr const char* kSecret = "auth-e2e-secret/value+";
constexpr const char* kReadOnlyAccess = "AKREADONLYKEY";
constexpr const char* kReadOnlySecret = "read-only-secret";

// No signature_version in the clients' aws config: aws CLI v1 presigns with SigV2 then.
class S3AuthEndToEnd : public E2eSuite {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(StartSuite({{kAccess, kSecret}, {kReadOnlyAccess, kReadOnlySecret, true}}));
    daemon_ = StartSuiteDaemon({"--domain", "s3.natss3.test"});
  }
  static inline Daemon* daemon_ = nullptr;
};

// boto3 with signature_version "s3": every everyday call, presigned URLs, expiry, skew,
// permissions (boto3_sigv2.py).
TEST_F(S3AuthEndToEnd, SigV2Boto3) {
  ExpectScriptOk("boto3_sigv2.py",
                 {daemon_->endpoint(), kReadOnlyAccess, kReadOnlySecret, "s3.natss3.test"},
                 "sigv2 OK", std::chrono::seconds(240));
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

// s3cmd with signature_v2 = True: multipart put, get, copy and a storage class, all SigV2.
TEST_F(S3AuthEndToEnd, SigV2S3cmd) {
  if (!Have("s3cmd")) GTEST_SKIP() << "no s3cmd";
  std::string config = S3cmdConfig(*daemon_, /*signature_v2=*/true);
  std::string out;
  auto s3cmd = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"s3cmd", "-c", config};
    argv.insert(argv.end(), args.begin(), args.end());
    int rc = Run(argv, &out);
    EXPECT_EQ(rc, 0) << args[0] << ": " << out;
    return rc;
  };
  std::string data = natss3::test::RandomBytes(12 << 20, 5);
  natss3::test::WriteFile(work_.File("src.bin"), data);
  ASSERT_EQ(s3cmd({"mb", "s3://s3cmd-v2"}), 0);
  ASSERT_EQ(s3cmd({"put", "--multipart-chunk-size-mb=5", "--storage-class=STANDARD_IA",
                   work_.File("src.bin"), "s3://s3cmd-v2/dir/a b+c.bin"}),
            0);
  ASSERT_EQ(s3cmd({"get", "--force", "s3://s3cmd-v2/dir/a b+c.bin", work_.File("dst.bin")}), 0);
  EXPECT_TRUE(natss3::test::ReadFile(work_.File("dst.bin")) == data);
  ASSERT_EQ(s3cmd({"cp", "s3://s3cmd-v2/dir/a b+c.bin", "s3://s3cmd-v2/copy.bin"}), 0);
  ASSERT_EQ(s3cmd({"info", "s3://s3cmd-v2/dir/a b+c.bin"}), 0);
  EXPECT_NE(out.find("STANDARD_IA"), std::string::npos) << out;
  ASSERT_EQ(s3cmd({"ls", "-r", "s3://s3cmd-v2"}), 0);
  EXPECT_NE(out.find("copy.bin"), std::string::npos) << out;
  s3cmd({"del", "-r", "--force", "s3://s3cmd-v2"});
  s3cmd({"rb", "s3://s3cmd-v2"});
}

// x-amz-storage-class validated and kept on PUT, copy and multipart, shown by HEAD, GET and
// every listing (boto3_storage_class.py).
TEST_F(S3AuthEndToEnd, StorageClassesBoto3) {
  ExpectScriptOk("boto3_storage_class.py", {daemon_->endpoint()}, "storage class OK", std::chrono::seconds(240));
}

// Server-side encryption of every form is 501 and stores nothing (boto3_sse.py).
TEST_F(S3AuthEndToEnd, ServerSideEncryptionRefusedBoto3) {
  std::string out;
  int rc = Run({"python3", Script("boto3_sse.py"), daemon_->endpoint()}, &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("sse OK"), std::string::npos) << out;
}

// Canned bucket and object ACLs (anonymous reads via urllib only after public-read) and bucket
// CORS with an OPTIONS preflight and a presigned browser PUT (boto3_acl_cors.py).
TEST_F(S3AuthEndToEnd, AclAndCorsBoto3) {
  ExpectScriptOk("boto3_acl_cors.py", {daemon_->endpoint()}, "acl cors OK", std::chrono::seconds(240));
}

// boto3 generate_presigned_post (SigV4 and SigV2 forms) posted as multipart/form-data: fields,
// conditions, responses, errors (boto3_post_policy.py).
TEST_F(S3AuthEndToEnd, PostPolicyBoto3) {
  ExpectScriptOk("boto3_post_policy.py", {daemon_->endpoint()}, "post policy OK", std::chrono::seconds(240));
}

// A browser-style upload with curl -F of a 12 MiB file (streamed, Expect: 100-continue) with
// a form boto3 presigned.
TEST_F(S3AuthEndToEnd, PostPolicyWithCurlForm) {
  std::string out;
  ASSERT_EQ(Run({"aws", "--endpoint-url", daemon_->endpoint(), "s3", "mb", "s3://curl-post"}, &out),
            0)
      << out;
  const std::string presign =
      "import boto3,sys\n"
      "from botocore.config import Config\n"
      "s3=boto3.client('s3',endpoint_url=sys.argv[1],region_name='us-east-1',"
      "config=Config(signature_version='s3v4'))\n"
      "p=s3.generate_presigned_post('curl-post','in/${filename}',"
      "Fields={'x-amz-meta-via':'curl','success_action_status':'201'},"
      "Conditions=[['starts-with','$key','in/'],{'x-amz-meta-via':'curl'},"
      "{'success_action_status':'201'},['content-length-range',1,20000000]])\n"
      "print(p['url'])\n"
      "[print(k+'='+v) for k,v in p['fields'].items()]\n";
  ASSERT_EQ(Run({"python3", "-c", presign, daemon_->endpoint()}, &out), 0) << out;
  ASSERT_NE(out.find("x-amz-signature="), std::string::npos) << out;
  std::vector<std::string> lines;
  for (size_t start = 0; start < out.size();) {
    size_t end = out.find('\n', start);
    lines.push_back(out.substr(start, end == std::string::npos ? end : end - start));
    start = end == std::string::npos ? out.size() : end + 1;
  }
  ASSERT_GE(lines.size(), 2u) << out;
  std::vector<std::string> curl = {"curl", "-sS",         "-o", work_.File("response"),
                                   "-w",   "%{http_code}"};
  for (size_t i = 1; i < lines.size(); ++i) {
    if (!lines[i].empty()) curl.insert(curl.end(), {"--form-string", lines[i]});
  }
  std::string data = natss3::test::RandomBytes(12 << 20, 9);
  natss3::test::WriteFile(work_.File("big.bin"), data);
  curl.insert(curl.end(), {"-F", "file=@" + work_.File("big.bin"), lines[0]});
  ASSERT_EQ(RunCommand(curl, &out), 0) << out;
  EXPECT_EQ(out, "201") << natss3::test::ReadFile(work_.File("response"));
  EXPECT_NE(natss3::test::ReadFile(work_.File("response")).find("<Key>in/big.bin</Key>"),
            std::string::npos);
  ASSERT_EQ(Run({"aws", "--endpoint-url", daemon_->endpoint(), "s3", "cp",
                 "s3://curl-post/in/big.bin", work_.File("back.bin")},
                &out),
            0)
      << out;
  EXPECT_TRUE(natss3::test::ReadFile(work_.File("back.bin")) == data);
  ASSERT_EQ(Run({"aws", "--endpoint-url", daemon_->endpoint(), "s3api", "head-object", "--bucket",
                 "curl-post", "--key", "in/big.bin"},
                &out),
            0);
  EXPECT_NE(out.find("\"via\": \"curl\""), std::string::npos) << out;
  Run({"aws", "--endpoint-url", daemon_->endpoint(), "s3", "rb", "--force", "s3://curl-post"},
      &out);
}

}  // namespace
}  // namespace natss3::s3d::test
