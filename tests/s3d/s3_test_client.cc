// Raw signed HTTP client and in-process daemon for natss3d tests.
#include "s3_test_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "auth/checksums.h"
#include "auth/sigv4_signer.h"
#include "natss3/nats_store.h"
#include "raw_http.h"
#include "s3d/auth_gate.h"

namespace natss3::s3d::test {

std::string HttpResponse::ErrorCode() const { return S3ErrorCode(body); }

namespace {
std::string DecodeChunked(const std::string& body) {
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t size = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
    if (size == 0) break;
    out += body.substr(eol + 2, size);
    pos = eol + 2 + size + 2;
  }
  return out;
}
}  // namespace

int ConnectLoopback(int port, int recv_timeout_s) {
  int fd = ConnectTcpLoopback(port);
  if (fd < 0) return -1;
  timeval tv{recv_timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

HttpResponse SendRaw(int port, const std::string& request, bool half_close) {
  HttpResponse response;
  int fd = ConnectLoopback(port);
  if (fd < 0) return response;
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string raw;
  char buf[65536];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return response;
  response.body = raw.substr(head_end + 4);
  ParseResponseHead(std::string_view(raw).substr(0, head_end), &response.status,
                    &response.headers);
  if (LowerAscii(response.Header("transfer-encoding")) == "chunked") response.body = DecodeChunked(response.body);
  return response;
}

S3TestClient::S3TestClient(int port, std::string access_key, std::string secret)
    : port_(port), access_key_(std::move(access_key)), secret_(std::move(secret)) {}

std::string S3TestClient::Build(const std::string& method, const std::string& raw_path,
                                const std::string& raw_query, s3::HeaderMap headers,
                                const std::string& body, std::optional<std::string> payload_hash,
                                s3::AuthContext* context, std::optional<uint64_t> content_length) {
  if (!headers.count("host")) headers["host"] = host();
  std::string authorization;
  bool anonymous = payload_hash.has_value() && payload_hash->empty();
  if (!anonymous) {
    s3::SigningParams params{access_key_, secret_, "us-east-1", std::chrono::system_clock::now()};
    std::string hash = payload_hash ? *payload_hash : s3::Sha256Hex(body);
    std::string seed;
    authorization = s3::SignRequest(method, raw_path, raw_query, headers, hash, params, &seed);
    if (context != nullptr) {
      std::string date = headers["x-amz-date"];
      context->amz_date = date;
      context->scope = date.substr(0, 8) + "/us-east-1/s3/aws4_request";
      context->signing_key = s3::DeriveSigningKey(secret_, date.substr(0, 8), "us-east-1");
      context->seed_signature = seed;
      context->access_key = access_key_;
    }
  }
  std::string request = method + " " + raw_path + (raw_query.empty() ? "" : "?" + raw_query) +
                        " HTTP/1.1\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
  request += "Content-Length: " + std::to_string(content_length ? *content_length : body.size()) + "\r\n";
  request += "Connection: close\r\n\r\n";
  request += body;
  return request;
}

HttpResponse S3TestClient::Send(const std::string& method, const std::string& raw_path,
                                const std::string& raw_query, s3::HeaderMap headers,
                                const std::string& body, std::optional<std::string> payload_hash) {
  return SendRaw(port_, Build(method, raw_path, raw_query, std::move(headers), body, payload_hash));
}

HttpResponse S3TestClient::Anonymous(const std::string& method, const std::string& raw_path,
                                     const std::string& body) {
  return Send(method, raw_path, "", {}, body, std::string());
}

std::string S3TestClient::Presign(const std::string& raw_path, std::chrono::seconds expires,
                                  std::chrono::system_clock::time_point when) {
  s3::SigningParams params{access_key_, secret_, "us-east-1", when};
  return raw_path + "?" + s3::PresignQuery("GET", raw_path, "", host(), expires, params);
}

std::unique_ptr<InProcessDaemon> InProcessDaemon::Start(bool anonymous) {
  Options options;
  options.anonymous = anonymous;
  return Start(options);
}

std::unique_ptr<InProcessDaemon> InProcessDaemon::Start(const Options& daemon_options) {
  std::unique_ptr<InProcessDaemon> daemon(new InProcessDaemon());
  daemon->nats_ = natss3::test::NatsServer::Start();
  if (!daemon->nats_) return nullptr;
  ConnectOptions options;
  options.servers = daemon->nats_->url();
  options.retry_on_failed_connect = true;
  options.timeout = std::chrono::milliseconds(3000);
  auto store = ConnectNats(options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return nullptr;
  }
  daemon->store_ = daemon_options.wrap_store ? daemon_options.wrap_store(*store) : *store;
  auto credentials = std::make_shared<s3::CredentialStore>();
  EXPECT_TRUE(credentials->Add({kFullKey, kFullSecret, {"*"}, {"*"}}).ok());
  EXPECT_TRUE(credentials->Add({kReadKey, kReadSecret, {"*"}, {}}).ok());
  EXPECT_TRUE(credentials
                  ->Add({kScopedKey,
                         kScopedSecret,
                         {kScopedBucket, kScopedDottedBucket},
                         {kScopedBucket, kScopedDottedBucket}})
                  .ok());
  auto gate = std::make_shared<AuthGate>(credentials, daemon_options.anonymous);
  ServiceOptions service{"s3.test", std::chrono::hours(24)};
  service.bucket_record_ttl = daemon_options.bucket_record_ttl;
  daemon->service_ = std::make_shared<S3Service>(daemon->store_, gate, service);
  HttpServer::Options http;
  http.host = "127.0.0.1";
  http.port = 0;
  http.threads = 32;
  http.access_log = false;
  daemon->http_ = std::make_unique<HttpServer>(http, daemon->service_);
  Status started = daemon->http_->Start();
  if (!started.ok()) {
    ADD_FAILURE() << started.ToString();
    return nullptr;
  }
  return daemon;
}

InProcessDaemon::~InProcessDaemon() {
  if (http_) http_->Stop();
}

InProcessDaemon& SharedDaemon() {
  static std::unique_ptr<InProcessDaemon> daemon = InProcessDaemon::Start();
  if (!daemon) std::abort();
  return *daemon;
}

std::string UniqueBucket(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

std::string Md5Hex(const std::string& data) {
  s3::Checksum md5(s3::ChecksumAlgorithm::kMd5);
  md5.Update(data);
  return md5.Hex();
}

std::string Md5Base64(const std::string& data) { return s3::Md5Base64(data); }

}  // namespace natss3::s3d::test
