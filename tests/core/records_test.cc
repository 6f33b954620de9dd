// RecordStore contract: Put/Get/Delete/Keys over a JetStream KV bucket.
#include <gtest/gtest.h>

#include <algorithm>

#include "core_test_util.h"

namespace natss3 {
namespace {

using namespace coretest;

class RecordsTest : public StoreTest {
 protected:
  std::shared_ptr<RecordStore> MustRecords(const std::string& name) {
    auto r = store_->Records(name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  }
};

TEST_F(RecordsTest, PutGetOverwriteDelete) {
  auto rs = MustRecords("natss3_uploads");
  ASSERT_NE(rs, nullptr);
  EXPECT_CODE(rs->Get("missing"), Code::kNotFound);
  ASSERT_OK(rs->Put("uploads/abc", "v1"));
  auto v = rs->Get("uploads/abc");
  ASSERT_OK(v);
  EXPECT_EQ(*v, "v1");
  ASSERT_OK(rs->Put("uploads/abc", "v2"));
  EXPECT_EQ(*rs->Get("uploads/abc"), "v2");
  ASSERT_OK(rs->Delete("uploads/abc"));
  EXPECT_CODE(rs->Get("uploads/abc"), Code::kNotFound);
  EXPECT_OK(rs->Delete("uploads/abc"));      // absent: OK
  EXPECT_OK(rs->Delete("never-existed"));    // absent: OK
  ASSERT_OK(rs->Put("uploads/abc", "v3"));  // re-creatable
  EXPECT_EQ(*rs->Get("uploads/abc"), "v3");
}

TEST_F(RecordsTest, BinaryAndLargeValues) {
  auto rs = MustRecords("natss3_bin");
  ASSERT_NE(rs, nullptr);
  std::string bin("a\0b\xff\n", 5);
  ASSERT_OK(rs->Put("bin", bin));
  EXPECT_EQ(*rs->Get("bin"), bin);
  std::string big = test::RandomBytes(200 * 1024);
  ASSERT_OK(rs->Put("big", big));
  auto got = rs->Get("big");
  ASSERT_OK(got);
  EXPECT_TRUE(*got == big);
  ASSERT_OK(rs->Put("empty", ""));
  auto e = rs->Get("empty");
  ASSERT_OK(e);  // an empty value is a value, not a delete
  EXPECT_EQ(*e, "");
}

TEST_F(RecordsTest, KeysByPrefix) {
  auto rs = MustRecords("natss3_keys");
  ASSERT_NE(rs, nullptr);
  auto none = rs->Keys("");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  for (auto k : {"up/b/1", "up/a/2", "up/a/1", "other", "up.dot", "x=y_z-1"}) ASSERT_OK(rs->Put(k, k));
  ASSERT_OK(rs->Put("up/deleted", "x"));
  ASSERT_OK(rs->Delete("up/deleted"));
  auto up = rs->Keys("up/");
  ASSERT_OK(up);
  std::vector<std::string> got = *up;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"up/a/1", "up/a/2", "up/b/1"}));
  auto a = rs->Keys("up/a/");
  ASSERT_OK(a);
  EXPECT_EQ(a->size(), 2u);
  auto all = rs->Keys("");
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 6u);
}

TEST_F(RecordsTest, InvalidKeysRejected) {
  auto rs = MustRecords("natss3_badkeys");
  ASSERT_NE(rs, nullptr);
  for (std::string bad : {std::string(""), std::string(".lead"), std::string("trail."),
                          std::string("sp ace"), std::string("star*"), std::string("gt>")}) {
    EXPECT_CODE(rs->Put(bad, "v"), Code::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST_F(RecordsTest, SeparateStoresAreIsolatedAndPersist) {
  auto a = MustRecords("natss3_a");
  auto b = MustRecords("natss3_b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_OK(a->Put("k", "from a"));
  EXPECT_CODE(b->Get("k"), Code::kNotFound);
  // A second connection sees the durable record.
  auto other = ConnectTo(server_->url());
  ASSERT_OK(other);
  auto a2 = (*other)->Records("natss3_a");
  ASSERT_OK(a2);
  auto v = (*a2)->Get("k");
  ASSERT_OK(v);
  EXPECT_EQ(*v, "from a");
  // A records bucket is not an object-store bucket.
  auto buckets = store_->ListBuckets();
  ASSERT_OK(buckets);
  EXPECT_TRUE(buckets->empty());
}

}  // namespace
}  // namespace natss3
