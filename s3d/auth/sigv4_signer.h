// SigV4 signing (the client side): test oracle, presigned URLs for the CLI, aws-chunked bodies.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "auth/checksums.h"
#include "auth/sigv4.h"

namespace natss3::s3 {

struct SigningParams {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
  std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
};

// Signs a request for Authorization-header auth. Adds "x-amz-date" and "x-amz-content-sha256"
// (= payload_hash, e.g. a hex SHA-256, "UNSIGNED-PAYLOAD" or a STREAMING-* value) to `headers`,
// signs every header present in `headers` (which must include "host"), and returns the
// Authorization header value. `seed_signature` (optional) receives the hex signature.
std::string SignRequest(std::string_view method, std::string_view raw_path,
                        std::string_view raw_query, HeaderMap& headers,
                        std::string_view payload_hash, const SigningParams& params,
                        std::string* seed_signature = nullptr);

// Returns the presigned query string: `raw_query` (may be "") plus X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders=host, X-Amz-Signature.
// The payload is UNSIGNED-PAYLOAD. `host` is the Host header the URL will be used with.
std::string PresignQuery(std::string_view method, std::string_view raw_path,
                         std::string_view raw_query, std::string_view host,
                         std::chrono::seconds expires, const SigningParams& params);

// Signature of one aws-chunked chunk given the previous signature.
std::string ChunkSignature(std::string_view signing_key, std::string_view amz_date,
                           std::string_view scope, std::string_view previous_signature,
                           std::string_view chunk_data);
// Signature of the trailer section; `trailer_lines` is the canonical trailer text, each
// header as "name:value\n" (names lower-case).
std::string TrailerSignature(std::string_view signing_key, std::string_view amz_date,
                             std::string_view scope, std::string_view previous_signature,
                             std::string_view trailer_lines);

// Builds an aws-chunked body of `payload` cut into `chunk_size` pieces (for tests and the
// CLI). `mode` is a streaming PayloadMode; signatures chain from `context.seed_signature`
// with `context.signing_key/amz_date/scope` (ignored in kStreamingUnsignedTrailer).
// `trailer_algorithm` names the trailing checksum in the trailer modes.
std::string EncodeAwsChunked(std::string_view payload, size_t chunk_size, PayloadMode mode,
                             const AuthContext& context,
                             ChecksumAlgorithm trailer_algorithm = ChecksumAlgorithm::kCrc32);

}  // namespace natss3::s3
