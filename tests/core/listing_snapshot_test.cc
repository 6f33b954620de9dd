// Listing snapshots against a real nats-server: a snapshot plus the catch-up watch gives the
// same listing as a full replay (deletes, overwrites, renames and foreign writes after the
// snapshot included); corrupt, incomplete, stale or foreign-bucket snapshots are not used.
#include <cstdio>
#include <future>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core_test_util.h"
#include "natss3/crash_point.h"
#include "natss3/listing_index.h"
#include "natss3/names.h"

namespace natss3 {
namespace {

using namespace coretest;
using Entry = ListingIndex::Entry;

constexpr const char* kSnapshots = "natss3-listing";

class ListingSnapshotTest : public BucketTest {
 protected:
  void TearDown() override {
    stores_.clear();  // before the server goes
    BucketTest::TearDown();
  }
  // The index of a new connection: what a process starting now would load.
  std::shared_ptr<ListingIndex> FreshIndex() {
    auto store = ConnectTo(server_->url());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return nullptr;
    stores_.push_back(*store);
    auto idx = (*store)->Index(bucket_);
    EXPECT_TRUE(idx.ok()) << idx.status().ToString();
    return idx.ok() ? *idx : nullptr;
  }
  std::shared_ptr<RecordStore> Snapshots() {
    auto r = store_->Records(kSnapshots);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }
  static std::vector<Entry> All(const ListingIndex& idx) {
    std::vector<Entry> all;
    ListingIndex::Query q;
    q.max_entries = 7;  // several pages
    for (;;) {
      auto page = idx.List(q);
      for (auto& e : page.entries) all.push_back(std::move(e));
      if (!page.truncated) return all;
      q.start_after = page.next_start_after;
    }
  }
  static void ExpectSameListing(const std::vector<Entry>& want, const std::vector<Entry>& got) {
    ASSERT_EQ(want.size(), got.size());
    for (size_t i = 0; i < want.size(); ++i) {
      const Entry &w = want[i], &g = got[i];
      EXPECT_EQ(w.name, g.name);
      EXPECT_EQ(w.size, g.size) << w.name;
      EXPECT_EQ(w.mtime, g.mtime) << w.name;
      EXPECT_EQ(w.revision, g.revision) << w.name;
      EXPECT_EQ(w.digest, g.digest) << w.name;
      EXPECT_EQ(w.md5_hex, g.md5_hex) << w.name;
      EXPECT_EQ(w.etag, g.etag) << w.name;
      EXPECT_EQ(w.content_type, g.content_type) << w.name;
      EXPECT_EQ(w.is_link, g.is_link) << w.name;
      EXPECT_EQ(w.headers, g.headers) << w.name;
      EXPECT_EQ(w.nuid, g.nuid) << w.name;
    }
  }
  static bool Listed(const ListingIndex& idx, const std::string& name) {
    return idx.Lookup(name).has_value();
  }
  // A meta record the way another client (nats.go) writes one: no natss3 headers.
  void PublishForeign(const std::string& name, uint64_t size) {
    RawNats raw(server_->url());
    nlohmann::json j = {
        {"name", name},           {"bucket", bucket_},
        {"nuid", NewNuid()},      {"size", size},
        {"chunks", size ? 1 : 0}, {"digest", ExpectedDigest(std::string(size, 'f'))}};
    ASSERT_TRUE(raw.Publish(MetaSubject(bucket_, name), j.dump(), true));
  }
  void PutMany(int n, const std::string& prefix) {
    for (int i = 0; i < n; ++i) {
      ObjectMeta m = Meta(prefix + std::to_string(1000 + i));
      if (i % 3 == 0) m.headers["Content-Type"] = {"text/plain"};
      if (i % 7 == 0) m.metadata["k"] = "v" + std::to_string(i);
      MustPut(bucket_, m, std::string(static_cast<size_t>(i % 50), 'a'));
    }
  }

