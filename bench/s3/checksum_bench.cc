// Checksum speeds of natss3d's S3 path, each against a baseline measured in the same run:
// CRC-32 (ISA-L) vs zlib's crc32, CRC-64/NVME (sliced by 8) vs the bytewise table it replaced,
// CRC-32C, SHA-1, SHA-256 and MD5 (OpenSSL) for scale. Prints GB/s, CPU-seconds per GiB and
// the ratio to the baseline.
//
// Usage: natss3_s3bench_checksums [MiB per pass, default 256]
#include <zlib.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <cstring>
#include <random>
#include <string>

#include "auth/checksums.h"

namespace {

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Best of three passes over `data` in 1 MiB slices (as request bodies arrive): CPU seconds.
double Measure(const std::string& data, const std::function<void(std::string_view)>& update) {
  double best = 1e9;
  for (int pass = 0; pass < 3; ++pass) {
    double start = CpuSeconds();
    for (size_t off = 0; off < data.size(); off += 1 << 20) {
      update(std::string_view(data).substr(off, 1 << 20));
    }
    best = std::min(best, CpuSeconds() - start);
  }
  return best;
}

uint64_t BytewiseCrc64Nvme(uint64_t crc, std::string_view data) {
  static const std::array<uint64_t, 256> table = [] {
    std::array<uint64_t, 256> t{};
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t c = i;
      for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ ((c & 1) ? 0x9A6C9329AC4BC9B5ULL : 0);
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (unsigned char c : data) crc = table[(crc ^ c) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

}  // namespace

int main(int argc, char** argv) {
  using natss3::s3::Checksum;
  using natss3::s3::ChecksumAlgorithm;
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  std::string data(mib << 20, '\0');
  std::mt19937_64 rng(7);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  const double gib = static_cast<double>(data.size()) / (1 << 30);
  auto row = [&](const char* name, double seconds, double baseline) {
    std::printf("%-28s %7.2f GB/s %7.3f CPU-s/GiB", name, data.size() / seconds / 1e9,
                seconds / gib);
    if (baseline > 0) std::printf("   x%.1f vs baseline", baseline / seconds);
    std::printf("\n");
  };
  volatile uint64_t sink = 0;
  double zlib_s = Measure(data, [&](std::string_view d) {
    sink = sink + crc32(0, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size()));
  });
  double bytewise_s = Measure(data, [&](std::string_view d) { sink = sink + BytewiseCrc64Nvme(0, d); });
  std::printf("checksums over %zu MiB in 1 MiB slices (best of 3)\n", mib);
  row("baseline crc32 (zlib)", zlib_s, 0);
  row("baseline crc64nvme (bytewise)", bytewise_s, 0);
  struct Algo {
    const char* name;
    ChecksumAlgorithm algorithm;
    double baseline;
  };
  for (const Algo& a : {Algo{"crc32 (ISA-L)", ChecksumAlgorithm::kCrc32, zlib_s},
                        Algo{"crc32c (ISA-L)", ChecksumAlgorithm::kCrc32c, zlib_s},
                        Algo{"crc64nvme (sliced by 8)", ChecksumAlgorithm::kCrc64Nvme, bytewise_s},
                        Algo{"sha1 (OpenSSL)", ChecksumAlgorithm::kSha1, 0},
                        Algo{"sha256 (OpenSSL)", ChecksumAlgorithm::kSha256, 0},
                        Algo{"md5 (OpenSSL)", ChecksumAlgorithm::kMd5, 0}}) {
    Checksum checksum(a.algorithm);
    double s = Measure(data, [&](std::string_view d) { checksum.Update(d); });
    sink = sink + checksum.Digest().size();
    row(a.name, s, a.baseline);
  }
  return 0;
}
