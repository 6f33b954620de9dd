// Connection handling for natss3d's HTTP server: admission, the worker pool serving requests,
// graceful stop (the poller is in connection_hub_poller.cc).
#include "s3d/connection_hub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>

namespace natss3::s3d {

using SteadyClock = std::chrono::steady_clock;

namespace {
// The connection a worker is serving: for CloseAfterResponse, called from httplib's handlers.
thread_local HubConnection* t_serving = nullptr;

// Refused connections beyond this many still closing are closed without an answer (a flood
// must not make the refusals themselves hold descriptors).
constexpr size_t kMaxRefusedOpen = 1024;
}  // namespace

std::string ConnectionHub::AddressKey(const std::string& ip) {
  in6_addr v6{};
  if (ip.find(':') == std::string::npos || ::inet_pton(AF_INET6, ip.c_str(), &v6) != 1 ||
      IN6_IS_ADDR_V4MAPPED(&v6)) {
    return ip;
  }
  std::memset(v6.s6_addr + 8, 0, 8);
  char text[INET6_ADDRSTRLEN] = {0};
  ::inet_ntop(AF_INET6, &v6, text, sizeof(text));
  return std::string(text) + "/64";
}

ConnectionHub::Refusal ConnectionHub::FromHeadError(HeadError error) {
  switch (error) {
    case HeadError::kTooLarge: return Refusal::kHeaderTooLarge;
    case HeadError::kTooManyHeaders: return Refusal::kTooManyHeaders;
    case HeadError::kNotImplemented: return Refusal::kNotImplemented;
    case HeadError::kBodyTooLarge: return Refusal::kBodyTooLarge;
    case HeadError::kBadFraming:
    case HeadError::kNone: break;
  }
  return Refusal::kBadFraming;
}

const char* ConnectionHub::RefusalName(Refusal refusal) {
  static constexpr const char* kNames[] = {"busy", "busy_address", "header_too_large",
                                           "too_many_headers", "bad_framing", "not_implemented",
                                           "body_too_large", "header_timeout"};
  size_t i = static_cast<size_t>(refusal);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

ConnectionHub::ConnectionHub(Options options, Processor process, RefusalRenderer render)
    : options_(std::move(options)), process_(std::move(process)), render_(std::move(render)) {
  settings_.read_timeout = options_.read_timeout;
  settings_.write_timeout = options_.write_timeout;
  settings_.header_timeout = options_.limits.header_timeout;
  settings_.handshake_timeout = options_.limits.tls_handshake_timeout;
  settings_.keep_alive_timeout = options_.keep_alive_timeout;
  settings_.head_limits.max_bytes = options_.limits.max_header_bytes;
  settings_.head_limits.max_headers = options_.limits.max_headers;
  settings_.head_limits.max_body = options_.max_body;
  settings_.max_drain_bytes = options_.limits.max_drain_bytes;
}

ConnectionHub::~ConnectionHub() {
  BeginStop();
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers_exit_ = true;
    dropped.swap(jobs_);
  }
  work_cv_.notify_all();
  dropped.clear();
  for (auto& worker : workers_) worker.join();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (ssl_ctx_) SSL_CTX_free(ssl_ctx_);
}

namespace {

// A server TLS context of `cert` (PEM chain) and `key`; the caller owns it.
Result<SSL_CTX*> MakeTlsContext(const std::string& cert, const std::string& key) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Internal("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Idle connections keep no TLS buffers.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    char reason[256] = "unknown error";
    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return InvalidArgument("cannot load --tls-cert " + cert + " / --tls-key " + key + ": " +
                           reason);
  }
  return ctx;
}

}  // namespace

Status ConnectionHub::ReloadTls(const std::string& cert, const std::string& key) {
  if (cert.empty()) return {};
  NATSS3_ASSIGN_OR_RETURN(SSL_CTX * fresh, MakeTlsContext(cert, key));
  SSL_CTX* old = nullptr;
  {
    std::lock_guard<std::mutex> lock(tls_mu_);
    if (ssl_ctx_ == nullptr) {
      SSL_CTX_free(fresh);
      return FailedPrecondition("TLS cannot be turned on without a restart");
    }
    old = ssl_ctx_;
    ssl_ctx_ = fresh;
  }
  // Connections made with the old context hold their own reference (SSL_new takes one).
  SSL_CTX_free(old);
  return {};
}

