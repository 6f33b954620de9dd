// Integration tests of the object subcommands: put, get, info, del, ls, watch.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_harness.h"

namespace natss3::cli::test {
namespace {

using natss3::test::ReadFile;
using natss3::test::WriteFile;

const char kPutOutput[] =
    "\n"
    "Object information for OB > hello.txt\n"
    "\n"
    "        Description: greeting\n"
    "               Size: 12 B\n"
    "  Modification Time: YYYY-MM-DD hh:mm:ss\n"
    "             Chunks: 1\n"
    "             Digest: SHA-256 a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447\n"
    "            Headers: Content-Type: text/plain\n"
    "                     X-Multi: a\n"
    "                     X-Multi: b\n";

class ObjectsTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    ASSERT_EQ(Ctl({"add", "OB"}).exit_code, 0);
    ASSERT_TRUE(WriteFile(File("hello.txt"), "hello world\n"));
  }
};

// MD5 only where it is an ETag: natss3ctl records it when asked (--md5), not by default.
TEST_F(ObjectsTest, Md5IsRecordedOnlyWithTheFlag) {
  ASSERT_EQ(Ctl({"put", "OB", File("hello.txt"), "--name", "plain"}).exit_code, 0);
  auto plain = nlohmann::json::parse(Ctl({"info", "OB", "plain", "--json"}).out);
  EXPECT_FALSE(plain.contains("headers") && plain["headers"].contains("Natss3-Content-Md5"))
      << plain.dump();
  auto put = Ctl({"put", "OB", File("hello.txt"), "--name", "with-md5", "--md5"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_NE(put.out.find("Natss3-Content-Md5: 6f5902ac237024bdd0c176cb93063dc4"), std::string::npos)
      << put.out;
}

TEST_F(ObjectsTest, PutInfoGetLayouts) {
  std::filesystem::create_directories(File("x"));
  auto put = Ctl({"put", "OB", "./x/../hello.txt", "--description", "greeting", "-H",
                  "Content-Type: text/plain", "-H", "X-Multi:a", "-H", "X-Multi:b"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(MaskTimes(put.out), kPutOutput);  // the name was Clean()ed
  auto info = Ctl({"info", "OB", "hello.txt"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(MaskTimes(info.out), std::string(kPutOutput).substr(1));
  auto json = nlohmann::json::parse(Ctl({"info", "OB", "hello.txt", "--json"}).out);
  EXPECT_EQ(json["name"], "hello.txt");
  EXPECT_EQ(json["size"], 12);
  EXPECT_EQ(json["digest"], "SHA-256=qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A-4XSmaGSpEc=");
  EXPECT_EQ(json["headers"]["X-Multi"], nlohmann::json::array({"a", "b"}));

  auto get = Ctl({"get", "OB", "hello.txt", "-O", "copy.txt"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(MaskTimes(get.out), "Wrote: 12 B to " + File("copy.txt") + " in <dur>\n");
  EXPECT_EQ(ReadFile(File("copy.txt")), "hello world\n");
  auto stdout_get = Ctl({"get", "OB", "hello.txt", "-O", "-"});
  EXPECT_EQ(stdout_get.out, "hello world\n");
  auto get_json = nlohmann::json::parse(Ctl({"get", "OB", "hello.txt", "-O", "j.txt", "--json"}).out);
  EXPECT_EQ(get_json["bytes"], 12);
  EXPECT_EQ(get_json["path"], File("j.txt"));
}

TEST_F(ObjectsTest, GetDefaultsToBaseNameAndAsksBeforeReplacing) {
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt", "--name", "dir/sub/name.txt"}).exit_code, 0);
  std::filesystem::create_directories(File("out"));
  auto get = Ctl({"get", "OB", "dir/sub/name.txt"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(ReadFile(File("name.txt")), "hello world\n");
  ASSERT_TRUE(WriteFile(File("name.txt"), "keep me"));
  auto again = Ctl({"get", "OB", "dir/sub/name.txt"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("cannot ask for confirmation without a terminal"), std::string::npos);
  EXPECT_EQ(ReadFile(File("name.txt")), "keep me");
  EXPECT_EQ(Ctl({"get", "OB", "dir/sub/name.txt", "-f"}).exit_code, 0);
  EXPECT_EQ(ReadFile(File("name.txt")), "hello world\n");
  // -O naming a directory writes inside it.
  EXPECT_EQ(Ctl({"get", "OB", "dir/sub/name.txt", "-O", "out"}).exit_code, 0);
  EXPECT_EQ(ReadFile(File("out/name.txt")), "hello world\n");
}

TEST_F(ObjectsTest, FailedGetLeavesNoPartialFile) {
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt"}).exit_code, 0);
  auto r = Ctl({"get", "OB", "hello.txt", "-O", "no/such/dir/x.txt"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("natss3ctl: error: create ", 0), 0u) << r.err;
  auto missing = Ctl({"get", "OB", "nope.txt", "-O", "nope.txt"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "natss3ctl: error: object OB > nope.txt not found\n");
  EXPECT_FALSE(std::filesystem::exists(File("nope.txt")));
  for (const auto& entry : std::filesystem::directory_iterator(dir_->path())) {
    EXPECT_EQ(entry.path().filename().string().find(".natss3ctl-"), std::string::npos);
  }
}

TEST_F(ObjectsTest, PutFromStdinAndReplace) {
  auto put = Ctl({"put", "OB", "--name", "from-stdin"}, File("hello.txt"));
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(Ctl({"get", "OB", "from-stdin", "-O", "-"}).out, "hello world\n");
  auto dash = Ctl({"put", "OB", "-", "--name", "dash", "-f"}, File("hello.txt"));
  EXPECT_EQ(dash.exit_code, 0) << dash.err;

  ASSERT_TRUE(WriteFile(File("v2.txt"), "version 2"));
  auto replace = Ctl({"put", "OB", "v2.txt", "--name", "from-stdin"});
  EXPECT_EQ(replace.exit_code, 1);
  EXPECT_NE(replace.err.find("exists; cannot ask for confirmation without a terminal"),
            std::string::npos) << replace.err;
  EXPECT_EQ(Ctl({"get", "OB", "from-stdin", "-O", "-"}).out, "hello world\n");
  ASSERT_EQ(Ctl({"put", "OB", "v2.txt", "--name", "from-stdin", "-f"}).exit_code, 0);
  EXPECT_EQ(Ctl({"get", "OB", "from-stdin", "-O", "-"}).out, "version 2");

  // An empty --name is no --name, as in natscli: the file names the object.
  ASSERT_EQ(Ctl({"put", "OB", "v2.txt", "--name", ""}).exit_code, 0);
  EXPECT_EQ(Ctl({"get", "OB", "v2.txt", "-O", "-"}).out, "version 2");
  EXPECT_EQ(Ctl({"put", "OB", "--name", ""}, File("hello.txt")).exit_code, 2);

  auto missing_file = Ctl({"put", "OB", "does-not-exist.txt"});
  EXPECT_EQ(missing_file.exit_code, 1);
  EXPECT_EQ(missing_file.err,
            "natss3ctl: error: open does-not-exist.txt: No such file or directory\n");
}

TEST_F(ObjectsTest, HeaderValuesAreNatscliTemplates) {
  auto before = std::chrono::system_clock::now();
  auto put = Ctl({"put", "OB", "hello.txt", "-H", "X-Id: {{ID}}", "-H", "X-When:{{Unix}}",
                  "-H", "X-N:n{{.Count}}  ", "-H", "X-Lit:{{\"{{\"}}Count}}", "--json"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  auto headers = nlohmann::json::parse(put.out)["headers"];
  std::string id = headers["X-Id"][0];
  EXPECT_EQ(id.size(), 22u) << id;
  int64_t when = std::stoll(headers["X-When"][0].get<std::string>());
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GE(when, std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch()).count());
  EXPECT_LE(when, now);
  EXPECT_EQ(headers["X-N"], nlohmann::json::array({"n0"}));  // trimmed like natscli
  EXPECT_EQ(headers["X-Lit"], nlohmann::json::array({"{{Count}}"}));
  // Each put draws a new ID, and each object of a recursive put too.
  auto again = nlohmann::json::parse(Ctl({"put", "OB", "hello.txt", "-f", "-H", "X-Id:{{ID}}", "--json"}).out);
  EXPECT_NE(again["headers"]["X-Id"][0], id);
  std::filesystem::create_directories(File("tree"));
  ASSERT_TRUE(WriteFile(File("tree/a"), "a"));
  ASSERT_TRUE(WriteFile(File("tree/b"), "b"));
  auto tree = nlohmann::json::parse(Ctl({"put", "-r", "OB", "tree", "-H", "X-Id:{{ID}}", "--json"}).out);
  ASSERT_EQ(tree.size(), 2u);
  EXPECT_NE(tree[0]["headers"]["X-Id"], tree[1]["headers"]["X-Id"]);

  // A malformed template is a usage error, found before anything is read or sent.
  auto bad = Ctl({"put", "OB", "hello.txt", "--name", "bad", "-H", "X-Bad:{{Nope}}"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "natss3ctl: error: invalid --header \"X-Bad:{{Nope}}\": function \"Nope\" not defined\n");
  auto unclosed = Ctl({"put", "OB", "hello.txt", "--name", "bad", "-H", "X-Bad:{{ID"});
  EXPECT_EQ(unclosed.exit_code, 2);
  EXPECT_EQ(unclosed.err, "natss3ctl: error: invalid --header \"X-Bad:{{ID\": unclosed action\n");
  EXPECT_EQ(Ctl({"info", "OB", "bad"}).exit_code, 1);
}

TEST_F(ObjectsTest, EmptyObjectAndChunkSize) {
  ASSERT_TRUE(WriteFile(File("empty"), ""));
  ASSERT_EQ(Ctl({"put", "OB", "empty"}).exit_code, 0);
  auto info = nlohmann::json::parse(Ctl({"info", "OB", "empty", "--json"}).out);
  EXPECT_EQ(info["size"], 0);
  EXPECT_EQ(info["chunks"], 0);
  EXPECT_EQ(Ctl({"get", "OB", "empty", "-O", "-"}).out, "");
  std::string data = natss3::test::RandomBytes(100000, 7);
  ASSERT_TRUE(WriteFile(File("r.bin"), data));
  ASSERT_EQ(Ctl({"put", "OB", "r.bin", "--chunk-size", "16KiB"}).exit_code, 0);
  auto r = nlohmann::json::parse(Ctl({"info", "OB", "r.bin", "--json"}).out);
  EXPECT_EQ(r["chunks"], 7);  // ceil(100000 / 16384)
  EXPECT_EQ(Ctl({"get", "OB", "r.bin", "-O", "-"}).out, data);
}

TEST_F(ObjectsTest, DeleteObject) {
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt"}).exit_code, 0);
  auto no_tty = Ctl({"del", "OB", "hello.txt"});
  EXPECT_EQ(no_tty.exit_code, 1);
  EXPECT_EQ(no_tty.err,
            "natss3ctl: error: cannot ask for confirmation without a terminal, use -f to force\n");
  auto del = Ctl({"rm", "OB", "hello.txt", "-f"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(MaskTimes(del.out).rfind("Removed OB > hello.txt\nInformation for Object Store Bucket OB created YYYY-MM-DD hh:mm:ss\n", 0), 0u) << del.out;
  auto info = Ctl({"info", "OB", "hello.txt"});
  EXPECT_EQ(info.exit_code, 1);
  EXPECT_EQ(info.err, "natss3ctl: error: object OB > hello.txt not found\n");
  EXPECT_EQ(Ctl({"get", "OB", "hello.txt", "-O", "-"}).exit_code, 1);
  auto never = Ctl({"del", "OB", "never-existed", "-f"});
  EXPECT_EQ(never.exit_code, 1);
  EXPECT_EQ(never.err, "natss3ctl: error: object OB > never-existed not found\n");
  EXPECT_EQ(Ctl({"del", "OB", "never-existed"}).err,
            "natss3ctl: error: object OB > never-existed not found\n");
}

TEST_F(ObjectsTest, LsContents) {
  auto empty = Ctl({"ls", "OB"});
  EXPECT_EQ(empty.out, "No entries found\n");
  EXPECT_EQ(Ctl({"ls", "OB", "--json"}).out, "[]\n");
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt", "--name", "b"}).exit_code, 0);
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt", "--name", "a"}).exit_code, 0);
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt", "--name", "gone"}).exit_code, 0);
  ASSERT_EQ(Ctl({"del", "OB", "gone", "-f"}).exit_code, 0);
  EXPECT_EQ(Ctl({"ls", "OB", "-n"}).out, "b\na\n");  // stream order, deleted excluded
  EXPECT_EQ(MaskTimes(Ctl({"ls", "OB"}).out),
            "╭───────────────────────────────────╮\n"
            "│          Bucket Contents          │\n"
            "├──────┬──────┬─────────────────────┤\n"
            "│ Name │ Size │ Time                │\n"
            "├──────┼──────┼─────────────────────┤\n"
            "│ b    │ 12 B │ YYYY-MM-DD hh:mm:ss │\n"
            "│ a    │ 12 B │ YYYY-MM-DD hh:mm:ss │\n"
            "╰──────┴──────┴─────────────────────╯\n");
  auto json = nlohmann::json::parse(Ctl({"ls", "OB", "--json"}).out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["name"], "a");
  EXPECT_EQ(json[1]["size"], 12);
}

TEST_F(ObjectsTest, WatchPrintsPutsAndDeletesUntilInterrupted) {
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt", "--name", "before"}).exit_code, 0);
  std::string out = File("watch.out");
  auto watch = Background({"watch", "OB"}, out);
  ASSERT_NE(watch, nullptr);
  EXPECT_TRUE(WaitFor([&] { return ReadFile(out).find("before") != std::string::npos; }))
      << ReadFile(out) << ReadFile(out + ".err");
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt", "--name", "after"}).exit_code, 0);
  ASSERT_EQ(Ctl({"del", "OB", "before", "-f"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] { return ReadFile(out).find("DEL OB > before") != std::string::npos; }))
      << ReadFile(out);
  watch->Signal(SIGINT);
  EXPECT_EQ(watch->Wait(std::chrono::milliseconds(10000)), 0);
  EXPECT_EQ(MaskTimes(ReadFile(out)),
            "[YYYY-MM-DD hh:mm:ss] PUT OB > before: 12 B bytes in 1 chunks\n"
            "[YYYY-MM-DD hh:mm:ss] PUT OB > after: 12 B bytes in 1 chunks\n"
            "[YYYY-MM-DD hh:mm:ss] DEL OB > before\n");
}

TEST_F(ObjectsTest, PromptsOnATerminal) {
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt"}).exit_code, 0);
  // `script` gives natss3ctl a pseudo-terminal; the answers come from our stdin.
  std::string output;
  ASSERT_EQ(Shell("printf 'n\\n' | script -qec \"$CTL del OB hello.txt\" /dev/null", &output), 0)
      << output;
  EXPECT_NE(output.find("Delete 12 B byte file OB > hello.txt? (y/N)"), std::string::npos) << output;
  EXPECT_NE(output.find("Skipping delete"), std::string::npos) << output;
  EXPECT_EQ(Ctl({"info", "OB", "hello.txt"}).exit_code, 0);
  ASSERT_EQ(Shell("printf 'y\\n' | script -qec \"$CTL del OB hello.txt\" /dev/null", &output), 0)
      << output;
  EXPECT_NE(output.find("Removed OB > hello.txt"), std::string::npos) << output;
  EXPECT_EQ(Ctl({"info", "OB", "hello.txt"}).exit_code, 1);
}

// Ctrl-C at a prompt ends the command; a "y" typed afterwards must not delete anything.
TEST_F(ObjectsTest, CtrlCAtAPromptCancels) {
  ASSERT_EQ(Ctl({"put", "OB", "hello.txt"}).exit_code, 0);
  std::string output;
  Shell("(sleep 1; printf '\\003'; sleep 1; printf 'y\\n') | "
        "script -qec \"$CTL del OB hello.txt\" /dev/null",
        &output);
  EXPECT_EQ(output.find("Removed OB > hello.txt"), std::string::npos) << output;
  EXPECT_EQ(Ctl({"info", "OB", "hello.txt"}).exit_code, 0) << output;
}

class ObjectsLsTest : public CliTest {};

// `ls` lists a name the server left out of the consumer's list (docs/cluster.md; here the
// fault point drops the first one): the names the stream leader holds are checked, the one
// missing is added, and the warning goes to stderr, never into the listing on stdout.
TEST_F(ObjectsLsTest, LsAddsANameTheConsumerLeftOutAndWarnsOnStderr) {
  ASSERT_EQ(Ctl({"add", "LB"}).exit_code, 0);
  WriteFile(File("f"), "data");
  for (const char* name : {"first", "second", "third"})
    ASSERT_EQ(Ctl({"put", "LB", File("f"), "--name", name, "--no-progress"}).exit_code, 0);
  CtlResult ls = Ctl({"ls", "LB", "-n"}, "", {{"NATSS3_FAULT_AT", "watch.drop_initial:1"}});
  ASSERT_EQ(ls.exit_code, 0) << ls.err;
  std::istringstream lines(ls.out);
  std::vector<std::string> names;
  for (std::string line; std::getline(lines, line);) names.push_back(line);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"first", "second", "third"})) << ls.out;
  EXPECT_NE(ls.err.find("lacked first"), std::string::npos) << ls.err;
}

}  // namespace
}  // namespace natss3::cli::test
