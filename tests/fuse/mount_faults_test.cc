// natss3fs end to end: errors, crashes, NATS outages and unmounting.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mount_fixture.h"
#include "support/object_meta.h"

namespace natss3::test {
namespace {

using std::chrono::seconds;

class MountFaultsTest : public MountFixture {};

TEST_F(MountFaultsTest, UnsupportedOperationsFailWithClearErrnos) {
  ASSERT_TRUE(Mount());
  ASSERT_TRUE(WriteFile(Path("f"), "x"));
  EXPECT_EQ(link(Path("f").c_str(), Path("hard").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(symlink("f", Path("sym").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(mkfifo(Path("fifo").c_str(), 0644), -1);
  EXPECT_EQ(errno, EPERM);
  std::string long_name(300, 'n');
  EXPECT_EQ(open(Path(long_name).c_str(), O_CREAT | O_WRONLY, 0644), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
  // A path whose object name exceeds the store's limit (each component is fine).
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += std::string(200, 'd') + "/";
  EXPECT_EQ(open(Path(deep + "f").c_str(), O_CREAT | O_WRONLY, 0644), -1);
  EXPECT_TRUE(errno == ENAMETOOLONG || errno == ENOENT) << errno;
}

TEST_F(MountFaultsTest, SealedBucketIsReadOnly) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("kept"), "k").ok());
  ASSERT_TRUE(store_->SealBucket("b").ok());
  ASSERT_TRUE(Mount());
  EXPECT_EQ(ReadFile(Path("kept")), "k");
  int fd = open(Path("new").c_str(), O_CREAT | O_WRONLY, 0644);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS);
  if (fd >= 0) close(fd);
  EXPECT_EQ(unlink(Path("kept").c_str()), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(mkdir(Path("d").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
}

TEST_F(MountFaultsTest, ReadOnlyMountRefusesWrites) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("kept"), "k").ok());
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "ro"}));
  EXPECT_EQ(ReadFile(Path("kept")), "k");
  EXPECT_EQ(open(Path("kept").c_str(), O_WRONLY), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(unlink(Path("kept").c_str()), -1);
  EXPECT_EQ(errno, EROFS);
}

TEST_F(MountFaultsTest, KillDuringWriteLeavesNoPartialObject) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("existing"), "old version").ok());
  // A small cache: most of each file also goes to a staged blob, which must stay invisible.
  ASSERT_TRUE(Mount({"--bucket", "b", "--cache-size", "3M"}));
  const std::string chunk = RandomBytes(1u << 20, 3);
  int fresh = open(Path("fresh").c_str(), O_CREAT | O_WRONLY, 0644);
  int over = open(Path("existing").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fresh, 0);
  ASSERT_GE(over, 0);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(write(fresh, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    ASSERT_EQ(write(over, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
  }
  fs_->Signal(SIGKILL);
  fs_->Wait(seconds(10));
  close(fresh);
  close(over);
  Unmount();
  EXPECT_EQ(store_->GetInfo("b", "fresh").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetBytes("b", "existing").value(), "old version");
  auto listed = store_->List("b");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(MountFaultsTest, NatsRestartDuringReadGivesEioThenRecovers) {
  const std::string data = RandomBytes(16u << 20, 9);
  ASSERT_TRUE(store_->PutBytes("b", Meta("f"), data).ok());
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "read_timeout=2000,timeout=2000"}));
  int fd = open(Path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string buf(1u << 20, '\0');
  ASSERT_EQ(pread(fd, buf.data(), buf.size(), 0), static_cast<ssize_t>(buf.size()));
  server_->Stop();
  auto start = std::chrono::steady_clock::now();
  ssize_t n = pread(fd, buf.data(), buf.size(), 12 << 20);
  int err = errno;
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, EIO);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(15));
  close(fd);
  ASSERT_TRUE(server_->Restart());
  EXPECT_TRUE(PollUntil([&] { return ReadFile(Path("f")) == data; }, seconds(30)));
}

TEST_F(MountFaultsTest, StopWithOpenFilesAndUnmount) {
  ASSERT_TRUE(Mount());
  int fd = open(Path("open-at-exit").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "never closed", 12), 12);
  fs_->Signal(SIGTERM);  // what service stops do
  EXPECT_EQ(fs_->Wait(seconds(15)), 0);
  close(fd);
  // Not closed by the application: not published (mount_limits_test.cc has the details).
  EXPECT_EQ(store_->GetInfo("b", "open-at-exit").status().code(), Code::kNotFound);
  Unmount();
  // fusermount3 -u of an idle mount: the process exits 0 and the mount is gone.
  ASSERT_TRUE(Mount());
  ASSERT_TRUE(WriteFile(Path("g"), "x"));
  ASSERT_EQ(RunCommand({"fusermount3", "-u", mnt_->path()}), 0);
  EXPECT_EQ(fs_->Wait(seconds(10)), 0);
  EXPECT_FALSE(IsMounted(mnt_->path()));
}

}  // namespace
}  // namespace natss3::test
