// natss3fs end to end: file size limits (EFBIG), stopping with files open or uploads in
// progress, and the mount's garbage collection.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

#include "mount_fixture.h"
#include "support/object_meta.h"

namespace natss3::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

// The server may store at most 8 GiB: a mount that streams a huge hole (what these tests
// guard against) fails there instead of filling the test machine's disk.
class MountLimitsTest : public MountFixture {
 protected:
  MountLimitsTest() {
    server_options_.jetstream = false;  // the block below replaces the default one
    server_options_.store_dir = js_dir_.path();
    server_options_.config_text =
        "jetstream { store_dir: \"" + js_dir_.path() + "/js\", max_file_store: 8G }";
  }

  BucketStatus Bucket(const std::string& name = "b") {
    auto status = store_->GetBucketStatus(name);
    EXPECT_TRUE(status.ok()) << status.status().ToString();
    return status.ok() ? *status : BucketStatus{};
  }

  void StopDuringUpload(const std::function<void()>& stop);

  TempDir js_dir_{"natss3fs-js"};
};

// truncate -s 999999999999999 (and ftruncate, and a write that far out) fail at once with
// EFBIG and upload nothing; the mount stays usable. The old code staged the hole and
// streamed it as zeros at close: hours of upload, until the server ran out of space.
TEST_F(MountLimitsTest, HugeSizesFailAtOnceWithEfbig) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("f"), "small").ok());
  ASSERT_TRUE(Mount());
  ASSERT_EQ(ReadFile(Path("f")), "small");
  const BucketStatus before = Bucket();
  constexpr off_t kHuge = 999999999999999;

  auto start = Steady::now();
  EXPECT_EQ(truncate(Path("f").c_str(), kHuge), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_LT(Steady::now() - start, seconds(1));

  int fd = open(Path("f").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  start = Steady::now();
  EXPECT_EQ(ftruncate(fd, kHuge), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(pwrite(fd, "x", 1, kHuge - 10), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_LT(Steady::now() - start, seconds(1));
  EXPECT_EQ(close(fd), 0);

  const BucketStatus after = Bucket();
  EXPECT_EQ(after.size, before.size) << "bytes were uploaded";
  EXPECT_EQ(after.messages, before.messages);
  struct stat st{};
  ASSERT_EQ(stat(Path("f").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 5);
  EXPECT_EQ(ReadFile(Path("f")), "small");
  // The same on a new file; the mount keeps working.
  fd = open(Path("new").c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ftruncate(fd, kHuge), -1);
  EXPECT_EQ(errno, EFBIG);
  ASSERT_EQ(write(fd, "ok", 2), 2);
  EXPECT_EQ(close(fd), 0);
  EXPECT_EQ(BytesOf(*store_, "b", "new"), "ok");
  EXPECT_EQ(WriteThrough(Path("after"), "still fine"), 0);
  EXPECT_EQ(ReadFile(Path("after")), "still fine");
}

// -o max_file_size sets the limit; without it a bucket's max_bytes is the limit.
TEST_F(MountLimitsTest, LimitComesFromTheOptionOrTheBucket) {
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "max_file_size=1M"}));
  const std::string mib(1 << 20, 'm');
  int fd = open(Path("x").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, mib.data(), mib.size()), static_cast<ssize_t>(mib.size()));  // exactly
  EXPECT_EQ(write(fd, "!", 1), -1);
  EXPECT_EQ(errno, EFBIG);
  ASSERT_EQ(close(fd), 0);
  EXPECT_EQ(store_->GetInfo("b", "x")->size, mib.size());
  EXPECT_EQ(truncate(Path("x").c_str(), (1 << 20) + 1), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(truncate(Path("x").c_str(), 10), 0);
  Unmount();

  BucketConfig small;
  small.bucket = "small";
  small.max_bytes = 8 << 20;
  ASSERT_TRUE(store_->CreateBucket(small).ok());
  ASSERT_TRUE(Mount({"--bucket", "small"}));
  ASSERT_EQ(WriteThrough(Path("y"), "y"), 0);
  const BucketStatus before = Bucket("small");
  auto start = Steady::now();
  EXPECT_EQ(truncate(Path("y").c_str(), 9 << 20), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_LT(Steady::now() - start, seconds(1));
  EXPECT_EQ(Bucket("small").size, before.size);
  EXPECT_EQ(truncate(Path("y").c_str(), 1 << 20), 0);  // under the limit: fine
  EXPECT_EQ(store_->GetInfo("small", "y")->size, 1u << 20);
}

// The JetStream account's storage limit bounds files too: with 16 MiB of account storage, a
// truncate to 32 MiB fails at once (the mount would otherwise stream zeros until the account
// refused them).
class MountAccountLimitTest : public MountLimitsTest {
 protected:
  MountAccountLimitTest() {
    server_options_.config_text =
        "jetstream { store_dir: \"" + js_dir_.path() + "/js\", max_file_store: 8G }\n"
        "accounts { A: { jetstream: { max_file: 16M, max_mem: 1M }, "
        "users: [{user: a, password: a}] } }\n"
        "no_auth_user: a\n";
  }
};

TEST_F(MountAccountLimitTest, AccountStorageLeftBoundsFiles) {
  ASSERT_TRUE(Mount());
  ASSERT_EQ(WriteThrough(Path("y"), std::string(1 << 20, 'y')), 0);
  const BucketStatus before = Bucket();
  auto start = Steady::now();
  EXPECT_EQ(truncate(Path("y").c_str(), 32 << 20), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_LT(Steady::now() - start, seconds(1));
  EXPECT_EQ(Bucket().size, before.size);
  EXPECT_EQ(truncate(Path("y").c_str(), 2 << 20), 0);  // within what the account has left
  EXPECT_EQ(store_->GetInfo("b", "y")->size, 2u << 20);
}

// SIGTERM with files open: none of them is published (the application never closed them),
// the puts are aborted (no chunks left), and what was staged locally is kept in the cache
// directory, as the log says. The old code published whatever had been written so far.
TEST_F(MountLimitsTest, StopNeverPublishesUnclosedFiles) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("existing"), "old version").ok());
  ASSERT_TRUE(store_->PutBytes("b", Meta("edited"), "0123456789").ok());
  ASSERT_TRUE(Mount());
  const BucketStatus before = Bucket();
  const std::string fresh_data = RandomBytes(3 << 20, 5);
  int over = open(Path("existing").c_str(), O_WRONLY | O_TRUNC);
  int fresh = open(Path("fresh").c_str(), O_CREAT | O_WRONLY, 0644);
  int edited = open(Path("edited").c_str(), O_RDWR);
  ASSERT_GE(over, 0);
  ASSERT_GE(fresh, 0);
  ASSERT_GE(edited, 0);
  ASSERT_EQ(write(over, "half-written new version", 24), 24);
  ASSERT_EQ(write(fresh, fresh_data.data(), fresh_data.size()),
            static_cast<ssize_t>(fresh_data.size()));
  ASSERT_EQ(pwrite(edited, "XY", 2, 3), 2);
  fs_->Signal(SIGTERM);
  EXPECT_EQ(fs_->Wait(seconds(15)), 0);
  close(over);
  close(fresh);
  close(edited);
  Unmount();
  EXPECT_EQ(BytesOf(*store_, "b", "existing"), "old version");
  EXPECT_EQ(BytesOf(*store_, "b", "edited"), "0123456789");
  EXPECT_EQ(store_->GetInfo("b", "fresh").status().code(), Code::kNotFound);
  const BucketStatus after = Bucket();
  EXPECT_EQ(after.messages, before.messages) << "chunks of aborted puts were left";
  // The log names where each file's staged bytes are; the streamed file's are its content.
  const std::string log = ReadFile(work_->File("natss3fs.log"));
  for (const char* name : {"b/existing", "b/fresh", "b/edited"}) {
    EXPECT_NE(log.find(std::string(name) + " was still open when natss3fs stopped"),
              std::string::npos) << log;
  }
  auto at = log.find("b/fresh was still open");
  ASSERT_NE(at, std::string::npos);
  auto in = log.find(" kept in ", at);
  ASSERT_NE(in, std::string::npos) << log;
  in += 9;
  const std::string kept = log.substr(in, log.find(' ', in) - in);
  EXPECT_EQ(kept.rfind(work_->File("cache") + "/", 0), 0u) << kept;
  EXPECT_TRUE(ReadFile(kept) == fresh_data) << kept;
}

