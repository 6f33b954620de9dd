// Small-object load generator for natss3d: N client threads, each with one keep-alive HTTP
// connection, PUT then GET 4 KiB objects (SigV4-signed, like a real S3 client), interleaved with
// the same number of operations through the natss3 core directly (no HTTP) as the in-run
// baseline; prints ops/s, ratios and CPU per operation of natss3d and nats-server.
//
// Usage: natss3_s3bench_small --endpoint 127.0.0.1:PORT --nats nats://127.0.0.1:PORT
//          --access KEY --secret SECRET [--bucket small] [--clients 1,16] [--ops 3000]
//          [--rounds 3] [--size 4096] [--daemon-pid PID] [--nats-pid PID]
//          [--phases put,get] [--baseline core|none]
#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/checksums.h"
#include "auth/sigv4_signer.h"
#include "natss3/nats_store.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Args {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string nats;
  std::string access, secret;
  std::string bucket = "small";
  std::vector<int> clients = {1, 16};
  int ops = 3000;
  int rounds = 3;
  size_t size = 4096;
  int daemon_pid = 0, nats_pid = 0;
  int keys_per_client = 500;  // PUTs overwrite these per client
  int get_keys = 256;         // GETs read these, written before any measurement
  bool run_core = true;       // false: natss3d only (for profiling the daemon)
  std::vector<std::string> phases = {"put", "get"};
};

std::vector<int> ParseList(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--endpoint") {
      size_t colon = value.rfind(':');
      if (colon == std::string::npos) return false;
      args->host = value.substr(0, colon);
      args->port = std::stoi(value.substr(colon + 1));
    } else if (flag == "--nats") args->nats = value;
    else if (flag == "--access") args->access = value;
    else if (flag == "--secret") args->secret = value;
    else if (flag == "--bucket") args->bucket = value;
    else if (flag == "--clients") args->clients = ParseList(value);
    else if (flag == "--ops") args->ops = std::stoi(value);
    else if (flag == "--rounds") args->rounds = std::stoi(value);
    else if (flag == "--size") args->size = std::stoul(value);
    else if (flag == "--daemon-pid") args->daemon_pid = std::stoi(value);
    else if (flag == "--nats-pid") args->nats_pid = std::stoi(value);
    else if (flag == "--baseline") args->run_core = value != "none";
    else if (flag == "--phases") {
      args->phases.clear();
      std::stringstream in(value);
      for (std::string item; std::getline(in, item, ',');) args->phases.push_back(item);
    }
    else return false;
  }
  return args->port > 0 && !args->nats.empty() && !args->access.empty() && !args->clients.empty();
}

