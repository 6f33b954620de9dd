// No acknowledged write is lost: races between puts, metadata updates, renames and deletes on
// one key. Each test races for real (threads, loops) and checks every acknowledged version.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core_test_util.h"
#include "natss3/crash_point.h"

namespace natss3 {
namespace {

using namespace coretest;

class SafetyTest : public BucketTest {
 protected:
  // Nuids the bucket's live metas reference.
  std::set<std::string> LiveNuids() {
    std::set<std::string> out;
    auto all = store_->List(bucket_, false);
    EXPECT_OK(all);
    if (all.ok())
      for (const auto& i : *all) out.insert(ChunkSubject(bucket_, i.nuid));
    return out;
  }
  void ExpectNoUnreferencedChunks() {
    auto live = LiveNuids();
    for (const auto& [subject, count] : ChunkSubjects())
      EXPECT_TRUE(live.count(subject)) << subject << " (" << count << " chunks) is referenced by no meta";
  }
};

// The caller pattern that lost data before metas were written conditionally: read the meta,
// change a header, write it back, while another thread overwrites the object. Every version a
// put acknowledged must read back intact while it is current, and nothing may leak.
TEST_F(SafetyTest, HeaderUpdatesRacingWithOverwritesLoseNothing) {
  MustPut(bucket_, "k", test::RandomBytes(300 * 1024, 1));
  std::atomic<bool> stop{false};
  std::atomic<int> updates{0};
  std::thread tagger([&] {
    while (!stop) {
      auto cur = store_->GetInfo(bucket_, "k");
      if (!cur.ok()) continue;
      ObjectMeta meta = cur->meta;
      meta.headers["X-Tag"] = {std::to_string(updates.load())};
      if (store_->UpdateMeta(bucket_, "k", meta).ok()) ++updates;
    }
  });
  int bad = 0, puts = 0;
  auto deadline = std::chrono::steady_clock::now() + 6s;
  for (uint64_t seed = 100; std::chrono::steady_clock::now() < deadline; ++seed) {
    std::string data = test::RandomBytes(300 * 1024 + seed % 1000, seed);
    auto put = store_->PutBytes(bucket_, Meta("k"), data);
    ASSERT_OK(put);
    ++puts;
    // Read back by name: while nothing else writes data, this put's bytes (maybe re-tagged).
    auto got = store_->GetBytes(bucket_, "k");
    if (!got.ok() || *got != data) ++bad;
  }
  stop = true;
  tagger.join();
  EXPECT_EQ(bad, 0) << "of " << puts << " acknowledged puts, with " << updates << " updates";
  EXPECT_GT(updates.load(), 0);
  ExpectNoUnreferencedChunks();
}

// ModifyMeta re-applies its mutator on the version current when it writes.
TEST_F(SafetyTest, ModifyMetaReappliesOnTopOfNewerVersion) {
  MustPut(bucket_, "k", "old");
  int calls = 0;
  auto r = store_->ModifyMeta(bucket_, "k", [&](ObjectInfo& info) {
    if (++calls == 1) {
      // Another writer commits between the read and the write.
      auto other = ConnectTo(server_->url());
      EXPECT_OK(other);
      ObjectMeta m = Meta("k");
      m.headers["Content-Type"] = {"text/new"};
      EXPECT_OK((*other)->PutBytes(bucket_, m, "new data"));
    }
    info.meta.headers["X-Tag"] = {"t"};
    return Status::OK();
  });
  ASSERT_OK(r);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(MustGet(bucket_, "k"), "new data");
  auto info = store_->GetInfo(bucket_, "k");
  ASSERT_OK(info);
  EXPECT_EQ(info->Header("X-Tag"), "t");
  EXPECT_EQ(info->Header("Content-Type"), "text/new");
  ExpectNoUnreferencedChunks();
}

// Two overlapping puts of one key: the last to commit wins and neither leaves chunks behind.
TEST_F(SafetyTest, OverlappingPutsLastCommitWinsNoLeak) {
  MustPut(bucket_, "k", "v0");
  for (int round = 0; round < 5; ++round) {
    auto w1 = store_->NewWriter(bucket_, Meta("k"));
    auto w2 = store_->NewWriter(bucket_, Meta("k"));
    ASSERT_OK(w1);
    ASSERT_OK(w2);
    ASSERT_OK((*w1)->Write(test::RandomBytes(200 * 1024, round)));
    ASSERT_OK((*w2)->Write("second"));
    ASSERT_OK((*w2)->Commit());
    ASSERT_OK((*w1)->Commit());
    EXPECT_EQ(MustGet(bucket_, "k"), test::RandomBytes(200 * 1024, round));
    EXPECT_EQ(ChunkSubjects().size(), 1u) << "round " << round;
  }
  ExpectNoUnreferencedChunks();
}

// Many threads overwriting one key at once: exactly one version survives, nothing leaks.
TEST_F(SafetyTest, ConcurrentOverwritesNoLeak) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i)
        if (!store_->PutBytes(bucket_, Meta("k"), test::RandomBytes(140 * 1024, t * 100 + i)).ok())
          ++failures;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(PollUntil([&] { return ChunkSubjects().size() == 1; }, 5s))
      << ChunkSubjects().size() << " chunk subjects left";
  ExpectNoUnreferencedChunks();
}

