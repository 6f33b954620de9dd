// CliTest harness implementation.
#include "cli_harness.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <thread>

namespace natss3::cli::test {

using natss3::test::NatsServer;
using natss3::test::ReadFile;
using natss3::test::Subprocess;
using natss3::test::TempDir;
using natss3::test::WriteFile;
namespace fs = std::filesystem;

std::string MaskTimes(std::string text) {
  static const std::regex kTime(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})");
  static const std::regex kDuration(R"(in [0-9.dhms]+s\b)");
  text = std::regex_replace(text, kTime, "YYYY-MM-DD hh:mm:ss");
  return std::regex_replace(text, kDuration, "in <dur>");
}

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return predicate();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void CliTest::SetUp() {
  server_ = NatsServer::Start();
  ASSERT_NE(server_, nullptr);
  dir_ = std::make_unique<TempDir>("natss3-cli");
  home_ = std::make_unique<TempDir>("natss3-cli-home");
}

static std::map<std::string, std::string> BaseEnv(const std::string& url, const std::string& home) {
  return {{"NATS_URL", url},
          {"HOME", home},
          {"XDG_CONFIG_HOME", home + "/.config"},
          {"TZ", "UTC"},
          {"NO_COLOR", "1"}};
}

CtlResult CliTest::Ctl(const std::vector<std::string>& args, const std::string& stdin_file,
                       std::map<std::string, std::string> env) {
  static int counter = 0;
  std::string base = dir_->File("ctl-" + std::to_string(++counter));
  Subprocess::Options o;
  o.argv = {NATSS3CTL_PATH};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = BaseEnv(server_->url(), home_->path());
  for (auto& [k, v] : env) o.env[k] = v;
  o.stdout_file = base + ".out";
  o.stderr_file = base + ".err";
  o.stdin_file = stdin_file;
  o.cwd = dir_->path();
  Subprocess p(o);
  CtlResult r;
  if (!p.Start()) return r;
  r.exit_code = p.Wait(std::chrono::milliseconds(60000));
  if (r.exit_code < 0) p.Stop(std::chrono::milliseconds(1000));
  r.out = ReadFile(base + ".out");
  r.err = ReadFile(base + ".err");
  return r;
}

int CliTest::Shell(const std::string& script, std::string* output) {
  std::string command = "set -e; export CTL='" + std::string(NATSS3CTL_PATH) + "' NATS_URL='" +
                        server_->url() + "' HOME='" + home_->path() + "'; cd '" + dir_->path() +
                        "'; " + script;
  return natss3::test::RunCommand({"/bin/bash", "-c", command}, output,
                                  std::chrono::milliseconds(120000));
}

std::unique_ptr<Subprocess> CliTest::Background(const std::vector<std::string>& args,
                                                const std::string& stdout_file) {
  Subprocess::Options o;
  o.argv = {NATSS3CTL_PATH};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = BaseEnv(server_->url(), home_->path());
  o.stdout_file = stdout_file;
  o.stderr_file = stdout_file + ".err";
  o.cwd = dir_->path();
  auto p = std::make_unique<Subprocess>(o);
  if (!p->Start()) return nullptr;
  return p;
}

void BucketTreeTest::SetUp() {
  CliTest::SetUp();
  if (HasFatalFailure()) return;
  ASSERT_EQ(Ctl({"add", "T"}).exit_code, 0);
}

void BucketTreeTest::MakeTree(const std::string& root) {
  fs::create_directories(root + "/sub/deeper");
  fs::create_directories(root + "/empty-dir");
  ASSERT_TRUE(WriteFile(root + "/top.txt", "top"));
  ASSERT_TRUE(WriteFile(root + "/sub/a.bin", natss3::test::RandomBytes(300000, 1)));
  ASSERT_TRUE(WriteFile(root + "/sub/deeper/b c.txt", "spaces ok"));
  ASSERT_TRUE(WriteFile(root + "/sub/deeper/日本語.txt", "unicode"));
}

std::vector<std::string> BucketTreeTest::Files(const std::string& root) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace natss3::cli::test
