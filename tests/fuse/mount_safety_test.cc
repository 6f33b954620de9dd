// natss3fs end to end: acknowledged writes survive attribute changes, renames and unlinks
// racing with them, and open files keep their data after an unlink or a rename over them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

#include "mount_fixture.h"
#include "support/object_meta.h"

namespace natss3::test {
namespace {

using std::chrono::seconds;

// Version i of a test file: "version <i>\n" then pseudo-random bytes (three chunks).
constexpr size_t kVersionSize = 300 << 10;
std::string Version(int i) {
  std::string data = RandomBytes(kVersionSize, 1000 + static_cast<uint64_t>(i));
  std::string tag = "version " + std::to_string(i) + "\n";
  data.replace(0, tag.size(), tag);
  return data;
}
// Which version `data` claims to be (-1: none), from its first line.
int VersionOf(const std::string& data) {
  if (data.rfind("version ", 0) != 0) return -1;
  return std::atoi(data.c_str() + 8);
}

// Collects the failures of background threads; gtest assertions are for the main thread.
class Problems {
 public:
  void Add(std::string what) {
    std::lock_guard lock(mu_);
    if (list_.size() < 20) list_.push_back(std::move(what));
    ++count_;
  }
  std::string Report() {
    std::lock_guard lock(mu_);
    std::string out = std::to_string(count_) + " problems:";
    for (const auto& p : list_) out += "\n  " + p;
    return count_ == 0 ? std::string() : out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> list_;
  int count_ = 0;
};

// The MD5 header witnesses that a record's headers belong to its data: natss3fs records it
// only when asked.
const std::vector<std::string> kWithMd5 = {"--bucket", "b", "-o", "md5"};

// Reads the exact version `info` names (never another one) and checks that its data is a whole
// test version whose MD5 header is its own. Returns false when it is not.
bool CheckVersion(ObjectStore& store, const ObjectInfo& info, Problems* problems) {
  auto reader = store.OpenInfo(info);
  std::string data;
  if (reader.ok()) {
    std::string buf(1 << 20, '\0');
    for (;;) {
      auto n = (*reader)->Read(buf.data(), buf.size());
      if (!n.ok()) {
        reader = n.status();
        break;
      }
      if (*n == 0) break;
      data.append(buf.data(), *n);
    }
  }
  if (!reader.ok()) {
    problems->Add("read of " + info.name() + " rev " + std::to_string(info.revision) + ": " +
                  reader.status().ToString());
    return false;
  }
  const int v = VersionOf(data);
  if (v < 0 || data != Version(v)) {
    problems->Add(info.name() + ": a short or mixed body of " + std::to_string(data.size()) +
                  " bytes");
    return false;
  }
  if (info.Header(kMd5Header) != Md5Hex(data)) {
    problems->Add(info.name() + " holds version " + std::to_string(v) +
                  " under the MD5 header of other data: " + info.Header(kMd5Header));
    return false;
  }
  return true;
}

class MountSafetyTest : public MountFixture {};

// chmod and touch (utimensat) loop on a file that is rewritten through the mount. Each rewrite
// is acknowledged by close(2); right after it the store must hold exactly that version, with
// its own MD5 header, and a reader in another process (the core, here) never gets an error or
// a short body. A metadata write computed from an older record wrote that record's headers
// back onto the new version.
TEST_F(MountSafetyTest, ChmodAndTouchRacingRewritesKeepEveryWrite) {
  ASSERT_TRUE(Mount(kWithMd5));
  ASSERT_EQ(WriteThrough(Path("f"), Version(0)), 0);
  std::atomic<bool> done{false};
  std::atomic<int> attr_changes{0};
  Problems problems;
  std::thread attrs([&] {
    for (int n = 0; !done; ++n) {
      if (chmod(Path("f").c_str(), n % 2 ? 0600 : 0644) != 0) {
        problems.Add(std::string("chmod: ") + strerror(errno));
      }
      timespec times[2] = {{0, UTIME_OMIT}, {1600000000 + n, 0}};
      if (utimensat(AT_FDCWD, Path("f").c_str(), times, 0) != 0) {
        problems.Add(std::string("utimensat: ") + strerror(errno));
      }
      attr_changes += 2;
    }
  });
  std::thread reader([&] {
    while (!done) {
      auto info = store_->GetInfo("b", "f");
      if (!info.ok()) problems.Add("GetInfo: " + info.status().ToString());
      else CheckVersion(*store_, *info, &problems);
    }
  });
  constexpr int kRounds = 40;
  for (int i = 1; i <= kRounds; ++i) {
    ASSERT_EQ(WriteThrough(Path("f"), Version(i)), 0) << "round " << i;
    auto info = store_->GetInfo("b", "f");
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(VersionOf(BytesOf(*store_, "b", "f")), i) << "acknowledged write lost";
    EXPECT_TRUE(CheckVersion(*store_, *info, &problems)) << "round " << i;
  }
  done = true;
  attrs.join();
  reader.join();
  EXPECT_GT(attr_changes.load(), kRounds);
  EXPECT_EQ(problems.Report(), "");
  EXPECT_EQ(ReadFile(Path("f")), Version(kRounds));
}

// An editor's atomic save: write a temporary file, rename it over the real one. A reader of
// the real name (another process) must always find a whole version, never "not found": the
// old code deleted the target first, then renamed.
TEST_F(MountSafetyTest, RenameOverIsAtomicForOtherReaders) {
  ASSERT_TRUE(Mount(kWithMd5));
  ASSERT_EQ(WriteThrough(Path("doc"), Version(0)), 0);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  Problems problems;
  std::thread reader([&] {
    while (!done) {
      auto info = store_->GetInfo("b", "doc");
      if (!info.ok()) problems.Add("GetInfo(doc): " + info.status().ToString());
      else if (CheckVersion(*store_, *info, &problems)) ++reads;
    }
  });
  constexpr int kRounds = 30;
  for (int i = 1; i <= kRounds; ++i) {
    ASSERT_EQ(WriteThrough(Path("doc.tmp"), Version(i)), 0);
    ASSERT_EQ(rename(Path("doc.tmp").c_str(), Path("doc").c_str()), 0) << strerror(errno);
    EXPECT_EQ(VersionOf(BytesOf(*store_, "b", "doc")), i);
    EXPECT_EQ(store_->GetInfo("b", "doc.tmp").status().code(), Code::kNotFound);
  }
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(problems.Report(), "");
  EXPECT_EQ(ReadFile(Path("doc")), Version(kRounds));
}

// A client keeps putting new versions of "a" while the mount renames "a" to "c" over and
// over. Whatever moves, moves whole: every record seen under either name holds a complete
// version under its own MD5 header (the old rename wrote the headers of the record it had
// looked up onto the newer version it moved).
TEST_F(MountSafetyTest, RenameRacingPutsMovesWholeVersions) {
  ASSERT_TRUE(Mount(kWithMd5));
  // The putting client keeps what it replaces for a while, like natss3d and natss3fs, so the
  // checker's reads of a version it just replaced do not race with the purge.
  ConnectOptions options;
  options.servers = server_->url();
  options.release_grace = std::chrono::seconds(30);
  auto putter = ConnectNats(options);
  ASSERT_TRUE(putter.ok()) << putter.status().ToString();
  std::atomic<bool> done{false};
  std::atomic<int> renames{0};
  Problems problems;
  std::thread checker([&] {
    while (!done) {
      for (const char* name : {"a", "c"}) {
        auto info = store_->GetInfo("b", name);
        if (info.ok()) CheckVersion(*store_, *info, &problems);
        else if (info.status().code() != Code::kNotFound) problems.Add(info.status().ToString());
      }
    }
  });
  std::thread mover([&] {
    while (!done) {
      if (rename(Path("a").c_str(), Path("c").c_str()) == 0) ++renames;
      else if (errno != ENOENT) problems.Add(std::string("rename: ") + strerror(errno));
    }
  });
  constexpr int kPuts = 60;
  for (int i = 1; i <= kPuts; ++i) {
    auto put = (*putter)->PutBytes("b", Meta("a"), Version(i));
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }
  // Let the mover see the last version too, then stop.
  PollUntil([&] { return store_->GetInfo("b", "a").status().code() == Code::kNotFound; },
            seconds(5));
  done = true;
  mover.join();
  checker.join();
  EXPECT_GT(renames.load(), 0);
  EXPECT_EQ(problems.Report(), "");
  for (const char* name : {"a", "c"}) {
    auto info = store_->GetInfo("b", name);
    if (info.ok()) {
      EXPECT_TRUE(CheckVersion(*store_, *info, &problems)) << problems.Report();
    }
  }
}

// chmod of a file still being written (streamed) and a rename of it before close: the
// attributes and the new name are applied to the version the close publishes, which keeps
// the core's MD5 header (it was dropped), and the renamed-to name never goes missing for
// other readers (it was deleted, then renamed onto).
TEST_F(MountSafetyTest, AttributesAndRenameWhileWritingKeepTheCommittedRecord) {
  ASSERT_TRUE(store_->PutBytes("b", Meta("h"), Version(0)).ok());
  ASSERT_TRUE(Mount(kWithMd5));
  const std::string data = RandomBytes(3 << 20, 77);
  int fd = open(Path("h").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, data.data(), 1 << 20), 1 << 20);
  ASSERT_EQ(fchmod(fd, 0600), 0);
  ASSERT_EQ(rename(Path("h").c_str(), Path("h2").c_str()), 0);  // moves the old version
  std::atomic<bool> done{false};
  Problems problems;
  std::thread reader([&] {
    while (!done) {
      auto info = store_->GetInfo("b", "h2");
      if (!info.ok()) problems.Add("GetInfo(h2): " + info.status().ToString());
    }
  });
  ASSERT_EQ(write(fd, data.data() + (1 << 20), data.size() - (1 << 20)),
            static_cast<ssize_t>(data.size() - (1 << 20)));
  ASSERT_EQ(close(fd), 0);
  done = true;
  reader.join();
  EXPECT_EQ(problems.Report(), "");
  auto info = store_->GetInfo("b", "h2");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(BytesOf(*store_, "b", "h2") == data);
  EXPECT_EQ(info->Header(kMd5Header), Md5Hex(data));
  EXPECT_EQ(info->Header("X-Amz-Meta-Mode"), std::to_string(S_IFREG | 0600));
  EXPECT_EQ(store_->GetInfo("b", "h").status().code(), Code::kNotFound);
}

// Stream messages of bucket b (chunks and meta records).
uint64_t Messages(ObjectStore& store) {
  auto status = store.GetBucketStatus("b");
  return status.ok() ? status->messages : 0;
}

// pjdfstest unlink/14: "an open file will not be immediately freed by unlink". The handle
// keeps reading the whole old content, fstat shows nlink 0; after the close the chunks go.
TEST_F(MountSafetyTest, UnlinkedOpenFileKeepsItsDataUntilClosed) {
  const std::string data = RandomBytes(8 << 20, 21);
  ASSERT_TRUE(store_->PutBytes("b", Meta("f"), data).ok());
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "release_grace=0"}));
  int fd = open(Path("f").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string head(4096, '\0');
  ASSERT_EQ(pread(fd, head.data(), head.size(), 0), 4096);
  ASSERT_EQ(unlink(Path("f").c_str()), 0);
  EXPECT_NE(access(Path("f").c_str(), F_OK), 0);
  EXPECT_EQ(store_->GetInfo("b", "f").status().code(), Code::kNotFound);
  struct stat st{};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), data.size());
  EXPECT_EQ(st.st_nlink, 0u);
  std::string got(data.size(), '\0');
  for (size_t off = data.size(); off > 0;) {  // backwards: nothing is in the page cache
    size_t n = std::min<size_t>(off, 1 << 20);
    off -= n;
    ASSERT_EQ(pread(fd, got.data() + off, n, static_cast<off_t>(off)), static_cast<ssize_t>(n))
        << "at " << off << ": " << strerror(errno);
  }
  EXPECT_TRUE(got == data);
  EXPECT_GT(Messages(*store_), 1u);  // the chunks are still there
  ASSERT_EQ(close(fd), 0);
  // Only the delete marker is left once the last handle is gone.
  EXPECT_TRUE(PollUntil([&] { return Messages(*store_) == 1; }, seconds(10)))
      << Messages(*store_) << " messages";
}

