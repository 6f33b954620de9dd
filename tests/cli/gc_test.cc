// Integration tests of `natss3ctl gc`: a put killed at the crash point before its meta leaves
// orphan chunks; gc reports them (dry run by default), purges them with --purge, and leaves
// objects alone.
#include <signal.h>

#include <nlohmann/json.hpp>

#include "cli_harness.h"

namespace natss3::cli::test {
namespace {

using natss3::test::WriteFile;

class GcTest : public CliTest {};

TEST_F(GcTest, ReportsThenPurgesWhatACrashedPutLeft) {
  ASSERT_EQ(Ctl({"add", "GB"}).exit_code, 0);
  WriteFile(File("keep"), std::string(300 * 1024, 'k'));
  WriteFile(File("big"), std::string(900 * 1024, 'b'));
  ASSERT_EQ(Ctl({"put", "GB", File("keep"), "--name", "keep", "--no-progress"}).exit_code, 0);
  CtlResult crashed = Ctl({"put", "GB", File("big"), "--name", "big", "--no-progress"}, "",
                          {{"NATSS3_CRASH_AT", "put.before_meta"}});
  ASSERT_EQ(crashed.exit_code, 128 + SIGKILL) << crashed.err;
  EXPECT_NE(Ctl({"info", "GB", "big"}).exit_code, 0) << "a crashed put became visible";

  CtlResult dry = Ctl({"gc", "GB", "--json", "--grace", "0s"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  auto report = nlohmann::json::parse(dry.out);
  EXPECT_TRUE(report["dry_run"].get<bool>());
  EXPECT_EQ(report["chunk_subjects"], 2);
  EXPECT_EQ(report["referenced"], 1);
  ASSERT_EQ(report["orphans"].size(), 1u);
  EXPECT_EQ(report["orphans"][0]["messages"], 8);
  EXPECT_FALSE(report["orphans"][0]["purged"].get<bool>());

  // The default grace (60 s) protects young data: nothing is purged yet.
  CtlResult young = Ctl({"gc", "GB", "--purge"});
  ASSERT_EQ(young.exit_code, 0) << young.err;
  EXPECT_NE(young.out.find("kept (younger than the grace)"), std::string::npos) << young.out;

  CtlResult purged = Ctl({"gc", "GB", "--purge", "--grace", "0s", "--json"});
  ASSERT_EQ(purged.exit_code, 0) << purged.err;
  report = nlohmann::json::parse(purged.out);
  EXPECT_EQ(report["purged_messages"], 8);
  EXPECT_LT(report["stream_bytes_after"].get<uint64_t>(),
            report["stream_bytes_before"].get<uint64_t>());

  report = nlohmann::json::parse(Ctl({"gc", "GB", "--json", "--grace", "0s"}).out);
  EXPECT_TRUE(report["orphans"].empty());
  CtlResult human = Ctl({"gc", "GB"});
  EXPECT_NE(human.out.find("No orphan chunks"), std::string::npos) << human.out;
  EXPECT_EQ(Ctl({"get", "GB", "keep", "-O", File("out"), "--no-progress"}).exit_code, 0);
  EXPECT_EQ(natss3::test::ReadFile(File("out")), std::string(300 * 1024, 'k'));
}

TEST_F(GcTest, UsageErrors) {
  EXPECT_EQ(Ctl({"gc"}).exit_code, 2);
  EXPECT_EQ(Ctl({"gc", "B", "--grace", "soon"}).exit_code, 2);
  EXPECT_EQ(Ctl({"gc", "NoSuchBucket"}).exit_code, 1);
}

}  // namespace
}  // namespace natss3::cli::test
