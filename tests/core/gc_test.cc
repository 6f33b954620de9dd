// Garbage collection: orphans of interrupted puts are purged once older than the grace, data
// of uploads in progress (here or in another live process) never is, stale pins and
// interrupted renames are cleaned up, and a frozen put whose chunks were reclaimed fails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core_test_util.h"
#include "natss3/crash_point.h"
#include "natss3/listing_index.h"
#include "natss3/multipart.h"

namespace natss3 {
namespace {

using namespace coretest;

class GcTest : public BucketTest {
 protected:
  // Chunks with no meta, as a put cut short by a crash leaves them.
  void PublishOrphan(const std::string& nuid, int chunks) {
    RawNats raw(server_->url());
    for (int i = 0; i < chunks; ++i)
      ASSERT_TRUE(raw.Publish(ChunkSubject(bucket_, nuid), test::RandomBytes(1000, i), false));
  }
  GcReport MustCollect(bool purge, std::chrono::milliseconds grace, ObjectStore* store = nullptr) {
    GcOptions o;
    o.purge = purge;
    o.grace = grace;
    auto r = (store ? store : store_.get())->CollectGarbage(bucket_, o);
    EXPECT_OK(r);
    return r.ok() ? *r : GcReport{};
  }
};

TEST_F(GcTest, OrphansArePurgedOnlyWhenOlderThanTheGraceAndNotInADryRun) {
  auto kept = MustPut(bucket_, "kept", test::RandomBytes(300 * 1024, 1));
  PublishOrphan("Orphan0000000000000001", 3);
  auto young = MustCollect(true, 60s);
  ASSERT_EQ(young.orphans.size(), 1u);
  EXPECT_FALSE(young.orphans[0].purged);
  EXPECT_EQ(young.orphans[0].messages, 3u);
  EXPECT_EQ(young.referenced, 1u);
  auto dry = MustCollect(false, 0ms);
  ASSERT_EQ(dry.orphans.size(), 1u);
  EXPECT_FALSE(dry.orphans[0].purged);
  EXPECT_EQ(ChunkSubjects().size(), 2u);
  auto real = MustCollect(true, 0ms);
  ASSERT_EQ(real.orphans.size(), 1u);
  EXPECT_TRUE(real.orphans[0].purged);
  EXPECT_EQ(real.purged_messages, 3u);
  EXPECT_LT(real.stream_bytes_after, real.stream_bytes_before);
  EXPECT_EQ(ChunkSubjects().size(), 1u);
  EXPECT_EQ(MustGet(bucket_, "kept"), test::RandomBytes(300 * 1024, 1));
}

// A listing that lacks a live object (its consumer left the name out, docs/cluster.md; here
// the fault point drops it while a fresh process's listing loads) must not get the object's
// chunks purged as orphans: collection checks the listing against the names the stream leader
// holds, keeps the object, and puts it back into the listing.
TEST_F(GcTest, AnObjectTheListingLacksIsKeptAndPutBack) {
  const std::string data = test::RandomBytes(300 * 1024, 7);
  MustPut(bucket_, "kept", data);
  MustPut(bucket_, "other", "x");
  PublishOrphan("Orphan0000000000000002", 2);  // a real orphan: collection purges something
  auto fresh = ConnectWith(server_->url(), [](ConnectOptions&) {});
  ASSERT_OK(fresh);
  ArmFaultPoint("watch.drop_initial", 1);
  auto idx = (*fresh)->Index(bucket_);
  ArmFaultPoint("watch.drop_initial", 0);
  ASSERT_OK(idx);
  ASSERT_FALSE((*idx)->Lookup("kept")) << "the seam did not drop the first name";
  auto r = MustCollect(true, 0ms, fresh->get());
  EXPECT_EQ(r.listing_missed, 1);
  ASSERT_EQ(r.orphans.size(), 1u);
  EXPECT_EQ(r.orphans[0].nuid, "Orphan0000000000000002");
  EXPECT_TRUE(r.orphans[0].purged);
  EXPECT_EQ(MustGet(bucket_, "kept"), data);
  EXPECT_TRUE((*idx)->Lookup("kept"));
  auto again = MustCollect(true, 0ms, fresh->get());
  EXPECT_EQ(again.listing_missed, 0);
  EXPECT_TRUE(again.orphans.empty());
  EXPECT_EQ(again.referenced, 2u);
}

// A put in progress in this process is never collected, however old its chunks.
TEST_F(GcTest, PutInProgressHereIsNeverCollected) {
  auto w = store_->NewWriter(bucket_, Meta("slow"));
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(test::RandomBytes(400 * 1024, 2)));
  EXPECT_TRUE(PollUntil([&] { return !ChunkSubjects().empty(); }, 5s));
  auto r = MustCollect(true, 0ms);
  EXPECT_TRUE(r.orphans.empty());
  ASSERT_OK((*w)->Commit());
  EXPECT_EQ(MustGet(bucket_, "slow"), test::RandomBytes(400 * 1024, 2));
}

// Another process's upload that has run for a while is pinned; its chunks survive another
// process's collection even when older than the grace, as long as its heartbeat is fresh.
TEST_F(GcTest, PinnedUploadOfAnotherLiveProcessSurvives) {
  auto writer_store = ConnectWith(server_->url(), [](ConnectOptions& o) { o.gc_grace = 1200ms; });
  ASSERT_OK(writer_store);
  auto w = (*writer_store)->NewWriter(bucket_, Meta("slow"));
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(test::RandomBytes(400 * 1024, 3)));
  // Pinned after a quarter of the grace; then older than the grace with nothing new written.
  auto gc_store = ConnectTo(server_->url());
  ASSERT_OK(gc_store);
  auto records = (*gc_store)->Records("natss3_gc");
  ASSERT_OK(records);
  ASSERT_TRUE(PollUntil([&] {
    auto keys = (*records)->Keys("pin." + bucket_ + ".");
    return keys.ok() && !keys->empty();
  }, 10s)) << "no pin written";
  std::this_thread::sleep_for(1500ms);  // the chunks must be older than the grace here
  auto r = MustCollect(true, 1200ms, gc_store->get());
  for (const auto& o : r.orphans) EXPECT_FALSE(o.purged) << o.nuid;
  auto c = (*w)->Commit();
  ASSERT_OK(c);
  EXPECT_EQ(MustGet(bucket_, "slow"), test::RandomBytes(400 * 1024, 3));
  // The pin goes away once the put is committed.
  EXPECT_TRUE(PollUntil([&] {
    auto keys = (*records)->Keys("pin." + bucket_ + ".");
    return keys.ok() && keys->empty();
  }, 10s));
}

