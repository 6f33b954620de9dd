// natss3fs end to end with other clients: the mount(8) helper, nats.go reading what the mount
// wrote, natss3d (S3) writes showing up in the mount, and a new file larger than the cache.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "mount_fixture.h"

namespace natss3::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class MountClientsTest : public MountFixture {
 protected:
  // A directory holding mount.natss3fs next to natss3fs, as the package installs them.
  std::string HelperDir() {
    std::string dir = work_->File("sbin");
    std::filesystem::create_directories(dir);
    std::filesystem::copy_file(NATSS3FS_HELPER, dir + "/mount.natss3fs",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::remove(dir + "/natss3fs");
    std::filesystem::create_symlink(Natss3fsBinary(), dir + "/natss3fs");
    return dir;
  }
  bool DaemonGone() {
    return RunShell("pgrep -f '[n]atss3fs.* " + mnt_->path() + "' >/dev/null") != 0;
  }
};

TEST_F(MountClientsTest, MountHelperHonoursFakeAndVerbose) {
  const std::string helper = HelperDir() + "/mount.natss3fs";
  const std::string opts = "server=" + server_->url() + ",cache_dir=" + work_->File("cache");
  std::string out;
  // mount -f -v: checks the options, says what it would run, mounts nothing.
  EXPECT_EQ(RunCommand({helper, "b", mnt_->path(), "-f", "-v", "-o", opts}, &out), 0) << out;
  EXPECT_NE(out.find("--dry-run"), std::string::npos) << out;
  EXPECT_FALSE(IsMounted(mnt_->path()));
  EXPECT_TRUE(DaemonGone());
  // Fake mode still rejects what a real mount would reject.
  EXPECT_NE(RunCommand({helper, "b", mnt_->path(), "-sfn", "-o", opts + ",bogus"}, &out), 0);
  EXPECT_NE(out.find("bogus"), std::string::npos) << out;
  EXPECT_NE(RunCommand({helper, "b", work_->File("missing-dir"), "-f", "-o", opts}, &out), 0);
  // Without -f it mounts (in the background, as mount(8) expects) and serves the bucket.
  ASSERT_EQ(RunCommand({helper, "b", mnt_->path(), "-n", "-o", opts, "-t", "natss3fs"}, &out), 0)
      << out;
  ASSERT_TRUE(PollUntil([&] { return IsMounted(mnt_->path()); }, seconds(10)));
  EXPECT_TRUE(WriteFile(Path("via-helper"), "mounted"));
  auto written = store_->GetBytes("b", "via-helper");
  EXPECT_TRUE(written.ok() && *written == "mounted");
  ASSERT_EQ(RunCommand({"fusermount3", "-u", mnt_->path()}), 0);
  EXPECT_TRUE(PollUntil([&] { return DaemonGone(); }, seconds(10)));
}

TEST_F(MountClientsTest, NatsGoReadsWhatTheMountWrote) {
#ifndef NATSS3_GO_OSTOOL
  GTEST_SKIP() << "go not installed: no nats.go reference tool";
#else
  ASSERT_TRUE(Mount());
  const std::string data = RandomBytes((3 << 20) + 12345, 21);
  ASSERT_TRUE(WriteFile(work_->File("src"), data));
  ASSERT_EQ(RunCommand({"cp", work_->File("src"), Path("from-mount.bin")}), 0);
  std::string out;
  ASSERT_EQ(RunCommand({NATSS3_GO_OSTOOL, "get", "-s", server_->url(), "-bucket", "b", "-name",
                        "from-mount.bin", "-out", work_->File("by-go")},
                       &out),
            0)
      << out;
  // nats.go verified the SHA-256 digest itself (it fails the read otherwise); compare bytes too.
  EXPECT_EQ(FileSha256Hex(work_->File("by-go")), Sha256Hex(data));
  EXPECT_NE(out.find("\"size\":" + std::to_string(data.size())), std::string::npos) << out;
#endif
}

TEST_F(MountClientsTest, S3WritesShowUpWithinASecond) {
#ifndef NATSS3D_BIN
  GTEST_SKIP() << "natss3d not built";
#else
  const int port = FreePort();
  Subprocess::Options o;
  o.argv = {NATSS3D_BIN, "--listen", "127.0.0.1:" + std::to_string(port), "--nats-servers",
            server_->url(), "--anonymous", "--data-dir", work_->File("s3d"), "--access-log",
            "false"};
  o.stderr_file = work_->File("natss3d.log");
  o.stdout_file = work_->File("natss3d.log");
  Subprocess s3d(o);
  ASSERT_TRUE(s3d.Start());
  ASSERT_TRUE(WaitForPort(port, seconds(20))) << ReadFile(work_->File("natss3d.log"));
  ASSERT_TRUE(Mount());
  ASSERT_EQ(mkdir(Path("dir").c_str(), 0755), 0);
  RunCommand({"ls", "-l", Path("dir")});  // the kernel caches the (empty) directory
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/b/dir/";
  auto put = [&](const std::string& key, const std::string& body) {
    std::string out;
    WriteFile(work_->File("body"), body);
    return RunCommand({"curl", "-sf", "-X", "PUT", "--data-binary", "@" + work_->File("body"),
                       url + key},
                      &out) == 0;
  };
  ASSERT_TRUE(put("s3.txt", "from s3"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(PollUntil([&] { return ReadFile(Path("dir/s3.txt")) == "from s3"; }, seconds(1)));
  ASSERT_TRUE(put("s3.txt", "second version"));
  EXPECT_TRUE(PollUntil([&] { return ReadFile(Path("dir/s3.txt")) == "second version"; },
                        seconds(1)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500));
  EXPECT_EQ(RunCommand({"curl", "-sf", "-X", "DELETE", url + "s3.txt"}), 0);
  EXPECT_TRUE(PollUntil([&] { return access(Path("dir/s3.txt").c_str(), F_OK) != 0; },
                        seconds(1)));
  s3d.Stop();
#endif
}

TEST_F(MountClientsTest, NewFileLargerThanTheCacheSeeksBack) {
  ASSERT_TRUE(Mount({"--bucket", "b", "--cache-size", "2M"}));
  std::string want = RandomBytes(8 << 20, 31);
  int fd = open(Path("video.mp4").c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  for (size_t off = 0; off < want.size(); off += 1 << 20) {
    ASSERT_EQ(write(fd, want.data() + off, 1 << 20), 1 << 20);
  }
  // What a muxer does at the end: patch a size field near the start, then in the middle.
  ASSERT_EQ(pwrite(fd, "SIZE", 4, 40), 4) << strerror(errno);
  ASSERT_EQ(pwrite(fd, "MOOV", 4, 6 << 20), 4) << strerror(errno);
  want.replace(40, 4, "SIZE");
  want.replace(6 << 20, 4, "MOOV");
  std::string back(16, '\0');
  ASSERT_EQ(pread(fd, back.data(), back.size(), (6 << 20) - 6), 16);
  EXPECT_EQ(back, want.substr((6 << 20) - 6, 16));
  ASSERT_EQ(close(fd), 0);
  auto stored = store_->GetBytes("b", "video.mp4");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(Sha256Hex(*stored), Sha256Hex(want));
  EXPECT_EQ(FileSha256Hex(Path("video.mp4")), Sha256Hex(want));
}

TEST_F(MountClientsTest, ShellRedirectionsLargerThanTheCacheStream) {
  // `cmd > file` and dd open, dup2 and close the file before writing: that first close
  // publishes an empty file, and the writes after it must still stream (not stage: the cache
  // is far smaller than the file).
  ASSERT_TRUE(Mount({"--bucket", "b", "--cache-size", "1M"}));
  const std::string data = RandomBytes(12 << 20, 41);
  ASSERT_TRUE(WriteFile(work_->File("src"), data));
  std::string out;
  ASSERT_EQ(RunShell("cat " + work_->File("src") + " > " + Path("by-shell"), &out), 0) << out;
  ASSERT_EQ(RunCommand({"dd", "if=" + work_->File("src"), "of=" + Path("by-dd"), "bs=1M"}, &out),
            0)
      << out;
  for (const char* name : {"by-shell", "by-dd"}) {
    auto stored = store_->GetBytes("b", name);
    ASSERT_TRUE(stored.ok()) << name << ": " << stored.status().ToString();
    EXPECT_EQ(Sha256Hex(*stored), Sha256Hex(data)) << name;
  }
}

}  // namespace
}  // namespace natss3::test
