// Object lock enforced by the core against a real nats-server: a locked object is neither
// deleted, overwritten (put, compose), renamed, renamed onto, nor its retention weakened, and
// its bucket is not deleted; default retention reaches new objects; expired locks let go.
#include "natss3/object_lock.h"

#include <gtest/gtest.h>
#include <nats/nats.h>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now()); }

class ObjectLockTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (!store_) return;
    bucket_ = NewBucket();
  }
  ObjectMeta LockedMeta(const std::string& name, std::optional<RetentionMode> mode,
                        std::chrono::milliseconds for_how_long, bool hold = false) {
    ObjectMeta meta = Meta(name);
    ObjectLock lock;
    lock.mode = mode;
    if (mode) lock.retain_until = Now() + for_how_long;
    lock.legal_hold = hold;
    SetLock(&meta.headers, lock);
    return meta;
  }
  static void ExpectLocked(const Status& st) {
    EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.ToString();
    EXPECT_EQ(st.detail(), Detail::kObjectLocked) << st.ToString();
  }
  std::string bucket_;
};

TEST_F(ObjectLockTest, ComplianceRefusesDeleteOverwriteComposeAndRename) {
  MustPut(bucket_, LockedMeta("k", RetentionMode::kCompliance, 1h), "kept");
  ExpectLocked(store_->Delete(bucket_, "k"));
  DeleteOptions bypass;
  bypass.bypass_governance = true;
  ExpectLocked(store_->DeleteWithOptions(bucket_, "k", bypass));
  ExpectLocked(store_->PutBytes(bucket_, Meta("k"), "replaced").status());
  auto blob_writer = store_->NewStagedWriter(bucket_, 0);
  ASSERT_OK(blob_writer);
  ASSERT_OK((*blob_writer)->Write("composed"));
  auto blob = (*blob_writer)->Finish();
  ASSERT_OK(blob);
  ExpectLocked(store_->Compose(bucket_, Meta("k"), {{*blob, 0, std::nullopt}}).status());
  ASSERT_OK(store_->PurgeStaged(bucket_, blob->nuid));
  ExpectLocked(store_
                   ->ModifyMeta(bucket_, "k",
                                [](ObjectInfo& i) {
                                  i.meta.name = "moved";
                                  return Status::OK();
                                })
                   .status());
  // Onto it: a rename replacing the locked object.
  MustPut(bucket_, "other", "other");
  ModifyOptions replace;
  replace.replace_target = true;
  ExpectLocked(store_
                   ->ModifyMeta(
                       bucket_, "other",
                       [](ObjectInfo& i) {
                         i.meta.name = "k";
                         return Status::OK();
                       },
                       replace)
                   .status());
  EXPECT_EQ(MustGet(bucket_, "k"), "kept");
  EXPECT_EQ(MustGet(bucket_, "other"), "other");
  // The data stays whole: nothing purged its chunks.
  auto info = store_->GetInfo(bucket_, "k");
  ASSERT_OK(info);
  EXPECT_EQ(ChunkSubjectsOf(bucket_).count(ChunkSubject(bucket_, info->nuid)), 1u);
}

TEST_F(ObjectLockTest, RetentionChangesAreConditionalAndFollowTheRules) {
  MustPut(bucket_, LockedMeta("c", RetentionMode::kCompliance, 1h), "c");
  auto set_until = [&](const std::string& name, std::optional<RetentionMode> mode,
                       std::chrono::milliseconds d, bool bypass) {
    ModifyOptions options;
    options.bypass_governance = bypass;
    return store_->ModifyMeta(
        bucket_, name,
        [&](ObjectInfo& i) {
          ObjectLock lock = LockOf(i.meta.headers);
          lock.mode = mode;
          lock.retain_until = mode ? std::optional<TimePoint>(Now() + d) : std::nullopt;
          SetLock(&i.meta.headers, lock);
          return Status::OK();
        },
        options);
  };
  ExpectLocked(set_until("c", RetentionMode::kCompliance, std::chrono::minutes(5), true).status());
  ExpectLocked(set_until("c", std::nullopt, {}, true).status());
  auto extended = set_until("c", RetentionMode::kCompliance, std::chrono::hours(2), false);
  ASSERT_OK(extended);
  EXPECT_GT(*LockOf(extended->meta.headers).retain_until, Now() + std::chrono::minutes(90));
  // Tags and other headers of a locked object may still change.
  ASSERT_OK(store_->ModifyMeta(bucket_, "c", [](ObjectInfo& i) {
    i.meta.headers["X-Tag"] = {"t"};
    return Status::OK();
  }));

  MustPut(bucket_, LockedMeta("g", RetentionMode::kGovernance, 1h), "g");
  ExpectLocked(set_until("g", RetentionMode::kGovernance, std::chrono::minutes(5), false).status());
  ASSERT_OK(set_until("g", RetentionMode::kGovernance, std::chrono::minutes(5), true));
  ExpectLocked(store_->Delete(bucket_, "g"));
  DeleteOptions bypass;
  bypass.bypass_governance = true;
  ASSERT_OK(store_->DeleteWithOptions(bucket_, "g", bypass));
  EXPECT_CODE(store_->GetInfo(bucket_, "g"), Code::kNotFound);
}

TEST_F(ObjectLockTest, LegalHoldBlocksUntilReleased) {
  MustPut(bucket_, LockedMeta("h", std::nullopt, {}, /*hold=*/true), "held");
  ExpectLocked(store_->Delete(bucket_, "h"));
  ExpectLocked(store_->PutBytes(bucket_, Meta("h"), "new").status());
  ASSERT_OK(store_->ModifyMeta(bucket_, "h", [](ObjectInfo& i) {
    ObjectLock lock = LockOf(i.meta.headers);
    lock.legal_hold = false;
    SetLock(&i.meta.headers, lock);
    return Status::OK();
  }));
  ASSERT_OK(store_->PutBytes(bucket_, Meta("h"), "new"));
  EXPECT_EQ(MustGet(bucket_, "h"), "new");
  ASSERT_OK(store_->Delete(bucket_, "h"));
}

