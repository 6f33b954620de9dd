// The natss3fs Filesystem layer driven directly (no kernel, no FUSE) over a real nats-server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "filesystem.h"
#include "natss3/crash_point.h"
#include "natss3/nats_store.h"
#include "support/fault_store.h"
#include "support/nats_server.h"
#include "support/store_fixture.h"
#include "support/object_meta.h"
#include "support/temp_dir.h"

namespace natss3::fs {
namespace {

using natss3::test::Meta;
using natss3::test::NatsServer;
using natss3::test::RandomBytes;
using natss3::test::TempDir;

class FilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NatsServer::Start();
    ASSERT_NE(server_, nullptr);
    store_ = natss3::test::ConnectWithBucket(*server_, "b");
    ASSERT_NE(store_, nullptr);
    StartFs(64 << 20);
  }

  void StartFs(uint64_t cache_limit, uint32_t chunk_size = 0) {
    fs_.reset();
    FsOptions options;
    options.bucket = "b";
    options.cache_dir = cache_.path();
    options.cache_limit = cache_limit;
    options.chunk_size = chunk_size;
    fs_ = std::make_unique<Filesystem>(store_, options);
  }

  std::string ReadAt(uint64_t fh, uint64_t offset, size_t n) {
    std::string buf(n, '\0');
    size_t got = 0;
    EXPECT_EQ(fs_->Read(fh, offset, n, buf.data(), &got), 0);
    buf.resize(got);
    return buf;
  }

  // Stream messages of the bucket beyond one object's chunks and meta: leaked staged blobs.
  int64_t ExtraMessages(const std::string& name) {
    auto info = store_->GetInfo("b", name);
    auto status = store_->GetBucketStatus("b");
    if (!info.ok() || !status.ok()) return -1;
    return static_cast<int64_t>(status->messages) - static_cast<int64_t>(info->chunks) - 1;
  }

  // ExtraMessages once the purges the reclaimer runs on its own thread are done (a replaced
  // version an open file held is purged there after the file lets go): polls up to 5 s for 0.
  int64_t SettledExtraMessages(const std::string& name) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int64_t extra = ExtraMessages(name);
    while (extra != 0 && std::chrono::steady_clock::now() < deadline) {
      usleep(10000);
      extra = ExtraMessages(name);
    }
    return extra;
  }

  // Creates `name` under the root, writes `data` in `pieces`, closes.
  uint64_t WriteNew(const std::string& name, const std::string& data, size_t piece = 4096) {
    Attr attr;
    OpenOut out;
    EXPECT_EQ(fs_->Create(kRootIno, name, 0644, O_WRONLY | O_CREAT, &attr, &out), 0);
    for (size_t off = 0; off < data.size(); off += piece) {
      EXPECT_EQ(fs_->Write(out.fh, off, data.data() + off, std::min(piece, data.size() - off)), 0);
    }
    EXPECT_EQ(fs_->Flush(out.fh), 0);
    EXPECT_EQ(fs_->Release(out.fh), 0);
    return attr.ino;
  }

  std::string ReadAll(uint64_t ino, size_t block = 100000) {
    OpenOut out;
    EXPECT_EQ(fs_->Open(ino, O_RDONLY, &out), 0);
    std::string result, buf(block, '\0');
    for (;;) {
      size_t got = 0;
      EXPECT_EQ(fs_->Read(out.fh, result.size(), block, buf.data(), &got), 0);
      if (got == 0) break;
      result.append(buf.data(), got);
    }
    fs_->Release(out.fh);
    return result;
  }

  std::unique_ptr<NatsServer> server_;
  std::shared_ptr<ObjectStore> store_;
  TempDir cache_{"natss3fs-cache"};
  std::unique_ptr<Filesystem> fs_;
};

