// Unit tests of natss3d's pure logic: routing, ranges, conditionals, XML, listings, errors,
// configuration, metrics.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "natss3/connect_config.h"
#include "natss3/files.h"
#include "natss3/names.h"
#include "s3d/config.h"
#include "s3d/embedded_nats.h"
#include "s3d/errors.h"
#include "s3d/listing.h"
#include "s3d/metrics.h"
#include "s3d/object_headers.h"
#include "s3d/object_parts.h"
#include "s3d/range.h"
#include "s3d/routing.h"
#include "s3d/xml.h"

namespace natss3::s3d {
namespace {

S3Address Addr(const std::string& target, const std::string& host = "localhost",
               const std::string& domain = "") {
  auto a = ParseAddress(target, host, domain);
  EXPECT_TRUE(a.ok());
  return a.ok() ? *a : S3Address{};
}

TEST(Routing, PathStyleAddressDecodesKey) {
  S3Address a = Addr("/bkt/dir/my%20file%2Bx?prefix=a%2Fb&list-type=2");
  EXPECT_EQ(a.bucket, "bkt");
  EXPECT_EQ(a.key, "dir/my file+x");
  EXPECT_EQ(a.Get("prefix"), "a/b");
  EXPECT_EQ(a.raw_path, "/bkt/dir/my%20file%2Bx");
}

TEST(Routing, VirtualHostedStyleWithDomain) {
  S3Address a = Addr("/k/x", "photos.s3.local:5222", "s3.local");
  EXPECT_EQ(a.bucket, "photos");
  EXPECT_EQ(a.key, "k/x");
  S3Address b = Addr("/photos/k", "s3.local:5222", "s3.local");
  EXPECT_EQ(b.bucket, "photos");
  EXPECT_EQ(b.key, "k");
}

TEST(Routing, MalformedPercentEncodingFails) {
  EXPECT_FALSE(ParseAddress("/b/%zz", "h", "").ok());
}

TEST(Routing, ClassifiesOperations) {
  EXPECT_EQ(Classify("GET", Addr("/"), false), Operation::kListBuckets);
  EXPECT_EQ(Classify("PUT", Addr("/b"), false), Operation::kCreateBucket);
  EXPECT_EQ(Classify("GET", Addr("/b?list-type=2"), false), Operation::kListObjectsV2);
  EXPECT_EQ(Classify("GET", Addr("/b"), false), Operation::kListObjectsV1);
  EXPECT_EQ(Classify("GET", Addr("/b?location"), false), Operation::kGetBucketLocation);
  EXPECT_EQ(Classify("GET", Addr("/b?versioning"), false), Operation::kGetBucketVersioning);
  EXPECT_EQ(Classify("GET", Addr("/b?uploads"), false), Operation::kListMultipartUploads);
  EXPECT_EQ(Classify("POST", Addr("/b?delete"), false), Operation::kDeleteObjects);
  EXPECT_EQ(Classify("PUT", Addr("/b/k"), true), Operation::kCopyObject);
  EXPECT_EQ(Classify("PUT", Addr("/b/k?partNumber=1&uploadId=x"), false), Operation::kUploadPart);
  EXPECT_EQ(Classify("PUT", Addr("/b/k?partNumber=1&uploadId=x"), true), Operation::kUploadPartCopy);
  EXPECT_EQ(Classify("POST", Addr("/b/k?uploads"), false), Operation::kCreateMultipartUpload);
  EXPECT_EQ(Classify("POST", Addr("/b/k?uploadId=x"), false), Operation::kCompleteMultipartUpload);
  EXPECT_EQ(Classify("DELETE", Addr("/b/k?uploadId=x"), false), Operation::kAbortMultipartUpload);
  EXPECT_EQ(Classify("GET", Addr("/b/k?uploadId=x"), false), Operation::kListParts);
  EXPECT_EQ(Classify("GET", Addr("/b/k?tagging"), false), Operation::kGetObjectTagging);
  EXPECT_EQ(Classify("GET", Addr("/b/k?attributes"), false), Operation::kGetObjectAttributes);
  EXPECT_EQ(OperationName(Operation::kGetObjectAttributes), "GetObjectAttributes");
  EXPECT_TRUE(IsReadOperation(Operation::kGetObjectAttributes));
  EXPECT_EQ(Classify("HEAD", Addr("/b/k"), false), Operation::kHeadObject);
  EXPECT_EQ(Classify("GET", Addr("/b?acl"), false), Operation::kGetBucketAcl);
  EXPECT_EQ(Classify("PUT", Addr("/b?acl"), false), Operation::kPutBucketAcl);
  EXPECT_EQ(Classify("GET", Addr("/b/k?acl"), false), Operation::kGetObjectAcl);
  EXPECT_EQ(Classify("PUT", Addr("/b/k?acl"), false), Operation::kPutObjectAcl);
  EXPECT_EQ(Classify("GET", Addr("/b?cors"), false), Operation::kGetBucketCors);
  EXPECT_EQ(Classify("PUT", Addr("/b?cors"), false), Operation::kPutBucketCors);
  EXPECT_EQ(Classify("DELETE", Addr("/b?cors"), false), Operation::kDeleteBucketCors);
  EXPECT_EQ(Classify("OPTIONS", Addr("/b/k"), false), Operation::kPreflight);
  EXPECT_EQ(Classify("GET", Addr("/b?website"), false), Operation::kNotImplemented);
  EXPECT_EQ(Classify("PUT", Addr("/b?policy"), false), Operation::kPutBucketPolicy);
  EXPECT_EQ(Classify("GET", Addr("/b?policy"), false), Operation::kGetBucketPolicy);
  EXPECT_EQ(Classify("DELETE", Addr("/b?policy"), false), Operation::kDeleteBucketPolicy);
  EXPECT_EQ(Classify("GET", Addr("/b/k?policy"), false), Operation::kNotImplemented);
  EXPECT_EQ(Classify("GET", Addr("/b/k?versionId=null"), false), Operation::kGetObject);
  EXPECT_EQ(Classify("DELETE", Addr("/b/k?versionId=null"), false), Operation::kDeleteObject);
  EXPECT_EQ(Classify("GET", Addr("/b?versions"), false), Operation::kListObjectVersions);
  EXPECT_EQ(Classify("PUT", Addr("/b?versioning"), false), Operation::kPutBucketVersioning);
  EXPECT_EQ(Classify("PUT", Addr("/"), false), Operation::kMethodNotAllowed);
}

TEST(Routing, VersionIdsOfAnUnversionedStore) {
  EXPECT_TRUE(CheckVersionId(Addr("/b/k")).ok());
  EXPECT_TRUE(CheckVersionId(Addr("/b/k?versionId=null")).ok());
  EXPECT_EQ(CheckVersionId(Addr("/b/k?versionId=")).error().code, "InvalidArgument");
  EXPECT_EQ(CheckVersionId(Addr("/b/k?versionId=3")).error().code, "InvalidArgument");
  EXPECT_EQ(CheckVersionId(Addr("/b/k?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH")).error().code,
            "NoSuchVersion");
  EXPECT_EQ(CheckVersionId(Addr("/b/k?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrH")).error().http_status,
            404);
}

TEST(Routing, BucketNames) {
  EXPECT_TRUE(ValidateNewBucketName("my-bucket-1").ok());
  EXPECT_TRUE(ValidateNewBucketName("my.bucket").ok());
  EXPECT_TRUE(ValidateNewBucketName("x.withperiod").ok());
  EXPECT_EQ(ValidateNewBucketName("my..bucket").error().code, "InvalidBucketName");
  EXPECT_FALSE(ValidateNewBucketName("my.-bucket").ok());
  EXPECT_FALSE(ValidateNewBucketName("my-.bucket").ok());
  EXPECT_FALSE(ValidateNewBucketName(".my").ok());
  EXPECT_FALSE(ValidateNewBucketName("my_bucket").ok());
  EXPECT_FALSE(ValidateNewBucketName("10.0.0.1").ok());
  EXPECT_TRUE(ValidateNewBucketName("10.0.0.a").ok());
  EXPECT_FALSE(ValidateNewBucketName("ab").ok());
  EXPECT_FALSE(ValidateNewBucketName("Upper").ok());
  EXPECT_FALSE(ValidateNewBucketName("-start").ok());
  EXPECT_FALSE(ValidateNewBucketName(std::string(64, 'a')).ok());
  EXPECT_TRUE(ValidateExistingBucketName("Made_By_Go").ok());
  EXPECT_TRUE(ValidateExistingBucketName("a.b").ok());
  EXPECT_FALSE(ValidateExistingBucketName("a/b").ok());
}

TEST(S3Routing, BucketNameMapping) {
  EXPECT_EQ(NatsBucketName("my.bucket"), "my_bucket");
  EXPECT_EQ(NatsBucketName("plain"), "plain");
  EXPECT_EQ(S3BucketName("my_bucket"), "my.bucket");
  EXPECT_EQ(S3BucketName("plain-1"), "plain-1");
  // Not a valid S3 name once dotted: shown unchanged.
  EXPECT_EQ(S3BucketName("Made_By_Go"), "Made_By_Go");
  EXPECT_EQ(S3BucketName("_lead"), "_lead");
  EXPECT_EQ(S3BucketName("a__b"), "a__b");
  for (const char* s3 : {"my.bucket", "a.b.c", "x1.withperiod"}) {
    EXPECT_EQ(S3BucketName(NatsBucketName(s3)), s3);
  }
  S3Address a;
  a.bucket = "my.bucket";
  MapBucketName(&a);
  EXPECT_EQ(a.bucket, "my_bucket");
  EXPECT_EQ(a.s3_bucket, "my.bucket");
  EXPECT_EQ(ValidateKey(std::string(1025, 'k'), Operation::kGetObject).error().code,
            "KeyTooLongError");
  EXPECT_TRUE(ValidateKey(std::string(1024, 'k'), Operation::kPutObject).ok());
  // Control characters, CR and LF are valid key characters; NUL and malformed UTF-8 are not,
  // for writes (foreign objects with such names stay readable and deletable).
  EXPECT_TRUE(ValidateKey("a\x01" "b\r\n\t", Operation::kPutObject).ok());
  EXPECT_TRUE(ValidateKey("\xC3\xA9t\xC3\xA9", Operation::kPutObject).ok());
  EXPECT_EQ(ValidateKey(std::string("a\0b", 3), Operation::kPutObject).error().code,
            "InvalidArgument");
  EXPECT_EQ(ValidateKey("bad\xFF", Operation::kCopyObject).error().code, "InvalidArgument");
  EXPECT_EQ(ValidateKey("\xC0\xAF", Operation::kCreateMultipartUpload).error().code,
            "InvalidArgument");  // overlong "/"
  EXPECT_TRUE(ValidateKey("bad\xFF", Operation::kGetObject).ok());
  EXPECT_TRUE(ValidateKey(std::string("a\0b", 3), Operation::kDeleteObject).ok());
}

TEST(Routing, UriEncodeRoundTrip) {
  std::string decoded;
  ASSERT_TRUE(UriDecode(UriEncode("a b/ü+%", true), &decoded, false));
  EXPECT_EQ(decoded, "a b/ü+%");
  EXPECT_EQ(UriEncode("a/b c", false), "a/b%20c");
}

TEST(Range, Forms) {
  auto r = ParseRange("bytes=0-9", 100);
  ASSERT_EQ(r.kind, RangeResult::Kind::kPartial);
  EXPECT_EQ(r.range.offset, 0u);
  EXPECT_EQ(r.range.length, 10u);
  r = ParseRange("bytes=90-", 100);
  EXPECT_EQ(r.range.offset, 90u);
  EXPECT_EQ(r.range.length, 10u);
  r = ParseRange("bytes=-5", 100);
  EXPECT_EQ(r.range.offset, 95u);
  EXPECT_EQ(r.range.length, 5u);
  r = ParseRange("bytes=-500", 100);
  EXPECT_EQ(r.range.offset, 0u);
  EXPECT_EQ(r.range.length, 100u);
  r = ParseRange("bytes=50-1000", 100);
  EXPECT_EQ(r.range.length, 50u);
  EXPECT_EQ(ContentRange(r.range, 100), "bytes 50-99/100");
}

TEST(Range, UnsatisfiableAndIgnored) {
  EXPECT_EQ(ParseRange("bytes=100-", 100).kind, RangeResult::Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-0", 100).kind, RangeResult::Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-", 0).kind, RangeResult::Kind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=9-3", 100).kind, RangeResult::Kind::kWhole);
  EXPECT_EQ(ParseRange("bytes=0-1,5-6", 100).kind, RangeResult::Kind::kWhole);
  EXPECT_EQ(ParseRange("items=0-1", 100).kind, RangeResult::Kind::kWhole);
  EXPECT_EQ(ParseRange("bytes=x-1", 100).kind, RangeResult::Kind::kWhole);
}

TEST(Conditions, EtagsAndDates) {
  TimePoint modified = TimePoint(std::chrono::seconds(1700000000));
  std::string etag = "\"abc\"";
  Conditions c;
  c.if_match = "\"abc\"";
  EXPECT_EQ(EvaluateConditions(c, etag, modified, true), ConditionOutcome::kProceed);
  c.if_match = "\"zzz\", \"yyy\"";
  EXPECT_EQ(EvaluateConditions(c, etag, modified, true), ConditionOutcome::kPreconditionFailed);
  c = {};
  c.if_none_match = "abc";
  EXPECT_EQ(EvaluateConditions(c, etag, modified, true), ConditionOutcome::kNotModified);
  EXPECT_EQ(EvaluateConditions(c, etag, modified, false), ConditionOutcome::kPreconditionFailed);
  c = {};
  c.if_modified_since = FormatHttpDate(modified);
  EXPECT_EQ(EvaluateConditions(c, etag, modified, true), ConditionOutcome::kNotModified);
  c.if_modified_since = FormatHttpDate(modified - std::chrono::seconds(10));
  EXPECT_EQ(EvaluateConditions(c, etag, modified, true), ConditionOutcome::kProceed);
  c = {};
  c.if_unmodified_since = FormatHttpDate(modified - std::chrono::seconds(10));
  EXPECT_EQ(EvaluateConditions(c, etag, modified, true), ConditionOutcome::kPreconditionFailed);
  // If-Match true wins over a failing If-Unmodified-Since (RFC 9110 order, as S3).
  c.if_match = "*";
  EXPECT_EQ(EvaluateConditions(c, etag, modified, true), ConditionOutcome::kProceed);
}

TEST(HttpDate, RoundTrip) {
  TimePoint t = TimePoint(std::chrono::seconds(784111777));
  EXPECT_EQ(FormatHttpDate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  auto parsed = ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, t);
  EXPECT_FALSE(ParseHttpDate("yesterday").has_value());
}

// Found by fuzz/range: years 1 to 9999 parse, but TimePoint's int64 nanoseconds end in 1678 and
// 2262; the conversion overflowed (undefined behaviour: year 9999 wrapped to 1816, so
// If-Unmodified-Since: 9999 failed with 412). Far dates clamp to TimePoint's ends now.
TEST(HttpDate, FarDatesClampInsteadOfOverflowing) {
  auto late = ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT");
  ASSERT_TRUE(late.has_value());
  EXPECT_GT(*late, TimePoint(std::chrono::seconds(4102444800)));  // after 2100
  auto early = ParseHttpDate("Sun Nov  6 08:49:37 1");
  ASSERT_TRUE(early.has_value());
  EXPECT_LT(*early, TimePoint{});
  TimePoint modified = TimePoint(std::chrono::seconds(1700000000));
  Conditions c;
  c.if_unmodified_since = "Fri, 31 Dec 9999 23:59:59 GMT";
  EXPECT_EQ(EvaluateConditions(c, "\"e\"", modified, true), ConditionOutcome::kProceed);
  c = {};
  c.if_modified_since = "Fri, 31 Dec 9999 23:59:59 GMT";
  EXPECT_EQ(EvaluateConditions(c, "\"e\"", modified, true), ConditionOutcome::kNotModified);
  c = {};
  c.if_unmodified_since = "Mon, 01 Jan 0001 00:00:00 GMT";
  EXPECT_EQ(EvaluateConditions(c, "\"e\"", modified, true),
            ConditionOutcome::kPreconditionFailed);
}

TEST(Xml, EscapesAndParsesComplete) {
  EXPECT_EQ(XmlEscape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
  // XML 1.0 cannot carry most control characters even as references: they (and malformed
  // UTF-8 a foreign writer left in a name) become U+FFFD; CR is a reference (parsers would
  // turn a raw one into LF); tab and LF stay.
  EXPECT_EQ(XmlEscape("a\x01" "b\x1F"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("x\ry\nz\tw"), "x&#13;y\nz\tw");
  EXPECT_EQ(XmlEscape("\xC3\xA9\xFF"), "\xC3\xA9\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBE"), "\xEF\xBF\xBD");  // U+FFFE
  EXPECT_TRUE(XmlRepresentable("caf\xC3\xA9\r\n\t"));
  EXPECT_FALSE(XmlRepresentable("a\x01"));
  EXPECT_FALSE(XmlRepresentable("a\xFF"));
  auto parts = ParseCompleteMultipartUpload(
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"aa\"</ETag></Part>"
      "<Part><PartNumber>2</PartNumber><ETag>bb</ETag></Part></CompleteMultipartUpload>");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].etag, "aa");
  EXPECT_EQ((*parts)[1].part_number, 2);
  EXPECT_EQ(ParseCompleteMultipartUpload("<Complete").error().code, "MalformedXML");
  EXPECT_EQ(ParseCompleteMultipartUpload("<CompleteMultipartUpload/>").error().code, "MalformedXML");
  EXPECT_FALSE(ParseCompleteMultipartUpload(
                   "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag>"
                   "</Part></CompleteMultipartUpload>").ok());
}

TEST(Xml, DeleteAndTagging) {
  auto del = ParseDeleteObjects("<Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object></Delete>");
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->quiet);
  EXPECT_EQ(del->keys.at(0), "a&b");
  EXPECT_FALSE(ParseDeleteObjects("<Delete></Delete>").ok());
  // Whitespace-only keys are real keys (PUT /b/%20), kept as written.
  auto spaces = ParseDeleteObjects(
      "<Delete>\n  <Object><Key> </Key></Object>\n  <Object><Key>\t x </Key></Object></Delete>");
  ASSERT_TRUE(spaces.ok());
  EXPECT_EQ(spaces->keys, (std::vector<std::string>{" ", "\t x "}));
  auto versions = ParseDeleteObjects(
      "<Delete><Object><Key>a</Key><VersionId>null</VersionId></Object>"
      "<Object><Key>b</Key></Object></Delete>");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->version_ids.size(), 2u);
  EXPECT_EQ(versions->version_ids[0], std::optional<std::string>("null"));
  EXPECT_FALSE(versions->version_ids[1].has_value());
  auto tags = ParseTagging("<Tagging><TagSet><Tag><Key>k</Key><Value>v 1</Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(FormatTaggingHeader(*tags), "k=v%201");
  auto back = ParseTaggingHeader("k=v%201&x=");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].second, "v 1");
  EXPECT_EQ((*back)[1].first, "x");
  EXPECT_FALSE(ParseTaggingHeader("a=1&a=2").ok());
  EXPECT_TRUE(ParseCreateBucketConfiguration("").ok());
  EXPECT_FALSE(ParseCreateBucketConfiguration("<nope").ok());
}