// The same for a file another file is renamed over: the open handle reads the old content,
// a new open the new one; the old chunks go after the close.
TEST_F(MountSafetyTest, RenameOverOpenFileKeepsTheOldData) {
  const std::string old_data = RandomBytes(6 << 20, 31), new_data = RandomBytes(3 << 20, 32);
  ASSERT_TRUE(store_->PutBytes("b", Meta("target"), old_data).ok());
  ASSERT_TRUE(store_->PutBytes("b", Meta("src"), new_data).ok());
  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "release_grace=0"}));
  int fd = open(Path("target").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(rename(Path("src").c_str(), Path("target").c_str()), 0);
  EXPECT_TRUE(ReadFile(Path("target")) == new_data);
  std::string got(old_data.size(), '\0');
  size_t done = 0;
  while (done < got.size()) {
    ssize_t n = read(fd, got.data() + done, got.size() - done);
    ASSERT_GT(n, 0) << "at " << done << ": " << strerror(errno);
    done += static_cast<size_t>(n);
  }
  EXPECT_TRUE(got == old_data);
  struct stat st{};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_nlink, 0u);
  ASSERT_EQ(close(fd), 0);
  auto info = store_->GetInfo("b", "target");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(PollUntil([&] { return Messages(*store_) == info->chunks + 1; }, seconds(10)))
      << Messages(*store_) << " messages, want " << info->chunks + 1;
}

