// S3 conformance details clients and conformance harnesses rely on, in-process on a real
// nats-server: the versioning surface of an unversioned store (ListObjectVersions, the "null"
// version id), bucket lifecycle, ETags of objects other NATS clients wrote, metadata bytes and
// the paging of the multipart listings.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "natss3/multipart.h"
#include "natss3/types.h"
#include "s3_test_client.h"
#include "s3d/object_headers.h"
#include "support/temp_dir.h"

namespace natss3::s3d::test {
namespace {

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

// Text of the first <tag>...</tag> ("" when absent).
std::string Field(const std::string& xml, const std::string& tag) {
  size_t a = xml.find("<" + tag + ">");
  if (a == std::string::npos) return "";
  a += tag.size() + 2;
  return xml.substr(a, xml.find("</" + tag + ">", a) - a);
}

class S3Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    bucket_ = UniqueBucket("conf");
    ASSERT_EQ(client_.Send("PUT", "/" + bucket_).status, 200);
  }
  HttpResponse Put(const std::string& key, const std::string& body, s3::HeaderMap headers = {}) {
    return client_.Send("PUT", "/" + bucket_ + "/" + key, "", std::move(headers), body);
  }
  HttpResponse Versions(const std::string& query = "") {
    return client_.Send("GET", "/" + bucket_, "versions" + (query.empty() ? "" : "&" + query));
  }
  InProcessDaemon& daemon_ = SharedDaemon();
  S3TestClient client_{SharedDaemon().port()};
  std::string bucket_;
};

TEST_F(S3Conformance, ListObjectVersionsShowsEveryObjectAsItsNullVersion) {
  for (const char* key : {"a", "d/x", "d/y", "e", "f%20g"}) ASSERT_EQ(Put(key, key).status, 200);
  auto all = Versions();
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find("<ListVersionsResult"), std::string::npos);
  EXPECT_EQ(Count(all.body, "<Version>"), 5u) << all.body;
  EXPECT_EQ(Count(all.body, "<VersionId>null</VersionId><IsLatest>true</IsLatest>"), 5u);
  EXPECT_NE(all.body.find("<Key>f g</Key>"), std::string::npos);
  EXPECT_NE(all.body.find("<ETag>&quot;" + Md5Hex("a") + "&quot;</ETag>"), std::string::npos);
  EXPECT_EQ(Field(all.body, "IsTruncated"), "false");

  auto grouped = Versions("delimiter=%2F");
  EXPECT_EQ(Count(grouped.body, "<Version>"), 3u) << grouped.body;
  EXPECT_NE(grouped.body.find("<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>"),
            std::string::npos);
  auto prefixed = Versions("prefix=d%2F");
  EXPECT_EQ(Count(prefixed.body, "<Version>"), 2u) << prefixed.body;
  auto encoded = Versions("encoding-type=url&prefix=f");
  EXPECT_NE(encoded.body.find("<Key>f%20g</Key>"), std::string::npos) << encoded.body;
  EXPECT_NE(encoded.body.find("<EncodingType>url</EncodingType>"), std::string::npos);

  // Paging with key-marker and version-id-marker visits every key once.
  std::vector<std::string> seen;
  std::string query = "max-keys=2";
  for (int page = 0; page < 10; ++page) {
    auto r = Versions(query);
    ASSERT_EQ(r.status, 200) << r.body;
    for (size_t at = r.body.find("<Key>"); at != std::string::npos;
         at = r.body.find("<Key>", at + 1)) {
      seen.push_back(r.body.substr(at + 5, r.body.find("</Key>", at) - at - 5));
    }
    if (Field(r.body, "IsTruncated") != "true") break;
    EXPECT_EQ(Field(r.body, "NextVersionIdMarker"), "null");
    query = "max-keys=2&key-marker=" + UriEncode(Field(r.body, "NextKeyMarker"), true) +
            "&version-id-marker=null";
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "d/x", "d/y", "e", "f g"}));

  EXPECT_EQ(Versions("version-id-marker=null").ErrorCode(), "InvalidArgument");
  EXPECT_EQ(Versions("key-marker=a&version-id-marker=abc").ErrorCode(), "InvalidArgument");
  EXPECT_EQ(client_.Send("GET", "/" + UniqueBucket("gone"), "versions").ErrorCode(),
            "NoSuchBucket");
}

