// Multipart uploads: the full flow, every error case, abort and expiry removing all part data.
#include <gtest/gtest.h>

#include "s3_test_client.h"
#include "natss3/multipart.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {
namespace {

constexpr size_t kMiB = 1024 * 1024;

class S3Multipart : public ::testing::Test {
 protected:
  void SetUp() override {
    bucket_ = UniqueBucket("mp");
    ASSERT_EQ(client_.Send("PUT", "/" + bucket_).status, 200);
    baseline_ = Messages();
  }
  uint64_t Messages() { return daemon_.store().GetBucketStatus(bucket_)->messages; }
  std::string Create(const std::string& key, s3::HeaderMap headers = {}) {
    auto r = client_.Send("POST", "/" + bucket_ + "/" + key, "uploads", std::move(headers));
    EXPECT_EQ(r.status, 200) << r.body;
    size_t a = r.body.find("<UploadId>"), b = r.body.find("</UploadId>");
    return a == std::string::npos ? "" : r.body.substr(a + 10, b - a - 10);
  }
  HttpResponse Part(const std::string& key, const std::string& id, int n, const std::string& body) {
    return client_.Send("PUT", "/" + bucket_ + "/" + key,
                        "partNumber=" + std::to_string(n) + "&uploadId=" + id, {}, body,
                        std::string("UNSIGNED-PAYLOAD"));
  }
  HttpResponse Complete(const std::string& key, const std::string& id,
                        const std::vector<std::pair<int, std::string>>& parts) {
    std::string xml = "<CompleteMultipartUpload>";
    for (const auto& [n, etag] : parts) {
      xml += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" + etag + "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    return client_.Send("POST", "/" + bucket_ + "/" + key, "uploadId=" + id, {}, xml);
  }
  void ExpectBaseline() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Messages() != baseline_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(Messages(), baseline_);
  }
  // The stream holds only `markers` more messages than before the test (delete markers).
  void ExpectBaselinePlusMarkers(uint64_t markers) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Messages() > baseline_ + markers && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_LE(Messages(), baseline_ + markers);
  }
  InProcessDaemon& daemon_ = SharedDaemon();
  S3TestClient client_{SharedDaemon().port()};
  std::string bucket_;
  uint64_t baseline_ = 0;
};

TEST_F(S3Multipart, FullFlowEtagAndCleanup) {
  std::string p1 = natss3::test::RandomBytes(5 * kMiB, 11), p2 = natss3::test::RandomBytes(1000, 12);
  std::string id = Create("big", {{"content-type", "video/mp4"}, {"x-amz-meta-k", "v"}});
  auto r2 = Part("big", id, 2, p2);
  auto r1 = Part("big", id, 1, p1);
  ASSERT_EQ(r1.status, 200);
  ASSERT_EQ(r2.status, 200);
  EXPECT_EQ(r1.Header("etag"), "\"" + Md5Hex(p1) + "\"");
  // Parts are invisible as objects.
  EXPECT_NE(client_.Send("GET", "/" + bucket_, "list-type=2").body.find("<KeyCount>0</KeyCount>"), std::string::npos);
  auto uploads = client_.Send("GET", "/" + bucket_, "uploads");
  EXPECT_NE(uploads.body.find("<UploadId>" + id + "</UploadId>"), std::string::npos);
  auto parts = client_.Send("GET", "/" + bucket_ + "/big", "uploadId=" + id);
  EXPECT_NE(parts.body.find("<PartNumber>2</PartNumber>"), std::string::npos);
  EXPECT_NE(parts.body.find("<Size>5242880</Size>"), std::string::npos);
  auto done = Complete("big", id, {{1, r1.Header("etag")}, {2, r2.Header("etag")}});
  ASSERT_EQ(done.status, 200) << done.body;
  std::string expected_etag = Md5Hex(natss3::test::RandomBytes(0) + [&] {
    std::string raw;
    for (const std::string& hex : {Md5Hex(p1), Md5Hex(p2)}) {
      for (size_t i = 0; i < hex.size(); i += 2) raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return raw;
  }()) + "-2";
  EXPECT_NE(done.body.find(expected_etag), std::string::npos) << done.body;
  auto head = client_.Send("HEAD", "/" + bucket_ + "/big");
  EXPECT_EQ(head.Header("etag"), "\"" + expected_etag + "\"");
  EXPECT_EQ(head.Header("content-type"), "video/mp4");
  EXPECT_EQ(head.Header("x-amz-meta-k"), "v");
  auto get = client_.Send("GET", "/" + bucket_ + "/big");
  EXPECT_EQ(get.body.size(), p1.size() + p2.size());
  EXPECT_TRUE(get.body == p1 + p2);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_, "uploads").body.find("<Upload>"), std::string::npos);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/big", "uploadId=" + id).ErrorCode(), "NoSuchUpload");
  // Only the composed object remains: deleting it returns the stream to the baseline.
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/big").status, 204);
  ExpectBaselinePlusMarkers(1);  // one delete marker at most
}

