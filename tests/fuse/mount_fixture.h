// MountFixture: a real nats-server plus the real natss3fs binary mounted on a temp directory.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
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
// An object's bytes read through the core, or "<error: ...>".
std::string BytesOf(ObjectStore& store, const std::string& bucket, const std::string& name);
// Lower-case hex MD5 (what the core stores in kMd5Header).
std::string Md5Hex(const std::string& data);
// open(O_CREAT | O_TRUNC), write, close, each checked: 0 or the errno of the first failure.
// The write is acknowledged only when close succeeds (that is when the mount publishes).
int WriteThrough(const std::string& path, const std::string& data);
// The natss3fs binary under test: $NATSS3FS_TEST_BIN when set (to run the tests against
// another build, say the one before a fix), else the one built here.
std::string Natss3fsBinary();

class MountFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;  // always unmounts

  // Starts natss3fs -f on mnt_ (extra args appended); waits until mounted.
  bool Mount(const std::vector<std::string>& extra = {"--bucket", "b"});
  // Starts natss3fs with exactly `args` and then mnt_, with `env` added to the environment;
  // waits until mounted.
  bool MountWith(const std::vector<std::string>& args,
                 const std::map<std::string, std::string>& env = {});
  void Unmount();  // fusermount3 -u, then waits for the process to exit
  std::string Path(const std::string& rel) const { return mnt_->path() + "/" + rel; }

  // How SetUp starts nats-server (a subclass may change it in its constructor).
  NatsServer::Options server_options_;
  std::unique_ptr<NatsServer> server_;
  std::shared_ptr<ObjectStore> store_;
  std::unique_ptr<TempDir> mnt_;
  std::unique_ptr<TempDir> work_;  // scratch files and the cache dir
  std::unique_ptr<Subprocess> fs_;
};

}  // namespace natss3::test