// CPU seconds (user + system) a process has used so far; 0 when unknown.
double CpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::stringstream fields(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state
    if (index == 14 || index == 15) ticks += std::stod(field);
    if (index == 15) break;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds this process (the load generator, or the core baseline) has used so far.
double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string PutKey(const std::string& prefix, int client, int n, int keys) {
  return prefix + std::to_string(client) + "-" + std::to_string(n % keys);
}
std::string GetKey(const std::string& prefix, int client, int n, int keys) {
  return prefix + "get-" + std::to_string((client * 131 + n) % keys);
}

// One S3 client: a keep-alive connection and a SigV4 signer.
class S3Client {
 public:
  S3Client(const Args& args) : args_(args), http_(args.host, args.port) {
    http_.set_keep_alive(true);
    http_.set_tcp_nodelay(true);
    http_.set_read_timeout(60, 0);
    host_header_ = args.host + ":" + std::to_string(args.port);
  }

  // Returns the HTTP status (0 on a transport error); GET bodies land in *body.
  int Send(const std::string& method, const std::string& path, const std::string& payload,
           std::string* body) {
    natss3::s3::HeaderMap signed_headers{{"host", host_header_}};
    std::string hash = natss3::s3::Sha256Hex(payload);
    natss3::s3::SigningParams params{args_.access, args_.secret, "us-east-1",
                                     std::chrono::system_clock::now()};
    std::string authorization =
        natss3::s3::SignRequest(method, path, "", signed_headers, hash, params);
    httplib::Headers headers;
    for (const auto& [name, value] : signed_headers) headers.emplace(name, value);
    headers.emplace("Authorization", authorization);
    httplib::Result result = method == "PUT"
        ? http_.Put(path.c_str(), headers, payload, "application/octet-stream")
        : http_.Get(path.c_str(), headers);
    if (!result) return 0;
    if (body) *body = std::move(result->body);
    return result->status;
  }

 private:
  const Args& args_;
  httplib::Client http_;
  std::string host_header_;
};

struct PhaseResult {
  double seconds = 0;
  int ops = 0;
  int errors = 0;
  std::string first_error;
  double daemon_cpu = 0, nats_cpu = 0, self_cpu = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;  // per-operation latency
};

// Runs `ops` operations split over `clients` threads; `op(client, n)` returns "" or an error.
template <typename Op>
PhaseResult RunPhase(const Args& args, int clients, Op op) {
  PhaseResult result;
  std::atomic<int> next{0}, errors{0};
  std::mutex error_mu;
  std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
  double daemon_cpu = CpuSeconds(args.daemon_pid), nats_cpu = CpuSeconds(args.nats_pid);
  double self_cpu = SelfCpuSeconds();
  auto start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto state = op.Begin(c);
      int n = 0;
      while (next.fetch_add(1) < args.ops) {
        auto op_start = SteadyClock::now();
        std::string error = op.Run(*state, c, n++);
        latencies[static_cast<size_t>(c)].push_back(
            std::chrono::duration<double, std::milli>(SteadyClock::now() - op_start).count());
        if (error.empty()) continue;
        if (errors.fetch_add(1) == 0) {
          std::lock_guard<std::mutex> lock(error_mu);
          result.first_error = error;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  result.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  result.ops = args.ops;
  result.errors = errors.load();
  result.daemon_cpu = CpuSeconds(args.daemon_pid) - daemon_cpu;
  result.nats_cpu = CpuSeconds(args.nats_pid) - nats_cpu;
  result.self_cpu = SelfCpuSeconds() - self_cpu;
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  if (!all.empty()) {
    result.p50_ms = all[all.size() / 2];
    result.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    result.max_ms = all.back();
  }
  return result;
}

struct S3Op {
  const Args& args;
  bool put;
  std::string payload;
  std::unique_ptr<S3Client> Begin(int) { return std::make_unique<S3Client>(args); }
  std::string Run(S3Client& client, int c, int n) {
    std::string path = "/" + args.bucket + "/" +
                       (put ? PutKey("s3/", c, n, args.keys_per_client) : GetKey("s3/", c, n, args.get_keys));
    std::string body;
    int status = client.Send(put ? "PUT" : "GET", path, put ? payload : "", put ? nullptr : &body);
    if (status != 200) return (put ? "PUT " : "GET ") + path + ": status " + std::to_string(status);
    if (!put && body != payload) return "GET " + path + ": wrong body (" + std::to_string(body.size()) + " bytes)";
    return {};
  }
};

struct CoreOp {
  const Args& args;
  natss3::ObjectStore& store;
  bool put;
  std::string payload;
  std::unique_ptr<int> Begin(int) { return std::make_unique<int>(0); }
  std::string Run(int&, int c, int n) {
    std::string key = put ? PutKey("core/", c, n, args.keys_per_client) : GetKey("core/", c, n, args.get_keys);
    if (put) {
      natss3::ObjectMeta meta;
      meta.name = key;
      auto info = store.PutBytes(args.bucket, meta, payload);
      return info.ok() ? std::string() : "core put " + key + ": " + info.status().ToString();
    }
    auto data = store.GetBytes(args.bucket, key);
    if (!data.ok()) return "core get " + key + ": " + data.status().ToString();
    return *data == payload ? std::string() : "core get " + key + ": wrong body";
  }
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n == 0 ? 0 : (n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

struct Row {
  std::string name;
  std::vector<double> s3_rate, core_rate, daemon_ms_per_op, nats_ms_per_op, client_ms_per_op;
  std::vector<double> core_ms_per_op, core_nats_ms_per_op;
  std::vector<double> p50_ms, p99_ms, max_ms;  // natss3d per-operation latency
};

bool Check(const PhaseResult& r, const char* what) {
  if (r.errors == 0) return true;
  std::fprintf(stderr, "%s: %d of %d operations failed; first: %s\n", what, r.errors, r.ops,
               r.first_error.c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: %s --endpoint HOST:PORT --nats URL --access KEY --secret SECRET "
                 "[--bucket B] [--clients 1,16] [--ops N] [--rounds R] [--size BYTES] "
                 "[--daemon-pid PID] [--nats-pid PID] [--phases put,get] [--baseline core|none]\n",
                 argv[0]);
    return 2;
  }
  natss3::ConnectOptions options;
  options.servers = args.nats;
  auto store = natss3::ConnectNats(options);
  if (!store.ok()) {
    std::fprintf(stderr, "core: %s\n", store.status().ToString().c_str());
    return 1;
  }
  natss3::BucketConfig bucket;
  bucket.bucket = args.bucket;
  (void)(*store)->CreateBucket(bucket);
  std::string payload(args.size, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 7919) % 251);
  // The keys GET phases read, written once through the core (same bytes either way).
  for (const char* prefix : {"s3/", "core/"}) {
    for (int k = 0; k < args.get_keys; ++k) {
      natss3::ObjectMeta meta;
      meta.name = GetKey(prefix, 0, k, args.get_keys);
      auto put = (*store)->PutBytes(args.bucket, meta, payload);
      if (!put.ok()) {
        std::fprintf(stderr, "prefill %s: %s\n", meta.name.c_str(), put.status().ToString().c_str());
        return 1;
      }
    }
  }
  std::vector<Row> rows;
  bool ok = true;
  for (int clients : args.clients) {
    for (const std::string& phase : args.phases) {
      bool put = phase == "put";
      Row row;
      row.name = std::to_string(args.size / 1024) + " KiB " + (put ? "PUT" : "GET") + " x" +
                 std::to_string(clients);
      for (int round = 0; round < args.rounds && ok; ++round) {  // interleaved: core, S3, ...
        CoreOp core{args, **store, put, payload};
        PhaseResult c;
        if (args.run_core) c = RunPhase(args, clients, core);
        S3Op s3{args, put, payload};
        PhaseResult s = RunPhase(args, clients, s3);
        ok = Check(c, "core") && Check(s, "natss3d");
        row.core_rate.push_back(c.seconds > 0 ? c.ops / c.seconds : 0);
        row.s3_rate.push_back(s.ops / s.seconds);
        row.daemon_ms_per_op.push_back(1000 * s.daemon_cpu / s.ops);
        row.nats_ms_per_op.push_back(1000 * s.nats_cpu / s.ops);
        row.client_ms_per_op.push_back(1000 * s.self_cpu / s.ops);
        row.p50_ms.push_back(s.p50_ms);
        row.p99_ms.push_back(s.p99_ms);
        row.max_ms.push_back(s.max_ms);
        row.core_ms_per_op.push_back(c.ops ? 1000 * c.self_cpu / c.ops : 0);
        row.core_nats_ms_per_op.push_back(c.ops ? 1000 * c.nats_cpu / c.ops : 0);
      }
      rows.push_back(row);
    }
  }
  std::printf("\n== %zu-byte objects, %d ops per phase, medians of %d interleaved rounds ==\n",
              args.size, args.ops, args.rounds);
  std::printf("%-16s %11s %11s %6s | CPU ms/op: %7s %7s %7s | core: %7s %7s | natss3d latency ms: %6s %6s %7s\n",
              "metric", "natss3d", "core", "ratio", "natss3d", "nats", "client", "core", "nats",
              "p50", "p99", "max");
  for (const Row& row : rows) {
    double s3 = Median(row.s3_rate), core = Median(row.core_rate);
    std::printf("%-16s %6.0f op/s %6.0f op/s %5.0f%% |            %7.3f %7.3f %7.3f |       %7.3f %7.3f |                    %6.2f %6.2f %7.1f\n",
                row.name.c_str(), s3, core, core > 0 ? 100 * s3 / core : 0,
                Median(row.daemon_ms_per_op), Median(row.nats_ms_per_op),
                Median(row.client_ms_per_op), Median(row.core_ms_per_op),
                Median(row.core_nats_ms_per_op), Median(row.p50_ms), Median(row.p99_ms),
                Median(row.max_ms));
  }
  return ok ? 0 : 1;
}
