// ListingIndex contract: sorted pages, prefix, start_after, delimiter, paging, live updates,
// listeners, read-your-writes, and a 20k-object bucket.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "core_test_util.h"
#include "natss3/crash_point.h"
#include "natss3/listing_index.h"

namespace natss3 {
namespace {

using namespace coretest;
using Query = ListingIndex::Query;

class ListingIndexTest : public BucketTest {
 protected:
  std::shared_ptr<ListingIndex> MustIndex() {
    auto idx = store_->Index(bucket_);
    EXPECT_TRUE(idx.ok()) << idx.status().ToString();
    return idx.ok() ? *idx : nullptr;
  }
  static std::vector<std::string> Names(const ListingIndex::Page& p) {
    std::vector<std::string> n;
    for (auto& e : p.entries) n.push_back(e.name);
    return n;
  }
};

using V = std::vector<std::string>;

// Keys chosen so that byte order differs from naive expectations ("a/b/3" < "a0", "é" last).
const V kKeys = {"b", "a/2", "a/1", "a/b/3", "a0", "c/x", "\xC3\xA9", "Z", "a/"};

TEST_F(ListingIndexTest, SortedByBytesWithEntryFields) {
  for (auto& k : kKeys) {
    ObjectMeta m = Meta(k);
    m.headers["Content-Type"] = {"text/x-" + std::to_string(k.size())};
    MustPut(bucket_, m, "data:" + k);
  }
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  EXPECT_TRUE(idx->ready());
  EXPECT_EQ(idx->size(), kKeys.size());
  auto page = idx->List(Query{});
  V want = kKeys;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Names(page), want);
  EXPECT_FALSE(page.truncated);
  EXPECT_TRUE(page.common_prefixes.empty());
  for (auto& e : page.entries) {
    std::string data = "data:" + e.name;
    EXPECT_EQ(e.size, data.size()) << e.name;
    // The digest is kept only as the ETag's fallback, when there is no MD5 (packed entries).
    EXPECT_EQ(e.digest, "") << e.name;
    EXPECT_EQ(e.md5_hex, Md5Hex(data)) << e.name;
    EXPECT_EQ(e.content_type, "text/x-" + std::to_string(e.name.size())) << e.name;
    EXPECT_FALSE(e.is_link);
    EXPECT_GT(e.revision, 0u);
    EXPECT_GT(e.mtime, TimePoint{});
  }
  auto one = idx->Lookup("a/b/3");
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->size, std::string("data:a/b/3").size());
  EXPECT_FALSE(idx->Lookup("nope").has_value());
}

TEST_F(ListingIndexTest, PrefixStartAfterDelimiter) {
  for (auto& k : kKeys) MustPut(bucket_, k, "x");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);

  Query q;
  q.prefix = "a/";
  EXPECT_EQ(Names(idx->List(q)), (V{"a/", "a/1", "a/2", "a/b/3"}));

  q = Query{};
  q.start_after = "a/2";
  EXPECT_EQ(Names(idx->List(q)), (V{"a/b/3", "a0", "b", "c/x", "\xC3\xA9"}));

  q = Query{};
  q.start_after = "a/1";
  q.prefix = "a/";
  EXPECT_EQ(Names(idx->List(q)), (V{"a/2", "a/b/3"}));

  q = Query{};
  q.delimiter = "/";
  auto top = idx->List(q);
  EXPECT_EQ(Names(top), (V{"Z", "a0", "b", "\xC3\xA9"}));
  EXPECT_EQ(top.common_prefixes, (V{"a/", "c/"}));

  q = Query{};
  q.delimiter = "/";
  q.prefix = "a/";
  auto sub = idx->List(q);
  EXPECT_EQ(Names(sub), (V{"a/", "a/1", "a/2"}));
  EXPECT_EQ(sub.common_prefixes, (V{"a/b/"}));

  q = Query{};
  q.prefix = "zzz";
  auto none = idx->List(q);
  EXPECT_TRUE(none.entries.empty());
  EXPECT_TRUE(none.common_prefixes.empty());
  EXPECT_FALSE(none.truncated);
}

