// Connection contract: ConnectNats errors, auth, URL lists, defaults, reconnect.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <nats/nats.h>

#include <atomic>
#include <future>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;
using test::NatsServer;

ConnectOptions Opts(const std::string& servers) {
  ConnectOptions o;
  o.servers = servers;
  o.timeout = 3000ms;
  o.connect_timeout = 1000ms;
  o.reconnect_wait = 200ms;
  return o;
}

// Creates `bucket` holding object "x" = `data` through `store`.
void CreateWithX(ObjectStore& store, const std::string& bucket, std::string_view data) {
  BucketConfig c;
  c.bucket = bucket;
  ASSERT_OK(store.CreateBucket(c));
  ASSERT_OK(store.PutBytes(bucket, Meta("x"), data));
}

TEST(Connection, ConnectsAndReportsHealth) {
  auto server = NatsServer::Start();
  ASSERT_NE(server, nullptr);
  auto store = ConnectNats(Opts(server->url()));
  ASSERT_OK(store);
  EXPECT_OK((*store)->Health());
  EXPECT_EQ((*store)->MaxPayload(), 1024u * 1024u);  // nats-server default max_payload
}

TEST(Connection, UnreachableIsUnavailableWithClearMessage) {
  int port = test::FreePort();
  std::string url = "nats://127.0.0.1:" + std::to_string(port);
  auto t0 = std::chrono::steady_clock::now();
  auto store = ConnectNats(Opts(url));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_CODE(store, Code::kUnavailable);
  // "no server reachable at ...": the message names what was tried.
  EXPECT_NE(store.status().message().find(std::to_string(port)), std::string::npos)
      << store.status().ToString();
  EXPECT_LT(elapsed, 30s);
}

TEST(Connection, NoJetStreamIsUnavailableMentioningJetStream) {
  NatsServer::Options so;
  so.jetstream = false;
  auto server = NatsServer::Start(so);
  ASSERT_NE(server, nullptr);
  auto store = ConnectNats(Opts(server->url()));
  ASSERT_CODE(store, Code::kUnavailable);
  EXPECT_TRUE(ContainsNoCase(store.status().message(), "jetstream")) << store.status().ToString();
}

// A JetStream cluster without a meta leader for a moment (an election; a server that just
// resumed after a pause) answers API requests with "JetStream system temporarily unavailable"
// (code 503, err_code 10008). That is transient: a process connecting then must retry, not
// fail (natss3ctl used to exit with that error right after a cluster node resumed). A stand-in
// answers the account info request that way three times, then properly.
TEST(Connection, TemporarilyUnavailableJetStreamIsRetried) {
  NatsServer::Options so;
  so.jetstream = false;
  auto server = NatsServer::Start(so);
  ASSERT_NE(server, nullptr);
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, server->url().c_str()), NATS_OK);
  static std::atomic<int> requests{0};
  requests = 0;
  natsSubscription* sub = nullptr;
  auto answer = [](natsConnection* c, natsSubscription*, natsMsg* m, void*) {
    std::string body =
        requests.fetch_add(1) < 3
            ? R"({"type":"io.nats.jetstream.api.v1.account_info_response","error":)"
              R"({"code":503,"err_code":10008,"description":"JetStream system temporarily )"
              R"(unavailable"}})"
            : R"({"type":"io.nats.jetstream.api.v1.account_info_response","memory":0,)"
              R"("storage":0,"streams":0,"consumers":0,"limits":{"max_memory":-1,)"
              R"("max_storage":-1,"max_streams":-1,"max_consumers":-1},)"
              R"("api":{"total":1,"errors":0}})";
    natsConnection_PublishString(c, natsMsg_GetReply(m), body.c_str());
    natsMsg_Destroy(m);
  };
  ASSERT_EQ(natsConnection_Subscribe(&sub, nc, "$JS.API.INFO", answer, nullptr), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  auto store = ConnectNats(Opts(server->url()));
  EXPECT_OK(store);
  EXPECT_GE(requests.load(), 4);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
}

