// cpp-httplib setup for natss3d: routing, S3 error rendering and the ConnectionHub underneath.
#include "s3d/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "s3d/connection_hub.h"
#include "s3d/httplib_bridge.h"
#include "s3d/log_redact.h"

namespace natss3::s3d {

namespace {

std::string Target(const httplib::Request& req) { return req.target.empty() ? req.path : req.target; }

// The S3 error the hub sends when it refuses a connection or a request head itself.
std::string RenderRefusal(ConnectionHub::Refusal refusal) {
  using Refusal = ConnectionHub::Refusal;
  S3Error error = S3Error::InvalidRequest("Content-Length must be one decimal number");
  switch (refusal) {
    case Refusal::kBusy:
    case Refusal::kBusyAddress:
      error = {"SlowDown", "Please reduce your request rate.", 503};
      break;
    case Refusal::kHeaderTooLarge:
      error = {"RequestHeaderSectionTooLarge",
               "Your request header section exceeds the maximum allowed size.", 400};
      break;
    case Refusal::kTooManyHeaders:
      error = {"RequestHeaderSectionTooLarge",
               "Your request has more header fields than allowed.", 400};
      break;
    case Refusal::kNotImplemented:
      error = S3Error::NotImplemented();
      break;
    case Refusal::kBodyTooLarge:
      error = S3Error::EntityTooLarge();
      break;
    case Refusal::kHeaderTimeout:
      error = {"RequestTimeout",
               "Your socket connection to the server was not read from or written to within "
               "the timeout period.", 400};
      break;
    case Refusal::kBadFraming:
    case Refusal::kCount:
      break;
  }
  spdlog::debug("refused: {} ({})", ConnectionHub::RefusalName(refusal), error.code);
  std::string id = S3Service::NewRequestId();
  std::string body = ErrorXml(error, "", id);
  const char* reason = error.http_status == 503 ? "Service Unavailable"
                       : error.http_status == 501 ? "Not Implemented" : "Bad Request";
  std::string response = "HTTP/1.1 " + std::to_string(error.http_status) + " " + reason +
                         "\r\nContent-Type: application/xml\r\nContent-Length: " +
                         std::to_string(body.size()) +
                         "\r\nConnection: close\r\nServer: natss3\r\nx-amz-request-id: " + id +
                         "\r\n";
  if (error.http_status == 503) response += "Retry-After: 1\r\n";
  return response + "\r\n" + body;
}
}  // namespace

HttpServer::HttpServer(Options options, std::shared_ptr<S3Service> service)
    : options_(std::move(options)), service_(std::move(service)), access_log_(options_.access_log) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::SetNatsUp(bool up) {
  nats_up_.store(up);
  metrics_.SetNatsUp(up);
}

Status HttpServer::ReloadTls(const std::string& cert, const std::string& key) {
  if (!hub_) return FailedPrecondition("not started");
  return hub_->ReloadTls(cert, key);
}

size_t HttpServer::open_connections() const { return hub_ ? hub_->stats().open : 0; }
size_t HttpServer::idle_connections() const { return hub_ ? hub_->stats().idle : 0; }

Status HttpServer::Start() {
  ConnectionHub::Options hub_options;
  hub_options.workers = options_.threads;
  hub_options.keep_alive_timeout = options_.keep_alive_timeout;
  hub_options.tls_cert = options_.tls_cert;
  hub_options.tls_key = options_.tls_key;
  hub_options.limits = options_.limits;
  hub_options.max_body = options_.max_payload;
  hub_ = std::make_unique<ConnectionHub>(
      hub_options,
      [this](HubConnection& connection, bool close_connection, bool& closed) {
        return server_->Process(connection, close_connection, closed);
      },
      RenderRefusal);
  Status hub_started = hub_->Start();
  if (!hub_started.ok()) return hub_started;
  ConnectionHub* hub = hub_.get();
  server_ = std::make_unique<HttplibServer>(
      HttplibServer::Hooks{[hub](int fd) { hub->ServeAccepted(fd); }, [hub] { hub->WaitIdle(); }});
  Install();
  httplib::Server& svr = server_->server();
  if (options_.port == 0) {
    port_ = svr.bind_to_any_port(options_.host);
    if (port_ <= 0) return Unavailable("cannot bind " + options_.host);
  } else {
    if (!svr.bind_to_port(options_.host, options_.port)) {
      return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                         " (address in use?)");
    }
    port_ = options_.port;
  }
  server_->RaiseBacklog();
  server_->KeepListenHandle();
  thread_ = std::thread([this] { server_->server().listen_after_bind(); });
  return Status::OK();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
  hub_->BeginStop();
  server_->StopAccepting();  // also when the accept loop has not started: accept() fails at once
  if (!hub_->Drain(deadline)) {
    spdlog::warn("requests still running after the {} ms shutdown grace were cut off",
                 options_.shutdown_grace.count());
  }
  thread_.join();
}

