// natss3ctl against the reference clients nats.go and @nats-io/obj, driven through
// tests/interop's tools and RefTool runner: objects natss3ctl puts are read back byte-identical
// with the same meta by each client, and what each client puts natss3ctl lists, gets and shows.
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_harness.h"
#include "interop_support.h"

namespace natss3::cli::test {
namespace {

using natss3::interop::ExpectedDigest;
using natss3::interop::RefTool;
using natss3::test::ReadFile;
using natss3::test::WriteFile;
using Json = nlohmann::ordered_json;

// Header maps compared as maps: Go sorts JSON keys, JS keeps insertion order.
nlohmann::json Unordered(const Json& j) { return nlohmann::json::parse(j.dump()); }

bool Installed(const char* path) { return path[0] != '\0' && std::filesystem::exists(path); }

// Parameter: "go" (nats.go) or "js" (@nats-io/obj).
class CliInteropTest : public CliTest, public ::testing::WithParamInterface<std::string> {
 protected:
  bool IsGo() const { return GetParam() == "go"; }

  void SetUp() override {
    if (IsGo()) {
      if (!Installed(NATSS3_GO)) {
        GTEST_SKIP() << "go is not installed, so the nats.go tool cannot be built "
                        "(scripts/deps.sh test installs golang-go)";
      }
      ASSERT_TRUE(std::filesystem::exists(NATSS3_GO_OSTOOL))
          << "go is installed but " << NATSS3_GO_OSTOOL
          << " is missing: build the target natss3_interop_go_tool";
    } else {
      if (!Installed(NATSS3_NODE)) {
        GTEST_SKIP() << "node is not installed (scripts/deps.sh test installs nodejs and npm)";
      }
      auto obj =
          std::filesystem::path(NATSS3_JS_OSTOOL).parent_path() / "node_modules/@nats-io/obj";
      ASSERT_TRUE(std::filesystem::exists(obj))
          << "node is installed but " << obj.string()
          << " is missing: build the target natss3_interop_js_deps or run scripts/deps.sh test";
    }
    CliTest::SetUp();
    tool_ = std::make_unique<RefTool>(IsGo() ? RefTool::Kind::kGo : RefTool::Kind::kJs,
                                      server_->url(), dir_->path());
  }

