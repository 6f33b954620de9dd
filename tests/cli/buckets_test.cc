// Integration tests of the bucket subcommands and global behaviour, on a real nats-server.
#include <nlohmann/json.hpp>

#include "cli_harness.h"

namespace natss3::cli::test {
namespace {

using natss3::test::WriteFile;

const char kFilesInfo[] =
    "Information for Object Store Bucket FILES created YYYY-MM-DD hh:mm:ss\n"
    "\n"
    "Configuration:\n"
    "\n"
    "          Bucket Name: FILES\n"
    "          Description: my files\n"
    "             Replicas: 1\n"
    "                  TTL: 1d0h0m0s\n"
    "               Sealed: false\n"
    "                 Size: 0 B\n"
    "  Maximum Bucket Size: 512 MiB\n"
    "              Storage: Memory\n"
    "   Backing Store Kind: JetStream\n"
    "     JetStream Stream: OBJ_FILES\n";

TEST_F(CliTest, AddInfoStatusLayouts) {
  auto add = Ctl({"add", "FILES", "--description", "my files", "--ttl", "1d", "--max-bucket-size",
                  "512MB", "--storage", "memory"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(MaskTimes(add.out), kFilesInfo);
  EXPECT_EQ(add.err, "");
  for (const char* cmd : {"info", "show", "i", "status"}) {
    auto info = Ctl({cmd, "FILES"});
    ASSERT_EQ(info.exit_code, 0) << cmd << info.err;
    EXPECT_EQ(MaskTimes(info.out), kFilesInfo) << cmd;
  }
}

TEST_F(CliTest, InfoJson) {
  ASSERT_EQ(Ctl({"add", "J", "--ttl", "1h", "--replicas", "1"}).exit_code, 0);
  auto info = Ctl({"info", "J", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["bucket"], "J");
  EXPECT_EQ(j["ttl"], 3600LL * 1000000000LL);
  EXPECT_EQ(j["storage"], "file");
  EXPECT_EQ(j["sealed"], false);
  EXPECT_EQ(j["max_bytes"], -1);
  EXPECT_EQ(j["stream"], "OBJ_J");
}

TEST_F(CliTest, EditChangesOnlyGivenFlags) {
  ASSERT_EQ(Ctl({"add", "E", "--ttl", "2h", "--description", "old"}).exit_code, 0);
  auto edit = Ctl({"edit", "E", "--description", "new", "--max-bucket-size", "1GiB"});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  EXPECT_NE(edit.out.find("          Description: new\n"), std::string::npos) << edit.out;
  EXPECT_NE(edit.out.find("                  TTL: 2h0m0s\n"), std::string::npos) << edit.out;
  EXPECT_NE(edit.out.find("  Maximum Bucket Size: 1.0 GiB\n"), std::string::npos) << edit.out;
  auto missing = Ctl({"edit", "NOPE", "--description", "x"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "natss3ctl: error: bucket \"NOPE\" not found\n");
}

TEST_F(CliTest, LsBuckets) {
  auto empty = Ctl({"ls"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out, "No Object Store buckets found\n");
  EXPECT_EQ(Ctl({"ls", "-n"}).out, "");
  EXPECT_EQ(Ctl({"ls", "--json"}).out, "[]\n");
  ASSERT_EQ(Ctl({"add", "B1", "--description", "first"}).exit_code, 0);
  ASSERT_EQ(Ctl({"add", "B2"}).exit_code, 0);
  auto names = Ctl({"ls", "--names"});
  EXPECT_EQ(names.out, "B1\nB2\n");
  auto table = Ctl({"ls"});
  ASSERT_EQ(table.exit_code, 0);
  std::string masked = MaskTimes(table.out);
  EXPECT_NE(masked.find("│                      Object Store Buckets                       │"), std::string::npos) << masked;
  EXPECT_NE(masked.find("│ Bucket │ Description │ Created             │ Size │ Last Update │"), std::string::npos) << masked;
  EXPECT_NE(masked.find("│ B1     │ first       │ YYYY-MM-DD hh:mm:ss │ 0 B  │ never       │"), std::string::npos) << masked;
  auto json = nlohmann::json::parse(Ctl({"ls", "--json"}).out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["bucket"], "B1");
  EXPECT_EQ(json[0]["description"], "first");
}

TEST_F(CliTest, SealNeedsTerminalOrForceThenRefusesWrites) {
  ASSERT_EQ(Ctl({"add", "S"}).exit_code, 0);
  ASSERT_TRUE(WriteFile(File("a.txt"), "abc"));
  ASSERT_EQ(Ctl({"put", "S", "a.txt"}).exit_code, 0);
  auto no_tty = Ctl({"seal", "S"});
  EXPECT_EQ(no_tty.exit_code, 1);
  EXPECT_EQ(no_tty.err,
            "natss3ctl: error: cannot ask for confirmation without a terminal, use -f to force\n");
  EXPECT_EQ(Ctl({"info", "S", "--json"}).out.find("\"sealed\": true"), std::string::npos);
  auto seal = Ctl({"seal", "S", "-f"});
  ASSERT_EQ(seal.exit_code, 0) << seal.err;
  EXPECT_EQ(seal.out.rfind("S has been sealed\nInformation for Object Store Bucket S", 0), 0u) << seal.out;
  EXPECT_NE(seal.out.find("               Sealed: true\n"), std::string::npos);
  auto put = Ctl({"put", "S", "a.txt", "-f", "--name", "b.txt"});
  EXPECT_EQ(put.exit_code, 1);
  EXPECT_EQ(put.err, "natss3ctl: error: bucket \"S\" is sealed\n");
  auto del = Ctl({"del", "S", "a.txt", "-f"});
  EXPECT_EQ(del.exit_code, 1);
  EXPECT_EQ(del.err, "natss3ctl: error: bucket \"S\" is sealed\n");
  EXPECT_EQ(Ctl({"edit", "S", "--description", "x"}).exit_code, 1);
  // Reads still work on a sealed bucket.
  auto get = Ctl({"get", "S", "a.txt", "-O", "-"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "abc");
}

TEST_F(CliTest, DeleteBucket) {
  ASSERT_EQ(Ctl({"add", "D"}).exit_code, 0);
  auto no_tty = Ctl({"rm", "D"});
  EXPECT_EQ(no_tty.exit_code, 1);
  EXPECT_NE(no_tty.err.find("cannot ask for confirmation without a terminal"), std::string::npos);
  EXPECT_EQ(Ctl({"ls", "-n"}).out, "D\n");
  auto del = Ctl({"del", "D", "-f"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(del.out, "");
  EXPECT_EQ(Ctl({"ls", "-n"}).out, "");
  EXPECT_EQ(Ctl({"del", "D", "-f"}).exit_code, 1);
}

TEST_F(CliTest, MissingBucketIsAClearFailureForEveryCommand) {
  ASSERT_TRUE(WriteFile(File("a.txt"), "abc"));
  std::vector<std::vector<std::string>> commands = {
      {"info", "NOPE"}, {"status", "NOPE"}, {"ls", "NOPE"},       {"put", "NOPE", "a.txt"},
      {"get", "NOPE", "a.txt"}, {"del", "NOPE", "x", "-f"}, {"del", "NOPE", "-f"},
      {"seal", "NOPE", "-f"}, {"watch", "NOPE"}, {"edit", "NOPE"}, {"get", "-r", "NOPE"}};
  for (const auto& args : commands) {
    auto r = Ctl(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.err, "natss3ctl: error: bucket \"NOPE\" not found\n") << args[0];
    EXPECT_EQ(r.out, "") << args[0];
  }
}

TEST_F(CliTest, InvalidBucketNameIsAUsageError) {
  for (const char* cmd : {"add", "info", "ls", "seal", "watch", "del"}) {
    auto r = Ctl({cmd, "bad.name"});
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_NE(r.err.find("natss3ctl: error: invalid bucket name"), std::string::npos) << r.err;
  }
  EXPECT_EQ(Ctl({"put", "a b", "x", "--name", "n"}).exit_code, 2);
}

TEST_F(CliTest, UnreachableServerFailsFastWithClearMessage) {
  int port = natss3::test::FreePort();
  std::string url = "nats://127.0.0.1:" + std::to_string(port);
  auto start = std::chrono::steady_clock::now();
  auto r = Ctl({"ls", "-s", url});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("natss3ctl: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(url), std::string::npos) << r.err;
  EXPECT_LT(took, std::chrono::seconds(15));
  // NATS_URL is honoured the same way.
  auto env = Ctl({"info", "B"}, "", {{"NATS_URL", url}});
  EXPECT_EQ(env.exit_code, 1);
  EXPECT_NE(env.err.find(url), std::string::npos) << env.err;
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {}, {"bogus"}, {"ls", "--bogus"}, {"add"}, {"add", "B", "--ttl", "soon"},
           {"add", "B", "--max-bucket-size", "3XB"}, {"get", "B"}, {"put", "B"}}) {
    auto r = Ctl(args);
    EXPECT_EQ(r.exit_code, 2) << (args.empty() ? "" : args[0]);
    EXPECT_EQ(r.err.rfind("natss3ctl: error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(CliTest, HelpAndVersion) {
  auto version = Ctl({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "natss3ctl 0.1.0\n");
  auto help = Ctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Exit codes:"), std::string::npos);
  EXPECT_NE(help.out.find("2  usage error"), std::string::npos);
  auto put_help = Ctl({"put", "--help"});
  EXPECT_EQ(put_help.exit_code, 0);
  EXPECT_NE(put_help.out.find("--recursive"), std::string::npos);
}

TEST_F(CliTest, NatsContextIsUsed) {
  std::string dir = home_->path() + "/.config/nats";
  std::filesystem::create_directories(dir + "/context");
  ASSERT_TRUE(WriteFile(dir + "/context/test.json", "{\"url\":\"" + server_->url() + "\"}"));
  ASSERT_TRUE(WriteFile(dir + "/context.txt", "test"));
  // No NATS_URL: the selected context must supply the server.
  ASSERT_EQ(Ctl({"add", "CTX"}, "", {{"NATS_URL", ""}}).exit_code, 0);
  EXPECT_EQ(Ctl({"ls", "-n"}, "", {{"NATS_URL", ""}}).out, "CTX\n");
  EXPECT_EQ(Ctl({"ls", "-n", "--context", "test"}, "", {{"NATS_URL", ""}}).out, "CTX\n");
  auto missing = Ctl({"ls", "--context", "nope"}, "", {{"NATS_URL", ""}});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("unknown context \"nope\""), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace natss3::cli::test