// A pin whose owner stopped beating (a crashed process) protects nothing: the chunks are
// reclaimed and the pin removed.
TEST_F(GcTest, StalePinsOfDeadProcessesAreRemovedAndTheirChunksPurged) {
  PublishOrphan("DeadOwnerUpload0000001", 2);
  auto records = store_->Records("natss3_gc");
  ASSERT_OK(records);
  ASSERT_OK((*records)->Put("pin." + bucket_ + ".DeadOwnerUpload0000001", "GoneOwner000000000000x"));
  auto r = MustCollect(true, 0ms);
  EXPECT_EQ(r.stale_pins, 1);
  ASSERT_EQ(r.orphans.size(), 1u);
  EXPECT_TRUE(r.orphans[0].purged);
  auto keys = (*records)->Keys("pin." + bucket_ + ".");
  ASSERT_OK(keys);
  EXPECT_TRUE(keys->empty());
}

// The collection loop does not look again at a bucket whose stream has not changed since a
// clean run. A pin whose owner was alive then (a process that had not written a chunk yet when
// it was killed) turns stale without any change to the stream: the loop must still remove it.
TEST_F(GcTest, TheLoopRemovesAPinThatTurnedStaleWhileTheBucketWasQuiet) {
  MustPut(bucket_, "quiet", "q");
  auto records = store_->Records("natss3_gc");
  ASSERT_OK(records);
  const std::string pin = "pin." + bucket_ + ".KilledBeforeChunks0001";
  ASSERT_OK((*records)->Put("hb.DyingOwner00000000000x", R"({"pid":1})"));
  ASSERT_OK((*records)->Put(pin, "DyingOwner00000000000x"));
  auto collector = ConnectWith(server_->url(), [](ConnectOptions& o) {
    o.gc_interval = 200ms;
    o.gc_grace = 1500ms;
  });
  ASSERT_OK(collector);
  // Runs while the owner's heartbeat is fresh keep the pin; later ones find it stale.
  EXPECT_TRUE(PollUntil([&] {
    auto keys = (*records)->Keys(pin);
    return keys.ok() && keys->empty();
  }, 15s)) << "the stale pin is still there";
}

// Part records keep their blobs; part records of uploads that are gone do not.
TEST_F(GcTest, PartsOfLiveUploadsAreKeptOrphanPartsCollected) {
  MultipartStore uploads(store_.get());
  auto up = uploads.Create(bucket_, "big", {});
  ASSERT_OK(up);
  auto sw = store_->NewStagedWriter(bucket_);
  ASSERT_OK(sw);
  ASSERT_OK((*sw)->Write(test::RandomBytes(200 * 1024, 4)));
  auto blob = (*sw)->Finish();
  ASSERT_OK(blob);
  PartRecord part;
  part.number = 1;
  part.blob = *blob;
  ASSERT_OK(uploads.PutPart(*up, part));
  auto r = MustCollect(true, 0ms);
  EXPECT_TRUE(r.orphans.empty());
  EXPECT_EQ(ChunkSubjects().size(), 1u);
  // The upload record goes (as a crash in the middle of an abort leaves it): the part is
  // collected with its record.
  auto kv = store_->Records(MultipartStore::kRecordBucket);
  ASSERT_OK(kv);
  ASSERT_OK((*kv)->Delete("up." + bucket_ + "." + up->upload_id));
  r = MustCollect(true, 0ms);
  EXPECT_EQ(r.orphan_part_records, 1);
  EXPECT_EQ(r.orphans.size(), 1u);
  EXPECT_TRUE(ChunkSubjects().empty());
}