// A client whose Complete answer was lost (a read timeout while a server is lost) sends the
// Complete again after it succeeded: it gets the same answer, not NoSuchUpload, while the
// upload is gone for every other operation.
TEST_F(S3Multipart, ACompleteRetriedAfterItSucceededGetsTheSameAnswer) {
  std::string p1 = natss3::test::RandomBytes(5 * kMiB, 21), p2 = "tail";
  std::string id = Create("retried");
  auto r1 = Part("retried", id, 1, p1);
  auto r2 = Part("retried", id, 2, p2);
  ASSERT_EQ(r1.status, 200);
  ASSERT_EQ(r2.status, 200);
  std::vector<std::pair<int, std::string>> parts = {{1, r1.Header("etag")}, {2, r2.Header("etag")}};
  auto first = Complete("retried", id, parts);
  ASSERT_EQ(first.status, 200) << first.body;
  size_t a = first.body.find("<ETag>"), b = first.body.find("</ETag>");
  ASSERT_NE(a, std::string::npos) << first.body;
  std::string etag = first.body.substr(a, b - a);
  for (int retry = 0; retry < 2; ++retry) {
    auto again = Complete("retried", id, parts);
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_NE(again.body.find(etag), std::string::npos) << again.body;
  }
  EXPECT_TRUE(client_.Send("GET", "/" + bucket_ + "/retried").body == p1 + p2);
  // Gone for everything else: not listed, no parts, no new part, no abort.
  EXPECT_EQ(client_.Send("GET", "/" + bucket_, "uploads").body.find("<Upload>"), std::string::npos);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/retried", "uploadId=" + id).ErrorCode(),
            "NoSuchUpload");
  EXPECT_EQ(Part("retried", id, 3, "more").ErrorCode(), "NoSuchUpload");
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/retried", "uploadId=" + id).ErrorCode(),
            "NoSuchUpload");
  // Once the key holds another object, the old Complete's answer no longer stands.
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/retried", "", {}, "other").status, 200);
  EXPECT_EQ(Complete("retried", id, parts).ErrorCode(), "NoSuchUpload");
  // The kept record does not keep the bucket from being deleted, nor its parts' data.
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/retried").status, 204);
  ExpectBaselinePlusMarkers(1);
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_).status, 204);
  auto records = daemon_.store().Records(MultipartStore::kRecordBucket);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ((*records)->Get("up." + bucket_ + "." + id).status().code(), Code::kNotFound)
      << "the bucket's deletion leaves the completed upload's record behind";
}

