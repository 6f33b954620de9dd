// The shared set-up of the natss3d end-to-end suites: one nats-server per suite, a directory
// with natss3d's credentials file (and a self-signed certificate where a suite serves HTTPS),
// natss3d daemons on them, and per test a work directory that is the clients' HOME, with the
// environment the aws CLI, boto3, s3cmd and rclone read. A suite calls StartSuite() from its
// SetUpTestSuite(); TearDownTestSuite() stops everything.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "e2e_daemon.h"
#include "support/nats_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {

// One key of natss3d's credentials file: it reads every bucket, and writes every bucket unless
// read_only; bypass_governance lets it bypass governance retention in every bucket.
struct S3Key {
  std::string access, secret;
  bool read_only = false;
  bool bypass_governance = false;
};

// natss3d's credentials file (--credentials) holding `keys`.
inline std::string CredentialsJson(const std::vector<S3Key>& keys) {
  std::string json = "{\"credentials\":[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) json += ",";
    json += "{\"access_key\":\"" + keys[i].access + "\",\"secret_key\":\"" + keys[i].secret +
            "\",\"read\":[\"*\"],\"write\":" + (keys[i].read_only ? "[]" : "[\"*\"]");
    if (keys[i].bypass_governance) json += ",\"bypass_governance\":[\"*\"]";
    json += "}";
  }
  return json + "]}";
}

// Writes a self-signed certificate for 127.0.0.1 (one day) to dir/cert.pem and its key to
// dir/key.pem; openssl's output goes to *out.
inline bool MakeSelfSignedCert(const natss3::test::TempDir& dir, std::string* out) {
  return natss3::test::RunCommand(
             {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
              "/CN=127.0.0.1", "-keyout", dir.File("key.pem"), "-out", dir.File("cert.pem")},
             out) == 0;
}

// An aws CLI configuration with the region only: aws CLI v1 presigns with SigV2 then.
inline constexpr const char* kAwsConfigRegionOnly = "[default]\nregion = us-east-1\n";
// The same with SigV4 for presigned URLs too.
inline constexpr const char* kAwsConfigSigV4 =
    "[default]\nregion = us-east-1\ns3 =\n    signature_version = s3v4\n";

class E2eSuite : public ::testing::Test {
 protected:
  // For SetUpTestSuite(): starts the suite's nats-server and writes `keys` (if any) to
  // CredentialsFile(); the clients sign with the first key. False (and a test failure) if the
  // server did not start.
  static bool StartSuite(const std::vector<S3Key>& keys,
                         const std::string& aws_config = kAwsConfigRegionOnly) {
    nats_ = natss3::test::NatsServer::Start().release();
    EXPECT_NE(nats_, nullptr) << "nats-server did not start";
    if (nats_ == nullptr) return false;
    files_ = new natss3::test::TempDir("natss3-e2e-suite");
    if (!keys.empty()) {
      key_ = keys.front();
      EXPECT_TRUE(natss3::test::WriteFile(CredentialsFile(), CredentialsJson(keys)));
    }
    aws_config_ = aws_config;
    return true;
  }
  // Stops the suite's daemons, then its nats-server, and removes its files.
  static void TearDownTestSuite() {
    suite_daemons_.clear();
    delete files_;
    files_ = nullptr;
    delete nats_;
    nats_ = nullptr;
  }

