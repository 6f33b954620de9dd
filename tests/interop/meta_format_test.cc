// Interop: the raw meta messages the core writes, byte-checked against nats.go's own output
// (subject encoding, Nats-Rollup header, digest format, JSON keys in Go's order).
#include <regex>
#include <string>
#include <vector>

#include "interop_support.h"

namespace natss3::interop {
namespace {

const char* kZeroTime = "0001-01-01T00:00:00Z";

Json Payload(const Json& raw) {
  Json j = Json::parse(raw.value("data", ""), nullptr, false);
  EXPECT_TRUE(j.is_object()) << "meta payload is not a JSON object: " << raw.value("data", "");
  return j;
}

void ExpectRollup(const Json& raw) {
  ASSERT_TRUE(raw.contains("headers") && raw["headers"].is_object()) << raw.dump();
  EXPECT_EQ(raw["headers"]["Nats-Rollup"], Json::array({"sub"})) << raw.dump();
}

bool IsNuid(const std::string& s) {
  return std::regex_match(s, std::regex("[0-9A-Za-z]{22}"));
}

// Keys in order, with the ones the core may add on top of Go (its MD5 header lives inside
// "headers", so no key is extra) removed from neither side: the lists must match exactly.
TEST_F(InteropTest, PutMetaMatchesGoShape) {
  const std::string bucket = NewBucket();
  const std::string go_bucket = NewBucket("go");
  ObjectMeta meta;
  meta.description = "greeting";
  meta.headers = {{"X-Multi", {"a", "b"}}, {"content-type", {"text/plain"}}};
  ObjectInfo put = CorePut(bucket, "hello.txt", "hello world", meta);

  Json raw = RawMeta(bucket, "hello.txt");
  EXPECT_EQ(raw.value("subject", ""), "$O." + bucket + ".M.aGVsbG8udHh0");
  ExpectRollup(raw);
  Json j = Payload(raw);
  EXPECT_EQ(j.value("name", ""), "hello.txt");
  EXPECT_EQ(j.value("description", ""), "greeting");
  EXPECT_EQ(j["headers"]["X-Multi"], Json::array({"a", "b"}));
  EXPECT_EQ(j["options"], Json::parse(R"({"max_chunk_size":131072})"));
  EXPECT_EQ(j.value("bucket", ""), bucket);
  EXPECT_EQ(j.value("nuid", ""), put.nuid);
  EXPECT_TRUE(IsNuid(j.value("nuid", ""))) << j.value("nuid", "");
  EXPECT_EQ(j.value("size", -1), 11);
  EXPECT_EQ(j.value("mtime", ""), kZeroTime);
  EXPECT_EQ(j.value("chunks", -1), 1);
  EXPECT_EQ(j.value("digest", ""), "SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek=");
  EXPECT_FALSE(j.contains("deleted"));
  EXPECT_FALSE(j.contains("revision"));

  // The same put through nats.go: the key order must be identical.
  const std::string file = WriteScratch("hw", "hello world");
  go_->Ok("put", {{"bucket", go_bucket}, {"name", "hello.txt"}, {"file", file},
                  {"description", "greeting"}, {"header", "X-Multi:a"}, {"header", "X-Multi:b"},
                  {"header", "content-type:text/plain"}});
  Json go_json = Payload(RawMeta(go_bucket, "hello.txt"));
  EXPECT_EQ(Keys(j), Keys(go_json)) << "core: " << j.dump() << "\ngo:   " << go_json.dump();
  // Chunk message: exactly the content on $O.<b>.C.<nuid>; its only header is the Nats-Msg-Id
  // that lets a resent chunk be deduplicated (readers ignore chunk headers).
  Json chunk = go_->Ok("raw", {{"bucket", bucket}, {"subject", "$O." + bucket + ".C." + put.nuid}});
  EXPECT_EQ(chunk.value("data", ""), "hello world");
  ASSERT_TRUE(chunk["headers"].is_object()) << chunk.dump();
  EXPECT_EQ(chunk["headers"].size(), 1u) << chunk.dump();
  EXPECT_EQ(chunk["headers"]["Nats-Msg-Id"][0], put.nuid + ".chunk.0") << chunk.dump();
}

TEST_F(InteropTest, NameEncodingVectors) {
  const std::string bucket = NewBucket();
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"hello.txt", "aGVsbG8udHh0"},
      {"link", "bGluaw=="},
      {"new-thing.zip", "bmV3LXRoaW5nLnppcA=="},
      {"~~~", "fn5-"},
      {"a>b*c.d", "YT5iKmMuZA=="},
      {"日本語.txt", "5pel5pys6KqeLnR4dA=="},
      {"dir/ünï code.bin", "ZGlyL8O8bsOvIGNvZGUuYmlu"},
  };
  for (const auto& [name, encoded] : vectors) {
    SCOPED_TRACE(name);
    CorePut(bucket, name, "x");
    Json raw = RawMeta(bucket, name);
    EXPECT_EQ(raw.value("subject", ""), "$O." + bucket + ".M." + encoded);
    EXPECT_EQ(Payload(raw).value("name", ""), name);
  }
}

