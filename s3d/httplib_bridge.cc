// The only file of natss3d that uses cpp-httplib beyond its public API (see httplib_bridge.h).
#include "s3d/httplib_bridge.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "s3d/hub_connection.h"

// Everything below relies on httplib 0.11.4's internals: Server::process_request and its
// setup_request hook (called after the head and its Range are parsed, before Expect and
// routing; a Range it cannot parse is answered 416 before the hook), the private virtual
// process_and_close_socket, the protected svr_sock_ and payload_max_length_,
// Response::content_provider_ and content_length_, ContentReader::multipart_reader_, a
// ContentReader that consults the headers of the Request it was made for while it reads, and
// a routed request whose body httplib has not read before the handler runs (so the handler may
// read it from the connection itself). Check each of them before changing the version here.
static_assert(std::string_view(CPPHTTPLIB_VERSION) == "0.11.4",
              "s3d/httplib_bridge.cc was written against cpp-httplib 0.11.4 internals: review "
              "it against the new version before building with another one");

namespace natss3::s3d {
namespace {

// The Request httplib is processing on this thread, as httplib's setup_request hook handed it
// over (writable), for the duration of HttplibServer::Process.
thread_local httplib::Request* t_request = nullptr;
thread_local HubConnection* t_connection = nullptr;
thread_local size_t t_payload_max = 0;  // httplib's payload_max_length_, for DirectBodyReader

// What a GET's or HEAD's Range header is called while httplib parses the head: httplib 0.11
// answers 416 itself to a Range it cannot parse, where S3 ignores such a header and serves the
// whole object (GetObject applies Range itself). Not a valid header name ('(' is no token
// character), so no client header is taken for it.
constexpr std::string_view kRangeHeader = "Range";
constexpr std::string_view kHiddenRangeHeader = "(ange";

httplib::Request* Processing(const httplib::Request& req) {
  return t_request == &req ? t_request : nullptr;
}

// httplib's view of a HubConnection.
class HubStream final : public httplib::Stream {
 public:
  explicit HubStream(HubConnection& connection) : connection_(connection) {}
  bool is_readable() const override { return connection_.is_readable(); }
  bool is_writable() const override { return connection_.is_writable(); }
  ssize_t read(char* ptr, size_t size) override { return connection_.read(ptr, size); }
  ssize_t write(const char* ptr, size_t size) override { return connection_.write(ptr, size); }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    connection_.get_remote_ip_and_port(ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    connection_.get_local_ip_and_port(ip, port);
  }
  // httplib answers 500 when this is >= FD_SETSIZE (its own select() limit); the hub never
  // select()s, so report 0 for descriptors above it.
  socket_t socket() const override { return connection_.fd() < FD_SETSIZE ? connection_.fd() : 0; }

 private:
  HubConnection& connection_;
};

// httplib's accept loop hands every accepted socket to enqueue(); admitting one never blocks,
// so it runs right there instead of waiting for a worker behind running requests.
class AcceptQueue final : public httplib::TaskQueue {
 public:
  explicit AcceptQueue(std::function<void()> wait_idle) : wait_idle_(std::move(wait_idle)) {}
  void enqueue(std::function<void()> fn) override { fn(); }
  // httplib calls this when its accept loop ends: wait for the work it handed over.
  void shutdown() override { wait_idle_(); }

 private:
  std::function<void()> wait_idle_;
};

// Takes Content-Encoding and a multipart/form-data Content-Type out of `headers` for its
// lifetime (see UndecodedBodyReader).
class HiddenBodyHeaders {
 public:
  explicit HiddenBodyHeaders(httplib::Headers* headers) : headers_(headers) {
    for (auto it = headers_->begin(); it != headers_->end();) {
      bool hide = strcasecmp(it->first.c_str(), "Content-Encoding") == 0 ||
                  (strcasecmp(it->first.c_str(), "Content-Type") == 0 &&
                   strncasecmp(it->second.c_str(), "multipart/form-data", 19) == 0);
      if (hide) {
        hidden_.push_back(*it);
        it = headers_->erase(it);
      } else {
        ++it;
      }
    }
  }
  ~HiddenBodyHeaders() {
    for (auto& h : hidden_) headers_->insert(std::move(h));
  }
  HiddenBodyHeaders(const HiddenBodyHeaders&) = delete;
  HiddenBodyHeaders& operator=(const HiddenBodyHeaders&) = delete;

 private:
  httplib::Headers* headers_;
  std::vector<std::pair<std::string, std::string>> hidden_;
};

}  // namespace

// httplib::Server whose accepted sockets go to the hub instead of httplib's
// thread-per-connection loop (process_and_close_socket is httplib's override point, as
// SSLServer uses it); requests are still parsed and routed by httplib's process_request.
class HttplibServer::Impl final : public httplib::Server {
 public:
  explicit Impl(Hooks hooks) : hooks_(std::move(hooks)) {
    new_task_queue = [wait_idle = hooks_.wait_idle] { return new AcceptQueue(wait_idle); };
  }
  ~Impl() override {
    if (listen_dup_ >= 0) ::close(listen_dup_);
  }

