// Incremental decoder of aws-chunked request bodies: chunk signatures, trailers, checksums.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/checksums.h"
#include "auth/s3_error.h"
#include "auth/sigv4.h"

namespace natss3::s3 {

// Decodes an aws-chunked body (Content-Encoding: aws-chunked) as it arrives:
//
//   signed:            <hex-size>;chunk-signature=<sig>\r\n<data>\r\n ...
//                      0;chunk-signature=<sig>\r\n\r\n
//   signed + trailer:  ... 0;chunk-signature=<sig>\r\n
//                      x-amz-checksum-crc32:<b64>\r\nx-amz-trailer-signature:<sig>\r\n\r\n
//   unsigned trailer:  <hex-size>\r\n<data>\r\n ... 0\r\nx-amz-checksum-crc32:<b64>\r\n\r\n
//
// Checks: each chunk signature (chained from AuthContext::seed_signature, string to sign
// "AWS4-HMAC-SHA256-PAYLOAD"), the trailer signature ("AWS4-HMAC-SHA256-TRAILER"), the
// trailing checksum against the data, that the trailer names what x-amz-trailer declared,
// and that the decoded length equals x-amz-decoded-content-length.
//
// Streaming, not verifying-then-releasing: payload bytes reach the sink as they arrive, BEFORE
// the signature of their chunk (or the trailing checksum) is checked. On any error the caller
// must discard everything the sink received (abort the object write).
//
// Memory budget: one chunk header line (at most kMaxLineBytes) plus the trailer section (at
// most kMaxTrailerBytes); chunk data is never buffered, only hashed.
// Not thread-safe: one decoder per request body.
class AwsChunkedDecoder {
 public:
  // Receives decoded payload bytes (views into the slice given to Feed). Return false to stop:
  // Feed then returns InternalError "payload consumer stopped" and the caller reports its own
  // error instead.
  using Sink = std::function<bool(std::string_view data)>;

  static constexpr size_t kMaxLineBytes = 4096;
  static constexpr size_t kMaxTrailerBytes = 16 * 1024;

  // `context.payload_mode` must be one of the streaming modes (InvalidRequest otherwise).
  // Reads from `headers`: x-amz-decoded-content-length (required; InvalidRequest /
  // MissingContentLength-style InvalidRequest if absent or not a number) and x-amz-trailer
  // (required in the trailer modes: the one x-amz-checksum-* header the trailer carries;
  // InvalidRequest if absent or not a supported checksum).
  static S3Result<AwsChunkedDecoder> Create(const AuthContext& context, const HeaderMap& headers);

  // Decodes the next slice of the HTTP body (any size, split anywhere). Errors:
  //   SignatureDoesNotMatch 403 - a chunk or trailer signature is wrong
  //   BadDigest 400             - the trailing checksum does not match the data
  //   IncompleteBody 400        - more decoded bytes than x-amz-decoded-content-length
  //   InvalidRequest 400 / MalformedTrailerError 400 - malformed framing or trailer, a missing
  //                               or different trailing checksum, bytes after the end
  //   InternalError 500         - the sink returned false
  // After an error the decoder stays failed and returns the same error.
  S3Status Feed(std::string_view bytes, const Sink& sink);
  // Call at the end of the HTTP body. IncompleteBody if the final chunk (and trailer) did not
  // arrive or fewer bytes than x-amz-decoded-content-length were decoded.
  S3Status Finish();

  bool done() const { return state_ == State::kDone; }
  uint64_t decoded_bytes() const { return decoded_bytes_; }
  uint64_t declared_length() const { return declared_length_; }
  // The trailing checksum (algorithm and base64 value as received), after a successful Finish
  // in the trailer modes.
  std::optional<ChecksumAlgorithm> trailer_algorithm() const { return trailer_algorithm_; }
  const std::string& trailer_checksum_base64() const { return trailer_value_; }

  AwsChunkedDecoder(AwsChunkedDecoder&&) noexcept;
  AwsChunkedDecoder& operator=(AwsChunkedDecoder&&) noexcept;
  ~AwsChunkedDecoder();

 private:
  enum class State { kHeader, kData, kDataCrlf, kTrailer, kDone, kFailed };
  AwsChunkedDecoder() = default;

  S3Status Fail(S3Error error);
  S3Status OnHeaderLine(std::string_view line);
  S3Status OnChunkEnd();
  S3Status OnTrailer();
  bool signed_mode() const;
  bool has_trailer() const;

  AuthContext context_;
  State state_ = State::kHeader;
  S3Error error_;
  std::string line_;             // partial chunk header or trailer line
  std::vector<std::string> trailer_lines_;  // complete trailer lines (<= kMaxTrailerBytes)
  uint64_t chunk_remaining_ = 0;
  uint64_t chunk_size_ = 0;
  std::string chunk_signature_;  // declared signature of the current chunk
  std::string previous_signature_;
  std::optional<Checksum> chunk_sha256_;  // signed modes: hash of the current chunk
  uint64_t decoded_bytes_ = 0;
  uint64_t declared_length_ = 0;
  std::optional<ChecksumAlgorithm> trailer_algorithm_;
  std::optional<Checksum> trailer_checksum_;
  std::string trailer_value_;
  size_t crlf_seen_ = 0;
  size_t trailer_bytes_ = 0;
};

}  // namespace natss3::s3
