// natss3d as an operator runs it: --version, health and metrics off the bucket namespace,
// SIGHUP reloading credentials, TLS certificate and log level, root credentials from the
// environment, and sd_notify readiness/reload/stop messages.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "e2e_fixture.h"
#include "natss3/version.h"
#include "s3_test_client.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::NatsServer;
using natss3::test::ReadFile;
using natss3::test::RunCommand;
using natss3::test::TempDir;
using natss3::test::WriteFile;

// Waits until `predicate` holds (checked every 50 ms) or `timeout` passes.
template <typename Predicate>
bool Eventually(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return predicate();
}

// The suite's nats-server (E2eSuite); each test writes its own credentials and starts its own
// natss3d.
class OpsEndToEnd : public E2eSuite {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(StartSuite({})); }

  std::string WriteCredentials(const std::string& access, const std::string& secret) {
    std::string path = work_.File("credentials.json");
    WriteFile(path, CredentialsJson({{access, secret}}));
    return path;
  }
};

TEST(OpsVersion, EveryToolPrintsTheProjectVersion) {
  for (const char* binary : {NATSS3D_PATH, NATSS3CTL_PATH, NATSS3FS_PATH}) {
    std::string out;
    ASSERT_EQ(RunCommand({binary, "--version"}, &out), 0) << binary << ": " << out;
    EXPECT_NE(out.find(kVersion), std::string::npos) << binary << ": " << out;
  }
}

// The health and metrics endpoints live under /_natss3/, which no bucket can be; /healthz and
// /metrics answer only while they cannot mean a bucket.
TEST_F(OpsEndToEnd, HealthAndMetricsNeverShadowABucket) {
  Daemon daemon({"--nats-servers", nats_->url(), "--credentials",
                 WriteCredentials(kFullKey, kFullSecret)});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  S3TestClient s3(daemon.port());

  auto live = s3.Anonymous("GET", "/_natss3/health/live");
  EXPECT_EQ(live.status, 200) << live.body;
  auto ready = s3.Anonymous("GET", "/_natss3/health/ready");
  EXPECT_EQ(ready.status, 200) << ready.body;

  // A streamed GET, so the time-to-first-byte histogram has an entry for GetObject.
  ASSERT_EQ(s3.Send("PUT", "/opsbucket").status, 200);
  ASSERT_EQ(s3.Send("PUT", "/opsbucket/k", "", {}, std::string(200000, 'x')).status, 200);
  ASSERT_EQ(s3.Send("GET", "/opsbucket/k").status, 200);
  auto metrics = s3.Anonymous("GET", "/_natss3/metrics");
  EXPECT_EQ(metrics.status, 200);
  for (const char* name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_start_time_seconds ", "natss3_build_info{version=\"",
        "natss3_time_to_first_byte_seconds_count{operation=\"GetObject\"} ",
        "natss3_requests_total{operation=\"GetObject\",status=\"200\"} 1"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name << "\n" << metrics.body;
  }

  // No bucket "metrics" or "healthz" yet: the old paths still answer unsigned probes.
  EXPECT_EQ(s3.Anonymous("GET", "/healthz").body, "ok\n");
  EXPECT_NE(s3.Anonymous("GET", "/metrics").body.find("natss3_requests_total"), std::string::npos);

  // Signed, /metrics is always S3: ListObjects of a bucket that does not exist yet...
  EXPECT_EQ(s3.Send("GET", "/metrics").ErrorCode(), "NoSuchBucket");
  // ...and once it does, its listing, for signed and unsigned requests alike.
  ASSERT_EQ(s3.Send("PUT", "/metrics").status, 200);
  ASSERT_EQ(s3.Send("PUT", "/metrics/report.txt", "", {}, "numbers").status, 200);
  auto listing = s3.Send("GET", "/metrics");
  EXPECT_EQ(listing.status, 200);
  EXPECT_NE(listing.body.find("<Key>report.txt</Key>"), std::string::npos) << listing.body;
  auto unsigned_listing = s3.Anonymous("GET", "/metrics");
  EXPECT_EQ(unsigned_listing.ErrorCode(), "AccessDenied") << unsigned_listing.body;
  EXPECT_EQ(unsigned_listing.body.find("natss3_requests_total"), std::string::npos);
  // The namespaced endpoint is unaffected.
  EXPECT_NE(s3.Anonymous("GET", "/_natss3/metrics").body.find("natss3_requests_total"),
            std::string::npos);
}

// SIGHUP re-reads the credentials file: the new key works at once, the removed one stops
// working, and a broken file keeps the keys in place.
TEST_F(OpsEndToEnd, SighupReloadsCredentialsAndKeepsThemWhenTheFileIsBroken) {
  std::string creds = WriteCredentials("AKOLDKEY", "old-secret");
  Daemon daemon({"--nats-servers", nats_->url(), "--credentials", creds, "--access-log", "true"});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  S3TestClient old_key(daemon.port(), "AKOLDKEY", "old-secret");
  S3TestClient new_key(daemon.port(), "AKNEWKEY", "new-secret");
  ASSERT_EQ(old_key.Send("GET", "/").status, 200);
  EXPECT_EQ(new_key.Send("GET", "/").ErrorCode(), "InvalidAccessKeyId");

  WriteFile(creds, CredentialsJson({{"AKNEWKEY", "new-secret"}}));
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return new_key.Send("GET", "/").status == 200; }))
      << daemon.log();
  EXPECT_EQ(old_key.Send("GET", "/").ErrorCode(), "InvalidAccessKeyId");

  WriteFile(creds, "{\"credentials\": [");  // a half-written file
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return daemon.log().find("previous keys stay") != std::string::npos; }))
      << daemon.log();
  EXPECT_EQ(new_key.Send("GET", "/").status, 200);
  EXPECT_TRUE(daemon.process().running());
}

