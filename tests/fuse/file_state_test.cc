// FileState driven directly over a real nats-server: its modes (streaming, staged, clean)
// hand the content over to each other, and every way out of a mode returns the cache budget.
#include "file_state.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "natss3/nats_store.h"
#include "support/fault_store.h"
#include "support/nats_server.h"
#include "support/object_meta.h"
#include "support/store_fixture.h"
#include "support/temp_dir.h"

namespace natss3::fs {
namespace {

using natss3::test::FaultInjectingStore;
using natss3::test::NatsServer;
using natss3::test::RandomBytes;
using natss3::test::TempDir;
using Op = FaultInjectingStore::Op;

class FileStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NatsServer::Start();
    ASSERT_NE(server_, nullptr);
    store_ = natss3::test::ConnectWithBucket(*server_, "b");
    ASSERT_NE(store_, nullptr);
    faults_ = std::make_shared<FaultInjectingStore>(store_);
    options_.bucket = "b";
    options_.cache_dir = cache_.path();
  }

  std::unique_ptr<FileState> NewFile(const std::string& key) {
    auto file =
        std::make_unique<FileState>(faults_.get(), "b", key, &options_, budget_.get(), &stopping_);
    file->InitExisting(std::nullopt, Headers{});
    return file;
  }

  static std::string ReadBack(FileState& file, uint64_t offset, size_t n) {
    std::string buf(n, '\0');
    size_t got = 0;
    bool served = false;
    EXPECT_EQ(file.Read(offset, buf.data(), n, &got, &served), 0);
    EXPECT_TRUE(served);
    buf.resize(got);
    return buf;
  }

  static void WriteAll(FileState& file, uint64_t offset, const std::string& data) {
    for (size_t done = 0; done < data.size(); done += 128 << 10) {
      const size_t n = std::min<size_t>(128 << 10, data.size() - done);
      ASSERT_EQ(file.Write(offset + done, data.data() + done, n), 0);
    }
  }

  uint64_t Messages() { return store_->GetBucketStatus("b")->messages; }

  std::unique_ptr<NatsServer> server_;
  std::shared_ptr<ObjectStore> store_;
  std::shared_ptr<FaultInjectingStore> faults_;
  TempDir cache_{"natss3fs-filestate"};
  FsOptions options_;
  std::unique_ptr<CacheBudget> budget_ = std::make_unique<CacheBudget>(64 << 20);
  std::atomic<bool> stopping_{false};
};

// streaming -> staged (seek back) -> commit -> clean local copy -> streaming (append) ->
// commit; the destructor returns the whole reservation.
TEST_F(FileStateTest, ModesHandOverTheContent) {
  auto file = NewFile("f");
  ASSERT_EQ(file->BeginFresh(), 0);
  std::string want = RandomBytes(3 << 20, 1);  // past kPipeAfter: the AppendPipe runs
  WriteAll(*file, 0, want);
  EXPECT_EQ(ReadBack(*file, 1 << 20, 100), want.substr(1 << 20, 100));  // from the tee
  ASSERT_EQ(file->Write(5, "seek", 4), 0);  // not an append: staged from the tee
  want.replace(5, 4, "seek");
  EXPECT_EQ(file->size(), want.size());
  EXPECT_TRUE(file->pending());
  std::optional<ObjectInfo> committed;
  ASSERT_EQ(file->Commit(&committed), 0);
  ASSERT_TRUE(committed.has_value());
  EXPECT_FALSE(file->pending());
  EXPECT_TRUE(store_->GetBytes("b", "f").value() == want);
  EXPECT_EQ(budget_->used(), want.size());  // the clean local copy still serves reads

  const int writers = faults_->calls(Op::kNewWriter);
  const std::string tail = RandomBytes(1 << 20, 2);
  WriteAll(*file, want.size(), tail);  // an append: streamed again from the local copy
  want += tail;
  EXPECT_EQ(faults_->calls(Op::kNewWriter), writers + 1);
  EXPECT_EQ(ReadBack(*file, want.size() - 10, 10), want.substr(want.size() - 10));
  ASSERT_EQ(file->Commit(&committed), 0);
  EXPECT_TRUE(store_->GetBytes("b", "f").value() == want);
  EXPECT_EQ(faults_->calls(Op::kNewWriter), writers + 1) << "a streamed commit re-uploaded";
  file.reset();
  EXPECT_EQ(budget_->used(), 0u);
}

