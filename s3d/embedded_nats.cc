// Embedded nats-server supervision.
#include "s3d/embedded_nats.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "natss3/connect_config.h"
#include "natss3/files.h"
#include "natss3/names.h"

namespace natss3::s3d {

int PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool WaitForLocalPort(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string EmbeddedNats::FindBinary(const std::string& configured) {
  if (!configured.empty()) return ::access(configured.c_str(), X_OK) == 0 ? configured : "";
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      size_t colon = p.find(':', start);
      dirs.push_back(p.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  for (const char* d : {"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"}) dirs.push_back(d);
  for (const std::string& dir : dirs) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/nats-server";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

Result<std::unique_ptr<EmbeddedNats>> EmbeddedNats::Start(Options options) {
  options.binary = FindBinary(options.binary);
  if (options.binary.empty()) {
    return NotFound("nats-server is not installed (natss3d starts one when no --nats-servers is "
                    "given); install it with: apt-get install nats-server");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.store_dir, ec);
  if (ec) return InvalidArgument("cannot create " + options.store_dir + ": " + ec.message());
  std::unique_ptr<EmbeddedNats> nats(new EmbeddedNats());
  nats->options_ = std::move(options);
  nats->port_ = nats->options_.port != 0 ? nats->options_.port : PickFreePort();
  if (nats->port_ == 0) return Unavailable("no free port for the embedded nats-server");
  if (!nats->Spawn()) return Unavailable("cannot start " + nats->options_.binary);
  if (!WaitForLocalPort(nats->port_, std::chrono::seconds(10))) {
    nats->Stop();
    return Unavailable("the embedded nats-server did not start on port " +
                       std::to_string(nats->port_) + "; see " +
                       (nats->options_.log_file.empty() ? std::string("its output above")
                                                         : nats->options_.log_file));
  }
  nats->supervisor_ = std::thread([n = nats.get()] { n->Supervise(); });
  if (!nats->options_.log_file.empty()) {
    nats->log_pruner_ = std::thread([n = nats.get()] {
      std::unique_lock<std::mutex> lock(n->mu_);
      while (!n->cv_.wait_for(lock, std::chrono::seconds(30), [n] { return n->stopping_; })) {
        lock.unlock();
        PruneRotatedLogs(n->options_.log_file, n->options_.log_keep);
        lock.lock();
      }
    });
  }
  return nats;
}

int EmbeddedNats::PruneRotatedLogs(const std::string& log_file, int keep) {
  std::filesystem::path path(log_file);
  std::string prefix = path.filename().string() + ".";
  std::vector<std::filesystem::path> rotated;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path(), ec)) {
    std::string name = entry.path().filename().string();
    // "<name>.YYYY.MM.DD.hh.mm.ss.nnnnnnnnn": names sort in time order.
    if (name.starts_with(prefix) && name.size() > prefix.size() &&
        std::isdigit(static_cast<unsigned char>(name[prefix.size()]))) {
      rotated.push_back(entry.path());
    }
  }
  std::sort(rotated.begin(), rotated.end());
  int removed = 0;
  for (size_t i = 0; i + static_cast<size_t>(std::max(keep, 0)) < rotated.size(); ++i) {
    if (std::filesystem::remove(rotated[i], ec)) ++removed;
  }
  return removed;
}

EmbeddedNats::~EmbeddedNats() { Stop(); }

std::string EmbeddedNats::url() const { return "nats://127.0.0.1:" + std::to_string(port_); }

namespace {

// A string in nats-server's configuration syntax (double quotes, backslash escapes).
std::string ConfString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<EmbeddedAuth> LoadOrCreateEmbeddedAuth(const std::string& data_dir, bool* created) {
  *created = false;
  std::string path = data_dir + "/" + kLocalContextFile;
  auto text = ReadSmallFile(path);
  if (text.ok()) {
    NATSS3_ASSIGN_OR_RETURN(NatsContext ctx, ParseNatsContext(*text, path, ProcessEnv()));
    if (!ctx.user.empty() && !ctx.password.empty()) return EmbeddedAuth{ctx.user, ctx.password};
  } else if (text.status().code() != Code::kNotFound) {
    return text.status();
  }
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof(raw)) != 1) return Internal("no randomness for the NATS password");
  *created = true;
  return EmbeddedAuth{"natss3",
                      HexEncode(std::string_view(reinterpret_cast<const char*>(raw), sizeof(raw)))};
}

namespace {

std::string ContextJson(const std::string& data_dir, const std::string& url,
                        const EmbeddedAuth& auth) {
  nlohmann::json ctx = {{"description", "natss3d's embedded nats-server (" + data_dir + ")"},
                        {"url", url}, {"user", auth.user}, {"password", auth.password}};
  return ctx.dump(2) + "\n";
}

}  // namespace

Status WriteEmbeddedContext(const std::string& data_dir, const std::string& url,
                            const EmbeddedAuth& auth) {
  return WriteFileAtomic(data_dir + "/" + kLocalContextFile, ContextJson(data_dir, url, auth),
                         0600);
}

Status WriteSharedContext(const std::string& path, const std::string& data_dir,
                          const std::string& url, const EmbeddedAuth& auth) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty()) NATSS3_RETURN_IF_ERROR(MakeDirectory(dir, 0750));
  NATSS3_RETURN_IF_ERROR(WriteFileAtomic(path, ContextJson(data_dir, url, auth), 0640));
  // A file takes its directory's group when that directory is set-group-ID: make it ours. Only
  // then is chown called (the service's system-call filter denies it: ~@privileged).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Internal("cannot stat " + path + ": " + std::strerror(errno));
  }
  if (st.st_gid != ::getegid() && ::chown(path.c_str(), static_cast<uid_t>(-1), ::getegid()) != 0) {
    return Internal("cannot give " + path + " natss3d's group: " + std::strerror(errno));
  }
  return Status::OK();
}