// The config file's log level applies on SIGHUP (debug lines appear only after it).
TEST_F(OpsEndToEnd, SighupAppliesTheConfigFilesLogLevel) {
  std::string config = work_.File("natss3d.conf");
  WriteFile(config, "log-level = info\n");
  Daemon daemon({"--nats-servers", nats_->url(), "--credentials",
                 WriteCredentials(kFullKey, kFullSecret), "--config", config});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  WriteFile(config, "log-level = debug\n");
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return daemon.log().find("log level debug") != std::string::npos; }))
      << daemon.log();
  WriteFile(config, "log-level = loud\n");  // not a level: nothing changes
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return daemon.log().find("nothing changed") != std::string::npos; }))
      << daemon.log();
}

// Containers: a root key from the environment works and no development keys are generated.
TEST_F(OpsEndToEnd, RootCredentialsFromTheEnvironment) {
  Daemon daemon({"--nats-servers", nats_->url()}, false,
                {{"NATSS3_ROOT_ACCESS_KEY", "AKROOTFROMENV"},
                 {"NATSS3_ROOT_SECRET_KEY", "root-secret-from-env"}});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  S3TestClient root(daemon.port(), "AKROOTFROMENV", "root-secret-from-env");
  EXPECT_EQ(root.Send("PUT", "/rootbucket").status, 200);
  EXPECT_EQ(root.Send("GET", "/").status, 200);
  EXPECT_FALSE(std::ifstream(daemon.dir().File("data") + "/credentials.json").good());
  EXPECT_EQ(daemon.log().find("root-secret-from-env"), std::string::npos) << daemon.log();

  // Only one of the two is a configuration error.
  std::string out;
  int rc = RunCommand({NATSS3D_PATH, "--nats-servers", nats_->url(), "--listen", "127.0.0.1:1"},
                      &out, std::chrono::seconds(10), {{"NATSS3_ROOT_ACCESS_KEY", "AKONLY"}});
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("NATSS3_ROOT_SECRET_KEY"), std::string::npos) << out;
}

// A unix datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{0, 200000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~NotifySocket() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  // Messages received so far, joined by '|'.
  const std::string& Drain() {
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd_, buf, sizeof(buf), 0)) > 0) received_ += std::string(buf, n) + "|";
    return received_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::string received_;
};

