// Object header mapping and ETags.
#include "s3d/object_headers.h"

#include <strings.h>

#include <algorithm>
#include <optional>

#include "natss3/ascii.h"
#include "natss3/names.h"
#include "s3d/range.h"
#include "s3d/xml.h"

namespace natss3::s3d {
namespace {
constexpr const char* kContentHeaders[] = {"Content-Type", "Content-Encoding",
                                           "Content-Disposition", "Content-Language",
                                           "Cache-Control", "Expires"};
constexpr std::string_view kMetaPrefix = "x-amz-meta-";
constexpr std::string_view kStoredMetaPrefix = "X-Amz-Meta-";

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}
bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}
std::string Latin1ToUtf8(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One "=?charset?B|Q?text?=" word, decoded to UTF-8; nullopt if malformed or of a charset
// other than UTF-8, ISO-8859-1 or US-ASCII.
std::optional<std::string> DecodeEncodedWord(std::string_view word) {
  if (!word.starts_with("=?") || !word.ends_with("?=") || word.size() < 8) return std::nullopt;
  std::string_view inner = word.substr(2, word.size() - 4);
  size_t q1 = inner.find('?');
  if (q1 == std::string_view::npos || q1 + 2 >= inner.size() || inner[q1 + 2] != '?') {
    return std::nullopt;
  }
  std::string_view charset = inner.substr(0, q1);
  char encoding = static_cast<char>(std::toupper(static_cast<unsigned char>(inner[q1 + 1])));
  std::string_view text = inner.substr(q1 + 3);
  bool utf8 = IEquals(charset, "UTF-8");
  bool latin1 = IEquals(charset, "ISO-8859-1") || IEquals(charset, "US-ASCII");
  if (!utf8 && !latin1) return std::nullopt;
  std::string bytes;
  if (encoding == 'B') {
    auto decoded = Base64Decode(text);
    if (!decoded) return std::nullopt;
    bytes = std::move(*decoded);
  } else if (encoding == 'Q') {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '_') {
        bytes.push_back(' ');
      } else if (text[i] == '=') {
        int hi = i + 1 < text.size() ? HexDigit(text[i + 1]) : -1;
        int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) return std::nullopt;
        bytes.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        bytes.push_back(text[i]);
      }
    }
  } else {
    return std::nullopt;
  }
  if (latin1) return Latin1ToUtf8(bytes);
  if (!IsValidUtf8(bytes)) return std::nullopt;
  return bytes;
}
}  // namespace

std::string DecodeMetadataValue(std::string_view value) {
  // Encoded words separated by linear whitespace (which RFC 2047 drops between them).
  std::string out;
  size_t pos = 0;
  bool any = false;
  while (pos < value.size()) {
    while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
    if (pos == value.size()) break;
    if (!value.substr(pos).starts_with("=?")) return std::string(value);
    // The "?=" that ends a word comes after the charset and encoding markers.
    size_t q = value.find('?', pos + 2);
    size_t end = q == std::string_view::npos ? q : value.find("?=", q + 3);
    if (end == std::string_view::npos) return std::string(value);
    auto word = DecodeEncodedWord(value.substr(pos, end + 2 - pos));
    if (!word) return std::string(value);
    out += *word;
    any = true;
    pos = end + 2;
  }
  return any ? out : std::string(value);
}

std::string EncodeMetadataValue(std::string_view value) {
  bool plain = std::all_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u >= 0x20 && u < 0x7f) || u == '\t';
  });
  if (plain) return std::string(value);
  std::string utf8 = IsValidUtf8(value) ? std::string(value) : Latin1ToUtf8(value);
  return "=?UTF-8?B?" + Base64Encode(utf8) + "?=";
}

std::string FirstHeader(const Headers& headers, std::string_view key) {
  for (const auto& [name, values] : headers) {
    if (IEquals(name, key) && !values.empty()) return values.front();
  }
  return {};
}

void EraseHeader(Headers* headers, std::string_view key) {
  for (auto it = headers->begin(); it != headers->end();) {
    it = IEquals(it->first, key) ? headers->erase(it) : std::next(it);
  }
}

void SetHeader(Headers* headers, const std::string& key, std::string value) {
  EraseHeader(headers, key);
  (*headers)[key] = {std::move(value)};
}

bool AsksForServerSideEncryption(std::string_view lower_name) {
  return lower_name.starts_with("x-amz-server-side-encryption") ||
         lower_name.starts_with("x-amz-copy-source-server-side-encryption");
}

S3Error ServerSideEncryptionNotImplemented() {
  return S3Error::NotImplemented(
      "Server-side encryption is not supported: natss3 would store the object unencrypted. "
      "Encrypt the NATS server's JetStream store at rest instead.");
}

S3Status ValidateStorageClass(std::string_view storage_class) {
  static constexpr std::string_view kClasses[] = {
      "STANDARD",       "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER",        "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "SNOW",
      "EXPRESS_ONEZONE"};
  for (std::string_view known : kClasses) {
    if (storage_class == known) return {};
  }
  return S3Error{"InvalidStorageClass", "The storage class you specified is not valid", 400};
}

