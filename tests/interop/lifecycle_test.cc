// Interop: overwrite (old chunks purged), delete, object and bucket links, rename, both ways.
#include <string>

#include "interop_support.h"

namespace natss3::interop {
namespace {

constexpr size_t kMiB = 1 << 20;

std::string ChunkSubject(const std::string& bucket, const std::string& nuid) {
  return "$O." + bucket + ".C." + nuid;
}

// Overwrites across writers: after each, the previous version's chunks are gone and the stream
// bytes drop back to about one version's worth.
TEST_F(InteropTest, OverwritePurgesOldChunksEveryWay) {
  const std::string bucket = NewBucket();
  const std::string v1 = test::RandomBytes(kMiB, 1);
  ObjectInfo first = CorePut(bucket, "obj", v1);
  const uint64_t one_version = CoreStatus(bucket).size;
  ASSERT_GT(one_version, kMiB);

  struct Step {
    const char* writer;
    uint64_t seed;
  };
  std::string previous_nuid = first.nuid;
  for (Step step : {Step{"core", 2}, Step{"go", 3}, Step{"core", 4}, Step{"js", 5},
                    Step{"core", 6}}) {
    SCOPED_TRACE(step.writer);
    const std::string data = test::RandomBytes(kMiB, step.seed);
    std::string nuid;
    if (std::string(step.writer) == "core") {
      nuid = CorePut(bucket, "obj", data).nuid;
    } else {
      const RefTool& tool = std::string(step.writer) == "go" ? *go_ : *js_;
      const std::string file = WriteScratch("v.bin", data);
      nuid = tool.Ok("put", {{"bucket", bucket}, {"name", "obj"}, {"file", file}}).value("nuid", "");
    }
    ASSERT_FALSE(nuid.empty());
    EXPECT_NE(nuid, previous_nuid);
    EXPECT_TRUE(SubjectEmpty(bucket, ChunkSubject(bucket, previous_nuid)))
        << "chunks of the replaced version " << previous_nuid << " were not purged";
    const uint64_t size = CoreStatus(bucket).size;
    EXPECT_LT(size, one_version + 64 * 1024) << "stream bytes did not drop back";
    Json go_status = go_->Ok("status", {{"bucket", bucket}});
    EXPECT_EQ(go_status.value("size", uint64_t{0}), size);
    EXPECT_EQ(go_->Ok("get", {{"bucket", bucket}, {"name", "obj"}}).value("sha256", ""),
              test::Sha256Hex(data));
    EXPECT_TRUE(CoreGet(bucket, "obj") == data);
    previous_nuid = nuid;
  }
}

TEST_F(InteropTest, DeleteBothWays) {
  const std::string bucket = NewBucket();
  // Core deletes what Go wrote.
  const std::string file = WriteScratch("d.bin", test::RandomBytes(300000, 9));
  Json go_put = go_->Ok("put", {{"bucket", bucket}, {"name", "go-obj"}, {"file", file}});
  INTEROP_ASSERT_OK(store_->Delete(bucket, "go-obj"));
  ToolResult r = go_->Run("info", {{"bucket", bucket}, {"name", "go-obj"}});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("object not found"), std::string::npos) << r.err;
  Json shown = go_->Ok("info", {{"bucket", bucket}, {"name", "go-obj"}}, {"deleted"});
  EXPECT_EQ(shown.value("deleted", false), true);
  EXPECT_EQ(shown.value("size", -1), 0);
  EXPECT_TRUE(SubjectEmpty(bucket, ChunkSubject(bucket, go_put.value("nuid", "?"))));
  r = js_->Run("get", {{"bucket", bucket}, {"name", "go-obj"}});
  EXPECT_NE(r.rc, 0) << r.out;
  // Deleting again is fine (Go semantics); a name that never existed is NotFound.
  INTEROP_EXPECT_OK(store_->Delete(bucket, "go-obj"));
  INTEROP_EXPECT_CODE(store_->Delete(bucket, "never-existed"), Code::kNotFound);

