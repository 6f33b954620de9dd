// Soak (ctest label "soak", about 80 s): 64 well-behaved boto3 clients doing mixed PUT, GET,
// LIST, DELETE and multipart uploads for 60 s against the natss3d binary, while 200 slow
// clients trickle request heads and others disconnect at random points (mid-head, mid-body,
// before reading a response). Passes when no well-behaved request failed, every acknowledged
// object reads back with its SHA-256, and natss3d's open descriptors return to where they
// started and its RSS stays flat.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "hostile_fixture.h"
#include "support/subprocess.h"

namespace natss3::s3d::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kSlowClients = 200;
constexpr int kLoadSeconds = 60;

size_t OpenDescriptors(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

size_t RssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

void Pace(milliseconds wait) { ::poll(nullptr, 0, static_cast<int>(wait.count())); }

class S3Soak : public HostileClients {};

TEST_F(S3Soak, WellBehavedClientsNeverFailAmongHostileOnes) {
  ASSERT_TRUE(RaiseDescriptorLimit(4096));
  // Every client here is 127.0.0.1: the per-address cap would refuse the well-behaved ones
  // (set by environment, which an older natss3d ignores, so the test runs against it too).
  auto daemon = StartDaemon({}, {{"NATSS3_MAX_CONNECTIONS_PER_IP", "4096"}});
  ASSERT_TRUE(daemon->started());
  pid_t pid = daemon->process().pid();
  S3TestClient client(daemon->port());
  ASSERT_EQ(client.Send("PUT", "/soak").status, 200);
  ASSERT_EQ(client.Send("PUT", "/soak-junk").status, 200);
  ASSERT_EQ(client.Send("PUT", "/soak-junk/big", "", {}, std::string(4 << 20, 'b')).status, 200);
  size_t fds_before = OpenDescriptors(pid);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> slow_closed_by_server{0}, disconnects{0};
  // Slow clients: request heads trickled a few bytes a second (closed by natss3d at the
  // header deadline, then reopened), a quarter of them idle.
  std::thread slow([&] {
    std::vector<std::unique_ptr<RawConnection>> connections(kSlowClients);
    auto open = [&](size_t i) {
      connections[i] = RawConnection::Open(daemon->port());
      if (connections[i] && i % 4 != 0) connections[i]->Send("GET /soak/x HTTP/1.1\r\nHost: x\r\n");
    };
    for (size_t i = 0; i < connections.size(); ++i) open(i);
    for (size_t round = 0; !stop.load(); ++round) {
      for (size_t i = round % 10; i < connections.size(); i += 10) {
        if (connections[i] && i % 4 != 0) connections[i]->Send("X-Slow: y\r\n");
        if (!connections[i] || connections[i]->WaitClosed(milliseconds(0))) {
          slow_closed_by_server += connections[i] != nullptr;
          open(i);
        }
      }
      Pace(milliseconds(100));
    }
  });
  // Random disconnects at every stage of a request.
  std::thread rude([&] {
    std::mt19937 rng(7);
    S3TestClient signer(daemon->port());
    std::string put = signer.Build("PUT", "/soak-junk/partial", "", {}, std::string(200000, 'p'),
                                   std::string("UNSIGNED-PAYLOAD"));
    std::string get = signer.Build("GET", "/soak-junk/big", "", {}, "", {});
    while (!stop.load()) {
      auto connection = RawConnection::Open(daemon->port());
      if (!connection) continue;
      switch (rng() % 5) {
        case 0: break;                                                  // connect, close
        case 1: connection->Send(get.substr(0, rng() % 60)); break;     // mid-head
        case 2: connection->Send(put.substr(0, put.size() - 150000)); break;  // mid-body
        case 3: connection->Send(get); break;             // gone before the response is read
        case 4: connection->Send(std::string("\x16\x03\x01garbage\r\n\r\n")); break;
      }
      if (rng() % 2) connection->Abort();  // a reset instead of a FIN
      ++disconnects;
      Pace(milliseconds(20));
    }
  });
  size_t rss_warm = 0, rss_peak = 0;
  std::thread sampler([&] {
    auto start = Clock::now();
    while (!stop.load()) {
      size_t rss = RssKiB(pid);
      rss_peak = std::max(rss_peak, rss);
      if (rss_warm == 0 && Clock::now() - start > seconds(15)) rss_warm = rss;
      Pace(milliseconds(250));
    }
  });

  std::string out;
  auto started = Clock::now();
  int rc = natss3::test::RunCommand(
      {"python3", std::string(S3D_TEST_SCRIPTS) + "/soak_clients.py", daemon->endpoint(),
       kFullKey, kFullSecret, "soak", std::to_string(kLoadSeconds), "64"},
      &out, seconds(kLoadSeconds + 60), {{"AWS_CONFIG_FILE", "/dev/null"}});
  size_t rss_end = RssKiB(pid);
  stop = true;
  slow.join();
  rude.join();
  sampler.join();
  std::printf("[ soak     ] %.0f s: %s\n", MillisSince(started) / 1000, out.c_str());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"failures\": 0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"corrupt\": []"), std::string::npos) << out;
  EXPECT_GT(slow_closed_by_server.load(), uint64_t{kSlowClients})
      << "slow clients were closed at the header deadline";

  // Descriptors back to the start once the hostile clients are gone (closing connections
  // linger up to 2 s, slow ones end at the 10 s header deadline at most).
  size_t fds_after = OpenDescriptors(pid);
  for (auto deadline = Clock::now() + seconds(15); fds_after > fds_before + 4 && Clock::now() < deadline;
       fds_after = OpenDescriptors(pid)) {
    Pace(milliseconds(100));
  }
  std::printf("[ soak     ] natss3d descriptors %zu before, %zu after; RSS %zu KiB warm (15 s), "
              "%zu KiB at the end, %zu KiB peak; %llu slow clients closed at the deadline, "
              "%llu random disconnects\n",
              fds_before, fds_after, rss_warm, rss_end, rss_peak,
              static_cast<unsigned long long>(slow_closed_by_server.load()),
              static_cast<unsigned long long>(disconnects.load()));
  EXPECT_LE(fds_after, fds_before + 4) << "descriptors leaked";
  EXPECT_LE(rss_end, rss_warm + rss_warm / 2 + 32 * 1024) << "RSS grew after warm-up";
  auto health = RawConnection::Open(daemon->port());
  ASSERT_TRUE(health && health->Send(PlainGet("/healthz")));
  auto answer = health->Read(seconds(5));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
}

}  // namespace
}  // namespace natss3::s3d::test