  bool Process(HubConnection& connection, bool close_connection, bool& connection_closed) {
    const RequestHead& head = connection.request_head();
    const bool hide_range = head.method == "GET" || head.method == "HEAD";
    if (hide_range) connection.RenameHeadHeader(kRangeHeader, kHiddenRangeHeader);
    HubStream stream(connection);
    t_connection = &connection;
    t_payload_max = payload_max_length_;
    // Runs after httplib parsed the head (and a Range of the other methods), before the
    // Expect: 100-continue handler and the routes.
    auto setup = [&](httplib::Request& req) {
      t_request = &req;
      if (hide_range) {
        req.headers.erase(std::string(kHiddenRangeHeader));
        for (const auto& [name, value] : head.raw_headers) {
          if (strcasecmp(name.c_str(), kRangeHeader.data()) == 0) req.headers.emplace(name, value);
        }
      }
      req.ranges.clear();
    };
    bool ok = process_request(stream, close_connection, connection_closed, setup);
    t_request = nullptr;
    t_connection = nullptr;
    return ok;
  }
  void RaiseBacklog() { ::listen(svr_sock_, 1024); }
  // Works on a dup of the listening socket (made after bind), so it can never hit an unrelated
  // descriptor that reused the number after httplib closed its own. Shutting it down (rather
  // than stop()) keeps svr_sock_ valid, which httplib's content-provider loop reads as "not
  // shutting down": a response in progress is sent whole instead of being cut off.
  void KeepListenHandle() { listen_dup_ = ::fcntl(svr_sock_, F_DUPFD_CLOEXEC, 0); }
  void StopAccepting() {
    if (listen_dup_ >= 0) ::shutdown(listen_dup_, SHUT_RDWR);
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    hooks_.accept(sock);
    return true;
  }

  Hooks hooks_;
  int listen_dup_ = -1;
};

HttplibServer::HttplibServer(Hooks hooks) : impl_(std::make_unique<Impl>(std::move(hooks))) {}
HttplibServer::~HttplibServer() = default;
httplib::Server& HttplibServer::server() { return *impl_; }
bool HttplibServer::Process(HubConnection& connection, bool close_connection,
                            bool& connection_closed) {
  return impl_->Process(connection, close_connection, connection_closed);
}
void HttplibServer::RaiseBacklog() { impl_->RaiseBacklog(); }
void HttplibServer::KeepListenHandle() { impl_->KeepListenHandle(); }
void HttplibServer::StopAccepting() { impl_->StopAccepting(); }

void RestoreSentHeaderValues(const httplib::Request& req) {
  httplib::Request* request = Processing(req);
  if (request == nullptr || t_connection == nullptr) return;
  const auto& raw = t_connection->request_head().raw_headers;
  for (const auto& [name, value] : raw) request->headers.erase(name);  // case-insensitive map
  for (const auto& [name, value] : raw) request->headers.emplace(name, value);
}

httplib::ContentReader UndecodedBodyReader(const httplib::Request& req,
                                           const httplib::ContentReader& reader) {
  httplib::Request* request = Processing(req);
  return httplib::ContentReader(
      [request, &reader](httplib::ContentReceiver receiver) {
        if (request == nullptr) return reader(std::move(receiver));
        HiddenBodyHeaders hidden(&request->headers);
        return reader(std::move(receiver));
      },
      reader.multipart_reader_);
}

std::function<ssize_t(char* dst, size_t size)> DirectBodyReader(const httplib::Request& req) {
  if (Processing(req) == nullptr || t_connection == nullptr) return nullptr;
  const RequestHead& head = t_connection->request_head();
  // httplib takes the chunked framing off; past its payload limit it answers 413 itself.
  if (head.body == RequestHead::Body::kChunked || head.content_length > t_payload_max) {
    return nullptr;
  }
  uint64_t left = head.body == RequestHead::Body::kLength ? head.content_length : 0;
  // The connection's read() goes past its own buffer, straight into `dst`, for pieces of 64 KiB
  // or more, and counts the body's bytes as httplib's reads (the hub then knows it was read).
  return [connection = t_connection, left](char* dst, size_t size) mutable -> ssize_t {
    if (left == 0) return 0;
    ssize_t got = connection->read(dst, static_cast<size_t>(std::min<uint64_t>(size, left)));
    if (got <= 0) return -1;  // the client closed or went silent before the end
    left -= static_cast<uint64_t>(got);
    return got;
  };
}

bool HasStreamedBody(const httplib::Response& res) { return bool(res.content_provider_); }
uint64_t StreamedBodyLength(const httplib::Response& res) { return res.content_length_; }

void DropStreamedBody(httplib::Response& res) {
  res.content_provider_ = nullptr;
  res.content_length_ = 0;
}

void OnFirstStreamedPiece(httplib::Response& res, std::function<void()> on_first) {
  if (!res.content_provider_) return;
  res.content_provider_ = [inner = std::move(res.content_provider_), on_first = std::move(on_first),
                           first = true](size_t offset, size_t length,
                                         httplib::DataSink& sink) mutable {
    bool more = inner(offset, length, sink);
    if (first) {
      first = false;
      on_first();
    }
    return more;
  };
}

}  // namespace natss3::s3d
