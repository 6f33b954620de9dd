// GetObjectAttributes: ETag, Checksum, ObjectParts, StorageClass and ObjectSize of an object
// without its body.
#include <strings.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "s3d/object_handlers.h"
#include "s3d/object_headers.h"
#include "s3d/object_parts.h"
#include "s3d/xml.h"

namespace natss3::s3d {

namespace {
std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// x-amz-object-attributes: a comma-separated list (a client may also repeat the header).
S3Result<std::set<std::string>> RequestedAttributes(const httplib::Request& req) {
  static const std::set<std::string> kKnown = {"ETag", "Checksum", "ObjectParts", "StorageClass",
                                               "ObjectSize"};
  std::set<std::string> wanted;
  size_t count = req.get_header_value_count("x-amz-object-attributes");
  for (size_t i = 0; i < count; ++i) {
    std::string header = req.get_header_value("x-amz-object-attributes", i);
    std::string_view value = header;
    while (!value.empty()) {
      size_t comma = value.find(',');
      std::string name = Trim(value.substr(0, comma));
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      if (name.empty()) continue;
      if (!kKnown.count(name)) return S3Error::InvalidArgument("Invalid attribute name specified.");
      wanted.insert(name);
    }
  }
  if (wanted.empty()) {
    return S3Error::InvalidArgument(
        "The x-amz-object-attributes header specifying the attributes to be retrieved is either "
        "missing or empty");
  }
  return wanted;
}

S3Result<int> IntHeader(const httplib::Request& req, const char* name, int fallback, int max) {
  if (!req.has_header(name)) return fallback;
  std::string text = req.get_header_value(name);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return S3Error::InvalidArgument(std::string("Invalid value for header ") + name);
  }
  return std::min(value, max);
}
}  // namespace

S3Status GetObjectAttributes(RequestContext& ctx) {
  auto wanted = RequestedAttributes(ctx.req);
  if (!wanted.ok()) return wanted.error();
  auto max_parts = IntHeader(ctx.req, "x-amz-max-parts", 1000, 1000);
  if (!max_parts.ok()) return max_parts.error();
  auto marker = IntHeader(ctx.req, "x-amz-part-number-marker", 0, 10000);
  if (!marker.ok()) return marker.error();
  auto info = GetObjectInfo(ctx, ctx.address.bucket, ctx.address.key);
  if (!info.ok()) return info.error();

  XmlWriter xml;
  xml.Open("GetObjectAttributesResponse", true);
  if (wanted->count("ETag")) {
    std::string etag = EtagOf(*info);  // quoted in headers, bare here (as S3 answers)
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
      etag = etag.substr(1, etag.size() - 2);
    }
    xml.Element("ETag", etag);
  }
  if (wanted->count("Checksum")) {
    const std::string_view prefix = kChecksumHeaderPrefix;
    bool open = false;
    for (const auto& [name, values] : info->meta.headers) {
      if (name.size() <= prefix.size() || values.empty() ||
          strncasecmp(name.c_str(), prefix.data(), prefix.size()) != 0) {
        continue;
      }
      std::string algorithm = name.substr(prefix.size());
      std::transform(algorithm.begin(), algorithm.end(), algorithm.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (!open) xml.Open("Checksum");
      open = true;
      xml.Element("Checksum" + algorithm, values.front());
    }
    if (open) xml.Close("Checksum");
  }
  int count = PartCountOfEtag(info->Header(kEtagHeader));
  if (wanted->count("ObjectParts") && count > 0) {
    auto sizes = DecodePartSizes(info->Header(kPartsHeader));
    bool known = sizes && sizes->size() == static_cast<size_t>(count);
    xml.Open("ObjectParts");
    xml.Element("PartsCount", static_cast<uint64_t>(count));
    if (known) {
      // Part numbers are those of the completed object: 1..N.
      int first = *marker + 1;
      int last = std::min(count, *marker + *max_parts);
      bool truncated = last < count;
      xml.Element("PartNumberMarker", static_cast<uint64_t>(*marker));
      if (truncated) xml.Element("NextPartNumberMarker", static_cast<uint64_t>(last));
      xml.Element("MaxParts", static_cast<uint64_t>(*max_parts));
      xml.Element("IsTruncated", truncated);
      for (int number = first; number <= last; ++number) {
        xml.Open("Part");
        xml.Element("PartNumber", static_cast<uint64_t>(number));
        xml.Element("Size", (*sizes)[number - 1]);
        xml.Close("Part");
      }
    }
    xml.Close("ObjectParts");
  }
  if (wanted->count("StorageClass"))
    xml.Element("StorageClass", StorageClassOf(info->meta.headers));
  if (wanted->count("ObjectSize")) xml.Element("ObjectSize", info->size);
  xml.Close("GetObjectAttributesResponse");
  ctx.res.set_header("Last-Modified", FormatHttpDate(info->mtime));
  SendXml(ctx.res, 200, xml.Finish());
  return {};
}

}  // namespace natss3::s3d
