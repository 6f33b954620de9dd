// Whole reads of objects with many chunks go through an ephemeral pull consumer
// (core/src/nats/chunk_puller.h). These tests pin what that must not cost: no consumer left on
// the server, recovery when the consumer disappears mid-read (also across a server restart),
// and kDataLoss, quickly, when chunks are missing.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;

class PullReadTest : public BucketTest {
 protected:
  void SetUp() override {
    BucketTest::SetUp();
    if (!store_) return;
    data_ = test::RandomBytes(300 * 1024 + 17, 21);
    PutOptions po;
    po.chunk_size = 1024;  // 301 chunks at stream sequences 1..301, the meta at 302
    info_ = MustPut(bucket_, "obj", data_, po);
    ASSERT_EQ(info_.chunks, 301u);
  }

  std::string Stream() const { return "OBJ_" + bucket_; }

  bool NoConsumersWithin(std::chrono::milliseconds timeout) {
    RawNats raw(server_->url());
    return PollUntil([&] { return raw.ConsumerNames(Stream()).empty(); }, timeout);
  }

  // Reads `n` bytes (fewer at the end) from `r`.
  static std::string ReadSome(ObjectReader& r, size_t n) {
    std::string out;
    std::vector<char> buf(4096);
    while (out.size() < n) {
      auto got = r.Read(buf.data(), std::min(buf.size(), n - out.size()));
      EXPECT_OK(got);
      if (!got.ok() || *got == 0) break;
      out.append(buf.data(), *got);
    }
    return out;
  }

  std::string data_;
  ObjectInfo info_;
};

TEST_F(PullReadTest, WholeReadIsExactAndLeavesNoConsumer) {
  for (int window : {1, 2, 7, 128}) {
    ReadOptions ro;
    ro.window = window;
    auto r = store_->Open(bucket_, "obj", ro);
    ASSERT_OK(r);
    auto all = ReadAll(**r, 1000);
    ASSERT_OK(all) << "window " << window;
    EXPECT_TRUE(*all == data_) << "window " << window;
  }
  EXPECT_TRUE(NoConsumersWithin(5s)) << "a finished read left its consumer on the server";
}

TEST_F(PullReadTest, DroppedReaderLeavesNoConsumer) {
  {
    auto r = store_->Open(bucket_, "obj", {});
    ASSERT_OK(r);
    EXPECT_EQ(ReadSome(**r, 5000), data_.substr(0, 5000));
    // The first read created the consumer (asynchronously): the pull path is in use.
    RawNats raw(server_->url());
    EXPECT_TRUE(PollUntil([&] { return raw.ConsumerNames(Stream()).size() == 1u; }, 5s));
  }
  // Dropped right after opening, while the consumer's creation is still under way.
  for (int i = 0; i < 5; ++i) ASSERT_OK(store_->Open(bucket_, "obj", {}));
  EXPECT_TRUE(NoConsumersWithin(5s)) << "a dropped reader left its consumer on the server";
}

TEST_F(PullReadTest, InterleavedChunksOfTwoWritersReadBack) {
  // Two puts in flight at once interleave their chunks in the stream: neither object is
  // contiguous, so the consumer starts right after the first chunk and skips the other's.
  std::string da = test::RandomBytes(100 * 1024 + 1, 22), db = test::RandomBytes(90 * 1024, 23);
  ASSERT_NO_FATAL_FAILURE(PutInterleaved(*store_, bucket_, da, db));
  for (int round = 0; round < 2; ++round) {  // the second read may use the cached chunk index
    auto ga = store_->GetBytes(bucket_, "a");
    auto gb = store_->GetBytes(bucket_, "b");
    ASSERT_OK(ga);
    ASSERT_OK(gb);
    EXPECT_TRUE(*ga == da) << "round " << round;
    EXPECT_TRUE(*gb == db) << "round " << round;
  }
  std::string part(5000, '\0');
  auto r = store_->Open(bucket_, "a", {});
  ASSERT_OK(r);
  auto n = (*r)->ReadAt(50000, part.data(), part.size());
  ASSERT_OK(n);
  EXPECT_TRUE(part == da.substr(50000, 5000));
  EXPECT_TRUE(NoConsumersWithin(5s)) << "a reader used only for ReadAt keeps a consumer";
}

