// natss3fs end to end: the real binary mounted with FUSE, driven by real tools (cp, rsync, ...).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "mount_fixture.h"
#include "support/object_meta.h"

namespace natss3::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class MountTest : public MountFixture {};

std::string Sh(const std::string& command) {
  std::string out;
  int rc = RunShell(command + " 2>&1", &out, std::chrono::minutes(3));
  EXPECT_EQ(rc, 0) << command << "\n" << out;
  return out;
}

TEST_F(MountTest, CopyInAndOutKeepsBytes) {
  ASSERT_TRUE(Mount());
  const std::vector<std::pair<std::string, size_t>> files = {
      {"empty", 0}, {"one", 1}, {"ten_mib", 10u << 20}, {"big", 200u << 20}};
  for (const auto& [name, size] : files) {
    ASSERT_TRUE(WriteFile(work_->File(name), RandomBytes(size, size + 7)));
    Sh("cp " + work_->File(name) + " " + Path(name));
  }
  // Read back through the core (what any NATS client sees) and through a fresh mount.
  for (const auto& [name, size] : files) {
    auto info = store_->GetInfo("b", name);
    ASSERT_TRUE(info.ok()) << name;
    EXPECT_EQ(info->size, size);
  }
  EXPECT_EQ(Sha256Hex(store_->GetBytes("b", "ten_mib").value()),
            FileSha256Hex(work_->File("ten_mib")));
  Unmount();
  ASSERT_TRUE(Mount());
  for (const auto& [name, size] : files) {
    Sh("cp " + Path(name) + " " + work_->File(name + ".out"));
    EXPECT_EQ(FileSha256Hex(work_->File(name + ".out")), FileSha256Hex(work_->File(name)))
        << name;
    struct stat st{};
    ASSERT_EQ(stat(Path(name).c_str(), &st), 0);
    EXPECT_EQ(static_cast<size_t>(st.st_size), size);
  }
}

TEST_F(MountTest, ListsBucketsAndImpliedDirectories) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("a/b/c.txt"), "abc").ok());
  BucketConfig other;
  other.bucket = "other";
  ASSERT_TRUE(store_->CreateBucket(other).ok());
  ASSERT_TRUE(Mount({}));  // all buckets
  auto listing = Sh("ls " + mnt_->path());
  EXPECT_NE(listing.find("b\n"), std::string::npos) << listing;
  EXPECT_NE(listing.find("other"), std::string::npos) << listing;
  EXPECT_EQ(Sh("cat " + Path("b/a/b/c.txt")), "abc");
  struct stat st{};
  ASSERT_EQ(stat(Path("b/a/b").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  // mkdir at the root creates a bucket, rmdir deletes an empty one.
  ASSERT_EQ(mkdir(Path("newbucket").c_str(), 0755), 0);
  EXPECT_TRUE(store_->GetBucketStatus("newbucket").ok());
  EXPECT_EQ(mkdir(Path("bad.name").c_str(), 0755), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(rmdir(Path("b").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  ASSERT_EQ(rmdir(Path("newbucket").c_str()), 0);
  EXPECT_FALSE(store_->GetBucketStatus("newbucket").ok());
}

TEST_F(MountTest, MkdirRmdirRenameUnlink) {
  ASSERT_TRUE(Mount());
  ASSERT_EQ(mkdir(Path("d").c_str(), 0750), 0);
  EXPECT_TRUE(store_->GetInfo("b", "d/").ok());  // S3-style directory marker
  ASSERT_TRUE(WriteFile(Path("d/f"), "hello"));
  EXPECT_EQ(rmdir(Path("d").c_str()), -1);
  EXPECT_EQ(errno, ENOTEMPTY);
  auto before = store_->GetInfo("b", "d/f");
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(rename(Path("d/f").c_str(), Path("d/g").c_str()), 0);
  auto after = store_->GetInfo("b", "d/g");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->nuid, before->nuid);  // metadata-only: the chunks did not move
  EXPECT_FALSE(store_->GetInfo("b", "d/f").ok());
  EXPECT_EQ(ReadFile(Path("d/g")), "hello");
  EXPECT_NE(access(Path("d/f").c_str(), F_OK), 0);
  // Directory rename moves every object under it.
  ASSERT_EQ(rename(Path("d").c_str(), Path("e").c_str()), 0);
  EXPECT_EQ(ReadFile(Path("e/g")), "hello");
  EXPECT_TRUE(store_->GetInfo("b", "e/").ok());
  ASSERT_EQ(unlink(Path("e/g").c_str()), 0);
  EXPECT_NE(access(Path("e/g").c_str(), F_OK), 0);
  EXPECT_EQ(Sh("ls " + Path("e")), "");
  ASSERT_EQ(rmdir(Path("e").c_str()), 0);
  EXPECT_NE(access(Path("e").c_str(), F_OK), 0);
  EXPECT_FALSE(store_->GetInfo("b", "e/").ok());
}

TEST_F(MountTest, TruncateAndAppendExistingFiles) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("f"), "0123456789").ok());
  ASSERT_TRUE(Mount());
  Sh("echo -n abc >> " + Path("f"));
  EXPECT_EQ(store_->GetBytes("b", "f").value(), "0123456789abc");
  ASSERT_EQ(truncate(Path("f").c_str(), 4), 0);
  EXPECT_EQ(store_->GetBytes("b", "f").value(), "0123");
  EXPECT_EQ(ReadFile(Path("f")), "0123");
  // Overwrite in the middle (not sequential): staged, uploaded on close.
  int fd = open(Path("f").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "XY", 2, 1), 2);
  ASSERT_EQ(close(fd), 0);
  EXPECT_EQ(store_->GetBytes("b", "f").value(), "0XY3");
  ASSERT_EQ(truncate(Path("f").c_str(), 0), 0);
  EXPECT_EQ(store_->GetBytes("b", "f").value(), "");
  // A new file written with a seek back (like a linker) still lands whole.
  fd = open(Path("seek").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "header--body", 12), 12);
  ASSERT_EQ(pwrite(fd, "HEADER", 6, 0), 6);
  ASSERT_EQ(close(fd), 0);
  EXPECT_EQ(store_->GetBytes("b", "seek").value(), "HEADER--body");
}

