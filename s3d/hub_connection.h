// HubConnection: one client connection of natss3d's ConnectionHub. It is the byte stream that
// httplib's request processing reads and writes through httplib_bridge.h (buffered, plain TCP
// or TLS, on a nonblocking socket whose waits are bounded by poll()), and it offers the nonblocking
// steps the hub drives it through between requests: the TLS handshake, reading a complete request
// head (checked by a HeadScanner before httplib parses it), skipping an unread body, and a
// lingering close. It also counts what httplib read of each request, so the hub can tell whether a
// handler left part of the body on the wire (which httplib would parse as the next request). Used
// by one thread at a time (ownership passes through the hub's mutex).
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "s3d/request_head.h"

namespace natss3::s3d {

class ConnectionHub;

class HubConnection final {
 public:
  using Clock = std::chrono::steady_clock;
  // Fixed for the hub's lifetime; owned by the hub.
  struct Settings {
    std::chrono::milliseconds read_timeout{60000};   // one wait for the client while serving
    std::chrono::milliseconds write_timeout{60000};
    std::chrono::milliseconds header_timeout{10000};  // a whole request head
    std::chrono::milliseconds handshake_timeout{10000};
    std::chrono::milliseconds keep_alive_timeout{30000};
    HeadLimits head_limits;
    uint64_t max_drain_bytes = 1 << 20;
  };
  enum class Phase { kHandshake, kHead, kServing, kClosing };
  // Result of a nonblocking step.
  enum class Step { kPending, kComplete, kRejected, kClosed };
  // What becomes of the connection after a response.
  enum class After { kKeep, kClose, kLingeringClose };
  // What happened to a request body the handler left unread.
  enum class Unread { kNone, kDrained, kClosed };

  // Takes ownership of `fd` (nonblocking) and `ssl` (null for plain TCP, else in accept state).
  HubConnection(ConnectionHub* hub, const Settings* settings, int fd, SSL* ssl);
  ~HubConnection();
  HubConnection(const HubConnection&) = delete;
  HubConnection& operator=(const HubConnection&) = delete;

  // The stream httplib reads a request from and writes its response to (the calls of its
  // Stream, adapted in httplib_bridge.cc): blocking semantics, each wait bounded by the read
  // or write timeout.
  bool is_readable() const;
  bool is_writable() const;
  ssize_t read(char* ptr, size_t size);
  ssize_t write(const char* ptr, size_t size);
  void get_remote_ip_and_port(std::string& ip, int& port) const;
  void get_local_ip_and_port(std::string& ip, int& port) const;

  // --- Between requests (never block) ---
  Step Handshake();  // one step of SSL_accept
  // Skips what is left of a body being drained, then reads and scans the next request head.
  // kRejected: see head_error().
  Step ReadHead();
  // ReadHead(), waiting up to `wait` for more bytes (a worker's linger after a response).
  Step ReadHeadFor(std::chrono::milliseconds wait);
  HeadError head_error() const { return scanner_.error(); }
  // The head of the request being served (after BeginRequest).
  const RequestHead& request_head() const { return head_; }
  // Closing: reads and drops what the client still sends; kComplete at its end (or after
  // max_drain_bytes), kPending while it may send more.
  Step DiscardInput();
  // Sends `bytes` if the socket takes them now (a refusal); false otherwise.
  bool SendNow(std::string_view bytes);
  // Ends the response stream (TLS close_notify, then a TCP half-close) while input is still
  // read and dropped: closing with unread input would make the kernel reset the connection,
  // and the client could lose the response.
  void BeginClose();
  // Starts the clock of the request head (a new connection: at accept or after the handshake).
  void StartHeadClock(Clock::time_point now);
  // When the current phase times out.
  Clock::time_point Deadline() const;
  // Bytes of a request head arrived but not the whole head.
  bool HasPartialHead() const { return !draining_ && in_pos_ < in_len_; }
  // The head deadline runs: a new connection, a request begun, or a body rest being skipped
  // (otherwise the connection is idle, under the keep-alive timeout).
  bool head_clock_running() const { return head_clock_; }
  // HasPartialHead() or handshaking, as of the last step; readable from any thread (metrics).
  bool receiving() const { return receiving_.load(std::memory_order_relaxed); }
  bool want_write() const { return want_write_; }
  // Frees the read buffer of an idle connection (nothing buffered).
  void ReleaseIdleBuffer();

  // --- Serving a request (its head is buffered whole) ---
  void BeginRequest();
  // Before the first read() of the request: renames its header lines `name` (any case, as
  // httplib matches names) in the buffered head, so that httplib's parser takes them for
  // header `hidden_name` (of the same length) instead; request_head().raw_headers keeps them
  // as sent.
  void RenameHeadHeader(std::string_view name, std::string_view hidden_name);
  // As the response's headers are about to be written: true when the connection must close
  // after it (Connection: close).
  bool CloseAfterResponse(int status);
  // After process_request. `reusable`: the exchange succeeded and neither side asked to close.
  After EndRequest(bool reusable);
  Unread last_unread() const { return unread_; }

  bool Flush();
  // Wakes a handler blocked on this socket (forced stop); the destructor still closes it.
  void ShutdownSocket();

  int fd() const { return fd_; }
  const std::string& remote_ip() const { return remote_ip_; }

  // Hub bookkeeping (guarded by the hub).
  uint64_t id = 0;
  Phase phase = Phase::kHead;
  bool admitted = false;  // counted against the connection caps
  std::string address_key;
  size_t requests = 0;
  Clock::time_point accepted_at = Clock::now();

 private:
  static constexpr ssize_t kWouldBlock = -2;

  Step ReadHeadStep();
  ssize_t TryRead(char* dst, size_t n);                 // never blocks
  ssize_t RawRead(char* dst, size_t n);                 // waits up to the read timeout
  bool WaitFor(short events, std::chrono::milliseconds timeout) const;
  bool HasBufferedInput() const;
  ssize_t TakeBuffered(char* ptr, size_t size);
  void Account(const char* data, size_t n);             // bytes handed to httplib
  void Reserve(size_t capacity);
  bool SendAll(const char* a, size_t a_len, const char* b, size_t b_len);
  bool SslWrite(const char* data, size_t n);
  bool UnreadInput() const;                             // request bytes left on the wire

  ConnectionHub* hub_;
  const Settings* settings_;
  int fd_;
  SSL* ssl_;
  std::atomic<bool> healthy_{true};  // false once an I/O failed or the hub shut the socket
  bool want_write_ = false;          // a nonblocking TLS step waits for POLLOUT
  bool established_ = false;         // plain TCP, or the TLS handshake is done
  std::atomic<bool> receiving_{false};
  bool closing_ = false;
  std::string remote_ip_, local_ip_;
  int remote_port_ = -1, local_port_ = -1;

  std::vector<char> in_;
  size_t in_pos_ = 0, in_len_ = 0;
  std::string out_;

  // Between requests.
  HeadScanner scanner_;
  bool head_clock_ = false;  // head_started_ is running
  Clock::time_point head_started_;
  Clock::time_point idle_since_ = Clock::now();
  Clock::time_point closing_since_;
  bool draining_ = false;  // skipping the rest of the last body (body_)
  uint64_t discarded_ = 0;

  // The request being served.
  RequestHead head_;
  BodyTracker body_;
  size_t head_delivered_ = 0;
  bool overread_ = false;  // httplib read past the body's end
  bool decided_ = false;   // CloseAfterResponse ran
  bool close_ = false;
  bool drain_ = false;
  Unread unread_ = Unread::kNone;
};

}  // namespace natss3::s3d