TEST_F(OpsEndToEnd, TellsSystemdWhenReadyReloadingAndStopping) {
  NotifySocket notify(work_.File("notify.sock"));
  ASSERT_TRUE(notify.bound());
  Daemon daemon({"--nats-servers", nats_->url(), "--credentials",
                 WriteCredentials(kFullKey, kFullSecret)},
                false, {{"NOTIFY_SOCKET", work_.File("notify.sock")}});
  ASSERT_TRUE(daemon.started()) << daemon.log();
  EXPECT_TRUE(Eventually([&] { return notify.Drain().find("READY=1") != std::string::npos; }))
      << notify.Drain();
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    const std::string& got = notify.Drain();
    size_t reloading = got.find("RELOADING=1");
    return reloading != std::string::npos && got.find("READY=1", reloading) != std::string::npos;
  })) << notify.Drain();
  daemon.process().Signal(SIGTERM);
  EXPECT_TRUE(Eventually([&] { return notify.Drain().find("STOPPING=1") != std::string::npos; }))
      << notify.Drain();
}

// New TLS connections get the certificate the files hold after SIGHUP.
TEST_F(OpsEndToEnd, SighupReloadsTheTlsCertificate) {
  if (!Have("openssl") || !Have("curl")) GTEST_SKIP() << "needs openssl and curl";
  std::string cert = work_.File("cert.pem"), key = work_.File("key.pem");
  auto make_cert = [&](const std::string& cn) {
    return natss3::test::RunShell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" +
                                  cn + " -keyout " + key + " -out " + cert + " 2>/dev/null");
  };
  ASSERT_EQ(make_cert("first-cert"), 0);
  Daemon daemon({"--nats-servers", nats_->url(), "--credentials",
                 WriteCredentials(kFullKey, kFullSecret), "--tls-cert", cert, "--tls-key", key},
                true);
  ASSERT_TRUE(daemon.started()) << daemon.log();
  auto subject = [&] {
    std::string out;
    RunCommand({"curl", "-sk", "-v", "-o", "/dev/null",
                daemon.endpoint() + "/_natss3/health/live"},
               &out, std::chrono::seconds(10));
    return out;
  };
  EXPECT_NE(subject().find("CN=first-cert"), std::string::npos) << subject();
  ASSERT_EQ(make_cert("second-cert"), 0);
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] { return subject().find("CN=second-cert") != std::string::npos; }))
      << subject() << daemon.log();
  // A key that does not match keeps the certificate in place.
  natss3::test::RunShell("openssl genrsa -out " + key + " 2048 2>/dev/null");
  daemon.process().Signal(SIGHUP);
  EXPECT_TRUE(Eventually(
      [&] { return daemon.log().find("previous certificate stays") != std::string::npos; }))
      << daemon.log();
  EXPECT_NE(subject().find("CN=second-cert"), std::string::npos);
}

// Under systemd (stderr is the journal's stream) the embedded nats-server logs to natss3d's
// stderr, so to the journal, instead of to a file in the data directory.
TEST(OpsEmbedded, NatsServerLogsToTheJournalUnderSystemd) {
  TempDir work{"natss3-journal"};
  std::string err = work.File("stderr");
  ASSERT_TRUE(WriteFile(err, ""));
  struct stat st {};
  ASSERT_EQ(::stat(err.c_str(), &st), 0);
  natss3::test::Subprocess::Options o;
  o.argv = {NATSS3D_PATH, "--listen", "127.0.0.1:" + std::to_string(natss3::test::FreePort()),
            "--data-dir", work.File("data")};
  o.env = {{"JOURNAL_STREAM", std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)}};
  o.stderr_file = err;
  natss3::test::Subprocess daemon(o);
  ASSERT_TRUE(daemon.Start());
  EXPECT_TRUE(Eventually([&] { return ReadFile(err).find("Server is ready") != std::string::npos; },
                         std::chrono::seconds(20)))
      << ReadFile(err);
  EXPECT_FALSE(std::filesystem::exists(work.File("data/nats-server.log")));
  EXPECT_EQ(ReadFile(work.File("data/nats-server.conf")).find("logfile"), std::string::npos);
  EXPECT_EQ(daemon.Stop(std::chrono::seconds(15)), 0);
}

}  // namespace
}  // namespace natss3::s3d::test
