// natss3fs end to end: its connection settings as natss3ctl takes them (secrets from files,
// the environment and nats CLI contexts, never left in ps) and FUSE's standard options.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "mount_fixture.h"

namespace natss3::test {
namespace {

using std::chrono::seconds;

constexpr const char* kUser = "fsuser";
constexpr const char* kPassword = "Pa55-word-9f3c1e";

// /proc/PID/cmdline with the NULs between arguments as spaces: what ps shows.
std::string CommandLineOf(pid_t pid) {
  std::string text = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : text) c = c == '\0' ? ' ' : c;
  return text;
}

// The /proc/self/mountinfo line of `path`, empty when not mounted.
std::string MountInfo(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return line;
  }
  return "";
}

// A second nats-server that wants a user and password, with bucket "b".
class MountOptionsTest : public MountFixture {
 protected:
  void SetUp() override {
    MountFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    NatsServer::Options options;
    options.config_text = std::string("authorization { user: ") + kUser + ", password: \"" +
                          kPassword + "\" }\n";
    auth_ = NatsServer::Start(options);
    ASSERT_NE(auth_, nullptr);
    ConnectOptions connect;
    connect.servers = auth_->url();
    connect.user = kUser;
    connect.password = kPassword;
    auto store = ConnectNats(connect);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auth_store_ = std::move(store).value();
    BucketConfig config;
    config.bucket = "b";
    ASSERT_TRUE(auth_store_->CreateBucket(config).ok());
  }
  // Mounts bucket b of the password-protected server with `args`, writes a file through the
  // mount and checks that the server got it.
  void MountAndWrite(std::vector<std::string> args, std::map<std::string, std::string> env,
                     const std::string& file) {
    std::vector<std::string> all = {"-f", "--cache-dir", work_->File("cache"), "--bucket", "b"};
    all.insert(all.end(), args.begin(), args.end());
    env.emplace("HOME", work_->path());  // no contexts of the machine's user
    ASSERT_TRUE(MountWith(all, env)) << ReadFile(work_->File("natss3fs.log"));
    ASSERT_EQ(WriteThrough(Path(file), "through " + file), 0);
    EXPECT_EQ(BytesOf(*auth_store_, "b", file), "through " + file);
  }

  std::unique_ptr<NatsServer> auth_;
  std::shared_ptr<ObjectStore> auth_store_;
};

// -o password= still works, but natss3fs overwrites it in its argv: every local user can read
// /proc/PID/cmdline for as long as the mount lives.
TEST_F(MountOptionsTest, PasswordIsNotVisibleInPs) {
  MountAndWrite({"--server", auth_->url(), "-o",
                 std::string("user=") + kUser + ",password=" + kPassword},
                {}, "cmdline");
  std::string cmdline = CommandLineOf(fs_->pid());
  EXPECT_EQ(cmdline.find(kPassword), std::string::npos) << cmdline;
  EXPECT_NE(cmdline.find("password=****"), std::string::npos) << cmdline;
  EXPECT_NE(cmdline.find(std::string("user=") + kUser), std::string::npos) << cmdline;
}

TEST_F(MountOptionsTest, SecretsFromAFileOrTheEnvironment) {
  const std::string file = work_->File("nats-password");
  ASSERT_TRUE(WriteFile(file, std::string(kPassword) + "\n"));
  MountAndWrite({"--server", auth_->url(), "--user", kUser, "-o", "password_file=" + file}, {},
                "from-file");
  EXPECT_EQ(CommandLineOf(fs_->pid()).find(kPassword), std::string::npos);
  Unmount();
  MountAndWrite({}, {{"NATS_URL", auth_->url()}, {"NATS_USER", kUser},
                     {"NATS_PASSWORD", kPassword}},
                "from-env");
}

// natscli's context files and flags, as natss3ctl takes them.
TEST_F(MountOptionsTest, NatsCliContextAndFlags) {
  const std::string config = work_->File("config");
  std::filesystem::create_directories(config + "/nats/context");
  ASSERT_TRUE(WriteFile(config + "/nats/context/dev.json",
                        "{\"url\": \"" + auth_->url() + "\", \"user\": \"" + kUser +
                            "\", \"password\": \"" + kPassword + "\"}"));
  MountAndWrite({"--context", "dev", "--timeout", "5s"}, {{"XDG_CONFIG_HOME", config}},
                "via-context");
  Unmount();
  MountAndWrite({"-o", "context=dev,timeout=5s"}, {{"XDG_CONFIG_HOME", config}},
                "via-option");
  Unmount();
  MountAndWrite({}, {{"XDG_CONFIG_HOME", config}, {"NATS_CONTEXT", "dev"}}, "via-env");
}

// auto_unmount, max_read, fsname and FUSE's -s (single thread): what fusermount and every
// other FUSE file system take.
TEST_F(MountOptionsTest, FuseStandardOptions) {
  ASSERT_TRUE(MountWith({"-f", "-s", "--server", server_->url(), "--cache-dir",
                         work_->File("cache"), "--bucket", "b", "-o",
                         "auto_unmount,max_read=131072,fsname=natss3test,noexec"}));
  std::string info = MountInfo(mnt_->path());
  EXPECT_NE(info.find("natss3test"), std::string::npos) << info;
  EXPECT_NE(info.find("max_read=131072"), std::string::npos) << info;
  EXPECT_NE(info.find("noexec"), std::string::npos) << info;
  EXPECT_NE(info.find("nosuid"), std::string::npos) << info;
  ASSERT_EQ(WriteThrough(Path("one-thread"), "served"), 0);
  EXPECT_EQ(ReadFile(Path("one-thread")), "served");
  // auto_unmount: a killed natss3fs leaves no dead mount behind. fusermount3 unmounts it
  // when it sees the process gone; on a loaded CI machine (two cores, the fuzzer running)
  // that once took longer than 10 s.
  fs_->Signal(SIGKILL);
  EXPECT_TRUE(PollUntil([&] { return !IsMounted(mnt_->path()); }, seconds(30)));

  ASSERT_TRUE(Mount({"--bucket", "b", "-o", "allow_root"}));
  EXPECT_EQ(ReadFile(Path("one-thread")), "served");
}

}  // namespace
}  // namespace natss3::test