// The collector purges only what no meta references: a locked object's data survives a
// purging collection with no grace at all, from this process and from another one.
TEST_F(ObjectLockTest, GarbageCollectionLeavesLockedDataAlone) {
  auto put = store_->PutBytes(bucket_, LockedMeta("kept", RetentionMode::kCompliance, 1h),
                              test::RandomBytes(300 * 1024, 7));
  ASSERT_OK(put);
  auto other = ConnectTo(server_->url());
  ASSERT_OK(other);
  GcOptions options;
  options.purge = true;
  options.grace = std::chrono::milliseconds(0);
  for (ObjectStore* store : {store_.get(), other->get()}) {
    auto report = store->CollectGarbage(bucket_, options);
    ASSERT_OK(report);
    EXPECT_TRUE(report->orphans.empty());
  }
  EXPECT_EQ(ChunkSubjectsOf(bucket_)[ChunkSubject(bucket_, put->nuid)], 3u);
  EXPECT_EQ(MustGet(bucket_, "kept"), test::RandomBytes(300 * 1024, 7));
}

TEST_F(ObjectLockTest, ExpiredRetentionLetsGo) {
  MustPut(bucket_, LockedMeta("e", RetentionMode::kCompliance, std::chrono::milliseconds(700)),
          "e");
  ExpectLocked(store_->Delete(bucket_, "e"));
  EXPECT_TRUE(PollUntil([&] { return store_->Delete(bucket_, "e").ok(); }, 5s));
}

TEST_F(ObjectLockTest, BucketWithALockedObjectIsNotDeleted) {
  MustPut(bucket_, LockedMeta("k", RetentionMode::kGovernance, 1h), "k");
  Status st = store_->DeleteBucket(bucket_);
  EXPECT_EQ(st.code(), Code::kFailedPrecondition) << st.ToString();
  EXPECT_EQ(st.detail(), Detail::kObjectLocked);
  EXPECT_OK(store_->GetBucketStatus(bucket_));
  DeleteOptions bypass;
  bypass.bypass_governance = true;
  ASSERT_OK(store_->DeleteWithOptions(bucket_, "k", bypass));
  EXPECT_OK(store_->DeleteBucket(bucket_));
}

TEST_F(ObjectLockTest, DefaultRetentionReachesNewObjects) {
  EXPECT_FALSE(store_->GetObjectLockConfig(bucket_)->enabled);
  ObjectLockConfig config;
  config.enabled = true;
  config.rule = DefaultRetention{RetentionMode::kGovernance, 1, 0};
  ASSERT_OK(store_->PutObjectLockConfig(bucket_, config));
  auto read = store_->GetObjectLockConfig(bucket_);
  ASSERT_OK(read);
  EXPECT_TRUE(*read == config);
  // Another process sees it too (within its cache's second).
  auto other = ConnectTo(server_->url());
  ASSERT_OK(other);
  auto seen = (*other)->GetObjectLockConfig(bucket_);
  ASSERT_OK(seen);
  EXPECT_TRUE(*seen == config);

  auto put = store_->PutBytes(bucket_, Meta("d"), "d");
  ASSERT_OK(put);
  ObjectLock lock = LockOf(put->meta.headers);
  ASSERT_TRUE(lock.has_retention());
  EXPECT_EQ(*lock.mode, RetentionMode::kGovernance);
  EXPECT_NEAR(std::chrono::duration<double>(*lock.retain_until - Now()).count(), 86400, 60);
  ExpectLocked((*other)->Delete(bucket_, "d"));
  // An object naming its own retention keeps it.
  auto own = store_->PutBytes(bucket_, LockedMeta("o", RetentionMode::kCompliance, 1h), "o");
  ASSERT_OK(own);
  EXPECT_EQ(*LockOf(own->meta.headers).mode, RetentionMode::kCompliance);
  // Disabling is refused while objects are locked; a TTL cannot be set.
  EXPECT_EQ(store_->PutObjectLockConfig(bucket_, ObjectLockConfig{}).detail(),
            Detail::kObjectLocked);
  BucketConfig ttl;
  ttl.bucket = bucket_;
  ttl.ttl = std::chrono::hours(1);
  EXPECT_EQ(store_->UpdateBucket(ttl).status().detail(), Detail::kObjectLocked);
}

TEST_F(ObjectLockTest, ABucketWithATtlCannotEnableObjectLock) {
  BucketConfig config;
  config.ttl = std::chrono::hours(1);
  std::string bucket = NewBucket(config);
  ObjectLockConfig lock;
  lock.enabled = true;
  EXPECT_EQ(store_->PutObjectLockConfig(bucket, lock).detail(), Detail::kObjectLocked);
  EXPECT_CODE(store_->PutObjectLockConfig("no_such_bucket_here", lock), Code::kNotFound);
}

TEST_F(ObjectLockTest, LookingTheConfigurationUpCreatesNoRecordStore) {
  // A plain put in an account that never used natss3d must not leave a KV bucket behind.
  ASSERT_OK(store_->PutBytes(bucket_, Meta("x"), "x"));
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, server_->url().c_str()), NATS_OK);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, "KV_natss3_uploads", nullptr, &jerr);
  EXPECT_EQ(s, NATS_NOT_FOUND) << natsStatus_GetText(s);
  if (si) jsStreamInfo_Destroy(si);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

}  // namespace
}  // namespace natss3
