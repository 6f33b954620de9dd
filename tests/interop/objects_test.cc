// Interop: object contents, names, headers and chunk sizes, core <-> nats.go and @nats-io/obj.
#include <set>
#include <string>
#include <vector>

#include "interop_support.h"

namespace natss3::interop {
namespace {

class SizeInterop : public InteropTest, public ::testing::WithParamInterface<size_t> {};

std::string SizeName(const ::testing::TestParamInfo<size_t>& p) {
  if (p.param == 20u << 20) return "20MiB";
  return std::to_string(p.param) + "B";
}

INSTANTIATE_TEST_SUITE_P(Sizes, SizeInterop,
                         ::testing::Values(size_t{0}, size_t{1}, size_t{131071}, size_t{131072},
                                           size_t{131073}, size_t{20} << 20),
                         SizeName);

// The core writes; nats.go and @nats-io/obj read the same bytes and the same info.
TEST_P(SizeInterop, CoreWritesClientsRead) {
  const size_t size = GetParam();
  const std::string bucket = NewBucket();
  const std::string data = test::RandomBytes(size, size + 7);
  const std::string want_sha = test::Sha256Hex(data);
  ObjectInfo put = CorePut(bucket, "obj.bin", data);
  EXPECT_EQ(put.size, size);
  EXPECT_EQ(put.chunks, ChunkCount(size));
  EXPECT_EQ(put.digest, ExpectedDigest(data));

  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string out = dir_->File(std::string("got-") + tool->name());
    Json got = tool->Ok("get", {{"bucket", bucket}, {"name", "obj.bin"}, {"out", out}});
    EXPECT_EQ(got.value("sha256", ""), want_sha);
    EXPECT_EQ(got.value("size", uint64_t{0}), size);
    EXPECT_EQ(test::FileSha256Hex(out), want_sha);
    const Json& info = got["info"];
    EXPECT_EQ(info.value("nuid", ""), put.nuid);
    EXPECT_EQ(info.value("size", uint64_t{0}), size);
    EXPECT_EQ(info.value("chunks", uint64_t{0}), ChunkCount(size));
    EXPECT_EQ(info.value("digest", ""), ExpectedDigest(data));
  }
  // Chunk layout as the clients write it: every chunk full except the last.
  if (size > 0) {
    Json status = go_->Ok("status", {{"bucket", bucket}});
    EXPECT_EQ(status["stream_info"]["state"].value("messages", uint64_t{0}),
              ChunkCount(size) + 1);
  }
}

// nats.go and @nats-io/obj write; the core reads the bytes, the info and ranges.
TEST_P(SizeInterop, ClientsWriteCoreReads) {
  const size_t size = GetParam();
  const std::string bucket = NewBucket();
  const std::string data = test::RandomBytes(size, size + 11);
  const std::string file = WriteScratch("in.bin", data);

  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string name = std::string("from-") + tool->name() + ".bin";
    Json put = tool->Ok("put", {{"bucket", bucket}, {"name", name}, {"file", file}});
    auto info = store_->GetInfo(bucket, name);
    ASSERT_TRUE(info.ok()) << StatusText(info);
    EXPECT_EQ(info->size, size);
    EXPECT_EQ(info->chunks, ChunkCount(size));
    EXPECT_EQ(info->digest, ExpectedDigest(data));
    EXPECT_EQ(info->nuid, put.value("nuid", "?"));
    EXPECT_EQ(info->bucket, bucket);
    EXPECT_FALSE(info->deleted);
    // Go writes the zero mtime: the core must take ModTime from the stream timestamp.
    EXPECT_GT(info->mtime.time_since_epoch(), std::chrono::hours(24 * 365 * 50));
    EXPECT_GT(info->revision, 0u);

    std::string got = CoreGet(bucket, name);
    EXPECT_EQ(got.size(), size);
    EXPECT_TRUE(got == data) << "content differs (sha256 " << test::Sha256Hex(got) << " vs "
                             << test::Sha256Hex(data) << ")";

    if (size > 131072) {
      auto reader = store_->Open(bucket, name);
      ASSERT_TRUE(reader.ok()) << StatusText(reader);
      char buf[16];
      auto n = (*reader)->ReadAt(131068, buf, sizeof(buf));
      ASSERT_TRUE(n.ok()) << StatusText(n);
      size_t want = std::min<size_t>(sizeof(buf), size - 131068);
      EXPECT_EQ(*n, want);
      EXPECT_EQ(std::string(buf, *n), data.substr(131068, want));
    }
  }
}