  static std::string CredentialsFile() { return files_->File("credentials.json"); }
  // The flags that put natss3d on the suite's nats-server and credentials, then `flags`.
  static std::vector<std::string> DaemonFlags(const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {"--nats-servers", nats_->url(), "--credentials",
                                     CredentialsFile()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return argv;
  }
  // natss3d on DaemonFlags(flags), running until the end of the suite; a test failure (with
  // its log) if it did not start.
  static Daemon* StartSuiteDaemon(const std::vector<std::string>& flags, bool tls = false) {
    suite_daemons_.push_back(std::make_unique<Daemon>(DaemonFlags(flags), tls));
    EXPECT_TRUE(suite_daemons_.back()->started()) << suite_daemons_.back()->log();
    return suite_daemons_.back().get();
  }
  // natss3d on DaemonFlags(flags) for one test.
  static std::unique_ptr<Daemon> StartDaemon(const std::vector<std::string>& flags,
                                             const std::map<std::string, std::string>& env = {},
                                             bool tls = false) {
    auto daemon = std::make_unique<Daemon>(DaemonFlags(flags), tls, env);
    EXPECT_TRUE(daemon->started()) << daemon->log();
    return daemon;
  }
  // The flags for HTTPS with a self-signed certificate in the suite's files (made once).
  static std::vector<std::string> TlsFlags() {
    if (!std::ifstream(files_->File("cert.pem")).good()) {
      std::string out;
      EXPECT_TRUE(MakeSelfSignedCert(*files_, &out)) << out;
    }
    return {"--tls-cert", files_->File("cert.pem"), "--tls-key", files_->File("key.pem")};
  }

  // The clients' environment: the suite's key, us-east-1, HOME in the work directory, the
  // suite's aws config file, no shared credentials file, no pager, no Python warnings.
  std::map<std::string, std::string> Env() { return EnvFor(key_); }
  // The same with another key.
  std::map<std::string, std::string> EnvFor(const S3Key& key) {
    natss3::test::WriteFile(work_.File("aws-config"), aws_config_);
    return {{"AWS_ACCESS_KEY_ID", key.access},
            {"AWS_SECRET_ACCESS_KEY", key.secret},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"HOME", work_.path()},
            {"AWS_CONFIG_FILE", work_.File("aws-config")},
            {"AWS_SHARED_CREDENTIALS_FILE", work_.File("none")},
            {"AWS_PAGER", ""},
            {"PYTHONWARNINGS", "ignore"}};
  }
  // Runs a client command with Env(); stdout and stderr in *out.
  int Run(const std::vector<std::string>& argv, std::string* out,
          std::chrono::seconds timeout = std::chrono::seconds(240)) {
    return natss3::test::RunCommand(argv, out, timeout, Env());
  }
  // Env() plus an rclone remote "n3:" on `daemon` with the suite's key.
  std::map<std::string, std::string> RcloneEnv(const Daemon& daemon) {
    auto env = Env();
    env["RCLONE_CONFIG"] = work_.File("rclone.conf");
    env["RCLONE_CONFIG_N3_TYPE"] = "s3";
    env["RCLONE_CONFIG_N3_PROVIDER"] = "Other";
    env["RCLONE_CONFIG_N3_ENDPOINT"] = daemon.endpoint();
    env["RCLONE_CONFIG_N3_ACCESS_KEY_ID"] = key_.access;
    env["RCLONE_CONFIG_N3_SECRET_ACCESS_KEY"] = key_.secret;
    env["RCLONE_CONFIG_N3_REGION"] = "us-east-1";
    env["AWS_CA_BUNDLE"] = "";  // set on some machines; rclone refuses it for plain HTTP
    return env;
  }
  // Writes an s3cmd configuration for plain HTTP to `daemon` with the suite's key; its path.
  std::string S3cmdConfig(const Daemon& daemon, bool signature_v2) {
    std::string host = "127.0.0.1:" + std::to_string(daemon.port());
    std::string path = work_.File("s3cfg");
    natss3::test::WriteFile(path, "[default]\naccess_key = " + key_.access +
                                      "\nsecret_key = " + key_.secret + "\nhost_base = " + host +
                                      "\nhost_bucket = " + host + "\nuse_https = False\n" +
                                      "signature_v2 = " + (signature_v2 ? "True" : "False") +
                                      "\nbucket_location = us-east-1\n");
    return path;
  }

  // Runs an aws CLI (`binary`) on `daemon` (HTTPS without verifying its certificate) with
  // Env(); stdout and stderr in *out.
  int AwsOn(const Daemon& daemon, const std::string& binary, const std::vector<std::string>& args,
            std::string* out, std::chrono::seconds timeout = std::chrono::seconds(240)) {
    std::vector<std::string> argv = {binary, "--endpoint-url", daemon.endpoint()};
    if (daemon.endpoint().rfind("https:", 0) == 0) argv.push_back("--no-verify-ssl");
    argv.insert(argv.end(), args.begin(), args.end());
    std::string output;
    int rc = natss3::test::RunCommand(argv, &output, timeout, Env());
    if (out) *out = output;
    return rc;
  }
#ifdef S3D_TEST_SCRIPTS
  static std::string Script(const std::string& name) {
    return std::string(S3D_TEST_SCRIPTS) + "/" + name;
  }
  // python3 tests/s3d/<script> args... with Env(): a test failure unless it exits 0 and prints
  // `ok`. Returns its output.
  std::string ExpectScriptOk(const std::string& script, const std::vector<std::string>& args,
                             const std::string& ok,
                             std::chrono::seconds timeout = std::chrono::seconds(120)) {
    std::vector<std::string> argv = {"python3", Script(script)};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    int rc = natss3::test::RunCommand(argv, &out, timeout, Env());
    EXPECT_EQ(rc, 0) << script << ": " << out;
    EXPECT_NE(out.find(ok), std::string::npos) << script << ": " << out;
    return out;
  }
#endif

  static inline natss3::test::NatsServer* nats_ = nullptr;
  static inline natss3::test::TempDir* files_ = nullptr;
  static inline S3Key key_;
  static inline std::string aws_config_;
  static inline std::vector<std::unique_ptr<Daemon>> suite_daemons_;
  natss3::test::TempDir work_{"natss3-e2e-work"};
};

}  // namespace natss3::s3d::test