TEST_F(S3Multipart, ErrorCases) {
  std::string small = "tiny part";
  std::string id = Create("e");
  auto a = Part("e", id, 1, small);
  auto b = Part("e", id, 2, small);
  EXPECT_EQ(Complete("e", id, {{1, a.Header("etag")}, {2, b.Header("etag")}}).ErrorCode(), "EntityTooSmall");
  EXPECT_EQ(Complete("e", id, {{2, b.Header("etag")}, {1, a.Header("etag")}}).ErrorCode(), "InvalidPartOrder");
  EXPECT_EQ(Complete("e", id, {{1, "\"0123\""}}).ErrorCode(), "InvalidPart");
  EXPECT_EQ(Complete("e", id, {{3, a.Header("etag")}}).ErrorCode(), "InvalidPart");
  EXPECT_EQ(Complete("e", "nosuchupload", {{1, a.Header("etag")}}).ErrorCode(), "NoSuchUpload");
  EXPECT_EQ(Part("e", "nosuchupload", 1, small).ErrorCode(), "NoSuchUpload");
  EXPECT_EQ(Part("e", id, 0, small).ErrorCode(), "InvalidArgument");
  EXPECT_EQ(Part("e", id, 10001, small).ErrorCode(), "InvalidArgument");
  auto malformed = client_.Send("POST", "/" + bucket_ + "/e", "uploadId=" + id, {}, "<Complete");
  EXPECT_EQ(malformed.ErrorCode(), "MalformedXML");
  // A single small part is fine (the last part has no minimum).
  // A whole-object checksum header (boto3 ChecksumType FULL_OBJECT) is not the XML's checksum.
  std::string xml = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                    a.Header("etag") + "</ETag></Part></CompleteMultipartUpload>";
  auto single = client_.Send("POST", "/" + bucket_ + "/e", "uploadId=" + id,
                             {{"x-amz-checksum-crc32", "AAAAAA=="},
                              {"x-amz-checksum-type", "FULL_OBJECT"}},
                             xml);
  EXPECT_EQ(single.status, 200) << single.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/e").body, small);
}

TEST_F(S3Multipart, ReplacedPartAndAbortRemoveData) {
  std::string id = Create("ab");
  ASSERT_EQ(Part("ab", id, 1, natss3::test::RandomBytes(300000, 1)).status, 200);
  ASSERT_EQ(Part("ab", id, 1, natss3::test::RandomBytes(300000, 2)).status, 200);
  ASSERT_EQ(Part("ab", id, 2, "x").status, 200);
  EXPECT_GT(Messages(), baseline_);
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/ab", "uploadId=" + id).status, 204);
  ExpectBaseline();
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/ab", "uploadId=" + id).ErrorCode(), "NoSuchUpload");
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_).status, 204) << "no upload keeps the bucket";
}

TEST_F(S3Multipart, UploadPartCopyWithRange) {
  std::string src = natss3::test::RandomBytes(6 * kMiB, 21);
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_ + "/src", "", {}, src, std::string("UNSIGNED-PAYLOAD")).status, 200);
  std::string id = Create("dst");
  auto c1 = client_.Send("PUT", "/" + bucket_ + "/dst", "partNumber=1&uploadId=" + id,
                         {{"x-amz-copy-source", "/" + bucket_ + "/src"},
                          {"x-amz-copy-source-range", "bytes=0-5242879"}});
  ASSERT_EQ(c1.status, 200) << c1.body;
  auto c2 = client_.Send("PUT", "/" + bucket_ + "/dst", "partNumber=2&uploadId=" + id,
                         {{"x-amz-copy-source", bucket_ + "/src"}, {"x-amz-copy-source-range", "bytes=5242880-6291455"}});
  ASSERT_EQ(c2.status, 200) << c2.body;
  auto etag = [](const std::string& body) {
    size_t a = body.find("<ETag>"), b = body.find("</ETag>");
    std::string e = body.substr(a + 6, b - a - 6);
    size_t q;
    while ((q = e.find("&quot;")) != std::string::npos) e.replace(q, 6, "\"");
    return e;
  };
  auto done = Complete("dst", id, {{1, etag(c1.body)}, {2, etag(c2.body)}});
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_TRUE(client_.Send("GET", "/" + bucket_ + "/dst").body == src);
}

TEST_F(S3Multipart, ExpiryRemovesAbandonedUploads) {
  std::string id = Create("old");
  ASSERT_EQ(Part("old", id, 1, natss3::test::RandomBytes(200000, 3)).status, 200);
  auto removed = daemon_.service().uploads().ExpireOlderThan(Clock::now() + std::chrono::seconds(1));
  ASSERT_TRUE(removed.ok());
  EXPECT_GE(*removed, 1);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/old", "uploadId=" + id).ErrorCode(), "NoSuchUpload");
  ExpectBaseline();
}