TEST_F(FilesystemTest, StreamedWriteIsVisibleOnlyAfterClose) {
  Attr attr;
  OpenOut out;
  ASSERT_EQ(fs_->Create(kRootIno, "f", 0640, O_WRONLY | O_CREAT, &attr, &out), 0);
  const std::string data = RandomBytes(3 << 20, 1);
  ASSERT_EQ(fs_->Write(out.fh, 0, data.data(), data.size()), 0);
  EXPECT_EQ(store_->GetInfo("b", "f").status().code(), Code::kNotFound);
  Attr during;
  ASSERT_EQ(fs_->GetAttr(attr.ino, &during), 0);
  EXPECT_EQ(during.size, data.size());
  ASSERT_EQ(fs_->Release(out.fh), 0);
  EXPECT_EQ(store_->GetBytes("b", "f").value(), data);
  EXPECT_EQ(ReadAll(attr.ino), data);
  Attr after;
  ASSERT_EQ(fs_->Lookup(kRootIno, "f", &after), 0);
  EXPECT_EQ(after.mode & 07777, 0640u);
}

TEST_F(FilesystemTest, ChunkSizeOptionAppliesToStreamedAndStagedUploads) {
  StartFs(64 << 20, 512 << 10);
  const std::string data = RandomBytes((3 << 20) + 5, 3);
  uint64_t ino = WriteNew("f", data, 1 << 20);  // streamed
  auto info = store_->GetInfo("b", "f");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->chunks, 7u);
  // An edit in place stages and re-uploads with the same chunk size.
  OpenOut out;
  ASSERT_EQ(fs_->Open(ino, O_RDWR, &out), 0);
  ASSERT_EQ(fs_->Write(out.fh, 100, "edit", 4), 0);
  ASSERT_EQ(fs_->Release(out.fh), 0);
  std::string want = data;
  want.replace(100, 4, "edit");
  EXPECT_EQ(store_->GetBytes("b", "f").value(), want);
  EXPECT_EQ(store_->GetInfo("b", "f")->chunks, 7u);
  EXPECT_EQ(ReadAll(ino), want);
}

TEST_F(FilesystemTest, RandomReadsAndSeekBackWrites) {
  const std::string data = RandomBytes(1 << 20, 2);
  uint64_t ino = WriteNew("f", data, 65536);
  OpenOut out;
  ASSERT_EQ(fs_->Open(ino, O_RDONLY, &out), 0);
  std::string buf(1000, '\0');
  size_t got = 0;
  ASSERT_EQ(fs_->Read(out.fh, 700000, 1000, buf.data(), &got), 0);
  ASSERT_EQ(got, 1000u);
  EXPECT_EQ(buf, data.substr(700000, 1000));
  ASSERT_EQ(fs_->Read(out.fh, data.size() + 5, 1000, buf.data(), &got), 0);
  EXPECT_EQ(got, 0u);
  fs_->Release(out.fh);
  ASSERT_EQ(fs_->Open(ino, O_RDWR, &out), 0);
  ASSERT_EQ(fs_->Write(out.fh, 10, "ZZ", 2), 0);
  ASSERT_EQ(fs_->Read(out.fh, 9, 4, buf.data(), &got), 0);  // reads see the staged bytes
  EXPECT_EQ(buf.substr(0, 4), data.substr(9, 1) + "ZZ" + data.substr(12, 1));
  ASSERT_EQ(fs_->Release(out.fh), 0);
  std::string want = data;
  want.replace(10, 2, "ZZ");
  EXPECT_EQ(store_->GetBytes("b", "f").value(), want);
}

TEST_F(FilesystemTest, DirectoriesRenameAndListing) {
  Attr dir;
  ASSERT_EQ(fs_->Mkdir(kRootIno, "d", 0755, &dir), 0);
  ASSERT_TRUE(store_->PutBytes("b", Meta("d/x"), "x").ok());
  ASSERT_TRUE(store_->PutBytes("b", Meta("d/sub/y"), "y").ok());
  Attr x;
  ASSERT_TRUE([&] {  // the index follows the store asynchronously
    for (int i = 0; i < 200; ++i) {
      if (fs_->Lookup(dir.ino, "x", &x) == 0) return true;
      usleep(10000);
    }
    return false;
  }());
  uint64_t fh = 0;
  ASSERT_EQ(fs_->OpenDir(dir.ino, &fh), 0);
  std::vector<DirEntryOut> entries;
  ASSERT_EQ(fs_->ReadDir(dir.ino, fh, 0, true, [&](const DirEntryOut& e) {
    entries.push_back(e);
    return true;
  }), 0);
  fs_->ReleaseDir(fh);
  std::vector<std::string> names;
  for (auto& e : entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "sub", "x"}));
  for (auto& e : entries) {
    if (e.name != "." && e.name != "..") fs_->Forget(e.attr.ino, 1);
  }
  EXPECT_EQ(fs_->Rmdir(kRootIno, "d"), ENOTEMPTY);
  EXPECT_EQ(fs_->Rename(kRootIno, "d", kRootIno, "e", 0), 0);
  EXPECT_TRUE(store_->GetInfo("b", "e/sub/y").ok());
  EXPECT_FALSE(store_->GetInfo("b", "d/x").ok());
  Attr gone;
  EXPECT_EQ(fs_->Lookup(kRootIno, "d", &gone), ENOENT);
  EXPECT_EQ(fs_->Unlink(dir.ino, "x"), 0);  // dir inode moved with the rename
  EXPECT_EQ(fs_->Lookup(dir.ino, "x", &gone), ENOENT);
  EXPECT_EQ(fs_->Lookup(kRootIno, std::string(300, 'a'), &gone), ENAMETOOLONG);
}

