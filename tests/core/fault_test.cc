// Faults and foreign data: server stopped mid-put, tampered metas (kDataLoss), and metas written
// by other clients (reader tolerance, docs/object-store-format.md §3.2, §5.5).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;
using nlohmann::json;

class FaultTest : public BucketTest {
 protected:
  json RawMeta(const std::string& name) {
    RawNats raw(server_->url());
    auto m = raw.GetLast("OBJ_" + bucket_, MetaSubject(bucket_, name));
    EXPECT_TRUE(m.has_value());
    return m ? json::parse(m->data, nullptr, false) : json();
  }
  void PublishMeta(const std::string& name, const json& j, bool rollup = true) {
    RawNats raw(server_->url());
    ASSERT_TRUE(raw.Publish(MetaSubject(bucket_, name), j.dump(), rollup));
  }
};

// Writes up to 20 MiB, stopping (or killing) the server after 5 MiB. Returns the failure seen.
Status PutThroughServerLoss(ObjectStore& store, test::NatsServer& server, const std::string& bucket,
                            bool kill) {
  auto w = store.NewWriter(bucket, Meta("interrupted"));
  if (!w.ok()) return w.status();
  std::string piece = test::RandomBytes(256 * 1024, 8);
  for (int i = 0; i < 80; ++i) {
    if (i == 20) kill ? server.Kill() : server.Stop();
    Status s = (*w)->Write(piece);
    if (!s.ok()) return s;
  }
  auto c = (*w)->Commit();
  return c.ok() ? Status::OK() : c.status();
}

void ExpectCleanAfterRestart(FaultTest* t, ObjectStore& store, test::NatsServer& server,
                             const std::string& bucket, const BucketStatus& baseline) {
  ASSERT_TRUE(server.Restart());
  ASSERT_TRUE(PollUntil([&] { return store.Health().ok(); }, 20s)) << store.Health().ToString();
  EXPECT_CODE(store.GetInfo(bucket, "interrupted", true), Code::kNotFound);
  // No chunks of the failed put remain (the core must purge them once the server is back).
  uint64_t messages = 0, bytes = 0;
  bool clean = PollUntil([&] {
    auto s = store.GetBucketStatus(bucket);
    if (!s.ok()) return false;
    messages = s->messages;
    bytes = s->size;
    return s->messages == baseline.messages && s->size == baseline.size;
  }, 15s);
  EXPECT_TRUE(clean) << "orphaned chunks after restart: " << messages << " msgs / " << bytes
                     << " bytes, baseline " << baseline.messages << " / " << baseline.size;
  // The store still works.
  auto p = store.PutBytes(bucket, Meta("after"), "after restart");
  EXPECT_OK(p);
  auto g = store.GetBytes(bucket, "keep");
  ASSERT_OK(g);
  EXPECT_EQ(*g, "kept");
  (void)t;
}

TEST_F(FaultTest, ServerStoppedMidPutFailsCleanly) {
  auto store = ConnectTo(server_->url(), 2000ms);  // short request timeout bounds the failure
  ASSERT_OK(store);
  MustPut(bucket_, "keep", "kept");
  auto baseline = MustStatus(bucket_);
  auto t0 = std::chrono::steady_clock::now();
  Status s = PutThroughServerLoss(**store, *server_, bucket_, /*kill=*/false);
  EXPECT_FALSE(s.ok()) << "a put through a server stop must not succeed";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 60s);
  ExpectCleanAfterRestart(this, **store, *server_, bucket_, baseline);
}

TEST_F(FaultTest, ServerKilledMidPutFailsCleanly) {
  auto store = ConnectTo(server_->url(), 2000ms);
  ASSERT_OK(store);
  MustPut(bucket_, "keep", "kept");
  auto baseline = MustStatus(bucket_);
  Status s = PutThroughServerLoss(**store, *server_, bucket_, /*kill=*/true);
  EXPECT_FALSE(s.ok());
  ExpectCleanAfterRestart(this, **store, *server_, bucket_, baseline);
}

