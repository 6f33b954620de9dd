// Object header mapping and ETags.
#include "s3d/object_headers.h"

#include <strings.h>

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
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

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

ApiStatus ValidateStorageClass(std::string_view storage_class) {
  static constexpr std::string_view kClasses[] = {
      "STANDARD",       "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
      "GLACIER",        "DEEP_ARCHIVE",       "GLACIER_IR",  "OUTPOSTS",   "SNOW",
      "EXPRESS_ONEZONE"};
  for (std::string_view known : kClasses) {
    if (storage_class == known) return {};
  }
  return ApiError{"InvalidStorageClass", "The storage class you specified is not valid", 400};
}

std::string StorageClassOf(const Headers& headers) {
  std::string stored = FirstHeader(headers, kStorageClassHeader);
  return stored.empty() ? "STANDARD" : stored;
}

ApiStatus ApplyStorageClass(const httplib::Request& req, Headers* headers) {
  EraseHeader(headers, kStorageClassHeader);
  if (!req.has_header("x-amz-storage-class")) return {};
  std::string storage_class = req.get_header_value("x-amz-storage-class");
  ApiStatus valid = ValidateStorageClass(storage_class);
  if (!valid.ok()) return valid;
  if (storage_class != "STANDARD") (*headers)[kStorageClassHeader] = {storage_class};
  return {};
}

std::string EtagOf(std::string_view md5_hex, std::string_view etag_header,
                   std::string_view digest) {
  if (!etag_header.empty()) return "\"" + std::string(etag_header) + "\"";
  if (!md5_hex.empty()) return "\"" + std::string(md5_hex) + "\"";
  if (!digest.empty()) {
    auto raw = ParseDigest(digest);
    if (raw.ok() && raw->size() >= 16) return "\"" + HexEncode(raw->substr(0, 16)) + "\"";
  }
  return "\"d41d8cd98f00b204e9800998ecf8427e\"";
}

std::string EtagOf(const ObjectInfo& info) {
  return EtagOf(info.Header(kMd5Header), info.Header(kEtagHeader), info.digest);
}

ApiResult<Headers> ObjectHeadersFromRequest(const httplib::Request& req) {
  Headers headers;
  for (const char* name : kContentHeaders) {
    if (req.has_header(name)) headers[name] = {req.get_header_value(name)};
  }
  size_t meta_bytes = 0;
  for (const auto& [name, value] : req.headers) {
    if (!IStartsWith(name, kMetaPrefix)) continue;
    std::string suffix = Lower(std::string_view(name).substr(kMetaPrefix.size()));
    meta_bytes += suffix.size() + value.size();
    headers[std::string(kStoredMetaPrefix) + suffix].push_back(value);
  }
  if (meta_bytes > 2048) {
    return ApiError{"MetadataTooLarge",
                    "Your metadata headers exceed the maximum allowed metadata size.", 400};
  }
  ApiStatus storage_class = ApplyStorageClass(req, &headers);
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
      res.set_header(std::string(kMetaPrefix) + Lower(name.substr(kStoredMetaPrefix.size())),
                     values.front());
    } else if (with_checksums && IStartsWith(name, kChecksumHeaderPrefix) && !values.empty()) {
      res.set_header("x-amz-checksum-" +
                         Lower(std::string_view(name).substr(std::strlen(kChecksumHeaderPrefix))),
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