// The mount keeps no bookkeeping of its own changes: lookups and listings show them at once
// because the store's listing index has every commit of this process, even while its watch
// applies nothing (the listing.watch hold point).
TEST_F(FilesystemTest, OwnChangesShownAtOnceWhileTheWatchLags) {
  Attr a;
  ASSERT_EQ(fs_->Lookup(kRootIno, "none", &a), ENOENT);  // the index is loaded
  auto names = [&](uint64_t ino) {
    uint64_t fh = 0;
    std::vector<std::string> out;
    EXPECT_EQ(fs_->OpenDir(ino, &fh), 0);
    EXPECT_EQ(fs_->ReadDir(ino, fh, 0, false, [&](const DirEntryOut& e) {
      out.push_back(e.name);
      return true;
    }), 0);
    fs_->ReleaseDir(fh);
    return out;
  };
  ArmFaultHold("listing.watch");
  struct Release {
    ~Release() { ArmFaultHold(nullptr); }
  } release;
  Attr dir;
  ASSERT_EQ(fs_->Mkdir(kRootIno, "d", 0755, &dir), 0);
  WriteNew("f", "contents");
  ASSERT_EQ(fs_->Lookup(kRootIno, "f", &a), 0);
  EXPECT_EQ(a.size, 8u);
  EXPECT_EQ(names(kRootIno), (std::vector<std::string>{".", "..", "d", "f"}));
  ASSERT_EQ(fs_->Rename(kRootIno, "f", kRootIno, "g", 0), 0);
  EXPECT_EQ(fs_->Lookup(kRootIno, "f", &a), ENOENT);
  ASSERT_EQ(fs_->Lookup(kRootIno, "g", &a), 0);
  EXPECT_EQ(names(kRootIno), (std::vector<std::string>{".", "..", "d", "g"}));
  ASSERT_EQ(fs_->Unlink(kRootIno, "g"), 0);
  EXPECT_EQ(fs_->Lookup(kRootIno, "g", &a), ENOENT);
  EXPECT_EQ(names(kRootIno), (std::vector<std::string>{".", "..", "d"}));
  EXPECT_EQ(fs_->Rmdir(kRootIno, "d"), 0);
  EXPECT_EQ(fs_->Lookup(kRootIno, "d", &a), ENOENT);
  EXPECT_EQ(names(kRootIno), (std::vector<std::string>{".", ".."}));
}

// While the index's watch is being rebuilt (after a failover) a name another process wrote
// is looked up in the store instead of answering ENOENT.
TEST_F(FilesystemTest, NameWrittenElsewhereFoundWhileTheWatchIsRebuilt) {
  Attr a;
  ASSERT_EQ(fs_->Lookup(kRootIno, "none", &a), ENOENT);  // the index is loaded
  struct Release {
    ~Release() {
      ArmFaultHold(nullptr);
      ArmFaultPoint("listing.watch.break", 0);
    }
  } release;
  ArmFaultPoint("listing.watch.break", 1);  // the watch breaks ...
  ArmFaultHold("listing.watch");            // ... and its rebuilt replay is held
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto other = natss3::test::ConnectWithBucket(*server_, "other");
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->PutBytes("b", Meta("elsewhere"), "written elsewhere").ok());
  ASSERT_EQ(fs_->Lookup(kRootIno, "elsewhere", &a), 0);
  EXPECT_EQ(a.size, 17u);
  EXPECT_EQ(fs_->Lookup(kRootIno, "never-written", &a), ENOENT);
}

