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
  auto s1 = ConnectTo(cluster->node(0).url(), 5000ms);
  ASSERT_OK(s1);
  auto s2 = ConnectTo(cluster->node(1).url(), 5000ms);
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

  std::string data = test::RandomBytes(1024 * 1024 + 3, 31);
  ASSERT_OK(store1->PutBytes("r3", Meta("one"), data));
  auto got = store2->GetBytes("r3", "one");
  ASSERT_OK(got);
  EXPECT_TRUE(*got == data);

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
  auto got3 = store1->GetBytes("r3", "three");
  ASSERT_OK(got3);
  EXPECT_EQ(*got3, "from node 2");
  auto list = store1->List("r3");
  ASSERT_OK(list);
  EXPECT_EQ(list->size(), 3u);
  auto st2 = store1->GetBucketStatus("r3");
  ASSERT_OK(st2);
  ASSERT_TRUE(st2->cluster.has_value());
  EXPECT_NE(st2->cluster->leader, leader);
}

TEST(Cluster, UrlListConnectsAndR1PlacementWorks) {
  auto cluster = NatsServer::Cluster::Start(3);
  ASSERT_NE(cluster, nullptr);
  auto s = ConnectTo(cluster->url_list(), 5000ms);
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
