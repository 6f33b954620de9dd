// Listing parameters and XML.
#include "s3d/listing.h"

#include "s3d/object_headers.h"
#include "s3d/xml.h"

namespace natss3::s3d {
namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(std::string_view raw) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kB64[(buffer << (6 - bits)) & 63]);
  return out;
}

bool FromBase64Url(std::string_view text, std::string* out) {
  uint32_t buffer = 0;
  int bits = 0;
  out->clear();
  for (char c : text) {
    const char* pos = std::strchr(kB64, c);
    if (c == '\0' || pos == nullptr) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(pos - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

std::string MaybeEncode(const ListParams& params, std::string_view value) {
  return params.url_encoding ? UriEncode(value, false) : std::string(value);
}
}  // namespace

std::string EncodeContinuationToken(std::string_view start_after) {
  return "n3" + Base64Url(start_after);
}

S3Result<std::string> DecodeContinuationToken(std::string_view token) {
  std::string decoded;
  if (!token.starts_with("n3") || !FromBase64Url(token.substr(2), &decoded)) {
    return S3Error::InvalidArgument("The continuation token provided is incorrect");
  }
  return decoded;
}

namespace {
// max-keys and encoding-type, shared by the object and version listings.
S3Status ParseCommonListParams(const S3Address& a, size_t* max_keys, bool* url_encoding) {
  if (a.Has("max-keys")) {
    std::string text = a.Get("max-keys");
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
      return S3Error::InvalidArgument("Provided max-keys not an integer or within integer range");
    }
    *max_keys = std::min<size_t>(std::stoul(text), 1000);
  }
  if (a.Has("encoding-type")) {
    if (a.Get("encoding-type") != "url")
      return S3Error::InvalidArgument("Invalid Encoding Method specified in Request");
    *url_encoding = true;
  }
  return {};
}
}  // namespace

S3Result<ListParams> ParseListParams(const S3Address& a, bool v2) {
  ListParams params;
  params.v2 = v2;
  params.prefix = a.Get("prefix");
  params.delimiter = a.Get("delimiter");
  S3Status common = ParseCommonListParams(a, &params.max_keys, &params.url_encoding);
  if (!common.ok()) return common.error();
  params.marker = a.Get("marker");
  params.start_after = a.Get("start-after");
  params.fetch_owner = a.Get("fetch-owner") == "true";
  // An empty token is a first page, as S3 answers it (SDKs send one when a loop starts with "").
  if (v2 && !a.Get("continuation-token").empty()) {
    params.continuation_token = a.Get("continuation-token");
    auto decoded = DecodeContinuationToken(params.continuation_token);
    if (!decoded.ok()) return decoded.error();
  }
  return params;
}

ListingIndex::Query ToQuery(const ListParams& params) {
  ListingIndex::Query query;
  query.prefix = params.prefix;
  query.delimiter = params.delimiter;
  query.max_entries = params.max_keys;
  if (params.v2) {
    query.start_after = params.start_after;
    if (!params.continuation_token.empty()) {
      auto decoded = DecodeContinuationToken(params.continuation_token);
      if (decoded.ok() && *decoded > query.start_after) query.start_after = *decoded;
    }
  } else {
    query.start_after = params.marker;
  }
  return query;
}

std::string ListObjectsXml(const std::string& bucket, const ListParams& requested,
                           const ListingIndex::Page& page) {
  // A key XML 1.0 cannot carry (control characters) would break every client's parser: such
  // a page is sent URL-encoded, and says so (EncodingType), as if the client had asked.
  ListParams params = requested;
  if (!params.url_encoding) {
    bool representable = XmlRepresentable(params.prefix) && XmlRepresentable(params.delimiter) &&
                         XmlRepresentable(params.start_after) && XmlRepresentable(params.marker);
    for (const auto& e : page.entries) representable = representable && XmlRepresentable(e.name);
    for (const auto& p : page.common_prefixes) representable = representable && XmlRepresentable(p);
    params.url_encoding = !representable;
  }
  XmlWriter xml;
  xml.Open("ListBucketResult", true);
  xml.Element("Name", bucket);
  xml.Element("Prefix", MaybeEncode(params, params.prefix));
  if (params.v2) {
    if (!params.start_after.empty()) xml.Element("StartAfter", MaybeEncode(params, params.start_after));
    if (!params.continuation_token.empty()) xml.Element("ContinuationToken", params.continuation_token);
    if (page.truncated) xml.Element("NextContinuationToken", EncodeContinuationToken(page.next_start_after));
    xml.Element("KeyCount", static_cast<uint64_t>(page.entries.size() + page.common_prefixes.size()));
  } else {
    xml.Element("Marker", MaybeEncode(params, params.marker));
    if (page.truncated) xml.Element("NextMarker", MaybeEncode(params, page.next_start_after));
  }
  xml.Element("MaxKeys", static_cast<uint64_t>(params.max_keys));
  if (!params.delimiter.empty()) xml.Element("Delimiter", MaybeEncode(params, params.delimiter));
  if (params.url_encoding) xml.Element("EncodingType", "url");
  xml.Element("IsTruncated", page.truncated);
  for (const ListingIndex::Entry& entry : page.entries) {
    xml.Open("Contents");
    xml.Element("Key", MaybeEncode(params, entry.name));
    xml.Element("LastModified", FormatIso8601(entry.mtime));
    xml.Element("ETag", EtagOf(entry.md5_hex, entry.etag, entry.digest));
    xml.Element("Size", entry.size);
    if (!params.v2 || params.fetch_owner) {
      xml.Open("Owner");
      xml.Element("ID", kOwnerId);
      xml.Element("DisplayName", kOwnerName);
      xml.Close("Owner");
    }
    xml.Element("StorageClass", StorageClassOf(entry.headers));
    xml.Close("Contents");
  }
  for (const std::string& prefix : page.common_prefixes) {
    xml.Open("CommonPrefixes");
    xml.Element("Prefix", MaybeEncode(params, prefix));
    xml.Close("CommonPrefixes");
  }
  xml.Close("ListBucketResult");
  return xml.Finish();
}

S3Result<VersionListParams> ParseVersionListParams(const S3Address& a) {
  VersionListParams params;
  params.prefix = a.Get("prefix");
  params.delimiter = a.Get("delimiter");
  S3Status common = ParseCommonListParams(a, &params.max_keys, &params.url_encoding);
  if (!common.ok()) return common.error();
  params.key_marker = a.Get("key-marker");
  params.version_id_marker = a.Get("version-id-marker");
  if (!params.version_id_marker.empty()) {
    if (params.key_marker.empty()) {
      return S3Error::InvalidArgument(
          "A version-id marker cannot be specified without a key marker.");
    }
    if (params.version_id_marker != "null")
      return S3Error::InvalidArgument("Invalid version id specified");
  }
  return params;
}

ListingIndex::Query ToQuery(const VersionListParams& params) {
  ListingIndex::Query query;
  query.prefix = params.prefix;
  query.delimiter = params.delimiter;
  query.max_entries = params.max_keys;
  // A key's only version is "null": after that version is after the key.
  query.start_after = params.key_marker;
  return query;
}

std::string ListVersionsXml(const std::string& bucket, const VersionListParams& requested,
                            const ListingIndex::Page& page) {
  VersionListParams params = requested;
  if (!params.url_encoding) {
    bool representable = XmlRepresentable(params.prefix) && XmlRepresentable(params.delimiter) &&
                         XmlRepresentable(params.key_marker);
    for (const auto& e : page.entries) representable = representable && XmlRepresentable(e.name);
    for (const auto& p : page.common_prefixes) representable = representable && XmlRepresentable(p);
    params.url_encoding = !representable;
  }
  auto encode = [&](std::string_view value) {
    return params.url_encoding ? UriEncode(value, false) : std::string(value);
  };
  XmlWriter xml;
  xml.Open("ListVersionsResult", true);
  xml.Element("Name", bucket);
  xml.Element("Prefix", encode(params.prefix));
  xml.Element("KeyMarker", encode(params.key_marker));
  xml.Element("VersionIdMarker", params.version_id_marker);
  if (page.truncated) {
    xml.Element("NextKeyMarker", encode(page.next_start_after));
    // Resuming after a common prefix needs no version marker.
    if (!page.entries.empty() && page.entries.back().name == page.next_start_after) {
      xml.Element("NextVersionIdMarker", "null");
    }
  }
  xml.Element("MaxKeys", static_cast<uint64_t>(params.max_keys));
  if (!params.delimiter.empty()) xml.Element("Delimiter", encode(params.delimiter));
  if (params.url_encoding) xml.Element("EncodingType", "url");
  xml.Element("IsTruncated", page.truncated);
  for (const ListingIndex::Entry& entry : page.entries) {
    xml.Open("Version");
    xml.Element("Key", encode(entry.name));
    xml.Element("VersionId", "null");
    xml.Element("IsLatest", true);
    xml.Element("LastModified", FormatIso8601(entry.mtime));
    xml.Element("ETag", EtagOf(entry.md5_hex, entry.etag, entry.digest));
    xml.Element("Size", entry.size);
    xml.Open("Owner");
    xml.Element("ID", kOwnerId);
    xml.Element("DisplayName", kOwnerName);
    xml.Close("Owner");
    xml.Element("StorageClass", "STANDARD");
    xml.Close("Version");
  }
  for (const std::string& prefix : page.common_prefixes) {
    xml.Open("CommonPrefixes");
    xml.Element("Prefix", encode(prefix));
    xml.Close("CommonPrefixes");
  }
  xml.Close("ListVersionsResult");
  return xml.Finish();
}

std::string ListBucketsXml(const std::vector<BucketStatus>& buckets) {
  XmlWriter xml;
  xml.Open("ListAllMyBucketsResult", true);
  xml.Open("Owner");
  xml.Element("ID", kOwnerId);
  xml.Element("DisplayName", kOwnerName);
  xml.Close("Owner");
  xml.Open("Buckets");
  for (const BucketStatus& bucket : buckets) {
    xml.Open("Bucket");
    xml.Element("Name", bucket.bucket);
    xml.Element("CreationDate", FormatIso8601(bucket.created));
    xml.Close("Bucket");
  }
  xml.Close("Buckets");
  xml.Close("ListAllMyBucketsResult");
  return xml.Finish();
}

}  // namespace natss3::s3d
