// Unit tests of argument parsing: dispatch, aliases, flags, positionals and usage errors.
#include "args.h"

#include <gtest/gtest.h>

namespace natss3::cli {
namespace {

Result<Invocation> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "natss3ctl");
  return ParseArgs(args);
}

TEST(ArgsTest, AliasesResolve) {
  EXPECT_EQ(Parse({"rm", "B", "x", "-f"})->command, Command::kDel);
  EXPECT_EQ(Parse({"show", "B"})->command, Command::kInfo);
  EXPECT_EQ(Parse({"i", "B"})->command, Command::kInfo);
  EXPECT_EQ(Parse({"status", "B"})->command, Command::kStatus);
}

TEST(ArgsTest, GlobalFlagsBeforeAndAfterCommand) {
  auto inv = Parse({"-s", "nats://a:1", "--timeout", "2s", "ls", "--json", "--context", "c"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_EQ(inv->command, Command::kLs);
  EXPECT_EQ(*inv->connection.server, "nats://a:1");
  EXPECT_EQ(*inv->connection.timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(*inv->connection.context, "c");
  EXPECT_TRUE(inv->json);
  EXPECT_TRUE(inv->args.empty());
}

TEST(ArgsTest, AddFlags) {
  auto inv = Parse({"add", "FILES", "--ttl", "1d", "--replicas", "3", "--max-bucket-size", "512MB",
                    "--description", "d", "--storage", "m", "--tags", "a", "--tags", "b,c",
                    "--cluster", "east", "--metadata", "owner=infra", "--metadata", "x = y",
                    "--compress"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_EQ(*inv->ttl, std::chrono::hours(24));
  EXPECT_EQ(*inv->replicas, 3);
  EXPECT_EQ(*inv->max_bucket_size, 512LL << 20);
  EXPECT_EQ(*inv->storage, StorageType::kMemory);
  EXPECT_EQ(*inv->tags, (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(*inv->cluster, "east");
  EXPECT_EQ(inv->metadata->at("owner"), "infra");
  EXPECT_EQ(inv->metadata->at("x"), "y");
  EXPECT_TRUE(*inv->compress);
}

TEST(ArgsTest, EditOnlySetsGivenFlags) {
  auto inv = Parse({"edit", "FILES", "--description", "new", "--max-bucket-size=-1"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_EQ(*inv->description, "new");
  EXPECT_EQ(*inv->max_bucket_size, -1);
  EXPECT_FALSE(inv->ttl.has_value());
  EXPECT_FALSE(inv->replicas.has_value());
  EXPECT_FALSE(inv->compress.has_value());
  EXPECT_FALSE(Parse({"edit", "FILES", "--storage", "file"}).ok());  // add only
}

TEST(ArgsTest, PutFlags) {
  auto inv = Parse({"put", "B", "file.bin", "-H", "Content-Type: text/plain, x", "--header",
                    "X-A:b", "--chunk-size", "256KiB", "--no-progress", "-f", "--name", "n"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  ASSERT_EQ(inv->headers.size(), 2u);
  EXPECT_EQ(inv->headers[0], (std::pair<std::string, std::string>{"Content-Type", "text/plain, x"}));
  EXPECT_EQ(inv->headers[1], (std::pair<std::string, std::string>{"X-A", "b"}));
  EXPECT_EQ(inv->chunk_size, 256u * 1024);
  EXPECT_FALSE(inv->progress);
  EXPECT_TRUE(inv->force);
  EXPECT_EQ(*inv->name, "n");
  EXPECT_EQ(inv->args, (std::vector<std::string>{"B", "file.bin"}));
}

TEST(ArgsTest, GetOutputDash) {
  auto inv = Parse({"get", "B", "obj", "-O", "-"});
  ASSERT_TRUE(inv.ok()) << inv.status().message();
  EXPECT_EQ(*inv->output, "-");
  EXPECT_TRUE(inv->progress);
  EXPECT_FALSE(Parse({"get", "B", "obj", "--progress=false"})->progress);
}

TEST(ArgsTest, RecursiveArity) {
  EXPECT_TRUE(Parse({"put", "-r", "B", "dir"}).ok());
  EXPECT_FALSE(Parse({"put", "-r", "B"}).ok());
  EXPECT_TRUE(Parse({"get", "-r", "B"}).ok());
  EXPECT_TRUE(Parse({"get", "--recursive", "B", "prefix", "-O", "out"}).ok());
  EXPECT_FALSE(Parse({"get", "B"}).ok());
}

TEST(ArgsTest, UsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message_part;
  };
  std::vector<Case> cases = {
      {{}, "no command given"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"ls", "--bogus"}, "bogus"},
      {{"add"}, "a BUCKET argument is required"},
      {{"add", "a.b"}, "a.b"},
      {{"add", "B", "extra"}, "unexpected argument \"extra\""},
      {{"add", "B", "--ttl", "forever"}, "--ttl"},
      {{"add", "B", "--max-bucket-size", "12XB"}, "--max-bucket-size"},
      {{"add", "B", "--storage", "disk"}, "--storage"},
      {{"add", "B", "--replicas", "x"}, "--replicas must be between 1 and 5"},
      {{"add", "B", "--metadata", "novalue"}, "--metadata"},
      {{"put", "B"}, "--name is required when reading from stdin"},
      {{"put", "B", "-"}, "--name is required when reading from stdin"},
      {{"put", "B", "f", "-H", "nocolon"}, "--header"},
      {{"get", "B", "o", "-O"}, "option \"O\" is missing an argument"},
      {{"ls", "--timeout", "0"}, "--timeout"},
  };
  for (const auto& c : cases) {
    auto inv = Parse(c.args);
    ASSERT_FALSE(inv.ok()) << c.message_part;
    EXPECT_EQ(inv.status().code(), Code::kInvalidArgument);
    EXPECT_NE(inv.status().message().find(c.message_part), std::string::npos)
        << inv.status().message();
  }
}

TEST(ArgsTest, HelpAndVersion) {
  EXPECT_TRUE(Parse({"--help"})->help);
  EXPECT_TRUE(Parse({"--version"})->version);
  auto help = Parse({"put", "--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help->command, Command::kPut);
  EXPECT_NE(CommandHelp("put").find("--chunk-size"), std::string::npos);
  std::string main_help = MainHelp();
  EXPECT_NE(main_help.find("Exit codes:"), std::string::npos);
  EXPECT_NE(main_help.find("del, rm"), std::string::npos);
  EXPECT_NE(main_help.find("--context"), std::string::npos);
}

}  // namespace
}  // namespace natss3::cli
