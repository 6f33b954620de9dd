// The bucket ACL, CORS and policy records through natss3d's short cache (BucketRecords), on an
// in-process daemon whose store counts the record reads: one read per record and TTL whatever
// the number of requests, this gateway's own changes applied to its very next request, other
// gateways' changes within the TTL, and the last record read serving while the record store
// is unreachable.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "s3_test_client.h"
#include "support/fault_store.h"

namespace natss3::s3d::test {
namespace {

using natss3::test::FaultInjectingStore;
using Op = FaultInjectingStore::Op;

class BucketRecordsTest : public ::testing::Test {
 protected:
  // Long enough that a stale entry would outlive every test that does not wait for it.
  static constexpr std::chrono::milliseconds kLongTtl{60000};

  void StartDaemon(std::chrono::milliseconds ttl) {
    InProcessDaemon::Options options;
    options.bucket_record_ttl = ttl;
    options.wrap_store = [this](std::shared_ptr<ObjectStore> store) {
      faults_ = std::make_shared<FaultInjectingStore>(std::move(store));
      return faults_;
    };
    daemon_ = InProcessDaemon::Start(options);
    ASSERT_NE(daemon_, nullptr);
    client_ = std::make_unique<S3TestClient>(daemon_->port());
    bucket_ = UniqueBucket("records");
    ASSERT_EQ(client_->Send("PUT", "/" + bucket_).status, 200);
    ASSERT_EQ(client_->Send("PUT", "/" + bucket_ + "/k", "", {}, "data").status, 200);
  }

  // An unsigned GET of the object from a page's origin (bucket ACL, policy and CORS records).
  HttpResponse AnonGet() {
    return SendRaw(daemon_->port(), "GET /" + bucket_ +
                                        "/k HTTP/1.1\r\nHost: x\r\nOrigin: https://app.test\r\n"
                                        "Connection: close\r\n\r\n");
  }
  HttpResponse Preflight() {
    return SendRaw(daemon_->port(), "OPTIONS /" + bucket_ +
                                        "/k HTTP/1.1\r\nHost: x\r\nOrigin: https://app.test\r\n"
                                        "Access-Control-Request-Method: GET\r\n"
                                        "Connection: close\r\n\r\n");
  }
  int Send(const std::string& method, const std::string& query, const std::string& body = "",
           s3::HeaderMap headers = {}) {
    auto res = client_->Send(method, "/" + bucket_, query, std::move(headers), body);
    EXPECT_LT(res.status, 300) << method << " ?" << query << ": " << res.body;
    return res.status;
  }

  std::shared_ptr<FaultInjectingStore> faults_;
  std::unique_ptr<InProcessDaemon> daemon_;
  std::unique_ptr<S3TestClient> client_;
  std::string bucket_;
};

const char* kCorsConfig =
    "<CORSConfiguration><CORSRule><AllowedOrigin>https://app.test</AllowedOrigin>"
    "<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";

std::string AnonymousReadPolicy(const std::string& bucket) {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",)"
         R"("Action":"s3:GetObject","Resource":"arn:aws:s3:::)" +
         bucket + R"(/*"}]})";
}

// Without the cache every refused anonymous GET reads the ACL, the policy and the CORS
// records, and every preflight the CORS record: 80 reads here.
TEST_F(BucketRecordsTest, ReadsEachRecordOncePerTtl) {
  StartDaemon(kLongTtl);
  const int before = faults_->calls(Op::kRecordGet);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(AnonGet().status, 403);
    EXPECT_EQ(Preflight().status, 403);
  }
  EXPECT_LE(faults_->calls(Op::kRecordGet) - before, 3) << "acl, policy and cors, once each";
}