TEST_F(ListingIndexTest, MaxEntriesTruncatesAndPagesCoverEverything) {
  for (auto& k : kKeys) MustPut(bucket_, k, "x");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  Query q;
  q.max_entries = 2;
  V all;
  int pages = 0;
  while (true) {
    auto p = idx->List(q);
    ASSERT_LE(p.entries.size(), 2u);
    for (auto& e : p.entries) all.push_back(e.name);
    if (++pages > 20) FAIL() << "paging does not terminate";
    if (!p.truncated) break;
    ASSERT_FALSE(p.entries.empty());
    EXPECT_EQ(p.next_start_after, p.entries.back().name);
    q.start_after = p.next_start_after;
  }
  V want = kKeys;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(all, want);
  EXPECT_EQ(pages, 5);
}

TEST_F(ListingIndexTest, PagingWithDelimiterCountsPrefixesAndDoesNotRepeat) {
  for (auto& k : {"a/1", "a/2", "a/3", "b", "c/1", "c/2", "d", "e/1"}) MustPut(bucket_, k, "x");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  Query q;
  q.delimiter = "/";
  q.max_entries = 2;
  V seen;
  int pages = 0;
  while (true) {
    auto p = idx->List(q);
    EXPECT_LE(p.entries.size() + p.common_prefixes.size(), 2u);
    // Merge in order for a readable sequence.
    V page;
    for (auto& e : p.entries) page.push_back(e.name);
    for (auto& c : p.common_prefixes) page.push_back(c);
    std::sort(page.begin(), page.end());
    seen.insert(seen.end(), page.begin(), page.end());
    if (++pages > 20) FAIL() << "paging with a delimiter does not terminate";
    if (!p.truncated) break;
    ASSERT_FALSE(page.empty());
    EXPECT_EQ(p.next_start_after, page.back());
    q.start_after = p.next_start_after;
  }
  EXPECT_EQ(seen, (V{"a/", "b", "c/", "d", "e/"}));
}

TEST_F(ListingIndexTest, SeesPutsOverwritesDeletesAndRenames) {
  MustPut(bucket_, "initial", "x");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  MustPut(bucket_, "later", "12345");
  EXPECT_TRUE(PollUntil([&] { return idx->Lookup("later").has_value(); }, 5s));
  MustPut(bucket_, "later", "1234567890");
  EXPECT_TRUE(PollUntil([&] {
    auto e = idx->Lookup("later");
    return e && e->size == 10;
  }, 5s));
  ASSERT_OK(store_->Delete(bucket_, "initial"));
  EXPECT_TRUE(PollUntil([&] { return !idx->Lookup("initial").has_value(); }, 5s));
  ASSERT_OK(store_->UpdateMeta(bucket_, "later", Meta("renamed")));
  EXPECT_TRUE(PollUntil([&] {
    return idx->Lookup("renamed").has_value() && !idx->Lookup("later").has_value();
  }, 5s)) << "old name still listed after rename: " << idx->Lookup("later").has_value();
  EXPECT_EQ(Names(idx->List(Query{})), (V{"renamed"}));
  EXPECT_EQ(idx->size(), 1u);
}

// Read-your-writes needs no barrier (listing_ryw_test.cc holds the watch to prove it).
TEST_F(ListingIndexTest, OwnPutsListedWithoutWaiting) {
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  for (int i = 0; i < 20; ++i) {
    std::string name = "ryw-" + std::to_string(i);
    ObjectInfo put = MustPut(bucket_, name, std::string(static_cast<size_t>(i), 'x'));
    auto e = idx->Lookup(name);
    ASSERT_TRUE(e.has_value()) << name;
    EXPECT_EQ(e->size, static_cast<uint64_t>(i));
    EXPECT_EQ(e->revision, put.revision);
  }
}

