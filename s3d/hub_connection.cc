// HubConnection: buffered TCP/TLS stream on a nonblocking socket, nonblocking head reading,
// and the accounting of what httplib read of each request.
#include "s3d/hub_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "s3d/connection_hub.h"

namespace natss3::s3d {

namespace {
// Read buffer while a request is served; output is coalesced up to the same size.
constexpr size_t kBufferBytes = 64 * 1024;
// A closing connection reads and drops the client's bytes this long at most.
constexpr auto kClosingLinger = std::chrono::seconds(2);

int Millis(std::chrono::milliseconds d) {
  return static_cast<int>(std::clamp<int64_t>(d.count(), 0, 24 * 3600 * 1000));
}

// Waits for `events` on fd; true when ready (or hung up: the next I/O reports it).
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

HubConnection::HubConnection(ConnectionHub* hub, const Settings* settings, int fd, SSL* ssl)
    : hub_(hub), settings_(settings), fd_(fd), ssl_(ssl), scanner_(settings->head_limits) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    Address(addr, &remote_ip_, &remote_port_);
  }
  len = sizeof(addr);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    Address(addr, &local_ip_, &local_port_);
  }
  established_ = ssl_ == nullptr;
  receiving_ = ssl_ != nullptr;
  idle_since_ = head_started_ = accepted_at;
}

HubConnection::~HubConnection() {
  if (ssl_) {
    if (established_ && healthy_ && !closing_) {
      ERR_clear_error();
      SSL_shutdown(ssl_);  // close_notify, if the socket takes it now
    }
    SSL_free(ssl_);
    ERR_clear_error();
  }
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  hub_->Forget(*this);
}

bool HubConnection::WaitFor(short events, std::chrono::milliseconds timeout) const {
  return PollFor(fd_, events, Millis(timeout));
}

bool HubConnection::HasBufferedInput() const {
  return in_pos_ < in_len_ || (ssl_ != nullptr && SSL_has_pending(ssl_) == 1);
}

bool HubConnection::is_readable() const {
  return HasBufferedInput() || WaitFor(POLLIN, settings_->read_timeout);
}

bool HubConnection::is_writable() const { return WaitFor(POLLOUT, settings_->write_timeout); }

void HubConnection::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = remote_ip_;
  port = remote_port_;
}

void HubConnection::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = local_ip_;
  port = local_port_;
}

void HubConnection::Reserve(size_t capacity) {
  if (in_.size() < capacity) in_.resize(capacity);
}

void HubConnection::ReleaseIdleBuffer() {
  if (in_pos_ < in_len_ || draining_) return;
  std::vector<char>().swap(in_);
  in_pos_ = in_len_ = 0;
}

ssize_t HubConnection::TakeBuffered(char* ptr, size_t size) {
  size_t n = std::min(size, in_len_ - in_pos_);
  std::memcpy(ptr, in_.data() + in_pos_, n);
  in_pos_ += n;
  return static_cast<ssize_t>(n);
}

ssize_t HubConnection::TryRead(char* dst, size_t n) {
  if (ssl_) {
    size_t got = 0;
    ERR_clear_error();
    if (SSL_read_ex(ssl_, dst, n, &got) == 1) return static_cast<ssize_t>(got);
    int error = SSL_get_error(ssl_, 0);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      want_write_ = error == SSL_ERROR_WANT_WRITE;
      return kWouldBlock;
    }
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    healthy_ = false;
    return -1;
  }
  ssize_t got;
  do {
    got = ::recv(fd_, dst, n, 0);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      want_write_ = false;
      return kWouldBlock;
    }
    healthy_ = false;
  }
  return got;
}

ssize_t HubConnection::RawRead(char* dst, size_t n) {
  for (;;) {
    ssize_t got = TryRead(dst, n);
    if (got != kWouldBlock) return got;
    if (!WaitFor(want_write_ ? POLLOUT : POLLIN, settings_->read_timeout)) return -1;
  }
}

ssize_t HubConnection::read(char* ptr, size_t size) {
  ssize_t n;
  if (in_pos_ < in_len_) {
    n = TakeBuffered(ptr, size);
  } else {
    if (!Flush()) return -1;  // e.g. "100 Continue" must reach the client before we wait
    in_pos_ = in_len_ = 0;
    Reserve(kBufferBytes);
    if (size >= in_.size()) {
      n = RawRead(ptr, size);
    } else {
      n = RawRead(in_.data(), in_.size());
      if (n <= 0) return n;
      in_len_ = static_cast<size_t>(n);
      n = TakeBuffered(ptr, size);
    }
  }
  if (n > 0) Account(ptr, static_cast<size_t>(n));
  return n;
}

