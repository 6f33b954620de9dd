// natss3d in-process on a real nats-server: buckets, objects, listings, ranges, conditionals,
// copy, tagging, permissions, presigned URLs, health, metrics, NATS outage.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <tuple>

#include "natss3/crash_point.h"
#include "natss3/nats_store.h"
#include "s3_test_client.h"
#include "s3d/object_headers.h"
#include "s3d/routing.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {
namespace {

class S3Integration : public ::testing::Test {
 protected:
  void SetUp() override {
    bucket_ = UniqueBucket("it");
    ASSERT_EQ(client_.Send("PUT", "/" + bucket_).status, 200);
  }
  HttpResponse Put(const std::string& key, const std::string& body, s3::HeaderMap headers = {}) {
    return client_.Send("PUT", "/" + bucket_ + "/" + key, "", std::move(headers), body);
  }
  HttpResponse Get(const std::string& key, s3::HeaderMap headers = {}, const std::string& query = "") {
    return client_.Send("GET", "/" + bucket_ + "/" + key, query, std::move(headers));
  }
  InProcessDaemon& daemon_ = SharedDaemon();
  S3TestClient client_{SharedDaemon().port()};
  std::string bucket_;
};

TEST_F(S3Integration, BucketLifecycle) {
  auto again = client_.Send("PUT", "/" + bucket_);
  EXPECT_EQ(again.status, 200) << "us-east-1: re-creating an owned bucket is fine";
  EXPECT_EQ(client_.Send("HEAD", "/" + bucket_).status, 200);
  auto list = client_.Send("GET", "/");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("<Name>" + bucket_ + "</Name>"), std::string::npos);
  EXPECT_EQ(list.body.find("<CreationDate>1970"), std::string::npos) << "real creation dates";
  EXPECT_EQ(client_.Send("GET", "/" + bucket_, "location").status, 200);
  auto versioning = client_.Send("GET", "/" + bucket_, "versioning");
  EXPECT_NE(versioning.body.find("<VersioningConfiguration"), std::string::npos);
  ASSERT_EQ(Put("k", "x").status, 200);
  auto not_empty = client_.Send("DELETE", "/" + bucket_);
  EXPECT_EQ(not_empty.status, 409);
  EXPECT_EQ(not_empty.ErrorCode(), "BucketNotEmpty");
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/k").status, 204);
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_).status, 204);
  EXPECT_EQ(client_.Send("HEAD", "/" + bucket_).status, 404);
  auto missing = client_.Send("GET", "/" + bucket_, "list-type=2");
  EXPECT_EQ(missing.ErrorCode(), "NoSuchBucket");
  EXPECT_FALSE(missing.Header("x-amz-request-id").empty());
}

TEST_F(S3Integration, PutGetHeadKeepsHeadersVisibleToNats) {
  std::string body = natss3::test::RandomBytes(300000, 7);
  auto put = Put("dir/a%2Bb%20c.bin", body,
                 {{"content-type", "image/png"}, {"x-amz-meta-color", "Blue"},
                  {"cache-control", "max-age=60"}, {"content-md5", Md5Base64(body)}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Header("etag"), "\"" + Md5Hex(body) + "\"");
  auto get = Get("dir/a%2Bb%20c.bin");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.body, body);
  EXPECT_EQ(get.Header("content-type"), "image/png");
  EXPECT_EQ(get.Header("x-amz-meta-color"), "Blue");
  EXPECT_EQ(get.Header("cache-control"), "max-age=60");
  EXPECT_EQ(get.Header("etag"), put.Header("etag"));
  auto head = client_.Send("HEAD", "/" + bucket_ + "/dir/a%2Bb%20c.bin");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), "300000");
  EXPECT_TRUE(head.body.empty());
  auto info = daemon_.store().GetInfo(bucket_, "dir/a+b c.bin");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->Header("Content-Type"), "image/png");
  EXPECT_EQ(info->size, body.size());
  auto missing = Get("nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.ErrorCode(), "NoSuchKey");
  EXPECT_EQ(client_.Send("HEAD", "/" + bucket_ + "/nope").status, 404);
  auto overridden = Get("dir/a%2Bb%20c.bin", {}, "response-content-type=text%2Fplain&response-content-disposition=attachment");
  EXPECT_EQ(overridden.Header("content-type"), "text/plain");
  EXPECT_EQ(overridden.Header("content-disposition"), "attachment");
}