TEST_F(PullReadTest, ConsumerDeletedMidReadIsReplaced) {
  ReadOptions ro;
  ro.window = 4;  // most chunks are still to be requested when the consumer goes
  auto r = store_->Open(bucket_, "obj", ro);
  ASSERT_OK(r);
  std::string got = ReadSome(**r, 10 * 1024 + 5);
  RawNats raw(server_->url());
  auto names = raw.ConsumerNames(Stream());
  ASSERT_EQ(names.size(), 1u);
  ASSERT_TRUE(raw.DeleteConsumer(Stream(), names[0]));
  auto rest = ReadAll(**r, 3000);
  ASSERT_OK(rest);
  got += *rest;
  EXPECT_EQ(got.size(), data_.size());
  EXPECT_TRUE(got == data_) << "bytes lost or repeated across the consumer change";
}

TEST_F(PullReadTest, ServerRestartMidReadResumes) {
  // The consumer (memory storage) does not survive the restart; the read goes on with a new one
  // once the connection is back.
  auto store = ConnectTo(server_->url(), 2000ms);
  ASSERT_OK(store);
  ReadOptions ro;
  ro.window = 4;
  ro.idle_timeout = 30s;
  auto r = (*store)->Open(bucket_, "obj", ro);
  ASSERT_OK(r);
  std::string got = ReadSome(**r, 8 * 1024);
  ASSERT_TRUE(server_->Restart());
  auto rest = ReadAll(**r, 3000);
  ASSERT_OK(rest);
  got += *rest;
  EXPECT_EQ(got.size(), data_.size());
  EXPECT_TRUE(got == data_) << "a read resumed across a restart returned wrong bytes";
  EXPECT_TRUE(NoConsumersWithin(10s));
}

TEST_F(PullReadTest, MissingChunkIsDataLossQuickly) {
  // A middle chunk, then (in a fresh copy of the object) the last one: the consumer runs out
  // early, which must be reported at once, not after a timeout.
  for (bool last : {false, true}) {
    SCOPED_TRACE(last ? "last chunk deleted" : "middle chunk deleted");
    PutOptions po;
    po.chunk_size = 1024;
    if (last) info_ = MustPut(bucket_, "obj", data_, po);  // chunks end just before the meta
    uint64_t seq = last ? info_.revision - 1 : 150;
    RawNats raw(server_->url());
    ASSERT_TRUE(raw.DeleteMsg(Stream(), seq));
    ReadOptions ro;
    ro.idle_timeout = 20s;
    auto t0 = std::chrono::steady_clock::now();
    auto r = store_->Open(bucket_, "obj", ro);
    ASSERT_OK(r);
    auto all = ReadAll(**r);
    EXPECT_CODE(all, Code::kDataLoss);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << "detected only by a timeout";
  }
}

// Deleted by another process (which purges at once: release_grace 0), the read cannot finish.
TEST_F(PullReadTest, ObjectDeletedElsewhereMidReadIsDataLoss) {
  ReadOptions ro;
  ro.window = 2;
  ro.idle_timeout = 20s;
  auto r = store_->Open(bucket_, "obj", ro);
  ASSERT_OK(r);
  std::string got = ReadSome(**r, 3000);
  auto other = ConnectTo(server_->url());
  ASSERT_OK(other);
  ASSERT_OK((*other)->Delete(bucket_, "obj"));
  auto t0 = std::chrono::steady_clock::now();
  auto rest = ReadAll(**r);
  EXPECT_CODE(rest, Code::kDataLoss);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
}

