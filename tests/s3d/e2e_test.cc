// End to end: the natss3d binary on a real nats-server, driven by real S3 clients: aws CLI v1
// (first on PATH) and v2 (/usr/bin/aws), boto3, s3cmd, rclone, curl; plus the embedded mode.
#include <gtest/gtest.h>

#include <thread>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "e2e_fixture.h"
#include "natss3/nats_store.h"
#include "s3_test_client.h"
#include "s3d/embedded_nats.h"
#include "support/nats_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::RunCommand;
using natss3::test::Subprocess;
using natss3::test::TempDir;

constexpr const char* kAccess = "AKE2ETESTKEY";
constexpr const char* kSecret = "e2e-secret-key-value";

// aws CLI v1 presigns with SigV2 unless told otherwise; these flows use SigV4
// (e2e_auth_test.cc covers SigV2).
class S3EndToEnd : public E2eSuite {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(StartSuite({{kAccess, kSecret}}, kAwsConfigSigV4));
    daemon_ = StartSuiteDaemon({});
  }
  // Runs an aws CLI (`binary`) with the endpoint; returns exit code, output in *out.
  int Aws(const std::string& binary, std::vector<std::string> args, std::string* out = nullptr) {
    std::string output;
    int rc = AwsOn(*daemon_, binary, args, &output);
    if (out) *out = output;
    if (rc != 0) ADD_FAILURE() << "aws " << args[0] << " " << (args.size() > 1 ? args[1] : "") << ": " << output;
    return rc;
  }
  void RoundTrip(const std::string& aws, const std::string& bucket, size_t size) {
    std::string name = "f" + std::to_string(size);
    ASSERT_TRUE(natss3::test::WriteFile(work_.File(name), natss3::test::RandomBytes(size, size)));
    ASSERT_EQ(Aws(aws, {"s3", "cp", "--only-show-errors", work_.File(name), "s3://" + bucket + "/" + name}), 0);
    ASSERT_EQ(Aws(aws, {"s3", "cp", "--only-show-errors", "s3://" + bucket + "/" + name, work_.File(name + ".back")}), 0);
    EXPECT_EQ(natss3::test::FileSha256Hex(work_.File(name)), natss3::test::FileSha256Hex(work_.File(name + ".back"))) << size;
  }
  static inline Daemon* daemon_ = nullptr;
};

TEST_F(S3EndToEnd, AwsCliV1Flows) {
  const std::string aws = "aws";
  ASSERT_EQ(Aws(aws, {"s3", "mb", "s3://cli-v1"}), 0);
  std::string out;
  Aws(aws, {"s3", "ls"}, &out);
  EXPECT_NE(out.find("cli-v1"), std::string::npos);
  for (size_t size : {size_t{0}, size_t{1}, size_t{5} << 20, size_t{64} << 20}) RoundTrip(aws, "cli-v1", size);
  Aws(aws, {"s3api", "head-object", "--bucket", "cli-v1", "--key", "f67108864"}, &out);
  EXPECT_NE(out.find("-8\\\""), std::string::npos) << "64 MiB in 8 MiB parts: multipart ETag. " << out;
  // sync of a tree of 200 files, then listing and a second sync that copies nothing.
  std::filesystem::create_directories(work_.File("tree/sub"));
  for (int i = 0; i < 200; ++i) {
    natss3::test::WriteFile(work_.File(std::string(i % 2 ? "tree/sub/" : "tree/") + "file" + std::to_string(i)),
                            "content " + std::to_string(i));
  }
  ASSERT_EQ(Aws(aws, {"s3", "sync", "--only-show-errors", work_.File("tree"), "s3://cli-v1/tree"}), 0);
  Aws(aws, {"s3", "ls", "--recursive", "s3://cli-v1/tree/"}, &out);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 200);
  Aws(aws, {"s3", "sync", "s3://cli-v1/tree", work_.File("tree")}, &out);
  EXPECT_EQ(out.find("download:"), std::string::npos) << out;
  ASSERT_EQ(Aws(aws, {"s3", "mv", "--only-show-errors", "s3://cli-v1/f1", "s3://cli-v1/moved"}), 0);
  Aws(aws, {"s3", "ls", "s3://cli-v1/"}, &out);
  EXPECT_NE(out.find("moved"), std::string::npos);
  EXPECT_EQ(out.find(" f1\n"), std::string::npos);
  // presign + curl
  Aws(aws, {"s3", "presign", "s3://cli-v1/moved", "--expires-in", "300"}, &out);
  std::string url = out.substr(0, out.find('\n'));
  std::string fetched;
  EXPECT_EQ(RunCommand({"curl", "-sf", "-o", work_.File("presigned"), url}, &fetched), 0) << fetched;
  EXPECT_EQ(natss3::test::ReadFile(work_.File("presigned")).size(), 1u);
  ASSERT_EQ(Aws(aws, {"s3", "rm", "--only-show-errors", "--recursive", "s3://cli-v1"}), 0);
  ASSERT_EQ(Aws(aws, {"s3", "rb", "s3://cli-v1"}), 0);
  Aws(aws, {"s3", "ls"}, &out);
  EXPECT_EQ(out.find("cli-v1"), std::string::npos);
}

