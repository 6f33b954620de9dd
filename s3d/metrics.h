// Prometheus metrics of natss3d: requests by operation and status, a latency histogram, bytes
// in and out, requests in flight. Thread-safe; one mutex guards the counter maps (never held
// across I/O).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace natss3::s3d {

class Metrics {
 public:
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void RequestFinished(const std::string& operation, int status, double seconds,
                       uint64_t bytes_in, uint64_t bytes_out);
  // Time from the start of a request to the first byte of its response body (for streamed
  // bodies: when the first piece was handed to the socket; else when the answer was ready).
  void FirstByte(const std::string& operation, double seconds);
  void SetNatsUp(bool up) { nats_up_.store(up, std::memory_order_relaxed); }
  // Prometheus text exposition format 0.0.4.
  std::string Render() const;
  uint64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
    void Add(double seconds);
  };
  static void RenderHistogram(const char* name, const std::map<std::string, Histogram>& by_op,
                              std::string* out);
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, Histogram> first_byte_;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  std::atomic<uint64_t> in_flight_{0};
  std::atomic<bool> nats_up_{false};
};

// What the connection layer (ConnectionHub) did to hostile or broken clients; counters.
struct ConnectionEvents {
  std::vector<std::pair<std::string, uint64_t>> refused;  // by reason (ConnectionHub::Refusal)
  uint64_t handshake_timeouts = 0;
  uint64_t handshake_failures = 0;
  uint64_t bodies_drained = 0;      // unread request-body rests skipped, connection kept
  uint64_t unread_body_closes = 0;  // connections closed over an unread request body
};
// Prometheus text for `events`.
std::string RenderConnectionEvents(const ConnectionEvents& events);

// Prometheus text of the standard process_* metrics (CPU, memory, descriptors, start time; read
// from /proc/self) and natss3_build_info{version}.
std::string RenderProcessMetrics();

}  // namespace natss3::s3d
