// Raw HTTP/1.1 connections for the connection-layer tests.
#include "raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace natss3::s3d::test {

std::string LowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void ParseResponseHead(std::string_view head, int* status,
                       std::map<std::string, std::string>* headers) {
  size_t eol = head.find("\r\n");
  std::string_view status_line = head.substr(0, eol);
  if (status_line.size() >= 12) *status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    if (next == std::string_view::npos) next = head.size();
    std::string_view line = head.substr(pos, next - pos);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      (*headers)[LowerAscii(std::string(line.substr(0, colon)))] = std::string(value);
    }
    pos = next + 2;
  }
}

std::string S3ErrorCode(const std::string& body) {
  size_t a = body.find("<Code>");
  size_t b = body.find("</Code>");
  if (a == std::string::npos || b == std::string::npos) return {};
  return body.substr(a + 6, b - a - 6);
}

std::string RawResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string RawResponse::ErrorCode() const { return S3ErrorCode(body); }

bool RawResponse::SaysClose() const { return LowerAscii(Header("connection")) == "close"; }

int ConnectTcpLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::unique_ptr<RawConnection> RawConnection::Open(int port) {
  int fd = ConnectTcpLoopback(port);
  if (fd < 0) return nullptr;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{30, 0};  // a send never blocks a test forever
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return std::unique_ptr<RawConnection>(new RawConnection(fd));
}

RawConnection::~RawConnection() { ::close(fd_); }

bool RawConnection::Send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void RawConnection::Abort() {
  linger hard{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
  ::close(fd_);
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // keeps the destructor simple
  closed_ = true;
}

int RawConnection::Receive(std::chrono::milliseconds timeout) {
  if (closed_) return 0;
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, timeout.count())));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return -1;
  char chunk[65536];
  ssize_t n;
  do {
    n = ::recv(fd_, chunk, sizeof(chunk), MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 1;  // spurious wake-up
  if (n <= 0) {
    closed_ = true;
    return 0;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  return 1;
}

std::optional<RawResponse> RawConnection::Parse(bool head) {
  size_t end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  RawResponse response;
  ParseResponseHead(std::string_view(buffer_.data(), end), &response.status, &response.headers);
  size_t body_start = end + 4;
  size_t consumed = body_start;
  if (head || response.status == 204 || response.status == 304 || response.status / 100 == 1) {
    // no body
  } else if (LowerAscii(response.Header("transfer-encoding")) == "chunked") {
    size_t at = body_start;
    for (;;) {
      size_t line_end = buffer_.find("\r\n", at);
      if (line_end == std::string::npos) return std::nullopt;
      size_t size = std::strtoul(buffer_.c_str() + at, nullptr, 16);
      if (size == 0) {
        size_t trailer_end = buffer_.find("\r\n", line_end + 2);
        if (trailer_end == std::string::npos) return std::nullopt;
        consumed = trailer_end + 2;
        break;
      }
      if (buffer_.size() < line_end + 2 + size + 2) return std::nullopt;
      response.body.append(buffer_, line_end + 2, size);
      at = line_end + 2 + size + 2;
    }
  } else {
    size_t length = std::strtoul(response.Header("content-length").c_str(), nullptr, 10);
    if (buffer_.size() < body_start + length) return std::nullopt;
    response.body = buffer_.substr(body_start, length);
    consumed = body_start + length;
  }
  buffer_.erase(0, consumed);
  return response;
}

std::optional<RawResponse> RawConnection::Read(std::chrono::milliseconds timeout, bool head) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto response = Parse(head);
    if (response && response->status == 100) continue;
    if (response) return response;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || Receive(left) <= 0) return std::nullopt;
  }
}

bool RawConnection::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    int got = Receive(std::max(left, std::chrono::milliseconds(0)));
    if (got == 0) return true;
    if (got < 0) return false;  // nothing more within the timeout
  }
}

std::string PlainGet(const std::string& path, const std::string& extra_headers) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
         "Connection: close\r\n\r\n";
}

bool RaiseDescriptorLimit(size_t want) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= want) return true;
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, want);
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= want;
}

}  // namespace natss3::s3d::test
