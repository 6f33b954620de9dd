// Integration tests of streaming transfers: directory trees and a large object through pipes
// with sha256 equality and bounded peak RSS.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "cli_harness.h"

namespace natss3::cli::test {
namespace {

namespace fs = std::filesystem;
using natss3::test::ReadFile;
using natss3::test::WriteFile;

using TransferTest = BucketTreeTest;

TEST_F(TransferTest, RecursivePutAndGetRoundTrip) {
  MakeTree(File("src"));
  auto put = Ctl({"put", "-r", "T", "src"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_NE(put.out.find("Put T > sub/a.bin (293 KiB)\n"), std::string::npos) << put.out;
  EXPECT_NE(put.out.find("Put 4 files (293 KiB) into T\n"), std::string::npos) << put.out;
  EXPECT_EQ(Ctl({"ls", "T", "-n"}).out,
            "sub/a.bin\nsub/deeper/b c.txt\nsub/deeper/日本語.txt\ntop.txt\n");

  auto get = Ctl({"get", "-r", "T", "-O", "dst"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(Files(File("dst")), Files(File("src")));
  for (const auto& f : Files(File("src"))) {
    EXPECT_EQ(ReadFile(File("dst/" + f)), ReadFile(File("src/" + f))) << f;
  }
  // Without -f, existing targets need confirmation.
  auto again = Ctl({"get", "-r", "T", "-O", "dst"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("cannot ask for confirmation without a terminal"), std::string::npos);
  EXPECT_EQ(Ctl({"get", "-r", "T", "-O", "dst", "-f"}).exit_code, 0);
}

TEST_F(TransferTest, RecursiveWithPrefix) {
  MakeTree(File("src"));
  ASSERT_EQ(Ctl({"put", "--recursive", "T", "src", "--name", "backup/2026"}).exit_code, 0);
  EXPECT_NE(Ctl({"ls", "T", "-n"}).out.find("\nbackup/2026/top.txt\n"), std::string::npos);
  auto get = Ctl({"get", "-r", "T", "backup/2026/sub/", "-O", "only-sub", "--json"});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(Files(File("only-sub")),
            (std::vector<std::string>{"a.bin", "deeper/b c.txt", "deeper/日本語.txt"}));
  auto json = nlohmann::json::parse(get.out);
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[0]["object"]["name"], "backup/2026/sub/a.bin");
  EXPECT_EQ(json[0]["bytes"], 300000);
}

TEST_F(TransferTest, RecursivePrefixIsJoinedCleanly) {
  fs::create_directories(File("one"));
  ASSERT_TRUE(WriteFile(File("one/a"), "a"));
  for (const char* name : {"", "./", "x/./y/", "/"}) {
    ASSERT_EQ(Ctl({"put", "-r", "T", "one", "--name", name, "-f"}).exit_code, 0) << name;
  }
  EXPECT_EQ(Ctl({"ls", "T", "-n"}).out, "a\nx/y/a\n/a\n");
}

TEST_F(TransferTest, RecursiveGetSkipsUnsafeNames) {
  ASSERT_TRUE(WriteFile(File("x"), "x"));
  ASSERT_EQ(Ctl({"put", "T", "x", "--name", "../escape"}).exit_code, 0);
  ASSERT_EQ(Ctl({"put", "T", "x", "--name", "fine"}).exit_code, 0);
  auto get = Ctl({"get", "-r", "T", "-O", "out"});
  EXPECT_EQ(get.exit_code, 1);
  EXPECT_NE(get.err.find("skipping T > ../escape"), std::string::npos) << get.err;
  EXPECT_EQ(ReadFile(File("out/fine")), "x");
  EXPECT_FALSE(fs::exists(File("escape")));
}

TEST_F(TransferTest, PutOfDirectoryWithoutRecursiveFails) {
  fs::create_directories(File("d"));
  auto r = Ctl({"put", "T", "d"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "natss3ctl: error: d is a directory, use --recursive\n");
}

// Special files are written in place (renaming a temporary file over /dev/null would replace
// it with a regular file) and a symbolic link keeps pointing at the replaced file.
TEST_F(TransferTest, GetIntoFifoAndThroughSymlink) {
  const std::string data = natss3::test::RandomBytes(200000, 7);
  ASSERT_TRUE(WriteFile(File("src"), data));
  ASSERT_EQ(Ctl({"put", "T", "src", "--name", "obj"}).exit_code, 0);

  const std::string fifo = File("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Held open read-write: the get's open never blocks, and a failing get cannot hang the test.
  int fd = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK);
  ASSERT_GE(fd, 0);
  std::string got;
  std::thread drain([&] {
    char buf[65536];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (got.size() < data.size() && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n > 0) got.append(buf, static_cast<size_t>(n));
    }
  });
  auto get = Ctl({"get", "-f", "T", "obj", "-O", fifo});
  drain.join();
  ::close(fd);
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(got == data) << got.size() << " bytes";
  EXPECT_TRUE(fs::is_fifo(fifo));
  for (const auto& f : Files(File("."))) EXPECT_EQ(f.find(".natss3ctl-"), std::string::npos) << f;

  ASSERT_TRUE(WriteFile(File("target"), "old"));
  fs::create_symlink(File("target"), File("link"));
  auto via_link = Ctl({"get", "-f", "T", "obj", "-O", "link"});
  EXPECT_EQ(via_link.exit_code, 0) << via_link.err;
  EXPECT_TRUE(fs::is_symlink(File("link")));
  EXPECT_TRUE(ReadFile(File("target")) == data);
}

// A replaced file keeps its mode; a file with two names changes under both; a dangling link
// gets its target created (the link stays a link).
TEST_F(TransferTest, GetReplacesFilesTheWayTheyWere) {
  const std::string data = "new contents\n";
  ASSERT_TRUE(WriteFile(File("src"), data));
  ASSERT_EQ(Ctl({"put", "T", "src", "--name", "obj"}).exit_code, 0);

  ASSERT_TRUE(WriteFile(File("secret"), "old"));
  fs::permissions(File("secret"), fs::perms::owner_read | fs::perms::owner_write);
  ASSERT_EQ(Ctl({"get", "-f", "T", "obj", "-O", "secret"}).exit_code, 0);
  EXPECT_EQ(ReadFile(File("secret")), data);
  EXPECT_EQ(fs::status(File("secret")).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  ASSERT_TRUE(WriteFile(File("h1"), "old"));
  fs::create_hard_link(File("h1"), File("h2"));
  ASSERT_EQ(Ctl({"get", "-f", "T", "obj", "-O", "h1"}).exit_code, 0);
  EXPECT_EQ(ReadFile(File("h2")), data);

  fs::create_symlink("not-yet", File("dangling"));
  auto dangling = Ctl({"get", "-f", "T", "obj", "-O", "dangling"});
  EXPECT_EQ(dangling.exit_code, 0) << dangling.err;
  EXPECT_TRUE(fs::is_symlink(File("dangling")));
  EXPECT_EQ(ReadFile(File("not-yet")), data);
}

// "-" is stdout only as -O's value, and an empty -O (an unset "$DEST") is no -O at all.
TEST_F(TransferTest, OutputNamesAreTakenLiterally) {
  ASSERT_TRUE(WriteFile(File("src"), "dash"));
  ASSERT_EQ(Ctl({"put", "T", "src", "--name", "dir/-"}).exit_code, 0);
  auto dash = Ctl({"get", "T", "dir/-"});
  EXPECT_EQ(dash.exit_code, 0) << dash.err;
  EXPECT_EQ(ReadFile(File("-")), "dash");
  EXPECT_EQ(dash.out.find("dash"), std::string::npos) << dash.out;

  const std::string probe = "natss3-empty-output-probe.txt";
  ASSERT_EQ(Ctl({"put", "T", "src", "--name", probe}).exit_code, 0);
  auto empty = Ctl({"get", "-r", "T", "-O", ""});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(ReadFile(File(probe)), "dash");
  EXPECT_FALSE(fs::exists("/" + probe));
}

// Object names come from the paths as given: a linked file is stored under the link's name, and
// "./a.txt" is the object "a.txt" (so replacing it needs -f).
TEST_F(TransferTest, PutNamesArePathsAsGiven) {
  fs::create_directories(File("tree"));
  ASSERT_TRUE(WriteFile(File("tree/a.txt"), "a"));
  fs::create_symlink("a.txt", File("tree/latest"));
  auto put = Ctl({"put", "-r", "T", "tree"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(Ctl({"ls", "T", "-n"}).out, "a.txt\nlatest\n");

  ASSERT_TRUE(WriteFile(File("a.txt"), "top"));
  auto again = Ctl({"put", "T", "./a.txt"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  EXPECT_EQ(Ctl({"get", "T", "a.txt", "-O", "-"}).out, "a");
}

long MaxRssKb(const std::string& time_output) {
  std::smatch m;
  static const std::regex kRss(R"(Maximum resident set size \(kbytes\): (\d+))");
  return std::regex_search(time_output, m, kRss) ? std::stol(m[1]) : -1;
}

// The size is 256 MiB to keep the suite fast; NATSS3_CLI_LARGE_MB overrides it (1024 for the
// manual 1 GiB measurement).
TEST_F(TransferTest, LargeObjectThroughPipesWithBoundedMemory) {
  long megabytes = 256;
  if (const char* env = std::getenv("NATSS3_CLI_LARGE_MB")) megabytes = std::atol(env);
  std::string size = std::to_string(megabytes * 1024 * 1024);
  std::string gen = "openssl enc -aes-128-ctr -pass pass:natss3 -nosalt -pbkdf2 < /dev/zero "
                    "2>/dev/null | head -c " + size;
  std::string output;
  ASSERT_EQ(Shell(gen + " | sha256sum | cut -d' ' -f1 > src.sha", &output), 0) << output;
  ASSERT_EQ(Shell(gen + " | /usr/bin/time -v -o put.time $CTL put T --name big > put.out; "
                        "test ${PIPESTATUS[2]} -eq 0", &output), 0) << output;
  ASSERT_EQ(Shell("/usr/bin/time -v -o get.time $CTL get T big -O - | sha256sum | "
                  "cut -d' ' -f1 > dst.sha; test ${PIPESTATUS[0]} -eq 0", &output), 0) << output;
  std::string src_sha = ReadFile(File("src.sha")), dst_sha = ReadFile(File("dst.sha"));
  EXPECT_EQ(src_sha.size(), 65u);
  EXPECT_EQ(src_sha, dst_sha);
  auto info = nlohmann::json::parse(Ctl({"info", "T", "big", "--json"}).out);
  EXPECT_EQ(info["size"].get<int64_t>(), megabytes * 1024 * 1024);
  long put_rss = MaxRssKb(ReadFile(File("put.time")));
  long get_rss = MaxRssKb(ReadFile(File("get.time")));
  std::cout << "[ RSS ] " << megabytes << " MiB put peak RSS " << put_rss / 1024 << " MiB, get "
            << get_rss / 1024 << " MiB\n";
  ASSERT_GT(put_rss, 0);
  ASSERT_GT(get_rss, 0);
  // Flat memory: far below the object size, whatever the object size.
  EXPECT_LT(put_rss, 64 * 1024);
  EXPECT_LT(get_rss, 64 * 1024);
}

}  // namespace
}  // namespace natss3::cli::test