// Deleted through the store that reads it, the version is held until the reader is done
// (POSIX: an open file survives unlink), then purged.
TEST_F(PullReadTest, ObjectDeletedHereMidReadStillReadsThenIsPurged) {
  ReadOptions ro;
  ro.window = 2;
  auto r = store_->Open(bucket_, "obj", ro);
  ASSERT_OK(r);
  std::string got = ReadSome(**r, 3000);
  ASSERT_OK(store_->Delete(bucket_, "obj"));
  auto rest = ReadAll(**r);
  ASSERT_OK(rest);
  EXPECT_EQ(got + *rest, data_);
  std::string nuid = (*r)->info().nuid;
  r->reset();
  RawNats raw(server_->url());
  EXPECT_TRUE(PollUntil([&] { return raw.SubjectCounts("OBJ_" + bucket_,
                                                       ChunkSubject(bucket_, nuid)).empty(); },
                        10s))
      << "the deleted version's chunks were not purged after the last reader";
}

// A consumer that stalls in the middle of a read (its server is gone for a while: a failover)
// hands the rest of the read to direct gets, from the first chunk not yet read: chunks already
// read are not fetched again (their answers would pile up unread, beyond the window).
TEST_F(PullReadTest, StalledConsumerHandsOverWithoutRefetchingReadChunks) {
  // Every direct get of the stream, seen by a plain subscriber.
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, server_->url().c_str()), NATS_OK);
  std::unique_ptr<natsConnection, void (*)(natsConnection*)> conn(nc, &natsConnection_Destroy);
  natsSubscription* raw_sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&raw_sub, nc, ("$JS.API.DIRECT.GET." + Stream()).c_str()),
            NATS_OK);
  std::unique_ptr<natsSubscription, void (*)(natsSubscription*)> sub(raw_sub,
                                                                     &natsSubscription_Destroy);
  natsSubscription_SetPendingLimits(raw_sub, -1, -1);
  ASSERT_EQ(natsConnection_FlushTimeout(nc, 5000), NATS_OK);

  ReadOptions ro;
  ro.window = 4;  // chunks 0 and 1 by direct get, then the consumer from chunk 2 on
  ro.idle_timeout = 30s;
  auto r = store_->Open(bucket_, "obj", ro);
  ASSERT_OK(r);
  std::string got = ReadSome(**r, 150 * 1024);  // chunks 0..149 (stream sequences 1..150)
  ASSERT_EQ(got.size(), 150u * 1024);
  server_->Pause();
  std::optional<Result<std::string>> rest;
  std::thread reader([&] { rest = ReadAll(**r); });
  // The consumer stalls for longer than the reader waits for it (2 s after the check that the
  // chunks still exist, which waits up to the store's request budget, 12 s): direct gets take
  // over.
  std::this_thread::sleep_for(15s);
  server_->Resume();
  reader.join();
  ASSERT_TRUE(rest.has_value());
  ASSERT_OK(*rest);
  EXPECT_TRUE(got + **rest == data_);

  std::vector<uint64_t> asked;
  natsMsg* m = nullptr;
  while (natsSubscription_NextMsg(&m, raw_sub, 1000) == NATS_OK) {
    std::string body(natsMsg_GetData(m), natsMsg_GetDataLength(m));
    natsMsg_Destroy(m);
    auto at = body.find("\"seq\":");
    if (at != std::string::npos) asked.push_back(std::stoull(body.substr(at + 6)));
  }
  ASSERT_TRUE(std::any_of(asked.begin(), asked.end(), [](uint64_t s) { return s > 151; }))
      << "the read never went on with direct gets (the consumer did not stall)";
  // Chunks 2..149 came from the consumer and were read before it stalled.
  auto again = std::count_if(asked.begin(), asked.end(),
                             [](uint64_t seq) { return seq >= 3 && seq <= 150; });
  EXPECT_EQ(again, 0) << "chunks already read were fetched again after the handover";
}

}  // namespace
}  // namespace natss3