// A close uploads a large file (20 GiB of a hole) when natss3fs is stopped by `stop`: the
// upload gives up within seconds, that close fails, the previous version stays and the put's
// chunks are purged. The old code finished the upload before it exited.
void MountLimitsTest::StopDuringUpload(const std::function<void()>& stop) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("big"), "previous").ok());
  ASSERT_TRUE(Mount());
  const BucketStatus before = Bucket();
  int fd = open(Path("big").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 20ll << 30), 0);
  std::atomic<int> close_rc{1};
  std::thread closer([&] { close_rc = close(fd); });  // publishes: a long upload
  ASSERT_TRUE(PollUntil([&] { return Bucket().size > before.size + (64 << 20); }, seconds(30)))
      << "the upload did not start";
  const auto start = Steady::now();
  stop();
  EXPECT_EQ(fs_->Wait(seconds(20)), 0);
  EXPECT_LT(Steady::now() - start, seconds(5));
  closer.join();
  EXPECT_NE(close_rc.load(), 0) << "close reported success for an aborted upload";
  Unmount();
  EXPECT_EQ(BytesOf(*store_, "b", "big"), "previous");
  EXPECT_TRUE(PollUntil([&] { return Bucket().messages == before.messages; }, seconds(10)))
      << Bucket().messages << " messages, want " << before.messages;
}

TEST_F(MountLimitsTest, SigtermAbortsAnUploadInProgress) {
  StopDuringUpload([&] { fs_->Signal(SIGTERM); });
}

// umount -f aborts the FUSE connection: the session ends like on SIGTERM.
TEST_F(MountLimitsTest, ForcedUnmountAbortsAnUploadInProgress) {
  StopDuringUpload([&] { RunCommand({"umount", "-f", mnt_->path()}); });
}

// The mount collects garbage: a staged blob nobody references any more (its writer went away)
// is purged once it is older than gc_grace.
TEST_F(MountLimitsTest, CollectsOrphanChunks) {
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "gc_interval=1000,gc_grace=1000"}));
  const uint64_t empty = Bucket().messages;
  auto writer = store_->NewStagedWriter("b");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Write(RandomBytes(300 << 10, 3)).ok());
  auto blob = (*writer)->Finish();
  ASSERT_TRUE(blob.ok());
  store_->ReleaseStaged("b", blob->nuid);  // as if its process had ended
  EXPECT_EQ(Bucket().messages, empty + blob->chunks);
  EXPECT_TRUE(PollUntil([&] { return Bucket().messages == empty; }, seconds(30)))
      << Bucket().messages << " messages";
}

}  // namespace
}  // namespace natss3::test