TEST_F(InteropTest, EmptyObjectMeta) {
  const std::string bucket = NewBucket();
  CorePut(bucket, "empty", "");
  Json raw = RawMeta(bucket, "empty");
  ExpectRollup(raw);
  Json j = Payload(raw);
  EXPECT_EQ(j.value("size", -1), 0);
  EXPECT_EQ(j.value("chunks", -1), 0);
  EXPECT_EQ(j.value("digest", ""), "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=");
  Json status = go_->Ok("status", {{"bucket", bucket}});
  EXPECT_EQ(status["stream_info"]["state"].value("messages", -1), 1) << "no chunk messages";
}

TEST_F(InteropTest, DeleteMarkerMatchesGoShape) {
  const std::string bucket = NewBucket();
  ObjectInfo put = CorePut(bucket, "doomed", "bye");
  INTEROP_ASSERT_OK(store_->Delete(bucket, "doomed"));
  Json raw = RawMeta(bucket, "doomed");
  ExpectRollup(raw);
  Json j = Payload(raw);
  EXPECT_EQ(j.value("deleted", false), true);
  EXPECT_EQ(j.value("size", -1), 0);
  EXPECT_EQ(j.value("chunks", -1), 0);
  EXPECT_EQ(j.value("nuid", ""), put.nuid);
  EXPECT_EQ(j.value("mtime", ""), kZeroTime);
  EXPECT_FALSE(j.contains("digest")) << "Go omits the digest of a delete marker: " << j.dump();

  // Go's own marker for comparison: same keys, same order (modulo the core's MD5 header).
  const std::string file = WriteScratch("bye", "bye");
  go_->Ok("put", {{"bucket", bucket}, {"name", "go-doomed"}, {"file", file}});
  go_->Ok("delete", {{"bucket", bucket}, {"name", "go-doomed"}});
  Json go_json = Payload(RawMeta(bucket, "go-doomed"));
  Json core_json = j;
  core_json.erase("headers");
  EXPECT_EQ(Keys(core_json), Keys(go_json)) << "core: " << j.dump() << "\ngo:   " << go_json.dump();
}