TEST_F(S3EndToEnd, AwsCliV2Flows) {
  if (!std::filesystem::exists("/usr/bin/aws")) GTEST_SKIP() << "no /usr/bin/aws";
  const std::string aws = "/usr/bin/aws";
  ASSERT_EQ(Aws(aws, {"s3", "mb", "s3://cli-v2"}), 0);
  for (size_t size : {size_t{1}, size_t{5} << 20, size_t{64} << 20}) RoundTrip(aws, "cli-v2", size);
  std::string out;
  Aws(aws, {"s3api", "list-objects-v2", "--bucket", "cli-v2", "--max-keys", "1"}, &out);
  EXPECT_NE(out.find("f1"), std::string::npos);
  ASSERT_EQ(Aws(aws, {"s3", "rm", "--only-show-errors", "--recursive", "s3://cli-v2"}), 0);
  ASSERT_EQ(Aws(aws, {"s3", "rb", "s3://cli-v2"}), 0);
}

TEST_F(S3EndToEnd, Boto3Script) {
  ExpectScriptOk("boto3_flow.py", {daemon_->endpoint()}, "boto3 flow OK", std::chrono::seconds(240));
}

// Dotted bucket names, get_object_attributes and PartNumber reads through boto3.
TEST_F(S3EndToEnd, Boto3DottedBucketsAttributesAndPartNumber) {
  ExpectScriptOk("boto3_attributes.py", {daemon_->endpoint()}, "boto3 attributes OK");
}

// No acknowledged PUT is lost while another client loops put-object-tagging on the same key
// (the tagging used to write back the meta it had read, pointing at purged chunks).
TEST_F(S3EndToEnd, TaggingRacingWithOverwritesLosesNoPut) {
  ExpectScriptOk("boto3_tag_race.py", {daemon_->endpoint(), "8"}, "tag race OK");
}

// Keys with control characters, CR and LF round-trip; listings stay parseable without
// encoding-type=url; NUL is refused (boto3_keys.py).
TEST_F(S3EndToEnd, UnusualKeysRoundTripAndListingsParse) {
  ExpectScriptOk("boto3_keys.py", {daemon_->endpoint()}, "keys OK");
}

TEST_F(S3EndToEnd, S3cmdFlow) {
  if (!Have("s3cmd")) GTEST_SKIP() << "no s3cmd";
  std::string config = S3cmdConfig(*daemon_, /*signature_v2=*/false);
  auto s3cmd = [&](std::vector<std::string> args, std::string* out = nullptr) {
    std::vector<std::string> argv = {"s3cmd", "-c", config};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string o;
    int rc = RunCommand(argv, &o, std::chrono::seconds(120), Env());
    if (out) *out = o;
    EXPECT_EQ(rc, 0) << args[0] << ": " << o;
    return rc;
  };
  std::string data = natss3::test::RandomBytes(20 << 20, 77);
  natss3::test::WriteFile(work_.File("s3cmd.bin"), data);
  s3cmd({"mb", "s3://s3cmd-bkt"});
  s3cmd({"put", work_.File("s3cmd.bin"), "s3://s3cmd-bkt/x/s3cmd.bin"});
  std::string out;
  s3cmd({"ls", "-r", "s3://s3cmd-bkt"}, &out);
  EXPECT_NE(out.find("s3cmd.bin"), std::string::npos);
  s3cmd({"get", "--force", "s3://s3cmd-bkt/x/s3cmd.bin", work_.File("s3cmd.back")});
  EXPECT_EQ(natss3::test::ReadFile(work_.File("s3cmd.back")), data);
  s3cmd({"del", "s3://s3cmd-bkt/x/s3cmd.bin"});
  s3cmd({"rb", "s3://s3cmd-bkt"});
}

