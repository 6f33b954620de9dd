// Reads, watches and listing indexes while other writers commit, delete and rename in the same
// bucket. nats-server 2.9.x moves every consumer whose filter matches a purged subject forward
// (and every rollup is such a purge), so a watcher that only trusts its
// consumer silently skips meta messages; these tests fail if the core does not repair such
// skips. Chunk locators filter on one chunk subject and must not be disturbed by the churn.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "core_test_util.h"
#include "natss3/listing_index.h"

namespace natss3 {
namespace {

using namespace coretest;

class ConcurrencyTest : public BucketTest {
 protected:

  // Runs `writers` threads until `stop`, each putting, overwriting and deleting small objects
  // named "<tag>-<thread>-<i>" through its own connection (an external writer: no write-through
  // into this process's listing index).
  void StartChurn(int writers, const std::string& tag) {
    for (int t = 0; t < writers; ++t) {
      churn_.emplace_back([this, t, tag] {
        auto other = ConnectTo(server_->url());
        if (!other.ok()) return;
        for (int i = 0; !stop_; ++i) {
          std::string name = tag + "-" + std::to_string(t) + "-" + std::to_string(i % 8);
          (void)(*other)->PutBytes(bucket_, Meta(name), "v" + std::to_string(i));
          if (i % 3 == 2) (void)(*other)->Delete(bucket_, name);
        }
      });
    }
  }
  void StopChurn() {
    stop_ = true;
    for (auto& t : churn_) t.join();
    churn_.clear();
  }
  void TearDown() override {
    StopChurn();
    StoreTest::TearDown();
  }

