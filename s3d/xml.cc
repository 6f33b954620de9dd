// XML writer and request-body parsers (pugixml).
#include "s3d/xml.h"

#include "natss3/names.h"

#include <pugixml.hpp>

#include <algorithm>
#include <ctime>
#include <set>

#include "s3d/routing.h"

namespace natss3::s3d {

XmlWriter::XmlWriter() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

void XmlWriter::Open(std::string_view tag, bool with_namespace) {
  out_ += '<';
  out_ += tag;
  if (with_namespace) {
    out_ += " xmlns=\"";
    out_ += kS3Namespace;
    out_ += '"';
  }
  out_ += '>';
}

void XmlWriter::Close(std::string_view tag) {
  out_ += "</";
  out_ += tag;
  out_ += '>';
}

void XmlWriter::Element(std::string_view tag, std::string_view text) {
  Open(tag);
  out_ += XmlEscape(text);
  Close(tag);
}

void XmlWriter::Element(std::string_view tag, uint64_t value) {
  Element(tag, std::string_view(std::to_string(value)));
}

namespace {
bool XmlChar(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}
}  // namespace

bool XmlRepresentable(std::string_view text) {
  while (!text.empty()) {
    char32_t cp = 0;
    size_t n = Utf8Sequence(text, &cp);
    if (n == 0 || !XmlChar(cp)) return false;
    text.remove_prefix(n);
  }
  return true;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t cp = 0;
    size_t n = Utf8Sequence(text, &cp);
    if (n == 0 || !XmlChar(cp)) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      text.remove_prefix(n == 0 ? 1 : n);
      continue;
    }
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      default: out.append(text.data(), n);
    }
    text.remove_prefix(n);
  }
  return out;
}

std::string FormatIso8601(TimePoint time) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  if (ms < 0) ms = 0;
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

namespace {
S3Result<pugi::xml_document*> Load(pugi::xml_document& doc, std::string_view body,
                                   unsigned options = pugi::parse_default) {
  if (body.empty()) return S3Error::MalformedXML();
  pugi::xml_parse_result parsed = doc.load_buffer(body.data(), body.size(), options);
  if (!parsed) return S3Error::MalformedXML();
  return &doc;
}

std::string Trimmed(const char* text) {
  std::string_view v(text);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  return std::string(v);
}

std::string Unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return etag;
}
}  // namespace

S3Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view body) {
  pugi::xml_document doc;
  auto loaded = Load(doc, body);
  if (!loaded.ok()) return loaded.error();
  pugi::xml_node root = doc.child("CompleteMultipartUpload");
  if (!root) return S3Error::MalformedXML();
  std::vector<CompletedPart> parts;
  for (pugi::xml_node part : root.children("Part")) {
    pugi::xml_node number = part.child("PartNumber");
    pugi::xml_node etag = part.child("ETag");
    if (!number || !etag) return S3Error::MalformedXML();
    std::string text = Trimmed(number.child_value());
    if (text.empty() || text.size() > 5 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return S3Error::MalformedXML();
    }
    parts.push_back({std::stoi(text), Unquote(Trimmed(etag.child_value()))});
  }
  if (parts.empty()) return S3Error::MalformedXML();
  return parts;
}

S3Result<DeleteRequest> ParseDeleteObjects(std::string_view body) {
  pugi::xml_document doc;
  // Keys are taken as written: pugixml drops whitespace-only text by default, which turned the
  // key " " into "".
  auto loaded = Load(doc, body, pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!loaded.ok()) return loaded.error();
  pugi::xml_node root = doc.child("Delete");
  if (!root) return S3Error::MalformedXML();
  DeleteRequest request;
  request.quiet = Trimmed(root.child("Quiet").child_value()) == "true";
  for (pugi::xml_node object : root.children("Object")) {
    pugi::xml_node key = object.child("Key");
    if (!key) return S3Error::MalformedXML();
    request.keys.emplace_back(key.child_value());
    pugi::xml_node version = object.child("VersionId");
    request.version_ids.push_back(version ? std::optional<std::string>(Trimmed(version.child_value()))
                                          : std::nullopt);
  }
  if (request.keys.empty() || request.keys.size() > 1000) return S3Error::MalformedXML();
  return request;
}

