// Request framing for natss3d's connection layer: finds the end of an HTTP/1.1 request head
// exactly where cpp-httplib 0.11 will, enforces the header limits before httplib parses
// anything, and follows a request body's framing (Content-Length or chunked) so the hub knows
// whether a handler read the whole body and can skip what it left.
// Pure logic, no I/O; not thread-safe (one per connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>
#include <string_view>

namespace natss3::s3d {

struct HeadLimits {
  size_t max_bytes = 16 * 1024;  // request line + header lines + the blank line
  size_t max_headers = 100;      // header lines
  uint64_t max_body = UINT64_MAX;  // a larger Content-Length is refused
};

// Why a head is refused before httplib sees it.
enum class HeadError {
  kNone,
  kTooLarge,          // no end of head within max_bytes
  kTooManyHeaders,
  kBadFraming,        // Content-Length not a plain number, several different ones, encoded
  kNotImplemented,    // Transfer-Encoding other than one "chunked"; PATCH/PRI (see .cc)
  kBodyTooLarge,      // Content-Length above max_body
};

struct RequestHead {
  enum class Body { kNone, kLength, kChunked };
  size_t length = 0;  // bytes of the head, blank line included
  std::string method;  // of the request line
  Body body = Body::kNone;
  uint64_t content_length = 0;  // kLength
  bool expect_continue = false;
  // Content-Length and chunked together: served by Transfer-Encoding (as httplib does), then
  // the connection closes (RFC 9112 6.1: such a message may be a smuggling attempt).
  bool close_after = false;
  // The header lines httplib reads, as sent (value trimmed of surrounding spaces and tabs, as
  // httplib does), in order. httplib 0.11 drops a header whose value is empty and
  // percent-decodes the others; S3 keeps header values byte-exact (and SigV4 signs them so),
  // so the S3 layer takes them from here.
  std::vector<std::pair<std::string, std::string>> raw_headers;
};

// Scans the bytes of one request head as they arrive. Lines end at '\n' as in httplib's line
// reader; the head ends at the first line after the request line that is exactly "\r\n"
// (httplib skips other lines that lack the '\r').
class HeadScanner {
 public:
  enum class State { kPending, kComplete, kRejected };

  explicit HeadScanner(HeadLimits limits = {}) : limits_(limits) {}
  // `data`: every byte buffered for this request so far, from its first; between calls it
  // only grows at the end (Reset() to start the next request).
  State Scan(std::string_view data);
  void Reset();
  const RequestHead& head() const { return head_; }  // kComplete
  HeadError error() const { return error_; }         // kRejected

 private:
  State Reject(HeadError error);
  State Parse(std::string_view head);

  HeadLimits limits_;
  size_t scanned_ = 0;     // bytes examined
  size_t line_start_ = 0;  // of the line being scanned
  size_t lines_ = 0;       // complete lines, request line included
  State state_ = State::kPending;
  RequestHead head_;
  HeadError error_ = HeadError::kNone;
};

// Follows a request body through the bytes read from the connection after its head: how many
// belong to the body, and whether its end has passed. Chunked bodies are followed as httplib
// 0.11 reads them (size line, data, CRLF, ..., "0" line, trailer lines up to "\r\n").
class BodyTracker {
 public:
  void Start(const RequestHead& head);
  // Takes the body's bytes from the front of `data`; returns how many it took (fewer than
  // data.size() only once the body ended, or when the framing cannot be followed).
  size_t Consume(std::string_view data);
  bool done() const { return state_ == State::kDone; }
  // The chunked framing went wrong (httplib fails such a body too): the connection's position
  // in the byte stream is unknown.
  bool failed() const { return state_ == State::kFailed; }
  bool chunked() const { return chunked_; }
  // Bytes still to come: exact for Content-Length, unknown (UINT64_MAX) for chunked.
  uint64_t remaining() const;

 private:
  enum class State { kDone, kFailed, kData, kSizeLine, kDataEnd, kTrailer };
  bool EndLine();  // a line ended (in line_): advances the state; false on bad framing

  State state_ = State::kDone;
  bool chunked_ = false;
  uint64_t left_ = 0;  // of the current data run
  std::string line_;   // chunk size, data end or trailer line being read
};

}  // namespace natss3::s3d
