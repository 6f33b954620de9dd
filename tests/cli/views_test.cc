// Unit tests of the info layouts, tables, watch lines, JSON documents and the progress bar.
#include "views.h"

#include <gtest/gtest.h>

#include "natss3/names.h"
#include "terminal.h"

namespace natss3::cli {
namespace {

TimePoint At(int64_t seconds) { return TimePoint{std::chrono::seconds(seconds)}; }
constexpr int64_t kT = 1795418057;  // 2026-11-23 07:14:17 UTC

class ViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

BucketStatus Files() {
  BucketStatus s;
  s.bucket = "FILES";
  s.description = "my files";
  s.size = 1536;
  s.stream_name = "OBJ_FILES";
  s.created = At(kT);
  s.metadata = {{"owner", "infra"}, {"_nats.ver", "2.11.0"}, {"team", "x"}};
  return s;
}

TEST_F(ViewsTest, BucketInfoLayout) {
  EXPECT_EQ(BucketInfoText(Files()),
            "Information for Object Store Bucket FILES created 2026-11-23 07:14:17\n"
            "\n"
            "Configuration:\n"
            "\n"
            "          Bucket Name: FILES\n"
            "          Description: my files\n"
            "             Replicas: 1\n"
            "                  TTL: unlimited\n"
            "               Sealed: false\n"
            "                 Size: 1.5 KiB\n"
            "  Maximum Bucket Size: unlimited\n"
            "              Storage: File\n"
            "   Backing Store Kind: JetStream\n"
            "     JetStream Stream: OBJ_FILES\n"
            "             Metadata: owner: infra\n"
            "                        team: x\n");
}

TEST_F(ViewsTest, BucketInfoWithLimitsAndCluster) {
  BucketStatus s = Files();
  s.description.clear();
  s.metadata.clear();
  s.ttl = std::chrono::hours(26);
  s.sealed = true;
  s.max_bytes = 512LL << 20;
  s.storage = StorageType::kMemory;
  s.replicas = 3;
  s.cluster = ClusterInfo{"c1", "n1", {{"n2", true, std::chrono::milliseconds(1500), 0}}};
  EXPECT_EQ(BucketInfoText(s),
            "Information for Object Store Bucket FILES created 2026-11-23 07:14:17\n"
            "\n"
            "Configuration:\n"
            "\n"
            "          Bucket Name: FILES\n"
            "             Replicas: 3\n"
            "                  TTL: 1d2h0m0s\n"
            "               Sealed: true\n"
            "                 Size: 1.5 KiB\n"
            "  Maximum Bucket Size: 512 MiB\n"
            "              Storage: Memory\n"
            "   Backing Store Kind: JetStream\n"
            "     JetStream Stream: OBJ_FILES\n"
            "\n"
            "Cluster Information:\n"
            "\n"
            "                 Name: c1\n"
            "               Leader: n1\n"
            "              Replica: n2, current, seen 1.50s ago\n");
}

ObjectInfo Image() {
  ObjectInfo o;
  o.meta.name = "image.jpg";
  o.bucket = "FILES";
  o.size = 16384;
  o.chunks = 1;
  o.mtime = At(kT);
  o.nuid = "VSYvy4Iohkr2dDJnGshyu7";
  o.digest = "SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek=";
  o.meta.max_chunk_size = 131072;
  return o;
}

TEST_F(ViewsTest, ObjectInfoLayout) {
  ObjectInfo o = Image();
  o.meta.description = "a picture";
  o.meta.headers = {{"X-Multi", {"a", "b"}}, {"Content-Type", {"image/jpeg"}}};
  o.meta.metadata = {{"k", "v"}};
  EXPECT_EQ(ObjectInfoText(o),
            "Object information for FILES > image.jpg\n"
            "\n"
            "        Description: a picture\n"
            "               Size: 16 KiB\n"
            "  Modification Time: 2026-11-23 07:14:17\n"
            "             Chunks: 1\n"
            "             Digest: SHA-256 "
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\n"
            "            Headers: Content-Type: image/jpeg\n"
            "                     X-Multi: a\n"
            "                     X-Multi: b\n"
            "\n"
            "Metadata:\n"
            "\n"
            "                  k: v\n");
}

TEST_F(ViewsTest, ObjectInfoOfLinkAndDeleted) {
  ObjectInfo link = Image();
  link.digest.clear();
  link.size = 0;
  link.chunks = 0;
  link.meta.link = ObjectLink{"OTHER", "target"};
  link.deleted = true;
  std::string text = ObjectInfoText(link);
  EXPECT_EQ(text.find("Digest"), std::string::npos);
  EXPECT_NE(text.find("               Link: OTHER > target\n"), std::string::npos) << text;
  EXPECT_NE(text.find("            Deleted: true\n"), std::string::npos) << text;
}

TEST_F(ViewsTest, Tables) {
  BucketStatus big = Files(), small = Files();
  big.bucket = "BIG";
  big.size = 1 << 20;
  big.last_update = At(kT);
  small.bucket = "SMALL";
  small.size = 10;
  small.description.clear();
  EXPECT_EQ(BucketListText({big, small}, At(kT + 65)),
            "╭────────────────────────────────────────────────────────────────────╮\n"
            "│                        Object Store Buckets                        │\n"
            "├────────┬─────────────┬─────────────────────┬─────────┬─────────────┤\n"
            "│ Bucket │ Description │ Created             │ Size    │ Last Update │\n"
            "├────────┼─────────────┼─────────────────────┼─────────┼─────────────┤\n"
            "│ SMALL  │             │ 2026-11-23 07:14:17 │ 10 B    │ never       │\n"
            "│ BIG    │ my files    │ 2026-11-23 07:14:17 │ 1.0 MiB │ 1m5s        │\n"
            "╰────────┴─────────────┴─────────────────────┴─────────┴─────────────╯\n");
  EXPECT_EQ(ContentsText({Image()}),
            "╭──────────────────────────────────────────╮\n"
            "│             Bucket Contents              │\n"
            "├───────────┬────────┬─────────────────────┤\n"
            "│ Name      │ Size   │ Time                │\n"
            "├───────────┼────────┼─────────────────────┤\n"
            "│ image.jpg │ 16 KiB │ 2026-11-23 07:14:17 │\n"
            "╰───────────┴────────┴─────────────────────╯\n");
}

TEST_F(ViewsTest, WatchLines) {
  ObjectInfo o = Image();
  EXPECT_EQ(WatchLine(o, false), "[2026-11-23 07:14:17] PUT FILES > image.jpg: 16 KiB bytes in 1 chunks");
  EXPECT_EQ(WatchLine(o, true),
            "[2026-11-23 07:14:17] \x1b[32mPUT\x1b[0m FILES > image.jpg: 16 KiB bytes in 1 chunks");
  o.deleted = true;
  EXPECT_EQ(WatchLine(o, false), "[2026-11-23 07:14:17] DEL FILES > image.jpg");
}

TEST_F(ViewsTest, ObjectJsonUsesGoFieldNames) {
  ObjectInfo o = Image();
  o.meta.headers = {{"A", {"1"}}};
  auto j = ObjectJson(o);
  EXPECT_EQ(j["name"], "image.jpg");
  EXPECT_EQ(j["bucket"], "FILES");
  EXPECT_EQ(j["size"], 16384);
  EXPECT_EQ(j["chunks"], 1);
  EXPECT_EQ(j["mtime"], "2026-11-23T07:14:17Z");
  EXPECT_EQ(j["options"]["max_chunk_size"], 131072);
  EXPECT_EQ(j["headers"]["A"][0], "1");
  EXPECT_EQ(j["digest"], o.digest);
  EXPECT_FALSE(j.contains("deleted"));
  EXPECT_FALSE(j.contains("description"));
}

TEST_F(ViewsTest, BucketJsonHidesServerMetadata) {
  auto j = BucketJson(Files());
  EXPECT_EQ(j["bucket"], "FILES");
  EXPECT_EQ(j["max_bytes"], -1);
  EXPECT_EQ(j["storage"], "file");
  EXPECT_EQ(j["metadata"].size(), 2u);
  EXPECT_EQ(j["created"], "2026-11-23T07:14:17Z");
  EXPECT_EQ(JsonText(nlohmann::json::array()), "[]\n");
}

TEST(ProgressTest, RendersAndOnlyOnTerminalAboveThreshold) {
  EXPECT_EQ(ProgressBar::Render(512, 1024, 2048),
            " 50% |███████████████░░░░░░░░░░░░░░░| 512 B / 1.0 KiB 2.0 KiB/s");
  std::ostringstream out, err;
  std::istringstream in;
  Console tty{out, err, in, true, true};
  Console pipe{out, err, in, false, false};
  EXPECT_TRUE(ProgressBar(tty, 20481, true).enabled());
  EXPECT_FALSE(ProgressBar(tty, 20480, true).enabled());
  EXPECT_FALSE(ProgressBar(tty, 1 << 20, false).enabled());
  EXPECT_FALSE(ProgressBar(pipe, 1 << 20, true).enabled());
  {
    ProgressBar bar(tty, 1 << 20, true);
    bar.Add(1 << 20);
  }
  EXPECT_NE(err.str().find("100%"), std::string::npos);
}

TEST(ConfirmTest, NeedsTerminal) {
  std::ostringstream out, err;
  std::istringstream no("n\n"), yes("y\n");
  Console pipe{out, err, no, false, false};
  auto refused = pipe.Confirm("Delete?");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("cannot ask for confirmation without a terminal"),
            std::string::npos);
  Console tty_no{out, err, no, true, true};
  EXPECT_FALSE(*tty_no.Confirm("Delete?"));
  Console tty_yes{out, err, yes, true, true};
  EXPECT_TRUE(*tty_yes.Confirm("Delete?"));
  EXPECT_NE(err.str().find("? Delete? (y/N) "), std::string::npos);
}

}  // namespace
}  // namespace natss3::cli