TEST_F(S3EndToEnd, RcloneFlow) {
  if (!Have("rclone")) GTEST_SKIP() << "no rclone";
  auto env = RcloneEnv(*daemon_);
  std::filesystem::create_directories(work_.File("rc/d"));
  for (int i = 0; i < 20; ++i) natss3::test::WriteFile(work_.File("rc/d/f" + std::to_string(i)), natss3::test::RandomBytes(1000 * i, i));
  natss3::test::WriteFile(work_.File("rc/big"), natss3::test::RandomBytes(12 << 20, 5));
  std::string out;
  EXPECT_EQ(RunCommand({"rclone", "mkdir", "n3:rclone-bkt"}, &out, std::chrono::seconds(60), env), 0) << out;
  EXPECT_EQ(RunCommand({"rclone", "copy", work_.File("rc"), "n3:rclone-bkt/rc"}, &out, std::chrono::seconds(120), env), 0) << out;
  EXPECT_EQ(RunCommand({"rclone", "check", work_.File("rc"), "n3:rclone-bkt/rc"}, &out, std::chrono::seconds(120), env), 0) << out;
  EXPECT_EQ(RunCommand({"rclone", "lsf", "-R", "n3:rclone-bkt"}, &out, std::chrono::seconds(60), env), 0);
  EXPECT_NE(out.find("rc/d/f19"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({"rclone", "purge", "n3:rclone-bkt"}, &out, std::chrono::seconds(60), env), 0) << out;
}

TEST(S3Embedded, QuickStartStartsAndStopsItsOwnNatsServer) {
  Daemon daemon({});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  std::string creds = natss3::test::ReadFile(daemon.dir().File("data/credentials.json"));
  ASSERT_FALSE(creds.empty());
  auto field = [&](const std::string& name) {
    size_t at = creds.find("\"" + name + "\"");
    size_t a = creds.find('"', creds.find(':', at) + 1), b = creds.find('"', a + 1);
    return creds.substr(a + 1, b - a - 1);
  };
  // The banner may follow the port opening: poll the log with a deadline.
  std::string log = daemon.log();
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
       log.find("aws --endpoint-url") == std::string::npos &&
       std::chrono::steady_clock::now() < deadline;
       log = daemon.log()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(log.find("aws --endpoint-url"), std::string::npos) << log;
  EXPECT_NE(log.find(field("access_key")), std::string::npos) << "prints the dev access key";
  std::string out;
  std::map<std::string, std::string> env = {{"AWS_ACCESS_KEY_ID", field("access_key")},
                                            {"AWS_SECRET_ACCESS_KEY", field("secret_key")},
                                            {"AWS_DEFAULT_REGION", "us-east-1"}, {"HOME", daemon.dir().path()}};
  EXPECT_EQ(RunCommand({"aws", "--endpoint-url", daemon.endpoint(), "s3", "mb", "s3://quick"}, &out, std::chrono::seconds(60), env), 0) << out;
  EXPECT_EQ(RunCommand({"aws", "--endpoint-url", daemon.endpoint(), "s3", "ls"}, &out, std::chrono::seconds(60), env), 0) << out;
  EXPECT_NE(out.find("quick"), std::string::npos);
  size_t at = log.find("embedded nats-server pid ");
  ASSERT_NE(at, std::string::npos);
  pid_t nats_pid = std::stoi(log.substr(at + 25));
  EXPECT_EQ(::kill(nats_pid, 0), 0);
  EXPECT_EQ(daemon.process().Stop(std::chrono::seconds(15)), 0) << "graceful SIGTERM exit";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::kill(nats_pid, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(::kill(nats_pid, 0), 0) << "embedded nats-server stopped with natss3d";
}

// The embedded nats-server accepts only natss3d's generated credentials (an anonymous client
// used to read and delete everything); they and every other secret are 0600 in a 0700 data
// directory; natss3ctl on the host finds the server through the context file; the banner
// prints the S3 secret only on the start that generated it.
TEST(S3Embedded, EmbeddedNatsAcceptsOnlyItsOwnCredentials) {
  auto daemon = std::make_unique<Daemon>(std::vector<std::string>{});
  ASSERT_TRUE(daemon->started()) << daemon->log();
  std::string data = daemon->dir().File("data");
  auto context = nlohmann::json::parse(natss3::test::ReadFile(data + "/nats-context.json"),
                                       nullptr, false);
  ASSERT_TRUE(context.is_object());
  std::string url = context.value("url", ""), user = context.value("user", ""),
              password = context.value("password", "");
  ASSERT_FALSE(url.empty());
  ASSERT_GE(password.size(), 32u);
  ConnectOptions anonymous;
  anonymous.servers = url;
  anonymous.connect_timeout = std::chrono::milliseconds(2000);
  EXPECT_EQ(ConnectNats(anonymous).status().code(), Code::kPermissionDenied);
  ConnectOptions own = anonymous;
  own.user = user;
  own.password = password;
  EXPECT_TRUE(ConnectNats(own).ok());
  auto mode = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0u;
  };
  EXPECT_EQ(mode(data), 0700u);
  for (const char* secret : {"credentials.json", "nats-context.json", "nats-server.conf"})
    EXPECT_EQ(mode(data + "/" + secret), 0600u) << secret;
  std::string out;
  EXPECT_EQ(RunCommand({NATSS3CTL_PATH, "ls"}, &out, std::chrono::seconds(30),
                       {{"NATSS3_DATA_DIR", data}, {"HOME", daemon->dir().path()}}),
            0) << out;

  // The first start generated the S3 credentials: its banner shows the secret. A restart
  // with the same data directory does not, and keeps the NATS credentials.
  std::string creds = natss3::test::ReadFile(data + "/credentials.json");
  auto secret = nlohmann::json::parse(creds)["credentials"][0].value("secret_key", "");
  ASSERT_FALSE(secret.empty());
  auto wait_banner = [](const std::function<std::string()>& log) {
    std::string text = log();
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
         text.find("aws --endpoint-url") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline;
         text = log())
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return text;
  };
  EXPECT_NE(wait_banner([&] { return daemon->log(); }).find(secret), std::string::npos);
  ASSERT_EQ(daemon->process().Stop(std::chrono::seconds(15)), 0);
  TempDir second;
  int port = natss3::test::FreePort();
  Subprocess::Options o;
  o.argv = {NATSS3D_PATH, "--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", data};
  o.stderr_file = second.File("log");
  Subprocess again(o);
  ASSERT_TRUE(again.Start());
  std::string log = wait_banner([&] { return natss3::test::ReadFile(second.File("log")); });
  EXPECT_NE(log.find("aws --endpoint-url"), std::string::npos) << log;
  EXPECT_EQ(log.find(secret), std::string::npos) << "a restart printed the secret key again";
  auto reread = nlohmann::json::parse(natss3::test::ReadFile(data + "/nats-context.json"));
  EXPECT_EQ(reread.value("password", ""), password);
  EXPECT_EQ(again.Stop(std::chrono::seconds(15)), 0);
}

