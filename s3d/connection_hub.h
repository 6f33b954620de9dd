// ConnectionHub: the connection layer under natss3d's cpp-httplib server. It replaces httplib
// 0.11's thread-per-connection keep-alive loop (a worker busy-polls every idle keep-alive
// connection, every 10 ms, until the keep-alive timeout, and shutdown waits for all of them):
//
//  - Workers serve requests, not connections. After a response the worker waits a short
//    `linger` for the client's next request (the common back-to-back case costs no hand-off),
//    then parks the idle connection in an epoll set watched by one poller thread, which hands
//    it back to the pool when bytes arrive. Idle connections cost no thread.
//  - One buffered stream per connection: reads in 64 KiB, response headers and small bodies
//    leave in one send (writev with the first body slice for large ones), TCP_NODELAY on.
//  - TLS (OpenSSL) on the same path when the server has a certificate.
//  - Graceful stop: idle connections are closed at once, requests in progress finish (their
//    responses say "Connection: close"); after the grace deadline the sockets of requests still
//    running are shut down so their handlers fail fast.
//
// Thread-safety: all public methods may be called from any thread. Lock order: mu_ only (never
// held across a socket call other than epoll_ctl/shutdown). Memory budget per connection: one
// 64 KiB read buffer plus the coalesced output (<= 64 KiB).
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "natss3/status.h"

namespace natss3::s3d {

class HubConnection;

class ConnectionHub {
 public:
  struct Options {
    int workers = 64;  // requests served at once
    // How long a worker waits for the next request on a keep-alive connection before parking
    // it (0 when every worker is busy).
    std::chrono::milliseconds linger{20};
    std::chrono::seconds keep_alive_timeout{30};  // idle connections are closed after this
    size_t max_requests_per_connection = 100000;
    std::chrono::seconds read_timeout{60};
    std::chrono::seconds write_timeout{60};
    std::string tls_cert, tls_key;  // both set: connections speak TLS
  };
  // One HTTP exchange on `stream` (httplib::Server::process_request). Returns false when the
  // connection must close; sets `connection_closed` when the client asked to close it.
  using Processor =
      std::function<bool(httplib::Stream& stream, bool close_connection, bool& connection_closed)>;

  ConnectionHub(Options options, Processor process);
  ~ConnectionHub();  // stops (without grace) and joins every thread

  // Starts the workers and the poller; loads the TLS certificate. kInvalidArgument when the
  // certificate or key cannot be loaded, kInternal when epoll is unavailable.
  Status Start();
  // A task queue for httplib::Server::new_task_queue that runs jobs on the hub's workers.
  // Its shutdown() waits until no job is queued or running. Owned by the caller (httplib).
  httplib::TaskQueue* NewTaskQueue();
  // Serves a freshly accepted socket (called on a worker); the hub owns it from here.
  void ServeAccepted(int fd);

  // Stop: no more parking; idle connections are closed now; running requests get
  // "Connection: close". Idempotent.
  void BeginStop();
  // Waits until no job is queued or running, at most until `deadline`; then shuts down the
  // sockets of the requests still running. True when everything finished in time.
  bool Drain(std::chrono::steady_clock::time_point deadline);

  struct Stats {
    size_t open = 0;    // connections the hub holds
    size_t idle = 0;    // of which parked in the poller
    size_t busy_workers = 0;
  };
  Stats stats() const;

 private:
  friend class HubConnection;
  class Queue;

  void Enqueue(std::function<void()> job);
  void WorkerLoop();
  void PollerLoop();
  void Run(std::shared_ptr<HubConnection> connection);
  void Park(std::shared_ptr<HubConnection> connection);
  // Moves parked connections idle since before `older_than` out of the poller.
  void TakeIdleLocked(std::chrono::steady_clock::time_point older_than,
                      std::vector<std::shared_ptr<HubConnection>>* taken);
  std::chrono::milliseconds LingerNow() const;

  Options options_;
  Processor process_;
  SSL_CTX* ssl_ctx_ = nullptr;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: wakes the poller for stop

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // jobs_ not empty or stopping workers
  std::condition_variable idle_cv_;  // jobs_ empty and running_ == 0
  std::deque<std::function<void()>> jobs_;
  size_t running_ = 0;
  bool workers_exit_ = false;
  std::atomic<bool> stopping_{false};
  std::map<int, std::shared_ptr<HubConnection>> parked_;  // fd -> connection
  std::set<HubConnection*> active_;                        // being served by a worker
  std::atomic<size_t> open_{0};

  std::vector<std::thread> workers_;
  std::thread poller_;
};

}  // namespace natss3::s3d
