// Checksums: ISA-L CRC-32 and CRC-32C, sliced CRC-64/NVME, OpenSSL EVP for SHA and MD5.
#include "auth/checksums.h"

#include <isa-l/crc.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <bit>
#include <cctype>
#include <climits>
#include <cstring>

#include "natss3/ascii.h"

namespace natss3::s3 {
namespace {

// Digests fetched once: OpenSSL 3 otherwise fetches the implementation from its provider (a
// locked lookup) on every EVP_sha256()-style init, which costs more than hashing a small
// request and serializes the HTTP workers.
const EVP_MD* Fetched(const char* name, const EVP_MD* fallback) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  return md != nullptr ? md : fallback;
}

const EVP_MD* EvpFor(ChecksumAlgorithm algorithm) {
  static const EVP_MD* sha1 = Fetched("SHA1", EVP_sha1());
  static const EVP_MD* sha256 = Fetched("SHA256", EVP_sha256());
  static const EVP_MD* md5 = Fetched("MD5", EVP_md5());
  switch (algorithm) {
    case ChecksumAlgorithm::kSha1: return sha1;
    case ChecksumAlgorithm::kSha256: return sha256;
    case ChecksumAlgorithm::kMd5: return md5;
    default: return nullptr;
  }
}

// CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5, init and xorout all ones), sliced by
// 8: table k holds the CRC of a byte followed by k zero bytes, so eight input bytes are folded
// in with eight independent lookups (ISA-L 2.30 has no CRC of this polynomial).
using Crc64Tables = std::array<std::array<uint64_t, 256>, 8>;
const Crc64Tables& Crc64NvmeTables() {
  static const Crc64Tables tables = [] {
    Crc64Tables t{};
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t crc = i;
      for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x9A6C9329AC4BC9B5ULL : 0);
      t[0][i] = crc;
    }
    for (size_t k = 1; k < 8; ++k) {
      for (size_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFF];
    }
    return t;
  }();
  return tables;
}

std::string BigEndian(uint64_t value, size_t bytes) {
  std::string out(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) out[bytes - 1 - i] = static_cast<char>(value >> (8 * i));
  return out;
}

std::string EvpOneShot(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  std::string n = AsciiLower(name);
  if (n == "crc32") return ChecksumAlgorithm::kCrc32;
  if (n == "crc32c") return ChecksumAlgorithm::kCrc32c;
  if (n == "crc64nvme") return ChecksumAlgorithm::kCrc64Nvme;
  if (n == "sha1") return ChecksumAlgorithm::kSha1;
  if (n == "sha256") return ChecksumAlgorithm::kSha256;
  return std::nullopt;
}

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromHeader(std::string_view header_name) {
  constexpr std::string_view kPrefix = "x-amz-checksum-";
  std::string n = AsciiLower(header_name);
  if (n.size() <= kPrefix.size() || n.compare(0, kPrefix.size(), kPrefix) != 0) return {};
  return ParseChecksumAlgorithm(std::string_view(n).substr(kPrefix.size()));
}

std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return "x-amz-checksum-crc32";
    case ChecksumAlgorithm::kCrc32c: return "x-amz-checksum-crc32c";
    case ChecksumAlgorithm::kCrc64Nvme: return "x-amz-checksum-crc64nvme";
    case ChecksumAlgorithm::kSha1: return "x-amz-checksum-sha1";
    case ChecksumAlgorithm::kSha256: return "x-amz-checksum-sha256";
    case ChecksumAlgorithm::kMd5: return "content-md5";
  }
  return "";
}

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32: return "CRC32";
    case ChecksumAlgorithm::kCrc32c: return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme: return "CRC64NVME";
    case ChecksumAlgorithm::kSha1: return "SHA1";
    case ChecksumAlgorithm::kSha256: return "SHA256";
    case ChecksumAlgorithm::kMd5: return "MD5";
  }
  return "";
}

size_t ChecksumDigestSize(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c: return 4;
    case ChecksumAlgorithm::kCrc64Nvme: return 8;
    case ChecksumAlgorithm::kSha1: return 20;
    case ChecksumAlgorithm::kSha256: return 32;
    case ChecksumAlgorithm::kMd5: return 16;
  }
  return 0;
}

