// Bucket contract: create/re-create/update/seal/delete/status/list and name validation.
#include <gtest/gtest.h>

#include <algorithm>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;

class BucketTest : public StoreTest {};

TEST_F(BucketTest, CreateReportsEveryConfiguredField) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  c.description = "probe bucket";
  c.ttl = std::chrono::hours(1);
  c.max_bytes = 10 * 1024 * 1024;
  c.storage = StorageType::kMemory;
  auto before = Clock::now();
  auto created = store_->CreateBucket(c);
  ASSERT_OK(created);
  for (const BucketStatus& s : {*created, MustStatus(c.bucket)}) {
    EXPECT_EQ(s.bucket, c.bucket);
    EXPECT_EQ(s.stream_name, "OBJ_" + c.bucket);
    EXPECT_EQ(s.description, "probe bucket");
    EXPECT_EQ(s.ttl, std::chrono::hours(1));
    EXPECT_EQ(s.max_bytes, 10 * 1024 * 1024);
    EXPECT_EQ(s.storage, StorageType::kMemory);
    EXPECT_EQ(s.replicas, 1);
    EXPECT_FALSE(s.sealed);
    EXPECT_EQ(s.size, 0u);
    EXPECT_EQ(s.messages, 0u);
    EXPECT_EQ(s.backing_store, "JetStream");
    EXPECT_FALSE(s.is_compressed);  // 2.9 ignores compression
    EXPECT_GT(s.created, before - std::chrono::minutes(1));
    EXPECT_LT(s.created, Clock::now() + std::chrono::minutes(1));
    EXPECT_FALSE(s.cluster.has_value() && !s.cluster->replicas.empty());  // single server
  }
}

TEST_F(BucketTest, DefaultsAreUnlimitedFileR1) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  c.max_bytes = 0;  // 0 means unlimited, like -1
  c.replicas = 0;   // 0 means 1
  auto s = store_->CreateBucket(c);
  ASSERT_OK(s);
  EXPECT_EQ(s->max_bytes, -1);
  EXPECT_EQ(s->replicas, 1);
  EXPECT_EQ(s->storage, StorageType::kFile);
  EXPECT_EQ(s->ttl, std::chrono::nanoseconds(0));
  EXPECT_EQ(s->description, "");
}

TEST_F(BucketTest, IdenticalRecreateSucceedsDifferentConfigIsAlreadyExists) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  c.description = "one";
  ASSERT_OK(store_->CreateBucket(c));
  MustPut(c.bucket, "keep", "data");
  EXPECT_OK(store_->CreateBucket(c));
  EXPECT_EQ(MustGet(c.bucket, "keep"), "data");  // re-create did not wipe anything
  BucketConfig other = c;
  other.description = "two";
  auto r = store_->CreateBucket(other);
  EXPECT_CODE(r, Code::kAlreadyExists);
  EXPECT_EQ(MustStatus(c.bucket).description, "one");
}

TEST_F(BucketTest, UpdateChangesConfig) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  c.description = "before";
  ASSERT_OK(store_->CreateBucket(c));
  MustPut(c.bucket, "obj", "payload");
  c.description = "after";
  c.ttl = std::chrono::hours(2);
  c.max_bytes = 1 << 20;
  auto u = store_->UpdateBucket(c);
  ASSERT_OK(u);
  EXPECT_EQ(u->description, "after");
  EXPECT_EQ(u->ttl, std::chrono::hours(2));
  EXPECT_EQ(u->max_bytes, 1 << 20);
  auto s = MustStatus(c.bucket);
  EXPECT_EQ(s.description, "after");
  EXPECT_EQ(s.ttl, std::chrono::hours(2));
  EXPECT_EQ(MustGet(c.bucket, "obj"), "payload");
}

TEST_F(BucketTest, UpdateMissingIsNotFound) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  EXPECT_CODE(store_->UpdateBucket(c), Code::kNotFound);
}

