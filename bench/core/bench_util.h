// Benchmark helpers: a private nats-server, child processes, timing, RSS and formatting.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace natss3::bench {

[[noreturn]] inline void Die(const std::string& message) {
  std::fprintf(stderr, "natss3_bench_core: %s\n", message.c_str());
  std::exit(1);
}

inline std::string RandomPattern(size_t n, uint64_t seed = 1234) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, std::min<size_t>(8, n - i));
  }
  return s;
}

inline void WritePatternFile(const std::string& path, const std::string& pattern, uint64_t size) {
  std::ofstream f(path, std::ios::binary);
  for (uint64_t off = 0; off < size; off += pattern.size()) {
    f.write(pattern.data(), static_cast<std::streamsize>(std::min<uint64_t>(pattern.size(), size - off)));
  }
  if (!f) Die("cannot write " + path);
}

inline double Seconds(const std::function<void()>& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

inline std::string HumanSize(uint64_t bytes) {
  if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0) return std::to_string(bytes >> 30) + " GiB";
  if (bytes >= (1ull << 20)) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes >> 10) + " KiB";
}

// /proc/self/status field in KiB (VmRSS, VmHWM).
inline long ReadProcStatusKib(const std::string& field) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// Resets VmHWM to the current RSS (Linux >= 4.0).
inline void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

inline std::string SelfExe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// Runs argv to completion; stdout+stderr into *out; child's peak RSS (KiB) into *max_rss_kib.
inline int RunCapture(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env, std::string* out,
                      long* max_rss_kib) {
  char tmpl[] = "/tmp/natss3-bench-outXXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) Die("mkstemp");
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(125);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& s : argv) args.push_back(const_cast<char*>(s.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  ::close(fd);
  std::ifstream f(tmpl);
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  ::unlink(tmpl);
  if (max_rss_kib) *max_rss_kib = ru.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/natss3-bench-XXXXXX";
    if (!::mkdtemp(tmpl)) Die("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline int FreePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

inline bool PortOpen(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(s);
  return ok;
}

// User + system CPU seconds used so far by this process (all threads).
inline double SelfCpuSeconds() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// User + system CPU seconds used so far by process `pid` (/proc/<pid>/stat fields 14 and 15).
inline double ProcessCpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; i++) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// nats-server -js on 127.0.0.1, killed with this process (PDEATHSIG) or by the destructor.
class ServerProcess {
 public:
  explicit ServerProcess(const std::string& store_dir) {
    port_ = FreePort();
    std::filesystem::create_directories(store_dir);
    std::string log = store_dir + "/../nats-server.log";
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) Die("fork nats-server");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(125);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::string p = std::to_string(port_);
      ::execlp("nats-server", "nats-server", "-js", "-a", "127.0.0.1", "-p", p.c_str(), "-sd",
               store_dir.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!PortOpen(port_)) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) Die("nats-server exited; see " + log);
      if (std::chrono::steady_clock::now() > deadline) Die("nats-server did not start");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~ServerProcess() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500; i++) {
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace natss3::bench