// A new version that cannot start (here: the writer is refused) leaves the content as it was.
TEST_F(FileStateTest, FailedBeginFreshKeepsTheContent) {
  auto file = NewFile("f");
  ASSERT_EQ(file->BeginFresh(), 0);
  ASSERT_EQ(file->Write(0, "abcdef", 6), 0);
  ASSERT_EQ(file->Write(1, "X", 1), 0);  // staged now
  faults_->FailNth(Op::kNewWriter, faults_->calls(Op::kNewWriter) + 1,
                   Unavailable("injected: no writer"));
  EXPECT_NE(file->Truncate(0), 0);
  EXPECT_EQ(file->size(), 6u);
  EXPECT_EQ(ReadBack(*file, 0, 6), "aXcdef");
  ASSERT_EQ(file->Commit(nullptr), 0);
  EXPECT_EQ(store_->GetBytes("b", "f").value(), "aXcdef");
  file.reset();
  EXPECT_EQ(budget_->used(), 0u);
}

// The first change of a clean file fails (the cache is full): nothing becomes pending, and the
// committed version it had downloaded stays as the clean file's copy, serving reads and the
// next change without a second download.
TEST_F(FileStateTest, FailedChangeOfACleanFileKeepsItClean) {
  budget_ = std::make_unique<CacheBudget>(1 << 20);
  std::string want = RandomBytes(256 << 10, 4);
  auto stored = store_->PutBytes("b", natss3::test::Meta("c"), want);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  auto file =
      std::make_unique<FileState>(faults_.get(), "b", "c", &options_, budget_.get(), &stopping_);
  file->InitExisting(*stored, Headers{});
  const std::string big(1 << 20, 'x');
  EXPECT_EQ(file->Write(1, big.data(), big.size()), ENOSPC);
  EXPECT_FALSE(file->pending());
  EXPECT_EQ(file->size(), want.size());
  EXPECT_EQ(faults_->calls(Op::kOpenInfo), 1);
  EXPECT_TRUE(ReadBack(*file, 0, want.size()) == want);  // from the copy, not the store
  ASSERT_EQ(file->Write(0, "y", 1), 0);
  EXPECT_EQ(faults_->calls(Op::kOpenInfo), 1) << "downloaded again";
  want[0] = 'y';
  EXPECT_TRUE(file->pending());
  ASSERT_EQ(file->Commit(nullptr), 0);
  EXPECT_TRUE(store_->GetBytes("b", "c").value() == want);
  file.reset();
  EXPECT_EQ(budget_->used(), 0u);
}

// Unlinked while streaming past the cache: every byte stays readable (tee and spill as a
// staged file), nothing is published, and the spill is purged at the last close.
TEST_F(FileStateTest, DiscardWhileStreamingKeepsTheBytesReadable) {
  budget_ = std::make_unique<CacheBudget>(1 << 20);
  const uint64_t before = Messages();
  auto file = NewFile("gone");
  ASSERT_EQ(file->BeginFresh(), 0);
  const std::string want = RandomBytes(3 << 20, 3);
  WriteAll(*file, 0, want);
  file->Discard();
  EXPECT_FALSE(file->pending());
  EXPECT_EQ(ReadBack(*file, 0, want.size()), want);
  ASSERT_EQ(file->Commit(nullptr), 0);
  file.reset();
  EXPECT_EQ(store_->GetInfo("b", "gone").status().code(), Code::kNotFound);
  EXPECT_EQ(Messages(), before) << "the spill or the put was not purged";
  EXPECT_EQ(budget_->used(), 0u);
}

std::string KeptFile(const std::string& dir) {
  std::string found;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (std::string(e->d_name).rfind("unpublished-", 0) == 0) found = dir + "/" + e->d_name;
    }
    closedir(d);
  }
  if (found.empty()) return "<none>";
  std::ifstream in(found, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// natss3fs stops with a staged file open: nothing is published, the local bytes are kept at
// their offsets, and the cache budget is returned.
TEST_F(FileStateTest, AbandonKeepsStagedBytesAtTheirOffsets) {
  auto file = NewFile("open");
  ASSERT_EQ(file->BeginFresh(), 0);
  ASSERT_EQ(file->Write(0, "hello", 5), 0);
  ASSERT_EQ(file->Write(0, "J", 1), 0);  // staged
  stopping_ = true;
  EXPECT_EQ(file->Commit(nullptr), EIO);
  file->Abandon();
  EXPECT_FALSE(file->pending());
  file.reset();
  EXPECT_EQ(KeptFile(cache_.path()), "Jello");
  EXPECT_EQ(store_->GetInfo("b", "open").status().code(), Code::kNotFound);
  EXPECT_EQ(budget_->used(), 0u);
}

}  // namespace
}  // namespace natss3::fs
