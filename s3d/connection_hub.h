// ConnectionHub: the connection layer under natss3d's cpp-httplib server. It replaces httplib
// 0.11's thread-per-connection keep-alive loop (a worker busy-polls every idle keep-alive
// connection, every 10 ms, until the keep-alive timeout, and shutdown waits for all of them),
// and keeps hostile clients from tying up workers:
//
//  - Workers serve requests, not connections. A connection is handed to a worker only once a
//    complete request head has arrived: the TLS handshake, the request line and headers are
//    read by one poller thread (epoll, nonblocking), under a deadline for the handshake and
//    one for the whole head (slow-loris clients are closed, and cost no worker meanwhile).
//    After a response the worker waits a short `linger` for the next request (the common
//    back-to-back case costs no hand-off), then gives the connection back to the poller.
//  - Before httplib parses a head, the hub checks its size, header count and framing
//    (HeadScanner); it counts what httplib reads, and a body the handler left unread is
//    dropped (small, after a success) or the response says "Connection: close" and the
//    connection closes (lingering, so the client still gets the response): unread body bytes
//    are never parsed as a request.
//  - Open connections are capped in total and per client address.
//  - One buffered stream per connection: reads in 64 KiB, response headers and small bodies
//    leave in one send (writev with the first body slice for large ones), TCP_NODELAY on.
//  - Graceful stop: connections waiting for a request are closed at once, requests in progress
//    finish (their responses say "Connection: close"); after the grace deadline the sockets of
//    requests still running are shut down so their handlers fail fast.
//
// Thread-safety: all public methods may be called from any thread. Locks: mu_ (jobs, watched
// connections) and addr_mu_ (admission counts), never both, never held across a socket call
// other than epoll_ctl/shutdown. Memory per connection: the head (<= max_header_bytes) while
// one arrives; 64 KiB of input plus <= 64 KiB of coalesced output while a request is served;
// no buffers while idle (TLS ones are released too).
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "natss3/status.h"
#include "s3d/hub_connection.h"
#include "s3d/http_limits.h"

namespace natss3::s3d {

class ConnectionHub {
 public:
  struct Options {
    int workers = 64;  // requests served at once
    // How long a worker waits for the next request on a keep-alive connection before handing
    // it to the poller (0 when every worker is busy).
    std::chrono::milliseconds linger{20};
    std::chrono::seconds keep_alive_timeout{30};  // idle connections are closed after this
    size_t max_requests_per_connection = 100000;
    std::chrono::seconds read_timeout{60};  // one wait for the client while serving
    std::chrono::seconds write_timeout{60};
    std::string tls_cert, tls_key;  // both set: connections speak TLS
    HttpLimits limits;
    uint64_t max_body = UINT64_MAX;  // a larger Content-Length is refused before any read
  };
  // Why the hub answered (or closed) a connection itself.
  enum class Refusal {
    kBusy,             // max_connections reached
    kBusyAddress,      // max_connections_per_address reached
    kHeaderTooLarge,
    kTooManyHeaders,
    kBadFraming,       // Content-Length unusable
    kNotImplemented,   // Transfer-Encoding other than chunked, PATCH, PRI
    kBodyTooLarge,
    kHeaderTimeout,    // the head did not arrive in time
    kCount
  };
  static const char* RefusalName(Refusal refusal);
  // What the per-address cap counts a client by: its IP; for IPv6 its /64 (one host usually
  // has the whole /64, so counting single addresses would not cap it).
  static std::string AddressKey(const std::string& ip);
  // One HTTP exchange on `connection` (HttplibServer::Process). Returns false when the
  // connection must close; sets `connection_closed` when the client asked to close it.
  using Processor = std::function<bool(HubConnection& connection, bool close_connection,
                                       bool& connection_closed)>;
  // The whole response sent for a refusal (status line to body, with "Connection: close").
  using RefusalRenderer = std::function<std::string(Refusal refusal)>;

  ConnectionHub(Options options, Processor process, RefusalRenderer render);
  ~ConnectionHub();  // stops (without grace) and joins every thread

