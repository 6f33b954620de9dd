// Subprocess implementation: fork/exec with PR_SET_PDEATHSIG so children never outlive tests.
#include "support/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "support/temp_dir.h"

namespace natss3::test {

Subprocess::Subprocess(Options options) : options_(std::move(options)) {}

Subprocess::~Subprocess() {
  if (pid_ > 0 && exit_code_ < 0) {
    ::kill(pid_, SIGKILL);
    Wait(std::chrono::milliseconds(5000));
  }
}

Subprocess::Subprocess(Subprocess&& other) noexcept { *this = std::move(other); }

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  options_ = std::move(other.options_);
  pid_ = other.pid_;
  exit_code_ = other.exit_code_;
  other.pid_ = -1;
  return *this;
}

static void RedirectOrDie(const std::string& path, int fd, int flags) {
  int f = ::open(path.c_str(), flags, 0644);
  if (f < 0) _exit(126);
  ::dup2(f, fd);
  ::close(f);
}

bool Subprocess::Start() {
  if (options_.argv.empty()) return false;
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(125);
    ::setpgid(0, 0);
    RedirectOrDie(options_.stdin_file.empty() ? "/dev/null" : options_.stdin_file, 0, O_RDONLY);
    if (!options_.stdout_file.empty())
      RedirectOrDie(options_.stdout_file, 1, O_WRONLY | O_CREAT | O_APPEND);
    if (!options_.stderr_file.empty())
      RedirectOrDie(options_.stderr_file, 2, O_WRONLY | O_CREAT | O_APPEND);
    for (const auto& [k, v] : options_.env) ::setenv(k.c_str(), v.c_str(), 1);
    if (!options_.cwd.empty() && ::chdir(options_.cwd.c_str()) != 0) _exit(126);
    std::vector<char*> args;
    for (auto& a : options_.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  exit_code_ = -1;
  return true;
}

bool Subprocess::running() {
  if (pid_ <= 0 || exit_code_ >= 0) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

void Subprocess::Signal(int sig) {
  if (pid_ > 0 && exit_code_ < 0) ::kill(pid_, sig);
}

int Subprocess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

int Subprocess::Stop(std::chrono::milliseconds grace) {
  if (!running()) return exit_code_;
  Signal(SIGTERM);
  int rc = Wait(grace);
  if (rc < 0) {
    Signal(SIGKILL);
    rc = Wait(std::chrono::milliseconds(5000));
  }
  return rc;
}

int RunCommand(const std::vector<std::string>& argv, std::string* output,
               std::chrono::milliseconds timeout, const std::map<std::string, std::string>& env,
               const std::string& stdin_file) {
  TempDir dir("natss3-cmd");
  Subprocess::Options o;
  o.argv = argv;
  o.env = env;
  o.stdout_file = dir.File("out");
  o.stderr_file = dir.File("out");
  o.stdin_file = stdin_file;
  Subprocess p(o);
  if (!p.Start()) return -1;
  int rc = p.Wait(timeout);
  if (rc < 0) rc = p.Stop(std::chrono::milliseconds(1000)), rc = -1;
  if (output) *output = ReadFile(dir.File("out"));
  return rc;
}

int RunShell(const std::string& command, std::string* output, std::chrono::milliseconds timeout) {
  return RunCommand({"/bin/sh", "-c", command}, output, timeout);
}

namespace {
// Binds a loopback TCP socket to `port` (0: any) and returns the port bound, or -1.
int BindLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}
}  // namespace

// Below Linux's ephemeral range (32768-60999): a port from that range (what binding port 0
// gives) can be taken by any client connection's local end before the server binds it.
int FreePort() {
  static thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 32767);
  for (int i = 0; i < 100; ++i) {
    int port = BindLoopback(pick(rng));
    if (port > 0) return port;
  }
  return BindLoopback(0);
}

bool WaitForPort(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::close(fd);
    if (rc == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace natss3::test