// Coalesces small writes (headers, small bodies); larger ones leave at once together with
// what is pending, in one sendmsg.
ssize_t HubConnection::write(const char* ptr, size_t size) {
  if (out_.size() + size <= kBufferBytes) {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  bool ok = SendAll(out_.data(), out_.size(), ptr, size);
  out_.clear();
  return ok ? static_cast<ssize_t>(size) : -1;
}

bool HubConnection::Flush() {
  if (out_.empty()) return healthy_;
  bool ok = SendAll(out_.data(), out_.size(), nullptr, 0);
  out_.clear();
  return ok;
}

void HubConnection::ShutdownSocket() {
  healthy_ = false;
  ::shutdown(fd_, SHUT_RDWR);
}

bool HubConnection::SendAll(const char* a, size_t a_len, const char* b, size_t b_len) {
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
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
        WaitFor(POLLOUT, settings_->write_timeout)) {
      continue;
    }
    if (sent <= 0) {  // an error, or the client took nothing for the write timeout
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

bool HubConnection::SslWrite(const char* data, size_t n) {
  while (n > 0) {
    size_t written = 0;
    ERR_clear_error();
    if (SSL_write_ex(ssl_, data, n, &written) == 1) {
      data += written;
      n -= written;
      continue;
    }
    // Retried with the same arguments, as OpenSSL requires after WANT_*.
    int error = SSL_get_error(ssl_, 0);
    short events = error == SSL_ERROR_WANT_WRITE  ? POLLOUT
                   : error == SSL_ERROR_WANT_READ ? POLLIN
                                                  : 0;
    if (events == 0 || !WaitFor(events, settings_->write_timeout)) {
      healthy_ = false;
      return false;
    }
  }
  return true;
}

HubConnection::Step HubConnection::Handshake() {
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    established_ = true;
    want_write_ = false;
    return Step::kComplete;
  }
  int error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    want_write_ = error == SSL_ERROR_WANT_WRITE;
    return Step::kPending;
  }
  healthy_ = false;
  return Step::kClosed;
}

void HubConnection::StartHeadClock(Clock::time_point now) {
  head_clock_ = true;
  head_started_ = now;
}

HubConnection::Step HubConnection::ReadHead() {
  Step step = ReadHeadStep();
  receiving_.store(HasPartialHead(), std::memory_order_relaxed);
  return step;
}

HubConnection::Step HubConnection::ReadHeadStep() {
  for (;;) {
    if (draining_) {
      size_t n = body_.Consume(std::string_view(in_.data() + in_pos_, in_len_ - in_pos_));
      in_pos_ += n;
      discarded_ += n;
      if (body_.failed()) return Step::kClosed;
      if (body_.done()) draining_ = false;
    }
    if (!draining_ && in_pos_ < in_len_) {
      if (!head_clock_) StartHeadClock(Clock::now());
      auto state = scanner_.Scan(std::string_view(in_.data() + in_pos_, in_len_ - in_pos_));
      if (state == HeadScanner::State::kComplete) return Step::kComplete;
      if (state == HeadScanner::State::kRejected) return Step::kRejected;
    }
    // Keep what is buffered at the front (the scanner's offsets are relative to it).
    if (in_pos_ == in_len_) {
      in_pos_ = in_len_ = 0;
    } else if (in_pos_ > 0) {
      std::memmove(in_.data(), in_.data() + in_pos_, in_len_ - in_pos_);
      in_len_ -= in_pos_;
      in_pos_ = 0;
    }
    // The scanner refuses a head once max_bytes arrived, so this never fills up with one.
    Reserve(std::min(kBufferBytes, settings_->head_limits.max_bytes + 1));
    if (in_len_ == in_.size()) Reserve(in_.size() * 2);
    ssize_t got = TryRead(in_.data() + in_len_, in_.size() - in_len_);
    if (got == kWouldBlock) return Step::kPending;
    if (got <= 0) return Step::kClosed;
    in_len_ += static_cast<size_t>(got);
  }
}

HubConnection::Step HubConnection::ReadHeadFor(std::chrono::milliseconds wait) {
  auto deadline = Clock::now() + wait;
  for (;;) {
    Step step = ReadHead();
    if (step != Step::kPending) return step;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || !WaitFor(want_write_ ? POLLOUT : POLLIN, left)) return Step::kPending;
  }
}

