// Fuzzes SigV4 presigned-URL (query) verification, and presign-then-verify of fuzzed requests.
//
// Input: byte "expires", byte "age", lines "presigned query", "region", "raw path",
// "extra query" (the part a presigned URL is built on).
#include "auth/sigv4_signer.h"
#include "sigv4_common.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  uint8_t expires_byte = in.Byte();
  uint8_t age_byte = in.Byte();
  std::string presigned(in.Line());
  std::string region = Token(in.Line());
  std::string raw_path(in.Line());
  std::string base_query(in.Line());

  // The fuzzed query as it arrives.
  s3::RequestView request;
  request.method = "GET";
  request.raw_path = raw_path;
  request.raw_query = presigned;
  request.now = ExampleTime() + std::chrono::seconds(age_byte);
  request.headers["host"] = "examplebucket.s3.amazonaws.com";
  auto verified = s3::VerifyRequest(request, Store());
  if (verified.ok() && verified->anonymous) {
    // Only a query without X-Amz-Algorithm / X-Amz-Signature is anonymous.
    FUZZ_CHECK(verified->access_key.empty() && !verified->presigned);
  } else if (verified.ok()) {
    CheckContext(*verified);
    FUZZ_CHECK(verified->presigned);
  }
  std::string query = s3::CanonicalQuery(presigned, true);
  FUZZ_CHECK(s3::CanonicalQuery(query, true) == query);

  // A URL presigned for this request verifies while it has not expired.
  if (region.empty() || HasAmzParam(base_query)) return 0;
  std::chrono::seconds expires(1 + expires_byte * 2371);  // 1 .. 604606
  s3::SigningParams params{kAccessKey, kSecretKey, region, ExampleTime()};
  s3::RequestView signed_request = request;
  signed_request.raw_query = s3::PresignQuery("GET", raw_path, base_query,
                                              "examplebucket.s3.amazonaws.com", expires, params);
  signed_request.now = ExampleTime() + std::chrono::seconds(age_byte);
  auto round_trip = s3::VerifyRequest(signed_request, Store());
  if (std::chrono::seconds(age_byte) > expires) {
    FUZZ_CHECK(!round_trip.ok());
    return 0;
  }
  FUZZ_CHECK(round_trip.ok());
  CheckContext(*round_trip);
  FUZZ_CHECK(round_trip->presigned);
  FUZZ_CHECK(round_trip->region == region);
  FUZZ_CHECK(round_trip->payload_mode == s3::PayloadMode::kUnsigned);
  return 0;
}
