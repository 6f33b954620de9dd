// Integration tests of `natss3ctl sync` against a real nats-server: both directions, the
// SHA-256 skip, --delete, filters, --dry-run, -j, failures and links. The JSON summary proves
// what was (not) transferred; object nuids prove that a skipped object was not rewritten.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_harness.h"
#include "natss3/nats_store.h"

namespace natss3::cli::test {
namespace {

namespace fs = std::filesystem;
using natss3::test::ReadFile;
using natss3::test::WriteFile;
using Json = nlohmann::json;

class SyncTest : public BucketTreeTest {
 protected:
  // Runs sync with --json and returns the summary; fails the test on a bad exit code.
  Json Sync(std::vector<std::string> args, int expected_exit = 0) {
    args.insert(args.begin(), "sync");
    args.push_back("--json");
    auto r = Ctl(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err << r.out;
    try {
      return Json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << r.out << r.err;
      return Json::object();
    }
  }
  // Stores an object under exactly `name` (put cleans names: no "dir/" markers through it).
  void PutRaw(const std::string& name, const std::string& data) {
    ConnectOptions options;
    options.servers = server_->url();
    auto store = ConnectNats(options);
    ASSERT_TRUE(store.ok()) << store.status().message();
    ObjectMeta meta;
    meta.name = name;
    auto put = (*store)->PutBytes("T", meta, data);
    ASSERT_TRUE(put.ok()) << put.status().message();
  }
  // Object names, sorted (ls lists in stream order, and parallel uploads finish in any order).
  std::string Names() {
    std::istringstream lines(Ctl({"ls", "T", "-n"}).out);
    std::vector<std::string> names;
    for (std::string line; std::getline(lines, line);) names.push_back(line);
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& name : names) out += name + "\n";
    return out;
  }
  std::string Nuid(const std::string& name) {
    auto r = Ctl({"info", "T", name, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out).value("nuid", "");
  }
  std::string Object(const std::string& name) {
    auto r = Ctl({"get", "T", name, "-O", "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
};

void ExpectCounts(const Json& j, int copied, int skipped, int deleted) {
  EXPECT_EQ(j.value("copied", -1), copied) << j.dump();
  EXPECT_EQ(j.value("skipped", -1), skipped) << j.dump();
  EXPECT_EQ(j.value("deleted", -1), deleted) << j.dump();
}

TEST_F(SyncTest, UpSyncThenNothingToDo) {
  MakeTree(File("src"));
  Json first = Sync({"src", "T:backup"});
  ExpectCounts(first, 4, 0, 0);
  EXPECT_EQ(first["bytes"], 3 + 300000 + 9 + 7);
  EXPECT_EQ(first["errors"], Json::array());
  EXPECT_EQ(first["dry_run"], false);
  EXPECT_EQ(Names(),
            "backup/sub/a.bin\nbackup/sub/deeper/b c.txt\nbackup/sub/deeper/日本語.txt\n"
            "backup/top.txt\n");
  EXPECT_EQ(Object("backup/sub/a.bin"), ReadFile(File("src/sub/a.bin")));
  std::string nuid = Nuid("backup/top.txt");

  // Same sizes, same digests: nothing is transferred, no object is rewritten.
  Json second = Sync({"src", "T:backup"});
  ExpectCounts(second, 0, 4, 0);
  EXPECT_EQ(second["bytes"], 0);
  EXPECT_EQ(Nuid("backup/top.txt"), nuid);

  // The human layout.
  auto human = Ctl({"sync", "src", "T:backup"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(human.out, "Synced: 0 copied (0 B), 4 unchanged, 0 deleted\n");
  EXPECT_EQ(human.err, "");
  auto quiet = Ctl({"sync", "src", "T:backup", "-q"});
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, "");
}

TEST_F(SyncTest, OnlyTheChangedFileIsCopied) {
  MakeTree(File("src"));
  ExpectCounts(Sync({"src", "T:"}), 4, 0, 0);
  std::string untouched = Nuid("top.txt");

  // Another size: copied without hashing.
  ASSERT_TRUE(WriteFile(File("src/sub/deeper/b c.txt"), "longer content now"));
  Json grown = Sync({"src", "T:"});
  ExpectCounts(grown, 1, 3, 0);
  EXPECT_EQ(grown["bytes"], 18);
  EXPECT_EQ(Object("sub/deeper/b c.txt"), "longer content now");

  // The same size with other bytes: only the SHA-256 tells, and it does.
  std::string data = ReadFile(File("src/sub/a.bin"));
  data[150000] = static_cast<char>(data[150000] ^ 0x5a);
  ASSERT_TRUE(WriteFile(File("src/sub/a.bin"), data));
  auto human = Ctl({"sync", "src", "T:"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(human.out,
            "Put T > sub/a.bin (293 KiB)\nSynced: 1 copied (293 KiB), 3 unchanged, 0 deleted\n");
  EXPECT_EQ(Object("sub/a.bin"), data);

  // Rewritten with identical bytes (a new mtime): skipped.
  ASSERT_TRUE(WriteFile(File("src/top.txt"), "top"));
  ExpectCounts(Sync({"src", "T:"}), 0, 4, 0);
  EXPECT_EQ(Nuid("top.txt"), untouched);
}

TEST_F(SyncTest, DeleteUpOnlyUnderThePrefix) {
  MakeTree(File("src"));
  ExpectCounts(Sync({"src", "T:p"}), 4, 0, 0);
  PutRaw("pz/keep", "x");  // a sibling prefix
  PutRaw("keep-root", "x");
  PutRaw("p/gone.txt", "x");
  PutRaw("p/dir/", "");  // a directory marker
  fs::remove(File("src/top.txt"));

  // Without --delete nothing goes.
  ExpectCounts(Sync({"src", "T:p"}), 0, 3, 0);
  EXPECT_NE(Names().find("p/top.txt\n"), std::string::npos);

  Json deleted = Sync({"src", "T:p", "--delete"});
  ExpectCounts(deleted, 0, 3, 2);
  EXPECT_EQ(Names(),
            "keep-root\np/dir/\np/sub/a.bin\np/sub/deeper/b c.txt\np/sub/deeper/日本語.txt\n"
            "pz/keep\n");
}

TEST_F(SyncTest, DownSyncAndDeleteDown) {
  MakeTree(File("src"));
  ExpectCounts(Sync({"src", "T:p/"}), 4, 0, 0);
  PutRaw("outside", "x");
  PutRaw("p/made/by/mkdir/", "");

  Json down = Sync({"T:p", "dst/nested"});  // the directory is created
  ExpectCounts(down, 4, 0, 0);
  EXPECT_EQ(Files(File("dst/nested")),
            (std::vector<std::string>{"sub/a.bin", "sub/deeper/b c.txt", "sub/deeper/日本語.txt",
                                      "top.txt"}));
  for (const auto& f : Files(File("src"))) {
    EXPECT_EQ(ReadFile(File("dst/nested/" + f)), ReadFile(File("src/" + f))) << f;
  }
  ExpectCounts(Sync({"T:p", "dst/nested"}), 0, 4, 0);

  // A local change of the same size is detected by hash and undone.
  ASSERT_TRUE(WriteFile(File("dst/nested/top.txt"), "TOP"));
  ExpectCounts(Sync({"T:p", "dst/nested"}), 1, 3, 0);
  EXPECT_EQ(ReadFile(File("dst/nested/top.txt")), "top");

  // --delete removes local extras, but not excluded ones.
  ASSERT_TRUE(WriteFile(File("dst/nested/extra.txt"), "extra"));
  ASSERT_TRUE(WriteFile(File("dst/nested/sub/notes.keep"), "mine"));
  ExpectCounts(Sync({"T:p", "dst/nested", "--delete", "--exclude", "*.keep"}), 0, 4, 1);
  EXPECT_FALSE(fs::exists(File("dst/nested/extra.txt")));
  EXPECT_TRUE(fs::exists(File("dst/nested/sub/notes.keep")));
}

TEST_F(SyncTest, ExcludeAndIncludeFirstMatchWins) {
  fs::create_directories(File("src/logs"));
  fs::create_directories(File("src/cache"));
  ASSERT_TRUE(WriteFile(File("src/a.txt"), "a"));
  ASSERT_TRUE(WriteFile(File("src/logs/x.log"), "x"));
  ASSERT_TRUE(WriteFile(File("src/logs/keep.log"), "k"));
  ASSERT_TRUE(WriteFile(File("src/cache/c"), "c"));

  Json first =
      Sync({"src", "T:", "--include", "keep.log", "--exclude", "*.log", "--exclude", "cache/*"});
  ExpectCounts(first, 2, 0, 0);
  EXPECT_EQ(Names(), "a.txt\nlogs/keep.log\n");

  // The other order: the exclude comes first and wins for keep.log too.
  ASSERT_EQ(Ctl({"del", "T", "logs/keep.log", "-f"}).exit_code, 0);
  ExpectCounts(Sync({"src", "T:", "--exclude", "*.log", "--include", "keep.log"}), 1, 1, 0);
  EXPECT_EQ(Names(), "a.txt\ncache/c\n");

  // Excluded objects on the destination survive --delete.
  PutRaw("old.log", "o");
  fs::remove(File("src/a.txt"));
  ExpectCounts(Sync({"src", "T:", "--delete", "--exclude", "*.log"}), 0, 1, 1);
  EXPECT_EQ(Names(), "cache/c\nold.log\n");
}

TEST_F(SyncTest, DryRunChangesNothing) {
  MakeTree(File("src"));
  ExpectCounts(Sync({"src", "T:"}), 4, 0, 0);
  ASSERT_EQ(Ctl({"put", "T", "src/top.txt", "--name", "extra", "-f"}).exit_code, 0);
  std::string names = Names();
  std::string nuid = Nuid("top.txt");
  ASSERT_TRUE(WriteFile(File("src/top.txt"), "TOP"));  // same size, other bytes
  ASSERT_TRUE(WriteFile(File("src/new.txt"), "new"));

  Json dry = Sync({"src", "T:", "--delete", "--dry-run"});
  ExpectCounts(dry, 2, 3, 1);
  EXPECT_EQ(dry["bytes"], 6);
  EXPECT_EQ(dry["dry_run"], true);
  auto human = Ctl({"sync", "src", "T:", "--delete", "--dry-run", "-j", "1"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_EQ(human.out,
            "Would put T > new.txt (3 B)\nWould put T > top.txt (3 B)\nWould delete T > extra\n"
            "Dry run, nothing changed: 2 copied (6 B), 3 unchanged, 1 deleted\n");
  EXPECT_EQ(Names(), names);
  EXPECT_EQ(Nuid("top.txt"), nuid);

  // Down: no file or directory appears.
  ExpectCounts(Sync({"T:", "fresh", "--dry-run"}), 5, 0, 0);
  EXPECT_FALSE(fs::exists(File("fresh")));
}

TEST_F(SyncTest, ManySmallFilesInParallel) {
  constexpr int kFiles = 300;
  for (int i = 0; i < kFiles; ++i) {
    std::string dir = File("src/d" + std::to_string(i % 7));
    fs::create_directories(dir);
    ASSERT_TRUE(WriteFile(dir + "/f" + std::to_string(i), "file " + std::to_string(i)));
  }
  Json up = Sync({"src", "T:many", "-j", "8"});
  ExpectCounts(up, kFiles, 0, 0);
  EXPECT_EQ(up["errors"], Json::array());
  ExpectCounts(Sync({"src", "T:many", "-j", "8"}), 0, kFiles, 0);

  Json down = Sync({"T:many", "copy", "-j", "8"});
  ExpectCounts(down, kFiles, 0, 0);
  auto files = Files(File("copy"));
  ASSERT_EQ(files.size(), static_cast<size_t>(kFiles));
  for (const auto& f : files)
    EXPECT_EQ(ReadFile(File("copy/" + f)), ReadFile(File("src/" + f))) << f;
}

TEST_F(SyncTest, AFailedFileDoesNotStopTheOthers) {
  MakeTree(File("src"));
  ExpectCounts(Sync({"src", "T:"}), 4, 0, 0);
  PutRaw("../escape", "o");
  // A directory where the file should go: that download fails, the others complete.
  fs::create_directories(File("dst/top.txt"));
  auto r = Ctl({"sync", "T:", "dst", "-j", "2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("natss3ctl: error: 2 of 5 files failed: ../escape, top.txt"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("Synced: 3 copied (293 KiB), 0 unchanged, 0 deleted, 2 failed"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(ReadFile(File("dst/sub/a.bin")), ReadFile(File("src/sub/a.bin")));
  EXPECT_FALSE(fs::exists(File("escape")));

  Json j = Sync({"T:", "dst"}, 1);
  ExpectCounts(j, 0, 3, 0);
  ASSERT_EQ(j["errors"].size(), 2u);
  EXPECT_EQ(j["errors"][1]["path"], "top.txt");
  EXPECT_NE(j["errors"][1]["error"].get<std::string>().find("directory"), std::string::npos)
      << j.dump();
}

TEST_F(SyncTest, SymlinksAndSpecialFiles) {
  MakeTree(File("src"));
  ASSERT_EQ(::symlink("top.txt", File("src/link-to-file").c_str()), 0);
  ASSERT_EQ(::symlink("sub", File("src/link-to-dir").c_str()), 0);
  ASSERT_EQ(::symlink("nowhere", File("src/dangling").c_str()), 0);
  ASSERT_EQ(::mkfifo(File("src/fifo").c_str(), 0600), 0);
  auto r = Ctl({"sync", "src", "T:", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectCounts(Json::parse(r.out), 5, 0, 0);
  EXPECT_EQ(Object("link-to-file"), "top");  // followed, stored under the link's name
  EXPECT_NE(r.err.find("warning: skipping src/link-to-dir: a symbolic link to a directory"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("warning: skipping src/dangling: a symbolic link to no regular file"),
            std::string::npos);
  EXPECT_NE(r.err.find("warning: skipping src/fifo: not a regular file"), std::string::npos);
  EXPECT_EQ(Names().find("link-to-dir"), std::string::npos);
}

// On a terminal: one bar for the whole sync (bytes and files), lines printed above it, and no
// prompt even though objects are replaced.
TEST_F(SyncTest, OneProgressBarOnATerminalAndNoPrompts) {
  fs::create_directories(File("src"));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(WriteFile(File("src/f" + std::to_string(i)), natss3::test::RandomBytes(4096, i)));
  }
  std::string output;
  ASSERT_EQ(Shell("script -qec \"$CTL sync src T: -j 4\" /dev/null < /dev/null", &output), 0)
      << output;
  EXPECT_NE(output.find("| 80 KiB / 80 KiB, 20/20 files "), std::string::npos) << output;
  EXPECT_NE(output.find("Synced: 20 copied (80 KiB), 0 unchanged, 0 deleted"), std::string::npos);
  // Same sizes, other bytes: all replaced, without "Replace existing file" questions.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        WriteFile(File("src/f" + std::to_string(i)), natss3::test::RandomBytes(4096, 99 + i)));
  }
  ASSERT_EQ(Shell("script -qec \"$CTL sync src T: --no-progress\" /dev/null < /dev/null", &output),
            0)
      << output;
  EXPECT_EQ(output.find("files "), std::string::npos) << output;
  EXPECT_EQ(output.find("?"), std::string::npos) << output;
  EXPECT_NE(output.find("Synced: 20 copied (80 KiB), 0 unchanged, 0 deleted"), std::string::npos);
  ASSERT_EQ(Shell("script -qec \"$CTL sync src T: -q\" /dev/null < /dev/null", &output), 0);
  EXPECT_EQ(output, "");
}

TEST_F(SyncTest, MissingOrSealedEnds) {
  auto missing = Ctl({"sync", "nosuchdir", "T:"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nosuchdir is not a directory"), std::string::npos) << missing.err;
  auto nobucket = Ctl({"sync", "T2:", "dst"});
  EXPECT_EQ(nobucket.exit_code, 1);
  EXPECT_NE(nobucket.err.find("bucket \"T2\" not found"), std::string::npos) << nobucket.err;
  EXPECT_EQ(Ctl({"sync", "a", "b"}).exit_code, 2);
  ASSERT_EQ(Ctl({"seal", "T", "-f"}).exit_code, 0);
  fs::create_directories(File("src"));
  auto sealed = Ctl({"sync", "src", "T:"});
  EXPECT_EQ(sealed.exit_code, 1);
  EXPECT_NE(sealed.err.find("sealed"), std::string::npos) << sealed.err;
}

}  // namespace
}  // namespace natss3::cli::test
