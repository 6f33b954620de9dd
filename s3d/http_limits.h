// The limits natss3d's HTTP layer puts on clients (connection caps, header deadline and sizes,
// unread-body draining): set by flags (config.h), enforced by the ConnectionHub.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace natss3::s3d {

struct HttpLimits {
  // Open connections beyond these are answered 503 SlowDown and closed (TLS ones just closed).
  size_t max_connections = 4096;
  size_t max_connections_per_address = 256;  // per client IP (IPv6: per /64)
  // The request line and every header must arrive within this (from accept, the TLS
  // handshake's end, or a request's first byte); the connection is closed at the deadline.
  // A request waiting for its head costs no worker thread.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds tls_handshake_timeout{10};  // from accept
  size_t max_headers = 100;               // header lines per request
  size_t max_header_bytes = 16 * 1024;    // request line + headers
  // A request body its handler did not read is read and dropped up to this many bytes so the
  // connection stays usable; beyond (or after an error answer) the connection closes.
  uint64_t max_drain_bytes = 1 << 20;
};

}  // namespace natss3::s3d