struct Checksum::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Checksum::Checksum(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
  if (const EVP_MD* md = EvpFor(algorithm)) {
    impl_ = std::make_unique<Impl>();
    impl_->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(impl_->ctx, md, nullptr);
  }
}
Checksum::~Checksum() = default;
Checksum::Checksum(Checksum&&) noexcept = default;
Checksum& Checksum::operator=(Checksum&&) noexcept = default;

void Checksum::Update(std::string_view data) {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32: crc_ = Crc32(static_cast<uint32_t>(crc_), data); break;
    case ChecksumAlgorithm::kCrc32c: crc_ = Crc32c(static_cast<uint32_t>(crc_), data); break;
    case ChecksumAlgorithm::kCrc64Nvme: crc_ = Crc64Nvme(crc_, data); break;
    default: EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); break;
  }
}

std::string Checksum::Digest() const {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c: return BigEndian(crc_, 4);
    case ChecksumAlgorithm::kCrc64Nvme: return BigEndian(crc_, 8);
    default: break;
  }
  // Finalise a copy so the running state stays usable.
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, impl_->ctx);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy, out, &len);
  EVP_MD_CTX_free(copy);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Checksum::Hex() const { return HexEncode(Digest()); }
std::string Checksum::Base64Encode(std::string_view raw) { return natss3::Base64Encode(raw); }

std::string Sha256Raw(std::string_view data) { return EvpOneShot(EvpFor(ChecksumAlgorithm::kSha256), data); }
std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256Raw(data)); }
std::string Md5Base64(std::string_view data) {
  return Base64Encode(EvpOneShot(EvpFor(ChecksumAlgorithm::kMd5), data));
}

// RFC 2104 over the fetched SHA-256 with a per-thread context: OpenSSL 3's one-shot HMAC()
// fetches both the MAC and the digest on every call (about 4x slower for SigV4's small inputs).
std::string HmacSha256(std::string_view key, std::string_view data) {
  constexpr size_t kBlock = 64;
  const EVP_MD* md = EvpFor(ChecksumAlgorithm::kSha256);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                           &EVP_MD_CTX_free);
  unsigned char block[kBlock] = {0};
  unsigned int len = 0;
  if (key.size() > kBlock) {
    EVP_Digest(key.data(), key.size(), block, &len, md, nullptr);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[kBlock], inner[EVP_MAX_MD_SIZE], out[EVP_MAX_MD_SIZE];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  EVP_DigestFinal_ex(ctx.get(), inner, &len);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  EVP_DigestUpdate(ctx.get(), pad, kBlock);
  EVP_DigestUpdate(ctx.get(), inner, len);
  EVP_DigestFinal_ex(ctx.get(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}



uint32_t Crc32(uint32_t crc, std::string_view data) {
  // ISA-L's folding CRC-32 (PCLMULQDQ where the CPU has it), the same value as zlib's crc32
  // with the same chaining (it inverts before and after).
  return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

uint32_t Crc32c(uint32_t crc, std::string_view data) {
  // ISA-L's crc32_iscsi neither pre- nor post-inverts: invert around it for standard CRC-32C.
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), INT_MAX);
    crc = ~crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(data.data())),
                       static_cast<int>(n), ~crc);
    data.remove_prefix(n);
  }
  return crc;
}

uint64_t Crc64Nvme(uint64_t crc, std::string_view data) {
  const Crc64Tables& t = Crc64NvmeTables();
  crc = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word = 0;
    std::memcpy(&word, p, 8);
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    crc ^= word;
    crc = t[7][crc & 0xFF] ^ t[6][(crc >> 8) & 0xFF] ^ t[5][(crc >> 16) & 0xFF] ^
          t[4][(crc >> 24) & 0xFF] ^ t[3][(crc >> 32) & 0xFF] ^ t[2][(crc >> 40) & 0xFF] ^
          t[1][(crc >> 48) & 0xFF] ^ t[0][crc >> 56];
  }
  for (; n > 0; --n, ++p) crc = t[0][(crc ^ *p) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace natss3::s3
