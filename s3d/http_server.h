// HttpServer: cpp-httplib's request parsing and routing over natss3d's ConnectionHub (worker
// pool for requests; handshakes, request heads and idle keep-alive connections in epoll;
// connection caps, header deadline and limits; unread bodies never parsed as requests;
// buffered TCP_NODELAY or TLS streams), wired for S3: a payload cap, streamed bodies,
// Expect: 100-continue, health and metrics endpoints, x-amz-request-id on every response, one access-log
// line per request (presigned-URL secrets redacted), S3 error XML for the hub's refusals, 503
// while NATS is down, a syntactically invalid Range ignored (as S3 does), a catch-all
// exception handler, and a graceful Stop bounded by a grace period.
// Start/Stop from one thread; requests run on the hub's workers.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "natss3/status.h"
#include "s3d/http_limits.h"
#include "s3d/metrics.h"
#include "s3d/s3_service.h"

namespace httplib {
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace natss3::s3d {

class ConnectionHub;
class HttplibServer;

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port (see port())
    std::string tls_cert, tls_key;
    int threads = 64;  // requests served at once (idle keep-alive connections use none)
    bool access_log = true;
    uint64_t max_payload = (5ull << 30) + (64ull << 20);  // 5 GiB object + aws-chunked framing
    // Stop(): requests in progress may finish for this long, then their sockets are shut down.
    std::chrono::milliseconds shutdown_grace{10000};
    std::chrono::seconds keep_alive_timeout{30};
    HttpLimits limits;
    // Virtual-hosted style base domain (as ServiceOptions::domain): there, "/healthz" is a key.
    std::string domain;
  };

  HttpServer(Options options, std::shared_ptr<S3Service> service);
  ~HttpServer();

  // Binds and starts serving on a background thread. kUnavailable when the address is taken.
  Status Start();
  int port() const { return port_; }
  // Stops accepting, closes idle connections, lets requests in progress finish (at most
  // shutdown_grace), joins. Idempotent.
  void Stop();
  Metrics& metrics() { return metrics_; }
  // SIGHUP: certificate and key for new connections; whether requests are logged.
  Status ReloadTls(const std::string& cert, const std::string& key);
  void SetAccessLog(bool on) { access_log_.store(on); }
  // NATS health as last observed (503 for S3 requests while false).
  void SetNatsUp(bool up);
  // Connections held (busy or idle) and of those idle; for tests and /metrics.
  size_t open_connections() const;
  size_t idle_connections() const;

 private:
  // natss3d's own endpoints, off the bucket namespace: /_natss3/health/live (the process
  // answers), /_natss3/health/ready (and NATS does), /_natss3/metrics (Prometheus). The old
  // /healthz and /metrics only where no bucket of that name could be meant.
  enum class Internal { kNone, kLive, kReady, kMetrics };
  Internal InternalEndpoint(const httplib::Request& req) const;
  void TimeFirstByte(const std::string& op, std::chrono::steady_clock::time_point start,
                     httplib::Response& res);
  void Install();
  void Serve(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader);
  std::string RenderMetrics() const;

  Options options_;
  std::shared_ptr<S3Service> service_;
  std::unique_ptr<ConnectionHub> hub_;
  std::unique_ptr<HttplibServer> server_;
  Metrics metrics_;
  std::atomic<bool> nats_up_{true};
  std::atomic<bool> access_log_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace natss3::s3d
