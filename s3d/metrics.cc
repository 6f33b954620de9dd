// Metrics bookkeeping and Prometheus rendering.
#include "s3d/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "natss3/version.h"

namespace natss3::s3d {

void Metrics::Histogram::Add(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts[i];
  }
  ++count;
  sum += seconds;
}

void Metrics::RequestFinished(const std::string& operation, int status, double seconds,
                              uint64_t bytes_in, uint64_t bytes_out) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{operation, status}];
  latency_[operation].Add(seconds);
  bytes_in_ += bytes_in;
  bytes_out_ += bytes_out;
}

void Metrics::FirstByte(const std::string& operation, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  first_byte_[operation].Add(seconds);
}

void Metrics::RenderHistogram(const char* name, const std::map<std::string, Histogram>& by_op,
                              std::string* out) {
  char line[512];
  for (const auto& [op, h] : by_op) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      std::snprintf(line, sizeof(line), "%s_bucket{operation=\"%s\",le=\"%g\"} %llu\n", name,
                    op.c_str(), kBuckets[i], static_cast<unsigned long long>(h.counts[i]));
      *out += line;
    }
    std::snprintf(line, sizeof(line),
                  "%s_bucket{operation=\"%s\",le=\"+Inf\"} %llu\n"
                  "%s_sum{operation=\"%s\"} %.6f\n"
                  "%s_count{operation=\"%s\"} %llu\n",
                  name, op.c_str(), static_cast<unsigned long long>(h.count), name, op.c_str(),
                  h.sum, name, op.c_str(), static_cast<unsigned long long>(h.count));
    *out += line;
  }
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
  out += "# HELP natss3_request_duration_seconds S3 request latency (to the response head).\n";
  out += "# TYPE natss3_request_duration_seconds histogram\n";
  RenderHistogram("natss3_request_duration_seconds", latency_, &out);
  out += "# HELP natss3_time_to_first_byte_seconds From a request's start to the first byte of "
         "its response body.\n";
  out += "# TYPE natss3_time_to_first_byte_seconds histogram\n";
  RenderHistogram("natss3_time_to_first_byte_seconds", first_byte_, &out);
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

namespace {

// The fields of /proc/self/stat after the command name (which may hold spaces).
std::vector<std::string> ProcStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> fields;
  size_t close = text.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;  // fields[0] is field 3 (state)
}

size_t OpenDescriptors() {
  size_t n = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(dir)) n += e->d_name[0] != '.';
    closedir(dir);
    if (n > 0) --n;  // the descriptor of the listing itself
  }
  return n;
}

double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return 0;
}

}  // namespace

std::string RenderProcessMetrics() {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::vector<std::string> f = ProcStatFields();
  auto field = [&](size_t number) {  // 1-based field number of proc(5)
    return number >= 3 && number - 3 < f.size() ? std::stod(f[number - 3]) : 0.0;
  };
  const double cpu = (field(14) + field(15)) / ticks;
  const double start = BootTime() + field(22) / ticks;
  const double virtual_bytes = field(23);
  const double resident = field(24) * page;
  rlimit limit{};
  const double max_fds = getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<double>(limit.rlim_cur) : 0;
  char text[2048];
  std::snprintf(text, sizeof(text),
                "# HELP process_cpu_seconds_total User and system CPU time spent.\n"
                "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
                "# HELP process_resident_memory_bytes Resident memory size.\n"
                "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %.0f\n"
                "# HELP process_virtual_memory_bytes Virtual memory size.\n"
                "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %.0f\n"
                "# HELP process_open_fds Open file descriptors.\n"
                "# TYPE process_open_fds gauge\nprocess_open_fds %zu\n"
                "# HELP process_max_fds Maximum number of open file descriptors.\n"
                "# TYPE process_max_fds gauge\nprocess_max_fds %.0f\n"
                "# HELP process_start_time_seconds Start time since the Unix epoch.\n"
                "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n"
                "# HELP natss3_build_info The natss3 version this natss3d was built from.\n"
                "# TYPE natss3_build_info gauge\nnatss3_build_info{version=\"%s\"} 1\n",
                cpu, resident, virtual_bytes, OpenDescriptors(), max_fds, start, kVersion);
  return text;
}

}  // namespace natss3::s3d