namespace {
// XML 1.0 cannot carry C0 controls other than tab, LF and CR, nor malformed UTF-8: a tag
// holding one (%00 or %FF in x-amz-tagging) would be stored but come back from
// GetObjectTagging altered or as a document no client could read.
bool XmlSafe(std::string_view text) { return XmlRepresentable(text); }

S3Status ValidateTags(const TagSet& tags) {
  if (tags.size() > 10) return S3Error::InvalidArgument("Object tags cannot be greater than 10");
  std::set<std::string> seen;
  for (const auto& [key, value] : tags) {
    if (key.empty() || key.size() > 128 || !XmlSafe(key))
      return S3Error::InvalidArgument("The TagKey you have provided is invalid");
    if (value.size() > 256 || !XmlSafe(value))
      return S3Error::InvalidArgument("The TagValue you have provided is invalid");
    if (!seen.insert(key).second)
      return S3Error::InvalidArgument("Cannot provide multiple Tags with the same key");
  }
  return {};
}
}  // namespace

S3Result<TagSet> ParseTagging(std::string_view body) {
  pugi::xml_document doc;
  // As for DeleteObjects: whitespace-only keys and values (" ") are kept, not read as "".
  auto loaded = Load(doc, body, pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!loaded.ok()) return loaded.error();
  pugi::xml_node set = doc.child("Tagging").child("TagSet");
  if (!set) return S3Error::MalformedXML();
  TagSet tags;
  for (pugi::xml_node tag : set.children("Tag")) {
    if (!tag.child("Key")) return S3Error::MalformedXML();
    tags.emplace_back(tag.child("Key").child_value(), tag.child("Value").child_value());
  }
  S3Status valid = ValidateTags(tags);
  if (!valid.ok()) return valid.error();
  return tags;
}

std::string TaggingXml(const TagSet& tags) {
  XmlWriter xml;
  xml.Open("Tagging", true);
  xml.Open("TagSet");
  for (const auto& [key, value] : tags) {
    xml.Open("Tag");
    xml.Element("Key", key);
    xml.Element("Value", value);
    xml.Close("Tag");
  }
  xml.Close("TagSet");
  xml.Close("Tagging");
  return xml.Finish();
}

S3Result<TagSet> ParseTaggingHeader(std::string_view header) {
  TagSet tags;
  for (const auto& [key, value] : ParseQuery(header)) tags.emplace_back(key, value);
  S3Status valid = ValidateTags(tags);
  if (!valid.ok()) return valid.error();
  return tags;
}

std::string FormatTaggingHeader(const TagSet& tags) {
  std::string out;
  for (const auto& [key, value] : tags) {
    if (!out.empty()) out += '&';
    out += UriEncode(key, true) + "=" + UriEncode(value, true);
  }
  return out;
}

S3Result<std::string> ParseCreateBucketConfiguration(std::string_view body) {
  bool blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) return std::string();
  pugi::xml_document doc;
  auto loaded = Load(doc, body);
  if (!loaded.ok()) return loaded.error();
  pugi::xml_node root = doc.child("CreateBucketConfiguration");
  if (!root) return S3Error::MalformedXML();
  return Trimmed(root.child("LocationConstraint").child_value());
}

S3Result<VersioningRequest> ParseVersioningConfiguration(std::string_view body) {
  pugi::xml_document doc;
  auto loaded = Load(doc, body);
  if (!loaded.ok()) return loaded.error();
  pugi::xml_node root = doc.child("VersioningConfiguration");
  if (!root) return S3Error::MalformedXML();
  VersioningRequest request;
  request.status = Trimmed(root.child("Status").child_value());
  request.mfa_delete = Trimmed(root.child("MfaDelete").child_value());
  if (request.status != "Enabled" && request.status != "Suspended") return S3Error::MalformedXML();
  if (!request.mfa_delete.empty() && request.mfa_delete != "Enabled" &&
      request.mfa_delete != "Disabled") {
    return S3Error::MalformedXML();
  }
  return request;
}

}  // namespace natss3::s3d
