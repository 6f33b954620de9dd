// Name rules: bucket validation, base64url object-name encoding, digests, NUIDs.
#include "natss3/names.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <mutex>
#include <random>

namespace natss3 {
namespace {

constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto b = [&](size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8) | b(i + 2);
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    out += kUrlAlphabet[(v >> 6) & 63];
    out += kUrlAlphabet[v & 63];
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = b(i) << 16;
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (b(i) << 16) | (b(i + 1) << 8);
    out += kUrlAlphabet[(v >> 18) & 63];
    out += kUrlAlphabet[(v >> 12) & 63];
    out += kUrlAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Decodes URL or standard alphabet, padded or not.
Result<std::string> Base64AnyDecode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-' || c == '+') v = 62;
    else if (c == '_' || c == '/') v = 63;
    else return InvalidArgument("invalid base64 character");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return InvalidArgument("invalid base64 length");
  return out;
}

}  // namespace

Status ValidateBucketName(std::string_view bucket) {
  if (bucket.empty()) {
    return InvalidArgument("invalid bucket name: empty", Detail::kInvalidBucketName);
  }
  for (char c : bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) {
      return InvalidArgument("invalid bucket name \"" + std::string(bucket) +
                                 "\": only letters, digits, '-' and '_' are allowed",
                             Detail::kInvalidBucketName);
    }
  }
  return Status::OK();
}

std::string EncodeObjectName(std::string_view name) { return Base64UrlEncode(name); }

Result<std::string> DecodeObjectName(std::string_view encoded) {
  return Base64AnyDecode(encoded);
}

std::string MetaSubject(std::string_view bucket, std::string_view name) {
  return "$O." + std::string(bucket) + ".M." + EncodeObjectName(name);
}

std::string ChunkSubject(std::string_view bucket, std::string_view nuid) {
  return "$O." + std::string(bucket) + ".C." + std::string(nuid);
}

std::string StreamName(std::string_view bucket) { return "OBJ_" + std::string(bucket); }

size_t MaxObjectNameLength(std::string_view bucket) {
  size_t fixed = 3 + bucket.size() + 3;  // "$O." bucket ".M."
  if (fixed >= kMaxMetaSubjectLength) return 0;
  return (kMaxMetaSubjectLength - fixed) / 4 * 3;
}

Status ValidateObjectName(std::string_view bucket, std::string_view name) {
  if (name.empty()) return InvalidArgument("object name is required");
  if (name.size() > MaxObjectNameLength(bucket)) {
    return InvalidArgument("object name too long: " + std::to_string(name.size()) +
                               " bytes, at most " + std::to_string(MaxObjectNameLength(bucket)) +
                               " in bucket " + std::string(bucket),
                           Detail::kNameTooLong);
  }
  return Status::OK();
}

std::string FormatDigest(std::string_view sha256_raw) {
  return "SHA-256=" + Base64UrlEncode(sha256_raw);
}

Result<std::string> ParseDigest(std::string_view digest) {
  auto eq = digest.find('=');
  if (eq == std::string_view::npos) return InvalidArgument("digest without algorithm");
  std::string_view algo = digest.substr(0, eq);
  if (algo != "SHA-256" && algo != "sha-256" && algo != "SHA256") {
    return InvalidArgument("unsupported digest algorithm " + std::string(algo));
  }
  std::string_view value = digest.substr(eq + 1);
  if (value.size() == 64) {
    std::string raw;
    bool hex = true;
    for (size_t i = 0; i < 64 && hex; i += 2) {
      auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int h = nib(value[i]), l = nib(value[i + 1]);
      if (h < 0 || l < 0) hex = false;
      else raw += static_cast<char>(h * 16 + l);
    }
    if (hex) return raw;
  }
  auto raw = Base64AnyDecode(value);
  if (!raw.ok()) return raw.status();
  if (raw->size() != 32) return InvalidArgument("digest is not 32 bytes");
  return raw;
}

std::string NewNuid() {
  static constexpr char kDigits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // 12 random prefix characters (re-drawn per process and every 2^32 ids) plus a 10-character
  // sequence, as the NUID scheme does; uniqueness comes from the crypto-random prefix.
  static std::mutex mu;
  static std::string prefix;
  static uint64_t seq = 0, inc = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (prefix.empty() || seq >= 839299365868340224ULL) {  // 62^10
    std::array<unsigned char, 12> rnd{};
    RAND_bytes(rnd.data(), static_cast<int>(rnd.size()));
    prefix.clear();
    for (unsigned char r : rnd) prefix += kDigits[r % 62];
    uint64_t s = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&s), sizeof(s));
    seq = s % 839299365868340224ULL / 2;
    RAND_bytes(reinterpret_cast<unsigned char*>(&inc), sizeof(inc));
    inc = 33 + inc % 300;
  }
  seq += inc;
  std::string out = prefix;
  char tail[10];
  uint64_t v = seq;
  for (int i = 9; i >= 0; --i) {
    tail[i] = kDigits[v % 62];
    v /= 62;
  }
  out.append(tail, 10);
  return out;
}

std::string HexEncode(std::string_view raw) {
  static const char* k = "0123456789abcdef";
  std::string s;
  s.reserve(raw.size() * 2);
  for (unsigned char c : raw) {
    s += k[c >> 4];
    s += k[c & 15];
  }
  return s;
}

std::string Base64Encode(std::string_view raw) {
  if (raw.empty()) return "";
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    bool pad = c == '=' && i >= text.size() - 2 && (i == text.size() - 1 || text.back() == '=');
    if (!alnum && c != '+' && c != '/' && !pad) return std::nullopt;
  }
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t padding = (text.back() == '=') + (text[text.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - padding);  // EVP_DecodeBlock keeps the pad zeros
  return out;
}

size_t Utf8Sequence(std::string_view text, char32_t* code_point) {
  if (text.empty()) return 0;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char b0 = byte(0);
  size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || len > text.size()) return 0;
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return len;
}

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    char32_t cp = 0;
    size_t n = Utf8Sequence(text, &cp);
    if (n == 0) return false;
    text.remove_prefix(n);
  }
  return true;
}

}  // namespace natss3
