// Part layout headers of multipart objects (see object_parts.h).
#include "s3d/object_parts.h"

#include <charconv>

#include "s3d/object_headers.h"

namespace natss3::s3d {

namespace {
constexpr size_t kMaxParts = 10000;

bool ParseUint(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}
}  // namespace

std::string EncodePartSizes(const std::vector<uint64_t>& sizes) {
  std::string out;
  for (size_t i = 0; i < sizes.size();) {
    size_t run = 1;
    while (i + run < sizes.size() && sizes[i + run] == sizes[i]) ++run;
    if (!out.empty()) out += ',';
    out += std::to_string(sizes[i]);
    if (run > 1) out += "*" + std::to_string(run);
    i += run;
  }
  return out;
}

std::optional<std::vector<uint64_t>> DecodePartSizes(std::string_view value) {
  std::vector<uint64_t> sizes;
  if (value.empty()) return std::nullopt;
  for (bool more = true; more;) {
    size_t comma = value.find(',');
    std::string_view run = value.substr(0, comma);
    more = comma != std::string_view::npos;
    value = more ? value.substr(comma + 1) : std::string_view();
    size_t star = run.find('*');
    uint64_t size = 0, count = 1;
    if (!ParseUint(run.substr(0, star), &size)) return std::nullopt;
    if (star != std::string_view::npos &&
        (!ParseUint(run.substr(star + 1), &count) || count == 0)) {
      return std::nullopt;
    }
    if (count > kMaxParts - sizes.size()) return std::nullopt;
    sizes.insert(sizes.end(), count, size);
  }
  if (sizes.empty()) return std::nullopt;
  return sizes;
}

int PartCountOfEtag(std::string_view etag) {
  size_t dash = etag.rfind('-');
  if (dash == std::string_view::npos) return 0;
  uint64_t count = 0;
  if (!ParseUint(etag.substr(dash + 1), &count) || count == 0 || count > kMaxParts) return 0;
  return static_cast<int>(count);
}

S3Error InvalidPartNumber() {
  return {"InvalidPartNumber", "The requested partnumber is not satisfiable", 416};
}

S3Result<int> ParsePartNumber(std::string_view value) {
  uint64_t number = 0;
  if (!ParseUint(value, &number) || number < 1 || number > kMaxParts) {
    return S3Error::InvalidArgument(
        "Part number must be an integer between 1 and 10000, inclusive");
  }
  return static_cast<int>(number);
}

S3Result<PartSelection> SelectPart(const ObjectInfo& info, int number) {
  std::string multipart_etag = info.Header(kEtagHeader);
  int count = PartCountOfEtag(multipart_etag);
  if (count == 0) {
    // Written in one piece: it is its own single part.
    if (number != 1) return InvalidPartNumber();
    return PartSelection{{0, info.size}, 0};
  }
  auto sizes = DecodePartSizes(info.Header(kPartsHeader));
  if (!sizes || sizes->size() != static_cast<size_t>(count)) {
    return S3Error{"NotImplemented",
                   "The part sizes of this object were not recorded (it was completed by an "
                   "older natss3); read it with a Range instead",
                   501};
  }
  if (number > count) return InvalidPartNumber();
  uint64_t offset = 0;
  for (int i = 0; i + 1 < number; ++i) offset += (*sizes)[i];
  uint64_t length = (*sizes)[number - 1];
  if (offset + length > info.size) {
    return S3Error{"InternalError", "The recorded part sizes do not match the object's size", 500};
  }
  return PartSelection{{offset, length}, count};
}

}  // namespace natss3::s3d
