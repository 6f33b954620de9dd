// Baseline for bench/s3: put or get one object of N MiB through the natss3 core directly.
// Usage: natss3_s3bench_core NATS_URL BUCKET KEY put|get MIB   -> prints "seconds ttfb_ms"
//        natss3_s3bench_core NATS_URL BUCKET KEY ttfb N        -> median ms of N (Open + first
//        Read) on one warm connection, as a daemon sees it; then "open_ms first_read_ms".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>
#include <cstdlib>
#include <string>

#include "natss3/nats_store.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s NATS_URL BUCKET KEY put|get MIB\n", argv[0]);
    return 2;
  }
  natss3::ConnectOptions options;
  options.servers = argv[1];
  auto store = natss3::ConnectNats(options);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::string bucket = argv[2], key = argv[3], mode = argv[4];
  if (mode == "ttfb") {
    int rounds = std::atoi(argv[5]);
    std::vector<double> open_ms, read_ms;
    std::string buf(256 * 1024, '\0');
    for (int i = 0; i < rounds + 1; ++i) {  // the first round warms the connection up
      auto t0 = std::chrono::steady_clock::now();
      auto reader = (*store)->Open(bucket, key);
      if (!reader.ok()) return 1;
      auto t1 = std::chrono::steady_clock::now();
      if (!(*reader)->Read(buf.data(), buf.size()).ok()) return 1;
      auto t2 = std::chrono::steady_clock::now();
      if (i == 0) continue;
      open_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      read_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    std::sort(open_ms.begin(), open_ms.end());
    std::sort(read_ms.begin(), read_ms.end());
    std::printf("%.2f %.2f\n", open_ms[open_ms.size() / 2], read_ms[read_ms.size() / 2]);
    return 0;
  }
  uint64_t bytes = std::strtoull(argv[5], nullptr, 10) << 20;
  natss3::BucketConfig config;
  config.bucket = bucket;
  (void)(*store)->CreateBucket(config);
  std::string buffer(1 << 20, 'x');
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<char>(i * 7919 % 251);
  auto start = std::chrono::steady_clock::now();
  double ttfb_ms = 0;
  if (mode == "put") {
    natss3::ObjectMeta meta;
    meta.name = key;
    auto writer = (*store)->NewWriter(bucket, meta);
    if (!writer.ok()) return 1;
    for (uint64_t done = 0; done < bytes; done += buffer.size()) {
      if (!(*writer)->Write(buffer).ok()) return 1;
    }
    if (!(*writer)->Commit().ok()) return 1;
  } else {
    auto reader = (*store)->Open(bucket, key);
    if (!reader.ok()) return 1;
    bool first = true;
    while (true) {
      auto got = (*reader)->Read(buffer.data(), 256 * 1024);
      if (!got.ok()) return 1;
      if (first) {
        ttfb_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        first = false;
      }
      if (*got == 0) break;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.4f %.2f\n", seconds, ttfb_ms);
  return 0;
}
