// Staged blobs and Compose: invisible to object-store clients, ranges, digests, purge.
#include <gtest/gtest.h>

#include "core_test_util.h"
#include "natss3/listing_index.h"

namespace natss3 {
namespace {

using namespace coretest;

class StagedTest : public BucketTest {
 protected:
  StagedBlob MustStage(std::string_view data, uint32_t chunk_size = 0, size_t piece = 10000) {
    auto w = store_->NewStagedWriter(bucket_, chunk_size);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (!w.ok()) return {};
    for (size_t i = 0; i < data.size(); i += piece) {
      Status s = (*w)->Write(data.substr(i, piece));
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    EXPECT_EQ((*w)->size(), data.size());
    EXPECT_EQ((*w)->Md5Hex(), Md5Hex(data));
    auto blob = (*w)->Finish();
    EXPECT_TRUE(blob.ok()) << blob.status().ToString();
    return blob.ok() ? *blob : StagedBlob{};
  }
};

TEST_F(StagedTest, BlobFieldsAndInvisibility) {
  std::string data = test::RandomBytes(300 * 1024 + 1, 3);
  StagedBlob blob = MustStage(data);
  EXPECT_EQ(blob.nuid.size(), 22u);
  EXPECT_EQ(blob.size, data.size());
  EXPECT_EQ(blob.chunk_size, kDefaultChunkSize);
  EXPECT_EQ(blob.chunks, 3u);
  EXPECT_EQ(blob.md5_hex, Md5Hex(data));
  EXPECT_EQ(blob.sha256_raw, Sha256Raw(data));
  // Stored, but invisible to every object-store view.
  auto st = MustStatus(bucket_);
  EXPECT_EQ(st.messages, 3u);
  auto list = store_->List(bucket_, true);
  ASSERT_OK(list);
  EXPECT_TRUE(list->empty());
  EXPECT_CODE(store_->GetInfo(bucket_, blob.nuid, true), Code::kNotFound);
  auto idx = store_->Index(bucket_);
  ASSERT_OK(idx);
  EXPECT_TRUE((*idx)->empty());
  // Readable through OpenStaged, whole and ranged.
  auto r = store_->OpenStaged(bucket_, blob);
  ASSERT_OK(r);
  auto all = ReadAll(**r);
  ASSERT_OK(all);
  EXPECT_TRUE(*all == data);
  ReadOptions ro;
  ro.offset = 131000;
  ro.length = 200;
  auto rr = store_->OpenStaged(bucket_, blob, ro);
  ASSERT_OK(rr);
  auto part = ReadAll(**rr);
  ASSERT_OK(part);
  EXPECT_EQ(*part, data.substr(131000, 200));
}

TEST_F(StagedTest, ComposeThreeBlobsWithSubRanges) {
  std::string d1 = test::RandomBytes(200 * 1024, 11);
  std::string d2 = test::RandomBytes(150 * 1024 + 7, 12);
  std::string d3 = test::RandomBytes(5000, 13);
  StagedBlob b1 = MustStage(d1);
  StagedBlob b2 = MustStage(d2, 4096);  // a different chunk size than the target
  StagedBlob b3 = MustStage(d3, 1000);
  std::vector<ObjectStore::BlobRange> parts(3);
  parts[0].blob = b1;                       // whole
  parts[1].blob = b2;                       // middle sub-range crossing chunk boundaries
  parts[1].offset = 4000;
  parts[1].length = 100000;
  parts[2].blob = b3;                       // tail from an offset
  parts[2].offset = 999;
  std::string expected = d1 + d2.substr(4000, 100000) + d3.substr(999);

  ObjectMeta meta = Meta("composed");
  meta.headers["Content-Type"] = {"application/x-parts"};
  auto info = store_->Compose(bucket_, meta, parts);
  ASSERT_OK(info);
  EXPECT_EQ(info->size, expected.size());
  EXPECT_EQ(info->digest, ExpectedDigest(expected));
  EXPECT_EQ(info->Header(kMd5Header), Md5Hex(expected));
  EXPECT_EQ(info->Header("Content-Type"), "application/x-parts");
  EXPECT_EQ(info->chunks, (expected.size() + kDefaultChunkSize - 1) / kDefaultChunkSize);
  std::string got = MustGet(bucket_, "composed");
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);

