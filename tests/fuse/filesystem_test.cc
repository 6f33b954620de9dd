// The natss3fs Filesystem layer driven directly (no kernel, no FUSE) over a real nats-server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>

#include "filesystem.h"
#include "natss3/nats_store.h"
#include "support/nats_server.h"
#include "support/temp_dir.h"

namespace natss3::fs {
namespace {

ObjectMeta Meta(const std::string& name) {
  ObjectMeta meta;
  meta.name = name;
  return meta;
}

using natss3::test::NatsServer;
using natss3::test::RandomBytes;
using natss3::test::TempDir;

class FilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NatsServer::Start();
    ASSERT_NE(server_, nullptr);
    ConnectOptions connect;
    connect.servers = server_->url();
    auto store = ConnectNats(connect);
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    BucketConfig config;
    config.bucket = "b";
    ASSERT_TRUE(store_->CreateBucket(config).ok());
    FsOptions options;
    options.bucket = "b";
    options.cache_dir = cache_.path();
    options.cache_limit = 64 << 20;
    fs_ = std::make_unique<Filesystem>(store_, options);
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
  ASSERT_EQ(fs_->ReadDir(dir.ino, fh, 0, true, 100, &entries), 0);
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

}  // namespace
}  // namespace natss3::fs
