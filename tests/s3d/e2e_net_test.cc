// End to end, natss3d against hostile connections: slow request heads and TLS handshakes are
// closed at their deadline without holding a worker, connections are capped in total and per
// address, oversized heads are refused before httplib parses them, and /healthz and a small GET
// stay fast with 1,000 slow or idle connections open.
#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <cstdio>

#include "hostile_fixture.h"
#include "support/subprocess.h"

namespace natss3::s3d::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits up to `wait` (a pacing interval for slow clients, not a synchronisation).
void Pace(milliseconds wait) { ::poll(nullptr, 0, static_cast<int>(wait.count())); }

// One request on a fresh connection; its latency in ms, or -1 when no answer came in time.
double Timed(int port, const std::string& request, int expect_status, milliseconds timeout) {
  auto start = Clock::now();
  auto connection = RawConnection::Open(port);
  if (!connection || !connection->Send(request)) return -1;
  auto response = connection->Read(timeout);
  if (!response || response->status != expect_status) return -1;
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

class S3HostileNet : public HostileClients {};

// Slow-loris: heads trickled a byte at a time hold no worker (4 here) and are closed with
// 400 RequestTimeout at the header deadline; /healthz answers meanwhile.
TEST_F(S3HostileNet, SlowHeadsAreClosedAtTheDeadlineWithoutHoldingWorkers) {
  auto daemon = StartDaemon({"--threads", "4", "--header-timeout", "2s"});
  ASSERT_TRUE(daemon->started());
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 16; ++i) {
    slow.push_back(RawConnection::Open(daemon->port()));
    ASSERT_TRUE(slow.back() && slow.back()->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  }
  auto start = Clock::now();
  std::vector<double> closed_after(slow.size(), -1);
  std::vector<double> healthz;
  while (Clock::now() - start < seconds(6)) {
    for (size_t i = 0; i < slow.size(); ++i) {
      if (closed_after[i] >= 0) continue;
      slow[i]->Send("X-Slow: 1\r\n");  // may fail once the server closed it
      if (slow[i]->WaitClosed(milliseconds(0))) closed_after[i] = MillisSince(start);
    }
    healthz.push_back(Timed(daemon->port(), PlainGet("/healthz"), 200, milliseconds(3000)));
    Pace(milliseconds(200));
  }
  for (double latency : healthz) EXPECT_GE(latency, 0) << "/healthz did not answer in 3 s";
  EXPECT_LT(Percentile(healthz, 1.0), 1000) << "slowest /healthz (ms)";
  for (size_t i = 0; i < slow.size(); ++i) {
    EXPECT_GE(closed_after[i], 1500) << "closed before the 2 s deadline: " << i;
    EXPECT_LE(closed_after[i], 4000) << "not closed at the 2 s deadline: " << i;
    auto response = slow[i]->Read(milliseconds(0));
    if (response) {
      EXPECT_EQ(response->ErrorCode(), "RequestTimeout");
    }
  }
  // A bare connection that sends nothing is closed at the same deadline.
  auto bare = RawConnection::Open(daemon->port());
  ASSERT_TRUE(bare);
  auto bare_start = Clock::now();
  EXPECT_TRUE(bare->WaitClosed(seconds(5)));
  EXPECT_GE(MillisSince(bare_start), 1500);
  auto metrics = RawConnection::Open(daemon->port());
  ASSERT_TRUE(metrics && metrics->Send(PlainGet("/metrics")));
  auto m = metrics->Read(seconds(5));
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("natss3_http_refused_total{reason=\"header_timeout\"} 17"), std::string::npos)
      << m->body;
}

// A TLS handshake that never comes holds no worker and is closed at its deadline.
TEST_F(S3HostileNet, StalledTlsHandshakesHoldNoWorker) {
  std::string out;
  std::vector<std::string> flags = {"--threads", "4", "--tls-handshake-timeout", "2s"};
  for (const auto& flag : TlsFlags()) flags.push_back(flag);
  auto daemon = StartDaemon(flags, {}, true);
  ASSERT_TRUE(daemon->started());
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 12; ++i) {
    stalled.push_back(RawConnection::Open(daemon->port()));
    ASSERT_TRUE(stalled.back());
  }
  // Half of them send the first bytes of a ClientHello (a TLS record header) and stop.
  for (int i = 0; i < 6; ++i) stalled[i]->Send(std::string("\x16\x03\x01\x02\x00", 5));
  auto start = Clock::now();
  std::string url = daemon->endpoint() + "/healthz";
  auto t0 = Clock::now();
  int rc = natss3::test::RunCommand({"curl", "-sk", "--max-time", "5", url}, &out);
  double took = MillisSince(t0);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "ok\n");
  EXPECT_LT(took, 3000) << "/healthz over TLS with 12 stalled handshakes (ms)";
  for (auto& connection : stalled) {
    EXPECT_TRUE(connection->WaitClosed(seconds(6))) << "handshake deadline";
  }
  EXPECT_GE(MillisSince(start), 1500);
}