TEST_F(BucketTest, SealMakesReadOnlyAndDropsTtl) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  c.ttl = std::chrono::hours(1);
  c.description = "sealme";
  ASSERT_OK(store_->CreateBucket(c));
  MustPut(c.bucket, "obj", "sealed data");

  auto sealed = store_->SealBucket(c.bucket);
  ASSERT_OK(sealed);
  EXPECT_TRUE(sealed->sealed);
  EXPECT_EQ(sealed->ttl, std::chrono::nanoseconds(0));  // server drops max_age (docs/object-store-format.md §1.3)
  auto s = MustStatus(c.bucket);
  EXPECT_TRUE(s.sealed);
  EXPECT_EQ(s.ttl, std::chrono::nanoseconds(0));
  EXPECT_EQ(s.description, "sealme");  // whole config preserved

  EXPECT_CODE(store_->NewWriter(c.bucket, Meta("new")), Code::kFailedPrecondition);
  EXPECT_CODE(store_->PutBytes(c.bucket, Meta("new"), "x"), Code::kFailedPrecondition);
  EXPECT_CODE(store_->PutBytes(c.bucket, Meta("obj"), "overwrite"), Code::kFailedPrecondition);
  EXPECT_CODE(store_->Delete(c.bucket, "obj"), Code::kFailedPrecondition);
  // Still readable, unchanged.
  EXPECT_EQ(MustGet(c.bucket, "obj"), "sealed data");
  EXPECT_EQ(MustStatus(c.bucket).messages, s.messages);
}

TEST_F(BucketTest, SealMissingIsNotFound) {
  EXPECT_CODE(store_->SealBucket(UniqueBucket()), Code::kNotFound);
}

TEST_F(BucketTest, DeleteRemovesBucketAndObjects) {
  std::string b = NewBucket();
  MustPut(b, "obj", "x");
  ASSERT_OK(store_->DeleteBucket(b));
  EXPECT_CODE(store_->GetBucketStatus(b), Code::kNotFound);
  EXPECT_CODE(store_->GetInfo(b, "obj"), Code::kNotFound);
  EXPECT_CODE(store_->DeleteBucket(b), Code::kNotFound);
  // The name can be reused and starts empty.
  BucketConfig c;
  c.bucket = b;
  ASSERT_OK(store_->CreateBucket(c));
  EXPECT_CODE(store_->GetInfo(b, "obj"), Code::kNotFound);
  EXPECT_EQ(MustStatus(b).messages, 0u);
}

TEST_F(BucketTest, StatusMissingIsNotFound) {
  EXPECT_CODE(store_->GetBucketStatus(UniqueBucket()), Code::kNotFound);
}

TEST_F(BucketTest, StatusTracksSizeMessagesAndLastUpdate) {
  std::string b = NewBucket();
  auto empty = MustStatus(b);
  EXPECT_EQ(empty.size, 0u);
  EXPECT_EQ(empty.messages, 0u);
  std::string data = test::RandomBytes(300 * 1024);
  MustPut(b, "three-chunks", data);
  auto s = MustStatus(b);
  EXPECT_EQ(s.messages, 4u);  // 3 chunks + 1 meta
  EXPECT_GT(s.size, data.size());
  EXPECT_LT(s.size, data.size() + 4096);
  EXPECT_GT(s.last_update, TimePoint{});
  EXPECT_GT(s.last_update, Clock::now() - std::chrono::minutes(1));
}

TEST_F(BucketTest, ListBucketsSortedAndOnlyObjectStores) {
  std::vector<std::string> names = {"zeta_" + UniqueBucket(), "alpha_" + UniqueBucket(),
                                    "mid_" + UniqueBucket()};
  for (auto& n : names) {
    BucketConfig c;
    c.bucket = n;
    c.description = "d-" + n;
    ASSERT_OK(store_->CreateBucket(c));
  }
  MustPut(names[1], "o", "12345");
  RawNats raw(server_->url());
  ASSERT_TRUE(raw.AddStream("NOT_A_BUCKET", "plain.>"));

  auto list = store_->ListBuckets();
  ASSERT_OK(list);
  std::vector<std::string> got;
  for (auto& s : *list) {
    got.push_back(s.bucket);
    EXPECT_NE(s.stream_name, "NOT_A_BUCKET");
    if (s.bucket == names[1]) {
      EXPECT_EQ(s.description, "d-" + names[1]);
      EXPECT_EQ(s.messages, 2u);
    }
  }
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end()));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(got, names);
}

