// Test harness: runs the real natss3ctl binary against a real nats-server and captures
// exit code, stdout and stderr separately.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/nats_server.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::cli::test {

struct CtlResult {
  int exit_code = -1;
  std::string out, err;
};

// Replaces times like "2026-11-23 07:14:17" with "YYYY-MM-DD hh:mm:ss" (same width, so
// tables stay aligned) and "in 0.02s"-like durations with
// "in <dur>", so layouts can be compared exactly.
std::string MaskTimes(std::string text);

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;

  // Runs natss3ctl with args; NATS_URL points at the test server unless env overrides it.
  CtlResult Ctl(const std::vector<std::string>& args, const std::string& stdin_file = "",
                std::map<std::string, std::string> env = {});
  // Runs a shell pipeline; $CTL is the binary, $NATS_URL the server. Returns exit code.
  int Shell(const std::string& script, std::string* output = nullptr);
  // Starts natss3ctl in the background with stdout to a file (for watch).
  std::unique_ptr<natss3::test::Subprocess> Background(const std::vector<std::string>& args,
                                                       const std::string& stdout_file);
  std::string File(const std::string& name) const { return dir_->File(name); }

  std::unique_ptr<natss3::test::NatsServer> server_;
  std::unique_ptr<natss3::test::TempDir> dir_;   // scratch files
  std::unique_ptr<natss3::test::TempDir> home_;  // HOME with no nats contexts
};

// A CliTest with an empty bucket "T" and local directory trees to move in and out of it
// (put/get -r, sync).
class BucketTreeTest : public CliTest {
 protected:
  void SetUp() override;

  // Writes four files under `root` (top.txt, sub/a.bin of 300000 random bytes, names with a
  // space and with Unicode) and an empty directory, which transfers skip.
  void MakeTree(const std::string& root);
  // The regular files below `root`, relative to it, sorted.
  static std::vector<std::string> Files(const std::string& root);
};

// Polls `predicate` every 20 ms until true or the deadline; returns its last value.
bool WaitFor(const std::function<bool()>& predicate,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

}  // namespace natss3::cli::test
