// The natss3d binary as a child process for the end-to-end tests: its own data directory,
// a free loopback port, logs captured, SIGTERM on destruction. $NATSS3D_UNDER_TEST names
// another binary to run instead (e.g. an older build, to see a new test fail on it).
#pragma once

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/nats_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {

inline bool Have(const std::string& tool) {
  return natss3::test::RunShell("command -v " + tool + " >/dev/null 2>&1") == 0;
}

class Daemon {
 public:
  // `env`: NATSS3_* settings (an older binary ignores those it does not know, where it would
  // refuse an unknown flag).
  explicit Daemon(const std::vector<std::string>& extra, bool tls = false,
                  const std::map<std::string, std::string>& env = {})
      : tls_(tls) {
    port_ = natss3::test::FreePort();
    const char* binary = std::getenv("NATSS3D_UNDER_TEST");
    std::vector<std::string> argv = {binary && *binary ? binary : NATSS3D_PATH, "--listen",
                                     "127.0.0.1:" + std::to_string(port_), "--data-dir",
                                     dir_.File("data"), "--access-log", "false"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    natss3::test::Subprocess::Options options;
    options.argv = argv;
    options.env = env;
    options.stderr_file = dir_.File("natss3d.log");
    options.stdout_file = dir_.File("natss3d.out");
    process_ = std::make_unique<natss3::test::Subprocess>(options);
    started_ = process_->Start() && natss3::test::WaitForPort(port_, std::chrono::seconds(20));
  }
  ~Daemon() { process_->Stop(); }
  bool started() const { return started_; }
  int port() const { return port_; }
  std::string endpoint() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
  }
  std::string log() const { return natss3::test::ReadFile(dir_.File("natss3d.log")); }
  natss3::test::Subprocess& process() { return *process_; }
  const natss3::test::TempDir& dir() const { return dir_; }

 private:
  natss3::test::TempDir dir_{"natss3-e2e"};
  bool tls_ = false;
  int port_ = 0;
  std::unique_ptr<natss3::test::Subprocess> process_;
  bool started_ = false;
};

}  // namespace natss3::s3d::test