Status ConnectionHub::Start() {
  if (!options_.tls_cert.empty()) {
    NATSS3_ASSIGN_OR_RETURN(ssl_ctx_, MakeTlsContext(options_.tls_cert, options_.tls_key));
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Internal(std::string("epoll: ") + std::strerror(errno));
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = 0;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { WorkerLoop(); });
  poller_ = std::thread([this] { PollerLoop(); });
  return Status::OK();
}

void ConnectionHub::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [&] { return jobs_.empty() && running_ == 0; });
}

void ConnectionHub::Enqueue(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(std::move(job));
  }
  work_cv_.notify_one();
}

void ConnectionHub::WorkerLoop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [&] { return workers_exit_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    try {
      job();
    } catch (...) {
      // httplib's exception handler covers request handlers; a throw here only loses the
      // connection, which the job's destruction closes.
    }
    t_serving = nullptr;
    job = nullptr;  // closes a connection the job still held, inside the running count
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    if (jobs_.empty() && running_ == 0) idle_cv_.notify_all();
  }
}

void ConnectionHub::Count(Refusal refusal) {
  size_t i = static_cast<size_t>(refusal);
  refused_[i].fetch_add(1, std::memory_order_relaxed);
  if (refusal != Refusal::kBusy && refusal != Refusal::kBusyAddress) return;
  // A full server says so in the log, once per 10 s (a flood must not flood the log).
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    SteadyClock::now().time_since_epoch()).count();
  int64_t last = last_warning_[i].load();
  if (now - last >= 10 && last_warning_[i].compare_exchange_strong(last, now)) {
    spdlog::warn("refusing connections: {} reached ({} refused so far)",
                 refusal == Refusal::kBusy ? "--max-connections" : "--max-connections-per-ip",
                 refused_[i].load());
  }
}

