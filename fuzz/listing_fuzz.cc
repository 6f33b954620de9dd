// Fuzzes ListObjects continuation tokens (decode, encode round trips) and listing parameters.
//
// Input: line "token or key", rest = a request query string for ListObjectsV2/V1.
#include "fuzz_input.h"
#include "s3d/listing.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  std::string_view token = in.Line();
  std::string_view query = in.Rest();

  // Any key encodes to a token that decodes back to it.
  auto own = s3d::DecodeContinuationToken(s3d::EncodeContinuationToken(token));
  FUZZ_CHECK(own.ok());
  FUZZ_CHECK(*own == token);
  // A token accepted once names a key whose own token decodes to the same key.
  auto decoded = s3d::DecodeContinuationToken(token);
  if (decoded.ok()) {
    auto again = s3d::DecodeContinuationToken(s3d::EncodeContinuationToken(*decoded));
    FUZZ_CHECK(again.ok() && *again == *decoded);
  }

  auto address = s3d::ParseAddress("/bucket?" + std::string(query), "localhost", "");
  if (!address.ok()) return 0;
  for (bool v2 : {true, false}) {
    auto params = s3d::ParseListParams(*address, v2);
    if (!params.ok()) continue;
    FUZZ_CHECK(params->max_keys <= 1000);
    ListingIndex::Query q = s3d::ToQuery(*params);
    FUZZ_CHECK(q.prefix == params->prefix);
    if (v2) FUZZ_CHECK(q.start_after >= params->start_after);
    ListingIndex::Page page;
    page.truncated = true;
    page.next_start_after = std::string(token);
    ListingIndex::Entry entry;
    entry.name = params->prefix + std::string(token);
    page.entries.push_back(entry);
    std::string xml = s3d::ListObjectsXml("bucket", *params, page);
    FUZZ_CHECK(xml.find("<ListBucketResult") != std::string::npos);
  }
  return 0;
}
