// Fuzzes object-name <-> subject encoding (EncodeObjectName/DecodeObjectName), digest parsing
// and formatting, and the name-length rule against the meta subject it guards.
//
// Input: line "bucket", rest = an object name (also taken as an encoded name and a digest).
#include "fuzz_input.h"
#include "natss3/names.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

namespace {

bool IsUrlBase64(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '=';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  std::string_view bucket = in.Line();
  std::string_view text = in.Rest();

  // Encoding: padded base64url that a NATS subject token can hold, and decodes back.
  std::string encoded = EncodeObjectName(text);
  FUZZ_CHECK(encoded.size() % 4 == 0);
  FUZZ_CHECK(IsUrlBase64(encoded));
  auto decoded = DecodeObjectName(encoded);
  FUZZ_CHECK(decoded.ok() && *decoded == text);
  // Decoding anything: what it accepts re-encodes to a name that decodes the same.
  if (auto any = DecodeObjectName(text); any.ok()) {
    auto again = DecodeObjectName(EncodeObjectName(*any));
    FUZZ_CHECK(again.ok() && *again == *any);
  }

  // Digests: 32 raw bytes in, the same 32 out; parsing anything gives 32 bytes or an error.
  if (text.size() >= 32) {
    std::string raw(text.substr(0, 32));
    auto parsed = ParseDigest(FormatDigest(raw));
    FUZZ_CHECK(parsed.ok() && *parsed == raw);
    auto hex = ParseDigest("SHA-256=" + HexEncode(raw));
    FUZZ_CHECK(hex.ok() && *hex == raw);
  }
  if (auto digest = ParseDigest(text); digest.ok()) FUZZ_CHECK(digest->size() == 32);

  // A name accepted in a bucket has a meta subject within the limit.
  if (ValidateBucketName(bucket).ok() && ValidateObjectName(bucket, text).ok()) {
    FUZZ_CHECK(MetaSubject(bucket, text).size() <= kMaxMetaSubjectLength);
    FUZZ_CHECK(text.size() <= MaxObjectNameLength(bucket));
  }
  return 0;
}