// What everyday tools do that the simple paths do not: flock(1) creates its lock file with
// O_RDONLY | O_CREAT; `ls` while a log is appended to hands the kernel sizes through
// readdirplus; `rm -r` empties a directory that exists only through object names before
// removing it; truncate(1) runs while a reader holds the file open.
TEST_F(MountTest, EverydayToolsEdgeCases) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("log"), "x\n").ok());
  ASSERT_TRUE(store_->PutBytes("b", Meta("implied/x"), "x").ok());
  ASSERT_TRUE(store_->PutBytes("b", Meta("t"), "0123456789").ok());
  ASSERT_TRUE(Mount());

  int fd = open(Path("lock").c_str(), O_RDONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(close(fd), 0);
  EXPECT_TRUE(store_->GetInfo("b", "lock").ok());
  EXPECT_EQ(access(Path("lock").c_str(), F_OK), 0);

  fd = open(Path("log").c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "a\n", 2), 2);
  Sh("ls -l " + mnt_->path() + " >/dev/null");
  ASSERT_EQ(write(fd, "b\n", 2), 2);
  ASSERT_EQ(close(fd), 0);
  EXPECT_EQ(store_->GetBytes("b", "log").value(), "x\na\nb\n");

  Sh("rm -r " + Path("implied"));
  EXPECT_NE(access(Path("implied").c_str(), F_OK), 0);
  EXPECT_FALSE(store_->GetInfo("b", "implied/x").ok());

  int reader = open(Path("t").c_str(), O_RDONLY);
  ASSERT_GE(reader, 0);
  ASSERT_EQ(truncate(Path("t").c_str(), 3), 0);
  EXPECT_EQ(store_->GetBytes("b", "t").value(), "012");
  ASSERT_EQ(close(reader), 0);
  EXPECT_EQ(store_->GetBytes("b", "t").value(), "012");
}

TEST_F(MountTest, RsyncTreeRoundTripKeepsModesAndMtimes) {
  if (RunShell("command -v rsync >/dev/null") != 0) GTEST_SKIP() << "rsync not installed";
  const std::string src = work_->File("src");
  Sh("mkdir -p " + src + "/a/b " + src + "/c && head -c 300000 /dev/urandom > " + src +
     "/a/b/bin && echo hi > " + src + "/a/x && : > " + src + "/c/empty && chmod 600 " + src +
     "/a/x && chmod 751 " + src + "/a/b && touch -d '2021-02-03 04:05:06' " + src +
     "/a/b/bin " + src + "/a/b && touch -d '2019-01-01 00:00:00.5' " + src + "/c/empty && " +
     // rsync itself skips directory times equal to the second (same as on a local disk).
     "touch -d '2018-05-06 07:08:09' " + src + "/a " + src + "/c");
  ASSERT_TRUE(Mount());
  Sh("rsync -a " + src + "/ " + Path("tree/"));
  Unmount();
  ASSERT_TRUE(Mount());
  const std::string back = work_->File("back");
  Sh("rsync -a " + Path("tree/") + " " + back + "/");
  Sh("diff -r " + src + " " + back);
  auto stat_of = [&](const std::string& root) {
    return Sh("cd " + root + " && find . -mindepth 1 | sort | xargs stat -c '%n %a %s %Y %y'");
  };
  EXPECT_EQ(stat_of(src), stat_of(back));
  // A second rsync finds nothing to transfer (sizes and mtimes match).
  auto dry = Sh("rsync -ai --dry-run " + src + "/ " + Path("tree/"));
  EXPECT_EQ(dry.find(">f"), std::string::npos) << dry;
}

