// Shared set-up of the hostile-client tests: one nats-server and a credentials file (a
// read-write key and a read-only one) per test binary; each test starts its own natss3d (with
// the flags it needs) through Daemon.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "e2e_daemon.h"
#include "raw_http.h"
#include "s3_test_client.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {

class HostileClients : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    nats_ = natss3::test::NatsServer::Start().release();
    ASSERT_NE(nats_, nullptr);
    creds_ = new natss3::test::TempDir("natss3-hostile-creds");
    std::ofstream(creds_->File("credentials.json"))
        << "{\"credentials\":[{\"access_key\":\"" << kFullKey << "\",\"secret_key\":\""
        << kFullSecret << "\",\"read\":[\"*\"],\"write\":[\"*\"]},{\"access_key\":\""
        << kReadKey << "\",\"secret_key\":\"" << kReadSecret
        << "\",\"read\":[\"*\"],\"write\":[]}]}";
  }
  static void TearDownTestSuite() {
    delete creds_;
    delete nats_;
  }
  std::unique_ptr<Daemon> StartDaemon(const std::vector<std::string>& flags,
                                      const std::map<std::string, std::string>& env = {},
                                      bool tls = false) {
    std::vector<std::string> argv = {"--nats-servers", nats_->url(), "--credentials",
                                     creds_->File("credentials.json")};
    argv.insert(argv.end(), flags.begin(), flags.end());
    auto daemon = std::make_unique<Daemon>(argv, tls, env);
    EXPECT_TRUE(daemon->started()) << daemon->log();
    return daemon;
  }
  // A signed request without "Connection: close" (S3TestClient's are single-shot).
  static std::string KeepAlive(std::string request) {
    size_t at = request.find("Connection: close\r\n");
    if (at != std::string::npos) request.erase(at, 19);
    return request;
  }
  static double MillisSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  }
  static inline natss3::test::NatsServer* nats_ = nullptr;
  static inline natss3::test::TempDir* creds_ = nullptr;
};

}  // namespace natss3::s3d::test