// Found by fuzz/xml (a tag set parsed once must survive TaggingXml/ParseTagging): pugixml drops
// whitespace-only text unless asked, so a tag " " set by x-amz-tagging came back from
// GetObjectTagging as <Value> </Value> and a PutObjectTagging of that XML stored "".
TEST(Xml, TaggingKeepsWhitespaceOnlyKeysAndValues) {
  auto tags = ParseTagging(
      "<Tagging><TagSet><Tag><Key> </Key><Value>\t</Value></Tag></TagSet></Tagging>");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (TagSet{{" ", "\t"}}));
  auto back = ParseTagging(TaggingXml({{"k", " "}, {"j", "\n"}}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (TagSet{{"k", " "}, {"j", "\n"}}));
  // Indentation between elements is still not a tag.
  auto pretty = ParseTagging("<Tagging>\n <TagSet>\n  <Tag><Key>k</Key><Value>v</Value></Tag>\n"
                             " </TagSet>\n</Tagging>");
  ASSERT_TRUE(pretty.ok());
  EXPECT_EQ(*pretty, (TagSet{{"k", "v"}}));
}

// Found by fuzz/xml: x-amz-tagging "k=a%00b" was stored, but XML 1.0 cannot carry C0 controls
// (other than tab, LF, CR), so GetObjectTagging answered with XML nothing could parse.
TEST(Xml, TagsWithControlCharactersAreInvalid) {
  EXPECT_FALSE(ParseTaggingHeader("k=a%00b").ok());
  EXPECT_FALSE(ParseTaggingHeader("a%01=v").ok());
  EXPECT_FALSE(ParseTagging(
      "<Tagging><TagSet><Tag><Key>k</Key><Value>&#27;</Value></Tag></TagSet></Tagging>").ok());
  auto fine = ParseTaggingHeader("k=a%09b%0Ac%0D");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ((*fine)[0].second, "a\tb\nc\r");
}

