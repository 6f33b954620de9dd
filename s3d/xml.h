// S3 XML: a small writer for responses and pugixml-based parsers for request bodies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "natss3/types.h"
#include "s3d/errors.h"

namespace natss3::s3d {

inline constexpr const char* kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

// Appends escaped XML. Not thread-safe; one per response.
class XmlWriter {
 public:
  XmlWriter();
  // Opens an element; the first one written gets the S3 xmlns when `with_namespace`.
  void Open(std::string_view tag, bool with_namespace = false);
  void Close(std::string_view tag);
  void Element(std::string_view tag, std::string_view text);
  void Element(std::string_view tag, uint64_t value);
  void Element(std::string_view tag, bool value) { Element(tag, value ? "true" : "false"); }
  void Element(std::string_view tag, const char* text) { Element(tag, std::string_view(text)); }
  std::string Finish() { return std::move(out_); }

 private:
  std::string out_;
};

// Escapes for XML 1.0 text. Characters XML 1.0 cannot carry at all, not even as references
// (controls other than tab, LF and CR; U+FFFE/U+FFFF; malformed UTF-8 from foreign writers),
// become U+FFFD, so every parser (Go, Python, Java) accepts the document; CR is written &#13;.
std::string XmlEscape(std::string_view text);
// Whether XmlEscape keeps `text` intact (listings switch to URL encoding when not).
bool XmlRepresentable(std::string_view text);
// 2006-02-03T16:45:09.000Z
std::string FormatIso8601(TimePoint time);

// <CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>...</CompleteMultipartUpload>
struct CompletedPart {
  int part_number = 0;
  std::string etag;  // unquoted
};
S3Result<std::vector<CompletedPart>> ParseCompleteMultipartUpload(std::string_view body);

// <Delete><Quiet/><Object><Key/></Object>...</Delete> (at most 1000 objects).
// <Object><Key/><VersionId/></Object>: version_ids[i] is the VersionId of keys[i], if given.
struct DeleteRequest {
  bool quiet = false;
  std::vector<std::string> keys;
  std::vector<std::optional<std::string>> version_ids;
};
S3Result<DeleteRequest> ParseDeleteObjects(std::string_view body);

// <Tagging><TagSet><Tag><Key/><Value/></Tag>...</TagSet></Tagging> (at most 10 tags).
using TagSet = std::vector<std::pair<std::string, std::string>>;
S3Result<TagSet> ParseTagging(std::string_view body);
std::string TaggingXml(const TagSet& tags);
// Tags as the x-amz-tagging header carries them: URL-encoded query syntax.
S3Result<TagSet> ParseTaggingHeader(std::string_view header);
std::string FormatTaggingHeader(const TagSet& tags);

// <CreateBucketConfiguration><LocationConstraint/></...>; empty body is fine.
// The LocationConstraint of a CreateBucket body ("" when the body is empty or names none).
S3Result<std::string> ParseCreateBucketConfiguration(std::string_view body);

// <VersioningConfiguration><Status/><MfaDelete/></...>: Status must be Enabled or Suspended
// (MalformedXML otherwise). `mfa_delete` is "" when absent.
struct VersioningRequest {
  std::string status;
  std::string mfa_delete;
};
S3Result<VersioningRequest> ParseVersioningConfiguration(std::string_view body);

}  // namespace natss3::s3d