// Per client address (default 256): the next connection gets 503 SlowDown; closing some
// makes room again.
TEST_F(S3HostileNet, ConnectionsPerAddressAreCapped) {
  ASSERT_TRUE(RaiseDescriptorLimit(2048));
  auto daemon = StartDaemon({});
  ASSERT_TRUE(daemon->started());
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 256; ++i) {
    idle.push_back(RawConnection::Open(daemon->port()));
    ASSERT_TRUE(idle.back());
  }
  auto extra = RawConnection::Open(daemon->port());
  ASSERT_TRUE(extra);
  extra->Send(PlainGet("/healthz"));
  auto refused = extra->Read(seconds(5));
  ASSERT_TRUE(refused) << "the 257th connection from one address got no answer";
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->ErrorCode(), "SlowDown");
  EXPECT_EQ(refused->Header("retry-after"), "1");
  EXPECT_TRUE(refused->SaysClose());
  idle.resize(200);  // closes 56
  auto deadline = Clock::now() + seconds(5);
  double latency = -1;
  while (latency < 0 && Clock::now() < deadline) {
    latency = Timed(daemon->port(), PlainGet("/healthz"), 200, seconds(2));
  }
  EXPECT_GE(latency, 0) << "no room after closing connections";
}

TEST_F(S3HostileNet, ConnectionsAreCappedInTotal) {
  auto daemon = StartDaemon({"--max-connections", "20"});
  ASSERT_TRUE(daemon->started());
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 20; ++i) {
    // Each is surely admitted before the extra one comes: a request answered on it, and the
    // connection kept open (CI once saw the extra one answered 200 after 20 bare connects).
    idle.push_back(RawConnection::Open(daemon->port()));
    ASSERT_TRUE(idle.back()) << "connection " << i;
    ASSERT_TRUE(idle.back()->Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    auto answered = idle.back()->Read(seconds(5));
    ASSERT_TRUE(answered) << "connection " << i;
    ASSERT_EQ(answered->status, 200) << "connection " << i;
  }
  auto extra = RawConnection::Open(daemon->port());
  ASSERT_TRUE(extra && extra->Send(PlainGet("/healthz")));
  auto refused = extra->Read(seconds(5));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->ErrorCode(), "SlowDown");
  idle.pop_back();
  auto deadline = Clock::now() + seconds(5);
  double latency = -1;
  while (latency < 0 && Clock::now() < deadline) {
    latency = Timed(daemon->port(), PlainGet("/healthz"), 200, seconds(2));
  }
  EXPECT_GE(latency, 0);
}

// Header count and size are capped (defaults 100 and 16 KiB) before httplib reads a line:
// 400 RequestHeaderSectionTooLarge and a close.
TEST_F(S3HostileNet, OversizedHeadsAreRefusedBeforeParsing) {
  auto daemon = StartDaemon({});
  ASSERT_TRUE(daemon->started());
  auto send = [&](const std::string& bytes) {
    auto connection = RawConnection::Open(daemon->port());
    EXPECT_TRUE(connection);
    connection->Send(bytes);
    auto response = connection->Read(seconds(5));
    EXPECT_TRUE(connection->WaitClosed(seconds(5)));
    return response;
  };
  std::string many;
  for (int i = 0; i < 101; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  auto r = send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + "\r\n");
  ASSERT_TRUE(r) << "101 headers";
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->ErrorCode(), "RequestHeaderSectionTooLarge");
  EXPECT_TRUE(r->SaysClose());

  std::string large;
  for (int i = 0; i < 60; ++i) large += "X-L" + std::to_string(i) + ": " + std::string(300, 'v') + "\r\n";
  r = send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + large + "\r\n");
  ASSERT_TRUE(r) << "18 KiB of headers";
  EXPECT_EQ(r->ErrorCode(), "RequestHeaderSectionTooLarge");

  // One endless header line: refused at 16 KiB, not buffered until a newline comes.
  auto start = Clock::now();
  r = send("GET /healthz HTTP/1.1\r\nX-Endless: " + std::string(256 * 1024, 'a'));
  ASSERT_TRUE(r) << "endless header line";
  EXPECT_EQ(r->ErrorCode(), "RequestHeaderSectionTooLarge");
  EXPECT_LT(MillisSince(start), 3000);

  // Within both limits: served.
  std::string fine;
  for (int i = 0; i < 99; ++i) fine += "X-F" + std::to_string(i) + ": " + std::string(100, 'v') + "\r\n";
  auto connection = RawConnection::Open(daemon->port());
  ASSERT_TRUE(connection && connection->Send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + fine + "\r\n"));
  r = connection->Read(seconds(5));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->SaysClose());
}

