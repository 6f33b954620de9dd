// natss3fs and object lock: a file whose object is under retention or legal hold cannot be
// removed, overwritten, truncated, renamed or renamed onto through the mount (EPERM), and
// stays readable and intact; once the hold is released it can be removed again.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "mount_fixture.h"
#include "natss3/object_lock.h"

namespace natss3::test {
namespace {

using namespace std::chrono_literals;

class MountObjectLockTest : public MountFixture {
 protected:
  void PutLocked(const std::string& name, bool hold) {
    ObjectMeta meta;
    meta.name = name;
    ObjectLock lock;
    if (!hold) {
      lock.mode = RetentionMode::kCompliance;
      lock.retain_until = std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now()) + 1h;
    }
    lock.legal_hold = hold;
    SetLock(&meta.headers, lock);
    ASSERT_TRUE(store_->PutBytes("b", meta, "kept: " + name).ok());
  }
  // errno of `call` (0 when it succeeded).
  static int Errno(int rc) { return rc == 0 ? 0 : errno; }
};

TEST_F(MountObjectLockTest, LockedFilesRefuseChangesWithEperm) {
  ASSERT_TRUE(Mount());
  PutLocked("retained.txt", false);
  PutLocked("held.txt", true);
  ASSERT_EQ(WriteThrough(Path("free.txt"), "free"), 0);
  struct stat st {};
  ASSERT_TRUE(PollUntil([&] { return stat(Path("held.txt").c_str(), &st) == 0; }, 10s));
  ASSERT_TRUE(PollUntil([&] { return stat(Path("retained.txt").c_str(), &st) == 0; }, 10s));

  for (const std::string name : {"retained.txt", "held.txt"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(Errno(unlink(Path(name).c_str())), EPERM);
    int fd = open(Path(name).c_str(), O_WRONLY | O_TRUNC);
    EXPECT_EQ(fd, -1);
    EXPECT_EQ(errno, EPERM);
    if (fd >= 0) close(fd);
    fd = open(Path(name).c_str(), O_WRONLY | O_APPEND);
    EXPECT_EQ(fd, -1);
    EXPECT_EQ(errno, EPERM);
    if (fd >= 0) close(fd);
    EXPECT_EQ(Errno(truncate(Path(name).c_str(), 0)), EPERM);
    EXPECT_EQ(Errno(rename(Path(name).c_str(), Path("moved.txt").c_str())), EPERM);
    EXPECT_EQ(Errno(rename(Path("free.txt").c_str(), Path(name).c_str())), EPERM);
    // Overwrite by a shell redirection fails too.
    std::string out;
    EXPECT_NE(RunShell("echo new > '" + Path(name) + "' 2>&1", &out), 0) << out;
    EXPECT_EQ(BytesOf(*store_, "b", name), "kept: " + name);
    EXPECT_EQ(ReadFile(Path(name)), "kept: " + name);
  }
  EXPECT_EQ(BytesOf(*store_, "b", "free.txt"), "free");
  EXPECT_NE(stat(Path("moved.txt").c_str(), &st), 0);

  // Releasing the hold lets the mount remove the file.
  ASSERT_TRUE(store_
                  ->ModifyMeta("b", "held.txt",
                               [](ObjectInfo& info) {
                                 SetLock(&info.meta.headers, ObjectLock{});
                                 return Status::OK();
                               })
                  .ok());
  EXPECT_TRUE(PollUntil([&] { return unlink(Path("held.txt").c_str()) == 0; }, 10s));
}

}  // namespace
}  // namespace natss3::test