// A rename while a put of the old name is uploading: the put's commit must not purge the data
// the new name now carries.
TEST_F(SafetyTest, RenameDuringPutKeepsRenamedData) {
  std::string first = test::RandomBytes(260 * 1024, 7);
  MustPut(bucket_, "x", first);
  auto w = store_->NewWriter(bucket_, Meta("x"));
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(test::RandomBytes(300 * 1024, 8)));
  ASSERT_OK(store_->UpdateMeta(bucket_, "x", Meta("y")));
  ASSERT_OK((*w)->Commit());
  EXPECT_EQ(MustGet(bucket_, "y"), first);
  EXPECT_EQ(MustGet(bucket_, "x"), test::RandomBytes(300 * 1024, 8));
  ExpectNoUnreferencedChunks();
}

// Renames racing with puts of both names, in a loop: every name that exists reads back whole.
TEST_F(SafetyTest, RenamesRacingWithPutsStayReadable) {
  std::atomic<bool> stop{false};
  std::thread putter([&] {
    for (uint64_t i = 0; !stop; ++i)
      (void)store_->PutBytes(bucket_, Meta(i % 2 ? "a" : "b"), test::RandomBytes(150 * 1024, i));
  });
  auto deadline = std::chrono::steady_clock::now() + 4s;
  int renames = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ModifyOptions o;
    o.replace_target = true;
    if (store_->ModifyMeta(bucket_, "a", [](ObjectInfo& i) {
          i.meta.name = "b";
          return Status::OK();
        }, o).ok())
      ++renames;
    for (const char* name : {"a", "b"}) {
      auto info = store_->GetInfo(bucket_, name);
      if (!info.ok()) continue;
      auto r = store_->OpenInfo(*info);
      if (!r.ok()) continue;
      auto got = ReadAll(**r);
      // Replaced between the info and the read is the one allowed failure (DataLoss on a
      // version that is no longer current); a current version must always read whole.
      if (!got.ok()) {
        auto now = store_->GetInfo(bucket_, name);
        EXPECT_TRUE(!now.ok() || now->revision != info->revision)
            << name << " is current and unreadable: " << got.status().ToString();
      }
    }
  }
  stop = true;
  putter.join();
  EXPECT_GT(renames, 0);
  for (const char* name : {"a", "b"}) {
    auto got = store_->GetBytes(bucket_, name);
    if (!got.ok()) {
      EXPECT_CODE(got, Code::kNotFound);
    }
  }
  ExpectNoUnreferencedChunks();
}