// Found by fuzz/xml: a header tag of malformed UTF-8 was stored, then came back from
// GetObjectTagging with U+FFFD in place of its bytes.
TEST(Xml, TagsOfMalformedUtf8AreInvalid) {
  EXPECT_FALSE(ParseTaggingHeader("k=a%FFb").ok());
  EXPECT_FALSE(ParseTaggingHeader("%C3=v").ok());
  EXPECT_FALSE(ParseTaggingHeader("k=%EF%BF%BE").ok());  // U+FFFE: not an XML character
  auto fine = ParseTaggingHeader("k%C3%A9=%E2%82%AC");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ((*fine)[0].first, "k\xC3\xA9");
  EXPECT_EQ((*fine)[0].second, "\xE2\x82\xAC");
}

TEST(Listing, TokensAndParams) {
  std::string token = EncodeContinuationToken("dir/ü-key");
  auto decoded = DecodeContinuationToken(token);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "dir/ü-key");
  EXPECT_FALSE(DecodeContinuationToken("garbage!").ok());
  auto params = ParseListParams(Addr("/b?list-type=2&max-keys=5000&prefix=p&start-after=p1&continuation-token=" + token), true);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->max_keys, 1000u);
  EXPECT_EQ(ToQuery(*params).start_after, "p1") << "the later of start-after and token wins";
  EXPECT_FALSE(ParseListParams(Addr("/b?max-keys=-1"), false).ok());
  EXPECT_FALSE(ParseListParams(Addr("/b?encoding-type=base64"), false).ok());
}

