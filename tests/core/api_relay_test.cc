// The connection's API relay (core/src/nats/api_relay.h) against a real nats-server: it passes
// cnats's JetStream API requests on and answers them, and an account that may not publish to
// the inbox subjects it needs gets no relay at all rather than one whose requests go nowhere.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <chrono>

#include "core_test_util.h"
#include "nats/connection.h"
#include "natss3/crash_point.h"

namespace natss3::natsw {
namespace {

using namespace std::chrono_literals;
using test::NatsServer;

// "full" may do anything; "noinbox" may not publish to _INBOX.>, as in accounts that allow
// JetStream and their own subjects but leave inboxes to request replies.
constexpr const char* kUsers =
    "authorization { users = [ { user: full, password: f }, "
    "{ user: noinbox, password: n, permissions: { publish: { allow: [\">\"], "
    "deny: [\"_INBOX.>\"] } } } ] }";

std::unique_ptr<NatsServer> StartWithUsers() {
  NatsServer::Options so;
  so.config_text = kUsers;
  return NatsServer::Start(so);
}

Result<std::shared_ptr<NatsConnection>> ConnectAs(const NatsServer& server, const char* user,
                                                  const char* password) {
  ConnectOptions o;
  o.servers = server.url();
  o.user = user;
  o.password = password;
  o.timeout = 3000ms;
  o.connect_timeout = 1000ms;
  o.name = "natss3-relaytest";
  return NatsConnection::Connect(o);
}

TEST(ApiRelay, PassesARequestOnAndAnswersIt) {
  auto server = StartWithUsers();
  ASSERT_NE(server, nullptr);
  auto conn = ConnectAs(*server, "full", "f");
  ASSERT_OK(conn);
  jsCtx* js = (*conn)->js_relay();
  ASSERT_NE(js, nullptr);
  EXPECT_EQ((*conn)->js_relay(), js);  // started once
  // The context's API prefix is the relay's inbox: this answer came through the relay.
  jsAccountInfo* ai = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_GetAccountInfo(&ai, js, nullptr, &jerr), NATS_OK) << jerr;
  jsAccountInfo_Destroy(ai);
  // A stream created through it is there for the connection's own context.
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = "RELAYED";
  const char* subjects[] = {"relayed.>"};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  jsStreamInfo* si = nullptr;
  ASSERT_EQ(js_AddStream(&si, js, &cfg, nullptr, &jerr), NATS_OK) << jerr;
  jsStreamInfo_Destroy(si);
  si = nullptr;
  ASSERT_EQ(js_GetStreamInfo(&si, (*conn)->js(), "RELAYED", nullptr, &jerr), NATS_OK) << jerr;
  jsStreamInfo_Destroy(si);
}

TEST(ApiRelay, IsNotStartedWithoutPublishPermissionOnInboxes) {
  auto server = StartWithUsers();
  ASSERT_NE(server, nullptr);
  auto conn = ConnectAs(*server, "noinbox", "n");
  ASSERT_OK(conn);
  // The account does use JetStream.
  jsAccountInfo* ai = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_GetAccountInfo(&ai, (*conn)->js(), nullptr, &jerr), NATS_OK) << jerr;
  jsAccountInfo_Destroy(ai);
  // Its relay's check goes unanswered: no relay, and consumer creates stay direct.
  EXPECT_EQ((*conn)->js_relay(), nullptr);
  // The failure is remembered: asking again does not wait for another check.
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ((*conn)->js_relay(), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, ApiRelay::kProbeWait / 2);
}

// A check made while the connection is down (its server just died: when the relay is needed
// most) says nothing about permissions: once connected again, the relay starts at once
// instead of being refused for kRelayRetryAfter.
TEST(ApiRelay, ACheckWithoutAConnectionIsNotHeldAgainstIt) {
  auto server = NatsServer::Start();
  ASSERT_NE(server, nullptr);
  ConnectOptions o;
  o.servers = server->url();
  o.timeout = 3000ms;
  o.connect_timeout = 1000ms;
  o.reconnect_wait = 100ms;
  auto conn = NatsConnection::Connect(o);
  ASSERT_OK(conn);
  server->Stop();
  ASSERT_TRUE(coretest::PollUntil([&] { return !(*conn)->connected(); }, 10s));
  EXPECT_EQ((*conn)->js_relay(), nullptr);
  ASSERT_TRUE(server->Restart());
  ASSERT_TRUE(coretest::PollUntil([&] { return (*conn)->connected(); }, 20s));
  EXPECT_NE((*conn)->js_relay(), nullptr);
}

// A watch whose consumer create is answered "temporarily unavailable" (the fault point) tries
// the relay next; for an account without the relay, the next create goes directly and the
// watch starts and lists the bucket.
TEST(ApiRelay, AWatchWithoutARelayStillStartsAfterAnUnavailableAnswer) {
  auto server = StartWithUsers();
  ASSERT_NE(server, nullptr);
  auto store = coretest::ConnectWith(server->url(), [](ConnectOptions& o) {
    o.user = "noinbox";
    o.password = "n";
  });
  ASSERT_OK(store);
  BucketConfig bc;
  bc.bucket = "norelay";
  ASSERT_OK((*store)->CreateBucket(bc));
  ASSERT_OK((*store)->PutBytes("norelay", coretest::Meta("a"), "1"));
  ArmFaultPoint("watch.create_unavailable", 1);
  auto w = (*store)->Watch("norelay", {});
  ArmFaultPoint("watch.create_unavailable", 0);
  ASSERT_OK(w);
  auto first = (*w)->Next(5s);
  ASSERT_OK(first);
  EXPECT_EQ(first->info.name(), "a");
  (*w)->Stop();
}

}  // namespace
}  // namespace natss3::natsw