TEST_F(ListingIndexTest, LinksListedDeletedNot) {
  ObjectInfo t = MustPut(bucket_, "target", "t");
  ASSERT_OK(store_->AddLink(bucket_, "link", t));
  MustPut(bucket_, "gone", "g");
  ASSERT_OK(store_->Delete(bucket_, "gone"));
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  auto page = idx->List(Query{});
  EXPECT_EQ(Names(page), (V{"link", "target"}));
  auto l = idx->Lookup("link");
  ASSERT_TRUE(l.has_value());
  EXPECT_TRUE(l->is_link);
}

TEST_F(ListingIndexTest, ListenersCalledAndRemovable) {
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  std::mutex mu;
  std::vector<std::string> events;
  int id = idx->AddListener([&](const ObjectInfo& info) {
    std::lock_guard<std::mutex> l(mu);
    events.push_back(info.name() + (info.deleted ? "(deleted)" : ""));
  });
  MustPut(bucket_, "x", "1");
  ASSERT_OK(store_->Delete(bucket_, "x"));
  EXPECT_TRUE(PollUntil([&] {
    std::lock_guard<std::mutex> l(mu);
    return events.size() >= 2;
  }, 5s));
  {
    std::lock_guard<std::mutex> l(mu);
    EXPECT_EQ(events, (V{"x", "x(deleted)"}));
  }
  idx->RemoveListener(id);
  ObjectInfo y = MustPut(bucket_, "y", "2");
  idx->WaitForRevision(y.revision, 5s);
  ASSERT_TRUE(PollUntil([&] { return idx->Lookup("y").has_value(); }, 5s));
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(ListingIndexTest, SharedPerBucket) {
  auto a = MustIndex();
  auto b = MustIndex();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a.get(), b.get());
  std::string other = NewBucket();
  auto c = store_->Index(other);
  ASSERT_OK(c);
  EXPECT_NE(c->get(), a.get());
}

TEST_F(ListingIndexTest, EmptyBucketIndex) {
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  EXPECT_TRUE(idx->empty());
  EXPECT_TRUE(idx->ready());
  auto p = idx->List(Query{});
  EXPECT_TRUE(p.entries.empty());
  EXPECT_FALSE(p.truncated);
}

TEST_F(ListingIndexTest, TwentyThousandObjectsPageOfThousand) {
  constexpr int kObjects = 20000;
  auto t0 = std::chrono::steady_clock::now();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < kObjects; i += 8) {
        char name[64];
        std::snprintf(name, sizeof name, "dir%02d/obj%06d", i % 20, i);
        if (!store_->PutBytes(bucket_, Meta(name), "").ok()) failures++;
      }
    });
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  auto t1 = std::chrono::steady_clock::now();
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(idx->size(), static_cast<size_t>(kObjects));

  Query q;
  q.prefix = "dir07/";
  q.start_after = "dir07/obj000100";
  auto t3 = std::chrono::steady_clock::now();
  auto page = idx->List(q);
  auto t4 = std::chrono::steady_clock::now();
  EXPECT_EQ(page.entries.size(), 995u);  // dir07 holds 1000 objects; 5 sort at/before 000100
  EXPECT_FALSE(page.truncated);

  Query all;
  auto t5 = std::chrono::steady_clock::now();
  auto first = idx->List(all);
  auto t6 = std::chrono::steady_clock::now();
  EXPECT_EQ(first.entries.size(), 1000u);
  EXPECT_TRUE(first.truncated);
  EXPECT_EQ(first.entries.front().name, "dir00/obj000000");
  Query delim;
  delim.delimiter = "/";
  auto dirs = idx->List(delim);
  EXPECT_EQ(dirs.common_prefixes.size(), 20u);
  EXPECT_TRUE(dirs.entries.empty());

  auto us = [](auto d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  RecordProperty("put_20k_ms", static_cast<int>(us(t1 - t0) / 1000));
  RecordProperty("index_load_ms", static_cast<int>(us(t2 - t1) / 1000));
  RecordProperty("query_prefix_us", static_cast<int>(us(t4 - t3)));
  RecordProperty("query_1000_us", static_cast<int>(us(t6 - t5)));
  std::printf("[ measure ] put 20k: %lld ms, index load: %lld ms, prefix page: %lld us, "
              "1000-entry page: %lld us\n",
              static_cast<long long>(us(t1 - t0) / 1000), static_cast<long long>(us(t2 - t1) / 1000),
              static_cast<long long>(us(t4 - t3)), static_cast<long long>(us(t6 - t5)));
}