// A rename cut short after its first step (the old name is a move marker, the new name was
// never written) is undone; one cut short after its second step is finished.
TEST_F(GcTest, InterruptedRenamesAreUndoneOrFinished) {
  auto a = MustPut(bucket_, "a", test::RandomBytes(200 * 1024, 5));
  auto b = MustPut(bucket_, "b", test::RandomBytes(200 * 1024, 6));
  RawNats raw(server_->url());
  auto marker = [&](const ObjectInfo& info, const std::string& to) {
    nlohmann::json j = {{"name", info.name()},
                        {"headers", {{kRenameHeader, {to}}, {kRenameNuidHeader, {info.nuid}}}},
                        {"bucket", bucket_}, {"nuid", NewNuid()}, {"size", info.size},
                        {"chunks", info.chunks}, {"digest", info.digest}, {"deleted", true}};
    return j.dump();
  };
  // a: step 1 only. b: steps 1 and 2 (b2 written with b's data).
  ASSERT_TRUE(raw.Publish(MetaSubject(bucket_, "a"), marker(a, "a2"), true));
  ASSERT_TRUE(raw.Publish(MetaSubject(bucket_, "b"), marker(b, "b2"), true));
  ObjectInfo b2 = b;
  b2.meta.name = "b2";
  nlohmann::json j2 = {{"name", "b2"}, {"bucket", bucket_}, {"nuid", b.nuid}, {"size", b.size},
                       {"chunks", b.chunks}, {"digest", b.digest}};
  ASSERT_TRUE(raw.Publish(MetaSubject(bucket_, "b2"), j2.dump(), true));
  auto r = MustCollect(true, 0ms);
  EXPECT_EQ(r.renames_resolved, 2);
  EXPECT_TRUE(r.orphans.empty()) << "the moved data was treated as garbage";
  EXPECT_EQ(MustGet(bucket_, "a"), test::RandomBytes(200 * 1024, 5));
  EXPECT_CODE(store_->GetInfo(bucket_, "a2"), Code::kNotFound);
  EXPECT_EQ(MustGet(bucket_, "b2"), test::RandomBytes(200 * 1024, 6));
  EXPECT_FALSE(raw.GetLast("OBJ_" + bucket_, MetaSubject(bucket_, "b")).has_value())
      << "the finished rename's marker was not purged";
}

// A put frozen for longer than the grace while a collector elsewhere reclaimed its chunks
// must fail and leave the previous version in place, not commit a broken object.
TEST_F(GcTest, StalledPutWhoseChunksWereReclaimedFailsAndKeepsPrevious) {
  auto writer_store = ConnectWith(server_->url(), [](ConnectOptions& o) { o.gc_grace = 400ms; });
  ASSERT_OK(writer_store);
  MustPut(bucket_, "k", "previous");
  auto w = (*writer_store)->NewWriter(bucket_, Meta("k"));
  ASSERT_OK(w);
  ASSERT_OK((*w)->Write(test::RandomBytes(300 * 1024, 9)));
  std::this_thread::sleep_for(200ms);  // longer than a quarter of the grace: a long-lived put
  // What a collector elsewhere does to a put it saw as abandoned: purge its chunks.
  auto prev = store_->GetInfo(bucket_, "k");
  ASSERT_OK(prev);
  int purged = 0;
  for (const auto& [subject, _] : ChunkSubjects()) {
    std::string nuid = subject.substr(subject.rfind('.') + 1);
    if (nuid == prev->nuid) continue;
    ASSERT_OK(store_->PurgeStaged(bucket_, nuid));
    ++purged;
  }
  ASSERT_EQ(purged, 1);
  auto c = (*w)->Commit();
  EXPECT_CODE(c, Code::kUnavailable);
  EXPECT_EQ(c.status().detail(), Detail::kStalledUpload);
  EXPECT_EQ(MustGet(bucket_, "k"), "previous");
}

// Versions this process replaced stay for release_grace (readers elsewhere finish), and a
// collector in another process leaves them alone meanwhile.
TEST_F(GcTest, ReleaseGraceKeepsReplacedVersionsForAWhile) {
  auto slow = ConnectWith(server_->url(), [](ConnectOptions& o) { o.release_grace = 1500ms; });
  ASSERT_OK(slow);
  auto v1 = (*slow)->PutBytes(bucket_, Meta("k"), test::RandomBytes(300 * 1024, 1));
  ASSERT_OK(v1);
  auto other = ConnectTo(server_->url());
  ASSERT_OK(other);
  auto r = (*other)->Open(bucket_, "k");  // a reader in another process
  ASSERT_OK(r);
  ASSERT_OK((*slow)->PutBytes(bucket_, Meta("k"), "v2"));
  auto t0 = std::chrono::steady_clock::now();
  auto gc = MustCollect(true, 0ms, slow->get());
  EXPECT_TRUE(gc.orphans.empty());
  auto got = ReadAll(**r);
  ASSERT_OK(got);
  EXPECT_EQ(*got, test::RandomBytes(300 * 1024, 1));
  EXPECT_TRUE(PollUntil([&] { return ChunkSubjects().size() == 1; }, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1000ms);
}

}  // namespace
}  // namespace natss3
