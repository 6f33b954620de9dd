// Fuzzes every XML request-body parser (CompleteMultipartUpload, DeleteObjects, Tagging,
// CreateBucketConfiguration) and the x-amz-tagging header, with tag-set round trips.
//
// Input: the request body (also taken as an x-amz-tagging header value).
#include <algorithm>

#include "fuzz_input.h"
#include "s3d/xml.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

namespace {

s3d::TagSet Sorted(s3d::TagSet tags) {
  std::sort(tags.begin(), tags.end());
  return tags;
}

// A tag set accepted once survives being written as XML or as a header and parsed again (as a
// set: the header parser returns tags sorted by key).
void CheckTagRoundTrips(const s3d::TagSet& tags) {
  FUZZ_CHECK(tags.size() <= 10);
  auto from_xml = s3d::ParseTagging(s3d::TaggingXml(tags));
  FUZZ_CHECK(from_xml.ok());
  FUZZ_CHECK(Sorted(*from_xml) == Sorted(tags));
  auto from_header = s3d::ParseTaggingHeader(s3d::FormatTaggingHeader(tags));
  FUZZ_CHECK(from_header.ok());
  FUZZ_CHECK(Sorted(*from_header) == Sorted(tags));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);

  auto parts = s3d::ParseCompleteMultipartUpload(body);
  if (parts.ok()) {
    FUZZ_CHECK(!parts->empty());
    for (const s3d::CompletedPart& part : *parts) {
      FUZZ_CHECK(part.part_number >= 0 && part.part_number <= 99999);
    }
  }

  auto deletes = s3d::ParseDeleteObjects(body);
  if (deletes.ok()) FUZZ_CHECK(!deletes->keys.empty() && deletes->keys.size() <= 1000);

  auto tags = s3d::ParseTagging(body);
  if (tags.ok()) CheckTagRoundTrips(*tags);

  auto header_tags = s3d::ParseTaggingHeader(body);
  if (header_tags.ok()) CheckTagRoundTrips(*header_tags);

  (void)s3d::ParseCreateBucketConfiguration(body);
  return 0;
}