// A rebuilt watch's replay drops only the entries it could have named: a commit this process
// applied whose record the server answering the replay had not applied yet (a newly elected
// stream leader) stays listed. Simulated by a record newer than anything in the stream; the
// watch is broken by a fault point.
TEST_F(ListingIndexTest, RebuiltWatchKeepsCommitsNewerThanItsReplay) {
  MustPut(bucket_, "a", "1");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  ObjectInfo ghost;
  ghost.bucket = bucket_;
  ghost.meta.name = "ahead";
  ghost.nuid = "NUIDAHEAD";
  ghost.size = 1;
  ghost.revision = 1000000;
  idx->Observe(ghost);
  ASSERT_TRUE(idx->Lookup("ahead").has_value());
  ArmFaultPoint("listing.watch.break", 1);
  // Another connection's put reaches this index only through its (rebuilt) watch, after the
  // replay ended.
  ConnectOptions connect;
  connect.servers = server_->url();
  auto other = ConnectNats(connect);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    ObjectMeta m = Meta("b");
    auto put = (*other)->PutBytes(bucket_, m, "2");
    if (put.ok())
      for (int i = 0; i < 100 && !(seen = idx->Lookup("b").has_value()); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(seen) << "the index never saw another process's put after the restart";
  EXPECT_TRUE(idx->Lookup("a").has_value());
  EXPECT_TRUE(idx->Lookup("ahead").has_value()) << "the replay dropped a newer commit";
}


// A rebuilt watch's replay that leaves out a name (as nats-server 2.9.10 consumers were seen to,
// docs/cluster.md) does not take the name out of the listing: the stream leader is asked first.
// A name whose record really is gone (its meta message removed while the watch was down, which
// no watch can observe) still goes, and the mount is told.
TEST_F(ListingIndexTest, ARebuiltReplayLeavingANameOutDoesNotDropIt) {
  MustPut(bucket_, "kept", "1");  // the oldest record: the first of the replay, left out
  auto gone = MustPut(bucket_, "gone", "2");
  MustPut(bucket_, "other", "3");
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  ASSERT_EQ(idx->size(), 3u);
  std::atomic<int> told_gone{0};
  int listener = idx->AddListener([&](const ObjectInfo& info) {
    if (info.meta.name == "gone" && info.deleted) told_gone.fetch_add(1);
  });
  struct Disarm {
    ~Disarm() { ArmFaultPoint("watch.drop_initial", 0); }
  } disarm;
  RawNats raw(server_->url());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE(raw.DeleteMsg("OBJ_" + bucket_, gone.revision));
  const uint64_t replays = idx->replays();
  ArmFaultPoint("listing.watch.break", 1);
  // The rebuild marks the index not ready, then waits its backoff (200 ms) before the fresh
  // watch, whose replay then leaves out its first name.
  ASSERT_TRUE(PollUntil([&] { return !idx->ready(); }, std::chrono::seconds(10)));
  ArmFaultPoint("watch.drop_initial", 1);
  ASSERT_TRUE(PollUntil([&] { return idx->replays() > replays && idx->ready(); },
                        std::chrono::seconds(30)));
  EXPECT_FALSE(FaultPoint("watch.drop_initial")) << "the replay left nothing out: proves nothing";
  EXPECT_TRUE(idx->Lookup("kept").has_value()) << "the rebuild dropped a name the replay left out";
  EXPECT_TRUE(idx->Lookup("other").has_value());
  EXPECT_FALSE(idx->Lookup("gone").has_value()) << "a name with no record stayed listed";
  EXPECT_EQ(told_gone.load(), 1);
  idx->RemoveListener(listener);
}


// The load timeout bounds a replay that stalls, not one that takes long: a bucket too large to
// replay within it (ten million objects take minutes) still gets its index.
TEST_F(ListingIndexTest, AReplayLongerThanTheTimeoutStillLoads) {
  constexpr int kObjects = 30000;
  ASSERT_EQ(PutEmptyObjects(*store_, bucket_, kObjects), 0);
  auto t0 = std::chrono::steady_clock::now();
  auto idx = ListingIndex::Start(store_.get(), bucket_, std::chrono::milliseconds(50));
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_OK(idx.status());
  EXPECT_EQ((*idx)->size(), static_cast<size_t>(kObjects));
  // The replay did take longer than the timeout (else this test proves nothing).
  EXPECT_GT(took, std::chrono::milliseconds(50));
}

// The index remembers which data newer versions released (the collector keeps it for the
// release grace). Many overwrites within a few minutes keep every release, not only those after
// the 20,000th (all were forgotten at once there); older ones than the window, and the oldest
// beyond the cap, go first.
TEST_F(ListingIndexTest, ReleasesAreForgottenOldestFirst) {
  auto idx = MustIndex();
  ASSERT_NE(idx, nullptr);
  const TimePoint base = Clock::now();
  auto overwrite = [&](int i, TimePoint when) {
    ObjectInfo info;
    info.bucket = bucket_;
    info.meta.name = "overwritten";
    info.nuid = "NUID" + std::to_string(i);
    info.size = 1;
    info.revision = 1000000 + static_cast<uint64_t>(i);
    info.mtime = when;
    idx->Observe(info);
  };
  constexpr int kBurst = 25000;  // one overwrite a millisecond: 25 s
  for (int i = 0; i < kBurst; ++i) overwrite(i, base + std::chrono::milliseconds(i));
  auto refs = idx->Refs();
  EXPECT_EQ(refs.released.size(), static_cast<size_t>(kBurst - 1));
  for (int i : {0, 5000, 19999, 20001, kBurst - 2})
    EXPECT_EQ(refs.released.count("NUID" + std::to_string(i)), 1u) << i;
  EXPECT_EQ(refs.released.count("NUID" + std::to_string(kBurst - 1)), 0u) << "still current";

  // Eleven minutes later every release of the burst is older than the window.
  overwrite(kBurst, base + std::chrono::minutes(11));
  refs = idx->Refs();
  ASSERT_EQ(refs.released.size(), 1u);
  EXPECT_EQ(refs.released.count("NUID" + std::to_string(kBurst - 1)), 1u);

  // Past the cap the oldest go: 60,000 more releases within a minute keep the newest 50,000.
  const TimePoint later = base + std::chrono::minutes(12);
  constexpr int kMany = 60000;
  for (int i = 1; i <= kMany; ++i) overwrite(kBurst + i, later + std::chrono::milliseconds(i));
  refs = idx->Refs();
  EXPECT_EQ(refs.released.size(), 50000u);
  EXPECT_EQ(refs.released.count("NUID" + std::to_string(kBurst + kMany - 1)), 1u);
  EXPECT_EQ(refs.released.count("NUID" + std::to_string(kBurst + kMany - 50000)), 1u);
  EXPECT_EQ(refs.released.count("NUID" + std::to_string(kBurst + kMany - 50001)), 0u);
}

}  // namespace
}  // namespace natss3