  std::atomic<bool> stop_{false};
  std::vector<std::thread> churn_;
};

TEST_F(ConcurrencyTest, SlowWholeReadsSurviveConcurrentPutsAndDeletes) {
  // Many small chunks make the chunk locator run long enough to see purges happen.
  const std::string data = test::RandomBytes(1 << 20, 11);
  PutOptions po;
  po.chunk_size = 512;
  MustPut(bucket_, "big", data, po);
  StartChurn(2, "w");
  for (int round = 0; round < 2; ++round) {
    ReadOptions ro;
    ro.window = 4;
    auto r = store_->Open(bucket_, "big", ro);
    ASSERT_OK(r);
    std::string got;
    std::vector<char> buf(100 * 1024);
    for (;;) {
      auto n = (*r)->Read(buf.data(), buf.size());
      ASSERT_OK(n) << "round " << round << " after " << got.size() << " bytes";
      if (*n == 0) break;
      got.append(buf.data(), *n);
      if (got.size() % (64 * 512) == 0) std::this_thread::sleep_for(5ms);  // a slow consumer
    }
    ASSERT_EQ(got.size(), data.size());
    ASSERT_TRUE(got == data) << "round " << round;
  }
}

TEST_F(ConcurrencyTest, RangedReadsSurviveConcurrentPutsAndDeletes) {
  const std::string data = test::RandomBytes(1 << 20, 12);
  PutOptions po;
  po.chunk_size = 512;
  MustPut(bucket_, "big", data, po);
  StartChurn(2, "w");
  for (int round = 0; round < 3; ++round) {
    auto r = store_->Open(bucket_, "big", {});
    ASSERT_OK(r);
    uint64_t off = data.size() - 100000 * (round + 2);
    std::string buf(70000, '\0');
    auto n = (*r)->ReadAt(off, buf.data(), buf.size());
    ASSERT_OK(n) << "round " << round;
    ASSERT_EQ(*n, buf.size());
    ASSERT_TRUE(buf == data.substr(off, buf.size())) << "round " << round;
  }
}

TEST_F(ConcurrencyTest, LiveWatchSeesEveryCommitOfConcurrentWriters) {
  auto w = store_->Watch(bucket_, {});
  ASSERT_OK(w);
  auto first = (*w)->Next(5s);
  ASSERT_OK(first);
  ASSERT_EQ(first->kind, WatchEvent::Kind::kEndOfInitial);

  const int writers = 8, per_writer = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      auto other = ConnectTo(server_->url());
      ASSERT_OK(other);
      for (int i = 0; i < per_writer; ++i) {
        std::string name = "n-" + std::to_string(t) + "-" + std::to_string(i);
        ASSERT_OK((*other)->PutBytes(bucket_, Meta(name), std::string(700, 'x')));
        if (i % 5 == 4) {
          ASSERT_OK((*other)->Delete(bucket_, name));
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  // Every commit must be seen, except a put whose meta message a later delete of the same
  // name already replaced in the stream (the stream no longer holds it): the last event per
  // name must be its final state.
  std::map<std::string, bool> last_deleted;
  auto converged = [&] {
    if (last_deleted.size() != static_cast<size_t>(writers * per_writer)) return false;
    for (auto& [name, del] : last_deleted) {
      int i = std::stoi(name.substr(name.rfind('-') + 1));
      if (del != (i % 5 == 4)) return false;
    }
    return true;
  };
  while (!converged()) {
    auto e = (*w)->Next(5s);
    ASSERT_OK(e) << "saw " << last_deleted.size() << " names";
    last_deleted[e->info.name()] = e->info.deleted;
  }
}

TEST_F(ConcurrencyTest, ListingIndexConvergesWithExternalWriters) {
  auto idx = store_->Index(bucket_);
  ASSERT_OK(idx);
  const int writers = 8, per_writer = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      auto other = ConnectTo(server_->url());
      ASSERT_OK(other);
      for (int i = 0; i < per_writer; ++i) {
        std::string name = "k-" + std::to_string(t) + "-" + std::to_string(i);
        ASSERT_OK((*other)->PutBytes(bucket_, Meta(name), "x"));
        if (i % 5 == 4) {
          ASSERT_OK((*other)->Delete(bucket_, name));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const size_t want = writers * per_writer - writers * per_writer / 5;
  EXPECT_TRUE(PollUntil([&] { return (*idx)->size() == want; }, 3000ms))
      << "index has " << (*idx)->size() << " of " << want << " entries";
  EXPECT_FALSE((*idx)->Lookup("k-0-4").has_value());
  EXPECT_TRUE((*idx)->Lookup("k-7-23").has_value());
}


// Readers dropped with chunk fetches (and a chunk-locating consumer) still in flight: libnats
// 3.4.1 crashes if a subscription is destroyed while its read loop handles a message for it
// (nats.c #637); the core must retire subscriptions safely (sub_reaper.h).
TEST_F(ConcurrencyTest, ReadersDroppedWithFetchesInFlight) {
  const std::string data = test::RandomBytes(2 << 20, 13);
  PutOptions po;
  po.chunk_size = 4096;
  MustPut(bucket_, "contiguous", data, po);
  StartChurn(2, "w");  // interleaves the chunks of the next put: its reads need the locator
  MustPut(bucket_, "interleaved", data, po);
  std::vector<std::thread> readers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        ReadOptions ro;
        ro.window = 64;
        const char* name = (i % 2 == 0) ? "contiguous" : "interleaved";
        auto r = store_->Open(bucket_, name, ro);
        if (!r.ok()) {
          ++failures;
          continue;
        }
        char c;
        auto n = (i % 3 == 0) ? (*r)->ReadAt((t * 7919 + i * 104729) % data.size(), &c, 1)
                              : (*r)->Read(&c, 1);
        if (!n.ok() || *n != 1) ++failures;
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  // The store still works afterwards.
  auto r = store_->Open(bucket_, "interleaved");
  ASSERT_OK(r);
  auto got = ReadAll(**r);
  ASSERT_OK(got);
  EXPECT_TRUE(*got == data);
}

// Loading a bucket's listing index replays every meta record of it, which takes a while for a
// large bucket; commits to other buckets must not wait for it (the index map's lock is a leaf
// and never held across the load), and this process's commits to the loading bucket itself
// made during the load must be in the index once it is ready.
TEST_F(ConcurrencyTest, IndexLoadBlocksNoCommitOfAnotherBucket) {
  constexpr int kObjects = 48000;
  ASSERT_EQ(PutEmptyObjects(*store_, bucket_, kObjects), 0);
  std::string other = NewBucket();
  auto fresh = ConnectTo(server_->url());  // a process with no index loaded yet
  ASSERT_OK(fresh);
  ObjectStore& store = **fresh;
  ASSERT_OK(store.PutBytes(other, Meta("warm"), "x"));
  std::atomic<bool> loading{true};
  auto t0 = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration load_time{};
  std::thread loader([&] {
    auto idx = store.Index(bucket_);
    load_time = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(idx.ok());
    loading = false;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  // Commits meanwhile: one to another bucket (timed), one to the loading bucket.
  auto c0 = std::chrono::steady_clock::now();
  ASSERT_OK(store.PutBytes(other, Meta("during-load"), "y"));
  auto commit_time = std::chrono::steady_clock::now() - c0;
  bool committed_during_load = loading;
  ASSERT_OK(store.PutBytes(bucket_, Meta("written-during-load"), "z"));
  loader.join();
  auto ms = [](auto d) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  std::printf("index of %d objects loaded in %ld ms; a commit to another bucket took %ld ms\n",
              kObjects, ms(load_time), ms(commit_time));
  ASSERT_TRUE(committed_during_load)
      << "the index of " << kObjects << " objects loaded in " << ms(load_time)
      << " ms, before the commit to race it was made: raise kObjects";
  EXPECT_LT(ms(commit_time), ms(load_time) / 2)
      << "a commit to another bucket waited for the index load";
  auto idx = store.Index(bucket_);
  ASSERT_OK(idx);
  ListingIndex::Query q;
  q.prefix = "written-during-load";
  EXPECT_EQ((*idx)->List(q).entries.size(), 1u) << "a commit made during the load is missing";
}

}  // namespace
}  // namespace natss3
