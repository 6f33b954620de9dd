// NatsServer: a real nats-server for tests, on a free 127.0.0.1 port with a temporary store dir.
// Dies with the test process (PDEATHSIG) and is stopped by the destructor.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace natss3::test {

class NatsServer {
 public:
  struct Options {
    bool jetstream = true;
    int port = 0;                // 0: a free port
    std::string store_dir;       // empty: a fresh temp dir owned by the server object
    std::string server_name;     // needed for clusters
    std::string cluster_name;
    int cluster_port = 0;
    std::vector<std::string> routes;  // nats-route://127.0.0.1:P
    std::vector<std::string> extra_args;
    std::string config_text;     // extra config file contents (auth blocks etc.)
  };

  // Starts and waits until the client port accepts connections. Fails the current test
  // (GTest ADD_FAILURE) and returns nullptr when nats-server is missing or does not start.
  static std::unique_ptr<NatsServer> Start(Options options);
  static std::unique_ptr<NatsServer> Start();
  ~NatsServer();

  std::string url() const;  // nats://127.0.0.1:<port>
  int port() const { return port_; }
  const std::string& store_dir() const { return store_dir_; }
  void Stop();      // SIGTERM and wait
  void Kill();      // SIGKILL
  bool Restart();   // same port and store dir; waits until ready
  void Pause();     // SIGSTOP: connections stay open, nothing is answered
  void Resume();    // SIGCONT
  bool running();

  // A 3-node JetStream cluster on loopback; every node's url in urls().
  class Cluster {
   public:
    static std::unique_ptr<Cluster> Start(int nodes = 3);
    std::vector<std::string> urls() const;
    std::string url_list() const;  // comma-separated
    NatsServer& node(int i) { return *nodes_[i]; }
    int size() const { return static_cast<int>(nodes_.size()); }

   private:
    std::unique_ptr<TempDir> dir_;
    std::vector<std::unique_ptr<NatsServer>> nodes_;
  };

 private:
  NatsServer() = default;
  bool Launch();

  Options options_;
  std::unique_ptr<TempDir> owned_dir_;
  std::string store_dir_;
  std::string config_path_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace natss3::test
