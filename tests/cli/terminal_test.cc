// Terminal interaction: `info` without a BUCKET (natscli's bucket picker on a terminal, a usage
// error without one) and the replace/seal/delete-bucket prompts. `script` gives natss3ctl a
// pseudo-terminal; the answers come from its stdin.
#include "cli_harness.h"

namespace natss3::cli::test {
namespace {

const char kNeedsBucket[] =
    "natss3ctl: error: a BUCKET argument is required (natss3ctl info offers a list of buckets to "
    "pick from only when stdin and stderr are a terminal; usage: natss3ctl info BUCKET)\n";

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(CliTest, InfoWithoutBucketAndWithoutTerminalIsAUsageError) {
  ASSERT_EQ(Ctl({"add", "B1"}).exit_code, 0);
  for (const char* command : {"info", "show", "i"}) {
    auto r = Ctl({command});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_EQ(r.err, kNeedsBucket) << command;
    EXPECT_EQ(r.out, "") << command;
  }
  auto status = Ctl({"status", "--json"});
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_NE(status.err.find("natss3ctl status offers a list"), std::string::npos) << status.err;
  // Decided before connecting: an unreachable server gives the same answer, at once.
  std::string dead = "nats://127.0.0.1:" + std::to_string(natss3::test::FreePort());
  auto offline = Ctl({"info"}, "", {{"NATS_URL", dead}});
  EXPECT_EQ(offline.exit_code, 2);
  EXPECT_EQ(offline.err, kNeedsBucket);
}

TEST_F(CliTest, InfoWithoutBucketOffersAPickerOnATerminal) {
  ASSERT_EQ(Ctl({"add", "ZED", "--description", "last"}).exit_code, 0);
  ASSERT_EQ(Ctl({"add", "ALPHA", "--description", "first"}).exit_code, 0);
  std::string output;
  ASSERT_EQ(Shell("printf '2\\n' | script -qec \"$CTL info\" /dev/null", &output), 0) << output;
  EXPECT_TRUE(Contains(output, "? Select a Bucket:\r\n  1) ALPHA\r\n  2) ZED\r\n")) << output;
  EXPECT_TRUE(Contains(output, "Information for Object Store Bucket ZED created")) << output;
  EXPECT_TRUE(Contains(output, "Description: last")) << output;

  // A wrong answer asks again; a name is an answer too; --json still goes to stdout.
  ASSERT_EQ(
      Shell("printf 'nine\\nALPHA\\n' | script -qec \"$CTL status --json\" /dev/null", &output), 0)
      << output;
  EXPECT_TRUE(Contains(output, "not one of the choices: \"nine\"")) << output;
  EXPECT_TRUE(Contains(output, "\"bucket\": \"ALPHA\"")) << output;
  EXPECT_TRUE(Contains(output, "\"description\": \"first\"")) << output;

  // End of input picks nothing: a failure, not a guess.
  EXPECT_EQ(Shell("printf '' | script -qec \"$CTL info\" /dev/null", &output), 1) << output;
  EXPECT_TRUE(Contains(output, "natss3ctl: error: nothing selected")) << output;
  EXPECT_FALSE(Contains(output, "Information for")) << output;
}

TEST_F(CliTest, InfoPickerWithNoBucketsFails) {
  std::string output;
  EXPECT_EQ(Shell("printf '1\\n' | script -qec \"$CTL info\" /dev/null", &output), 1) << output;
  EXPECT_TRUE(Contains(output, "natss3ctl: error: no Object Store buckets found")) << output;
  EXPECT_FALSE(Contains(output, "Select a Bucket")) << output;
}

// Each natscli prompt: "n" changes nothing and exits 0, "y" goes ahead.
TEST_F(CliTest, ReplaceSealAndBucketDeletePromptsOnATerminal) {
  ASSERT_EQ(Ctl({"add", "P"}).exit_code, 0);
  ASSERT_TRUE(natss3::test::WriteFile(File("f.txt"), "one"));
  ASSERT_EQ(Ctl({"put", "P", "f.txt"}).exit_code, 0);
  ASSERT_TRUE(natss3::test::WriteFile(File("f.txt"), "two"));
  std::string output;
  auto ask = [&](const std::string& answer, const std::string& command) {
    return Shell("printf '" + answer + "\\n' | script -qec \"$CTL " + command + "\" /dev/null",
                 &output);
  };
  ASSERT_EQ(ask("n", "put P f.txt"), 0) << output;
  EXPECT_TRUE(Contains(output, "Object information for P > f.txt")) << output;  // shown first
  EXPECT_TRUE(Contains(output, "? Replace existing file P > f.txt (y/N)")) << output;
  EXPECT_EQ(Ctl({"get", "P", "f.txt", "-O", "-"}).out, "one");
  ASSERT_EQ(ask("y", "put P f.txt"), 0) << output;
  EXPECT_EQ(Ctl({"get", "P", "f.txt", "-O", "-"}).out, "two");

  ASSERT_TRUE(natss3::test::WriteFile(File("f.txt"), "local"));
  ASSERT_EQ(ask("n", "get P f.txt"), 0) << output;
  EXPECT_TRUE(Contains(output, "? Replace existing target file " + File("f.txt") + " (y/N)"))
      << output;
  EXPECT_EQ(natss3::test::ReadFile(File("f.txt")), "local");
  ASSERT_EQ(ask("y", "get P f.txt"), 0) << output;
  EXPECT_EQ(natss3::test::ReadFile(File("f.txt")), "two");

  ASSERT_EQ(ask("n", "seal P"), 0) << output;
  EXPECT_TRUE(Contains(output,
                       "? Really seal Bucket P, sealed buckets can not be unsealed or "
                       "modified (y/N)"))
      << output;
  EXPECT_NE(Ctl({"info", "P"}).out.find("Sealed: false"), std::string::npos);
  ASSERT_EQ(ask("y", "seal P"), 0) << output;
  EXPECT_TRUE(Contains(output, "P has been sealed")) << output;

  ASSERT_EQ(ask("n", "del P"), 0) << output;
  EXPECT_TRUE(Contains(output, "? Delete bucket P and all its files? (y/N)")) << output;
  EXPECT_TRUE(Contains(output, "Skipping delete")) << output;
  EXPECT_EQ(Ctl({"ls", "-n"}).out, "P\n");
  ASSERT_EQ(ask("y", "rm P"), 0) << output;
  EXPECT_EQ(Ctl({"ls", "-n"}).out, "");
}

}  // namespace
}  // namespace natss3::cli::test