Status EmbeddedNats::WriteConfig() const {
  std::string conf = "# Written by natss3d at every start of its embedded nats-server.\n";
  conf += "listen: 127.0.0.1:" + std::to_string(port_) + "\n";
  conf += "server_name: natss3-embedded\n";
  conf += "jetstream { store_dir: " + ConfString(options_.store_dir) + " }\n";
  if (!options_.user.empty()) {
    conf += "authorization { user: " + ConfString(options_.user) +
            ", password: " + ConfString(options_.password) + " }\n";
  }
  if (!options_.log_file.empty()) {
    conf += "logfile: " + ConfString(options_.log_file) + "\n";
    conf += "logfile_size_limit: " + std::to_string(options_.log_size_limit) + "\n";
  }
  return WriteFileAtomic(options_.config_file, conf, 0600);
}

bool EmbeddedNats::Spawn() {
  Status written = WriteConfig();
  if (!written.ok()) {
    spdlog::error("embedded nats-server: {}", written.message());
    return false;
  }
  std::vector<std::string> args = {options_.binary, "-c", options_.config_file};
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::setpgid(0, 0);  // a terminal's Ctrl-C goes to natss3d, which stops us in order
    // natss3d blocks SIGTERM/SIGINT (it takes them with sigwait) and ignores SIGPIPE; both
    // would be inherited across exec.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // Nothing of natss3d's (client and listening sockets, NATS connection) stays open in the
    // server: a restarted nats-server would otherwise hold natss3d's port after it exits.
    ::close_range(3, ~0U, 0);
    // With a log file, nats-server writes (and rotates) it itself; what it prints outside its
    // logger (a panic) goes there too. Without one, stdout and stderr stay natss3d's.
    int log = options_.log_file.empty()
                  ? -1
                  : ::open(options_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_.store(pid);
  return true;
}

void EmbeddedNats::Supervise() {
  auto backoff = std::chrono::milliseconds(200);
  while (true) {
    pid_t pid = pid_.load();
    int status = 0;
    if (pid > 0) ::waitpid(pid, &status, 0);
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_) return;
    spdlog::warn("embedded nats-server (pid {}) exited (status {}); restarting in {} ms", pid,
                 status, backoff.count());
    if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) return;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    if (!Spawn()) {
      pid_.store(-1);
      spdlog::error("cannot restart nats-server");
      continue;
    }
    restarts_.fetch_add(1);
    lock.unlock();
    if (WaitForLocalPort(port_, std::chrono::seconds(10))) backoff = std::chrono::milliseconds(200);
  }
}

void EmbeddedNats::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !supervisor_.joinable() && pid_.load() <= 0) return;
    stopping_ = true;
  }
  cv_.notify_all();
  pid_t pid = pid_.exchange(-1);
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    if (!supervisor_.joinable()) {
      // No supervisor reaps it: wait here, SIGKILL after 5 s.
      for (int i = 0; i < 250; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid) { pid = -1; break; }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (pid > 0) { ::kill(pid, SIGKILL); ::waitpid(pid, nullptr, 0); }
    } else {
      std::thread killer([pid] {
        for (int i = 0; i < 250; ++i) {
          if (::kill(pid, 0) != 0) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(pid, SIGKILL);
      });
      supervisor_.join();  // its waitpid returns once the child exits
      killer.join();
    }
  }
  if (supervisor_.joinable()) supervisor_.join();
  if (log_pruner_.joinable()) log_pruner_.join();
}

}  // namespace natss3::s3d