// A write whose server answers nothing for longer than the request budget (12 s; a stream
// leader election that needs a second round) still succeeds when its write budget is longer:
// natss3fs and natss3ctl, whose callers do not try again, use 30 s.
TEST_F(FaultTest, AWriteWaitsOutAPauseLongerThanTheRequestBudget) {
  auto store = ConnectWith(server_->url(), [](ConnectOptions& o) {
    o.timeout = 2000ms;
    o.write_budget = 30s;
  });
  ASSERT_OK(store);
  auto w = (*store)->NewWriter(bucket_, Meta("paused"));
  ASSERT_OK(w);
  // Little after the pause: more would fill the socket's buffers, and the publish would block
  // there (no budget applies) instead of waiting for acknowledgements.
  const std::string data = test::RandomBytes((1 << 20) + (256 << 10), 12);
  ASSERT_OK((*w)->Write(std::string_view(data).substr(0, 1 << 20)));
  ASSERT_TRUE(PollUntil([&] { return (*store)->Health().ok(); }, 5s));
  server_->Pause();
  std::thread resume([&] {
    std::this_thread::sleep_for(14s);
    server_->Resume();
  });
  auto t0 = std::chrono::steady_clock::now();
  Status wrote = (*w)->Write(std::string_view(data).substr(1 << 20));
  auto c = wrote.ok() ? (*w)->Commit() : Result<ObjectInfo>(wrote);
  resume.join();
  ASSERT_OK(c);
  EXPECT_GT(std::chrono::steady_clock::now() - t0, 12s) << "the pause was not waited out";
  auto got = (*store)->GetBytes(bucket_, "paused");
  ASSERT_OK(got);
  EXPECT_TRUE(*got == data);
}

TEST_F(FaultTest, TamperedDigestIsDataLoss) {
  std::string data = test::RandomBytes(300 * 1024, 4);
  MustPut(bucket_, "victim", data);
  json j = RawMeta("victim");
  ASSERT_TRUE(j.is_object());
  j["digest"] = ExpectedDigest("not the content");
  PublishMeta("victim", j);

  EXPECT_CODE(store_->GetBytes(bucket_, "victim"), Code::kDataLoss);
  auto r = store_->Open(bucket_, "victim");
  ASSERT_OK(r);
  EXPECT_CODE(ReadAll(**r), Code::kDataLoss);  // never short/complete data with OK
  // Verification can be switched off explicitly.
  ReadOptions ro;
  ro.verify_digest = false;
  auto unverified = store_->Open(bucket_, "victim", ro);
  ASSERT_OK(unverified);
  auto bytes = ReadAll(**unverified);
  ASSERT_OK(bytes);
  EXPECT_TRUE(*bytes == data);
}

