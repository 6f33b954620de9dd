// Interop: bucket configs, status, listing, sealing and deleting, core <-> nats.go / @nats-io/obj.
#include <algorithm>
#include <chrono>
#include <string>

#include "interop_support.h"

namespace natss3::interop {
namespace {

using std::chrono::hours;
using std::chrono::nanoseconds;

// The stream config every client writes (docs/object-store-format.md §1.2), checked on a raw STREAM.INFO.
void ExpectObjectStoreStream(const Json& config, const std::string& bucket) {
  EXPECT_EQ(config.value("name", ""), "OBJ_" + bucket);
  EXPECT_EQ(config["subjects"],
            Json::array({"$O." + bucket + ".C.>", "$O." + bucket + ".M.>"}));
  EXPECT_EQ(config.value("discard", ""), "new");
  EXPECT_EQ(config.value("retention", ""), "limits");
  EXPECT_EQ(config.value("allow_rollup_hdrs", false), true);
  EXPECT_EQ(config.value("allow_direct", false), true);
  EXPECT_EQ(config.value("max_msgs_per_subject", 0), -1);
}

TEST_F(InteropTest, CoreBucketConfigSeenByClients) {
  BucketConfig config;
  config.bucket = Bucket();
  config.description = "configured by the core";
  config.ttl = hours(2);
  config.max_bytes = 64 << 20;
  config.storage = StorageType::kMemory;
  config.replicas = 1;
  auto created = store_->CreateBucket(config);
  ASSERT_TRUE(created.ok()) << StatusText(created);

  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    Json st = tool->Ok("status", {{"bucket", config.bucket}});
    EXPECT_EQ(st.value("bucket", ""), config.bucket);
    EXPECT_EQ(st.value("description", ""), config.description);
    EXPECT_EQ(st.value("ttl", int64_t{0}), nanoseconds(hours(2)).count());
    EXPECT_EQ(st.value("replicas", 0), 1);
    EXPECT_EQ(st.value("sealed", true), false);
    EXPECT_EQ(st.value("backing_store", ""), "JetStream");
    const Json& cfg = st["stream_info"]["config"];
    ExpectObjectStoreStream(cfg, config.bucket);
    EXPECT_EQ(cfg.value("storage", ""), "memory");
    EXPECT_EQ(cfg.value("max_bytes", int64_t{0}), int64_t{64} << 20);
    EXPECT_EQ(cfg.value("max_age", int64_t{0}), nanoseconds(hours(2)).count());
    EXPECT_EQ(cfg.value("description", ""), config.description);
  }

  // Defaults: unlimited, no TTL, file, R1.
  const std::string plain = NewBucket("plain");
  Json cfg = go_->Ok("status", {{"bucket", plain}})["stream_info"]["config"];
  ExpectObjectStoreStream(cfg, plain);
  EXPECT_EQ(cfg.value("max_bytes", 0), -1);
  EXPECT_EQ(cfg.value("max_age", -1), 0);
  EXPECT_EQ(cfg.value("storage", ""), "file");
  EXPECT_EQ(cfg.value("num_replicas", 0), 1);
  EXPECT_FALSE(cfg.contains("description")) << cfg.dump();

