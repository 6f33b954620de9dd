// MountFixture: a real nats-server plus the real natss3fs binary mounted on a temp directory.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "natss3/nats_store.h"
#include "support/nats_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::test {

// True when `path` is a mount point listed in /proc/self/mountinfo.
bool IsMounted(const std::string& path);
// Polls `check` every 20 ms until true or timeout.
bool PollUntil(const std::function<bool()>& check, std::chrono::milliseconds timeout);

class MountFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;  // always unmounts

  // Starts natss3fs -f on mnt_ (extra args appended); waits until mounted.
  bool Mount(const std::vector<std::string>& extra = {"--bucket", "b"});
  void Unmount();  // fusermount3 -u, then waits for the process to exit
  std::string Path(const std::string& rel) const { return mnt_->path() + "/" + rel; }

  std::unique_ptr<NatsServer> server_;
  std::shared_ptr<ObjectStore> store_;
  std::unique_ptr<TempDir> mnt_;
  std::unique_ptr<TempDir> work_;  // scratch files and the cache dir
  std::unique_ptr<Subprocess> fs_;
};

}  // namespace natss3::test