std::string StorageClassOf(const Headers& headers) {
  std::string stored = FirstHeader(headers, kStorageClassHeader);
  return stored.empty() ? "STANDARD" : stored;
}

S3Status ApplyStorageClass(const httplib::Request& req, Headers* headers) {
  EraseHeader(headers, kStorageClassHeader);
  if (!req.has_header("x-amz-storage-class")) return {};
  std::string storage_class = req.get_header_value("x-amz-storage-class");
  S3Status valid = ValidateStorageClass(storage_class);
  if (!valid.ok()) return valid;
  if (storage_class != "STANDARD") (*headers)[kStorageClassHeader] = {storage_class};
  return {};
}

std::string EtagOf(std::string_view md5_hex, std::string_view etag_header,
                   std::string_view digest) {
  if (!etag_header.empty()) return "\"" + std::string(etag_header) + "\"";
  if (!md5_hex.empty()) return "\"" + std::string(md5_hex) + "\"";
  if (!digest.empty()) {
    // Not an MD5, so it must not look like one: clients that compare MD5s (rclone, s3cmd,
    // SDK transfer managers) skip ETags with a "-N" suffix, as for multipart uploads, where
    // a bare 32-digit hex value would be reported as corruption.
    auto raw = ParseDigest(digest);
    if (raw.ok() && raw->size() >= 16) return "\"" + HexEncode(raw->substr(0, 16)) + "-1\"";
  }
  return "\"d41d8cd98f00b204e9800998ecf8427e\"";
}

std::string EtagOf(const ObjectInfo& info) {
  return EtagOf(info.Header(kMd5Header), info.Header(kEtagHeader), info.digest);
}

S3Result<Headers> ObjectHeadersFromRequest(const httplib::Request& req) {
  Headers headers;
  for (const char* name : kContentHeaders) {
    if (req.has_header(name)) headers[name] = {req.get_header_value(name)};
  }
  size_t meta_bytes = 0;
  for (const auto& [name, value] : req.headers) {
    if (!IStartsWith(name, kMetaPrefix)) continue;
    std::string suffix = AsciiLower(std::string_view(name).substr(kMetaPrefix.size()));
    std::string stored = DecodeMetadataValue(value);
    meta_bytes += suffix.size() + stored.size();
    headers[std::string(kStoredMetaPrefix) + suffix].push_back(std::move(stored));
  }
  if (meta_bytes > 2048) {
    return S3Error{"MetadataTooLarge",
                   "Your metadata headers exceed the maximum allowed metadata size.", 400};
  }
  S3Status storage_class = ApplyStorageClass(req, &headers);
  if (!storage_class.ok()) return storage_class.error();
  return headers;
}

void CopyBookkeepingHeaders(const Headers& from, Headers* to, bool include_tags) {
  for (const auto& [name, values] : from) {
    bool checksum = IStartsWith(name, kChecksumHeaderPrefix);
    bool tags = include_tags && IEquals(name, kTaggingHeader);
    if (checksum || tags) (*to)[name] = values;
  }
}

void SetObjectResponseHeaders(const ObjectInfo& info, const S3Address& address,
                              bool with_checksums, httplib::Response& res) {
  res.set_header("ETag", EtagOf(info));
  res.set_header("Last-Modified", FormatHttpDate(info.mtime));
  res.set_header("Accept-Ranges", "bytes");
  std::string content_type = info.Header("Content-Type");
  res.set_header("Content-Type", content_type.empty() ? "binary/octet-stream" : content_type);
  for (const char* name : kContentHeaders) {
    if (IEquals(name, "Content-Type")) continue;
    std::string value = info.Header(name);
    if (!value.empty()) res.set_header(name, value);
  }
  for (const auto& [name, values] : info.meta.headers) {
    if (IStartsWith(name, kStoredMetaPrefix) && !values.empty()) {
      res.set_header(std::string(kMetaPrefix) + AsciiLower(name.substr(kStoredMetaPrefix.size())),
                     EncodeMetadataValue(values.front()));
    } else if (with_checksums && IStartsWith(name, kChecksumHeaderPrefix) && !values.empty()) {
      res.set_header("x-amz-checksum-" +
                         AsciiLower(std::string_view(name).substr(std::strlen(kChecksumHeaderPrefix))),
                     values.front());
    }
  }
  std::string storage_class = info.Header(kStorageClassHeader);
  if (!storage_class.empty()) res.set_header("x-amz-storage-class", storage_class);
  std::string tags = info.Header(kTaggingHeader);
  if (!tags.empty()) {
    size_t count = 1;
    for (char c : tags) count += c == '&';
    res.set_header("x-amz-tagging-count", std::to_string(count));
  }
  static const std::pair<const char*, const char*> kOverrides[] = {
      {"response-content-type", "Content-Type"},
      {"response-content-language", "Content-Language"},
      {"response-expires", "Expires"},
      {"response-cache-control", "Cache-Control"},
      {"response-content-disposition", "Content-Disposition"},
      {"response-content-encoding", "Content-Encoding"}};
  for (const auto& [param, header] : kOverrides) {
    if (address.Has(param)) {
      res.headers.erase(header);
      res.set_header(header, address.Get(param));
    }
  }
}

}  // namespace natss3::s3d