TEST(S3Tls, ServesHttpsWithGivenCertificate) {
  auto nats = natss3::test::NatsServer::Start();
  ASSERT_NE(nats, nullptr);
  TempDir certs;
  std::string out;
  ASSERT_TRUE(MakeSelfSignedCert(certs, &out)) << out;
  Daemon daemon({"--nats-servers", nats->url(), "--anonymous", "--tls-cert", certs.File("cert.pem"),
                 "--tls-key", certs.File("key.pem")});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  std::string url = "https://127.0.0.1:" + std::to_string(daemon.port());
  EXPECT_EQ(RunCommand({"curl", "-sfk", "-X", "PUT", url + "/tls-bucket"}, &out), 0) << out;
  EXPECT_EQ(RunCommand({"curl", "-sfk", "-X", "PUT", "--data-binary", "over tls", url + "/tls-bucket/k"}, &out), 0) << out;
  EXPECT_EQ(RunCommand({"curl", "-sfk", url + "/tls-bucket/k"}, &out), 0);
  EXPECT_EQ(out, "over tls");
  EXPECT_NE(RunCommand({"curl", "-sf", "-m", "5", "http://127.0.0.1:" + std::to_string(daemon.port()) + "/healthz"}, &out), 0)
      << "plain HTTP is not served on the TLS port";
}

TEST(S3Embedded, MissingNatsServerIsExplained) {
  TempDir dir;
  std::string out;
  int rc = RunCommand({NATSS3D_PATH, "--listen", "127.0.0.1:0", "--data-dir", dir.path(),
                       "--nats-server-bin", "/nonexistent/nats-server"}, &out, std::chrono::seconds(30));
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("apt-get install nats-server"), std::string::npos) << out;
  EXPECT_EQ(RunCommand({NATSS3D_PATH, "--help"}, &out), 0);
  EXPECT_NE(out.find("--nats-servers"), std::string::npos);
  EXPECT_NE(out.find("NATSS3_"), std::string::npos);
}

}  // namespace
}  // namespace natss3::s3d::test