TEST(Connection, UserPasswordAuth) {
  NatsServer::Options so;
  so.config_text = "authorization { user: a, password: b }";
  auto server = NatsServer::Start(so);
  ASSERT_NE(server, nullptr);

  auto good = Opts(server->url());
  good.user = "a";
  good.password = "b";
  auto store = ConnectNats(good);
  ASSERT_OK(store);
  EXPECT_OK((*store)->Health());

  auto bad = good;
  bad.password = "wrong";
  auto denied = ConnectNats(bad);
  EXPECT_CODE(denied, Code::kPermissionDenied);
  if (!denied.ok()) {
    EXPECT_TRUE(ContainsNoCase(denied.status().message(), "authoriz")) << denied.status().ToString();
  }

  auto none = ConnectNats(Opts(server->url()));
  EXPECT_CODE(none, Code::kPermissionDenied);
}

TEST(Connection, UserPasswordInsideUrl) {
  NatsServer::Options so;
  so.config_text = "authorization { user: a, password: b }";
  auto server = NatsServer::Start(so);
  ASSERT_NE(server, nullptr);
  auto store = ConnectNats(Opts("nats://a:b@127.0.0.1:" + std::to_string(server->port())));
  ASSERT_OK(store);
  EXPECT_OK((*store)->Health());
}

TEST(Connection, TokenAuth) {
  NatsServer::Options so;
  so.config_text = "authorization { token: s3cr3t-token }";
  auto server = NatsServer::Start(so);
  ASSERT_NE(server, nullptr);
  auto good = Opts(server->url());
  good.token = "s3cr3t-token";
  auto store = ConnectNats(good);
  ASSERT_OK(store);
  EXPECT_OK((*store)->Health());
  // A bucket round trip proves the JetStream API works over the token connection.
  BucketConfig c;
  c.bucket = "tok";
  EXPECT_OK((*store)->CreateBucket(c));

  auto bad = good;
  bad.token = "nope";
  EXPECT_CODE(ConnectNats(bad), Code::kPermissionDenied);
}

TEST(Connection, UrlListWithOneDeadUrl) {
  auto server = NatsServer::Start();
  ASSERT_NE(server, nullptr);
  std::string dead = "nats://127.0.0.1:" + std::to_string(test::FreePort());
  for (std::string list : std::vector<std::string>{dead + "," + server->url(), server->url() + "," + dead,
                           dead + ", " + server->url()}) {
    auto store = ConnectNats(Opts(list));
    ASSERT_OK(store) << list;
    EXPECT_OK((*store)->Health());
  }
}

TEST(Connection, DefaultServersFromEnvironment) {
  ::unsetenv("NATS_URL");
  EXPECT_EQ(DefaultServers(), "nats://127.0.0.1:4222");
  ::setenv("NATS_URL", "nats://10.1.2.3:4333,nats://10.1.2.4:4333", 1);
  EXPECT_EQ(DefaultServers(), "nats://10.1.2.3:4333,nats://10.1.2.4:4333");
  ::unsetenv("NATS_URL");
}

TEST(Connection, EmptyServersUsesNatsUrl) {
  auto server = NatsServer::Start();
  ASSERT_NE(server, nullptr);
  ::setenv("NATS_URL", server->url().c_str(), 1);
  auto store = ConnectNats(Opts(""));
  ::unsetenv("NATS_URL");
  ASSERT_OK(store);
  EXPECT_OK((*store)->Health());
}

