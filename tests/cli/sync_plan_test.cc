// Unit tests of `natss3ctl sync`'s pure part: which side is the bucket, filters, the plan, and
// the command line.
#include "sync_plan.h"

#include <gtest/gtest.h>

#include "args.h"
#include "terminal.h"

namespace natss3::cli {
namespace {

TEST(SyncPlanTest, EndpointsFollowRsyncsColonRule) {
  auto bucket = ParseSyncEndpoint("T:backup/2026");
  ASSERT_TRUE(bucket.ok()) << bucket.status().message();
  EXPECT_TRUE(bucket->is_bucket);
  EXPECT_EQ(bucket->bucket, "T");
  EXPECT_EQ(bucket->prefix, "backup/2026/");
  EXPECT_EQ(ParseSyncEndpoint("T:")->prefix, "");
  EXPECT_EQ(ParseSyncEndpoint("T:.")->prefix, "");
  EXPECT_EQ(ParseSyncEndpoint("T:./a//b/")->prefix, "a/b/");
  EXPECT_TRUE(ParseSyncEndpoint("T:")->is_bucket);

  auto local = ParseSyncEndpoint("./a:b");  // a slash before the colon: a local directory
  ASSERT_TRUE(local.ok());
  EXPECT_FALSE(local->is_bucket);
  EXPECT_EQ(local->path, "./a:b");
  EXPECT_FALSE(ParseSyncEndpoint("dir")->is_bucket);
  EXPECT_FALSE(ParseSyncEndpoint("/srv/x:y")->is_bucket);

  auto bad = ParseSyncEndpoint("no.dots:x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("./no.dots:x"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(ParseSyncEndpoint("").ok());
  EXPECT_FALSE(ParseSyncEndpoint(":x").ok());  // empty bucket name
}

TEST(SyncPlanTest, FirstMatchingFilterDecides) {
  std::vector<SyncFilter> keep_first = {{true, "keep.log"}, {false, "*.log"}};
  EXPECT_TRUE(SyncIncluded(keep_first, "keep.log"));
  EXPECT_TRUE(SyncIncluded(keep_first, "sub/keep.log"));  // no '/': also the base name
  EXPECT_FALSE(SyncIncluded(keep_first, "a.log"));
  EXPECT_FALSE(SyncIncluded(keep_first, "deep/er/a.log"));  // '*' crosses '/'
  EXPECT_TRUE(SyncIncluded(keep_first, "a.txt"));           // no match: included
  std::vector<SyncFilter> exclude_first = {{false, "*.log"}, {true, "keep.log"}};
  EXPECT_FALSE(SyncIncluded(exclude_first, "keep.log"));
  std::vector<SyncFilter> tree = {{false, "cache/*"}};
  EXPECT_FALSE(SyncIncluded(tree, "cache/a/b"));
  EXPECT_TRUE(SyncIncluded(tree, "x/cache/a"));  // has a '/': whole path only
  EXPECT_TRUE(SyncIncluded({}, "anything"));
  std::vector<SyncFilter> only_txt = {{true, "*.txt"}, {false, "*"}};
  EXPECT_TRUE(SyncIncluded(only_txt, "a/b.txt"));
  EXPECT_FALSE(SyncIncluded(only_txt, "a/b.bin"));
}

TEST(SyncPlanTest, SafeRelativeNames) {
  EXPECT_TRUE(SafeRelativeName("a/b c/日本.txt"));
  for (const char* bad : {"", "/a", "a//b", "./a", "a/..", "../x", "a/", "a/./b"}) {
    EXPECT_FALSE(SafeRelativeName(bad)) << bad;
  }
}

TEST(SyncPlanTest, SizesDecideAndEqualSizesAreCompared) {
  std::map<std::string, SyncSide> src = {
      {"new", {5, true}}, {"grown", {9, true}}, {"same", {4, true}}, {"nodigest", {4, true}}};
  std::map<std::string, SyncSide> dst = {
      {"grown", {3, true}}, {"same", {4, true}}, {"nodigest", {4, false}}, {"extra", {1, true}}};
  SyncPlan plan = PlanSync(src, dst, false);
  EXPECT_EQ(plan.copy, (std::vector<std::string>{"grown", "new", "nodigest"}));
  EXPECT_EQ(plan.compare, (std::vector<std::string>{"same"}));
  EXPECT_TRUE(plan.remove.empty());
  EXPECT_EQ(PlanSync(src, dst, true).remove, (std::vector<std::string>{"extra"}));
  EXPECT_TRUE(PlanSync({}, {}, true).copy.empty());
}

Result<Invocation> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "natss3ctl");
  return ParseArgs(args);
}

TEST(SyncArgsTest, FlagsAndFilterOrder) {
  auto inv = Parse({"sync", "src", "T:p", "--exclude", "*.log", "-j", "8", "--include", "a,b.log",
                    "--exclude", "tmp/*", "--delete", "--dry-run", "-q", "-H", "X-A:1",
                    "--chunk-size", "64KiB", "--json"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_EQ(inv->command, Command::kSync);
  EXPECT_EQ(inv->jobs, 8);
  EXPECT_TRUE(inv->delete_extraneous);
  EXPECT_TRUE(inv->dry_run);
  EXPECT_TRUE(inv->quiet);
  EXPECT_TRUE(inv->json);
  EXPECT_EQ(inv->chunk_size, 64u * 1024);
  ASSERT_EQ(inv->headers.size(), 1u);
  ASSERT_EQ(inv->filters.size(), 3u);
  EXPECT_FALSE(inv->filters[0].include);
  EXPECT_EQ(inv->filters[0].pattern, "*.log");
  EXPECT_TRUE(inv->filters[1].include);
  EXPECT_EQ(inv->filters[1].pattern, "a,b.log");  // a comma stays inside one pattern
  EXPECT_EQ(inv->filters[2].pattern, "tmp/*");

  auto defaults = Parse({"sync", "T:", "dst"});
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->jobs, 4);
  EXPECT_FALSE(defaults->delete_extraneous);
  EXPECT_TRUE(defaults->progress);
  EXPECT_FALSE(Parse({"sync", "T:", "dst", "--no-progress"})->progress);
}

TEST(SyncArgsTest, UsageErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"sync", "a", "b"},              // two directories
           {"sync", "A:", "B:x"},           // two buckets
           {"sync", "T:"},                  // DST missing
           {"sync", "T:", "d", "extra"},    // too many
           {"sync", "T:", "d", "-j", "0"},  // jobs out of range
           {"sync", "T:", "d", "-j", "65"},
           {"sync", "T:", "d", "-j", "x"},
           {"sync", "T:", "d", "--exclude", ""},
           {"sync", "T:", "d", "-f"},  // sync never prompts: no --force
           {"sync", "bad.name:", "d"}}) {
    auto inv = Parse(args);
    ASSERT_FALSE(inv.ok()) << args[1] << " " << (args.size() > 2 ? args[2] : "");
    EXPECT_EQ(inv.status().code(), Code::kInvalidArgument);
  }
  auto both = Parse({"sync", "a", "b"});
  EXPECT_NE(both.status().message().find("BUCKET:[PREFIX]"), std::string::npos)
      << both.status().message();
}

TEST(SyncProgressTest, RenderAddsFiles) {
  EXPECT_EQ(SyncProgress::Render(512, 1024, 3, 10, 2048),
            " 50% |███████████████░░░░░░░░░░░░░░░| 512 B / 1.0 KiB, 3/10 files 2.0 KiB/s");
}

}  // namespace
}  // namespace natss3::cli
