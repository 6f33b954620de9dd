// The one seam between natss3d and cpp-httplib's internals. httplib_bridge.cc is the only file
// that goes beyond httplib's public API (its server's socket hand-off and request processing,
// its listening socket, the members a Response keeps a streamed body in, the Request it owns
// while it processes one); it checks at compile time that httplib is the version it was
// written against. The rest of s3d uses httplib's public types only (Request, Response,
// ContentReader, routes and handlers).
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace natss3::s3d {

class HubConnection;

// cpp-httplib's request parsing, routing and response writing over natss3d's connection layer
// (ConnectionHub): httplib's accept loop hands each accepted socket to `accept` instead of
// serving it on a thread of its own, and the hub's workers run one exchange at a time through
// Process(). Start/stop from one thread; Process() from the hub's workers.
class HttplibServer {
 public:
  struct Hooks {
    // An accepted socket, on the accepting thread; the callee owns it (must not block).
    std::function<void(int fd)> accept;
    // The accept loop ended: returns once the work handed over is done.
    std::function<void()> wait_idle;
  };
  explicit HttplibServer(Hooks hooks);
  ~HttplibServer();
  HttplibServer(const HttplibServer&) = delete;
  HttplibServer& operator=(const HttplibServer&) = delete;

  // Routes, handlers, settings, bind and listen: httplib's public API.
  httplib::Server& server();

  // One HTTP exchange on `connection`, whose request head is buffered whole. httplib never
  // acts on a Range header: natss3d applies S3's rules itself (GetObject). Left to httplib, a
  // Range would cut every answer to the range, error XML included, and a GET or HEAD whose
  // Range it cannot parse would get its own 416 (S3 ignores such a header). Returns false
  // when the connection must close; sets `connection_closed` when the client asked to close
  // it.
  bool Process(HubConnection& connection, bool close_connection, bool& connection_closed);

  // httplib listens with a backlog of 5, which drops SYNs when 16+ clients connect at once.
  void RaiseBacklog();
  // After bind: keeps a duplicate of the listening socket for StopAccepting().
  void KeepListenHandle();
  // Ends httplib's accept loop (accept() fails on a shut-down listening socket; httplib then
  // closes it and runs wait_idle). Unlike httplib's stop(), a response in progress is sent
  // whole instead of being cut off.
  void StopAccepting();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Gives the request being processed (`req`, inside Process()) its header values as the client
// sent them (HubConnection::request_head().raw_headers), as SigV4 signed them: httplib drops
// empty values and percent-decodes the others. Headers httplib adds itself (REMOTE_ADDR, ...)
// stay.
void RestoreSentHeaderValues(const httplib::Request& req);

// A request body reader that hands over the bytes as sent: httplib would inflate a
// Content-Encoding (gzip, deflate, br) and parse multipart/form-data while reading, so those
// headers are hidden from it while it reads (and back before anything else looks at them).
// `req` is the request `reader` belongs to, inside Process().
httplib::ContentReader UndecodedBodyReader(const httplib::Request& req,
                                           const httplib::ContentReader& reader);

// Reads the body of the request being processed (`req`, inside Process()) straight from its
// connection, as sent, into the caller's buffer: read(dst, size) returns the bytes read (at
// most `size`, fewer when fewer arrived), 0 at the end of the body, -1 when the client closed
// or timed out first. Saves the copies through httplib's 4 KiB pieces. Null when httplib must
// read the body itself (chunked Transfer-Encoding, a body over its payload limit) or `req` is
// not being processed on this thread. Use it or a ContentReader for a request, not both.
std::function<ssize_t(char* dst, size_t size)> DirectBodyReader(const httplib::Request& req);

// A Response's streamed body (set_content_provider), which httplib keeps outside its public API.
bool HasStreamedBody(const httplib::Response& res);
uint64_t StreamedBodyLength(const httplib::Response& res);  // 0 for none or chunked
// Drops a streamed body (so that an error body can replace it).
void DropStreamedBody(httplib::Response& res);
// Calls `on_first` once, after the first piece of the streamed body went to the socket.
void OnFirstStreamedPiece(httplib::Response& res, std::function<void()> on_first);

}  // namespace natss3::s3d