TEST_F(S3Conformance, BucketVersioningIsNeverEnabled) {
  auto get = client_.Send("GET", "/" + bucket_, "versioning");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.body.find("<Status>"), std::string::npos) << "never enabled: " << get.body;
  auto enable =
      client_.Send("PUT", "/" + bucket_, "versioning", {},
                   "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>");
  EXPECT_EQ(enable.status, 501);
  EXPECT_EQ(enable.ErrorCode(), "NotImplemented");
  EXPECT_NE(enable.body.find("unversioned"), std::string::npos) << enable.body;
  auto suspend =
      client_.Send("PUT", "/" + bucket_, "versioning", {},
                   "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>");
  EXPECT_EQ(suspend.status, 200) << suspend.body;
  auto bad = client_.Send("PUT", "/" + bucket_, "versioning", {},
                          "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>");
  EXPECT_EQ(bad.ErrorCode(), "MalformedXML");
  EXPECT_EQ(client_.Send("GET", "/" + bucket_, "versioning").body.find("<Status>"),
            std::string::npos);
}

TEST_F(S3Conformance, NullVersionIdNamesTheObject) {
  ASSERT_EQ(Put("k", "data").status, 200);
  std::string path = "/" + bucket_ + "/k";
  auto get = client_.Send("GET", path, "versionId=null");
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(get.body, "data");
  EXPECT_EQ(get.Header("x-amz-version-id"), "null");
  EXPECT_EQ(client_.Send("HEAD", path, "versionId=null").status, 200);
  EXPECT_EQ(client_.Send("GET", path, "tagging&versionId=null").status, 200);
  auto other = client_.Send("GET", path, "versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.ErrorCode(), "NoSuchVersion");
  EXPECT_EQ(client_.Send("HEAD", path, "versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH").status, 404);
  EXPECT_EQ(client_.Send("GET", path, "versionId=v2").ErrorCode(), "InvalidArgument");
  EXPECT_EQ(client_.Send("DELETE", path, "versionId=v2").ErrorCode(), "InvalidArgument");
  EXPECT_EQ(client_.Send("GET", path).body, "data") << "a refused delete keeps the object";

  // Copy from the null version; another version is refused.
  auto copy = client_.Send("PUT", "/" + bucket_ + "/copy", "",
                           {{"x-amz-copy-source", "/" + bucket_ + "/k?versionId=null"}});
  EXPECT_EQ(copy.status, 200) << copy.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/copy").body, "data");
  auto bad_copy = client_.Send("PUT", "/" + bucket_ + "/copy2", "",
                               {{"x-amz-copy-source", "/" + bucket_ + "/k?versionId=zz"}});
  EXPECT_EQ(bad_copy.ErrorCode(), "InvalidArgument") << bad_copy.body;

  auto del = client_.Send("DELETE", path, "versionId=null");
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(del.Header("x-amz-version-id"), "null");
  EXPECT_EQ(client_.Send("GET", path).status, 404);
  EXPECT_EQ(client_.Send("DELETE", path, "versionId=null").status, 204) << "already gone";
}

TEST_F(S3Conformance, DeleteObjectsWithNullVersionIds) {
  ASSERT_EQ(Put("a", "1").status, 200);
  ASSERT_EQ(Put("b", "2").status, 200);
  ASSERT_EQ(Put("c", "3").status, 200);
  std::string body =
      "<Delete><Object><Key>a</Key><VersionId>null</VersionId></Object>"
      "<Object><Key>b</Key><VersionId>3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH</VersionId></Object>"
      "<Object><Key>c</Key></Object></Delete>";
  auto r = client_.Send("POST", "/" + bucket_, "delete", {{"content-md5", Md5Base64(body)}}, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<Deleted><Key>a</Key><VersionId>null</VersionId></Deleted>"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("<Deleted><Key>c</Key></Deleted>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<Error><Key>b</Key><VersionId>3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH</VersionId>"
                        "<Code>NoSuchVersion</Code>"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/a").status, 404);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/b").body, "2");
  // A harness empties the bucket by listing versions and deleting each null version.
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_ + "/b", "versionId=null").status, 204);
  EXPECT_EQ(Count(Versions().body, "<Version>"), 0u);
  EXPECT_EQ(client_.Send("DELETE", "/" + bucket_).status, 204);
}

