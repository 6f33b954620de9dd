// Reader contract: ranged reads (ReadOptions), positional ReadAt, Read/ReadAt independence,
// links, empty objects, missing chunks -> kDataLoss.
#include <gtest/gtest.h>

#include "core_test_util.h"
#include "natss3/crash_point.h"

namespace natss3 {
namespace {

using namespace coretest;

class ReadTest : public BucketTest {
 protected:
  void SetUp() override {
    BucketTest::SetUp();
    if (!store_) return;
    data_ = test::RandomBytes(5000, 5);
    PutOptions po;
    po.chunk_size = 1024;  // chunks: [0,1024) [1024,2048) [2048,3072) [3072,4096) [4096,5000)
    info_ = MustPut(bucket_, "obj", data_, po);
    ASSERT_EQ(info_.chunks, 5u);
  }

  Result<std::string> ReadRange(uint64_t offset, std::optional<uint64_t> length,
                                size_t buf = 333) {
    ReadOptions ro;
    ro.offset = offset;
    ro.length = length;
    auto r = store_->Open(bucket_, "obj", ro);
    if (!r.ok()) return r.status();
    return ReadAll(**r, buf);
  }

  std::string data_;
  ObjectInfo info_;
};

TEST_F(ReadTest, RangesWithinAndAcrossChunks) {
  struct Case {
    uint64_t offset;
    std::optional<uint64_t> length;
  };
  for (Case c : {Case{0, std::nullopt}, Case{1000, 100}, Case{1020, 10}, Case{1024, 1024},
                 Case{1023, 2}, Case{2047, 1}, Case{2048, 1}, Case{500, 3000}, Case{4096, 904},
                 Case{4999, 1}, Case{0, 5000}, Case{3000, std::nullopt}}) {
    auto got = ReadRange(c.offset, c.length);
    ASSERT_OK(got) << "offset " << c.offset;
    size_t len = c.length ? static_cast<size_t>(*c.length) : data_.size() - c.offset;
    EXPECT_TRUE(*got == data_.substr(c.offset, len))
        << "offset " << c.offset << " length " << len << " got " << got->size() << " bytes";
  }
}

TEST_F(ReadTest, RangeClampedAtEnd) {
  auto got = ReadRange(4990, 100);
  ASSERT_OK(got);
  EXPECT_EQ(*got, data_.substr(4990));
  auto at_end = ReadRange(5000, std::nullopt);
  ASSERT_OK(at_end);
  EXPECT_EQ(at_end->size(), 0u);
  auto zero = ReadRange(10, 0);
  ASSERT_OK(zero);
  EXPECT_EQ(zero->size(), 0u);
}

TEST_F(ReadTest, RangePastEndYieldsNoData) {
  // The contract only says "clamped"; an offset past the end may be an error or empty, but it
  // must never return bytes.
  auto past = ReadRange(6000, 10);
  if (past.ok()) {
    EXPECT_EQ(past->size(), 0u);
  } else {
    EXPECT_EQ(past.status().code(), Code::kInvalidArgument) << past.status().ToString();
  }
}

TEST_F(ReadTest, ByteAtATimeRangedRead) {
  auto got = ReadRange(1000, 100, 1);
  ASSERT_OK(got);
  EXPECT_EQ(*got, data_.substr(1000, 100));
}

TEST_F(ReadTest, ReadAtChunkBoundariesAndAcrossChunks) {
  auto r = store_->Open(bucket_, "obj");
  ASSERT_OK(r);
  struct Case {
    uint64_t offset;
    size_t n;
  };
  for (Case c : {Case{0, 10}, Case{1023, 1}, Case{1023, 2}, Case{1024, 1}, Case{1025, 1023},
                 Case{2047, 2}, Case{500, 3000}, Case{0, 5000}, Case{100, 4900}, Case{4095, 2}}) {
    std::string buf(c.n, '\0');
    auto n = (*r)->ReadAt(c.offset, buf.data(), buf.size());
    ASSERT_OK(n) << "offset " << c.offset;
    // A short positional read in the middle of an object reads as EOF to FUSE: must be full.
    ASSERT_EQ(*n, c.n) << "offset " << c.offset;
    EXPECT_TRUE(buf == data_.substr(c.offset, c.n)) << "offset " << c.offset << " n " << c.n;
  }
}

TEST_F(ReadTest, ReadAtEndAndPastEnd) {
  auto r = store_->Open(bucket_, "obj");
  ASSERT_OK(r);
  char buf[64];
  auto tail = (*r)->ReadAt(4999, buf, sizeof buf);
  ASSERT_OK(tail);
  ASSERT_EQ(*tail, 1u);
  EXPECT_EQ(buf[0], data_[4999]);
  auto tail2 = (*r)->ReadAt(4990, buf, sizeof buf);
  ASSERT_OK(tail2);
  EXPECT_EQ(std::string(buf, *tail2), data_.substr(4990));
  auto at_end = (*r)->ReadAt(5000, buf, sizeof buf);
  ASSERT_OK(at_end);
  EXPECT_EQ(*at_end, 0u);
  auto past = (*r)->ReadAt(100000, buf, sizeof buf);
  ASSERT_OK(past);
  EXPECT_EQ(*past, 0u);
}

TEST_F(ReadTest, ReadAndReadAtAreIndependent) {
  auto r = store_->Open(bucket_, "obj");
  ASSERT_OK(r);
  std::string a(100, '\0'), b(10, '\0'), c(100, '\0');
  size_t got_a = 0;
  while (got_a < a.size()) {
    auto n = (*r)->Read(a.data() + got_a, a.size() - got_a);
    ASSERT_OK(n);
    ASSERT_GT(*n, 0u);
    got_a += *n;
  }
  auto nb = (*r)->ReadAt(4000, b.data(), b.size());
  ASSERT_OK(nb);
  EXPECT_EQ(b, data_.substr(4000, 10));
  size_t got_c = 0;
  while (got_c < c.size()) {
    auto n = (*r)->Read(c.data() + got_c, c.size() - got_c);
    ASSERT_OK(n);
    ASSERT_GT(*n, 0u);
    got_c += *n;
  }
  EXPECT_EQ(a, data_.substr(0, 100));
  EXPECT_EQ(c, data_.substr(100, 100));  // Read position unaffected by ReadAt
  auto rest = ReadAll(**r);
  ASSERT_OK(rest);
  EXPECT_EQ(*rest, data_.substr(200));
}

TEST_F(ReadTest, ReaderInfoMatchesGetInfo) {
  auto r = store_->Open(bucket_, "obj");
  ASSERT_OK(r);
  EXPECT_EQ((*r)->info().nuid, info_.nuid);
  EXPECT_EQ((*r)->info().size, 5000u);
  EXPECT_EQ((*r)->info().digest, ExpectedDigest(data_));
}

TEST_F(ReadTest, LargeObjectReadAtDefaultChunkBoundaries) {
  std::string big = test::RandomBytes(5 * 1024 * 1024 + 17, 77);
  MustPut(bucket_, "big", big);
  auto r = store_->Open(bucket_, "big");
  ASSERT_OK(r);
  for (uint64_t off : {uint64_t{131071}, uint64_t{131072}, uint64_t{3 * 131072 - 5},
                       uint64_t{big.size() - 3}}) {
    std::string buf(10, '\0');
    auto n = (*r)->ReadAt(off, buf.data(), buf.size());
    ASSERT_OK(n);
    size_t want = std::min<size_t>(10, big.size() - off);
    ASSERT_EQ(*n, want);
    EXPECT_EQ(buf.substr(0, want), big.substr(off, want)) << off;
  }
  ReadOptions ro;
  ro.offset = 4 * 1024 * 1024;
  ro.length = 300000;
  auto ranged = store_->Open(bucket_, "big", ro);
  ASSERT_OK(ranged);
  auto got = ReadAll(**ranged);
  ASSERT_OK(got);
  EXPECT_TRUE(*got == big.substr(4 * 1024 * 1024, 300000));
}

// A range far into an object with many chunks is located from the chunks' headers, not by
// fetching every chunk before it one by one: that walk made each of an S3 client's parallel
// ranged GETs of a large object transfer everything before its range (37 MiB/s instead of
// 340 for 10 MiB ranges of 256 MiB objects). Read through a fresh process (no cached index).
TEST_F(ReadTest, AFarRangeIsLocatedWithoutFetchingTheChunksBeforeIt) {
  std::string big = test::RandomBytes(64 * 4096 + 100, 78);
  PutOptions po;
  po.chunk_size = 4096;
  ASSERT_EQ(MustPut(bucket_, "many", big, po).chunks, 65u);
  auto reader_store = ConnectTo(server_->url());
  ASSERT_OK(reader_store);
  ReadOptions ro;
  ro.offset = 50 * 4096 + 7;
  ro.length = 9000;
  ArmFaultPoint("locate.walk", 1000);  // any step of the walk fails
  auto ranged = (*reader_store)->Open(bucket_, "many", ro);
  Result<std::string> got = ranged.ok() ? ReadAll(**ranged) : Result<std::string>(ranged.status());
  ArmFaultPoint("locate.walk", 0);
  ASSERT_OK(got);
  EXPECT_TRUE(*got == big.substr(ro.offset, 9000));
  // Without a consumer (no stream leader, say), the walk still finds the range.
  auto other_store = ConnectTo(server_->url());
  ASSERT_OK(other_store);
  ArmFaultPoint("locate.headers", 1);
  auto walked = (*other_store)->Open(bucket_, "many", ro);
  Result<std::string> back = walked.ok() ? ReadAll(**walked) : Result<std::string>(walked.status());
  ArmFaultPoint("locate.headers", 0);
  ASSERT_OK(back);
  EXPECT_TRUE(*back == big.substr(ro.offset, 9000));
}

TEST_F(ReadTest, RangedReadThroughLink) {
  ASSERT_OK(store_->AddLink(bucket_, "ln", info_));
  ReadOptions ro;
  ro.offset = 1020;
  ro.length = 10;
  auto r = store_->Open(bucket_, "ln", ro);
  ASSERT_OK(r);
  auto got = ReadAll(**r);
  ASSERT_OK(got);
  EXPECT_EQ(*got, data_.substr(1020, 10));
}

TEST_F(ReadTest, OpenInfoReadsExactlyThatVersion) {
  auto info = store_->GetInfo(bucket_, "obj");
  ASSERT_OK(info);
  {
    auto r = store_->OpenInfo(*info);
    ASSERT_OK(r);
    auto got = ReadAll(**r);
    ASSERT_OK(got);
    EXPECT_EQ(*got, data_);
  }

  auto link = store_->AddLink(bucket_, "ln", *info);
  ASSERT_OK(link);
  EXPECT_CODE(store_->OpenInfo(*link), Code::kFailedPrecondition);

  // Once replaced, the old version's chunks are gone: never the new bytes, never silence.
  MustPut(bucket_, "obj", "replaced");
  auto stale = store_->OpenInfo(*info);
  if (stale.ok()) {
    EXPECT_CODE(ReadAll(**stale), Code::kDataLoss);
  } else {
    EXPECT_CODE(stale, Code::kDataLoss);
  }
}

TEST_F(ReadTest, EmptyObject) {
  MustPut(bucket_, "empty", "");
  auto r = store_->Open(bucket_, "empty");
  ASSERT_OK(r);
  char buf[16];
  auto n = (*r)->Read(buf, sizeof buf);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 0u);
  auto at = (*r)->ReadAt(0, buf, sizeof buf);
  ASSERT_OK(at);
  EXPECT_EQ(*at, 0u);
}

TEST_F(ReadTest, MissingChunkIsDataLossNeverWrongBytes) {
  // Fresh bucket: the 5 chunks are stream sequences 1..5, the meta is 6. Remove chunk 2.
  RawNats raw(server_->url());
  ASSERT_TRUE(raw.DeleteMsg("OBJ_" + bucket_, 2));
  ReadOptions ro;
  ro.idle_timeout = std::chrono::milliseconds(1500);
  auto t0 = std::chrono::steady_clock::now();
  auto r = store_->Open(bucket_, "obj", ro);
  if (r.ok()) {
    auto all = ReadAll(**r);
    EXPECT_CODE(all, Code::kDataLoss);
  } else {
    EXPECT_CODE(r, Code::kDataLoss);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_CODE(store_->GetBytes(bucket_, "obj"), Code::kDataLoss);

  // Positional reads over the hole fail; reads elsewhere are either correct or errors.
  auto r2 = store_->Open(bucket_, "obj", ro);
  if (r2.ok()) {
    std::string buf(100, '\0');
    auto hole = (*r2)->ReadAt(1100, buf.data(), buf.size());
    EXPECT_CODE(hole, Code::kDataLoss);
    if (hole.ok()) {
      EXPECT_TRUE(buf.substr(0, *hole) == data_.substr(1100, *hole))
          << "ReadAt over a missing chunk returned OK with WRONG bytes";
    }
    auto later = (*r2)->ReadAt(4500, buf.data(), buf.size());
    if (later.ok()) {
      EXPECT_EQ(buf.substr(0, *later), data_.substr(4500, *later));
    }
  }
}

// Interleaved chunks (two writers at once) are located without a consumer: a server that
// refuses consumer creation (here by permissions; in a cluster, while a stream leader is being
// elected) must not stall or fail whole, ranged or positional reads.
TEST(ReadWithoutConsumers, InterleavedObjectsReadWhenConsumersCannotBeCreated) {
  test::NatsServer::Options so;
  so.config_text =
      "authorization { users = [ { user: a, password: b, permissions: { publish: { allow: "
      "[\">\"], deny: [\"$JS.API.CONSUMER.CREATE.>\", \"$JS.API.CONSUMER.DURABLE.CREATE.>\"] "
      "} } } ] }";
  auto server = test::NatsServer::Start(so);
  ASSERT_NE(server, nullptr);
  auto store = ConnectWith(server->url(), [](ConnectOptions& o) {
    o.user = "a";
    o.password = "b";
    o.timeout = 3000ms;
  });
  ASSERT_OK(store);
  BucketConfig bc;
  bc.bucket = "nocons";
  ASSERT_OK((*store)->CreateBucket(bc));
  std::string da = test::RandomBytes(40 * 1024 + 7, 41), db = test::RandomBytes(30 * 1024, 42);
  ASSERT_NO_FATAL_FAILURE(PutInterleaved(**store, "nocons", da, db));

  auto timed = [](auto&& f) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::steady_clock::now() - t0;
  };
  EXPECT_LT(timed([&] {
              auto got = (*store)->GetBytes("nocons", "a");
              ASSERT_OK(got);
              EXPECT_TRUE(*got == da);
            }),
            2s);
  EXPECT_LT(timed([&] {
              ReadOptions ro;
              ro.offset = 10000;
              ro.length = 5000;
              auto r = (*store)->Open("nocons", "b", ro);
              ASSERT_OK(r);
              auto got = ReadAll(**r, 777);
              ASSERT_OK(got);
              EXPECT_TRUE(*got == db.substr(10000, 5000));
            }),
            2s);
  EXPECT_LT(timed([&] {
              auto r = (*store)->Open("nocons", "a", {});
              ASSERT_OK(r);
              std::string part(3000, '\0');
              auto n = (*r)->ReadAt(33000, part.data(), part.size());
              ASSERT_OK(n);
              EXPECT_TRUE(part == da.substr(33000, 3000));
            }),
            2s);
}

// A stream without direct gets (allow_direct off, as some older clients create buckets) is
// read through the stream leader's message API instead of failing.
TEST(ReadWithoutDirectGet, BucketWithoutAllowDirectReadsBack) {
  auto server = test::NatsServer::Start();
  ASSERT_NE(server, nullptr);
  auto store = ConnectTo(server->url(), 3000ms);
  ASSERT_OK(store);
  BucketConfig bc;
  bc.bucket = "nodirect";
  ASSERT_OK((*store)->CreateBucket(bc));
  PutOptions po;
  po.chunk_size = 1024;
  std::string data = test::RandomBytes(10 * 1024 + 5, 43);
  ASSERT_OK((*store)->PutBytes("nodirect", Meta("x"), data, po));
  {
    RawNats raw(server->url());
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE(raw.SetAllowDirect("OBJ_nodirect", false));
  }
  // A fresh store: nothing cached from before the change.
  auto fresh = ConnectTo(server->url(), 3000ms);
  ASSERT_OK(fresh);
  auto got = (*fresh)->GetBytes("nodirect", "x");
  ASSERT_OK(got);
  EXPECT_TRUE(*got == data);
  ReadOptions ro;
  ro.offset = 3000;
  ro.length = 4000;
  auto r = (*fresh)->Open("nodirect", "x", ro);
  ASSERT_OK(r);
  auto part = ReadAll(**r, 500);
  ASSERT_OK(part);
  EXPECT_TRUE(*part == data.substr(3000, 4000));
}

}  // namespace
}  // namespace natss3