TEST_F(S3Integration, EmptyObjectAndDeleteIdempotent) {
  ASSERT_EQ(Put("empty", "").status, 200);
  auto get = Get("empty");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "");
  EXPECT_EQ(get.Header("etag"), "\"d41d8cd98f00b204e9800998ecf8427e\"");
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/empty").status, 204);
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/empty").status, 204);
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/never").status, 204);
  EXPECT_EQ(client_.Send("DELETE", "/no-such-bucket-x/k").ErrorCode(), "NoSuchBucket");
}

TEST_F(S3Integration, Ranges) {
  std::string body = natss3::test::RandomBytes(400000, 3);
  ASSERT_EQ(Put("r", body).status, 200);
  auto r = Get("r", {{"range", "bytes=131000-131099"}});
  ASSERT_EQ(r.status, 206);
  EXPECT_EQ(r.body, body.substr(131000, 100));
  EXPECT_EQ(r.Header("content-range"), "bytes 131000-131099/400000");
  auto tail = Get("r", {{"range", "bytes=-10"}});
  EXPECT_EQ(tail.body, body.substr(body.size() - 10));
  auto open = Get("r", {{"range", "bytes=399990-"}});
  EXPECT_EQ(open.body, body.substr(399990));
  auto bad = Get("r", {{"range", "bytes=400000-"}});
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(bad.ErrorCode(), "InvalidRange");
  auto ignored = Get("r", {{"range", "bytes=0-1,5-6"}});
  EXPECT_EQ(ignored.status, 200) << "multiple ranges are ignored, as S3 does";
  EXPECT_EQ(ignored.body.size(), body.size());
  EXPECT_EQ(bad.Header("content-range"), "bytes */400000");
  EXPECT_EQ(Get("r", {{"range", "bytes=-0"}}).status, 416) << "empty suffix is unsatisfiable";
  // Syntactically invalid ranges (httplib itself rejects some of them) are ignored, as S3 does:
  // 200 with the whole body, for GET and HEAD; the (signed) header still verifies.
  for (const char* invalid : {"bytes=9-3", "bytes=abc", "items=0-5", "bytes 0-5", "bytes=0-1,9-3"}) {
    auto whole = Get("r", {{"range", invalid}});
    EXPECT_EQ(whole.status, 200) << invalid << ": " << whole.body.substr(0, 300);
    EXPECT_EQ(whole.body.size(), body.size()) << invalid;
    EXPECT_TRUE(whole.body == body) << invalid;
    EXPECT_TRUE(whole.Header("content-range").empty()) << invalid;
    auto head = client_.Send("HEAD", "/" + bucket_ + "/r", "", {{"range", invalid}});
    EXPECT_EQ(head.status, 200) << invalid;
    EXPECT_EQ(head.Header("content-length"), std::to_string(body.size())) << invalid;
  }
  auto missing = Get("nope", {{"range", "bytes=9-3"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.ErrorCode(), "NoSuchKey");
  auto head_bad = client_.Send("HEAD", "/" + bucket_ + "/r", "", {{"range", "bytes=500000-"}});
  EXPECT_EQ(head_bad.status, 416);
}

// Bodies are stored as sent: httplib must neither inflate a gzip body (aws s3 cp
// --content-encoding gzip) nor parse a form; and a ranged request that fails gets its error,
// not httplib's cut of the error XML.
TEST_F(S3Integration, BodiesAreStoredAsSentAndErrorsIgnoreRange) {
  auto missing = client_.Send("GET", "/no-such-bucket-rng/k", "",
                              {{"range", "bytes=8388608-16777215"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.ErrorCode(), "NoSuchBucket");
  auto missing_key = Get("nope", {{"range", "bytes=100-200"}});
  EXPECT_EQ(missing_key.status, 404);
  EXPECT_EQ(missing_key.ErrorCode(), "NoSuchKey");

  const std::string gz(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xcb\x48\xcd\xc9\xc9\x57\xc8\x4b\x2c\x29\x2e\x36"
      "\xe6\xca\x18\x99\x1c\x00\xe8\xa0\x5d\xae\x04\x01\x00\x00",
      36);
  auto put = Put("page.txt", gz, {{"content-encoding", "gzip"}, {"content-md5", Md5Base64(gz)}});
  ASSERT_EQ(put.status, 200) << put.body;
  auto get = Get("page.txt");
  EXPECT_TRUE(get.body == gz) << get.body.size() << " bytes";
  EXPECT_EQ(get.Header("content-encoding"), "gzip");

  const std::string form = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n";
  auto put_form = Put("form", form, {{"content-type", "multipart/form-data; boundary=x"}});
  ASSERT_EQ(put_form.status, 200) << put_form.body;
  EXPECT_EQ(Get("form").body, form);

}

// PutObject with If-Match (boto3's IfMatch) replaces only the version it names.
TEST_F(S3Integration, ConditionalWrites) {
  auto first = Put("cw", "one");
  ASSERT_EQ(first.status, 200);
  auto stale = Put("cw", "two", {{"if-match", "\"00000000000000000000000000000000\""}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(stale.ErrorCode(), "PreconditionFailed");
  EXPECT_EQ(Get("cw").body, "one");
  auto matching = Put("cw", "three", {{"if-match", first.Header("etag")}});
  EXPECT_EQ(matching.status, 200) << matching.body;
  EXPECT_EQ(Get("cw").body, "three");
  auto missing = Put("cw-none", "x", {{"if-match", "*"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.ErrorCode(), "NoSuchKey");
  EXPECT_EQ(Get("cw-none").status, 404);
}

TEST_F(S3Integration, ConditionalRequests) {
  auto put = Put("c", "conditional");
  std::string etag = put.Header("etag");
  EXPECT_EQ(Get("c", {{"if-none-match", etag}}).status, 304);
  EXPECT_EQ(Get("c", {{"if-match", etag}}).status, 200);
  auto failed = Get("c", {{"if-match", "\"0000\""}});
  EXPECT_EQ(failed.status, 412);
  EXPECT_EQ(failed.ErrorCode(), "PreconditionFailed");
  EXPECT_EQ(Get("c", {{"if-modified-since", "Sun, 06 Nov 2094 08:49:37 GMT"}}).status, 304);
  EXPECT_EQ(Get("c", {{"if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status, 200);
  EXPECT_EQ(Get("c", {{"if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT"}}).status, 412);
  auto create_only = Put("c", "again", {{"if-none-match", "*"}});
  EXPECT_EQ(create_only.status, 412);
  EXPECT_EQ(Get("c").body, "conditional");
}

TEST_F(S3Integration, ListingsV1V2) {
  for (const char* key : {"a/1", "a/2", "a/b/3", "b", "c d", "z"}) {
    std::string raw = key;
    if (raw == "c d") raw = "c%20d";
    ASSERT_EQ(Put(raw, key).status, 200);
  }
  auto all = client_.Send("GET", "/" + bucket_, "list-type=2");
  EXPECT_NE(all.body.find("<KeyCount>6</KeyCount>"), std::string::npos) << all.body;
  auto delim = client_.Send("GET", "/" + bucket_, "list-type=2&delimiter=%2F");
  EXPECT_NE(delim.body.find("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"), std::string::npos);
  EXPECT_NE(delim.body.find("<KeyCount>4</KeyCount>"), std::string::npos) << delim.body;
  auto nested = client_.Send("GET", "/" + bucket_, "list-type=2&delimiter=%2F&prefix=a%2F");
  EXPECT_NE(nested.body.find("<Key>a/1</Key>"), std::string::npos);
  EXPECT_NE(nested.body.find("<Prefix>a/b/</Prefix>"), std::string::npos);
  // Pagination: 2 per page over 6 keys, following continuation tokens.
  std::string token;
  std::vector<std::string> keys;
  for (int page = 0; page < 5; ++page) {
    std::string query = "list-type=2&max-keys=2" + (token.empty() ? "" : "&continuation-token=" + token);
    auto r = client_.Send("GET", "/" + bucket_, query);
    ASSERT_EQ(r.status, 200) << r.body;
    for (size_t pos = 0; (pos = r.body.find("<Key>", pos)) != std::string::npos; pos += 5) {
      keys.push_back(r.body.substr(pos + 5, r.body.find("</Key>", pos) - pos - 5));
    }
    size_t t = r.body.find("<NextContinuationToken>");
    if (t == std::string::npos) {
      EXPECT_NE(r.body.find("<IsTruncated>false</IsTruncated>"), std::string::npos);
      break;
    }
    token = r.body.substr(t + 23, r.body.find("</NextContinuationToken>") - t - 23);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a/1", "a/2", "a/b/3", "b", "c d", "z"}));
  auto v1 = client_.Send("GET", "/" + bucket_, "marker=b&max-keys=1");
  EXPECT_NE(v1.body.find("<Key>c d</Key>"), std::string::npos);
  EXPECT_NE(v1.body.find("<IsTruncated>true</IsTruncated>"), std::string::npos);
  EXPECT_NE(v1.body.find("<NextMarker>c d</NextMarker>"), std::string::npos);
  auto encoded = client_.Send("GET", "/" + bucket_, "list-type=2&encoding-type=url&prefix=c");
  EXPECT_NE(encoded.body.find("<Key>c%20d</Key>"), std::string::npos);
  auto zero = client_.Send("GET", "/" + bucket_, "list-type=2&max-keys=0");
  EXPECT_NE(zero.body.find("<KeyCount>0</KeyCount>"), std::string::npos);
}

TEST_F(S3Integration, ListingAfterConcurrentPutsShowsEveryKey) {
  ASSERT_EQ(client_.Send("GET", "/" + bucket_, "list-type=2").status, 200);  // index exists
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 10; ++t) {
    writers.emplace_back([&, t] {
      S3TestClient client(daemon_.port());
      for (int i = 0; i < 20; ++i) {
        std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
        if (client.Send("PUT", "/" + bucket_ + "/" + key, "", {}, key).status != 200) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);
  auto list = client_.Send("GET", "/" + bucket_, "list-type=2");
  EXPECT_NE(list.body.find("<KeyCount>200</KeyCount>"), std::string::npos)
      << "read-your-writes listing after 200 concurrent PUTs";
}

// natss3d tracks no revisions: its listings show its own writes at once because the store's
// listing index has every commit of this process, even while its watch applies nothing (the
// listing.watch hold point).
TEST_F(S3Integration, ListingsShowOwnWritesWhileTheWatchLags) {
  ASSERT_EQ(client_.Send("GET", "/" + bucket_, "list-type=2").status, 200);  // index exists
  ArmFaultHold("listing.watch");
  struct Release {
    ~Release() { ArmFaultHold(nullptr); }
  } release;
  auto keys = [&](const std::string& query) {
    auto r = client_.Send("GET", "/" + bucket_, query);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string out;
    for (size_t at = r.body.find("<Key>"); at != std::string::npos;
         at = r.body.find("<Key>", at + 1)) {
      size_t end = r.body.find("</Key>", at);
      out += r.body.substr(at + 5, end - at - 5) + ",";
    }
    return out;
  };
  ASSERT_EQ(Put("a", "1").status, 200);
  ASSERT_EQ(Put("b", "2").status, 200);
  EXPECT_EQ(keys("list-type=2"), "a,b,");
  auto copied =
      client_.Send("PUT", "/" + bucket_ + "/c", "", {{"x-amz-copy-source", "/" + bucket_ + "/a"}});
  ASSERT_EQ(copied.status, 200) << copied.body;
  EXPECT_EQ(keys(""), "a,b,c,");
  EXPECT_EQ(keys("versions"), "a,b,c,");
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/a").status, 204);
  EXPECT_EQ(keys("list-type=2"), "b,c,");
  std::string xml = "<Delete><Object><Key>b</Key></Object><Object><Key>c</Key></Object></Delete>";
  auto r = client_.Send("POST", "/" + bucket_, "delete", {{"content-md5", Md5Base64(xml)}}, xml);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(keys("list-type=2"), "");
  auto deleted = client_.Send("DELETE", "/" + bucket_);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
}

TEST_F(S3Integration, DeleteObjectsQuietAndVerbose) {
  ASSERT_EQ(Put("d1", "1").status, 200);
  ASSERT_EQ(Put("d2", "2").status, 200);
  std::string xml = "<Delete><Object><Key>d1</Key></Object><Object><Key>missing</Key></Object></Delete>";
  auto r = client_.Send("POST", "/" + bucket_, "delete", {{"content-md5", Md5Base64(xml)}}, xml);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<Deleted><Key>d1</Key></Deleted>"), std::string::npos);
  EXPECT_NE(r.body.find("<Deleted><Key>missing</Key></Deleted>"), std::string::npos);
  std::string quiet = "<Delete><Quiet>true</Quiet><Object><Key>d2</Key></Object></Delete>";
  auto q = client_.Send("POST", "/" + bucket_, "delete", {}, quiet);
  EXPECT_EQ(q.body.find("<Deleted>"), std::string::npos);
  EXPECT_EQ(Get("d2").status, 404);
  EXPECT_NE(client_.Send("GET", "/" + bucket_, "list-type=2").body.find("<KeyCount>0</KeyCount>"), std::string::npos);
}

TEST_F(S3Integration, CopyObject) {
  std::string body = natss3::test::RandomBytes(200000, 9);
  ASSERT_EQ(Put("src", body, {{"content-type", "text/x-src"}, {"x-amz-meta-a", "1"}}).status, 200);
  auto copy = client_.Send("PUT", "/" + bucket_ + "/dst", "", {{"x-amz-copy-source", "/" + bucket_ + "/src"}});
  ASSERT_EQ(copy.status, 200) << copy.body;
  EXPECT_NE(copy.body.find("<ETag>&quot;" + Md5Hex(body) + "&quot;</ETag>"), std::string::npos) << copy.body;
  auto dst = Get("dst");
  EXPECT_EQ(dst.body, body);
  EXPECT_EQ(dst.Header("content-type"), "text/x-src");
  EXPECT_EQ(dst.Header("x-amz-meta-a"), "1");
  auto replaced = client_.Send("PUT", "/" + bucket_ + "/dst2", "",
                               {{"x-amz-copy-source", bucket_ + "/src"}, {"x-amz-metadata-directive", "REPLACE"},
                                {"content-type", "text/new"}});
  ASSERT_EQ(replaced.status, 200);
  EXPECT_EQ(Get("dst2").Header("content-type"), "text/new");
  EXPECT_EQ(Get("dst2").Header("x-amz-meta-a"), "");
  auto self = client_.Send("PUT", "/" + bucket_ + "/src", "", {{"x-amz-copy-source", bucket_ + "/src"}});
  EXPECT_EQ(self.ErrorCode(), "InvalidRequest");
  auto self_replace = client_.Send("PUT", "/" + bucket_ + "/src", "",
      {{"x-amz-copy-source", bucket_ + "/src"}, {"x-amz-metadata-directive", "REPLACE"}, {"content-type", "a/b"}});
  EXPECT_EQ(self_replace.status, 200);
  EXPECT_EQ(Get("src").Header("content-type"), "a/b");
  EXPECT_EQ(Get("src").body, body);
  auto guarded = client_.Send("PUT", "/" + bucket_ + "/dst3", "",
      {{"x-amz-copy-source", bucket_ + "/src"}, {"x-amz-copy-source-if-match", "\"nope\""}});
  EXPECT_EQ(guarded.status, 412);
  EXPECT_EQ(Get("dst3").status, 404);
  auto missing = client_.Send("PUT", "/" + bucket_ + "/dst4", "", {{"x-amz-copy-source", bucket_ + "/nothing"}});
  EXPECT_EQ(missing.ErrorCode(), "NoSuchKey");
}

TEST_F(S3Integration, Tagging) {
  ASSERT_EQ(Put("t", "x", {{"x-amz-tagging", "a=1&b=two"}}).status, 200);
  EXPECT_EQ(Get("t").Header("x-amz-tagging-count"), "2");
  auto tags = Get("t", {}, "tagging");
  EXPECT_NE(tags.body.find("<Tag><Key>b</Key><Value>two</Value></Tag>"), std::string::npos) << tags.body;
  std::string xml = "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>";
  EXPECT_EQ(client_.Send("PUT", "/" + bucket_ + "/t", "tagging", {}, xml).status, 200);
  EXPECT_NE(Get("t", {}, "tagging").body.find("<Key>k</Key>"), std::string::npos);
  EXPECT_EQ(Get("t").body, "x");
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/t", "tagging").status, 204);
  EXPECT_EQ(Get("t", {}, "tagging").body.find("<Tag>"), std::string::npos);
  EXPECT_EQ(client_.Send("PUT", "/" + bucket_ + "/t", "tagging", {}, "<Tagging>").ErrorCode(), "MalformedXML");
}

TEST_F(S3Integration, ObjectFromOtherClientGetsStableEtag) {
  ObjectMeta meta;
  meta.name = "foreign";
  meta.headers["Content-Type"] = {"text/plain"};
  auto put = daemon_.store().PutBytes(bucket_, meta, "hello world");
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(daemon_.store().UpdateMeta(bucket_, "foreign", meta).ok());  // drops the MD5 header
  auto a = Get("foreign");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "hello world");
  EXPECT_EQ(a.Header("etag"), "\"b94d27b9934d3e08a52e52d7da7dabfa-1\"") << "never of an MD5's form";
  EXPECT_EQ(a.Header("content-type"), "text/plain");
  auto list = client_.Send("GET", "/" + bucket_, "list-type=2");
  EXPECT_NE(list.body.find("<Key>foreign</Key>"), std::string::npos) << list.body;
}

TEST_F(S3Integration, PermissionsAndSignatures) {
  S3TestClient reader(daemon_.port(), kReadKey, kReadSecret);
  ASSERT_EQ(Put("p", "data").status, 200);
  EXPECT_EQ(reader.Send("GET", "/" + bucket_ + "/p").status, 200);
  auto denied = reader.Send("PUT", "/" + bucket_ + "/p2", "", {}, "x");
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.ErrorCode(), "AccessDenied");
  S3TestClient unknown(daemon_.port(), "AKUNKNOWN", "x");
  EXPECT_EQ(unknown.Send("GET", "/").ErrorCode(), "InvalidAccessKeyId");
  S3TestClient wrong(daemon_.port(), kFullKey, "wrong-secret");
  EXPECT_EQ(wrong.Send("GET", "/").ErrorCode(), "SignatureDoesNotMatch");
  EXPECT_EQ(client_.Anonymous("GET", "/" + bucket_ + "/p").status, 403);
}

// A key limited to one bucket sees only that bucket in ListBuckets, and an object-store link
// in it does not open another bucket: GET, CopyObject and UploadPartCopy through the link are
// AccessDenied (they used to follow it).
TEST_F(S3Integration, LinksAndBucketListsStayWithinTheKeysBuckets) {
  S3TestClient scoped(daemon_.port(), kScopedKey, kScopedSecret);
  const std::string open = kScopedBucket;
  client_.Send("PUT", "/" + open);
  ASSERT_EQ(Put("secret", "top secret").status, 200);
  auto target = daemon_.store().GetInfo(bucket_, "secret");
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(daemon_.store().AddLink(open, "link", *target).ok());
  ASSERT_EQ(scoped.Send("PUT", "/" + open + "/own", "", {}, "mine").status, 200);
  ASSERT_TRUE(daemon_.store().AddLink(open, "inner", *daemon_.store().GetInfo(open, "own")).ok());

  auto got = scoped.Send("GET", "/" + open + "/link");
  EXPECT_EQ(got.status, 403) << got.body;
  EXPECT_EQ(got.body.find("top secret"), std::string::npos);
  EXPECT_EQ(scoped.Send("GET", "/" + open + "/link", "", {{"range", "bytes=0-2"}}).status, 403);
  EXPECT_EQ(scoped.Send("GET", "/" + open + "/inner").body, "mine") << "links within the key's buckets work";
  auto copied = scoped.Send("PUT", "/" + open + "/copy", "",
                            {{"x-amz-copy-source", "/" + open + "/link"}});
  EXPECT_EQ(copied.status, 403) << copied.body;
  EXPECT_EQ(scoped.Send("GET", "/" + open + "/copy").status, 404);
  auto upload = scoped.Send("POST", "/" + open + "/mp", "uploads");
  ASSERT_EQ(upload.status, 200) << upload.body;
  std::string id = upload.body.substr(upload.body.find("<UploadId>") + 10);
  id = id.substr(0, id.find('<'));
  auto part = scoped.Send("PUT", "/" + open + "/mp", "partNumber=1&uploadId=" + id,
                          {{"x-amz-copy-source", "/" + open + "/link"}});
  EXPECT_EQ(part.status, 403) << part.body;

  auto buckets = scoped.Send("GET", "/");
  ASSERT_EQ(buckets.status, 200);
  EXPECT_NE(buckets.body.find("<Name>" + open + "</Name>"), std::string::npos);
  EXPECT_EQ(buckets.body.find("<Name>" + bucket_ + "</Name>"), std::string::npos)
      << "ListBuckets shows a bucket the key may not read";
  EXPECT_NE(client_.Send("GET", "/").body.find("<Name>" + bucket_ + "</Name>"),
            std::string::npos);
}

TEST_F(S3Integration, PresignedUrls) {
  ASSERT_EQ(Put("pre", "presigned body").status, 200);
  std::string url = client_.Presign("/" + bucket_ + "/pre", std::chrono::seconds(300));
  auto ok = SendRaw(daemon_.port(), "GET " + url + " HTTP/1.1\r\nHost: " + client_.host() +
                                        "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "presigned body");
  std::string old = client_.Presign("/" + bucket_ + "/pre", std::chrono::seconds(60),
                                    std::chrono::system_clock::now() - std::chrono::hours(2));
  auto expired = SendRaw(daemon_.port(), "GET " + old + " HTTP/1.1\r\nHost: " + client_.host() +
                                             "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(expired.status, 403);
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
}

TEST_F(S3Integration, VirtualHostedStyle) {
  // The in-process daemon serves --domain s3.test.
  std::string host = bucket_ + ".s3.test:" + std::to_string(daemon_.port());
  auto put = client_.Send("PUT", "/vh/key", "", {{"host", host}}, "virtual");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Get("vh/key").body, "virtual");
  auto list = client_.Send("GET", "/", "list-type=2", {{"host", host}});
  EXPECT_NE(list.body.find("<Key>vh/key</Key>"), std::string::npos) << list.body;
}

// S3 bucket names with dots are stored as NATS buckets with '_' in their place, and every
// answer names them as the client did.
TEST_F(S3Integration, DottedBucketNames) {
  const std::string dotted = UniqueBucket("it") + ".with.period";
  const std::string nats = NatsBucketName(dotted);
  ASSERT_EQ(client_.Send("PUT", "/" + dotted).status, 200);
  EXPECT_TRUE(daemon_.store().GetBucketStatus(nats).ok()) << nats;
  EXPECT_EQ(client_.Send("HEAD", "/" + dotted).status, 200);
  EXPECT_EQ(client_.Send("GET", "/" + dotted, "location").status, 200);
  auto list = client_.Send("GET", "/");
  EXPECT_NE(list.body.find("<Name>" + dotted + "</Name>"), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find("<Name>" + nats + "</Name>"), std::string::npos);
  ASSERT_EQ(client_.Send("PUT", "/" + dotted + "/k", "", {}, "dotted body").status, 200);
  EXPECT_TRUE(daemon_.store().GetInfo(nats, "k").ok());
  EXPECT_EQ(client_.Send("GET", "/" + dotted + "/k").body, "dotted body");
  std::string host = dotted + ".s3.test:" + std::to_string(daemon_.port());
  auto virtual_get = client_.Send("GET", "/k", "", {{"host", host}});
  EXPECT_EQ(virtual_get.body, "dotted body") << "virtual-hosted: <my.bucket>.<domain>";
  auto objects = client_.Send("GET", "/" + dotted, "list-type=2");
  EXPECT_NE(objects.body.find("<Name>" + dotted + "</Name>"), std::string::npos) << objects.body;
  // Copy in both directions.
  auto copied =
      client_.Send("PUT", "/" + bucket_ + "/c", "", {{"x-amz-copy-source", "/" + dotted + "/k"}});
  EXPECT_EQ(copied.status, 200) << copied.body;
  EXPECT_EQ(Get("c").body, "dotted body");
  auto back =
      client_.Send("PUT", "/" + dotted + "/c2", "", {{"x-amz-copy-source", "/" + bucket_ + "/c"}});
  EXPECT_EQ(back.status, 200) << back.body;
  // Multipart records and answers.
  auto upload = client_.Send("POST", "/" + dotted + "/mp", "uploads");
  ASSERT_EQ(upload.status, 200) << upload.body;
  EXPECT_NE(upload.body.find("<Bucket>" + dotted + "</Bucket>"), std::string::npos);
  std::string id = upload.body.substr(upload.body.find("<UploadId>") + 10);
  id = id.substr(0, id.find('<'));
  auto uploads = client_.Send("GET", "/" + dotted, "uploads");
  EXPECT_NE(uploads.body.find(id), std::string::npos) << uploads.body;
  auto part = client_.Send("PUT", "/" + dotted + "/mp", "partNumber=1&uploadId=" + id, {}, "pp");
  ASSERT_EQ(part.status, 200) << part.body;
  auto done = client_.Send("POST", "/" + dotted + "/mp", "uploadId=" + id, {},
                           "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                               part.Header("etag") + "</ETag></Part></CompleteMultipartUpload>");
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_NE(done.body.find("<Bucket>" + dotted + "</Bucket>"), std::string::npos) << done.body;
  // Errors name the bucket as sent.
  auto missing = client_.Send("GET", "/" + dotted + "/nope");
  EXPECT_NE(missing.body.find("/" + dotted + "/nope"), std::string::npos) << missing.body;
  // A NATS bucket with '_' made by another client shows with dots, and both names reach it.
  const std::string foreign = "it_foreign_" + std::to_string(::getpid());
  BucketConfig config;
  config.bucket = foreign;
  ASSERT_TRUE(daemon_.store().CreateBucket(config).ok());
  EXPECT_NE(client_.Send("GET", "/").body.find("<Name>" + S3BucketName(foreign) + "</Name>"),
            std::string::npos);
  EXPECT_EQ(client_.Send("HEAD", "/" + S3BucketName(foreign)).status, 200);
  EXPECT_EQ(client_.Send("HEAD", "/" + foreign).status, 200);
  EXPECT_EQ(client_.Send("DELETE", "/" + S3BucketName(foreign)).status, 204);
  for (const char* key : {"k", "c2", "mp"}) client_.Send("DELETE", "/" + dotted + "/" + key);
  EXPECT_EQ(client_.Send("DELETE", "/" + dotted).status, 204);
  EXPECT_FALSE(daemon_.store().GetBucketStatus(nats).ok());
}

// Per-bucket grants name the S3 bucket ("scoped.dotted"), not its NATS name.
TEST_F(S3Integration, DottedBucketGrantsUseS3Names) {
  S3TestClient scoped(daemon_.port(), kScopedKey, kScopedSecret);
  const std::string dotted = kScopedDottedBucket;
  client_.Send("PUT", "/" + dotted);
  auto put = scoped.Send("PUT", "/" + dotted + "/g", "", {}, "granted");
  EXPECT_EQ(put.status, 200) << put.body;
  auto via_nats_name = scoped.Send("GET", "/" + NatsBucketName(dotted) + "/g");
  EXPECT_EQ(via_nats_name.status, 403) << "the grant is for the S3 name";
  auto list = scoped.Send("GET", "/");
  EXPECT_NE(list.body.find("<Name>" + dotted + "</Name>"), std::string::npos) << list.body;
  client_.Send("DELETE", "/" + dotted + "/g");
}

TEST_F(S3Integration, HealthMetricsAndNotImplemented) {
  auto health = SendRaw(daemon_.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(health.status, 200);
  ASSERT_EQ(Put("m", "x").status, 200);
  auto metrics = SendRaw(daemon_.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(metrics.body.find("natss3_requests_total{operation=\"PutObject\",status=\"200\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("natss3_nats_up"), std::string::npos);
  auto acl = client_.Send("GET", "/" + bucket_, "website");
  EXPECT_EQ(acl.status, 501);
  EXPECT_EQ(acl.ErrorCode(), "NotImplemented");
  EXPECT_FALSE(acl.Header("x-amz-request-id").empty());
}

TEST(S3Outage, ServiceUnavailableWhileNatsIsDownThenRecovers) {
  auto daemon = InProcessDaemon::Start();
  ASSERT_NE(daemon, nullptr);
  S3TestClient client(daemon->port());
  ASSERT_EQ(client.Send("PUT", "/outage").status, 200);
  ASSERT_EQ(client.Send("PUT", "/outage/before", "", {}, "kept").status, 200);
  daemon->nats().Stop();
  // Every kind of request gets a prompt S3 503, not a hang or a connection error.
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/outage/before", ""}, {"PUT", "/outage/new", "data"}, {"HEAD", "/outage", ""},
           {"GET", "/outage", ""}, {"DELETE", "/outage/before", ""}}) {
    auto start = std::chrono::steady_clock::now();
    auto down = client.Send(method, path, method == "GET" && path == "/outage" ? "list-type=2" : "",
                            {}, body);
    EXPECT_EQ(down.status, 503) << method << " " << path << ": " << down.body;
    // The first one too (a handler's 503, before the daemon knows NATS is down).
    EXPECT_EQ(down.Header("retry-after"), "1") << method << " " << path;
    if (method != "HEAD") {
      EXPECT_EQ(down.ErrorCode(), "ServiceUnavailable") << method << " " << path;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8)) << method << " " << path;
  }
  auto health = SendRaw(daemon->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(health.status, 503);
  ASSERT_TRUE(daemon->nats().Restart());
  // Recovers by itself: no S3 request needed for the connection to come back.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline &&
         SendRaw(daemon->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status != 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = client.Send("PUT", "/outage/after", "", {}, "back").status;
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(client.Send("GET", "/outage/after").body, "back");
  EXPECT_EQ(client.Send("GET", "/outage/before").body, "kept") << "data written before the outage";
  auto list = client.Send("GET", "/outage", "list-type=2");
  EXPECT_NE(list.body.find("<Key>after</Key>"), std::string::npos) << list.body;
}

}  // namespace
}  // namespace natss3::s3d::test
