// Unit tests of how natss3ctl and natss3fs find a local natss3d without flags: the candidate
// context files, and a clear refusal when the service's context exists but may not be read.
#include "natss3/connect_config.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>

#include "support/temp_dir.h"

namespace natss3 {
namespace {

using natss3::test::TempDir;
using natss3::test::WriteFile;

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

// The packaged service's group-readable copy comes after the user's own natss3d (scripts/run.sh)
// and before the root-only data directory.
TEST(LocalContext, CandidatesInOrder) {
  FakeEnv env{
      {{"HOME", "/home/u"}, {"NATSS3_CONTEXT_FILE", "/etc/x.json"}, {"NATSS3_DATA_DIR", "/srv/d"}}};
  std::vector<std::string> expected = {
      "/etc/x.json", "/srv/d/nats-context.json", "/home/u/.local/share/natss3/nats-context.json",
      "/run/natss3/nats-context.json", "/var/lib/natss3/nats-context.json"};
  EXPECT_EQ(LocalContextCandidates(env.lookup()), expected);
  EXPECT_EQ(std::string(kServiceContextFile), "/run/natss3/nats-context.json");
}

// Runs `check` as user and group nobody in a child (root reads every file) and returns its exit
// status; the parent process keeps its identity.
int AsNobody(const std::function<int()>& check) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(90);
    ::_exit(check());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

// A context that exists but is not ours to read (the service's, without membership in group
// natss3) is an error naming the file and the group, not a silent fall-back to 127.0.0.1:4222
// (which may be another NATS server altogether). A readable candidate further down still wins.
TEST(LocalContext, UnreadableServiceContextIsRefusedClearly) {
  TempDir home, service;
  ::chmod(home.path().c_str(), 0755);
  ::chmod(service.path().c_str(), 0755);
  std::filesystem::create_directories(service.path() + "/run");
  WriteFile(service.path() + "/run/nats-context.json",
            R"({"url":"nats://127.0.0.1:5223","user":"natss3","password":"secret"})");
  // As the package: the directory is for owner and group only.
  ::chmod((service.path() + "/run").c_str(), 0750);
  const std::string denied = service.path() + "/run/nats-context.json";
  FakeEnv env{{{"HOME", home.path()}, {"NATSS3_CONTEXT_FILE", denied}}};

  auto refused = [&]() -> int {
    auto options = ResolveConnectOptions({}, env.lookup());
    if (options.ok()) return 1;
    if (options.status().code() != Code::kPermissionDenied) return 2;
    const std::string& m = options.status().message();
    if (m.find(denied) == std::string::npos) return 3;
    if (m.find("group natss3") == std::string::npos) return 4;
    return 0;
  };
  auto run = [&](const std::function<int()>& f) { return ::geteuid() == 0 ? AsNobody(f) : f(); };
  if (::geteuid() != 0) ::chmod((service.path() + "/run").c_str(), 0);  // not even for its owner
  EXPECT_EQ(run(refused), 0);

  // An explicit server never looks at the local contexts.
  auto explicit_server = [&]() -> int {
    ConnectionFlags flags;
    flags.server = "nats://elsewhere:4222";
    auto options = ResolveConnectOptions(flags, env.lookup());
    return options.ok() && options->servers == "nats://elsewhere:4222" ? 0 : 1;
  };
  EXPECT_EQ(run(explicit_server), 0);

  // The user's own natss3d (its default data directory) is readable and wins.
  std::filesystem::create_directories(home.path() + "/.local/share/natss3");
  WriteFile(home.path() + "/.local/share/natss3/nats-context.json",
            R"({"url":"nats://127.0.0.1:6000","user":"me","password":"mine"})");
  ::chmod((home.path() + "/.local/share/natss3/nats-context.json").c_str(), 0644);
  for (const char* d : {"/.local", "/.local/share", "/.local/share/natss3"}) {
    ::chmod((home.path() + d).c_str(), 0755);
  }
  auto own = [&]() -> int {
    auto options = ResolveConnectOptions({}, env.lookup());
    return options.ok() && options->servers == "nats://127.0.0.1:6000" && options->user == "me" ? 0
                                                                                                : 1;
  };
  EXPECT_EQ(run(own), 0);
}

// Missing candidates are no error: the default server remains.
TEST(LocalContext, NoneExistingFallsBackToDefault) {
  TempDir home;
  FakeEnv env{{{"HOME", home.path()}, {"NATSS3_CONTEXT_FILE", home.File("nope.json")}}};
  auto loaded = LoadLocalContext(env.lookup());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  if (!std::filesystem::exists(kServiceContextFile) &&
      !std::filesystem::exists("/var/lib/natss3/nats-context.json")) {
    EXPECT_FALSE(loaded->has_value());
  }
}

}  // namespace
}  // namespace natss3