// Deletes racing with metadata updates: a deleted object never comes back half-alive.
TEST_F(SafetyTest, DeletesRacingWithUpdatesNeverResurrectBrokenObjects) {
  std::atomic<bool> stop{false};
  std::thread tagger([&] {
    while (!stop)
      (void)store_->ModifyMeta(bucket_, "k", [](ObjectInfo& i) {
        i.meta.headers["X-Tag"] = {"1"};
        return Status::OK();
      });
  });
  for (int i = 0; i < 40; ++i) {
    std::string data = test::RandomBytes(140 * 1024, i);
    ASSERT_OK(store_->PutBytes(bucket_, Meta("k"), data));
    auto got = store_->GetBytes(bucket_, "k");
    ASSERT_OK(got);
    EXPECT_EQ(*got, data);
    ASSERT_OK(store_->Delete(bucket_, "k"));
    EXPECT_CODE(store_->GetInfo(bucket_, "k"), Code::kNotFound);
  }
  stop = true;
  tagger.join();
  ExpectNoUnreferencedChunks();
}

// A put with an expected revision fails when anything committed since (no retry on top).
TEST_F(SafetyTest, ExpectedRevisionIsNotRetried) {
  auto v1 = MustPut(bucket_, "k", "one");
  PutOptions po;
  po.expected_revision = v1.revision;
  auto w = store_->NewWriter(bucket_, Meta("k"), po);
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write("mine"));
  MustPut(bucket_, "k", "two");
  auto c = (*w)->Commit();
  EXPECT_CODE(c, Code::kFailedPrecondition);
  EXPECT_EQ(c.status().detail(), Detail::kWrongLastSequence);
  EXPECT_EQ(MustGet(bucket_, "k"), "two");
  ExpectNoUnreferencedChunks();
}

// A version read in this process survives its overwrite until the reader is done.
TEST_F(SafetyTest, OverwriteWaitsForReadersOfThisProcess) {
  std::string old = test::RandomBytes(500 * 1024, 3);
  MustPut(bucket_, "k", old);
  auto r = store_->Open(bucket_, "k");
  ASSERT_OK(r);
  MustPut(bucket_, "k", "new");
  auto got = ReadAll(**r);
  ASSERT_OK(got);
  EXPECT_EQ(*got, old);
  EXPECT_EQ(ChunkSubjects().size(), 2u);
  r->reset();
  EXPECT_TRUE(PollUntil([&] { return ChunkSubjects().size() == 1; }, 5s));
}

// A put whose meta is stored but whose acknowledgement never arrives (every retry timed out in a
// failover), or whose retry was then refused as a conflict with itself: the put's outcome is
// unknown to the writer, which used to purge its chunks, leaving the name pointing at no data
// and the replaced version gone. Now the writer asks which version is current.
TEST_F(SafetyTest, PutWhoseMetaAckIsLostStaysReadable) {
  std::string v1 = test::RandomBytes(300 * 1024, 7), v2 = test::RandomBytes(300 * 1024, 8),
              v3 = test::RandomBytes(300 * 1024, 9);
  MustPut(bucket_, "k", v1);
  ArmFaultPoint("meta.ack_lost", 1);
  auto put = store_->PutBytes(bucket_, Meta("k"), v2);
  ArmFaultPoint("meta.ack_lost", 0);
  EXPECT_OK(put) << "the stored version is the put's";
  auto got = ReadAll(**store_->Open(bucket_, "k"));
  ASSERT_OK(got);
  EXPECT_TRUE(*got == v2) << "the name does not read as the last stored version";

  // The retry inside the commit meets its own stored meta as a conflict.
  ArmFaultPoint("meta.stored_then_conflict", 1);
  put = store_->PutBytes(bucket_, Meta("k"), v3);
  ArmFaultPoint("meta.stored_then_conflict", 0);
  EXPECT_OK(put);
  auto opened = store_->Open(bucket_, "k");
  ASSERT_OK(opened);
  got = ReadAll(**opened);
  ASSERT_OK(got);
  EXPECT_TRUE(*got == v3) << "the put released its own chunks";
}

}  // namespace
}  // namespace natss3
