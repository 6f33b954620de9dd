// Connection handling for natss3d's HTTP server: worker pool, keep-alive parking, buffered
// (optionally TLS) streams, graceful stop.
#include "s3d/connection_hub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace natss3::s3d {

using SteadyClock = std::chrono::steady_clock;

namespace {
constexpr size_t kBufferBytes = 64 * 1024;

int Millis(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

// Waits for `events` on fd; true when ready (or hung up: the next read reports it).
bool PollFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

void Address(const sockaddr_storage& addr, std::string* ip, int* port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    *port = ntohs(v4->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    *port = ntohs(v6->sin6_port);
  }
  *ip = text;
}
}  // namespace

// One client connection and the httplib::Stream that process_request reads and writes.
// Used by one thread at a time (ownership passes through the hub's mutex).
class HubConnection final : public httplib::Stream {
 public:
  HubConnection(ConnectionHub* hub, int fd, SSL* ssl) : hub_(hub), fd_(fd), ssl_(ssl) {
    hub_->open_.fetch_add(1);
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      Address(addr, &remote_ip_, &remote_port_);
    }
    len = sizeof(addr);
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      Address(addr, &local_ip_, &local_port_);
    }
    in_.resize(kBufferBytes);
  }

  ~HubConnection() override {
    if (ssl_) {
      if (healthy_) SSL_shutdown(ssl_);  // close_notify; bounded by the send timeout
      SSL_free(ssl_);
    }
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    hub_->open_.fetch_sub(1);
  }

  bool is_readable() const override {
    return HasBufferedInput() || PollFor(fd_, POLLIN, ReadTimeoutMs());
  }
  bool is_writable() const override {
    return PollFor(fd_, POLLOUT, Millis(hub_->options_.write_timeout));
  }

  ssize_t read(char* ptr, size_t size) override {
    if (in_pos_ < in_len_) return TakeBuffered(ptr, size);
    if (!Flush()) return -1;  // e.g. "100 Continue" must reach the client before we wait
    if (size >= in_.size()) return RawRead(ptr, size);
    ssize_t n = RawRead(in_.data(), in_.size());
    if (n <= 0) return n;
    in_pos_ = 0;
    in_len_ = static_cast<size_t>(n);
    return TakeBuffered(ptr, size);
  }

  // Coalesces small writes (headers, small bodies); larger ones leave at once together with
  // what is pending, in one sendmsg.
  ssize_t write(const char* ptr, size_t size) override {
    if (out_.size() + size <= kBufferBytes) {
      out_.append(ptr, size);
      return static_cast<ssize_t>(size);
    }
    bool ok = SendAll(out_.data(), out_.size(), ptr, size);
    out_.clear();
    return ok ? static_cast<ssize_t>(size) : -1;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = remote_ip_;
    port = remote_port_;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = local_ip_;
    port = local_port_;
  }
  // httplib answers 500 when this is >= FD_SETSIZE (its own select() limit); the hub never
  // select()s, so report 0 for descriptors above it.
  socket_t socket() const override { return fd_ < FD_SETSIZE ? fd_ : 0; }

  bool Flush() {
    if (out_.empty()) return healthy_;
    bool ok = SendAll(out_.data(), out_.size(), nullptr, 0);
    out_.clear();
    return ok;
  }
  bool HasBufferedInput() const {
    return in_pos_ < in_len_ || (ssl_ != nullptr && SSL_has_pending(ssl_) == 1);
  }
  bool WaitReadable(int timeout_ms) const { return HasBufferedInput() || PollFor(fd_, POLLIN, timeout_ms); }
  // Wakes a handler blocked on this socket (forced stop); the destructor still closes it.
  void ShutdownSocket() {
    healthy_ = false;
    ::shutdown(fd_, SHUT_RDWR);
  }
  int fd() const { return fd_; }

  size_t requests = 0;
  SteadyClock::time_point parked_at;

 private:
  int ReadTimeoutMs() const { return Millis(hub_->options_.read_timeout); }

  ssize_t TakeBuffered(char* ptr, size_t size) {
    size_t n = std::min(size, in_len_ - in_pos_);
    std::memcpy(ptr, in_.data() + in_pos_, n);
    in_pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t RawRead(char* dst, size_t n) {
    if (!WaitReadable(ReadTimeoutMs())) return -1;
    if (ssl_) {
      size_t got = 0;
      if (SSL_read_ex(ssl_, dst, n, &got) == 1) return static_cast<ssize_t>(got);
      int error = SSL_get_error(ssl_, 0);
      if (error != SSL_ERROR_ZERO_RETURN) healthy_ = false;
      return error == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
    ssize_t got;
    do {
      got = ::recv(fd_, dst, n, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0) healthy_ = false;
    return got;
  }

  bool SendAll(const char* a, size_t a_len, const char* b, size_t b_len) {
    if (!healthy_) return false;
    if (ssl_) return SslWrite(a, a_len) && SslWrite(b, b_len);
    iovec iov[2] = {{const_cast<char*>(a), a_len}, {const_cast<char*>(b), b_len}};
    int first = a_len == 0 ? 1 : 0;
    int count = b_len == 0 ? 1 : 2;
    while (first < count) {
      msghdr msg{};
      msg.msg_iov = iov + first;
      msg.msg_iovlen = static_cast<size_t>(count - first);
      ssize_t sent = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) {  // includes the send timeout (EAGAIN)
        healthy_ = false;
        return false;
      }
      size_t left = static_cast<size_t>(sent);
      while (first < count && left >= iov[first].iov_len) left -= iov[first++].iov_len;
      if (first < count) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
    return true;
  }

  bool SslWrite(const char* data, size_t n) {
    while (n > 0) {
      size_t written = 0;
      if (SSL_write_ex(ssl_, data, n, &written) != 1) {
        healthy_ = false;
        return false;
      }
      data += written;
      n -= written;
    }
    return true;
  }

  ConnectionHub* hub_;
  int fd_;
  SSL* ssl_;
  std::atomic<bool> healthy_{true};  // false once an I/O failed or the hub shut the socket
  std::string remote_ip_, local_ip_;
  int remote_port_ = -1, local_port_ = -1;
  std::vector<char> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  std::string out_;
};

class ConnectionHub::Queue : public httplib::TaskQueue {
 public:
  explicit Queue(ConnectionHub* hub) : hub_(hub) {}
  void enqueue(std::function<void()> fn) override { hub_->Enqueue(std::move(fn)); }
  // httplib calls this when its accept loop ends: wait for the work it handed over.
  void shutdown() override {
    std::unique_lock<std::mutex> lock(hub_->mu_);
    hub_->idle_cv_.wait(lock, [&] { return hub_->jobs_.empty() && hub_->running_ == 0; });
  }

 private:
  ConnectionHub* hub_;
};

ConnectionHub::ConnectionHub(Options options, Processor process)
    : options_(std::move(options)), process_(std::move(process)) {}

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

Status ConnectionHub::Start() {
  if (!options_.tls_cert.empty()) {
    ssl_ctx_ = SSL_CTX_new(TLS_server_method());
    if (ssl_ctx_ == nullptr) return Internal("cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ssl_ctx_, TLS1_2_VERSION);
    SSL_CTX_set_options(ssl_ctx_, SSL_OP_NO_COMPRESSION);
    if (SSL_CTX_use_certificate_chain_file(ssl_ctx_, options_.tls_cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ssl_ctx_, options_.tls_key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ssl_ctx_) != 1) {
      char reason[256] = "unknown error";
      ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
      return InvalidArgument("cannot load --tls-cert " + options_.tls_cert + " / --tls-key " +
                             options_.tls_key + ": " + reason);
    }
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Internal(std::string("epoll: ") + std::strerror(errno));
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { WorkerLoop(); });
  poller_ = std::thread([this] { PollerLoop(); });
  return Status::OK();
}

httplib::TaskQueue* ConnectionHub::NewTaskQueue() { return new Queue(this); }

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
    job = nullptr;  // closes a connection the job still held, inside the running count
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
    if (jobs_.empty() && running_ == 0) idle_cv_.notify_all();
  }
}

void ConnectionHub::ServeAccepted(int fd) {
  if (stopping_.load()) {
    ::close(fd);
    return;
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // httplib accept()s without it
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval read_tv{static_cast<time_t>(options_.read_timeout.count()), 0};
  timeval write_tv{static_cast<time_t>(options_.write_timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_tv, sizeof(read_tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &write_tv, sizeof(write_tv));
  SSL* ssl = nullptr;
  if (ssl_ctx_ != nullptr) {
    ssl = SSL_new(ssl_ctx_);
    if (ssl == nullptr || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1) {
      ERR_clear_error();
      if (ssl) SSL_free(ssl);
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
      return;
    }
  }
  Run(std::make_shared<HubConnection>(this, fd, ssl));
}

std::chrono::milliseconds ConnectionHub::LingerNow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.empty() ? options_.linger : std::chrono::milliseconds(0);
}

void ConnectionHub::Run(std::shared_ptr<HubConnection> connection) {
  HubConnection* raw = connection.get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.insert(raw);
  }
  bool park = false;
  while (!stopping_.load()) {
    if (!raw->WaitReadable(Millis(LingerNow()))) {
      park = true;
      break;
    }
    bool close = stopping_.load() || ++raw->requests >= options_.max_requests_per_connection;
    bool closed = false;
    bool ok = process_(*raw, close, closed);
    ok = raw->Flush() && ok;
    if (!ok || closed || close) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_.erase(raw);
  }
  if (park) Park(std::move(connection));
}

void ConnectionHub::Park(std::shared_ptr<HubConnection> connection) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_.load()) {
    lock.unlock();
    return;  // `connection` closes as it goes out of scope
  }
  connection->parked_at = SteadyClock::now();
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = connection->fd();
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection->fd(), &event) != 0) {
    lock.unlock();
    return;
  }
  parked_[connection->fd()] = std::move(connection);
}