// Data written through a handle to a file that is then unlinked stays readable through it
// (it is never published).
TEST_F(MountSafetyTest, UnlinkedNewFileKeepsUnpublishedWritesReadable) {
  ASSERT_TRUE(Mount());
  const std::string data = RandomBytes((2 << 20) + 17, 41);
  int fd = open(Path("n").c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ASSERT_EQ(unlink(Path("n").c_str()), 0);
  std::string got(data.size(), '\0');
  ASSERT_EQ(pread(fd, got.data(), got.size(), 0), static_cast<ssize_t>(got.size()))
      << strerror(errno);
  EXPECT_TRUE(got == data);
  ASSERT_EQ(pwrite(fd, "tail", 4, static_cast<off_t>(data.size())), 4);
  struct stat st{};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(static_cast<size_t>(st.st_size), data.size() + 4);
  EXPECT_EQ(close(fd), 0);
  EXPECT_EQ(store_->GetInfo("b", "n").status().code(), Code::kNotFound);
  EXPECT_NE(access(Path("n").c_str(), F_OK), 0);
  EXPECT_EQ(Messages(*store_), 0u) << "the aborted put left chunks behind";
}

// While a file is open here it shows the version it was opened at, also to new opens; pages
// cached from that version must not be served once the last handle closed and a newer one
// is read (the kernel's page cache was kept by the name's latest revision).
TEST_F(MountSafetyTest, PagesOfAHeldVersionAreNotKeptForTheNextOne) {
  const std::string v1 = RandomBytes(1 << 20, 51), v2 = RandomBytes(1 << 20, 52);
  ASSERT_TRUE(store_->PutBytes("b", Meta("f"), v1).ok());
  ASSERT_TRUE(Mount());
  int first = open(Path("f").c_str(), O_RDONLY);
  ASSERT_GE(first, 0);
  // Another client writes v2 and, like natss3d or a mount, keeps v1 for a while.
  ConnectOptions options;
  options.servers = server_->url();
  options.release_grace = std::chrono::seconds(30);
  auto other = ConnectNats(options);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->PutBytes("b", Meta("f"), v2).ok());
  // Names are indexed in stream order: once "barrier" shows, the mount has seen v2 of f.
  ASSERT_TRUE(store_->PutBytes("b", Meta("barrier"), "").ok());
  ASSERT_TRUE(PollUntil([&] { return access(Path("barrier").c_str(), F_OK) == 0; }, seconds(5)));
  EXPECT_TRUE(ReadFile(Path("f")) == v1);  // still open: the held version, now cached
  ASSERT_EQ(close(first), 0);
  EXPECT_TRUE(PollUntil([&] { return ReadFile(Path("f")) == v2; }, seconds(3)))
      << "the pages of the old version were served";
}

}  // namespace
}  // namespace natss3::test