void ConnectionHub::ServeAccepted(int fd) {
  if (stopping_.load()) {
    ::close(fd);
    return;
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // httplib accept()s without it
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  SSL* ssl = nullptr;
  SSL_CTX* ctx = nullptr;
  {
    std::lock_guard<std::mutex> lock(tls_mu_);
    ctx = ssl_ctx_;
    if (ctx != nullptr) ssl = SSL_new(ctx);
  }
  if (ctx != nullptr) {
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1) {
      ERR_clear_error();
      if (ssl) SSL_free(ssl);
      ::close(fd);
      return;
    }
    SSL_set_accept_state(ssl);
  }
  auto connection = std::make_shared<HubConnection>(this, &settings_, fd, ssl);
  open_.fetch_add(1);
  connection->address_key = AddressKey(connection->remote_ip());
  std::optional<Refusal> refusal;
  {
    std::lock_guard<std::mutex> lock(addr_mu_);
    auto it = per_address_.find(connection->address_key);
    if (admitted_ >= options_.limits.max_connections) {
      refusal = Refusal::kBusy;
    } else if (it != per_address_.end() &&
               it->second >= options_.limits.max_connections_per_address) {
      refusal = Refusal::kBusyAddress;
    } else {
      ++admitted_;
      ++per_address_[connection->address_key];
      connection->admitted = true;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    connection->id = next_id_++;
  }
  if (refusal) {
    refused_open_.fetch_add(1);
    // No TLS handshake is spent on a connection that is refused anyway.
    if (ssl != nullptr || refused_open_.load() > kMaxRefusedOpen) {
      Count(*refusal);
      return;
    }
    Refuse(std::move(connection), *refusal);
    return;
  }
  connection->phase = ssl ? HubConnection::Phase::kHandshake : HubConnection::Phase::kHead;
  if (!ssl) connection->StartHeadClock(connection->accepted_at);
  Watch(std::move(connection));
}

void ConnectionHub::Forget(const HubConnection& connection) {
  open_.fetch_sub(1);
  if (!connection.admitted) {
    if (connection.id != 0) refused_open_.fetch_sub(1);
    return;
  }
  std::lock_guard<std::mutex> lock(addr_mu_);
  --admitted_;
  auto it = per_address_.find(connection.address_key);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

void ConnectionHub::Refuse(ConnectionPtr connection, Refusal refusal) {
  Count(refusal);
  connection->SendNow(render_(refusal));
  CloseLingering(std::move(connection));
}

void ConnectionHub::CloseLingering(ConnectionPtr connection) {
  connection->BeginClose();
  connection->phase = HubConnection::Phase::kClosing;
  Watch(std::move(connection));
}

std::chrono::milliseconds ConnectionHub::LingerNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.empty() ? options_.linger : std::chrono::milliseconds(0);
}

bool ConnectionHub::CloseAfterResponse(int status) {
  return t_serving != nullptr && t_serving->CloseAfterResponse(status);
}

// Serves requests on `connection`, whose next request head is buffered whole.
void ConnectionHub::Run(ConnectionPtr connection) {
  using Step = HubConnection::Step;
  using After = HubConnection::After;
  HubConnection* raw = connection.get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.insert(raw);
  }
  enum class Next { kClose, kWatch, kCloseLingering, kRefuse } next = Next::kClose;
  while (!stopping_.load()) {
    raw->phase = HubConnection::Phase::kServing;
    raw->BeginRequest();
    bool close = stopping_.load() || ++raw->requests >= options_.max_requests_per_connection;
    bool closed = false;
    t_serving = raw;
    bool ok = process_(*raw, close, closed);
    t_serving = nullptr;
    ok = raw->Flush() && ok;
    After after = raw->EndRequest(ok && !closed && !close && !stopping_.load());
    if (raw->last_unread() == HubConnection::Unread::kDrained) bodies_drained_.fetch_add(1);
    if (raw->last_unread() == HubConnection::Unread::kClosed) unread_body_closes_.fetch_add(1);
    if (after != After::kKeep) {
      next = after == After::kLingeringClose ? Next::kCloseLingering : Next::kClose;
      break;
    }
    raw->phase = HubConnection::Phase::kHead;
    Step step = raw->ReadHeadFor(LingerNow());
    if (step == Step::kComplete) continue;
    next = step == Step::kPending    ? Next::kWatch
           : step == Step::kRejected ? Next::kRefuse
                                     : Next::kClose;
    break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(raw);
  }
  if (stopping_.load()) return;  // `connection` closes as it goes out of scope
  switch (next) {
    case Next::kWatch:
      Watch(std::move(connection));
      break;
    case Next::kCloseLingering:
      CloseLingering(std::move(connection));
      break;
    case Next::kRefuse:
      Refuse(std::move(connection), FromHeadError(raw->head_error()));
      break;
    case Next::kClose:
      break;
  }
}

void ConnectionHub::BeginStop() {
  if (stopping_.exchange(true)) return;
  std::vector<ConnectionPtr> waiting;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, connection] : watched_) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection->fd(), nullptr);
      waiting.push_back(std::move(connection));
    }
    watched_.clear();
  }
  waiting.clear();  // closes them, outside the lock
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }
  if (poller_.joinable()) poller_.join();
}

bool ConnectionHub::Drain(SteadyClock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  auto idle = [&] { return jobs_.empty() && running_ == 0; };
  if (idle_cv_.wait_until(lock, deadline, idle)) return true;
  for (HubConnection* connection : active_) connection->ShutdownSocket();
  idle_cv_.wait_for(lock, std::chrono::seconds(10), idle);
  return false;
}

ConnectionHub::Stats ConnectionHub::stats() const {
  Stats stats;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, connection] : watched_) {
      if (connection->phase == HubConnection::Phase::kClosing) {
        ++stats.closing;
      } else if (connection->receiving()) {
        ++stats.reading;
      } else {
        ++stats.idle;
      }
    }
    stats.busy_workers = running_;
  }
  stats.open = open_.load();
  for (size_t i = 0; i < stats.refused.size(); ++i) stats.refused[i] = refused_[i].load();
  stats.handshake_timeouts = handshake_timeouts_.load();
  stats.handshake_failures = handshake_failures_.load();
  stats.bodies_drained = bodies_drained_.load();
  stats.unread_body_closes = unread_body_closes_.load();
  return stats;
}

}  // namespace natss3::s3d
