// The subscription reaper (core/src/nats/sub_reaper.h) against a real nats-server: retiring
// many subscriptions, as a stream of puts does (one reply subscription each), costs work in
// proportion to their number, not to its square, and one flush serves a batch of them.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <chrono>
#include <thread>

#include "nats/sub_reaper.h"
#include "support/nats_server.h"

namespace natss3::natsw {
namespace {

using namespace std::chrono_literals;

TEST(SubReaperTest, ManyRetirementsCostLinearWorkAndFewFlushes) {
  auto server = test::NatsServer::Start();
  ASSERT_NE(server, nullptr);
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, server->url().c_str()), NATS_OK);

  // Wait for anything earlier in this process to be gone, then count from here.
  for (int i = 0; i < 100 && RetiredSubscriptionsStats().pending > 0; ++i)
    std::this_thread::sleep_for(100ms);
  const ReaperStats before = RetiredSubscriptionsStats();
  constexpr int kSubs = 6000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kSubs; ++i) {  // ~3 s of retirements, a steady trickle
    natsSubscription* sub = nullptr;
    std::string subject = "reaper.test." + std::to_string(i);
    ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, subject.c_str()), NATS_OK);
    RetireSubscription(nc, sub);
    std::this_thread::sleep_until(t0 + i * 500us);
  }
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (RetiredSubscriptionsStats().pending > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  const ReaperStats after = RetiredSubscriptionsStats();
  EXPECT_EQ(after.pending, 0u) << "retired subscriptions were not destroyed";
  // Each entry is moved three times (queue, young, waiting) and looked at once more when
  // destroyed; a reaper that rescans every young entry at each retirement does ~kSubs^2/2.
  EXPECT_LE(after.visits - before.visits, 5u * kSubs);
  // One flush a batch (about every 100 ms), not one a retirement.
  EXPECT_LE(after.flushes - before.flushes, 100u);
  EXPECT_GE(after.flushes - before.flushes, 1u);
  natsConnection_Destroy(nc);
}

}  // namespace
}  // namespace natss3::natsw