  // Blobs are left in place; PurgeStaged frees them.
  auto r = store_->OpenStaged(bucket_, b2);
  ASSERT_OK(r);
  auto again = ReadAll(**r);
  ASSERT_OK(again);
  EXPECT_TRUE(*again == d2);
  auto with_blobs = MustStatus(bucket_);
  for (auto* b : {&b1, &b2, &b3}) ASSERT_OK(store_->PurgeStaged(bucket_, b->nuid));
  auto after = MustStatus(bucket_);
  EXPECT_EQ(after.messages, info->chunks + 1u);  // only the composed object remains
  EXPECT_LT(after.size + d1.size() + d2.size(), with_blobs.size + 1);
  EXPECT_TRUE(MustGet(bucket_, "composed") == expected);
  // Purging again is harmless.
  EXPECT_OK(store_->PurgeStaged(bucket_, b1.nuid));
}

TEST_F(StagedTest, ComposeOverwritesAndPurgesPreviousVersion) {
  std::string old = test::RandomBytes(400 * 1024, 1);
  ObjectInfo prev = MustPut(bucket_, "obj", old);
  StagedBlob b = MustStage("new content");
  auto info = store_->Compose(bucket_, Meta("obj"), {ObjectStore::BlobRange{b, 0, std::nullopt}});
  ASSERT_OK(info);
  EXPECT_EQ(MustGet(bucket_, "obj"), "new content");
  ASSERT_OK(store_->PurgeStaged(bucket_, b.nuid));
  RawNats raw(server_->url());
  auto counts = raw.SubjectCounts("OBJ_" + bucket_, "$O." + bucket_ + ".C.>");
  EXPECT_EQ(counts.count("$O." + bucket_ + ".C." + prev.nuid), 0u);
  EXPECT_EQ(MustStatus(bucket_).messages, 2u);
}

TEST_F(StagedTest, ComposeOfNothingIsEmptyObject) {
  auto info = store_->Compose(bucket_, Meta("empty"), {});
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->digest, ExpectedDigest(""));
  EXPECT_EQ(MustGet(bucket_, "empty"), "");
}

TEST_F(StagedTest, ComposeWithPurgedBlobFailsAndLeavesNothing) {
  StagedBlob b = MustStage(test::RandomBytes(300 * 1024));
  ASSERT_OK(store_->PurgeStaged(bucket_, b.nuid));
  auto baseline = MustStatus(bucket_);
  PutOptions po;
  auto info = store_->Compose(bucket_, Meta("broken"), {ObjectStore::BlobRange{b, 0, {}}}, po);
  EXPECT_FALSE(info.ok());
  EXPECT_CODE(store_->GetInfo(bucket_, "broken", true), Code::kNotFound);
  EXPECT_TRUE(PollUntil([&] { return MustStatus(bucket_).messages == baseline.messages; }, 5s));
}

TEST_F(StagedTest, AbortAndDestructorPurge) {
  auto baseline = MustStatus(bucket_);
  {
    auto w = store_->NewStagedWriter(bucket_);
    ASSERT_OK(w);
    ASSERT_OK((*w)->Write(test::RandomBytes(500 * 1024)));
    (*w)->Abort();
    (*w)->Abort();
  }
  {
    auto w = store_->NewStagedWriter(bucket_);
    ASSERT_OK(w);
    ASSERT_OK((*w)->Write(test::RandomBytes(500 * 1024)));
  }  // destroyed unfinished
  auto after = MustStatus(bucket_);
  EXPECT_EQ(after.messages, baseline.messages);
  EXPECT_EQ(after.size, baseline.size);
}

TEST_F(StagedTest, StagedWriterOnSealedBucketFails) {
  ASSERT_OK(store_->SealBucket(bucket_));
  auto w = store_->NewStagedWriter(bucket_);
  if (w.ok()) {
    Status s = (*w)->Write(test::RandomBytes(200 * 1024));
    auto f = (*w)->Finish();
    EXPECT_FALSE(s.ok() && f.ok());
  } else {
    EXPECT_CODE(w, Code::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace natss3