  // Go and JS delete what the core wrote.
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string name = std::string("core-for-") + tool->name();
    ObjectInfo put = CorePut(bucket, name, test::RandomBytes(200000, 3));
    tool->Ok("delete", {{"bucket", bucket}, {"name", name}});
    INTEROP_EXPECT_CODE(store_->GetInfo(bucket, name), Code::kNotFound);
    INTEROP_EXPECT_CODE(store_->GetBytes(bucket, name), Code::kNotFound);
    auto deleted = store_->GetInfo(bucket, name, /*show_deleted=*/true);
    ASSERT_TRUE(deleted.ok()) << StatusText(deleted);
    EXPECT_TRUE(deleted->deleted);
    EXPECT_EQ(deleted->size, 0u);
    EXPECT_TRUE(SubjectEmpty(bucket, ChunkSubject(bucket, put.nuid)));
  }
  auto list = store_->List(bucket);
  ASSERT_TRUE(list.ok()) << StatusText(list);
  EXPECT_TRUE(list->empty()) << list->size() << " entries, first " << list->front().name();
  auto with_deleted = store_->List(bucket, /*show_deleted=*/true);
  ASSERT_TRUE(with_deleted.ok()) << StatusText(with_deleted);
  EXPECT_EQ(with_deleted->size(), 3u);
  EXPECT_EQ(go_->Ok("ls", {{"bucket", bucket}}).size(), 0u);
}

TEST_F(InteropTest, ObjectLinksBothWays) {
  const std::string bucket = NewBucket();
  const std::string other = NewBucket("other");
  const std::string data = test::RandomBytes(300000, 21);
  ObjectInfo target = CorePut(bucket, "target", data);
  ObjectInfo far_target = CorePut(other, "far", "far away");

  // Core links, clients follow them (same bucket and across buckets).
  auto link = store_->AddLink(bucket, "lnk", target);
  ASSERT_TRUE(link.ok()) << StatusText(link);
  auto far_link = store_->AddLink(bucket, "far-lnk", far_target);
  ASSERT_TRUE(far_link.ok()) << StatusText(far_link);
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    Json got = tool->Ok("get", {{"bucket", bucket}, {"name", "lnk"}});
    EXPECT_EQ(got.value("sha256", ""), test::Sha256Hex(data));
    EXPECT_EQ(got["info"].value("name", ""), "target");
    Json far = tool->Ok("get", {{"bucket", bucket}, {"name", "far-lnk"}});
    EXPECT_EQ(far.value("sha256", ""), test::Sha256Hex("far away"));
  }
  Json info = go_->Ok("info", {{"bucket", bucket}, {"name", "lnk"}});
  EXPECT_EQ(info["options"]["link"], Json::parse(R"({"bucket":")" + bucket + R"(","name":"target"})"));

  // Go links, the core follows them.
  go_->Ok("link", {{"bucket", bucket}, {"name", "go-lnk"}, {"target", "target"}});
  go_->Ok("link", {{"bucket", bucket}, {"name", "go-far-lnk"}, {"target-bucket", other},
                   {"target", "far"}});
  auto go_link = store_->GetInfo(bucket, "go-lnk");
  ASSERT_TRUE(go_link.ok()) << StatusText(go_link);
  ASSERT_TRUE(go_link->is_link());
  EXPECT_EQ(go_link->meta.link->bucket, bucket);
  EXPECT_EQ(go_link->meta.link->name, "target");
  EXPECT_TRUE(CoreGet(bucket, "go-lnk") == data);
  EXPECT_EQ(CoreGet(bucket, "go-far-lnk"), "far away");
  auto reader = store_->Open(bucket, "go-lnk");
  ASSERT_TRUE(reader.ok()) << StatusText(reader);
  EXPECT_EQ((*reader)->info().name(), "target");

  // JS links carry no nuid/size/rollup; the reader profile resolves them anyway.
  js_->Ok("link", {{"bucket", bucket}, {"name", "js-lnk"}, {"target", "target"}});
  EXPECT_TRUE(CoreGet(bucket, "js-lnk") == data);
  auto js_link = store_->GetInfo(bucket, "js-lnk");
  ASSERT_TRUE(js_link.ok()) << StatusText(js_link);
  EXPECT_TRUE(js_link->is_link());

  // Linking to a link or to a deleted object is refused, as in Go.
  INTEROP_EXPECT_CODE(store_->AddLink(bucket, "lnk2", *link), Code::kFailedPrecondition);
}