// Starts an upload of `key` with `parts` small parts; returns its id.
std::string StartUpload(S3TestClient& client, const std::string& bucket, const std::string& key,
                        int parts) {
  auto r = client.Send("POST", "/" + bucket + "/" + key, "uploads");
  EXPECT_EQ(r.status, 200) << r.body;
  std::string id = Field(r.body, "UploadId");
  for (int n = 1; n <= parts; ++n) {
    auto part = client.Send("PUT", "/" + bucket + "/" + key,
                            "partNumber=" + std::to_string(n) + "&uploadId=" + id, {},
                            natss3::test::RandomBytes(1000 + n, n));
    EXPECT_EQ(part.status, 200) << part.body;
  }
  return id;
}

TEST_F(S3Conformance, DeleteBucketAbortsInProgressUploads) {
  MultipartStore& uploads = daemon_.service().uploads();
  std::string first = StartUpload(client_, bucket_, "big/one", 3);
  StartUpload(client_, bucket_, "big/two", 1);
  ASSERT_EQ(uploads.List(bucket_)->size(), 2u);
  // With an object as well, the bucket stays, uploads included.
  ASSERT_EQ(Put("obj", "x").status, 200);
  auto refused = client_.Send("DELETE", "/" + bucket_);
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(refused.ErrorCode(), "BucketNotEmpty");
  EXPECT_EQ(uploads.List(bucket_)->size(), 2u);
  ASSERT_EQ(client_.Send("DELETE", "/" + bucket_ + "/obj").status, 204);

  auto deleted = client_.Send("DELETE", "/" + bucket_);
  ASSERT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(client_.Send("HEAD", "/" + bucket_).status, 404);
  EXPECT_TRUE(uploads.List(bucket_)->empty());
  auto refs = uploads.PartReferences(bucket_);
  ASSERT_TRUE(refs.ok());
  EXPECT_TRUE(refs->live.empty());
  EXPECT_TRUE(refs->orphans.empty()) << "no part record outlives the bucket";
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/big/one", "uploadId=" + first).status, 404);
  // A bucket of the same name starts empty.
  ASSERT_EQ(client_.Send("PUT", "/" + bucket_).status, 200);
  EXPECT_EQ(Count(client_.Send("GET", "/" + bucket_, "uploads").body, "<Upload>"), 0u);
}

TEST_F(S3Conformance, CreateBucketAgainKeepsItsObjects) {
  ASSERT_EQ(Put("kept", "data").status, 200);
  auto again = client_.Send("PUT", "/" + bucket_);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Header("location"), "/" + bucket_);
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/kept").body, "data");
  // In another region S3 answers BucketAlreadyOwnedByYou (minio-go's testMakeBucketError).
  auto elsewhere = client_.Send(
      "PUT", "/" + bucket_, "", {},
      "<CreateBucketConfiguration><LocationConstraint>eu-central-1</LocationConstraint>"
      "</CreateBucketConfiguration>");
  EXPECT_EQ(elsewhere.status, 409);
  EXPECT_EQ(elsewhere.ErrorCode(), "BucketAlreadyOwnedByYou");
  auto us_east = client_.Send(
      "PUT", "/" + bucket_, "", {},
      "<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint>"
      "</CreateBucketConfiguration>");
  EXPECT_EQ(us_east.status, 200) << us_east.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/kept").body, "data");
  // Another key's bucket: the name is taken.
  S3TestClient scoped(daemon_.port(), kScopedKey, kScopedSecret);
  auto taken = scoped.Send("PUT", "/" + bucket_);
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(taken.ErrorCode(), "BucketAlreadyExists");
  EXPECT_EQ(scoped.Send("PUT", "/" + UniqueBucket("notmine")).ErrorCode(), "AccessDenied");
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/kept").body, "data");
}

