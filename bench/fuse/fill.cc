// natss3fs_bench_fill: puts COUNT objects PREFIX<000000..> of SIZE bytes into BUCKET (created
// if missing) through the natss3 core with THREADS parallel writers, for the FUSE benchmark.
// Usage: natss3fs_bench_fill URL BUCKET PREFIX COUNT [SIZE] [THREADS]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "natss3/nats_store.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: natss3fs_bench_fill URL BUCKET PREFIX COUNT [SIZE] [THREADS]\n");
    return 2;
  }
  const std::string bucket = argv[2], prefix = argv[3];
  const long count = std::atol(argv[4]);
  const size_t size = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 0;
  const int threads = argc > 6 ? std::atoi(argv[6]) : 16;
  natss3::ConnectOptions options;
  options.servers = argv[1];
  auto store = natss3::ConnectNats(options);
  if (!store.ok()) {
    std::fprintf(stderr, "connect: %s\n", store.status().ToString().c_str());
    return 1;
  }
  natss3::BucketConfig config;
  config.bucket = bucket;
  (void)(*store)->CreateBucket(config);
  const std::string data(size, 'x');
  std::atomic<long> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (long i = next++; i < count; i = next++) {
        char name[32];
        std::snprintf(name, sizeof(name), "%06ld", i);
        natss3::ObjectMeta meta;
        meta.name = prefix + name;
        if (!(*store)->PutBytes(bucket, meta, data).ok()) failures++;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  if (failures > 0) std::fprintf(stderr, "natss3fs_bench_fill: %d puts failed\n", failures.load());
  return failures > 0 ? 1 : 0;
}
