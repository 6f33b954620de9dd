// HttpServer: cpp-httplib wired for S3 traffic: a bounded worker pool sized for many concurrent
// keep-alive clients, TCP_NODELAY, a payload cap, streamed bodies, Expect: 100-continue,
// /healthz, /metrics, x-amz-request-id on every response, one access-log line per request,
// 503 while NATS is down, and a catch-all exception handler.
// Start/Stop from one thread; requests run on the pool.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "natss3/status.h"
#include "s3d/metrics.h"
#include "s3d/s3_service.h"

namespace httplib {
class Server;
}

namespace natss3::s3d {

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port (see port())
    std::string tls_cert, tls_key;
    int threads = 64;
    bool access_log = true;
    uint64_t max_payload = (5ull << 30) + (64ull << 20);  // 5 GiB object + aws-chunked framing
  };

  HttpServer(Options options, std::shared_ptr<S3Service> service);
  ~HttpServer();

  // Binds and starts serving on a background thread. kUnavailable when the address is taken.
  Status Start();
  int port() const { return port_; }
  // Stops accepting, lets requests in progress finish, joins.
  void Stop();
  Metrics& metrics() { return metrics_; }
  // NATS health as last observed (503 for S3 requests while false).
  void SetNatsUp(bool up);

 private:
  void Install();

  Options options_;
  std::shared_ptr<S3Service> service_;
  std::unique_ptr<httplib::Server> server_;
  Metrics metrics_;
  std::atomic<bool> nats_up_{true};
  int port_ = 0;
  std::thread thread_;
};

}  // namespace natss3::s3d