// An object as nats.go or the nats CLI leave it: a SHA-256 digest and no MD5 header.
TEST_F(S3Conformance, EtagsOfObjectsWithoutAnMd5NeverLookLikeOne) {
  std::string data = natss3::test::RandomBytes(70000, 5);
  ASSERT_EQ(Put("foreign", data).status, 200);
  ASSERT_EQ(Put("native", data).status, 200);
  auto stripped = daemon_.store().ModifyMeta(bucket_, "foreign", [](ObjectInfo& info) {
    info.meta.headers.erase(kMd5Header);
    return Status::OK();
  });
  ASSERT_TRUE(stripped.ok()) << stripped.status().ToString();
  ASSERT_TRUE(stripped->Header(kMd5Header).empty());

  std::string path = "/" + bucket_ + "/foreign";
  auto head = client_.Send("HEAD", path);
  ASSERT_EQ(head.status, 200);
  std::string etag = head.Header("etag");
  EXPECT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]{32}-1\""))) << etag;
  EXPECT_NE(etag, "\"" + Md5Hex(data) + "\"");
  EXPECT_EQ(client_.Send("HEAD", "/" + bucket_ + "/native").Header("etag"),
            "\"" + Md5Hex(data) + "\"")
      << "objects with an MD5 keep it as their ETag";
  // Every other place shows and compares the same ETag.
  EXPECT_EQ(client_.Send("GET", path).Header("etag"), etag);
  EXPECT_EQ(client_.Send("GET", path, "", {{"if-match", etag}}).status, 200);
  EXPECT_EQ(client_.Send("GET", path, "", {{"if-none-match", etag}}).status, 304);
  std::string xml_etag = "<ETag>&quot;" + etag.substr(1, etag.size() - 2) + "&quot;</ETag>";
  EXPECT_NE(client_.Send("GET", "/" + bucket_, "list-type=2").body.find(xml_etag),
            std::string::npos);
  EXPECT_NE(client_.Send("GET", "/" + bucket_).body.find(xml_etag), std::string::npos);
  EXPECT_NE(Versions().body.find(xml_etag), std::string::npos);
  auto copy = client_.Send("PUT", "/" + bucket_ + "/copied", "",
                           {{"x-amz-copy-source", path}, {"x-amz-copy-source-if-match", etag}});
  ASSERT_EQ(copy.status, 200) << copy.body;
  // The copy was written by natss3d: it has an MD5, and says so.
  EXPECT_NE(copy.body.find("&quot;" + Md5Hex(data) + "&quot;"), std::string::npos) << copy.body;
  auto put_if = Put("foreign", "new", {{"if-match", etag}});
  EXPECT_EQ(put_if.status, 200) << put_if.body;
}

TEST_F(S3Conformance, EmptyContinuationTokenIsAFirstPage) {
  ASSERT_EQ(Put("a", "1").status, 200);
  auto r = client_.Send("GET", "/" + bucket_, "list-type=2&continuation-token=");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("<Key>a</Key>"), std::string::npos) << r.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_, "list-type=2&continuation-token=bad").ErrorCode(),
            "InvalidArgument");
}