std::string HttpServer::RenderMetrics() const {
  ConnectionHub::Stats stats = hub_->stats();
  char lines[768];
  std::snprintf(lines, sizeof(lines),
                "# HELP natss3_http_connections Open client connections by state.\n"
                "# TYPE natss3_http_connections gauge\n"
                "natss3_http_connections{state=\"busy\"} %zu\n"
                "natss3_http_connections{state=\"idle\"} %zu\n"
                "natss3_http_connections{state=\"reading\"} %zu\n"
                "natss3_http_connections{state=\"closing\"} %zu\n",
                stats.open - std::min(stats.open, stats.idle + stats.reading + stats.closing),
                stats.idle, stats.reading, stats.closing);
  ConnectionEvents events;
  for (size_t i = 0; i < stats.refused.size(); ++i) {
    events.refused.emplace_back(
        ConnectionHub::RefusalName(static_cast<ConnectionHub::Refusal>(i)), stats.refused[i]);
  }
  events.handshake_timeouts = stats.handshake_timeouts;
  events.handshake_failures = stats.handshake_failures;
  events.bodies_drained = stats.bodies_drained;
  events.unread_body_closes = stats.unread_body_closes;
  return metrics_.Render() + lines + RenderConnectionEvents(events) + RenderProcessMetrics();
}

HttpServer::Internal HttpServer::InternalEndpoint(const httplib::Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") return Internal::kNone;
  // Under a path no S3 bucket can have ('_' is not allowed in bucket names).
  if (req.path == "/_natss3/health/live") return Internal::kLive;
  if (req.path == "/_natss3/health/ready") return Internal::kReady;
  if (req.path == "/_natss3/metrics") return Internal::kMetrics;
  // The old paths are valid bucket names: answered only when they cannot be one, i.e. for an
  // unsigned path-style request while no bucket of that name exists.
  const bool healthz = req.path == "/healthz", metrics = req.path == "/metrics";
  if (!healthz && !metrics) return Internal::kNone;
  if (req.has_header("Authorization") || req.has_param("X-Amz-Signature") ||
      req.has_param("Signature")) {
    return Internal::kNone;
  }
  if (!options_.domain.empty()) {
    std::string host = req.get_header_value("Host");
    if (host.find(options_.domain) != std::string::npos && host.rfind(options_.domain, 0) != 0) {
      return Internal::kNone;  // virtual-hosted style: the path is a key
    }
  }
  auto bucket = service_->store().GetBucketStatus(req.path.substr(1));
  if (bucket.ok()) return Internal::kNone;
  return healthz ? Internal::kReady : Internal::kMetrics;
}