// Complete records the part sizes (Natss3-Parts), so ?partNumber= reads and
// GetObjectAttributes' ObjectParts can answer.
TEST_F(S3Multipart, PartNumberReadsAndObjectAttributes) {
  std::string p1 = natss3::test::RandomBytes(5 * kMiB, 21),
              p2 = natss3::test::RandomBytes(5 * kMiB, 22);
  std::string p3 = natss3::test::RandomBytes(1000, 23);
  std::string id = Create("parts");
  auto r1 = Part("parts", id, 1, p1), r2 = Part("parts", id, 2, p2), r3 = Part("parts", id, 3, p3);
  auto done = Complete("parts", id,
                       {{1, r1.Header("etag")}, {2, r2.Header("etag")}, {3, r3.Header("etag")}});
  ASSERT_EQ(done.status, 200) << done.body;
  auto stored = daemon_.store().GetInfo(bucket_, "parts");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->Header("Natss3-Parts"), "5242880*2,1000");
  // Its ETag is the multipart one: Complete computes no MD5 of the whole object.
  EXPECT_EQ(stored->Header("Natss3-Content-Md5"), "");
  EXPECT_TRUE(stored->Header("Natss3-Etag").ends_with("-3")) << stored->Header("Natss3-Etag");
  const std::string path = "/" + bucket_ + "/parts";
  const uint64_t total = 10 * kMiB + 1000;

  auto second = client_.Send("GET", path, "partNumber=2");
  EXPECT_EQ(second.status, 206);
  EXPECT_TRUE(second.body == p2) << "part 2 body";
  EXPECT_EQ(second.Header("x-amz-mp-parts-count"), "3");
  EXPECT_EQ(second.Header("content-range"), "bytes 5242880-10485759/" + std::to_string(total));
  EXPECT_EQ(second.Header("etag"), client_.Send("HEAD", path).Header("etag")) << "the object's";
  auto head = client_.Send("HEAD", path, "partNumber=3");
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.Header("content-length"), "1000");
  EXPECT_EQ(head.Header("x-amz-mp-parts-count"), "3");
  auto past = client_.Send("GET", path, "partNumber=4");
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(past.ErrorCode(), "InvalidPartNumber");
  for (const char* bad : {"partNumber=0", "partNumber=10001", "partNumber=x", "partNumber="}) {
    auto r = client_.Send("GET", path, bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.ErrorCode(), "InvalidArgument") << bad;
  }
  auto both = client_.Send("GET", path, "partNumber=1", {{"range", "bytes=0-1"}});
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(both.ErrorCode(), "InvalidRequest");

  auto attrs =
      client_.Send("GET", path, "attributes",
                   {{"x-amz-object-attributes", "ETag,ObjectParts,ObjectSize,StorageClass"}});
  ASSERT_EQ(attrs.status, 200) << attrs.body;
  EXPECT_NE(attrs.body.find("<GetObjectAttributesResponse"), std::string::npos) << attrs.body;
  EXPECT_NE(attrs.body.find("<ObjectSize>" + std::to_string(total) + "</ObjectSize>"),
            std::string::npos);
  EXPECT_NE(attrs.body.find("<StorageClass>STANDARD</StorageClass>"), std::string::npos);
  EXPECT_NE(attrs.body.find("<PartsCount>3</PartsCount>"), std::string::npos) << attrs.body;
  EXPECT_NE(attrs.body.find("<Part><PartNumber>3</PartNumber><Size>1000</Size></Part>"),
            std::string::npos)
      << attrs.body;
  EXPECT_NE(attrs.body.find("<IsTruncated>false</IsTruncated>"), std::string::npos);
  EXPECT_EQ(attrs.body.find("<ETag>\""), std::string::npos) << "bare ETag";
  EXPECT_FALSE(attrs.Header("last-modified").empty());
  auto page = client_.Send("GET", path, "attributes",
                           {{"x-amz-object-attributes", "ObjectParts"}, {"x-amz-max-parts", "2"}});
  EXPECT_NE(page.body.find("<IsTruncated>true</IsTruncated>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<NextPartNumberMarker>2</NextPartNumberMarker>"), std::string::npos);
  EXPECT_EQ(page.body.find("<PartNumber>3</PartNumber>"), std::string::npos);
  EXPECT_EQ(page.body.find("<ObjectSize>"), std::string::npos) << "only what was asked for";
  auto rest =
      client_.Send("GET", path, "attributes",
                   {{"x-amz-object-attributes", "ObjectParts"}, {"x-amz-part-number-marker", "2"}});
  EXPECT_NE(rest.body.find("<PartNumber>3</PartNumber>"), std::string::npos) << rest.body;
  EXPECT_EQ(rest.body.find("<PartNumber>2</PartNumber>"), std::string::npos);
  EXPECT_EQ(client_.Send("GET", path, "attributes").ErrorCode(), "InvalidArgument");
  EXPECT_EQ(
      client_.Send("GET", path, "attributes", {{"x-amz-object-attributes", "Colour"}}).ErrorCode(),
      "InvalidArgument");
  EXPECT_EQ(
      client_
          .Send("GET", "/" + bucket_ + "/none", "attributes", {{"x-amz-object-attributes", "ETag"}})
          .ErrorCode(),
      "NoSuchKey");

  // An object written in one piece is its own single part.
  ASSERT_EQ(
      client_
          .Send("PUT", "/" + bucket_ + "/single", "", {{"x-amz-checksum-crc32", "NSRBwg=="}}, "abc")
          .status,
      200);
  auto whole = client_.Send("GET", "/" + bucket_ + "/single", "partNumber=1");
  EXPECT_EQ(whole.body, "abc");
  EXPECT_TRUE(whole.status == 206 || whole.status == 200) << whole.status;
  EXPECT_EQ(whole.Header("x-amz-mp-parts-count"), "");
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/single", "partNumber=2").ErrorCode(),
            "InvalidPartNumber");
  auto single = client_.Send("GET", "/" + bucket_ + "/single", "attributes",
                             {{"x-amz-object-attributes", "ETag,Checksum,ObjectParts,ObjectSize"}});
  EXPECT_NE(single.body.find("<ETag>" + Md5Hex("abc") + "</ETag>"), std::string::npos)
      << single.body;
  EXPECT_NE(single.body.find("<Checksum><ChecksumCRC32>NSRBwg==</ChecksumCRC32></Checksum>"),
            std::string::npos)
      << single.body;
  EXPECT_EQ(single.body.find("<ObjectParts>"), std::string::npos);
  EXPECT_NE(single.body.find("<ObjectSize>3</ObjectSize>"), std::string::npos);

  // Completed before part sizes were recorded: the count is known, the layout is not.
  ASSERT_TRUE(daemon_.store()
                  .ModifyMeta(bucket_, "parts",
                              [](ObjectInfo& cur) {
                                for (auto it = cur.meta.headers.begin();
                                     it != cur.meta.headers.end();) {
                                  it = it->first == "Natss3-Parts" ? cur.meta.headers.erase(it)
                                                                   : std::next(it);
                                }
                                return Status::OK();
                              })
                  .ok());
  EXPECT_EQ(client_.Send("GET", path, "partNumber=1").status, 501);
  auto count_only =
      client_.Send("GET", path, "attributes", {{"x-amz-object-attributes", "ObjectParts"}});
  EXPECT_NE(count_only.body.find("<PartsCount>3</PartsCount>"), std::string::npos)
      << count_only.body;
  EXPECT_EQ(count_only.body.find("<Part>"), std::string::npos);
  for (const char* key : {"parts", "single"}) client_.Send("DELETE", "/" + bucket_ + "/" + key);
}

}  // namespace
}  // namespace natss3::s3d::test
