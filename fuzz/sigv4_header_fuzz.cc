// Fuzzes SigV4 Authorization-header verification, and sign-then-verify of fuzzed requests.
//
// Input: lines "authorization", "x-amz-date", "x-amz-content-sha256", "date", "region",
// "raw path", "raw query", then "name:value" headers (an empty line: header absent).
#include <map>

#include "auth/sigv4_signer.h"
#include "sigv4_common.h"

using namespace natss3;        // NOLINT
using namespace natss3::fuzz;  // NOLINT

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  std::string authorization(in.Line());
  std::string amz_date(in.Line());
  std::string content_sha(in.Line());
  std::string date(in.Line());
  std::string region = Token(in.Line());
  std::string raw_path(in.Line());
  std::string raw_query(in.Line());
  s3::HeaderMap extra;
  while (!in.empty()) {
    std::string_view line = in.Line();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = Token(line.substr(0, colon));
    if (!name.empty()) extra[name] = FieldValue(line.substr(colon + 1));
  }

  CheckDates(amz_date);
  CheckDates(date);

  // The fuzzed Authorization header against the fuzzed request.
  s3::RequestView request;
  request.method = "GET";
  request.raw_path = raw_path;
  request.raw_query = raw_query;
  request.now = ExampleTime();
  request.headers = extra;
  request.headers["host"] = "examplebucket.s3.amazonaws.com";
  request.headers["authorization"] = authorization;
  if (!amz_date.empty()) request.headers["x-amz-date"] = amz_date;
  if (!content_sha.empty()) request.headers["x-amz-content-sha256"] = content_sha;
  if (!date.empty()) request.headers["date"] = date;
  auto verified = s3::VerifyRequest(request, Store());
  if (verified.ok()) CheckContext(*verified);

  // Canonicalisation is idempotent.
  std::string uri = s3::CanonicalUri(raw_path);
  FUZZ_CHECK(s3::CanonicalUri(uri) == uri);
  std::string query = s3::CanonicalQuery(raw_query, false);
  FUZZ_CHECK(s3::CanonicalQuery(query, false) == query);
  FUZZ_CHECK(s3::UriDecode(s3::UriEncode(raw_path, true), false) == raw_path);

  // What the signer signs, the verifier accepts.
  if (region.empty() || HasAmzParam(raw_query)) return 0;
  s3::RequestView signed_request;
  signed_request.method = "PUT";
  signed_request.raw_path = raw_path;
  signed_request.raw_query = raw_query;
  signed_request.now = ExampleTime();
  signed_request.headers = extra;
  signed_request.headers.erase("authorization");
  signed_request.headers["host"] = "examplebucket.s3.amazonaws.com";
  s3::SigningParams params{kAccessKey, kSecretKey, region, ExampleTime()};
  signed_request.headers["authorization"] =
      s3::SignRequest(signed_request.method, raw_path, raw_query, signed_request.headers,
                      "UNSIGNED-PAYLOAD", params);
  auto round_trip = s3::VerifyRequest(signed_request, Store());
  FUZZ_CHECK(round_trip.ok());
  CheckContext(*round_trip);
  FUZZ_CHECK(round_trip->region == region);
  FUZZ_CHECK(round_trip->payload_mode == s3::PayloadMode::kUnsigned);
  return 0;
}