// Streamed bodies: the first call of the content provider hands the first bytes to the socket;
// otherwise the body is sent as soon as the handler returns.
void HttpServer::TimeFirstByte(const std::string& op,
                               std::chrono::steady_clock::time_point start,
                               httplib::Response& res) {
  auto since_start = [start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (!HasStreamedBody(res)) {
    metrics_.FirstByte(op, since_start());
    return;
  }
  OnFirstStreamedPiece(
      res, [op, since_start, metrics = &metrics_] { metrics->FirstByte(op, since_start()); });
}

void HttpServer::Serve(const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader* reader) {
  // GetObject applies Range itself (S3's rules): HttplibServer::Process dropped httplib's
  // parsed Range (a ranged GET of a missing bucket became an empty 416 instead of
  // NoSuchBucket, a 503 lost its retry).
  // Header values byte-exact, as clients signed them: httplib dropped empty values and
  // percent-decoded the others (which broke SigV4 for "filename=a%20b", lost empty user
  // metadata and decoded x-amz-copy-source and x-amz-tagging twice).
  RestoreSentHeaderValues(req);
  auto start = std::chrono::steady_clock::now();
  metrics_.RequestStarted();
  uint64_t bytes_in = 0;
  std::string op;
  Internal internal = InternalEndpoint(req);
  if (internal == Internal::kLive) {
    op = "Live";
    res.set_content("ok\n", "text/plain");
  } else if (internal == Internal::kReady) {
    op = "Health";
    Status health = service_->store().Health();
    SetNatsUp(health.ok());
    res.status = health.ok() ? 200 : 503;
    res.set_content(health.ok() ? "ok\n" : "nats unavailable: " + health.message() + "\n",
                    "text/plain");
  } else if (internal == Internal::kMetrics) {
    op = "Metrics";
    res.set_content(RenderMetrics(), "text/plain; version=0.0.4");
  } else if (!nats_up_.load() && !service_->store().Health().ok()) {
    op = "Unavailable";
    res.status = 503;
    res.set_content(
        ErrorXml(S3Error::ServiceUnavailable(), req.path, res.get_header_value("x-amz-request-id")),
        "application/xml");
    res.set_header("Retry-After", "1");
  } else {
    op = service_->Handle(req, res, reader, &bytes_in);
    if (res.status == 503) {
      // Clients (the SDKs' retry modes) wait at least this long before trying again.
      if (!res.has_header("Retry-After")) res.set_header("Retry-After", "1");
      SetNatsUp(service_->store().Health().ok());
    }
  }
  TimeFirstByte(op, start, res);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t bytes_out = StreamedBodyLength(res) > 0 ? StreamedBodyLength(res) : res.body.size();
  if (req.method == "HEAD") bytes_out = 0;
  metrics_.RequestFinished(op, res.status, seconds, bytes_in, bytes_out);
  if (access_log_.load(std::memory_order_relaxed)) {
    // Never the headers (Authorization), and the target without presigned-URL secrets.
    spdlog::info("{} \"{} {}\" {} {} {} {:.1f}ms {} {}", req.remote_addr, req.method,
                 RedactTarget(Target(req)),
                 res.status, bytes_in, bytes_out, seconds * 1000, op,
                 res.get_header_value("x-amz-request-id"));
  }
}

void HttpServer::Install() {
  httplib::Server& svr = server_->server();
  svr.set_payload_max_length(options_.max_payload);
  // Only for the Keep-Alive response header httplib writes; the hub enforces both.
  svr.set_keep_alive_timeout(options_.keep_alive_timeout.count());
  svr.set_keep_alive_max_count(ConnectionHub::Options{}.max_requests_per_connection);
  svr.set_read_timeout(60, 0);
  svr.set_write_timeout(60, 0);

  svr.set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("x-amz-request-id", S3Service::NewRequestId());
    res.set_header("Server", "natss3");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Runs as every response's headers are about to be written (httplib's own error answers
  // included): a request whose head or body was not read whole closes its connection, so the
  // rest is never parsed as a request, and the client is told.
  svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (!ConnectionHub::CloseAfterResponse(res.status)) return;
    res.headers.erase("Keep-Alive");
    if (res.get_header_value("Connection") != "close") {
      res.headers.erase("Connection");
      res.set_header("Connection", "close");
    }
  });
  svr.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!nats_up_.load()) return 100;  // the handler answers 503 after the body
    return service_->Expect100(req, res);
  });

  // [\s\S], not ".": keys may contain CR and LF (percent-encoded on the wire).
  const std::string any = "/[\\s\\S]*";
  svr.Get(any, [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res, nullptr); });
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) {
    // httplib decodes a body by its headers as it reads it: it inflates Content-Encoding gzip,
    // deflate or br, and parses multipart/form-data. S3 stores the bytes as sent (aws s3 cp
    // --content-encoding gzip), and their length and digests are checked as sent, so the body
    // is read with those headers hidden; they are back before anything else looks at them.
    httplib::ContentReader raw = UndecodedBodyReader(req, reader);
    Serve(req, res, &raw);
  };
  svr.Put(any, with_body);
  svr.Post(any, with_body);
  svr.Delete(any, with_body);
  svr.Options(any, [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, nullptr);
  });

  svr.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                               std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("unhandled exception serving {} {}: {}", req.method, LogSafe(req.path), what);
    res.status = 500;
    DropStreamedBody(res);
    res.headers.erase("Content-Type");
    res.set_content(
        ErrorXml(S3Error::InternalError(), req.path, res.get_header_value("x-amz-request-id")),
        "application/xml");
  });
  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                                httplib::Response& res) {
    // Errors of our handlers carry x-amz-request-id (set before routing); without it, httplib
    // rejected the request itself (400 bad request line, 413 payload too large, 416 for a
    // Range it cannot parse on a method other than GET and HEAD: HttplibServer::Process).
    if (!res.has_header("x-amz-request-id")) {
      res.set_header("x-amz-request-id", S3Service::NewRequestId());
    }
    if (!res.body.empty() || HasStreamedBody(res)) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    S3Error error{"InvalidRequest", "The request could not be parsed", res.status};
    if (res.status == 413) error = S3Error::EntityTooLarge();
    if (res.status == 416) error = S3Error::InvalidRange();
    if (res.status == 500) error = S3Error::InternalError();
    if (req.method != "HEAD") {
      res.set_content(ErrorXml(error, req.path, res.get_header_value("x-amz-request-id")),
                      "application/xml");
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
}

}  // namespace natss3::s3d