TEST(Connection, RetryOnFailedConnectSucceedsLater) {
  int port = test::FreePort();
  auto o = Opts("nats://127.0.0.1:" + std::to_string(port));
  o.retry_on_failed_connect = true;
  // Daemons: Connect returns at once and keeps trying. Run it on a thread so that a blocking
  // implementation fails this test instead of hanging it: if it has not returned within 10 s,
  // start the server so the blocked call can complete.
  auto pending = std::async(std::launch::async, [o] { return ConnectNats(o); });
  bool returned_early = pending.wait_for(10s) == std::future_status::ready;
  EXPECT_TRUE(returned_early) << "ConnectNats with retry_on_failed_connect blocked while no "
                                 "server was reachable";
  Result<std::shared_ptr<ObjectStore>> store = Status(Code::kInternal, "not returned");
  if (returned_early) {
    store = pending.get();
    ASSERT_OK(store);
    EXPECT_FALSE((*store)->Health().ok());
  }
  NatsServer::Options so;
  so.port = port;
  auto server = NatsServer::Start(so);
  ASSERT_NE(server, nullptr);
  if (!returned_early) {
    ASSERT_EQ(pending.wait_for(30s), std::future_status::ready);
    store = pending.get();
    ASSERT_OK(store);
  }
  EXPECT_TRUE(PollUntil([&] { return (*store)->Health().ok(); }, 15s))
      << (*store)->Health().ToString();
  BucketConfig c;
  c.bucket = "late";
  EXPECT_OK((*store)->CreateBucket(c));
}

TEST(Connection, ServerLossFailsFastThenRecoversAfterRestart) {
  auto server = NatsServer::Start();
  ASSERT_NE(server, nullptr);
  auto store = ConnectNats(Opts(server->url()));
  ASSERT_OK(store);
  ASSERT_NO_FATAL_FAILURE(CreateWithX(**store, "recover", "before"));

  server->Stop();
  auto t0 = std::chrono::steady_clock::now();
  auto st = (*store)->GetBucketStatus("recover");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.status().code() == Code::kUnavailable ||
              st.status().code() == Code::kDeadlineExceeded)
      << st.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);  // bounded by the request timeout
  EXPECT_FALSE((*store)->Health().ok());

  ASSERT_TRUE(server->Restart());
  ASSERT_TRUE(PollUntil([&] { return (*store)->Health().ok(); }, 20s));
  auto data = (*store)->GetBytes("recover", "x");
  ASSERT_OK(data);
  EXPECT_EQ(*data, "before");
}

// During a JetStream meta election every server that knows no meta leader answers each API
// request "JetStream system temporarily unavailable" (503, err_code 10008), often ahead of the
// stream leader's real answer, and a request that keeps only the first answer never sees the
// leader's (a watch failed so in CI for its whole 12 s budget). LeaderlessAnswers puts such an
// answer ahead of every real one. The bucket's status (STREAM.INFO through Api) and an
// object's info (a leader get) must come from the real answers, in well under the budget.
TEST(Connection, ALeaderAnswerBehindATemporarilyUnavailableOneIsUsed) {
  auto server = NatsServer::Start();
  ASSERT_NE(server, nullptr);
  {
    auto writer = ConnectNats(Opts(server->url()));
    ASSERT_OK(writer);
    ASSERT_NO_FATAL_FAILURE(CreateWithX(**writer, "behind", "payload"));
  }
  LeaderlessAnswers answers(server->url());
  ASSERT_TRUE(answers.ok());
  ConnectOptions o = Opts(server->url());
  o.js_api_prefix = LeaderlessAnswers::kPrefix;
  o.leader_reads = true;  // the object's info from the stream leader, as for an R3 bucket
  auto reader = ConnectNats(o);
  ASSERT_OK(reader);
  auto t0 = std::chrono::steady_clock::now();
  auto status = (*reader)->GetBucketStatus("behind");
  ASSERT_OK(status);
  EXPECT_EQ(status->bucket, "behind");
  auto info = (*reader)->GetInfo("behind", "x");
  ASSERT_OK(info);
  EXPECT_EQ(info->meta.name, "x");
  EXPECT_EQ(info->size, 7u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s)
      << "leader answers were not found behind the 503s";
  EXPECT_GE(answers.unavailable(), 2);
  EXPECT_GE(answers.relayed(), 2);
}

}  // namespace
}  // namespace natss3
