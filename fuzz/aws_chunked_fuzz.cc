// Fuzzes the aws-chunked decoder in its three modes: raw fuzzed bodies, and encode-then-decode
// round trips (optionally with one byte flipped) through the signer's EncodeAwsChunked.
//
// Input: byte "flags" (mode, round trip, trailer algorithm), byte "slice size", then
//   raw:        lines "x-amz-decoded-content-length", "x-amz-trailer", rest = body;
//   round trip: byte "chunk size", byte "flip position", byte "flip mask", rest = payload.
#include "auth/aws_chunked.h"
#include "auth/sigv4_signer.h"
#include "sigv4_common.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

namespace {

constexpr s3::PayloadMode kModes[] = {s3::PayloadMode::kStreamingSigned,
                                      s3::PayloadMode::kStreamingSignedTrailer,
                                      s3::PayloadMode::kStreamingUnsignedTrailer};
constexpr s3::ChecksumAlgorithm kAlgorithms[] = {
    s3::ChecksumAlgorithm::kCrc32, s3::ChecksumAlgorithm::kCrc32c,
    s3::ChecksumAlgorithm::kCrc64Nvme, s3::ChecksumAlgorithm::kSha1,
    s3::ChecksumAlgorithm::kSha256};

s3::AuthContext Context(s3::PayloadMode mode) {
  s3::AuthContext context;
  context.access_key = kAccessKey;
  context.amz_date = "20130524T000000Z";
  context.region = "us-east-1";
  context.scope = "20130524/us-east-1/s3/aws4_request";
  context.signing_key = s3::DeriveSigningKey(kSecretKey, "20130524", "us-east-1");
  context.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  context.payload_mode = mode;
  return context;
}

struct Outcome {
  s3::S3Status status;
  std::string data;
};

// Feeds `body` in slices of `slice` bytes, then Finish; checks the byte accounting throughout.
Outcome Decode(s3::AwsChunkedDecoder& decoder, std::string_view body, size_t slice) {
  Outcome out;
  auto sink = [&](std::string_view data) {
    out.data.append(data);
    return true;
  };
  for (size_t pos = 0; pos < body.size() && out.status.ok(); pos += slice) {
    out.status = decoder.Feed(body.substr(pos, slice), sink);
    FUZZ_CHECK(out.data.size() == decoder.decoded_bytes());
    FUZZ_CHECK(decoder.decoded_bytes() <= decoder.declared_length());
  }
  if (out.status.ok()) out.status = decoder.Finish();
  if (out.status.ok()) {
    FUZZ_CHECK(decoder.done());
    FUZZ_CHECK(decoder.decoded_bytes() == decoder.declared_length());
  } else {
    // A failed decoder stays failed.
    FUZZ_CHECK(!decoder.Feed("0\r\n\r\n", sink).ok());
    FUZZ_CHECK(!decoder.Finish().ok());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  uint8_t flags = in.Byte();
  uint8_t slice_byte = in.Byte();
  // Slices of 1 to 32 bytes (every split point) or multiples of 32 (fast on big bodies).
  size_t slice = slice_byte < 32 ? slice_byte + 1u : (slice_byte - 31u) * 32u;
  s3::PayloadMode mode = kModes[(flags & 3) % 3];
  s3::ChecksumAlgorithm algorithm = kAlgorithms[((flags >> 3) & 7) % 5];
  bool trailer = mode != s3::PayloadMode::kStreamingSigned;
  s3::AuthContext context = Context(mode);

  if ((flags & 4) == 0) {
    s3::HeaderMap headers;
    headers["x-amz-decoded-content-length"] = std::string(in.Line());
    headers["x-amz-trailer"] = std::string(in.Line());
    auto decoder = s3::AwsChunkedDecoder::Create(context, headers);
    if (!decoder.ok()) return 0;
    std::string_view body = in.Rest();
    Outcome out = Decode(*decoder, body, slice);
    if (out.status.ok() && trailer) FUZZ_CHECK(decoder->trailer_algorithm().has_value());
    // How the body is split into reads does not change the outcome.
    auto whole = s3::AwsChunkedDecoder::Create(context, headers);
    Outcome at_once = Decode(*whole, body, body.size() + 1);
    FUZZ_CHECK(at_once.status.ok() == out.status.ok());
    if (out.status.ok()) {
      FUZZ_CHECK(at_once.data == out.data);
    } else {
      FUZZ_CHECK(at_once.status.error().code == out.status.error().code);
    }
    return 0;
  }

  size_t chunk_size = 1 + in.Byte() * 8;  // 1 .. 2041: a signature per chunk costs
  uint8_t flip_at = in.Byte();
  uint8_t flip_mask = in.Byte();
  std::string payload(in.Rest());
  std::string body = s3::EncodeAwsChunked(payload, chunk_size, mode, context, algorithm);
  if (flip_mask != 0) body[flip_at % body.size()] ^= static_cast<char>(flip_mask);
  s3::HeaderMap headers;
  headers["x-amz-decoded-content-length"] = std::to_string(payload.size());
  headers["x-amz-trailer"] = std::string(s3::ChecksumHeaderName(algorithm));
  auto decoder = s3::AwsChunkedDecoder::Create(context, headers);
  FUZZ_CHECK(decoder.ok());
  Outcome out = Decode(*decoder, body, slice);
  if (flip_mask != 0) return 0;
  FUZZ_CHECK(out.status.ok());
  FUZZ_CHECK(out.data == payload);
  if (trailer) {
    s3::Checksum checksum(algorithm);
    checksum.Update(payload);
    FUZZ_CHECK(decoder->trailer_algorithm() == algorithm);
    FUZZ_CHECK(decoder->trailer_checksum_base64() == checksum.Base64());
  }
  return 0;
}