  std::vector<std::shared_ptr<ObjectStore>> stores_;
};

TEST_F(ListingSnapshotTest, SnapshotAndCatchUpListLikeAFullReplay) {
  PutMany(120, "dir/");
  ObjectInfo target = MustPut(bucket_, "target", "t");
  ASSERT_OK(store_->AddLink(bucket_, "link", target));
  auto live = store_->Index(bucket_);
  ASSERT_OK(live.status());
  ASSERT_OK((*live)->WriteSnapshot());

  // After the snapshot: deletes, overwrites, renames, new objects, a foreign write.
  for (int i = 0; i < 10; ++i)
    ASSERT_OK(store_->Delete(bucket_, "dir/" + std::to_string(1000 + i)));
  for (int i = 10; i < 20; ++i) MustPut(bucket_, "dir/" + std::to_string(1000 + i), "overwritten");
  for (int i = 20; i < 25; ++i) {
    ASSERT_OK(store_->UpdateMeta(bucket_, "dir/" + std::to_string(1000 + i),
                                 Meta("moved/" + std::to_string(i))));
  }
  PutMany(15, "new/");
  PublishForeign("foreign/after", 5);
  ASSERT_TRUE(PollUntil([&] { return Listed(**live, "foreign/after"); }, 5s));

  auto from_snapshot = FreshIndex();
  ASSERT_NE(from_snapshot, nullptr);
  EXPECT_GT(from_snapshot->snapshot_start(), 0u) << "the snapshot was not used";
  for (int i = 20; i < 25; ++i)
    EXPECT_FALSE(Listed(*from_snapshot, "dir/" + std::to_string(1000 + i))) << "renamed away";
  EXPECT_TRUE(Listed(*from_snapshot, "foreign/after"));

  ASSERT_OK(Snapshots()->Delete(bucket_));
  auto replayed = FreshIndex();
  ASSERT_NE(replayed, nullptr);
  EXPECT_EQ(replayed->snapshot_start(), 0u);
  ExpectSameListing(All(*replayed), All(*from_snapshot));
  ExpectSameListing(All(*replayed), All(**live));
  EXPECT_EQ(replayed->size(), 120u - 10u + 2u + 15u + 1u);

  // The index that started from a snapshot keeps following the bucket.
  MustPut(bucket_, "later", "x");
  EXPECT_TRUE(PollUntil([&] { return Listed(*from_snapshot, "later"); }, 5s));
}

TEST_F(ListingSnapshotTest, DamagedOrStaleSnapshotsFallBackToAReplay) {
  PutMany(40, "k/");
  auto live = store_->Index(bucket_);
  ASSERT_OK(live.status());
  auto want = All(**live);
  auto snapshots = Snapshots();
  ASSERT_NE(snapshots, nullptr);

  using Damage = std::function<void()>;
  auto chunk_key = [&] {
    auto keys = snapshots->Keys(bucket_ + ".");
    EXPECT_TRUE(keys.ok() && !keys->empty());
    return keys.ok() && !keys->empty() ? keys->front() : std::string();
  };
  auto edit_head = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto head = snapshots->Get(bucket_);
    ASSERT_OK(head.status());
    auto j = nlohmann::json::parse(*head);
    edit(j);
    ASSERT_OK(snapshots->Put(bucket_, j.dump()));
  };
  std::vector<std::pair<std::string, Damage>> cases = {
      {"a flipped byte",
       [&] {
         std::string k = chunk_key();
         auto v = snapshots->Get(k);
         ASSERT_OK(v.status());
         std::string bad = *v;
         bad[bad.size() / 2] ^= 0x20;
         ASSERT_OK(snapshots->Put(k, bad));
       }},
      {"a missing chunk", [&] { ASSERT_OK(snapshots->Delete(chunk_key())); }},
      {"a head that is not JSON", [&] { ASSERT_OK(snapshots->Put(bucket_, "{not json")); }},
      {"a sequence past the stream's end",
       [&] { edit_head([](nlohmann::json& j) { j["seq"] = j["seq"].get<uint64_t>() + 1000; }); }},
      {"another stream's creation time",
       [&] { edit_head([](nlohmann::json& j) { j["stream_created"] = 12345; }); }},
      {"fewer entries than announced",
       [&] {
         edit_head([](nlohmann::json& j) { j["entries"] = j["entries"].get<uint64_t>() + 1; });
       }},
  };
  for (auto& [what, damage] : cases) {
    SCOPED_TRACE(what);
    ASSERT_OK((*live)->WriteSnapshot());
    auto intact = FreshIndex();
    ASSERT_NE(intact, nullptr);
    EXPECT_GT(intact->snapshot_start(), 0u);
    damage();
    auto idx = FreshIndex();
    ASSERT_NE(idx, nullptr);
    // A chunk that fails its check is found while loading, after the index started.
    ASSERT_TRUE(idx->WaitLoaded(std::chrono::seconds(30)));
    EXPECT_EQ(idx->snapshot_start(), 0u) << "a damaged snapshot was used";
    ExpectSameListing(want, All(*idx));
  }
  ASSERT_OK(snapshots->Delete(bucket_));
  auto none = FreshIndex();
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->snapshot_start(), 0u);
  ExpectSameListing(want, All(*none));
}

TEST_F(ListingSnapshotTest, ABucketCreatedAgainDoesNotUseTheOldSnapshot) {
  PutMany(20, "old/");
  {
    auto live = store_->Index(bucket_);
    ASSERT_OK(live.status());
    ASSERT_OK((*live)->WriteSnapshot());
  }
  ASSERT_OK(store_->DeleteBucket(bucket_));
  BucketConfig config;
  config.bucket = bucket_;
  ASSERT_OK(store_->CreateBucket(config).status());
  // As many records as before, so the old snapshot's sequence is not past the stream's end.
  PutMany(25, "new/");
  auto idx = FreshIndex();
  ASSERT_NE(idx, nullptr);
  EXPECT_EQ(idx->snapshot_start(), 0u);
  EXPECT_EQ(idx->size(), 25u);
  EXPECT_FALSE(Listed(*idx, "old/1000"));
}