TEST(Listing, XmlHasKeyCountPrefixesAndEncoding) {
  ListParams params;
  params.v2 = true;
  params.url_encoding = true;
  params.delimiter = "/";
  ListingIndex::Page page;
  ListingIndex::Entry entry;
  entry.name = "a b";
  entry.size = 3;
  entry.md5_hex = "900150983cd24fb0d6963f7d28e17f72";
  page.entries.push_back(entry);
  page.common_prefixes.push_back("dir x/");
  page.truncated = true;
  page.next_start_after = "dir x/";
  std::string xml = ListObjectsXml("b", params, page);
  EXPECT_NE(xml.find("<Key>a%20b</Key>"), std::string::npos);
  EXPECT_NE(xml.find("<Prefix>dir%20x/</Prefix>"), std::string::npos);
  EXPECT_NE(xml.find("<KeyCount>2</KeyCount>"), std::string::npos);
  EXPECT_NE(xml.find("<IsTruncated>true</IsTruncated>"), std::string::npos);
  EXPECT_NE(xml.find("&quot;900150983cd24fb0d6963f7d28e17f72&quot;"), std::string::npos);
  EXPECT_NE(xml.find("<NextContinuationToken>" + EncodeContinuationToken("dir x/")), std::string::npos);
}

TEST(Listing, VersionParamsAndXml) {
  auto params = ParseVersionListParams(Addr("/b?versions&key-marker=k1&version-id-marker=null&max-keys=2"));
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(ToQuery(*params).start_after, "k1");
  EXPECT_EQ(ToQuery(*params).max_entries, 2u);
  EXPECT_EQ(ParseVersionListParams(Addr("/b?versions&version-id-marker=null")).error().code,
            "InvalidArgument");
  EXPECT_EQ(ParseVersionListParams(Addr("/b?versions&key-marker=k&version-id-marker=v1")).error().code,
            "InvalidArgument");
  EXPECT_FALSE(ParseVersionListParams(Addr("/b?versions&max-keys=x")).ok());
  ListingIndex::Page page;
  ListingIndex::Entry entry;
  entry.name = "a b";
  entry.size = 3;
  entry.md5_hex = "900150983cd24fb0d6963f7d28e17f72";
  page.entries.push_back(entry);
  page.truncated = true;
  page.next_start_after = "a b";
  params->url_encoding = true;
  std::string xml = ListVersionsXml("b", *params, page);
  EXPECT_NE(xml.find("<ListVersionsResult"), std::string::npos);
  EXPECT_NE(xml.find("<Key>a%20b</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"),
            std::string::npos) << xml;
  EXPECT_NE(xml.find("<NextKeyMarker>a%20b</NextKeyMarker><NextVersionIdMarker>null<"),
            std::string::npos) << xml;
  // After a common prefix, only the key marker.
  page.entries.clear();
  page.common_prefixes = {"d/"};
  page.next_start_after = "d/";
  xml = ListVersionsXml("b", *params, page);
  EXPECT_NE(xml.find("<NextKeyMarker>d/</NextKeyMarker>"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("NextVersionIdMarker"), std::string::npos) << xml;
}

TEST(Etag, Sources) {
  EXPECT_EQ(EtagOf("abc", "", ""), "\"abc\"");
  EXPECT_EQ(EtagOf("abc", "ffff-2", ""), "\"ffff-2\"");
  // Objects from other clients: derived from the digest, stable.
  std::string digest = "SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek=";
  // Never of an MD5's form (32 hex digits): MD5-comparing clients would report corruption.
  EXPECT_EQ(EtagOf("", "", digest), "\"b94d27b9934d3e08a52e52d7da7dabfa-1\"");
}

TEST(Errors, StatusMapping) {
  EXPECT_EQ(FromStatus(NotFound("x"), ErrorContext::kObject).code, "NoSuchKey");
  EXPECT_EQ(FromStatus(NotFound("x"), ErrorContext::kBucket).code, "NoSuchBucket");
  EXPECT_EQ(FromStatus(NotFound("x"), ErrorContext::kUpload).code, "NoSuchUpload");
  EXPECT_EQ(FromStatus(Unavailable("down"), ErrorContext::kObject).http_status, 503);
  EXPECT_EQ(FromStatus(FailedPrecondition("not empty"), ErrorContext::kBucket).code, "BucketNotEmpty");
  EXPECT_EQ(FromStatus(FailedPrecondition("rev"), ErrorContext::kObject).http_status, 412);
  EXPECT_EQ(FromStatus(InvalidArgument("k", Detail::kNameTooLong), ErrorContext::kObject).code,
            "KeyTooLongError");
  EXPECT_EQ(FromStatus(PermissionDenied("x"), ErrorContext::kObject).http_status, 403);
  EXPECT_EQ(FromStatus(Internal("x"), ErrorContext::kObject).http_status, 500);
  std::string xml = ErrorXml(S3Error::NoSuchKey(), "/b/k<", "REQ1");
  EXPECT_NE(xml.find("<Code>NoSuchKey</Code>"), std::string::npos);
  EXPECT_NE(xml.find("<Resource>/b/k&lt;</Resource>"), std::string::npos);
  EXPECT_NE(xml.find("<RequestId>REQ1</RequestId>"), std::string::npos);
}

// Each mapping goes by code and detail: a message that merely contains the words of a detail
// maps to the generic error, and a detail maps whatever the message says.
TEST(Errors, StatusMappingByDetailNotText) {
  // Bucket not found.
  EXPECT_EQ(FromStatus(NotFound("stream not found"), ErrorContext::kObject).code, "NoSuchKey");
  EXPECT_EQ(FromStatus(NotFound("bucket not found"), ErrorContext::kObject).code, "NoSuchKey");
  EXPECT_EQ(FromStatus(NotFound("x", Detail::kBucketNotFound), ErrorContext::kObject).code,
            "NoSuchBucket");
  EXPECT_EQ(FromStatus(NotFound("x", Detail::kBucketNotFound), ErrorContext::kUpload).code,
            "NoSuchBucket");
  // Key too long.
  EXPECT_EQ(FromStatus(InvalidArgument("object name too long"), ErrorContext::kObject).code,
            "InvalidArgument");
  EXPECT_EQ(FromStatus(InvalidArgument("x", Detail::kNameTooLong), ErrorContext::kBucket).code,
            "KeyTooLongError");
  // Invalid bucket name (only where a bucket is what the call is about).
  EXPECT_EQ(FromStatus(InvalidArgument("bad bucket"), ErrorContext::kBucket).code,
            "InvalidArgument");
  EXPECT_EQ(
      FromStatus(InvalidArgument("x", Detail::kInvalidBucketName), ErrorContext::kBucket).code,
      "InvalidBucketName");
  EXPECT_EQ(
      FromStatus(InvalidArgument("x", Detail::kInvalidBucketName), ErrorContext::kObject).code,
      "InvalidArgument");
  // Sealed bucket.
  EXPECT_EQ(FromStatus(FailedPrecondition("bucket is sealed"), ErrorContext::kObject).code,
            "PreconditionFailed");
  EXPECT_EQ(FromStatus(FailedPrecondition("bucket is sealed"), ErrorContext::kBucket).code,
            "BucketNotEmpty");
  S3Error sealed = FromStatus(FailedPrecondition("x", Detail::kSealed), ErrorContext::kObject);
  EXPECT_EQ(sealed.code, "AccessDenied");
  EXPECT_EQ(sealed.http_status, 403);
  EXPECT_EQ(FromStatus(FailedPrecondition("x", Detail::kSealed), ErrorContext::kBucket).code,
            "AccessDenied");
}

// The core sets the details FromStatus maps by where it creates those statuses.
TEST(Errors, CoreStatusesCarryTheirDetail) {
  Status bucket = ValidateBucketName("no.dots");
  EXPECT_EQ(bucket.detail(), Detail::kInvalidBucketName);
  EXPECT_EQ(FromStatus(bucket, ErrorContext::kBucket).code, "InvalidBucketName");
  Status key = ValidateObjectName("b", std::string(MaxObjectNameLength("b") + 1, 'k'));
  EXPECT_EQ(key.detail(), Detail::kNameTooLong);
  EXPECT_EQ(FromStatus(key, ErrorContext::kObject).code, "KeyTooLongError");
}

TEST(Config, PrecedenceFlagEnvFile) {
  std::string path = ::testing::TempDir() + "/natss3d.conf";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("# comment\nlisten = 127.0.0.1:7000\nnats-servers = nats://file:4222\n"
             "multipart-expiry = 2h\ndomain = file.local\n", f);
  std::fclose(f);
  const char* argv[] = {"natss3d", "--config", path.c_str(), "--domain", "flag.local"};
  auto config = ParseConfig(5, argv, {"NATSS3_NATS_SERVERS=nats://env:4222", "OTHER=1"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->listen_port, 7000);
  EXPECT_EQ(config->nats.servers, "nats://env:4222");
  EXPECT_FALSE(config->embedded_nats);
  EXPECT_EQ(config->domain, "flag.local");
  EXPECT_EQ(config->multipart_expiry, std::chrono::hours(2));
  const char* bad[] = {"natss3d", "--listen", "nope"};
  EXPECT_FALSE(ParseConfig(3, bad, {}).ok());
  const char* none[] = {"natss3d"};
  auto defaults = ParseConfig(1, none, {});
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->embedded_nats);
  EXPECT_EQ(defaults->listen_port, 5222);
  EXPECT_EQ(ParseDuration("1h30m").value(), std::chrono::seconds(5400));
  EXPECT_FALSE(ParseDuration("5x").ok());
}

// --context-file (NATSS3_CONTEXT_FILE in the package's conffile): a copy of the embedded
// server's context that natss3d's group may read (0640, natss3d's group), in a directory it
// creates 0750 when missing; natss3ctl and natss3fs load it like the data directory's.
TEST(Config, SharedContextFileForTheGroup) {
  const char* argv[] = {"natss3d", "--context-file", "/run/x/ctx.json"};
  auto flag = ParseConfig(3, argv, {});
  ASSERT_TRUE(flag.ok()) << flag.status().ToString();
  EXPECT_EQ(flag->context_file, "/run/x/ctx.json");
  const char* none[] = {"natss3d"};
  auto env = ParseConfig(1, none, {"NATSS3_CONTEXT_FILE=/run/natss3/nats-context.json"});
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->context_file, "/run/natss3/nats-context.json");
  EXPECT_EQ(ParseConfig(1, none, {})->context_file, "");

  std::string dir = ::testing::TempDir() + "/natss3-shared-ctx-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::string path = dir + "/run/nats-context.json";
  EmbeddedAuth auth{"natss3", "pw\"x"};
  ASSERT_TRUE(WriteSharedContext(path, "/var/lib/natss3", "nats://127.0.0.1:5223", auth).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_gid, ::getegid());
  ASSERT_EQ(::stat((dir + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  auto text = ReadSmallFile(path);
  ASSERT_TRUE(text.ok());
  auto ctx = ParseNatsContext(*text, path, ProcessEnv());
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->url, "nats://127.0.0.1:5223");
  EXPECT_EQ(ctx->user, "natss3");
  EXPECT_EQ(ctx->password, "pw\"x");
  // Rewritten at every start (a new port when none is fixed): replaced, mode kept.
  ASSERT_TRUE(WriteSharedContext(path, "/var/lib/natss3", "nats://127.0.0.1:6000", auth).ok());
  ctx = ParseNatsContext(ReadSmallFile(path).value(), path, ProcessEnv());
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->url, "nats://127.0.0.1:6000");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  std::filesystem::remove_all(dir);
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.RequestStarted();
  m.RequestFinished("GetObject", 200, 0.003, 0, 1234);
  std::string text = m.Render();
  EXPECT_NE(text.find("natss3_requests_total{operation=\"GetObject\",status=\"200\"} 1"), std::string::npos);
  EXPECT_NE(text.find("natss3_request_duration_seconds_bucket{operation=\"GetObject\",le=\"0.005\"} 1"), std::string::npos);
  EXPECT_NE(text.find("natss3_bytes_sent_total 1234"), std::string::npos);
  EXPECT_NE(text.find("natss3_requests_in_flight 0"), std::string::npos);
}

TEST(StorageClassTest, ValidatedStoredAndDefaulted) {
  for (const char* known : {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA",
                            "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR",
                            "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE"}) {
    EXPECT_TRUE(ValidateStorageClass(known).ok()) << known;
  }
  for (const char* unknown : {"", "standard", "COLD", "STANDARD "}) {
    S3Status st = ValidateStorageClass(unknown);
    ASSERT_FALSE(st.ok()) << unknown;
    EXPECT_EQ(st.error().code, "InvalidStorageClass");
    EXPECT_EQ(st.error().http_status, 400);
  }
  Headers headers;
  EXPECT_EQ(StorageClassOf(headers), "STANDARD");
  httplib::Request req;
  req.headers.emplace("x-amz-storage-class", "GLACIER_IR");
  ASSERT_TRUE(ApplyStorageClass(req, &headers).ok());
  EXPECT_EQ(StorageClassOf(headers), "GLACIER_IR");
  // STANDARD is not stored (HEAD/GET omit it, as S3 does); no header clears a copied class.
  req.headers.clear();
  req.headers.emplace("x-amz-storage-class", "STANDARD");
  ASSERT_TRUE(ApplyStorageClass(req, &headers).ok());
  EXPECT_TRUE(headers.empty());
  headers[kStorageClassHeader] = {"SNOW"};
  req.headers.clear();
  ASSERT_TRUE(ApplyStorageClass(req, &headers).ok());
  EXPECT_TRUE(headers.empty());
  req.headers.emplace("x-amz-storage-class", "TAPE");
  EXPECT_EQ(ApplyStorageClass(req, &headers).error().code, "InvalidStorageClass");
}

}  // namespace
}  // namespace natss3::s3d

