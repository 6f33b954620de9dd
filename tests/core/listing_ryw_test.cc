// Read-your-writes of the listing: a List or Lookup issued after a commit returned in this
// process shows it, without waiting and however far the index's watch lags. The watch is held
// (the "listing.watch" hold point) so that only the store's own write-through can pass.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core_test_util.h"
#include "natss3/crash_point.h"
#include "natss3/listing_index.h"

namespace natss3 {
namespace {

using namespace coretest;
using Query = ListingIndex::Query;

// Holds the listing watch while alive (released on every way out of a test).
class WatchHeld {
 public:
  WatchHeld() { ArmFaultHold("listing.watch"); }
  ~WatchHeld() { Release(); }
  void Release() { ArmFaultHold(nullptr); }
};

class ListingReadYourWritesTest : public BucketTest {
 protected:
  std::shared_ptr<ListingIndex> MustIndex() {
    auto idx = store_->Index(bucket_);
    EXPECT_TRUE(idx.ok()) << idx.status().ToString();
    return idx.ok() ? *idx : nullptr;
  }
  static bool Listed(const ListingIndex& idx, const std::string& name) {
    Query q;
    q.prefix = name;
    for (const auto& e : idx.List(q).entries)
      if (e.name == name) return true;
    return false;
  }
  // Releases the watch and waits until it has applied everything stored so far.
  void CatchUp(WatchHeld& held, ListingIndex& idx) {
    held.Release();
    ObjectInfo marker = MustPut(bucket_, "zz-catch-up", "");
    ASSERT_OK(store_->Delete(bucket_, "zz-catch-up"));
    auto last = store_->GetInfo(bucket_, "zz-catch-up", /*show_deleted=*/true);
    ASSERT_OK(last);
    ASSERT_TRUE(idx.WaitForRevision(last->revision, 10s));
    ASSERT_GT(last->revision, marker.revision);
  }
};

// Many threads each put, list, rename, list, delete and list through the same store, with
// the watch applying nothing meanwhile: each sees its own changes at once. After the watch
// catches up, its late events undo none of them.
TEST_F(ListingReadYourWritesTest, ConcurrentCommitsListedAtOnceWhileTheWatchLags) {
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  WatchHeld held;
  constexpr int kThreads = 8, kRounds = 6;
  std::atomic<int> failures{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto fail = [&](const std::string& what) {
        ++failures;
        if (errors[t].empty()) errors[t] = what;
      };
      for (int r = 0; r < kRounds; ++r) {
        std::string name = "t" + std::to_string(t) + "/r" + std::to_string(r);
        auto put = store_->PutBytes(bucket_, Meta(name), "data " + name);
        if (!put.ok()) return fail("put " + name + ": " + put.status().ToString());
        auto e = idx->Lookup(name);
        if (!Listed(*idx, name) || !e || e->revision != put->revision)
          return fail("not listed after its put: " + name);
        std::string moved = name + ".moved";
        auto renamed = store_->UpdateMeta(bucket_, name, Meta(moved));
        if (!renamed.ok()) return fail("rename " + name + ": " + renamed.status().ToString());
        if (Listed(*idx, name) || !Listed(*idx, moved))
          return fail("rename not listed at once: " + name);
        // Every other round the moved object is deleted, the others stay.
        if (r % 2 == 0) {
          Status st = store_->Delete(bucket_, moved);
          if (!st.ok()) return fail("delete " + moved + ": " + st.ToString());
          if (Listed(*idx, moved) || idx->Lookup(moved))
            return fail("still listed after its delete: " + moved);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  ASSERT_EQ(failures.load(), 0);

  ASSERT_NO_FATAL_FAILURE(CatchUp(held, *idx));
  std::vector<std::string> want, got;
  for (int t = 0; t < kThreads; ++t)
    for (int r = 1; r < kRounds; r += 2)
      want.push_back("t" + std::to_string(t) + "/r" + std::to_string(r) + ".moved");
  std::sort(want.begin(), want.end());
  Query all;
  all.max_entries = 10000;
  for (const auto& e : idx->List(all).entries) got.push_back(e.name);
  EXPECT_EQ(got, want) << "late watch events changed what this process wrote";
}

// A put whose meta acknowledgement was lost, or whose retry conflicted with its own stored
// record, finds its commit stored after all: it is listed at once although the index never saw
// a successful publish of it.
TEST_F(ListingReadYourWritesTest, PutWhoseAckWasLostIsListedAtOnce) {
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  MustPut(bucket_, "k", "v1");
  WatchHeld held;
  ArmFaultPoint("meta.ack_lost", 1);
  auto put = store_->PutBytes(bucket_, Meta("k"), "version two");
  ArmFaultPoint("meta.ack_lost", 0);
  ASSERT_OK(put);
  auto e = idx->Lookup("k");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->revision, put->revision) << "the listing shows the replaced version";
  EXPECT_EQ(e->size, std::string("version two").size());

  ArmFaultPoint("meta.ack_lost", 1);
  put = store_->PutBytes(bucket_, Meta("new"), "n");
  ArmFaultPoint("meta.ack_lost", 0);
  ASSERT_OK(put);
  EXPECT_TRUE(Listed(*idx, "new")) << "a new object whose ack was lost is not listed";

  // The retry inside the commit meets its own stored meta as a conflict.
  ArmFaultPoint("meta.stored_then_conflict", 1);
  put = store_->PutBytes(bucket_, Meta("k"), "version three");
  ArmFaultPoint("meta.stored_then_conflict", 0);
  ASSERT_OK(put);
  e = idx->Lookup("k");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->revision, put->revision) << "the listing shows the replaced version";
}

// A delete that finds the name already deleted by another process answers OK: the name is
// then gone from this process's listing at once, not when the watch brings the other delete.
TEST_F(ListingReadYourWritesTest, DeleteOfNameAnotherProcessDeletedDropsItAtOnce) {
  MustPut(bucket_, "k", "v");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  ASSERT_TRUE(Listed(*idx, "k"));
  auto other = ConnectTo(server_->url());
  ASSERT_OK(other);
  WatchHeld held;
  ASSERT_OK((*other)->Delete(bucket_, "k"));
  ASSERT_TRUE(Listed(*idx, "k")) << "the watch was not held";
  ASSERT_OK(store_->Delete(bucket_, "k"));
  EXPECT_FALSE(Listed(*idx, "k"));
  EXPECT_FALSE(idx->Lookup("k").has_value());
  ASSERT_NO_FATAL_FAILURE(CatchUp(held, *idx));
  EXPECT_FALSE(Listed(*idx, "k"));
}

// Another process renamed the name away (its move marker is purged: the name has no record at
// all). A delete here answers not found, and the name is gone from the listing at once.
TEST_F(ListingReadYourWritesTest, DeleteOfNameRenamedAwayElsewhereDropsItAtOnce) {
  MustPut(bucket_, "k", "v");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  auto other = ConnectTo(server_->url());
  ASSERT_OK(other);
  WatchHeld held;
  ASSERT_OK((*other)->UpdateMeta(bucket_, "k", Meta("k2")));
  ASSERT_TRUE(Listed(*idx, "k")) << "the watch was not held";
  Status st = store_->Delete(bucket_, "k");
  EXPECT_EQ(st.code(), Code::kNotFound) << st.ToString();
  EXPECT_FALSE(Listed(*idx, "k"));
  ASSERT_NO_FATAL_FAILURE(CatchUp(held, *idx));
  EXPECT_FALSE(Listed(*idx, "k"));
  EXPECT_TRUE(Listed(*idx, "k2"));
}

// A bucket deleted and created again starts its revisions anew: what this process writes into
// the new bucket is listed, even names whose old records had higher revisions.
TEST_F(ListingReadYourWritesTest, RecreatedBucketListsNewWritesAtOnce) {
  for (int i = 0; i < 10; ++i) MustPut(bucket_, "old-" + std::to_string(i), "x");
  for (int i = 0; i < 10; ++i) ASSERT_OK(store_->Delete(bucket_, "old-" + std::to_string(i)));
  ASSERT_NE(MustIndex(), nullptr);
  ASSERT_OK(store_->DeleteBucket(bucket_));
  BucketConfig config;
  config.bucket = bucket_;
  ASSERT_OK(store_->CreateBucket(config));
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  EXPECT_TRUE(idx->empty());
  WatchHeld held;
  ObjectInfo put = MustPut(bucket_, "old-3", "new");
  EXPECT_LT(put.revision, 10u) << "revisions did not restart";
  EXPECT_TRUE(Listed(*idx, "old-3"));
  ASSERT_OK(store_->Delete(bucket_, "old-3"));
  EXPECT_FALSE(Listed(*idx, "old-3"));
  MustPut(bucket_, "old-4", "new");
  Query all;
  auto page = idx->List(all);
  ASSERT_EQ(page.entries.size(), 1u);
  EXPECT_EQ(page.entries[0].name, "old-4");
}

}  // namespace
}  // namespace natss3