void ConnectionHub::TakeIdleLocked(SteadyClock::time_point older_than,
                                   std::vector<std::shared_ptr<HubConnection>>* taken) {
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->second->parked_at > older_than) {
      ++it;
      continue;
    }
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
    taken->push_back(std::move(it->second));
    it = parked_.erase(it);
  }
}

void ConnectionHub::PollerLoop() {
  epoll_event events[64];
  auto next_sweep = SteadyClock::now() + std::chrono::seconds(1);
  while (!stopping_.load()) {
    int n = ::epoll_wait(epoll_fd_, events, 64, 1000);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) continue;
      std::shared_ptr<HubConnection> ready;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = parked_.find(fd);
        if (it == parked_.end()) continue;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        ready = std::move(it->second);
        parked_.erase(it);
      }
      Enqueue([this, ready] { Run(ready); });
    }
    if (SteadyClock::now() >= next_sweep) {
      next_sweep = SteadyClock::now() + std::chrono::seconds(1);
      std::vector<std::shared_ptr<HubConnection>> expired;
      {
        std::lock_guard<std::mutex> lock(mu_);
        TakeIdleLocked(SteadyClock::now() - options_.keep_alive_timeout, &expired);
      }
      expired.clear();  // closes them, outside the lock
    }
  }
}

void ConnectionHub::BeginStop() {
  if (stopping_.exchange(true)) return;
  std::vector<std::shared_ptr<HubConnection>> idle;
  {
    std::lock_guard<std::mutex> lock(mu_);
    TakeIdleLocked(SteadyClock::time_point::max(), &idle);
  }
  idle.clear();  // closes them, outside the lock
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
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{open_.load(), parked_.size(), running_};
}

}  // namespace natss3::s3d
