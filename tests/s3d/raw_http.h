// Raw HTTP/1.1 connections for natss3d's connection-layer tests: keep-alive and pipelined
// requests, slow and idle clients, abrupt disconnects, and responses parsed one at a time from
// the byte stream (so a test sees every response a server sends, wanted or not).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace natss3::s3d::test {

// A TCP connection to 127.0.0.1:port (close-on-exec); -1 when it cannot be made.
int ConnectTcpLoopback(int port);
// ASCII lower case.
std::string LowerAscii(std::string s);
// The status code and the headers (names lower-cased) of a response head: the status line and
// the header lines, without the blank line that ends them.
void ParseResponseHead(std::string_view head, int* status,
                       std::map<std::string, std::string>* headers);
// <Code> of an S3 error body; empty when there is none.
std::string S3ErrorCode(const std::string& body);

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& lower_name) const;
  std::string ErrorCode() const;  // <Code> of an S3 error body
  bool SaysClose() const;         // "Connection: close"
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; null when the connection cannot be made.
  static std::unique_ptr<RawConnection> Open(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends all of `data` (blocking); false when the server closed or reset the connection.
  bool Send(std::string_view data);
  // The next response, within `timeout`; nullopt on a close, a reset or the timeout.
  // Interim 100 Continue answers are skipped. `head`: the request was a HEAD (no body).
  std::optional<RawResponse> Read(std::chrono::milliseconds timeout, bool head = false);
  // True when the server closes the connection (EOF or reset) within `timeout`; whatever it
  // sends meanwhile is kept for Read().
  bool WaitClosed(std::chrono::milliseconds timeout);
  // Closes with a TCP reset instead of a FIN.
  void Abort();
  int fd() const { return fd_; }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  // Parses one response from buffer_; nullopt when incomplete.
  std::optional<RawResponse> Parse(bool head);
  // Receives more bytes within `timeout`: >0 got some, 0 closed, -1 timeout.
  int Receive(std::chrono::milliseconds timeout);

  int fd_;
  std::string buffer_;
  bool closed_ = false;
};

// A plain GET (no signature) with "Connection: close" on a fresh connection.
std::string PlainGet(const std::string& path, const std::string& extra_headers = "");

// Raises this process's open-descriptor limit to at least `want` (within the hard limit).
bool RaiseDescriptorLimit(size_t want);

}  // namespace natss3::s3d::test
