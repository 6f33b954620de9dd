// EmbeddedNats: natss3d's own `nats-server -js` on 127.0.0.1 for the zero-configuration quick
// start. It accepts only the user and password natss3d gives it (generated on first start,
// kept in <data-dir>/nats-context.json, mode 0600): no other local user or container on the
// host can reach the data behind natss3d's credentials. The server's config file (0600) holds
// them, never its command line. A supervisor thread restarts it when it dies; Stop() (and the
// destructor) terminate it, and the child gets SIGTERM if natss3d itself dies
// (PR_SET_PDEATHSIG).
// Thread-safety: Start/Stop from one thread; url() from any.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "natss3/status.h"

namespace natss3::s3d {

class EmbeddedNats {
 public:
  struct Options {
    std::string binary;     // empty: search $PATH, /usr/sbin, /usr/local/sbin, /usr/bin
    std::string store_dir;  // JetStream store directory (created)
    // nats-server's log file, rotated by nats-server at log_size_limit bytes (to
    // "<log_file>.<timestamp>"); natss3d keeps the newest log_keep rotated files. Empty: the
    // server logs to natss3d's stderr (the journal, when systemd runs natss3d).
    std::string log_file;
    uint64_t log_size_limit = 10 * 1024 * 1024;
    int log_keep = 5;
    std::string config_file;  // written at every start (mode 0600)
    std::string user, password;  // the only credentials the server accepts
    int port = 0;           // 0: a free loopback port
  };

  // Starts nats-server and waits (up to 10 s) until its port accepts connections.
  // kNotFound "nats-server is not installed; install it with: apt-get install nats-server",
  // kUnavailable when it does not come up (message points at the log file).
  static Result<std::unique_ptr<EmbeddedNats>> Start(Options options);
  ~EmbeddedNats();

  std::string url() const;
  int port() const { return port_; }
  pid_t pid() const { return pid_.load(); }
  int restarts() const { return restarts_.load(); }
  void Stop();

  // Locates nats-server; empty when absent.
  static std::string FindBinary(const std::string& configured);
  // Deletes all but the newest `keep` rotated logs of `log_file` ("<log_file>.<timestamp>");
  // returns how many it deleted.
  static int PruneRotatedLogs(const std::string& log_file, int keep);

 private:
  EmbeddedNats() = default;
  bool Spawn();
  void Supervise();
  Status WriteConfig() const;

  Options options_;
  int port_ = 0;
  std::atomic<pid_t> pid_{-1};
  std::atomic<int> restarts_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread supervisor_;
  std::thread log_pruner_;  // every 30 s while the server runs, when it logs to a file
};

// The embedded server's credentials: those of <data_dir>/nats-context.json when it exists
// (kept across restarts, so other tools on the host keep working), else a new random password
// (*created set). Errors: an unreadable or malformed existing file.
struct EmbeddedAuth {
  std::string user = "natss3";
  std::string password;
};
Result<EmbeddedAuth> LoadOrCreateEmbeddedAuth(const std::string& data_dir, bool* created);
// Writes <data_dir>/nats-context.json (natscli context format, mode 0600): natss3ctl and
// natss3fs on this host find the embedded server through it (natss3/connect_config.h).
Status WriteEmbeddedContext(const std::string& data_dir, const std::string& url,
                            const EmbeddedAuth& auth);
// Writes the same context to `path` (--context-file) with mode 0640 and natss3d's group, so that
// the members of that group find the embedded server without access to the data directory (the
// package: /run/natss3/nats-context.json, a directory systemd creates 0750 natss3:natss3). A
// missing parent directory is created 0750.
Status WriteSharedContext(const std::string& path, const std::string& data_dir,
                          const std::string& url, const EmbeddedAuth& auth);

// A free TCP port on 127.0.0.1 (bound and released), 0 on failure.
int PickFreePort();
// Polls until 127.0.0.1:port accepts a connection or the timeout passes.
bool WaitForLocalPort(int port, std::chrono::milliseconds timeout);

}  // namespace natss3::s3d
