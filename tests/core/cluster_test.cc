// 3-node cluster: R3 bucket, put via one node, get via another, survive losing the leader.
#include <gtest/gtest.h>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;
using test::NatsServer;

TEST(Cluster, R3BucketSurvivesLosingTheStreamLeader) {
  auto cluster = NatsServer::Cluster::Start(3);
  ASSERT_NE(cluster, nullptr);
  auto s1 = ConnectWhenReady(cluster->node(0).url());
  ASSERT_OK(s1);
  auto s2 = ConnectWhenReady(cluster->node(1).url());
  ASSERT_OK(s2);
  auto& store1 = *s1;
  auto& store2 = *s2;

  BucketConfig c;
  c.bucket = "r3";
  c.replicas = 3;
  c.description = "replicated";
  Result<BucketStatus> created = Status(Code::kInternal, "not tried");
  // The JetStream meta leader needs a moment after the cluster forms.
  ASSERT_TRUE(PollUntil([&] {
    created = store1->CreateBucket(c);
    return created.ok();
  }, 30s)) << created.status().ToString();
  EXPECT_EQ(created->replicas, 3);

  // 73 chunks: whole reads of it go through a pull consumer (created on the stream leader).
  std::string data = test::RandomBytes(9 * 1024 * 1024 + 3, 31);
  ASSERT_OK(store1->PutBytes("r3", Meta("one"), data));
  auto got = store2->GetBytes("r3", "one");
  ASSERT_OK(got);
  EXPECT_TRUE(*got == data);

  // Read-after-write across nodes: direct gets may be answered by a follower that has not yet
  // applied the put that just returned; the core must still find the object and its chunks.
  for (int i = 0; i < 30; ++i) {
    std::string name = "raw-" + std::to_string(i);
    std::string body = test::RandomBytes(1000 + 300 * i, 100 + i);
    ASSERT_OK(store2->PutBytes("r3", Meta(name), body));
    auto back = store1->GetBytes("r3", name);
    ASSERT_OK(back) << name;
    EXPECT_TRUE(*back == body) << name;
  }

  auto st = store2->GetBucketStatus("r3");
  ASSERT_OK(st);
  EXPECT_EQ(st->replicas, 3);
  ASSERT_TRUE(st->cluster.has_value());
  EXPECT_FALSE(st->cluster->leader.empty());
  EXPECT_EQ(st->cluster->replicas.size(), 2u);

  // Stop the node leading the stream (names are n1..n3).
  std::string leader = st->cluster->leader;
  int leader_index = leader.size() == 2 ? leader[1] - '1' : -1;
  ASSERT_GE(leader_index, 0) << leader;
  ASSERT_LT(leader_index, 3) << leader;
  cluster->node(leader_index).Stop();
  std::printf("[ info    ] stopped stream leader %s (store1 -> n1, store2 -> n2)\n", leader.c_str());

  // Both stores keep working (a store whose only URL died reconnects to discovered nodes).
  std::string data2 = test::RandomBytes(300 * 1024, 32);
  Result<ObjectInfo> put2 = Status(Code::kInternal, "not tried");
  ASSERT_TRUE(PollUntil([&] {
    put2 = store1->PutBytes("r3", Meta("two"), data2);
    return put2.ok();
  }, 30s)) << put2.status().ToString();
  Result<std::string> got2 = Status(Code::kInternal, "not tried");
  ASSERT_TRUE(PollUntil([&] {
    got2 = store2->GetBytes("r3", "two");
    return got2.ok();
  }, 30s)) << got2.status().ToString();
  EXPECT_TRUE(*got2 == data2);
  auto old = store2->GetBytes("r3", "one");
  ASSERT_OK(old);
  EXPECT_TRUE(*old == data);
  Result<ObjectInfo> put3 = Status(Code::kInternal, "not tried");
  ASSERT_TRUE(PollUntil([&] {
    put3 = store2->PutBytes("r3", Meta("three"), "from node 2");
    return put3.ok();
  }, 30s)) << put3.status().ToString();
  // Once puts work again, reads through a surviving node must work at the first attempt.
  Result<std::string> got3 = Status(Code::kInternal, "not tried");
  int got3_attempts = 0;
  std::string first_error;
  ASSERT_TRUE(PollUntil([&] {
    ++got3_attempts;
    got3 = store1->GetBytes("r3", "three");
    if (!got3.ok() && first_error.empty()) first_error = got3.status().ToString();
    return got3.ok();
  }, 30s)) << got3.status().ToString();
  EXPECT_EQ(*got3, "from node 2");
  EXPECT_EQ(got3_attempts, 1) << "get after failover failed transiently: " << first_error;
  // List is a watch (ordered consumer): it must keep working too. A first attempt right after
  // the failover may time out while consumer creation settles; it must recover within 30 s.
  Result<std::vector<ObjectInfo>> list = Status(Code::kInternal, "not tried");
  int list_attempts = 0;
  auto t_list = std::chrono::steady_clock::now();
  bool listed = PollUntil([&] {
    ++list_attempts;
    list = store1->List("r3");
    return list.ok();
  }, 30s);
  std::printf("[ measure ] List after failover: %d attempts, %lld ms\n", list_attempts,
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t_list).count()));
  ASSERT_TRUE(listed) << list.status().ToString();
  EXPECT_EQ(list->size(), 3u + 30u);  // one, two, three and the raw-<i> objects
  // Creating the list's consumer on the new stream leader can still time out once under load
  // (seen once in a loaded ctest -j2 run: 2 attempts, 10 s); more than that is a bug.
  EXPECT_LE(list_attempts, 2) << "List kept failing after failover although puts and gets "
                                 "already worked";
  auto st2 = store1->GetBucketStatus("r3");
  ASSERT_OK(st2);
  ASSERT_TRUE(st2->cluster.has_value());
  EXPECT_NE(st2->cluster->leader, leader);
}

TEST(Cluster, UrlListConnectsAndR1PlacementWorks) {
  auto cluster = NatsServer::Cluster::Start(3);
  ASSERT_NE(cluster, nullptr);
  auto s = ConnectWhenReady(cluster->url_list());
  ASSERT_OK(s);
  BucketConfig c;
  c.bucket = "r1";
  Result<BucketStatus> created = Status(Code::kInternal, "not tried");
  ASSERT_TRUE(PollUntil([&] {
    created = (*s)->CreateBucket(c);
    return created.ok();
  }, 30s)) << created.status().ToString();
  EXPECT_EQ(created->replicas, 1);
  ASSERT_OK((*s)->PutBytes("r1", Meta("x"), "y"));
  // Read it through each node separately.
  for (int i = 0; i < 3; ++i) {
    auto si = ConnectTo(cluster->node(i).url(), 5000ms);
    ASSERT_OK(si);
    auto g = (*si)->GetBytes("r1", "x");
    ASSERT_OK(g) << "node " << i;
    EXPECT_EQ(*g, "y");
  }
}

}  // namespace
}  // namespace natss3