TEST_F(FilesystemTest, CacheLimitGivesEnospcForStagedWrites) {
  uint64_t ino = WriteNew("f", "abc");
  OpenOut out;
  ASSERT_EQ(fs_->Open(ino, O_WRONLY, &out), 0);
  std::string big(1 << 20, 'x');
  int err = 0;
  for (uint64_t off = 100; off < (80u << 20) && err == 0; off += big.size()) {
    err = fs_->Write(out.fh, off, big.data(), big.size());
  }
  EXPECT_EQ(err, ENOSPC);
  fs_->Release(out.fh);
  EXPECT_EQ(fs_->cache_used(), 0u);
}

TEST_F(FilesystemTest, NewFileSeeksBackAfterOutgrowingTheCache) {
  StartFs(4 << 20);
  Attr attr;
  OpenOut out;
  ASSERT_EQ(fs_->Create(kRootIno, "big", 0644, O_RDWR | O_CREAT, &attr, &out), 0);
  std::string want = RandomBytes(12 << 20, 7);
  for (size_t off = 0; off < want.size(); off += 1 << 20) {
    ASSERT_EQ(fs_->Write(out.fh, off, want.data() + off, 1 << 20), 0);
  }
  EXPECT_LE(fs_->cache_used(), 4u << 20);  // the rest went to a staged blob, not the disk
  // Patch the header (in the cached part) and a spot in the spilled part, then append.
  ASSERT_EQ(fs_->Write(out.fh, 10, "HEADER", 6), 0);
  ASSERT_EQ(fs_->Write(out.fh, (9 << 20) + 5, "MIDDLE", 6), 0);
  want.replace(10, 6, "HEADER");
  want.replace((9 << 20) + 5, 6, "MIDDLE");
  const std::string tail = RandomBytes(3 << 20, 8);
  ASSERT_EQ(fs_->Write(out.fh, want.size(), tail.data(), tail.size()), 0);
  want += tail;
  EXPECT_EQ(ReadAt(out.fh, 0, 100), want.substr(0, 100));
  EXPECT_EQ(ReadAt(out.fh, (4 << 20) - 50, 100), want.substr((4 << 20) - 50, 100));
  EXPECT_EQ(ReadAt(out.fh, (9 << 20), 1 << 20), want.substr(9 << 20, 1 << 20));
  EXPECT_EQ(ReadAt(out.fh, want.size() - 10, 100), want.substr(want.size() - 10));
  EXPECT_EQ(store_->GetInfo("b", "big").status().code(), Code::kNotFound);  // not yet
  ASSERT_EQ(fs_->Release(out.fh), 0);
  auto stored = store_->GetBytes("b", "big");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(*stored == want) << "stored object differs";
  EXPECT_EQ(ExtraMessages("big"), 0) << "staged blobs were not purged";
  EXPECT_EQ(fs_->cache_used(), 0u);
}

TEST_F(FilesystemTest, ReadBackAndTruncateWhileStreamingPastTheCache) {
  StartFs(2 << 20);
  Attr attr;
  OpenOut out;
  ASSERT_EQ(fs_->Create(kRootIno, "f", 0644, O_RDWR | O_CREAT, &attr, &out), 0);
  std::string want = RandomBytes(6 << 20, 9);
  ASSERT_EQ(fs_->Write(out.fh, 0, want.data(), want.size()), 0);
  EXPECT_EQ(ReadAt(out.fh, 5 << 20, 4096), want.substr(5 << 20, 4096));
  // Truncate into the spilled part, then grow with a hole and write past it.
  Attr after;
  SetAttrIn shrink;
  shrink.size = (3 << 20) + 7;
  ASSERT_EQ(fs_->SetAttr(attr.ino, shrink, &after), 0);
  EXPECT_EQ(after.size, (3u << 20) + 7);
  want.resize((3 << 20) + 7);
  ASSERT_EQ(fs_->Write(out.fh, 4 << 20, "end", 3), 0);
  want.resize(4 << 20, '\0');
  want += "end";
  EXPECT_EQ(ReadAt(out.fh, (3 << 20), 2 << 20), want.substr(3 << 20));
  ASSERT_EQ(fs_->Release(out.fh), 0);
  EXPECT_TRUE(store_->GetBytes("b", "f").value() == want);
  EXPECT_EQ(ExtraMessages("f"), 0);
  EXPECT_EQ(fs_->cache_used(), 0u);
}

