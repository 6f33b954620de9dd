// Metrics bookkeeping and Prometheus rendering.
#include "s3d/metrics.h"

#include <cstdio>

namespace natss3::s3d {

void Metrics::RequestFinished(const std::string& operation, int status, double seconds,
                              uint64_t bytes_in, uint64_t bytes_out) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{operation, status}];
  Histogram& h = latency_[operation];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
  bytes_in_ += bytes_in;
  bytes_out_ += bytes_out;
}

std::string Metrics::Render() const {
  std::string out;
  char line[512];
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP natss3_requests_total S3 requests by operation and HTTP status.\n";
  out += "# TYPE natss3_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    std::snprintf(line, sizeof(line), "natss3_requests_total{operation=\"%s\",status=\"%d\"} %llu\n",
                  key.first.c_str(), key.second, static_cast<unsigned long long>(count));
    out += line;
  }
  out += "# HELP natss3_request_duration_seconds S3 request latency.\n";
  out += "# TYPE natss3_request_duration_seconds histogram\n";
  for (const auto& [op, h] : latency_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(line, sizeof(line),
                    "natss3_request_duration_seconds_bucket{operation=\"%s\",le=\"%g\"} %llu\n",
                    op.c_str(), kBuckets[i], static_cast<unsigned long long>(h.counts[i]));
      out += line;
    }
    std::snprintf(line, sizeof(line),
                  "natss3_request_duration_seconds_bucket{operation=\"%s\",le=\"+Inf\"} %llu\n"
                  "natss3_request_duration_seconds_sum{operation=\"%s\"} %.6f\n"
                  "natss3_request_duration_seconds_count{operation=\"%s\"} %llu\n",
                  op.c_str(), static_cast<unsigned long long>(h.count), op.c_str(), h.sum,
                  op.c_str(), static_cast<unsigned long long>(h.count));
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "# HELP natss3_bytes_received_total Request body bytes received.\n"
                "# TYPE natss3_bytes_received_total counter\nnatss3_bytes_received_total %llu\n"
                "# HELP natss3_bytes_sent_total Response body bytes sent.\n"
                "# TYPE natss3_bytes_sent_total counter\nnatss3_bytes_sent_total %llu\n"
                "# HELP natss3_requests_in_flight Requests being served.\n"
                "# TYPE natss3_requests_in_flight gauge\nnatss3_requests_in_flight %llu\n"
                "# HELP natss3_nats_up 1 when the NATS server answered the last health check.\n"
                "# TYPE natss3_nats_up gauge\nnatss3_nats_up %d\n",
                static_cast<unsigned long long>(bytes_in_),
                static_cast<unsigned long long>(bytes_out_),
                static_cast<unsigned long long>(in_flight_.load()), nats_up_.load() ? 1 : 0);
  out += line;
  return out;
}

std::string RenderConnectionEvents(const ConnectionEvents& events) {
  std::string out =
      "# HELP natss3_http_refused_total Connections or requests the connection layer answered "
      "or closed itself, by reason.\n"
      "# TYPE natss3_http_refused_total counter\n";
  char line[512];
  for (const auto& [reason, count] : events.refused) {
    std::snprintf(line, sizeof(line), "natss3_http_refused_total{reason=\"%s\"} %llu\n",
                  reason.c_str(), static_cast<unsigned long long>(count));
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "# HELP natss3_http_tls_handshakes_failed_total TLS handshakes that failed or "
                "timed out.\n"
                "# TYPE natss3_http_tls_handshakes_failed_total counter\n"
                "natss3_http_tls_handshakes_failed_total{why=\"timeout\"} %llu\n"
                "natss3_http_tls_handshakes_failed_total{why=\"error\"} %llu\n"
                "# HELP natss3_http_unread_bodies_total Request bodies a handler left unread.\n"
                "# TYPE natss3_http_unread_bodies_total counter\n"
                "natss3_http_unread_bodies_total{action=\"drained\"} %llu\n"
                "natss3_http_unread_bodies_total{action=\"closed\"} %llu\n",
                static_cast<unsigned long long>(events.handshake_timeouts),
                static_cast<unsigned long long>(events.handshake_failures),
                static_cast<unsigned long long>(events.bodies_drained),
                static_cast<unsigned long long>(events.unread_body_closes));
  return out + line;
}

}  // namespace natss3::s3d