TEST_F(InteropTest, LinkMetaMatchesGoShape) {
  const std::string bucket = NewBucket();
  const std::string other = NewBucket("other");
  ObjectInfo target = CorePut(bucket, "target", "linked content");
  auto link = store_->AddLink(bucket, "lnk", target);
  ASSERT_TRUE(link.ok()) << StatusText(link);
  Json raw = RawMeta(bucket, "lnk");
  ExpectRollup(raw);
  Json j = Payload(raw);
  EXPECT_EQ(j["options"], Json::parse(R"({"link":{"bucket":")" + bucket + R"(","name":"target"}})"))
      << j.dump();
  EXPECT_TRUE(IsNuid(j.value("nuid", ""))) << j.dump();
  EXPECT_NE(j.value("nuid", ""), target.nuid);
  EXPECT_EQ(j.value("size", -1), 0);
  EXPECT_EQ(j.value("chunks", -1), 0);
  EXPECT_EQ(j.value("mtime", ""), kZeroTime);
  EXPECT_FALSE(j.contains("digest")) << j.dump();
  EXPECT_EQ(j.value("bucket", ""), bucket);

  go_->Ok("link", {{"bucket", bucket}, {"name", "go-lnk"}, {"target", "target"}});
  Json go_json = Payload(RawMeta(bucket, "go-lnk"));
  EXPECT_EQ(Keys(j), Keys(go_json)) << "core: " << j.dump() << "\ngo:   " << go_json.dump();

  auto blink = store_->AddBucketLink(bucket, "blink", other);
  ASSERT_TRUE(blink.ok()) << StatusText(blink);
  Json braw = RawMeta(bucket, "blink");
  ExpectRollup(braw);
  Json bj = Payload(braw);
  EXPECT_EQ(bj["options"], Json::parse(R"({"link":{"bucket":")" + other + R"("}})")) << bj.dump();
  go_->Ok("bucket-link", {{"bucket", bucket}, {"name", "go-blink"}, {"target-bucket", other}});
  Json go_bj = Payload(RawMeta(bucket, "go-blink"));
  EXPECT_EQ(Keys(bj), Keys(go_bj)) << "core: " << bj.dump() << "\ngo:   " << go_bj.dump();
}

TEST_F(InteropTest, RenameMetaMatchesGoShape) {
  const std::string bucket = NewBucket();
  ObjectInfo put = CorePut(bucket, "old-name", "payload");
  ObjectMeta meta;
  meta.name = "new-name";
  meta.description = "renamed";
  auto r = store_->UpdateMeta(bucket, "old-name", meta);
  ASSERT_TRUE(r.ok()) << StatusText(r);
  Json raw = RawMeta(bucket, "new-name");
  EXPECT_EQ(raw.value("subject", ""), "$O." + bucket + ".M.bmV3LW5hbWU=");
  ExpectRollup(raw);
  Json j = Payload(raw);
  EXPECT_EQ(j.value("name", ""), "new-name");
  EXPECT_EQ(j.value("description", ""), "renamed");
  EXPECT_EQ(j.value("nuid", ""), put.nuid);
  EXPECT_EQ(j.value("size", -1), 7);
  EXPECT_EQ(j.value("digest", ""), ExpectedDigest("payload"));
  EXPECT_EQ(j["options"].value("max_chunk_size", 0), 131072);
  EXPECT_TRUE(SubjectEmpty(bucket, "$O." + bucket + ".M.b2xkLW5hbWU="))
      << "old meta subject must be purged";
}

// Go's JSON escapes <, >, & and control characters; the core's escaping must parse the same.
TEST_F(InteropTest, JsonEscapingReadableByClients) {
  const std::string bucket = NewBucket();
  const std::string name = "q \"quoted\" <&> back\\slash\ttab";
  ObjectMeta meta;
  meta.description = "line1\nline2 \x01 ctl";
  meta.headers = {{"X-Weird", {"v \"x\" <y>"}}};
  CorePut(bucket, name, "esc", meta);
  for (const RefTool* tool : {go_.get(), js_.get()}) {
    SCOPED_TRACE(tool->name());
    Json info = tool->Ok("info", {{"bucket", bucket}, {"name", name}});
    EXPECT_EQ(info.value("name", ""), name);
    EXPECT_EQ(info.value("description", ""), meta.description);
    EXPECT_EQ(info["headers"]["X-Weird"], Json::array({"v \"x\" <y>"}));
  }
}

}  // namespace
}  // namespace natss3::interop