HubConnection::Step HubConnection::DiscardInput() {
  char scratch[16384];
  for (;;) {
    ssize_t got;
    do {
      got = ::recv(fd_, scratch, sizeof(scratch), MSG_DONTWAIT);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Step::kPending : Step::kComplete;
    if (got == 0) return Step::kComplete;
    discarded_ += static_cast<uint64_t>(got);
    if (discarded_ > settings_->max_drain_bytes) return Step::kComplete;
  }
}

bool HubConnection::SendNow(std::string_view bytes) {
  if (!healthy_ || !established_) return false;
  if (ssl_) {
    size_t written = 0;
    ERR_clear_error();
    return SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1 &&
           written == bytes.size();
  }
  ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  return sent == static_cast<ssize_t>(bytes.size());
}

void HubConnection::BeginClose() {
  Flush();
  if (ssl_ && established_ && healthy_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
  }
  closing_ = true;
  ::shutdown(fd_, SHUT_WR);
  closing_since_ = Clock::now();
  discarded_ = 0;
  draining_ = false;
  in_pos_ = in_len_ = 0;
  ReleaseIdleBuffer();
}

HubConnection::Clock::time_point HubConnection::Deadline() const {
  switch (phase) {
    case Phase::kHandshake:
      return accepted_at + settings_->handshake_timeout;
    case Phase::kClosing:
      return closing_since_ + kClosingLinger;
    case Phase::kHead:
      return head_clock_ ? head_started_ + settings_->header_timeout
                         : idle_since_ + settings_->keep_alive_timeout;
    case Phase::kServing:
      break;
  }
  return Clock::time_point::max();
}

void HubConnection::BeginRequest() {
  head_ = scanner_.head();
  scanner_.Reset();
  body_.Start(head_);
  head_delivered_ = 0;
  overread_ = decided_ = close_ = drain_ = false;
  unread_ = Unread::kNone;
  head_clock_ = false;
  Reserve(kBufferBytes);
}

void HubConnection::RenameHeadHeader(std::string_view name, std::string_view hidden_name) {
  if (hidden_name.size() != name.size() || head_delivered_ > 0) return;
  std::string_view head(in_.data() + in_pos_, std::min(head_.length, in_len_ - in_pos_));
  size_t pos = head.find('\n');  // after the request line
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    size_t start = pos + 1;
    pos = head.find('\n', start);
    // Lines as httplib reads them: it skips those without the '\r', and a header's name is
    // everything before the first ':'.
    if (pos == std::string_view::npos || pos == start || head[pos - 1] != '\r') continue;
    std::string_view line = head.substr(start, pos - start);
    if (line.size() <= name.size() || line[name.size()] != ':') continue;
    if (strncasecmp(line.data(), name.data(), name.size()) != 0) continue;
    std::memcpy(in_.data() + in_pos_ + start, hidden_name.data(), hidden_name.size());
  }
}

void HubConnection::Account(const char* data, size_t n) {
  size_t head_left = head_.length - std::min(head_.length, head_delivered_);
  size_t in_head = std::min(n, head_left);
  head_delivered_ += in_head;
  if (n > in_head && body_.Consume(std::string_view(data + in_head, n - in_head)) < n - in_head) {
    overread_ = true;
  }
}

bool HubConnection::CloseAfterResponse(int status) {
  decided_ = true;
  // httplib gave up inside the head (it answers 400 and would read on from there), read past
  // the body, or the framing asks for a close: the position in the byte stream is lost.
  if (head_delivered_ < head_.length || overread_ || body_.failed() || head_.close_after) {
    close_ = true;
    return true;
  }
  if (body_.done()) return false;
  // A body the handler left unread would be parsed as the next request. An error answer
  // closes (S3 clients retry on a new connection, and a client told "100 Continue" was not
  // sent may never send the body); a small rest after a success is skipped instead.
  if (status >= 400 || head_.expect_continue || body_.chunked() ||
      body_.remaining() > settings_->max_drain_bytes) {
    unread_ = Unread::kClosed;
    close_ = true;
    return true;
  }
  drain_ = true;
  return false;
}

bool HubConnection::UnreadInput() const {
  return head_delivered_ < head_.length || !body_.done() || overread_ || in_pos_ < in_len_;
}

HubConnection::After HubConnection::EndRequest(bool reusable) {
  bool complete = head_delivered_ >= head_.length && body_.done() && !overread_;
  if (!decided_) {  // no response was written
    close_ = !complete || head_.close_after;
    if (!complete) unread_ = Unread::kClosed;
  }
  if (!healthy_) return After::kClose;
  if (!reusable || close_ || (!complete && !drain_)) {
    return UnreadInput() ? After::kLingeringClose : After::kClose;
  }
  auto now = Clock::now();
  if (!complete) {
    // The rest of the body is skipped before the next head, within the header timeout.
    draining_ = true;
    unread_ = Unread::kDrained;
    StartHeadClock(now);
    return After::kKeep;
  }
  idle_since_ = now;
  return After::kKeep;
}

}  // namespace natss3::s3d