TEST_F(BucketTest, ListBucketsEmpty) {
  auto list = store_->ListBuckets();
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
}

TEST_F(BucketTest, InvalidNamesRejectedEverywhere) {
  for (std::string bad : {std::string("a.b"), std::string("a b"), std::string("\xC3\xA4"),
                          std::string(""), std::string("a>b")}) {
    BucketConfig c;
    c.bucket = bad;
    EXPECT_CODE(store_->CreateBucket(c), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_CODE(store_->UpdateBucket(c), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_CODE(store_->GetBucketStatus(bad), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_CODE(store_->SealBucket(bad), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_CODE(store_->DeleteBucket(bad), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_CODE(store_->NewWriter(bad, Meta("x")), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_CODE(store_->GetInfo(bad, "x"), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_CODE(store_->List(bad), Code::kInvalidArgument) << "'" << bad << "'";
  }
  auto list = store_->ListBuckets();
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());  // nothing was created on the way
}

TEST_F(BucketTest, ObjectOpsOnMissingBucketAreNotFound) {
  std::string b = UniqueBucket();
  EXPECT_CODE(store_->NewWriter(b, Meta("x")), Code::kNotFound);
  EXPECT_CODE(store_->PutBytes(b, Meta("x"), "data"), Code::kNotFound);
  EXPECT_CODE(store_->GetInfo(b, "x"), Code::kNotFound);
  EXPECT_CODE(store_->Open(b, "x"), Code::kNotFound);
  EXPECT_CODE(store_->Delete(b, "x"), Code::kNotFound);
  EXPECT_CODE(store_->List(b), Code::kNotFound);
  EXPECT_CODE(store_->Watch(b), Code::kNotFound);
  EXPECT_CODE(store_->Index(b), Code::kNotFound);
  EXPECT_CODE(store_->NewStagedWriter(b), Code::kNotFound);
  // And no bucket was created implicitly.
  EXPECT_CODE(store_->GetBucketStatus(b), Code::kNotFound);
}

TEST_F(BucketTest, MaxBytesFullPutIsResourceExhaustedAndLeavesNoChunks) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  c.max_bytes = 256 * 1024;
  ASSERT_OK(store_->CreateBucket(c));
  MustPut(c.bucket, "small", "fits");
  auto baseline = MustStatus(c.bucket);
  auto r = store_->PutBytes(c.bucket, Meta("big"), test::RandomBytes(1024 * 1024));
  EXPECT_CODE(r, Code::kResourceExhausted);
  EXPECT_CODE(store_->GetInfo(c.bucket, "big", true), Code::kNotFound);
  // The failed put purged its partial chunks (docs/object-store-format.md §5.8).
  EXPECT_TRUE(PollUntil([&] { return MustStatus(c.bucket).messages == baseline.messages; }, 5s));
  auto after = MustStatus(c.bucket);
  EXPECT_EQ(after.messages, baseline.messages);
  EXPECT_EQ(after.size, baseline.size);
  EXPECT_EQ(MustGet(c.bucket, "small"), "fits");
}

TEST_F(BucketTest, RawStreamConfigMatchesFormatDoc) {
  BucketConfig c;
  c.bucket = UniqueBucket();
  c.description = "raw check";
  ASSERT_OK(store_->CreateBucket(c));
  RawNats raw(server_->url());
  // An object stored through the core lands on the documented subjects.
  MustPut(c.bucket, "hello.txt", "hello world");
  auto meta = raw.GetLast("OBJ_" + c.bucket, "$O." + c.bucket + ".M.aGVsbG8udHh0");
  ASSERT_TRUE(meta.has_value());
  auto counts = raw.SubjectCounts("OBJ_" + c.bucket, "$O." + c.bucket + ".C.>");
  EXPECT_EQ(counts.size(), 1u);
}

}  // namespace
}  // namespace natss3
