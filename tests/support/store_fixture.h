// A connected store with one empty bucket, for test fixtures that need a real nats-server.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "natss3/nats_store.h"
#include "support/nats_server.h"

namespace natss3::test {

// Connects to `server` and creates `bucket`; nullptr (with a test failure) when either fails.
inline std::shared_ptr<ObjectStore> ConnectWithBucket(const NatsServer& server,
                                                      const std::string& bucket) {
  ConnectOptions connect;
  connect.servers = server.url();
  auto store = ConnectNats(connect);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  BucketConfig config;
  config.bucket = bucket;
  auto created = (*store)->CreateBucket(config);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? std::move(store).value() : nullptr;
}

}  // namespace natss3::test
