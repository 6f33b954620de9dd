// Baseline for bench/s3: put or get one object of N MiB through the natss3 core directly.
// Usage: natss3_s3bench_core NATS_URL BUCKET KEY put|get MIB   -> prints "seconds ttfb_ms"
#include <chrono>
#include <cstdio>
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
