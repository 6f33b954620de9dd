// natss3_bench_scale: the "bucket of millions of objects" benchmark.
//
//   natss3_bench_scale fill URL BUCKET COUNT [THREADS] [START]
//     puts COUNT zero-byte objects named %09d (0..COUNT-1) through the core's put, THREADS in
//     flight (default 64); creates the bucket if missing. Skips nothing: run it on a new bucket
//     (START: resume an interrupted fill from that name on; the few names put twice are
//     overwritten).
//   natss3_bench_scale snapshot URL BUCKET
//     loads the bucket's index and writes its listing snapshot (timed), which the next
//     measure then starts from.
//   natss3_bench_scale drop-snapshot URL BUCKET
//     deletes the bucket's listing snapshot head (the next measure replays the whole bucket).
//   natss3_bench_scale measure URL BUCKET [PAGE]
//     in this (fresh) process: time to the first ListObjects page (the index cold start), the
//     full listing through the core (keys/s), page latency p50/p99 at the start, middle and end
//     of the key space, and the resident memory the index added per key.
// Prints "name value unit" lines, one figure a line, for bench/scale/run.sh.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "natss3/listing_index.h"
#include "natss3/nats_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

long RssKib() {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::shared_ptr<natss3::ObjectStore> Connect(const char* url) {
  natss3::ConnectOptions options;
  options.servers = url;
  // Creating a last-per-subject consumer over millions of subjects can take longer than the
  // default 5 s API timeout (the watch then fails): the benchmark measures, it does not fail.
  options.timeout = std::chrono::seconds(60);
  auto store = natss3::ConnectNats(options);
  if (!store.ok()) {
    std::fprintf(stderr, "connect: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(store).value();
}

int Fill(const char* url, const std::string& bucket, long count, int threads, long start) {
  auto store = Connect(url);
  natss3::BucketConfig config;
  config.bucket = bucket;
  (void)store->CreateBucket(config);
  std::atomic<long> next{start}, done{start};
  std::atomic<int> failures{0};
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (long i = next++; i < count; i = next++) {
        char name[32];
        std::snprintf(name, sizeof(name), "%09ld", i);
        natss3::ObjectMeta meta;
        meta.name = name;
        if (!store->PutBytes(bucket, meta, std::string()).ok()) failures++;
        long d = ++done;
        if (d % 100000 == 0)
          std::fprintf(stderr, "filled %ld (%.0f/s)\n", d,
                       static_cast<double>(d - start) / Since(t0));
      }
    });
  }
  for (auto& w : workers) w.join();
  double s = Since(t0);
  std::printf("fill_objects %ld count\nfill_rate %.0f objects/s\n", count - start,
              static_cast<double>(count - start) / s);
  if (failures > 0) std::fprintf(stderr, "%d puts failed\n", failures.load());
  return failures > 0 ? 1 : 0;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

int Measure(const char* url, const std::string& bucket, size_t page_size) {
  long rss0 = RssKib();
  auto t0 = Clock::now();
  auto store = Connect(url);
  auto index = store->Index(bucket);
  if (!index.ok()) {
    std::fprintf(stderr, "index: %s\n", index.status().ToString().c_str());
    return 1;
  }
  natss3::ListingIndex::Query query;
  query.max_entries = page_size;
  auto first = (*index)->List(query);
  double first_page = Since(t0);
  // A snapshot loads on after the first page; the figures below need all of it.
  if (!(*index)->WaitLoaded(std::chrono::minutes(10))) {
    std::fprintf(stderr, "the index did not finish loading\n");
    return 1;
  }
  double loaded = Since(t0);
  long rss1 = RssKib();
  size_t n = (*index)->size();
  std::printf("first_page_after_start %.3f s\nfirst_page_entries %zu count\n", first_page,
              first.entries.size() + first.common_prefixes.size());
  std::printf("index_loaded_after_start %.3f s\nkeys %zu count\nfrom_snapshot %s\n", loaded, n,
              (*index)->snapshot_start() ? "yes" : "no");
  std::printf("index_rss %.1f bytes/key\nprocess_rss %ld KiB\n",
              n ? (rss1 - rss0) * 1024.0 / static_cast<double>(n) : 0.0, rss1);
  std::printf("index_bytes %.1f bytes/key\n",
              n ? static_cast<double>((*index)->MemoryBytes()) / static_cast<double>(n) : 0.0);

  // Full listing through the core, page by page; keeps a few start keys for the latency test.
  std::vector<std::string> starts;  // start_after keys at 0%, 50%, ~100% of the key space
  auto t1 = Clock::now();
  size_t listed = 0;
  query.start_after.clear();
  for (;;) {
    auto page = (*index)->List(query);
    listed += page.entries.size();
    if (!page.truncated) break;
    query.start_after = page.next_start_after;
    if (starts.empty() || (listed >= n / 2 && starts.size() == 1))
      starts.push_back(query.start_after);
    if (listed + 2 * page_size >= n && starts.size() == 2) starts.push_back(query.start_after);
  }
  double full = Since(t1);
  std::printf("full_listing %.3f s\nfull_listing_rate %.0f keys/s\n", full,
              full > 0 ? static_cast<double>(listed) / full : 0.0);

  const char* where[] = {"start", "middle", "end"};
  for (size_t w = 0; w < starts.size(); ++w) {
    std::vector<double> ms;
    query.start_after = starts[w];
    for (int i = 0; i < 300; ++i) {
      auto t = Clock::now();
      auto page = (*index)->List(query);
      ms.push_back(Since(t) * 1000);
      if (page.entries.empty()) break;
    }
    std::printf("page_%s_p50 %.3f ms\npage_%s_p99 %.3f ms\n", where[w], Percentile(ms, 0.5),
                where[w], Percentile(ms, 0.99));
  }
  std::vector<double> lookups;
  {
    auto t = Clock::now();
    int found = 0;
    for (long i = 0; i < 100000; ++i) {
      char name[32];
      std::snprintf(name, sizeof(name), "%09ld", (i * 7919) % static_cast<long>(n ? n : 1));
      found += (*index)->Lookup(name).has_value();
    }
    std::printf("lookup %.2f us\nlookup_found %d count\n", Since(t) * 1e6 / 100000, found);
  }
  return 0;
}

}  // namespace