TEST_F(FaultTest, MetaClaimingMoreDataIsDataLoss) {
  std::string data = test::RandomBytes(200 * 1024, 5);
  MustPut(bucket_, "short", data);
  json j = RawMeta("short");
  ASSERT_TRUE(j.is_object());
  j["size"] = data.size() + 131072;
  j["chunks"] = j["chunks"].get<int>() + 1;
  PublishMeta("short", j);
  ReadOptions ro;
  ro.idle_timeout = 1500ms;
  auto t0 = std::chrono::steady_clock::now();
  auto r = store_->Open(bucket_, "short", ro);
  if (r.ok()) {
    EXPECT_CODE(ReadAll(**r), Code::kDataLoss);
  } else {
    EXPECT_CODE(r, Code::kDataLoss);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
}

TEST_F(FaultTest, PurgedChunksAreDataLoss) {
  std::string data = test::RandomBytes(300 * 1024, 6);
  ObjectInfo put = MustPut(bucket_, "hollow", data);
  // Simulate the docs/object-store-format.md §5.8 race: chunks purged under a live meta (first chunk is seq 1).
  RawNats raw(server_->url());
  ASSERT_TRUE(raw.DeleteMsg("OBJ_" + bucket_, 1));
  ASSERT_TRUE(raw.DeleteMsg("OBJ_" + bucket_, 2));
  ASSERT_TRUE(raw.DeleteMsg("OBJ_" + bucket_, 3));
  ReadOptions ro;
  ro.idle_timeout = 1500ms;
  auto r = store_->Open(bucket_, "hollow", ro);
  if (r.ok()) {
    EXPECT_CODE(ReadAll(**r), Code::kDataLoss);
  } else {
    EXPECT_CODE(r, Code::kDataLoss);
  }
  (void)put;
}

// ---- Metas written by other clients must be readable (docs/object-store-format.md §3.2).

TEST_F(FaultTest, AcceptsOtherDigestEncodings) {
  std::string data = "hello world";
  MustPut(bucket_, "h", data);
  json j = RawMeta("h");
  ASSERT_TRUE(j.is_object());
  for (std::string d : {std::string("SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek"),
                        std::string("SHA-256=uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
                        std::string("SHA-256=b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")}) {
    j["digest"] = d;
    PublishMeta("h", j);
    auto got = store_->GetBytes(bucket_, "h");
    ASSERT_OK(got) << d;
    EXPECT_EQ(*got, data);
  }
}

TEST_F(FaultTest, ReadsJsStyleMeta) {
  std::string data = test::RandomBytes(140 * 1024, 7);
  ObjectInfo put = MustPut(bucket_, "js", data);
  // @nats-io/obj 3.4.0 shape: different key order, ISO mtime, empty description, deleted:false,
  // revision field, no rollup on update.
  json j = {{"bucket", bucket_},
            {"nuid", put.nuid},
            {"size", data.size()},
            {"chunks", put.chunks},
            {"name", "js"},
            {"description", ""},
            {"options", {{"max_chunk_size", 131072}}},
            {"metadata", json::object()},
            {"headers", json::object()},
            {"mtime", "2026-11-23T07:14:17.740Z"},
            {"digest", put.digest},
            {"deleted", false},
            {"revision", 12},
            {"unknown_future_field", {{"x", 1}}}};
  PublishMeta("js", j, /*rollup=*/false);
  auto info = store_->GetInfo(bucket_, "js");
  ASSERT_OK(info);
  EXPECT_EQ(info->size, data.size());
  EXPECT_FALSE(info->deleted);
  // ModTime comes from the stream timestamp, not the JSON.
  EXPECT_GT(info->mtime, Clock::now() - std::chrono::minutes(1));
  EXPECT_EQ(MustGet(bucket_, "js"), data);
}

TEST_F(FaultTest, FollowsJsLinkWithoutNuid) {
  MustPut(bucket_, "target", "via js link");
  json link = {{"name", "jslink"},
               {"bucket", bucket_},
               {"options", {{"link", {{"bucket", bucket_}, {"name", "target"}}}}}};
  PublishMeta("jslink", link, /*rollup=*/false);
  auto info = store_->GetInfo(bucket_, "jslink");
  ASSERT_OK(info);
  EXPECT_TRUE(info->is_link());
  EXPECT_EQ(MustGet(bucket_, "jslink"), "via js link");
}

TEST_F(FaultTest, GoNilReaderMetaWithoutDigestIsEmptyObject) {
  json j = {{"name", "nil"},      {"options", {{"max_chunk_size", 131072}}},
            {"bucket", bucket_},  {"nuid", NewNuid()},
            {"size", 0},          {"mtime", "0001-01-01T00:00:00Z"},
            {"chunks", 0}};
  PublishMeta("nil", j);
  auto info = store_->GetInfo(bucket_, "nil");
  ASSERT_OK(info);
  EXPECT_EQ(info->digest, "");
  EXPECT_EQ(MustGet(bucket_, "nil"), "");
}

TEST_F(FaultTest, MetaWithoutNuidIsNotReadableAsData) {
  json j = {{"name", "bad"}, {"bucket", bucket_}, {"size", 10}, {"chunks", 1},
            {"mtime", "0001-01-01T00:00:00Z"}};
  PublishMeta("bad", j);
  auto r = store_->Open(bucket_, "bad");
  if (r.ok()) {
    EXPECT_FALSE(ReadAll(**r).ok());
  } else {
    EXPECT_NE(r.status().code(), Code::kNotFound) << r.status().ToString();
  }
}

}  // namespace
}  // namespace natss3
