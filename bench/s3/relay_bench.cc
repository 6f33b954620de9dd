// natss3_s3bench_relay: the CPU a process spends to pass bytes from one loopback TCP socket to
// another and nothing else: recv into a 256 KiB buffer, send it on. natss3d does at least
// this for every byte of a PUT (client socket in, nats-server socket out) and of a GET (the
// reverse), so bench/s3/bench.py adds it to the hashing floor: what is left above both is what
// natss3d's own code, cnats and their thread hand-overs cost.
//
// Usage: natss3_s3bench_relay [MiB=256] [rounds=3]
// Prints, for the least costly round: "relay N MiB: X CPU-s/GiB (user U, kernel K), M MiB/s".
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr size_t kBuffer = 256 * 1024;

// A connected loopback pair: {the accepted end, the connecting end}.
bool LoopbackPair(int* accepted, int* connected) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(listener);
    return false;
  }
  *connected = socket(AF_INET, SOCK_STREAM, 0);
  bool ok = *connected >= 0 &&
            connect(*connected, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
            (*accepted = accept(listener, nullptr, nullptr)) >= 0;
  close(listener);
  return ok;
}

bool SendAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

struct Round {
  double user = 0, kernel = 0, wall = 0;
};

// One relay of `bytes`: a source thread sends, this thread relays, a sink thread discards.
bool RelayOnce(size_t bytes, Round* out) {
  int in_relay = -1, in_source = -1, out_sink = -1, out_relay = -1;
  if (!LoopbackPair(&in_relay, &in_source) || !LoopbackPair(&out_sink, &out_relay)) return false;
  std::thread source([&] {
    std::vector<char> block(kBuffer, 'x');
    for (size_t sent = 0; sent < bytes;) {
      size_t n = std::min(kBuffer, bytes - sent);
      if (!SendAll(in_source, block.data(), n)) break;
      sent += n;
    }
    shutdown(in_source, SHUT_WR);
  });
  std::thread sink([&] {
    std::vector<char> block(kBuffer);
    while (recv(out_sink, block.data(), block.size(), 0) > 0) {
    }
  });
  std::vector<char> buf(kBuffer);
  rusage r0{}, r1{};
  getrusage(RUSAGE_THREAD, &r0);
  const auto t0 = std::chrono::steady_clock::now();
  size_t relayed = 0;
  for (;;) {
    ssize_t n = recv(in_relay, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    if (!SendAll(out_relay, buf.data(), static_cast<size_t>(n))) break;
    relayed += static_cast<size_t>(n);
  }
  const auto t1 = std::chrono::steady_clock::now();
  getrusage(RUSAGE_THREAD, &r1);
  shutdown(out_relay, SHUT_WR);
  source.join();
  sink.join();
  for (int fd : {in_relay, in_source, out_sink, out_relay}) close(fd);
  if (relayed != bytes) return false;
  out->user = Seconds(r1.ru_utime) - Seconds(r0.ru_utime);
  out->kernel = Seconds(r1.ru_stime) - Seconds(r0.ru_stime);
  out->wall = std::chrono::duration<double>(t1 - t0).count();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
  if (mib == 0 || rounds <= 0) {
    std::fprintf(stderr, "usage: %s [MiB=256] [rounds=3]\n", argv[0]);
    return 2;
  }
  const double gib = static_cast<double>(mib) / 1024;
  Round best;
  bool have = false;
  for (int i = 0; i < rounds; ++i) {
    Round r;
    if (!RelayOnce(mib << 20, &r)) {
      std::perror("relay");
      return 1;
    }
    if (!have || r.user + r.kernel < best.user + best.kernel) best = r;
    have = true;
  }
  std::printf("relay %zu MiB: %.3f CPU-s/GiB (user %.3f, kernel %.3f), %.1f MiB/s\n", mib,
              (best.user + best.kernel) / gib, best.user / gib, best.kernel / gib,
              static_cast<double>(mib) / best.wall);
  return 0;
}