TEST_F(S3Conformance, UserMetadataAndHeaderValuesRoundTrip) {
  auto put = Put("m", "x",
                 {{"x-amz-meta-empty", ""},
                  {"x-amz-meta-spaced", "deflate, gzip"},
                  {"content-encoding", "deflate, gzip"},
                  {"x-amz-meta-utf", "caf\xc3\xa9"},
                  {"x-amz-meta-word", "=?UTF-8?B?w6k=?="},
                  {"x-amz-meta-q", "=?utf-8?q?a_b=C3=A9?="},
                  {"x-amz-meta-pct", "a%41b"},
                  {"content-disposition", "attachment; filename=\"a%20b.txt\""},
                  {"cache-control", "max-age=60,  private"}});
  ASSERT_EQ(put.status, 200) << put.body;
  // Stored as text other NATS clients can read.
  auto info = daemon_.store().GetInfo(bucket_, "m");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->Header("X-Amz-Meta-utf"), "caf\xc3\xa9");
  EXPECT_EQ(info->Header("X-Amz-Meta-word"), "\xc3\xa9");
  EXPECT_EQ(info->Header("X-Amz-Meta-q"), "a b\xc3\xa9");
  auto head = client_.Send("HEAD", "/" + bucket_ + "/m");
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.count("x-amz-meta-empty"), 1u) << "empty values are kept";
  EXPECT_EQ(head.Header("x-amz-meta-empty"), "");
  EXPECT_EQ(head.Header("x-amz-meta-spaced"), "deflate, gzip");
  EXPECT_EQ(head.Header("content-encoding"), "deflate, gzip");
  EXPECT_EQ(head.Header("x-amz-meta-pct"), "a%41b") << "not percent-decoded";
  EXPECT_EQ(head.Header("content-disposition"), "attachment; filename=\"a%20b.txt\"");
  EXPECT_EQ(head.Header("cache-control"), "max-age=60,  private");
  // Non-ASCII values come back as one RFC 2047 word, as S3 returns them.
  EXPECT_EQ(head.Header("x-amz-meta-utf"), "=?UTF-8?B?Y2Fmw6k=?=");
  EXPECT_EQ(head.Header("x-amz-meta-word"), "=?UTF-8?B?w6k=?=");
  EXPECT_EQ(head.Header("x-amz-meta-q"), "=?UTF-8?B?YSBiw6k=?=");
  // aws-chunked is a transfer detail: dropped, the rest kept as sent.
  EXPECT_EQ(EncodeMetadataValue("plain text"), "plain text");
  EXPECT_EQ(DecodeMetadataValue("=?UTF-8?B?w6k=?= =?UTF-8?Q?=C3=A9?="), "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(DecodeMetadataValue("=?UTF-8?B?not base64?="), "=?UTF-8?B?not base64?=");
  EXPECT_EQ(DecodeMetadataValue("=?KOI8-R?B?w6k=?="), "=?KOI8-R?B?w6k=?=");
  EXPECT_EQ(EncodeMetadataValue("\xe9"), "=?UTF-8?B?w6k=?=") << "ISO-8859-1 bytes";
}

// Headers whose values are URL-encoded by definition are decoded once, by natss3d, and are
// signed as sent.
TEST_F(S3Conformance, UrlEncodedHeaderValuesAreDecodedOnce) {
  ASSERT_EQ(Put("100%25", "data", {{"x-amz-tagging", "k=a%26b"}}).status, 200);
  auto copy = client_.Send("PUT", "/" + bucket_ + "/copy", "",
                           {{"x-amz-copy-source", "/" + bucket_ + "/100%25"}});
  ASSERT_EQ(copy.status, 200) << copy.body;
  EXPECT_EQ(client_.Send("GET", "/" + bucket_ + "/copy").body, "data");
  auto tags = client_.Send("GET", "/" + bucket_ + "/100%25", "tagging");
  EXPECT_NE(tags.body.find("<Key>k</Key><Value>a&amp;b</Value>"), std::string::npos) << tags.body;
}

