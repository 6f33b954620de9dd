// The embedded nats-server's log: written by nats-server to a file it rotates at a size limit,
// with natss3d keeping only the newest rotated files (integration: a real nats-server).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "natss3/connect_config.h"
#include "natss3/nats_store.h"
#include "s3d/embedded_nats.h"
#include "support/temp_dir.h"

namespace natss3::s3d {
namespace {

std::vector<std::string> RotatedLogs(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("nats-server.log.")) out.push_back(name);
  }
  return out;
}

TEST(EmbeddedNatsLog, RotatedAtItsSizeLimitAndPruned) {
  test::TempDir dir;
  EmbeddedNats::Options o;
  o.store_dir = dir.File("store");
  o.log_file = dir.File("nats-server.log");
  o.config_file = dir.File("nats-server.conf");
  o.user = "natss3";
  o.password = "right-password-0123456789abcdef";
  o.log_size_limit = 2048;
  o.log_keep = 2;
  auto nats = EmbeddedNats::Start(o);
  ASSERT_TRUE(nats.ok()) << nats.status().ToString();
  // Every refused login is an error line in the server's log: 60 of them fill several files.
  ConnectOptions wrong;
  wrong.servers = (*nats)->url();
  wrong.user = "natss3";
  wrong.password = "wrong";
  wrong.connect_timeout = std::chrono::milliseconds(2000);
  for (int i = 0; i < 60; ++i) EXPECT_FALSE(ConnectNats(wrong).ok());
  std::vector<std::string> rotated;
  for (int i = 0; i < 100 && (rotated = RotatedLogs(dir.path())).size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(rotated.size(), 3u) << "nats-server did not rotate its log at 2 KiB";
  EXPECT_LE(std::filesystem::file_size(o.log_file), 4096u);
  (*nats)->Stop();  // no rotation while pruning
  std::sort(rotated.begin(), rotated.end());
  EXPECT_EQ(EmbeddedNats::PruneRotatedLogs(o.log_file, 2), static_cast<int>(rotated.size()) - 2);
  // The newest two are kept: the names carry the rotation time and sort by it.
  std::vector<std::string> kept = RotatedLogs(dir.path());
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, std::vector<std::string>(rotated.end() - 2, rotated.end()));
  EXPECT_TRUE(std::filesystem::exists(o.log_file));
  EXPECT_TRUE(std::filesystem::exists(o.config_file));
}

TEST(EmbeddedNatsLog, PruneKeepsTheNewestAndOnlyRotatedNames) {
  test::TempDir dir;
  std::string log = dir.File("nats-server.log");
  for (const char* name :
       {"nats-server.log", "nats-server.log.2026.12.06.09.54.40.641494994",
        "nats-server.log.2026.12.06.09.54.41.000000001", "nats-server.log.2026.12.06.10.00.00.5",
        "nats-server.log.old", "nats-server.conf", "other.log.2026.01.01"}) {
    ASSERT_TRUE(test::WriteFile(dir.File(name), "x"));
  }
  EXPECT_EQ(EmbeddedNats::PruneRotatedLogs(log, 1), 2);
  for (const char* gone : {"nats-server.log.2026.12.06.09.54.40.641494994",
                           "nats-server.log.2026.12.06.09.54.41.000000001"}) {
    EXPECT_FALSE(std::filesystem::exists(dir.File(gone))) << gone;
  }
  for (const char* kept : {"nats-server.log", "nats-server.log.2026.12.06.10.00.00.5",
                           "nats-server.log.old", "nats-server.conf", "other.log.2026.01.01"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.File(kept))) << kept;
  }
  EXPECT_EQ(EmbeddedNats::PruneRotatedLogs(log, 1), 0);
}

}  // namespace
}  // namespace natss3::s3d