// The target of the hardening: with 1,000 slow (trickled heads) or idle connections open,
// /healthz and a small signed GET answer in under 100 ms at the 99th percentile.
TEST_F(S3HostileNet, HealthzAndSmallGetStayFastUnder1000SlowConnections) {
  ASSERT_TRUE(RaiseDescriptorLimit(4096));
  // Every test connection comes from 127.0.0.1: lift the per-address cap (by environment, which
  // an older natss3d ignores, so the same test measures it too).
  auto daemon = StartDaemon({}, {{"NATSS3_MAX_CONNECTIONS_PER_IP", "4096"}});
  ASSERT_TRUE(daemon->started());
  S3TestClient client(daemon->port());
  ASSERT_EQ(client.Send("PUT", "/latency").status, 200);
  ASSERT_EQ(client.Send("PUT", "/latency/small", "", {}, std::string(1024, 's')).status, 200);

  std::vector<std::unique_ptr<RawConnection>> slow, idle;
  for (int i = 0; i < 600; ++i) {
    slow.push_back(RawConnection::Open(daemon->port()));
    ASSERT_TRUE(slow.back()) << i;
    slow.back()->Send("GET /latency/small HTTP/1.1\r\nHost: x\r\n");
  }
  for (int i = 0; i < 400; ++i) {
    idle.push_back(RawConnection::Open(daemon->port()));
    ASSERT_TRUE(idle.back()) << i;
  }
  std::vector<double> healthz, get;
  int failures = 0;
  size_t trickle = 0;
  auto start = Clock::now();
  // Within the 10 s header deadline of the slow connections; an old natss3d that cannot answer
  // gives up after 10 failures.
  for (int i = 0; i < 200 && failures < 10 && Clock::now() - start < seconds(8); ++i) {
    for (int k = 0; k < 30; ++k) slow[trickle++ % slow.size()]->Send("X");  // each ~every 1-2 s
    double h = Timed(daemon->port(), PlainGet("/healthz"), 200, milliseconds(2000));
    double g = Timed(daemon->port(), client.Build("GET", "/latency/small", "", {}, "", {}), 200,
                     milliseconds(2000));
    failures += (h < 0) + (g < 0);
    healthz.push_back(h < 0 ? 2000 : h);
    get.push_back(g < 0 ? 2000 : g);
  }
  std::printf("[ figures  ] 600 slow + 400 idle connections: /healthz p50 %.2f ms p99 %.2f ms "
              "max %.2f ms; small GET p50 %.2f ms p99 %.2f ms max %.2f ms (%zu each, %d failed)\n",
              Percentile(healthz, 0.5), Percentile(healthz, 0.99), Percentile(healthz, 1),
              Percentile(get, 0.5), Percentile(get, 0.99), Percentile(get, 1), healthz.size(),
              failures);
  RecordProperty("healthz_p99_ms", std::to_string(Percentile(healthz, 0.99)));
  RecordProperty("get_p99_ms", std::to_string(Percentile(get, 0.99)));
  EXPECT_EQ(failures, 0);
  EXPECT_GE(healthz.size(), 100u);
  EXPECT_LT(Percentile(healthz, 0.99), 100);
  EXPECT_LT(Percentile(get, 0.99), 100);
}

}  // namespace
}  // namespace natss3::s3d::test