TEST_F(InteropTest, BucketLinksBothWays) {
  const std::string bucket = NewBucket();
  const std::string other = NewBucket("other");
  auto blink = store_->AddBucketLink(bucket, "to-other", other);
  ASSERT_TRUE(blink.ok()) << StatusText(blink);
  ToolResult r = go_->Run("get", {{"bucket", bucket}, {"name", "to-other"}});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("link to a bucket"), std::string::npos) << r.err;
  Json info = go_->Ok("info", {{"bucket", bucket}, {"name", "to-other"}});
  EXPECT_EQ(info["options"]["link"], Json::parse(R"({"bucket":")" + other + R"("})"));
  r = js_->Run("get", {{"bucket", bucket}, {"name", "to-other"}});
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("link is a bucket"), std::string::npos) << r.err;

  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string name = std::string(tool->name()) + "-blink";
    tool->Ok("bucket-link", {{"bucket", bucket}, {"name", name}, {"target-bucket", other}});
    auto got = store_->GetInfo(bucket, name);
    ASSERT_TRUE(got.ok()) << StatusText(got);
    ASSERT_TRUE(got->is_link());
    EXPECT_TRUE(got->meta.link->is_bucket_link());
    EXPECT_EQ(got->meta.link->bucket, other);
    INTEROP_EXPECT_CODE(store_->Open(bucket, name), Code::kFailedPrecondition);
  }
}

TEST_F(InteropTest, RenameBothWays) {
  const std::string bucket = NewBucket();
  const std::string data = test::RandomBytes(140000, 33);
  ObjectMeta meta;
  meta.description = "before";
  meta.headers = {{"X-Keep", {"1"}}};
  CorePut(bucket, "core-old", data, meta);

  // Core renames; Go and JS find it under the new name only.
  ObjectMeta renamed;
  renamed.name = "core-new";
  renamed.description = "after";
  auto r = store_->UpdateMeta(bucket, "core-old", renamed);
  ASSERT_TRUE(r.ok()) << StatusText(r);
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    Json got = tool->Ok("get", {{"bucket", bucket}, {"name", "core-new"}});
    EXPECT_EQ(got.value("sha256", ""), test::Sha256Hex(data));
    EXPECT_EQ(got["info"].value("description", ""), "after");
    EXPECT_NE(tool->Run("info", {{"bucket", bucket}, {"name", "core-old"}}).rc, 0);
  }

  // Go renames (with rollup); JS renames (no rollup, drops options and headers).
  const std::string file = WriteScratch("r.bin", data);
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string from = std::string(tool->name()) + "-old";
    const std::string to = std::string(tool->name()) + "-new";
    tool->Ok("put", {{"bucket", bucket}, {"name", from}, {"file", file}});
    tool->Ok("update-meta", {{"bucket", bucket}, {"name", from}, {"new-name", to},
                             {"description", "renamed by client"}});
    INTEROP_EXPECT_CODE(store_->GetInfo(bucket, from), Code::kNotFound);
    auto info = store_->GetInfo(bucket, to);
    ASSERT_TRUE(info.ok()) << StatusText(info);
    EXPECT_EQ(info->meta.description, "renamed by client");
    EXPECT_EQ(info->size, data.size());
    EXPECT_TRUE(CoreGet(bucket, to) == data);
  }

  // Renaming onto a live object is refused by the core, as by Go.
  INTEROP_EXPECT_CODE(store_->UpdateMeta(bucket, "core-new", [] {
    ObjectMeta m;
    m.name = "go-new";
    return m;
  }()), Code::kAlreadyExists);
}

}  // namespace
}  // namespace natss3::interop
