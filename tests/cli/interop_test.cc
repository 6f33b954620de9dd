// natss3ctl against the reference nats.go client (tests/interop's ostool): objects put by
// either side are read back byte-identical by the other.
#include <nlohmann/json.hpp>

#include "cli_harness.h"

namespace natss3::cli::test {
namespace {

using natss3::test::ReadFile;
using natss3::test::WriteFile;

class GoInteropTest : public CliTest {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(NATSS3_GO_OSTOOL)) GTEST_SKIP() << "nats.go tool not built";
    CliTest::SetUp();
  }
  nlohmann::json Go(std::vector<std::string> args) {
    args.insert(args.begin(), NATSS3_GO_OSTOOL);
    args.insert(args.end(), {"-s", server_->url()});
    std::string output;
    int rc = natss3::test::RunCommand(args, &output);
    EXPECT_EQ(rc, 0) << output;
    auto lines = output.substr(0, output.find_last_not_of('\n') + 1);
    return nlohmann::json::parse(lines.substr(lines.rfind('\n') + 1), nullptr, false);
  }
};

TEST_F(GoInteropTest, CliPutGoGetAndBack) {
  std::string data = natss3::test::RandomBytes(300000, 11);
  ASSERT_TRUE(WriteFile(File("data.bin"), data));
  ASSERT_EQ(Ctl({"add", "IOP"}).exit_code, 0);
  auto put = Ctl({"put", "IOP", "data.bin", "--name", "dir/ünï code.bin", "-H", "X-A:1"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto got = Go({"get", "-bucket", "IOP", "-name", "dir/ünï code.bin"});
  EXPECT_EQ(got["sha256"], natss3::test::Sha256Hex(data));
  EXPECT_EQ(got["size"], 300000);
  EXPECT_EQ(got["info"]["headers"]["X-A"][0], "1");

  std::string other = natss3::test::RandomBytes(200000, 12);
  ASSERT_TRUE(WriteFile(File("other.bin"), other));
  Go({"put", "-bucket", "IOP", "-name", "from-go", "-file", File("other.bin"), "-description", "go"});
  auto get = Ctl({"get", "IOP", "from-go", "-O", "-"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(get.out == other);
  auto info = nlohmann::json::parse(Ctl({"info", "IOP", "from-go", "--json"}).out);
  EXPECT_EQ(info["description"], "go");
  EXPECT_EQ(info["chunks"], 2);
  EXPECT_EQ(Ctl({"ls", "IOP", "-n"}).out, "dir/ünï code.bin\nfrom-go\n");
  // A delete through the CLI is seen by Go.
  ASSERT_EQ(Ctl({"del", "IOP", "from-go", "-f"}).exit_code, 0);
  std::string output;
  EXPECT_NE(natss3::test::RunCommand({NATSS3_GO_OSTOOL, "get", "-bucket", "IOP", "-name",
                                      "from-go", "-s", server_->url()}, &output), 0);
}

}  // namespace
}  // namespace natss3::cli::test
