// Checksum tests: standard check values ("123456789") and S3's base64 forms.
#include "auth/checksums.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

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

// CRC-64/NVME one bit at a time: the definition the sliced implementation must match.
uint64_t BitwiseCrc64Nvme(uint64_t crc, std::string_view data) {
  crc = ~crc;
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x9A6C9329AC4BC9B5ULL : 0);
  }
  return ~crc;
}

// The sliced CRC-64 and ISA-L's CRC-32 agree with the bitwise definition and with zlib for every
// length around the 8-byte stride, every alignment, and any chaining.
TEST(ChecksumsTest, FastCrcsMatchTheirReferences) {
  std::mt19937_64 rng(42);
  std::string data(4096 + 64, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t length : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4096}) {
      std::string_view piece(data.data() + offset, length);
      EXPECT_EQ(Crc64Nvme(0, piece), BitwiseCrc64Nvme(0, piece)) << offset << "+" << length;
      EXPECT_EQ(Crc32(0, piece),
                crc32(0, reinterpret_cast<const Bytef*>(piece.data()), static_cast<uInt>(length)))
          << offset << "+" << length;
      size_t cut = length / 3;
      EXPECT_EQ(Crc64Nvme(Crc64Nvme(0, piece.substr(0, cut)), piece.substr(cut)),
                BitwiseCrc64Nvme(0, piece));
      EXPECT_EQ(Crc32(Crc32(0, piece.substr(0, cut)), piece.substr(cut)), Crc32(0, piece));
    }
  }
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