int Snapshot(const char* url, const std::string& bucket) {
  auto store = Connect(url);
  auto index = store->Index(bucket);
  if (!index.ok()) {
    std::fprintf(stderr, "index: %s\n", index.status().ToString().c_str());
    return 1;
  }
  auto t0 = Clock::now();
  natss3::Status s = (*index)->WriteSnapshot();
  if (!s.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("snapshot_write %.3f s\n", Since(t0));
  return 0;
}

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fill" && argc >= 5)
    return Fill(argv[2], argv[3], std::atol(argv[4]), argc > 5 ? std::atoi(argv[5]) : 64,
                argc > 6 ? std::atol(argv[6]) : 0);
  if (mode == "snapshot" && argc >= 4) return Snapshot(argv[2], argv[3]);
  if (mode == "drop-snapshot" && argc >= 4) {
    auto store = Connect(argv[2]);
    auto records = store->Records("natss3-listing");
    return records.ok() && (*records)->Delete(argv[3]).ok() ? 0 : 1;
  }
  if (mode == "measure" && argc >= 4)
    return Measure(argv[2], argv[3], argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 1000);
  std::fprintf(stderr,
               "usage: natss3_bench_scale fill URL BUCKET COUNT [THREADS] [START]\n"
               "       natss3_bench_scale snapshot URL BUCKET\n"
               "       natss3_bench_scale drop-snapshot URL BUCKET\n"
               "       natss3_bench_scale measure URL BUCKET [PAGE]\n");
  return 2;
}
