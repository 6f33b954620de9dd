// Checksum tests: standard check values ("123456789") and S3's base64 forms.
#include "auth/checksums.h"

#include <gtest/gtest.h>

namespace natss3::s3 {
namespace {

TEST(ChecksumsTest, CrcCheckValues) {
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(Crc64Nvme(0, "123456789"), 0xAE8B14860A799888ull);
}

TEST(ChecksumsTest, CrcIsIncremental) {
  EXPECT_EQ(Crc32c(Crc32c(0, "1234"), "56789"), 0xE3069283u);
  EXPECT_EQ(Crc32(Crc32(0, "12345678"), "9"), 0xCBF43926u);
  EXPECT_EQ(Crc64Nvme(Crc64Nvme(0, "1"), "23456789"), 0xAE8B14860A799888ull);
  EXPECT_EQ(Crc32c(0, ""), 0u);
}

TEST(ChecksumsTest, Base64DigestsAsS3SendsThem) {
  // The AWS trailer example: 66560 bytes of 'a' have CRC32C "sOO8/Q==".
  Checksum crc32c(ChecksumAlgorithm::kCrc32c);
  crc32c.Update(std::string(65536, 'a'));
  crc32c.Update(std::string(1024, 'a'));
  EXPECT_EQ(crc32c.Base64(), "sOO8/Q==");

  Checksum crc32(ChecksumAlgorithm::kCrc32);
  crc32.Update("123456789");
  EXPECT_EQ(crc32.Hex(), "cbf43926");  // big-endian digest

  Checksum sha256(ChecksumAlgorithm::kSha256);
  EXPECT_EQ(sha256.Hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha256.Update("abc");
  EXPECT_EQ(sha256.Base64(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  EXPECT_EQ(sha256.Base64(), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");  // repeatable

  Checksum sha1(ChecksumAlgorithm::kSha1);
  sha1.Update("abc");
  EXPECT_EQ(sha1.Hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(ChecksumsTest, Md5AndHmac) {
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(HexEncode(HmacSha256("key", "The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(ChecksumsTest, Base64RoundTripAndStrictDecode) {
  for (std::string raw : {std::string(""), std::string("a"), std::string("ab"),
                          std::string("abc"), std::string("\x00\xff\x10", 3)}) {
    std::optional<std::string> back = Base64Decode(Base64Encode(raw));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, raw);
  }
  EXPECT_FALSE(Base64Decode("abc").has_value());      // length not a multiple of 4
  EXPECT_FALSE(Base64Decode("ab=c").has_value());     // padding in the middle
  EXPECT_FALSE(Base64Decode("a!bc").has_value());     // invalid character
  EXPECT_EQ(Base64Decode("YQ==").value(), "a");
}

TEST(ChecksumsTest, AlgorithmNames) {
  EXPECT_EQ(ParseChecksumAlgorithm("CRC32C"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ParseChecksumAlgorithm("sha256"), ChecksumAlgorithm::kSha256);
  EXPECT_FALSE(ParseChecksumAlgorithm("md5").has_value());
  EXPECT_EQ(ChecksumAlgorithmFromHeader("x-amz-checksum-crc64nvme"),
            ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_FALSE(ChecksumAlgorithmFromHeader("x-amz-checksum-").has_value());
  EXPECT_FALSE(ChecksumAlgorithmFromHeader("x-amz-checksum-algorithm").has_value());
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kSha1), "x-amz-checksum-sha1");
}

TEST(ChecksumsTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace natss3::s3
