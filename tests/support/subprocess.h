// Subprocess: spawn a child (killed if the test process dies), wait, signal, capture output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace natss3::test {

class Subprocess {
 public:
  struct Options {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;  // added to the inherited environment
    std::string stdout_file;  // empty: inherit
    std::string stderr_file;  // empty: inherit
    std::string stdin_file;   // empty: /dev/null
    std::string cwd;
  };
  Subprocess() = default;
  explicit Subprocess(Options options);
  ~Subprocess();  // SIGKILLs and reaps a still-running child
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;

  bool Start();  // false when fork/exec failed
  pid_t pid() const { return pid_; }
  bool running();
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+sig for a signal), -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to grace, then SIGKILL. Returns the exit code.
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  Options options_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Runs a command to completion: returns exit code, fills output (stdout+stderr) if given.
int RunCommand(const std::vector<std::string>& argv, std::string* output = nullptr,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(120000),
               const std::map<std::string, std::string>& env = {},
               const std::string& stdin_file = "");

// Runs a shell command line with /bin/sh -c.
int RunShell(const std::string& command, std::string* output = nullptr,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(120000));

// A free TCP port on 127.0.0.1 (bound and released).
int FreePort();
// Polls until 127.0.0.1:port accepts a connection or timeout.
bool WaitForPort(int port, std::chrono::milliseconds timeout);

}  // namespace natss3::test