  // Creating again with the same config succeeds; with another config it is kAlreadyExists.
  INTEROP_EXPECT_OK(store_->CreateBucket(config));
  BucketConfig changed = config;
  changed.description = "something else";
  INTEROP_EXPECT_CODE(store_->CreateBucket(changed), Code::kAlreadyExists);
}

TEST_F(InteropTest, ClientBucketConfigSeenByCore) {
  const std::string go_bucket = Bucket("go");
  go_->Ok("create", {{"bucket", go_bucket}, {"description", "made by go"}, {"ttl", "90m"},
                     {"max-bytes", "10485760"}, {"storage", "memory"}, {"replicas", "1"}});
  const std::string js_bucket = Bucket("js");
  js_->Ok("create", {{"bucket", js_bucket}, {"description", "made by js"},
                     {"ttl", std::to_string(90 * 60 * 1000)}, {"max-bytes", "10485760"},
                     {"storage", "memory"}, {"replicas", "1"}});
  for (const std::string& bucket : {go_bucket, js_bucket}) {
    SCOPED_TRACE(bucket);
    BucketStatus st = CoreStatus(bucket);
    EXPECT_EQ(st.bucket, bucket);
    EXPECT_EQ(st.description, bucket == go_bucket ? "made by go" : "made by js");
    EXPECT_EQ(st.ttl, std::chrono::minutes(90));
    EXPECT_EQ(st.storage, StorageType::kMemory);
    EXPECT_EQ(st.replicas, 1);
    EXPECT_EQ(st.max_bytes, 10485760);
    EXPECT_FALSE(st.sealed);
    EXPECT_EQ(st.backing_store, "JetStream");
    EXPECT_EQ(st.stream_name, "OBJ_" + bucket);
    // And the core can use it.
    CorePut(bucket, "x", "y");
    EXPECT_EQ(CoreGet(bucket, "x"), "y");
  }

  // Listing: the core sees the clients' buckets and Go sees the core's.
  const std::string core_bucket = NewBucket("core");
  auto buckets = store_->ListBuckets();
  ASSERT_TRUE(buckets.ok()) << StatusText(buckets);
  auto has = [&](const std::string& b) {
    return std::any_of(buckets->begin(), buckets->end(),
                       [&](const BucketStatus& s) { return s.bucket == b; });
  };
  EXPECT_TRUE(has(go_bucket));
  EXPECT_TRUE(has(js_bucket));
  Json names = go_->Ok("buckets", {});
  EXPECT_TRUE(std::find(names.begin(), names.end(), Json(core_bucket)) != names.end())
      << names.dump();

  // Deleting a bucket with Go: the core sees it gone.
  go_->Ok("del-bucket", {{"bucket", core_bucket}});
  INTEROP_EXPECT_CODE(store_->GetBucketStatus(core_bucket), Code::kNotFound);
}

// Size is the stream's byte count, the same number Go and JS report.
TEST_F(InteropTest, BucketSizeAgrees) {
  const std::string bucket = NewBucket();
  CorePut(bucket, "a", test::RandomBytes(500000, 2));
  const std::string file = WriteScratch("b", test::RandomBytes(300000, 3));
  go_->Ok("put", {{"bucket", bucket}, {"name", "b"}, {"file", file}});
  BucketStatus st = CoreStatus(bucket);
  EXPECT_GT(st.size, 800000u);
  EXPECT_EQ(go_->Ok("status", {{"bucket", bucket}}).value("size", uint64_t{0}), st.size);
  EXPECT_EQ(js_->Ok("status", {{"bucket", bucket}}).value("size", uint64_t{0}), st.size);
  EXPECT_EQ(st.messages, 4u + 3u + 2u);
}

TEST_F(InteropTest, CoreSealSeenByClients) {
  const std::string bucket = NewBucket();
  CorePut(bucket, "kept", "still readable");
  auto sealed = store_->SealBucket(bucket);
  ASSERT_TRUE(sealed.ok()) << StatusText(sealed);
  EXPECT_TRUE(sealed->sealed);

  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    Json st = tool->Ok("status", {{"bucket", bucket}});
    EXPECT_EQ(st.value("sealed", false), true);
    const Json& cfg = st["stream_info"]["config"];
    EXPECT_EQ(cfg.value("deny_delete", false), true);
    EXPECT_EQ(cfg.value("deny_purge", false), true);
    const std::string file = WriteScratch("s", "no");
    ToolResult r = tool->Run("put", {{"bucket", bucket}, {"name", "new"}, {"file", file}});
    EXPECT_NE(r.rc, 0);
    EXPECT_NE(r.err.find("sealed"), std::string::npos) << r.err;
    EXPECT_EQ(tool->Ok("get", {{"bucket", bucket}, {"name", "kept"}}).value("sha256", ""),
              test::Sha256Hex("still readable"));
  }
}

TEST_F(InteropTest, ClientSealSeenByCore) {
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string bucket = NewBucket(tool->name());
    CorePut(bucket, "kept", "still readable");
    tool->Ok("seal", {{"bucket", bucket}});
    BucketStatus st = CoreStatus(bucket);
    EXPECT_TRUE(st.sealed);
    EXPECT_EQ(CoreGet(bucket, "kept"), "still readable");
    // A put into a sealed bucket fails, at NewWriter or at Commit, and leaves nothing behind.
    ObjectMeta meta;
    meta.name = "new";
    auto put = store_->PutBytes(bucket, meta, "no");
    INTEROP_EXPECT_CODE(put, Code::kFailedPrecondition);
    INTEROP_EXPECT_CODE(store_->GetInfo(bucket, "new"), Code::kNotFound);
    EXPECT_EQ(CoreStatus(bucket).messages, 2u);
    INTEROP_EXPECT_CODE(store_->Delete(bucket, "kept"), Code::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace natss3::interop