// This gateway's Put/Delete of a record applies to its next request, though the record it
// replaced was cached for a minute.
TEST_F(BucketRecordsTest, OwnChangesApplyToTheNextRequest) {
  StartDaemon(kLongTtl);
  EXPECT_EQ(AnonGet().status, 403);  // private, cached
  Send("PUT", "acl", "", {{"x-amz-acl", "public-read"}});
  auto opened = AnonGet();
  EXPECT_EQ(opened.status, 200) << opened.body;
  EXPECT_EQ(opened.body, "data");
  EXPECT_NE(client_->Send("GET", "/" + bucket_, "acl").body.find("AllUsers"), std::string::npos);
  Send("PUT", "acl", "", {{"x-amz-acl", "private"}});
  EXPECT_EQ(AnonGet().status, 403);

  EXPECT_EQ(Preflight().status, 403);  // no rules, cached
  Send("PUT", "cors", kCorsConfig);
  auto allowed = Preflight();
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(allowed.Header("access-control-allow-origin"), "https://app.test");
  EXPECT_EQ(AnonGet().Header("access-control-allow-origin"), "https://app.test");
  Send("DELETE", "cors");
  EXPECT_EQ(Preflight().status, 403);
  EXPECT_TRUE(AnonGet().Header("access-control-allow-origin").empty());

  Send("PUT", "policy", AnonymousReadPolicy(bucket_));
  EXPECT_EQ(AnonGet().status, 200);
  Send("DELETE", "policy");
  EXPECT_EQ(AnonGet().status, 403);

  // A bucket deleted and created again starts private, whatever was cached for the old one.
  Send("PUT", "acl", "", {{"x-amz-acl", "public-read"}});
  ASSERT_EQ(AnonGet().status, 200);
  ASSERT_EQ(client_->Send("DELETE", "/" + bucket_ + "/k").status, 204);
  ASSERT_EQ(client_->Send("DELETE", "/" + bucket_).status, 204);
  ASSERT_EQ(client_->Send("PUT", "/" + bucket_).status, 200);
  ASSERT_EQ(client_->Send("PUT", "/" + bucket_ + "/k", "", {}, "data").status, 200);
  EXPECT_EQ(AnonGet().status, 403) << "a re-created bucket inherited a cached grant";
}

// A record another gateway wrote (here: straight into the record store) applies here once the
// cached one is older than the TTL.
TEST_F(BucketRecordsTest, OtherGatewaysChangesApplyWithinTheTtl) {
  StartDaemon(std::chrono::milliseconds(200));
  EXPECT_EQ(AnonGet().status, 403);
  auto records = daemon_->store().Records("natss3_uploads");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_TRUE((*records)->Put("cfg.acl." + bucket_, "public-read").ok());
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    status = AnonGet().status;
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// The record store unreachable (503) once the cached record expired: the record read last
// keeps serving, and is kept a minute, so requests meanwhile read nothing.
TEST_F(BucketRecordsTest, LastRecordServesWhileTheStoreIsUnreachable) {
  StartDaemon(std::chrono::milliseconds(200));
  Send("PUT", "acl", "", {{"x-amz-acl", "public-read"}});
  ASSERT_EQ(AnonGet().status, 200);
  const int before = faults_->calls(Op::kRecordGet);
  for (int n = 1; n <= 3; ++n) {  // acl, policy, cors: every record read fails from now on
    faults_->FailNth(Op::kRecordGet, before + n, Unavailable("injected: no leader"));
  }
  const auto start = std::chrono::steady_clock::now();
  while (faults_->calls(Op::kRecordGet) == before &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    auto res = AnonGet();  // cached, then the failed read
    ASSERT_EQ(res.status, 200) << res.body;
  }
  ASSERT_GT(faults_->calls(Op::kRecordGet), before) << "the cached record never expired";
  for (int i = 0; i < 5; ++i) ASSERT_EQ(AnonGet().status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the TTL: not read again
  EXPECT_EQ(AnonGet().status, 200);
  EXPECT_LE(faults_->calls(Op::kRecordGet), before + 3);
}

}  // namespace
}  // namespace natss3::s3d::test