namespace natss3::s3d {
TEST(PartSizes, EncodeDecodeAndSelect) {
  EXPECT_EQ(EncodePartSizes({5, 5, 5, 2}), "5*3,2");
  EXPECT_EQ(EncodePartSizes({1, 2, 2, 1}), "1,2*2,1");
  EXPECT_EQ(EncodePartSizes({7}), "7");
  std::vector<uint64_t> many(10000, 5242880);
  EXPECT_EQ(EncodePartSizes(many), "5242880*10000");
  EXPECT_EQ(DecodePartSizes("5242880*10000"), many);
  EXPECT_EQ(DecodePartSizes("1,2*2,1"), (std::vector<uint64_t>{1, 2, 2, 1}));
  for (const char* bad : {"", "x", "1,", ",1", "1*0", "1*", "5*10001", "1*9999,2*2", "-1"}) {
    EXPECT_FALSE(DecodePartSizes(bad)) << bad;
  }
  EXPECT_EQ(PartCountOfEtag("abc-3"), 3);
  EXPECT_EQ(PartCountOfEtag("abc"), 0);
  EXPECT_EQ(PartCountOfEtag("abc-x"), 0);
  EXPECT_FALSE(ParsePartNumber("0").ok());
  EXPECT_FALSE(ParsePartNumber("10001").ok());
  EXPECT_EQ(ParsePartNumber("10000").value(), 10000);

  ObjectInfo info;
  info.size = 12;
  auto whole = SelectPart(info, 1);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->range.length, 12u);
  EXPECT_EQ(whole->parts_count, 0);
  EXPECT_EQ(SelectPart(info, 2).error().code, "InvalidPartNumber");
  info.meta.headers["Natss3-Etag"] = {"abc-3"};
  EXPECT_EQ(SelectPart(info, 1).error().http_status, 501) << "sizes not recorded";
  info.meta.headers["Natss3-Parts"] = {"5*2,2"};
  auto third = SelectPart(info, 3);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->range.offset, 10u);
  EXPECT_EQ(third->range.length, 2u);
  EXPECT_EQ(third->parts_count, 3);
  EXPECT_EQ(SelectPart(info, 4).error().http_status, 416);
}
}  // namespace natss3::s3d