TEST_F(FilesystemTest, HolesKeepAStreamedFileStreaming) {
  StartFs(0);  // no local tee at all: any seek back would need the spill
  Attr attr;
  OpenOut out;
  ASSERT_EQ(fs_->Create(kRootIno, "sparse", 0644, O_WRONLY | O_CREAT, &attr, &out), 0);
  ASSERT_EQ(fs_->Write(out.fh, 0, "a", 1), 0);
  ASSERT_EQ(fs_->Write(out.fh, 1 << 20, "b", 1), 0);  // like cp --sparse: lseek, write
  Attr after;
  SetAttrIn grow;
  grow.size = (2 << 20) + 1;  // ... and ftruncate at the end
  ASSERT_EQ(fs_->SetAttr(attr.ino, grow, &after), 0);
  ASSERT_EQ(fs_->Release(out.fh), 0);
  std::string want(2 << 20 | 1, '\0');
  want[0] = 'a';
  want[1 << 20] = 'b';
  EXPECT_TRUE(store_->GetBytes("b", "sparse").value() == want);
  EXPECT_EQ(ExtraMessages("sparse"), 0);
}

TEST_F(FilesystemTest, ObjectLargerThanTheCacheIsEditedWithoutDownload) {
  std::string want = RandomBytes(10 << 20, 11);
  ASSERT_TRUE(store_->PutBytes("b", Meta("large"), want).ok());
  StartFs(1 << 20);
  Attr attr;
  ASSERT_TRUE([&] {
    for (int i = 0; i < 200; ++i) {
      if (fs_->Lookup(kRootIno, "large", &attr) == 0) return true;
      usleep(10000);
    }
    return false;
  }());
  OpenOut out;
  ASSERT_EQ(fs_->Open(attr.ino, O_RDWR, &out), 0);
  ASSERT_EQ(fs_->Write(out.fh, 5 << 20, "patch", 5), 0);
  want.replace(5 << 20, 5, "patch");
  EXPECT_LE(fs_->cache_used(), 4096u);
  EXPECT_EQ(ReadAt(out.fh, (5 << 20) - 3, 10), want.substr((5 << 20) - 3, 10));
  ASSERT_EQ(fs_->Release(out.fh), 0);
  EXPECT_TRUE(store_->GetBytes("b", "large").value() == want);
  EXPECT_EQ(SettledExtraMessages("large"), 0);
  EXPECT_EQ(ReadAll(attr.ino), want);
}

TEST_F(FilesystemTest, PutFailureWhileWritesArePipelinedIsReportedAtClose) {
  ConnectOptions connect;
  connect.servers = server_->url();
  connect.timeout = std::chrono::milliseconds(1000);
  connect.retry_on_failed_connect = true;
  auto impatient = ConnectNats(connect);
  ASSERT_TRUE(impatient.ok());
  FsOptions options;
  options.bucket = "b";
  options.cache_dir = cache_.path();
  options.cache_limit = 64 << 20;
  fs_ = std::make_unique<Filesystem>(std::move(impatient).value(), options);
  Attr attr;
  OpenOut out;
  ASSERT_EQ(fs_->Create(kRootIno, "cut", 0644, O_WRONLY | O_CREAT, &attr, &out), 0);
  const std::string block = RandomBytes(1 << 20, 51);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(fs_->Write(out.fh, i * block.size(), block.data(), block.size()), 0);
  server_->Stop();
  for (int i = 3; i < 12; ++i) (void)fs_->Write(out.fh, i * block.size(), block.data(), block.size());
  EXPECT_NE(fs_->Flush(out.fh), 0);  // close(2) reports the lost upload
  (void)fs_->Release(out.fh);
  ASSERT_TRUE(server_->Restart());
  auto info = store_->GetInfo("b", "cut");
  for (int i = 0; i < 100 && info.status().code() == Code::kUnavailable; ++i) {
    usleep(50000);
    info = store_->GetInfo("b", "cut");
  }
  EXPECT_EQ(info.status().code(), Code::kNotFound) << info.status().ToString();
  fs_.reset();
}