  Json CtlJson(const std::vector<std::string>& args) {
    auto r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  // The reference client's view of an object: its bytes (through a file) and its info.
  Json ToolGet(const std::string& bucket, const std::string& name, std::string* bytes) {
    std::string out = File("ref-" + std::to_string(++gets_) + ".bin");
    Json got = tool_->Ok("get", {{"bucket", bucket}, {"name", name}, {"out", out}});
    *bytes = ReadFile(out);
    return got;
  }

  std::unique_ptr<RefTool> tool_;
  int gets_ = 0;
};

TEST_P(CliInteropTest, ObjectsPutByCliAreReadIdenticallyByTheClient) {
  ASSERT_EQ(Ctl({"add", "IOP"}).exit_code, 0);
  // @nats-io/obj cannot open non-ASCII names (tests/interop/FINDINGS.md); nats.go can.
  const std::string name = IsGo() ? "dir/ünï code.bin" : "dir/with space.bin";
  std::string data = natss3::test::RandomBytes(300000, 11);  // 3 chunks
  ASSERT_TRUE(WriteFile(File("data.bin"), data));
  auto put = Ctl({"put", "IOP", "data.bin", "--name", name, "--description", "from the cli", "-H",
                  "Content-Type: application/octet-stream", "-H", "X-Multi:a", "-H", "X-Multi:b",
                  "-H", "X-Id:{{ID}}", "-H", "X-Literal:{{\"{{x}}\"}}"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  Json cli = CtlJson({"info", "IOP", name, "--json"});
  ASSERT_TRUE(cli.is_object());
  EXPECT_EQ(cli["headers"]["X-Id"][0].get<std::string>().size(), 22u) << cli.dump();
  EXPECT_EQ(cli["headers"]["X-Literal"], Json::array({"{{x}}"}));

  std::string bytes;
  Json got = ToolGet("IOP", name, &bytes);
  EXPECT_TRUE(bytes == data) << "the client read different bytes";
  EXPECT_EQ(got["sha256"], natss3::test::Sha256Hex(data));
  const Json& info = got["info"];
  EXPECT_EQ(Unordered(info["headers"]), Unordered(cli["headers"]));  // values in order
  EXPECT_EQ(info["description"], "from the cli");
  EXPECT_EQ(info["digest"], ExpectedDigest(data));
  EXPECT_EQ(info["digest"], cli["digest"]);
  EXPECT_EQ(info["nuid"], cli["nuid"]);
  EXPECT_EQ(info["size"], 300000);
  EXPECT_EQ(info["chunks"], 3);

  // `put` from stdin with --name, like `tar c dir | natss3ctl put B --name dir.tar`.
  std::string piped = natss3::test::RandomBytes(70000, 12);
  ASSERT_TRUE(WriteFile(File("piped.bin"), piped));
  auto from_stdin =
      Ctl({"put", "IOP", "--name", "piped.tar", "-H", "X-From:stdin"}, File("piped.bin"));
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  got = ToolGet("IOP", "piped.tar", &bytes);
  EXPECT_TRUE(bytes == piped) << "the client read different bytes";
  EXPECT_EQ(got["info"]["headers"]["X-From"], Json::array({"stdin"}));

  Json listed = tool_->Ok("ls", {{"bucket", "IOP"}});
  ASSERT_EQ(listed.size(), 2u) << listed.dump();
  EXPECT_EQ(listed[0]["name"], name);
  EXPECT_EQ(listed[1]["name"], "piped.tar");

  // A delete by natss3ctl is a delete for the client.
  ASSERT_EQ(Ctl({"del", "IOP", "piped.tar", "-f"}).exit_code, 0);
  auto gone = tool_->Run("get", {{"bucket", "IOP"}, {"name", "piped.tar"}});
  EXPECT_NE(gone.rc, 0) << gone.out;
}

TEST_P(CliInteropTest, ObjectsPutByTheClientAreListedFetchedAndShownByCli) {
  tool_->Ok("create", {{"bucket", "REF"}, {"description", "made by a client"}});
  std::string big = natss3::test::RandomBytes(200000, 21);  // 2 chunks
  ASSERT_TRUE(WriteFile(File("big.bin"), big));
  ASSERT_TRUE(WriteFile(File("small.txt"), "hello from a client\n"));
  ASSERT_TRUE(WriteFile(File("empty"), ""));
  Json put = tool_->Ok("put", {{"bucket", "REF"},
                               {"name", "sub/big.bin"},
                               {"file", File("big.bin")},
                               {"description", "big one"},
                               {"header", "X-Multi:1"},
                               {"header", "X-Multi:2"},
                               {"header", "Content-Type:application/x-test"}});
  tool_->Ok("put", {{"bucket", "REF"}, {"name", "small.txt"}, {"file", File("small.txt")}});
  tool_->Ok("put", {{"bucket", "REF"}, {"name", "empty"}, {"file", File("empty")}});

  EXPECT_EQ(Ctl({"ls", "-n"}).out, "REF\n");
  auto bucket = Ctl({"info", "REF"});
  EXPECT_NE(bucket.out.find("          Description: made by a client\n"), std::string::npos)
      << bucket.out;
  EXPECT_EQ(Ctl({"ls", "REF", "-n"}).out, "sub/big.bin\nsmall.txt\nempty\n");
  std::string table = MaskTimes(Ctl({"ls", "REF"}).out);
  EXPECT_NE(table.find("│ sub/big.bin │ 195 KiB │ YYYY-MM-DD hh:mm:ss │"), std::string::npos)
      << table;
  EXPECT_NE(table.find("│ empty       │ 0 B     │ YYYY-MM-DD hh:mm:ss │"), std::string::npos)
      << table;
  Json listed = CtlJson({"ls", "REF", "--json"});
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0]["size"], 200000);
  EXPECT_EQ(listed[1]["size"], 20);
  EXPECT_EQ(listed[2]["size"], 0);

  Json info = CtlJson({"info", "REF", "sub/big.bin", "--json"});
  EXPECT_EQ(Unordered(info["headers"]), Unordered(put["headers"])) << info.dump() << "\n"
                                                                   << put.dump();
  EXPECT_EQ(info["description"], "big one");
  EXPECT_EQ(info["digest"], ExpectedDigest(big));
  EXPECT_EQ(info["chunks"], 2);
  EXPECT_EQ(info["nuid"], put["nuid"]);
  std::string shown = Ctl({"info", "REF", "sub/big.bin"}).out;
  EXPECT_NE(shown.find("Digest: SHA-256 " + natss3::test::Sha256Hex(big)), std::string::npos)
      << shown;
  EXPECT_NE(shown.find("X-Multi: 2"), std::string::npos) << shown;

  auto get = Ctl({"get", "REF", "sub/big.bin", "-O", "copy.bin"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(ReadFile(File("copy.bin")) == big) << "natss3ctl wrote different bytes";
  EXPECT_EQ(Ctl({"get", "REF", "small.txt", "-O", "-"}).out, "hello from a client\n");
  auto empty = Ctl({"get", "REF", "empty", "-O", "empty.out"});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_TRUE(std::filesystem::exists(File("empty.out")));
  EXPECT_EQ(ReadFile(File("empty.out")), "");

  // The client's later changes reach natss3ctl's watch and listing.
  std::string watch_out = File("watch.out");
  auto watch = Background({"watch", "REF", "--json"}, watch_out);
  ASSERT_NE(watch, nullptr);
  EXPECT_TRUE(WaitFor([&] { return ReadFile(watch_out).find("\"empty\"") != std::string::npos; }))
      << ReadFile(watch_out) << ReadFile(watch_out + ".err");
  tool_->Ok("delete", {{"bucket", "REF"}, {"name", "small.txt"}});
  EXPECT_TRUE(WaitFor([&] {
    return ReadFile(watch_out).find("\"operation\":\"DEL\"") != std::string::npos;
  })) << ReadFile(watch_out);
  watch->Signal(SIGINT);
  EXPECT_EQ(watch->Wait(std::chrono::milliseconds(10000)), 0);
  EXPECT_EQ(Ctl({"ls", "REF", "-n"}).out, "sub/big.bin\nempty\n");
  auto deleted = Ctl({"get", "REF", "small.txt", "-O", "-"});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_EQ(deleted.err, "natss3ctl: error: object REF > small.txt not found\n");
}

INSTANTIATE_TEST_SUITE_P(Clients, CliInteropTest, ::testing::Values("go", "js"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace natss3::cli::test