// Names with slashes, spaces, operators and non-ASCII: base64url padded over UTF-8 bytes.
// @nats-io/obj 3.4.0 encodes names with btoa (Latin-1), so it only takes part for ASCII.
TEST_F(InteropTest, NamesBothWays) {
  const std::string bucket = NewBucket();
  const std::vector<std::string> ascii = {"dir/sub/file.txt", "with space.txt", "a>b*c.d",
                                          "~~~", ".hidden", "trailing/"};
  const std::vector<std::string> unicode = {"日本語.txt", "dir/ünï code.bin", "emoji 🎉/x"};

  std::vector<std::string> all = ascii;
  all.insert(all.end(), unicode.begin(), unicode.end());
  for (const auto& name : all) {
    SCOPED_TRACE(name);
    const std::string data = "core:" + name;
    CorePut(bucket, "core/" + name, data);
    Json got = go_->Ok("get", {{"bucket", bucket}, {"name", "core/" + name}});
    EXPECT_EQ(got.value("sha256", ""), test::Sha256Hex(data));
    EXPECT_EQ(got["info"].value("name", ""), "core/" + name);

    const std::string file = WriteScratch("n.bin", "go:" + name);
    go_->Ok("put", {{"bucket", bucket}, {"name", "go/" + name}, {"file", file}});
    EXPECT_EQ(CoreGet(bucket, "go/" + name), "go:" + name);
    auto info = store_->GetInfo(bucket, "go/" + name);
    ASSERT_TRUE(info.ok()) << StatusText(info);
    EXPECT_EQ(info->name(), "go/" + name);
  }
  for (const auto& name : ascii) {
    SCOPED_TRACE(name);
    Json got = js_->Ok("get", {{"bucket", bucket}, {"name", "core/" + name}});
    EXPECT_EQ(got.value("sha256", ""), test::Sha256Hex("core:" + name));
    const std::string file = WriteScratch("n.bin", "js:" + name);
    js_->Ok("put", {{"bucket", bucket}, {"name", "js/" + name}, {"file", file}});
    EXPECT_EQ(CoreGet(bucket, "js/" + name), "js:" + name);
  }

  // Listings agree: Go lists what the core wrote and the core lists what Go wrote.
  Json ls = go_->Ok("ls", {{"bucket", bucket}});
  std::set<std::string> go_names;
  for (const auto& e : ls) go_names.insert(e.value("name", ""));
  auto core_list = store_->List(bucket);
  ASSERT_TRUE(core_list.ok()) << StatusText(core_list);
  std::set<std::string> core_names;
  for (const auto& e : *core_list) core_names.insert(e.name());
  EXPECT_EQ(go_names, core_names);
  EXPECT_EQ(core_names.size(), 2 * all.size() + ascii.size());
  for (const auto& name : all) {
    EXPECT_TRUE(go_names.count("core/" + name)) << name;
    EXPECT_TRUE(core_names.count("go/" + name)) << name;
  }
}

TEST_F(InteropTest, HeadersAndDescriptionBothWays) {
  const std::string bucket = NewBucket();
  ObjectMeta meta;
  meta.description = "a <described> & \"quoted\" object";
  meta.headers = {{"Content-Type", {"text/plain"}}, {"X-Multi", {"a", "b"}}};
  CorePut(bucket, "core.txt", "hello", meta);
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    Json info = tool->Ok("info", {{"bucket", bucket}, {"name", "core.txt"}});
    EXPECT_EQ(info.value("description", ""), meta.description);
    EXPECT_EQ(info["headers"]["Content-Type"], Json::array({"text/plain"})) << info.dump();
    EXPECT_EQ(info["headers"]["X-Multi"], Json::array({"a", "b"})) << info.dump();
  }

  const std::string file = WriteScratch("h.txt", "hi");
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string name = std::string(tool->name()) + ".txt";
    tool->Ok("put", {{"bucket", bucket},
                     {"name", name},
                     {"file", file},
                     {"description", "from a client"},
                     {"header", "X-Multi:1"},
                     {"header", "X-Multi:2"},
                     {"header", "Content-Type:application/x-test"}});
    auto info = store_->GetInfo(bucket, name);
    ASSERT_TRUE(info.ok()) << StatusText(info);
    EXPECT_EQ(info->meta.description, "from a client");
    EXPECT_EQ(info->meta.headers["X-Multi"], (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(info->Header("content-type"), "application/x-test");
    EXPECT_EQ(CoreGet(bucket, name), "hi");
  }
}

TEST_F(InteropTest, ChunkSizesBothWays) {
  const std::string bucket = NewBucket();
  const std::string data = test::RandomBytes(200000, 5);
  PutOptions options;
  options.chunk_size = 65536;
  ObjectInfo put = CorePut(bucket, "core64k", data, {}, options);
  EXPECT_EQ(put.chunks, 4u);
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    Json got = tool->Ok("get", {{"bucket", bucket}, {"name", "core64k"}});
    EXPECT_EQ(got.value("sha256", ""), test::Sha256Hex(data));
    EXPECT_EQ(got["info"]["options"].value("max_chunk_size", 0), 65536);
    EXPECT_EQ(got["info"].value("chunks", 0), 4);
  }

  const std::string file = WriteScratch("c.bin", data);
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    const std::string name = std::string(tool->name()) + "50k";
    tool->Ok("put", {{"bucket", bucket}, {"name", name}, {"file", file}, {"chunk-size", "50000"}});
    auto info = store_->GetInfo(bucket, name);
    ASSERT_TRUE(info.ok()) << StatusText(info);
    EXPECT_EQ(info->chunks, 4u);
    EXPECT_EQ(info->meta.max_chunk_size, 50000u);
    EXPECT_TRUE(CoreGet(bucket, name) == data);
    auto reader = store_->Open(bucket, name);
    ASSERT_TRUE(reader.ok()) << StatusText(reader);
    char buf[20];
    auto n = (*reader)->ReadAt(49990, buf, sizeof(buf));
    ASSERT_TRUE(n.ok()) << StatusText(n);
    EXPECT_EQ(std::string(buf, *n), data.substr(49990, 20));
  }
}

}  // namespace
}  // namespace natss3::interop