// Faults injected under the filesystem (tests/support/fault_store.h): a failed commit at close
// reports EIO and leaves the previous version and no chunks behind; a failed rename leaves
// both names as they were.
class FaultyFilesystemTest : public FilesystemTest {
 protected:
  void SetUp() override {
    FilesystemTest::SetUp();
    if (!store_) return;
    faults_ = std::make_shared<natss3::test::FaultInjectingStore>(store_);
    FsOptions options;
    options.bucket = "b";
    options.cache_dir = cache_.path();
    options.cache_limit = 64 << 20;
    fs_ = std::make_unique<Filesystem>(faults_, options);
  }
  std::shared_ptr<natss3::test::FaultInjectingStore> faults_;
};

// The flush at close fails (EIO to close(2)); the release retries from the staged copy. When
// that fails too, the previous version stays and no chunks are left behind; when it works,
// the new version is complete.
TEST_F(FaultyFilesystemTest, FailedCommitsAtCloseKeepThePreviousVersion) {
  using Op = natss3::test::FaultInjectingStore::Op;
  for (int fail_release : {1, 0}) {
    const std::string old_data = RandomBytes(700 * 1024, 3);
    ObjectMeta meta;
    meta.name = "f";
    ASSERT_TRUE(store_->PutBytes("b", meta, old_data).ok());
    const uint64_t messages_before = store_->GetBucketStatus("b")->messages;
    int commits = faults_->calls(Op::kWriterCommit);
    faults_->FailNth(Op::kWriterCommit, commits + 1, Unavailable("injected: lost at commit"));
    if (fail_release) {
      faults_->FailNth(Op::kWriterCommit, commits + 2, Unavailable("injected: lost again"));
    }
    Attr attr;
    ASSERT_EQ(fs_->Lookup(kRootIno, "f", &attr), 0);
    OpenOut out;
    ASSERT_EQ(fs_->Open(attr.ino, O_WRONLY | O_TRUNC, &out), 0);
    const std::string new_data = RandomBytes(900 * 1024, 4);
    ASSERT_EQ(fs_->Write(out.fh, 0, new_data.data(), new_data.size()), 0);
    EXPECT_EQ(fs_->Flush(out.fh), EIO);
    int released = fs_->Release(out.fh);
    if (fail_release) {
      EXPECT_EQ(released, EIO);
      EXPECT_TRUE(store_->GetBytes("b", "f").value() == old_data) << "a failed write replaced it";
      EXPECT_EQ(store_->GetBucketStatus("b")->messages, messages_before) << "chunks left behind";
    } else {
      EXPECT_EQ(released, 0);
      EXPECT_TRUE(store_->GetBytes("b", "f").value() == new_data) << "the retry was not whole";
      EXPECT_EQ(SettledExtraMessages("f"), 0) << "chunks left behind";
    }
  }
}

TEST_F(FaultyFilesystemTest, FailedRenameLeavesBothNames) {
  ObjectMeta meta;
  meta.name = "a";
  ASSERT_TRUE(store_->PutBytes("b", meta, "alpha").ok());
  faults_->FailNth(natss3::test::FaultInjectingStore::Op::kModifyMeta, 1,
                   Unavailable("injected: no answer"));
  Attr attr;
  ASSERT_EQ(fs_->Lookup(kRootIno, "a", &attr), 0);
  EXPECT_NE(fs_->Rename(kRootIno, "a", kRootIno, "c", 0), 0);
  EXPECT_EQ(store_->GetBytes("b", "a").value(), "alpha");
  EXPECT_EQ(store_->GetInfo("b", "c").status().code(), Code::kNotFound);
  EXPECT_EQ(fs_->Rename(kRootIno, "a", kRootIno, "c", 0), 0);  // the next attempt works
  EXPECT_EQ(store_->GetBytes("b", "c").value(), "alpha");
}

}  // namespace
}  // namespace natss3::fs
