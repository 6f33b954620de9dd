// Checksums and encodings of S3 payload integrity: CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256, MD5.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "natss3/names.h"

namespace natss3::s3 {

// The algorithms of the x-amz-checksum-* headers, plus MD5 (Content-MD5 and ETags).
enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256, kMd5 };

// "CRC32", "crc32c", "SHA256", "CRC64NVME", ... (case-insensitive; as in
// x-amz-sdk-checksum-algorithm / x-amz-checksum-algorithm). MD5 is not accepted here.
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);
// "x-amz-checksum-crc32" -> kCrc32 (lower-case header names). MD5 is not accepted here.
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header_name);
// kCrc32 -> "x-amz-checksum-crc32"; kMd5 -> "content-md5".
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm);
// kCrc32 -> "CRC32" (as S3 spells it in XML and x-amz-sdk-checksum-algorithm).
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm);
// Size in bytes of the raw digest (4 for CRC32, 8 for CRC64NVME, 20 SHA-1, 32 SHA-256, 16 MD5).
size_t ChecksumDigestSize(ChecksumAlgorithm algorithm);

// Incremental checksum. Move-only; not thread-safe (one per request).
// Digests of CRCs are big-endian bytes, as S3 base64-encodes them in x-amz-checksum-*.
class Checksum {
 public:
  explicit Checksum(ChecksumAlgorithm algorithm);
  ~Checksum();
  Checksum(Checksum&&) noexcept;
  Checksum& operator=(Checksum&&) noexcept;
  Checksum(const Checksum&) = delete;
  Checksum& operator=(const Checksum&) = delete;

  ChecksumAlgorithm algorithm() const { return algorithm_; }
  void Update(std::string_view data);
  // Raw digest of everything fed so far. Does not reset; may be called repeatedly.
  std::string Digest() const;
  std::string Base64() const { return Base64Encode(Digest()); }
  std::string Hex() const;

  static std::string Base64Encode(std::string_view raw);

 private:
  struct Impl;
  ChecksumAlgorithm algorithm_;
  uint64_t crc_ = 0;            // running CRC state (CRC algorithms)
  std::unique_ptr<Impl> impl_;  // EVP digest context (SHA/MD5 algorithms)
};

// One-shot helpers.
std::string Sha256Raw(std::string_view data);
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Md5Base64(std::string_view data);                         // Content-MD5 value
// Lower-case hex and strict standard base64: the core's (natss3/names.h).
using natss3::Base64Decode;
using natss3::Base64Encode;
using natss3::HexEncode;

// Raw CRC primitives (exposed for tests). `crc` is the previous result (0 to start).
uint32_t Crc32(uint32_t crc, std::string_view data);   // zlib CRC-32 (ISO-HDLC)
uint32_t Crc32c(uint32_t crc, std::string_view data);  // Castagnoli, via ISA-L
uint64_t Crc64Nvme(uint64_t crc, std::string_view data);

// Constant-time equality of two byte strings (false if sizes differ; sizes are not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace natss3::s3
