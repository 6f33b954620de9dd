// Unit tests of names.h and status.h: bucket validation, name encoding, digests, NUIDs.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "core_test_util.h"
#include "natss3/names.h"
#include "natss3/status.h"
#include "natss3/types.h"

namespace natss3 {
namespace {

using coretest::HexToRaw;

TEST(BucketName, RejectsInvalid) {
  for (std::string_view bad : {"a.b", "a b", "\xC3\xA4" /* ä */, "", "a*", "a>", "a/b", "$O"}) {
    Status s = ValidateBucketName(bad);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << "'" << bad << "'";
    EXPECT_FALSE(s.message().empty()) << "'" << bad << "'";
  }
}

TEST(BucketName, AcceptsValid) {
  for (std::string_view good : {"ok-_9", "a", "A", "0", "my_bucket-1", "_", "-"})
    EXPECT_TRUE(ValidateBucketName(good).ok()) << "'" << good << "'";
}

struct NameVector {
  const char* name;
  const char* encoded;
};
// docs/object-store-format.md §2.
const NameVector kVectors[] = {
    {"hello.txt", "aGVsbG8udHh0"},
    {"link", "bGluaw=="},
    {"new-thing.zip", "bmV3LXRoaW5nLnppcA=="},
    {"nats-server.zip", "bmF0cy1zZXJ2ZXIuemlw"},
    {"~~~", "fn5-"},
    {"a>b*c.d", "YT5iKmMuZA=="},
    {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt", "5pel5pys6KqeLnR4dA=="},  // 日本語.txt
    {"dir/\xC3\xBCn\xC3\xAF code.bin", "ZGlyL8O8bsOvIGNvZGUuYmlu"},        // dir/ünï code.bin
    {"?>?", "Pz4_"},
    {"ab", "YWI="},
};

TEST(ObjectName, EncodeVectors) {
  for (const auto& v : kVectors) EXPECT_EQ(EncodeObjectName(v.name), v.encoded) << v.name;
}

TEST(ObjectName, DecodeRoundTrip) {
  for (const auto& v : kVectors) {
    auto d = DecodeObjectName(v.encoded);
    ASSERT_OK(d);
    EXPECT_EQ(*d, v.name);
  }
  // Arbitrary bytes, all lengths mod 3.
  for (size_t n = 0; n < 40; ++n) {
    std::string name = test::RandomBytes(n, n + 1);
    auto d = DecodeObjectName(EncodeObjectName(name));
    ASSERT_OK(d);
    EXPECT_EQ(*d, name);
  }
}

TEST(ObjectName, DecodeAcceptsUnpadded) {
  auto d = DecodeObjectName("bGluaw");
  ASSERT_OK(d);
  EXPECT_EQ(*d, "link");
  auto d2 = DecodeObjectName("YWI");
  ASSERT_OK(d2);
  EXPECT_EQ(*d2, "ab");
}

TEST(ObjectName, DecodeRejectsGarbage) {
  EXPECT_CODE(DecodeObjectName("!!!!"), Code::kInvalidArgument);
  EXPECT_CODE(DecodeObjectName("a b="), Code::kInvalidArgument);
  EXPECT_CODE(DecodeObjectName("a"), Code::kInvalidArgument);  // 1 char cannot be base64
}

TEST(ObjectName, Subjects) {
  EXPECT_EQ(MetaSubject("gobkt", "hello.txt"), "$O.gobkt.M.aGVsbG8udHh0");
  EXPECT_EQ(MetaSubject("b", "link"), "$O.b.M.bGluaw==");
  EXPECT_EQ(ChunkSubject("gobkt", "VSYvy4Iohkr2dDJnGshyu7"), "$O.gobkt.C.VSYvy4Iohkr2dDJnGshyu7");
  EXPECT_EQ(StreamName("test"), "OBJ_test");
}

TEST(ObjectName, EmptyRejected) {
  EXPECT_EQ(ValidateObjectName("b", "").code(), Code::kInvalidArgument);
}

TEST(ObjectName, AnyUtf8Accepted) {
  for (std::string_view n : {"a", "dir/sub/file.txt", "with space", "a>b*c.d", "..", ".",
                             "\xE6\x97\xA5\xE6\x9C\xAC", "trailing/"})
    EXPECT_TRUE(ValidateObjectName("bucket", n).ok()) << n;
}

TEST(ObjectName, LengthLimit) {
  for (std::string bucket : {std::string("b"), std::string("gobkt"), std::string(60, 'x')}) {
    size_t max = MaxObjectNameLength(bucket);
    ASSERT_GT(max, 1000u) << bucket;  // docs/object-store-format.md §2: names of a few KB work
    // Must stay below the 3050-byte point where 2.9.10 closed the connection (docs/object-store-format.md §2).
    EXPECT_LT(max, 3050u) << bucket;
    std::string ok_name(max, 'n');
    EXPECT_TRUE(ValidateObjectName(bucket, ok_name).ok()) << bucket << " len " << max;
    EXPECT_LE(MetaSubject(bucket, ok_name).size(), kMaxMetaSubjectLength);
    Status too_long = ValidateObjectName(bucket, std::string(max + 1, 'n'));
    EXPECT_EQ(too_long.code(), Code::kInvalidArgument) << bucket << " len " << max + 1;
    EXPECT_TRUE(coretest::ContainsNoCase(too_long.message(), "long")) << too_long.ToString();
  }
  // A longer bucket name leaves less room for the object name.
  EXPECT_GT(MaxObjectNameLength("b"), MaxObjectNameLength(std::string(60, 'x')));
}

TEST(ObjectName, LengthLimitCountsUtf8Bytes) {
  size_t max = MaxObjectNameLength("b");
  std::string two_byte;  // "é" is 2 bytes
  while (two_byte.size() + 2 <= max) two_byte += "\xC3\xA9";
  EXPECT_TRUE(ValidateObjectName("b", two_byte).ok());
  EXPECT_FALSE(ValidateObjectName("b", two_byte + "\xC3\xA9\xC3\xA9").ok());
}

const char kEmptyHex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const char kHelloHex[] = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

TEST(Digest, FormatVectors) {
  EXPECT_EQ(FormatDigest(HexToRaw(kEmptyHex)), "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(FormatDigest(HexToRaw(kHelloHex)), "SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek=");
  // Independent check against OpenSSL-based helper.
  EXPECT_EQ(FormatDigest(coretest::Sha256Raw("hello world")),
            coretest::ExpectedDigest("hello world"));
}

TEST(Digest, ParseAcceptsAllReaderForms) {
  const std::string raw = HexToRaw(kHelloHex);
  for (std::string d : {std::string("SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek="),  // url padded
                        std::string("SHA-256=uU0nuZNNPgilLlLX2n2r-sSE7-N6U4DukIj3rOLvzek"),  // url unpadded
                        std::string("SHA-256=uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),  // std padded
                        std::string("SHA-256=uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek"),  // std unpadded
                        std::string("SHA-256=") + kHelloHex}) {                   // hex
    auto p = ParseDigest(d);
    ASSERT_OK(p);
    EXPECT_EQ(*p, raw) << d;
  }
  auto e = ParseDigest("SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=");
  ASSERT_OK(e);
  EXPECT_EQ(*e, HexToRaw(kEmptyHex));
}

TEST(Digest, ParseRejectsGarbage) {
  EXPECT_CODE(ParseDigest("SHA-256=!!!not-base64!!!"), Code::kInvalidArgument);
  EXPECT_CODE(ParseDigest("SHA-256=YWI="), Code::kInvalidArgument);  // 2 bytes, not 32
  EXPECT_CODE(ParseDigest(""), Code::kInvalidArgument);
  EXPECT_CODE(ParseDigest("SHA-256="), Code::kInvalidArgument);
}

TEST(Digest, FormatParseRoundTrip) {
  for (int i = 0; i < 50; ++i) {
    std::string raw = coretest::Sha256Raw(test::RandomBytes(static_cast<size_t>(i), i));
    std::string d = FormatDigest(raw);
    EXPECT_EQ(d.size(), 8u + 44u);
    auto p = ParseDigest(d);
    ASSERT_OK(p);
    EXPECT_EQ(*p, raw);
  }
}

TEST(Hex, Encode) {
  EXPECT_EQ(HexEncode(std::string("\x01\xab\xff\x00", 4)), "01abff00");
  EXPECT_EQ(HexEncode(""), "");
}

bool IsBase62(const std::string& s) {
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  return true;
}

TEST(Nuid, ShapeAndUniqueness) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    std::string n = NewNuid();
    ASSERT_EQ(n.size(), 22u) << n;
    ASSERT_TRUE(IsBase62(n)) << n;
    seen.insert(n);
  }
  EXPECT_EQ(seen.size(), 20000u);
}

TEST(Nuid, UniqueAcrossThreads) {
  std::mutex mu;
  std::set<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      std::vector<std::string> local;
      for (int i = 0; i < 5000; ++i) local.push_back(NewNuid());
      std::lock_guard<std::mutex> l(mu);
      seen.insert(local.begin(), local.end());
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen.size(), 40000u);
}

TEST(StatusType, BasicsAndAnnotate) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.code(), Code::kOk);
  Status nf = NotFound("x");
  EXPECT_FALSE(nf.ok());
  Status a = nf.Annotate("get a");
  EXPECT_EQ(a.code(), Code::kNotFound);
  EXPECT_EQ(a.message(), "get a: x");
  EXPECT_NE(nf.ToString().find("x"), std::string::npos);
  EXPECT_FALSE(CodeName(Code::kDataLoss).empty());
  EXPECT_NE(CodeName(Code::kDataLoss), CodeName(Code::kNotFound));
}

TEST(StatusType, ResultHoldsValueOrError) {
  Result<int> v(5);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  Result<int> e(DataLoss("bad"));
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Code::kDataLoss);
  Result<int> bogus{Status::OK()};  // OK status as error becomes kInternal
  EXPECT_FALSE(bogus.ok());
  EXPECT_EQ(bogus.status().code(), Code::kInternal);
}

TEST(ObjectInfoType, HeaderLookupIsCaseInsensitive) {
  ObjectInfo info;
  info.meta.headers["Content-Type"] = {"text/plain", "x"};
  EXPECT_EQ(info.Header("content-type"), "text/plain");
  EXPECT_EQ(info.Header("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(info.Header("missing"), "");
}

}  // namespace
}  // namespace natss3
