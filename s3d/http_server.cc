// cpp-httplib setup for natss3d.
#include "s3d/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <chrono>

namespace natss3::s3d {
namespace {

// Exposes the listening socket so the accept backlog can be raised: the shared httplib
// library listens with a backlog of 5, which drops SYNs when 16+ clients connect at once.
template <typename Base>
class TunedServer : public Base {
 public:
  using Base::Base;
  void RaiseBacklog() { ::listen(this->svr_sock_, 1024); }
};

std::string Target(const httplib::Request& req) { return req.target.empty() ? req.path : req.target; }

}  // namespace

HttpServer::HttpServer(Options options, std::shared_ptr<S3Service> service)
    : options_(std::move(options)), service_(std::move(service)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::SetNatsUp(bool up) {
  nats_up_.store(up);
  metrics_.SetNatsUp(up);
}

Status HttpServer::Start() {
  if (!options_.tls_cert.empty()) {
    auto tls = std::make_unique<TunedServer<httplib::SSLServer>>(options_.tls_cert.c_str(),
                                                                 options_.tls_key.c_str());
    if (!tls->is_valid()) return InvalidArgument("cannot load --tls-cert/--tls-key");
    server_ = std::move(tls);
  } else {
    server_ = std::make_unique<TunedServer<httplib::Server>>();
  }
  Install();
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Unavailable("cannot bind " + options_.host);
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return Unavailable("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                         " (address in use?)");
    }
    port_ = options_.port;
  }
  if (!options_.tls_cert.empty()) {
    static_cast<TunedServer<httplib::SSLServer>*>(server_.get())->RaiseBacklog();
  } else {
    static_cast<TunedServer<httplib::Server>*>(server_.get())->RaiseBacklog();
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::OK();
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::Install() {
  httplib::Server& svr = *server_;
  int threads = options_.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_tcp_nodelay(true);
  svr.set_payload_max_length(options_.max_payload);
  svr.set_keep_alive_max_count(1000);
  svr.set_keep_alive_timeout(30);
  svr.set_read_timeout(60, 0);
  svr.set_write_timeout(60, 0);

  svr.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("x-amz-request-id", S3Service::NewRequestId());
    res.set_header("Server", "natss3");
    (void)req;
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!nats_up_.load()) return 100;  // the handler answers 503 after the body
    return service_->Expect100(req, res);
  });

  auto serve = [this](const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader* reader) {
    auto start = std::chrono::steady_clock::now();
    metrics_.RequestStarted();
    uint64_t bytes_in = 0;
    std::string op;
    if (req.path == "/healthz" && req.method == "GET") {
      op = "Health";
      Status health = service_->store().Health();
      SetNatsUp(health.ok());
      res.status = health.ok() ? 200 : 503;
      res.set_content(health.ok() ? "ok\n" : "nats unavailable: " + health.message() + "\n",
                      "text/plain");
    } else if (req.path == "/metrics" && req.method == "GET") {
      op = "Metrics";
      res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
    } else if (!nats_up_.load() && !service_->store().Health().ok()) {
      op = "Unavailable";
      res.status = 503;
      res.set_content(ErrorXml(errors::ServiceUnavailable(), req.path,
                               res.get_header_value("x-amz-request-id")),
                      "application/xml");
      res.set_header("Retry-After", "1");
    } else {
      op = service_->Handle(req, res, reader, &bytes_in);
      if (res.status == 503) SetNatsUp(service_->store().Health().ok());
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    uint64_t bytes_out = res.content_length_ > 0 ? res.content_length_ : res.body.size();
    if (req.method == "HEAD") bytes_out = 0;
    metrics_.RequestFinished(op, res.status, seconds, bytes_in, bytes_out);
    if (options_.access_log) {
      spdlog::info("{} \"{} {}\" {} {} {} {:.1f}ms {} {}", req.remote_addr, req.method, Target(req),
                   res.status, bytes_in, bytes_out, seconds * 1000, op,
                   res.get_header_value("x-amz-request-id"));
    }
  };
  const std::string any = "/.*";
  svr.Get(any, [serve](const httplib::Request& req, httplib::Response& res) { serve(req, res, nullptr); });
  auto with_body = [serve](const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& reader) { serve(req, res, &reader); };
  svr.Put(any, with_body);
  svr.Post(any, with_body);
  svr.Delete(any, with_body);
  svr.Options(any, [](const httplib::Request&, httplib::Response& res) { res.status = 501; });

  svr.set_exception_handler([](const httplib::Request& req, httplib::Response& res,
                               std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("unhandled exception serving {} {}: {}", req.method, req.path, what);
    res.status = 500;
    res.content_provider_ = nullptr;
    res.content_length_ = 0;
    res.headers.erase("Content-Type");
    res.set_content(ErrorXml(errors::InternalError(), req.path,
                             res.get_header_value("x-amz-request-id")),
                    "application/xml");
  });
  svr.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                                 httplib::Response& res) {
    // httplib's own rejections (400 bad request line, 413 payload too large, 416 bad Range).
    if (!res.has_header("x-amz-request-id")) {
      res.set_header("x-amz-request-id", S3Service::NewRequestId());
    }
    if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    ApiError error{"InvalidRequest", "The request could not be parsed", res.status};
    if (res.status == 413) error = errors::EntityTooLarge();
    if (res.status == 416) error = errors::InvalidRange();
    if (req.method != "HEAD") {
      res.set_content(ErrorXml(error, req.path, res.get_header_value("x-amz-request-id")),
                      "application/xml");
    }
    return httplib::Server::HandlerResponse::Handled;
  }));
}

}  // namespace natss3::s3d