TEST_F(S3Conformance, ListMultipartUploadsPagesAndGroups) {
  std::vector<std::pair<std::string, std::string>> all;  // key, upload id, in listing order
  for (const char* key : {"a", "a", "b", "d/x", "d/y", "e"}) {
    auto r = client_.Send("POST", "/" + bucket_ + "/" + key, "uploads");
    ASSERT_EQ(r.status, 200);
    all.emplace_back(key, Field(r.body, "UploadId"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct initiation times
  }
  std::vector<std::pair<std::string, std::string>> seen;
  std::string query = "uploads&max-uploads=2";
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto r = client_.Send("GET", "/" + bucket_, query);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Field(r.body, "MaxUploads"), "2");
    size_t at = 0;
    while ((at = r.body.find("<Upload>", at)) != std::string::npos) {
      std::string upload = r.body.substr(at, r.body.find("</Upload>", at) - at);
      seen.emplace_back(Field(upload, "Key"), Field(upload, "UploadId"));
      at += 8;
    }
    if (Field(r.body, "IsTruncated") != "true") break;
    query = "uploads&max-uploads=2&key-marker=" + UriEncode(Field(r.body, "NextKeyMarker"), true) +
            "&upload-id-marker=" + Field(r.body, "NextUploadIdMarker");
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(seen, all);

  auto grouped = client_.Send("GET", "/" + bucket_, "uploads&delimiter=%2F");
  EXPECT_EQ(Count(grouped.body, "<Upload>"), 4u) << grouped.body;
  EXPECT_NE(grouped.body.find("<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>"),
            std::string::npos);
  auto first = client_.Send("GET", "/" + bucket_, "uploads&delimiter=%2F&max-uploads=3");
  EXPECT_EQ(Field(first.body, "IsTruncated"), "true");
  EXPECT_EQ(Field(first.body, "NextKeyMarker"), "b");
  auto after_group = client_.Send("GET", "/" + bucket_, "uploads&delimiter=%2F&key-marker=d%2F");
  EXPECT_EQ(Count(after_group.body, "<Upload>"), 1u) << after_group.body;
  EXPECT_EQ(after_group.body.find("CommonPrefixes"), std::string::npos) << after_group.body;
  auto prefixed = client_.Send("GET", "/" + bucket_, "uploads&prefix=d%2F");
  EXPECT_EQ(Count(prefixed.body, "<Upload>"), 2u) << prefixed.body;
  auto after_b = client_.Send("GET", "/" + bucket_, "uploads&key-marker=b");
  EXPECT_EQ(Count(after_b.body, "<Upload>"), 3u) << "key-marker alone skips that key";
  EXPECT_EQ(client_.Send("GET", "/" + bucket_, "uploads&max-uploads=x").ErrorCode(),
            "InvalidArgument");
}

TEST_F(S3Conformance, ListPartsPages) {
  std::string id = StartUpload(client_, bucket_, "parts", 5);
  std::vector<std::string> seen;
  std::string marker = "0";
  for (int page = 0; page < 10; ++page) {
    auto r = client_.Send("GET", "/" + bucket_ + "/parts",
                          "uploadId=" + id + "&max-parts=2&part-number-marker=" + marker);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Field(r.body, "MaxParts"), "2");
    EXPECT_EQ(Field(r.body, "PartNumberMarker"), marker);
    size_t at = 0;
    while ((at = r.body.find("<Part>", at)) != std::string::npos) {
      seen.push_back(Field(r.body.substr(at), "PartNumber"));
      at += 6;
    }
    if (Field(r.body, "IsTruncated") != "true") break;
    marker = Field(r.body, "NextPartNumberMarker");
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  std::string path = "/" + bucket_ + "/parts";
  EXPECT_EQ(client_.Send("GET", path, "uploadId=" + id + "&max-parts=x").ErrorCode(),
            "InvalidArgument");
  EXPECT_EQ(client_.Send("GET", path, "uploadId=" + id + "&part-number-marker=-1").ErrorCode(),
            "InvalidArgument");
  auto past = client_.Send("GET", path, "uploadId=" + id + "&part-number-marker=5");
  EXPECT_EQ(Count(past.body, "<Part>"), 0u);
  EXPECT_EQ(Field(past.body, "IsTruncated"), "false");
}

}  // namespace
}  // namespace natss3::s3d::test