TEST_F(MountTest, ConcurrentReadersSeeTheSameBytes) {
  const std::string data = RandomBytes(24u << 20, 5);
  ASSERT_TRUE(store_->PutBytes("b", Meta("shared"), data).ok());
  ASSERT_TRUE(Mount());
  const std::string want = Sha256Hex(data);
  std::vector<std::thread> readers;
  std::vector<std::string> got(6);
  for (size_t i = 0; i < got.size(); ++i) {
    readers.emplace_back([&, i] {
      if (i % 2 == 0) {
        got[i] = Sha256Hex(ReadFile(Path("shared")));
        return;
      }
      // Odd readers read backwards in 1 MiB blocks (positional reads).
      std::string buf(data.size(), '\0');
      int fd = open(Path("shared").c_str(), O_RDONLY);
      for (size_t off = data.size(); fd >= 0 && off > 0;) {
        size_t n = std::min<size_t>(off, 1u << 20);
        off -= n;
        if (pread(fd, buf.data() + off, n, static_cast<off_t>(off)) != static_cast<ssize_t>(n)) break;
      }
      if (fd >= 0) close(fd);
      got[i] = Sha256Hex(buf);
    });
  }
  for (auto& t : readers) t.join();
  for (const auto& sha : got) EXPECT_EQ(sha, want);
}

TEST_F(MountTest, ReadersClosedMidFileLeaveTheMountHealthy) {
  // head, file(1), media probes: open, read a few MiB, close. The sequential reader is then
  // dropped with chunk fetches still in flight.
  const std::string data = RandomBytes(24u << 20, 13);
  ASSERT_TRUE(store_->PutBytes("b", Meta("video"), data).ok());
  ASSERT_TRUE(Mount());
  std::string buf(3u << 20, '\0');
  for (int i = 0; i < 120; ++i) {
    int fd = open(Path("video").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0) << "iteration " << i << ": " << strerror(errno);
    const size_t want = (1u << 20) + (i % 3) * (1u << 20);  // like head -c
    ASSERT_EQ(read(fd, buf.data(), want), static_cast<ssize_t>(want)) << i;
    EXPECT_EQ(buf.substr(0, want), data.substr(0, want)) << i;
    close(fd);
  }
  EXPECT_TRUE(fs_->running());
  EXPECT_EQ(Sha256Hex(ReadFile(Path("video"))), Sha256Hex(data));
}

TEST_F(MountTest, ChangesThroughTheCoreShowUpWithinASecond) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("dir/old"), "v1").ok());
  ASSERT_TRUE(Mount());
  EXPECT_EQ(ReadFile(Path("dir/old")), "v1");
  Sh("ls -l " + Path("dir"));  // the kernel now caches the directory's entries
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->PutBytes("b", Meta("dir/new"), "fresh").ok());
  ASSERT_TRUE(store_->PutBytes("b", Meta("dir/old"), "version2").ok());
  EXPECT_TRUE(PollUntil([&] { return access(Path("dir/new").c_str(), F_OK) == 0; }, seconds(1)));
  EXPECT_TRUE(PollUntil([&] { return ReadFile(Path("dir/old")) == "version2"; }, seconds(1)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  ASSERT_TRUE(store_->Delete("b", "dir/new").ok());
  EXPECT_TRUE(PollUntil([&] { return access(Path("dir/new").c_str(), F_OK) != 0; }, seconds(1)));
  EXPECT_EQ(Sh("ls " + Path("dir")), "old\n");
}

TEST_F(MountTest, AttributesUseS3fsHeaders) {
  ASSERT_TRUE(Mount());
  ASSERT_TRUE(WriteFile(Path("f"), "x"));
  ASSERT_EQ(chmod(Path("f").c_str(), 0640), 0);
  ASSERT_EQ(chown(Path("f").c_str(), 1234, 5678), 0);
  timespec times[2] = {{0, UTIME_OMIT}, {1600000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, Path("f").c_str(), times, 0), 0);
  auto info = store_->GetInfo("b", "f");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->Header("X-Amz-Meta-Mode"), std::to_string(S_IFREG | 0640));
  EXPECT_EQ(info->Header("X-Amz-Meta-Uid"), "1234");
  EXPECT_EQ(info->Header("X-Amz-Meta-Gid"), "5678");
  EXPECT_EQ(info->Header("X-Amz-Meta-Mtime"), "1600000000");
  struct stat st{};
  ASSERT_EQ(stat(Path("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, getuid());  // owners only with -o trust_metadata_owner (below)
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  // An object written elsewhere with those headers shows them.
  ObjectMeta meta = Meta("s3fs-file");
  meta.headers["X-Amz-Meta-Mode"] = {std::to_string(S_IFREG | 0600)};
  meta.headers["X-Amz-Meta-Mtime"] = {"1500000000"};
  ASSERT_TRUE(store_->PutBytes("b", meta, "data").ok());
  ASSERT_TRUE(PollUntil([&] { return stat(Path("s3fs-file").c_str(), &st) == 0; }, seconds(2)));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1500000000);
  Unmount();
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "trust_metadata_owner"}));
  ASSERT_EQ(stat(Path("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
}

}  // namespace
}  // namespace natss3::test