TEST_F(ListingSnapshotTest, AForeignWriteAfterTheSnapshotIsListed) {
  PutMany(10, "mine/");
  auto live = store_->Index(bucket_);
  ASSERT_OK(live.status());
  ASSERT_OK((*live)->WriteSnapshot());
  PublishForeign("theirs", 3);
  auto idx = FreshIndex();
  ASSERT_NE(idx, nullptr);
  EXPECT_GT(idx->snapshot_start(), 0u);
  auto e = idx->Lookup("theirs");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->size, 3u);
  EXPECT_EQ(e->digest, ExpectedDigest("fff")) << "no MD5: the digest stays for the ETag";
  EXPECT_EQ(idx->size(), 11u);
  // And one written while the index runs.
  PublishForeign("theirs-too", 0);
  EXPECT_TRUE(PollUntil([&] { return Listed(*idx, "theirs-too"); }, 5s));
}


// A process starting from a snapshot answers a page as soon as the keys it returns are loaded,
// and changes made meanwhile to keys the load has not reached are applied when it does.
TEST_F(ListingSnapshotTest, PagesAreServedWhileTheSnapshotLoads) {
  auto name = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "k/%04d", i);
    return std::string(buf);
  };
  for (int i = 0; i < 600; ++i) {  // ~1 KiB of metadata each: several 256 KiB chunks
    ObjectMeta m = Meta(name(i));
    m.headers["X-Pad"] = {std::string(1000, 'p') + std::to_string(i)};
    MustPut(bucket_, m, "");
  }
  auto live = store_->Index(bucket_);
  ASSERT_OK(live.status());
  ASSERT_OK((*live)->WriteSnapshot());
  auto head = Snapshots()->Get(bucket_);
  ASSERT_OK(head.status());
  ASSERT_GE(nlohmann::json::parse(*head)["chunks"].get<int>(), 3);

  struct Hold {  // the load stops after its first chunk until released
    Hold() { ArmFaultHold("listing.snapshot.load"); }
    ~Hold() { Release(); }
    void Release() { ArmFaultHold(nullptr); }
  } hold;
  auto idx = FreshIndex();
  ASSERT_NE(idx, nullptr);
  ASSERT_GT(idx->snapshot_start(), 0u);
  EXPECT_FALSE(idx->ready()) << "the whole snapshot was loaded before the index started";
  EXPECT_FALSE(idx->WaitLoaded(std::chrono::milliseconds(0)));
  ListingIndex::Query first;
  first.max_entries = 10;
  auto page = idx->List(first);
  ASSERT_EQ(page.entries.size(), 10u);
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.entries.front().name, name(0));
  EXPECT_EQ(page.entries.back().name, name(9));

  // A page past what is loaded waits for the load.
  ListingIndex::Query tail;
  tail.start_after = name(590);
  auto tail_page = std::async(std::launch::async, [&] { return idx->List(tail); });
  EXPECT_EQ(tail_page.wait_for(300ms), std::future_status::timeout);

  // Changes while the load is held, by another process and by this one.
  ObjectInfo overwritten = MustPut(bucket_, name(1), "new");
  ASSERT_OK(store_->Delete(bucket_, name(595)));
  ASSERT_OK(store_->UpdateMeta(bucket_, name(598), Meta("a/from-598")));  // to a loaded key
  ASSERT_OK(store_->UpdateMeta(bucket_, name(2), Meta("z/from-2")));      // to a later key
  MustPut(bucket_, name(597) + "x", "x");
  ASSERT_OK(stores_.back()->Delete(bucket_, name(596)));  // through the index's own store
  ASSERT_TRUE(PollUntil([&] { return Listed(*idx, "a/from-598"); }, 5s));
  ASSERT_TRUE(PollUntil([&] { return !Listed(*idx, name(2)); }, 5s)) << "renamed away";
  ASSERT_TRUE(PollUntil([&] { return idx->RevisionOf(name(1)) == overwritten.revision; }, 5s));
  EXPECT_EQ(tail_page.wait_for(0ms), std::future_status::timeout);
  EXPECT_FALSE(idx->ready());

  hold.Release();
  ASSERT_EQ(tail_page.wait_for(10s), std::future_status::ready);
  std::vector<std::string> got;
  for (const auto& e : tail_page.get().entries) got.push_back(e.name);
  EXPECT_EQ(got, (std::vector<std::string>{name(591), name(592), name(593), name(594),
                                           name(597), name(597) + "x", name(599), "z/from-2"}));
  ASSERT_TRUE(idx->WaitLoaded(10s));
  EXPECT_TRUE(PollUntil([&] { return idx->ready(); }, 5s));
  EXPECT_GT(idx->snapshot_start(), 0u);
  EXPECT_FALSE(Listed(*idx, name(598))) << "renamed away before the load reached it";
  EXPECT_TRUE(Listed(*idx, "z/from-2"));
  ASSERT_TRUE(PollUntil([&] { return Listed(**live, name(597) + "x"); }, 5s));
  ExpectSameListing(All(**live), All(*idx));
}

}  // namespace
}  // namespace natss3
