// natss3ctl and object lock: rm, put -f (replace), sync --delete and bucket rm of an object
// under retention or legal hold are refused with a clear message and a non-zero exit, and the
// object stays as it was.
#include <ctime>
#include <filesystem>

#include "cli_harness.h"

namespace natss3::cli::test {
namespace {

using natss3::test::WriteFile;

std::string InOneHour() {
  std::time_t t = std::time(nullptr) + 3600;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class ObjectLockCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Ctl({"add", "LK"}).exit_code, 0);
    ASSERT_TRUE(WriteFile(File("doc.txt"), "the original\n"));
    // natss3d writes these headers for x-amz-object-lock-*; natss3ctl can write them too.
    auto put =
        Ctl({"put", "LK", File("doc.txt"), "--name", "doc.txt", "-H", "Natss3-Lock-Mode:COMPLIANCE",
             "-H", "Natss3-Lock-Retain-Until:" + InOneHour()});
    ASSERT_EQ(put.exit_code, 0) << put.err;
  }
  void ExpectRefused(const CtlResult& r) {
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find("object lock"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("COMPLIANCE retention until"), std::string::npos) << r.err;
  }
  void ExpectUnchanged() {
    auto got = Ctl({"get", "LK", "doc.txt", "-O", File("back.txt")});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(natss3::test::ReadFile(File("back.txt")), "the original\n");
  }
};

TEST_F(ObjectLockCliTest, RmIsRefused) {
  ExpectRefused(Ctl({"rm", "LK", "doc.txt", "-f"}));
  ExpectUnchanged();
}

TEST_F(ObjectLockCliTest, ReplacingPutIsRefused) {
  ASSERT_TRUE(WriteFile(File("doc.txt"), "a replacement\n"));
  ExpectRefused(Ctl({"put", "LK", File("doc.txt"), "--name", "doc.txt", "-f"}));
  ExpectUnchanged();
}

TEST_F(ObjectLockCliTest, SyncDeleteIsRefused) {
  std::filesystem::create_directories(File("src"));
  ASSERT_TRUE(WriteFile(File("src/other.txt"), "other\n"));
  auto r = Ctl({"sync", File("src"), "LK:", "--delete"});
  EXPECT_NE(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("object lock"), std::string::npos) << r.out << r.err;
  ExpectUnchanged();
}

TEST_F(ObjectLockCliTest, BucketRmIsRefused) {
  auto r = Ctl({"rm", "LK", "-f"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.err.find("object lock"), std::string::npos) << r.err;
  ExpectUnchanged();
}

}  // namespace
}  // namespace natss3::cli::test
