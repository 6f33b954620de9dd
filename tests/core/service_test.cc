// natss3/service.h: the journal is used exactly when stderr is the stream JOURNAL_STREAM names.
#include "natss3/service.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "support/temp_dir.h"

namespace natss3 {
namespace {

// Points fd 2 at a file for the test's duration.
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& path) {
    saved_ = dup(2);
    int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    dup2(fd, 2);
    close(fd);
  }
  ~StderrToFile() {
    dup2(saved_, 2);
    close(saved_);
  }

 private:
  int saved_ = -1;
};

std::string DeviceInode(int fd) {
  struct stat st {};
  fstat(fd, &st);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

TEST(Service, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  natss3::test::TempDir dir("natss3-service");
  StderrToFile redirect(dir.File("stderr"));
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsJournal());
  setenv("JOURNAL_STREAM", DeviceInode(2).c_str(), 1);
  EXPECT_TRUE(StderrIsJournal());
  // Inherited by a child whose stderr was redirected elsewhere: not the journal any more.
  int other = open(dir.File("other").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  setenv("JOURNAL_STREAM", DeviceInode(other).c_str(), 1);
  EXPECT_FALSE(StderrIsJournal());
  close(other);
  setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(StderrIsJournal());
  unsetenv("JOURNAL_STREAM");
}

TEST(Service, NotifyWithoutSystemdIsANoOp) {
  unsetenv("NOTIFY_SOCKET");
  NotifyService("READY=1");
  EXPECT_EQ(WatchdogInterval().count(), 0);
}

}  // namespace
}  // namespace natss3