  // Starts the workers and the poller; loads the TLS certificate. kInvalidArgument when the
  // certificate or key cannot be loaded, kInternal when epoll is unavailable.
  Status Start();
  // SIGHUP: connections accepted from now on use this certificate and key; established ones
  // keep theirs. Invalid files leave the current ones in place (the error says why).
  Status ReloadTls(const std::string& cert, const std::string& key);
  // Admits a freshly accepted socket (or refuses it); the hub owns it from here. Never blocks:
  // it runs on the accepting thread, not behind requests.
  void ServeAccepted(int fd);
  // Waits until no job is queued or running (the accept loop ended and waits for the work it
  // handed over).
  void WaitIdle();

  // Inside the Processor on a hub worker, as a response's headers are about to be written:
  // true when the connection closes after this response (the caller adds "Connection: close")
  // because part of the request was left unread and is not drained. False off the workers.
  static bool CloseAfterResponse(int status);

  // Stop: no more waiting for requests; connections between requests are closed now; running
  // requests get "Connection: close". Idempotent.
  void BeginStop();
  // Waits until no job is queued or running, at most until `deadline`; then shuts down the
  // sockets of the requests still running. True when everything finished in time.
  bool Drain(std::chrono::steady_clock::time_point deadline);

  struct Stats {
    size_t open = 0;     // connections the hub holds
    size_t idle = 0;     // of which waiting for a request, nothing of it received
    size_t reading = 0;  // of which in the TLS handshake or receiving a request head
    size_t closing = 0;  // of which answered and closing
    size_t busy_workers = 0;
    std::array<uint64_t, static_cast<size_t>(Refusal::kCount)> refused{};
    uint64_t handshake_timeouts = 0, handshake_failures = 0;
    uint64_t bodies_drained = 0;        // unread body rests skipped, connection kept
    uint64_t unread_body_closes = 0;    // connections closed over an unread body
  };
  Stats stats() const;

 private:
  friend class HubConnection;
  using ConnectionPtr = std::shared_ptr<HubConnection>;

  void Enqueue(std::function<void()> job);
  void WorkerLoop();
  void PollerLoop();
  void OnReady(const ConnectionPtr& connection);
  void Sweep();
  void ContinueHandshake(ConnectionPtr connection);
  void Run(ConnectionPtr connection);
  // Hands a connection waiting for its handshake, head or close to the poller.
  void Watch(ConnectionPtr connection);
  // Takes `connection` out of the poller; false when it was no longer there (stop).
  bool Unwatch(const ConnectionPtr& connection);
  void Refuse(ConnectionPtr connection, Refusal refusal);
  void CloseLingering(ConnectionPtr connection);
  void Count(Refusal refusal);
  static Refusal FromHeadError(HeadError error);
  // Called by ~HubConnection.
  void Forget(const HubConnection& connection);
  std::chrono::milliseconds LingerNow() const;

  Options options_;
  HubConnection::Settings settings_;
  Processor process_;
  RefusalRenderer render_;
  std::mutex tls_mu_;        // guards ssl_ctx_ (swapped by ReloadTls)
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
  std::unordered_map<uint64_t, ConnectionPtr> watched_;  // by id: in the poller's epoll set
  std::set<HubConnection*> active_;                      // being served by a worker
  uint64_t next_id_ = 1;                                 // 0 is the wake eventfd

  std::mutex addr_mu_;
  size_t admitted_ = 0;
  std::unordered_map<std::string, size_t> per_address_;
  std::atomic<size_t> open_{0};
  std::atomic<size_t> refused_open_{0};  // refused connections still closing

  std::array<std::atomic<uint64_t>, static_cast<size_t>(Refusal::kCount)> refused_{};
  std::array<std::atomic<int64_t>, static_cast<size_t>(Refusal::kCount)> last_warning_{};
  std::atomic<uint64_t> handshake_timeouts_{0}, handshake_failures_{0};
  std::atomic<uint64_t> bodies_drained_{0}, unread_body_closes_{0};

  std::vector<std::thread> workers_;
  std::thread poller_;
};

}  // namespace natss3::s3d
