// Shared set-up of the hostile-client tests: one nats-server and a credentials file (a
// read-write key and a read-only one) per suite (E2eSuite); each test starts its own natss3d
// (with the flags it needs) through StartDaemon.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "e2e_fixture.h"
#include "raw_http.h"
#include "s3_test_client.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {

class HostileClients : public E2eSuite {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(StartSuite({{kFullKey, kFullSecret}, {kReadKey, kReadSecret, true}}));
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
};

}  // namespace natss3::s3d::test
