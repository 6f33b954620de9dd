// Test helpers for natss3d: a raw HTTP/1.1 client that signs requests with SigV4 (so tests
// control every byte, including short bodies and disconnects), and an in-process daemon
// (S3Service + HttpServer) on a real nats-server.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "auth/credentials.h"
#include "auth/sigv4.h"
#include "natss3/object_store.h"
#include "s3d/http_server.h"
#include "s3d/s3_service.h"
#include "support/nats_server.h"

namespace natss3::s3d::test {

inline constexpr const char* kFullKey = "AKFULLACCESS";
inline constexpr const char* kFullSecret = "full-secret-key";
inline constexpr const char* kReadKey = "AKREADONLY";
inline constexpr const char* kReadSecret = "read-secret-key";
// Reads and writes only the bucket kScopedBucket.
inline constexpr const char* kScopedKey = "AKSCOPED";
inline constexpr const char* kScopedSecret = "scoped-secret-key";
inline constexpr const char* kScopedBucket = "scoped-open";
// Also granted to kScopedKey: grants use S3 names (its NATS name is "scoped_dotted").
inline constexpr const char* kScopedDottedBucket = "scoped.dotted";

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // <Code>...</Code> of an error body.
  std::string ErrorCode() const;
};

// A TCP connection to 127.0.0.1:port with a receive timeout; -1 when it cannot connect.
int ConnectLoopback(int port, int recv_timeout_s = 60);

// Sends `request` bytes on a fresh connection to 127.0.0.1:port and reads the response until
// the server closes (requests carry "Connection: close"). When `half_close`, shuts down the
// write side after sending (the server sees EOF mid-body).
HttpResponse SendRaw(int port, const std::string& request, bool half_close = false);

class S3TestClient {
 public:
  S3TestClient(int port, std::string access_key = kFullKey, std::string secret = kFullSecret);

  // Signs (payload hash = SHA-256 of body unless `payload_hash` is given; "" = anonymous) and
  // sends. `headers`: extra request headers (lower-case names), all signed.
  HttpResponse Send(const std::string& method, const std::string& raw_path,
                    const std::string& raw_query = "", s3::HeaderMap headers = {},
                    const std::string& body = "", std::optional<std::string> payload_hash = {});
  HttpResponse Anonymous(const std::string& method, const std::string& raw_path,
                         const std::string& body = "");
  // Presigned "path?query" for GET.
  std::string Presign(const std::string& raw_path, std::chrono::seconds expires,
                      std::chrono::system_clock::time_point when = std::chrono::system_clock::now());
  // Builds the request bytes without sending (for raw tricks).
  std::string Build(const std::string& method, const std::string& raw_path,
                    const std::string& raw_query, s3::HeaderMap headers, const std::string& body,
                    std::optional<std::string> payload_hash, s3::AuthContext* context = nullptr,
                    std::optional<uint64_t> content_length = {});
  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_;
  std::string access_key_, secret_;
};

// natss3d in-process on a fresh nats-server. Credentials: kFullKey (read/write "*"),
// kReadKey (read "*"), kScopedKey (kScopedBucket only).
class InProcessDaemon {
 public:
  struct Options {
    bool anonymous = false;
    std::chrono::milliseconds bucket_record_ttl = BucketRecords::kDefaultTtl;
    // Decorates the store the service uses (e.g. a FaultInjectingStore); store() is the result.
    std::function<std::shared_ptr<ObjectStore>(std::shared_ptr<ObjectStore>)> wrap_store;
  };
  static std::unique_ptr<InProcessDaemon> Start(bool anonymous = false);
  static std::unique_ptr<InProcessDaemon> Start(const Options& options);
  ~InProcessDaemon();
  int port() const { return http_->port(); }
  ObjectStore& store() { return *store_; }
  S3Service& service() { return *service_; }
  natss3::test::NatsServer& nats() { return *nats_; }
  HttpServer& http() { return *http_; }

 private:
  std::unique_ptr<natss3::test::NatsServer> nats_;
  std::shared_ptr<ObjectStore> store_;
  std::shared_ptr<S3Service> service_;
  std::unique_ptr<HttpServer> http_;
};

// One daemon shared by the tests of a binary (buckets are unique per test).
InProcessDaemon& SharedDaemon();
// A bucket name unique in this process: "<prefix>-<n>".
std::string UniqueBucket(const std::string& prefix);
std::string Md5Hex(const std::string& data);
std::string Md5Base64(const std::string& data);

}  // namespace natss3::s3d::test
