// Part layout of objects completed from multipart uploads: recorded at Complete in the
// object's meta headers, read back by GetObject/HeadObject ?partNumber= and
// GetObjectAttributes (ObjectParts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "natss3/types.h"
#include "s3d/errors.h"
#include "s3d/range.h"

namespace natss3::s3d {

// Part sizes in part order, as comma-separated runs "<size>" or "<size>*<count>":
// "5242880*3,1024" is three parts of 5 MiB and a last one of 1 KiB. Part n of the object is the
// n-th size (part numbers are renumbered 1..N, as S3 does for partNumber reads).
inline constexpr const char* kPartsHeader = "Natss3-Parts";

std::string EncodePartSizes(const std::vector<uint64_t>& sizes);
// nullopt when malformed, empty, or more than 10000 parts.
std::optional<std::vector<uint64_t>> DecodePartSizes(std::string_view value);

// Number of parts in a multipart ETag ("<hex>-N"), 0 for other ETags.
int PartCountOfEtag(std::string_view etag);

// Parses a partNumber query value: 1..10000, InvalidArgument otherwise.
S3Result<int> ParsePartNumber(std::string_view value);

struct PartSelection {
  ByteRange range;
  int parts_count = 0;  // x-amz-mp-parts-count; 0 for an object not made by multipart upload
};
// The byte range of part `number` of `info`. An object not made by multipart upload is one
// part (partNumber=1 is the whole object). InvalidPartNumber (416) past the last part.
// NotImplemented for a multipart object completed before part sizes were recorded.
S3Result<PartSelection> SelectPart(const ObjectInfo& info, int number);

S3Error InvalidPartNumber();

}  // namespace natss3::s3d
