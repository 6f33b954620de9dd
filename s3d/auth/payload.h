// PayloadDecoder: turns any PutObject/UploadPart request body into verified object bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/aws_chunked.h"
#include "auth/checksums.h"
#include "auth/s3_error.h"
#include "auth/sigv4.h"

namespace natss3::s3 {

// One object for every body encoding: plain (unsigned or signed SHA-256) or aws-chunked (any
// streaming mode). Checks, as S3 does:
//   - x-amz-content-sha256 of the whole body (kSignedSha256)   -> XAmzContentSHA256Mismatch
//   - Content-MD5                                              -> BadDigest (InvalidDigest if
//                                                                 the header is malformed)
//   - x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256} header -> BadDigest (InvalidRequest
//                                                                 if malformed)
//   - trailing checksum, chunk and trailer signatures (aws-chunked, see AwsChunkedDecoder)
//   - body length: Content-Length for plain bodies, x-amz-decoded-content-length for
//     aws-chunked                                              -> IncompleteBody
// MD5 is computed only to check a Content-MD5 (the core computes the ETag's MD5 as it stores).
//
// Like AwsChunkedDecoder it streams: bytes reach the sink before whole-body checks run in
// Finish(); on any error the caller discards the write. Memory: AwsChunkedDecoder's budget
// plus the digest states. Not thread-safe: one per request.
class PayloadDecoder {
 public:
  using Sink = AwsChunkedDecoder::Sink;

  // Validates the integrity headers up front (InvalidDigest, InvalidRequest, InvalidArgument).
  static S3Result<std::unique_ptr<PayloadDecoder>> Create(const AuthContext& context,
                                                          const HeaderMap& headers);

  // Feeds the next slice of the HTTP body; errors as AwsChunkedDecoder::Feed, plus
  // IncompleteBody when a plain body exceeds its Content-Length.
  S3Status Feed(std::string_view bytes, const Sink& sink);
  // The caller hashes the payload with SHA-256 itself (the core's object digest covers exactly
  // the bytes the sink receives), so the decoder does not: its signed-payload check
  // (x-amz-content-sha256) and an x-amz-checksum-sha256 header are then checked against the
  // digest given to Finish. One SHA-256 per byte instead of two. Call before the first Feed.
  void UseExternalSha256();
  // End of the HTTP body: runs the whole-body checks. `external_sha256` (32 raw bytes) is
  // required after UseExternalSha256 and ignored otherwise.
  S3Status Finish(const std::string* external_sha256 = nullptr);

  uint64_t payload_bytes() const { return payload_bytes_; }
  // The payload length the headers declare: x-amz-decoded-content-length for aws-chunked,
  // else Content-Length; none when neither was sent. A body that ends short of it fails.
  std::optional<uint64_t> declared_payload_bytes() const {
    if (chunked_) return chunked_->declared_length();
    return content_length_;
  }
  // The x-amz-checksum-* the client sent (header or trailer), verified; S3 echoes it back.
  // Valid after a successful Finish.
  std::optional<ChecksumAlgorithm> checksum_algorithm() const { return checksum_algorithm_; }
  const std::string& checksum_base64() const { return checksum_base64_; }
  // True when that checksum came in the aws-chunked trailer (known only at the end of the body).
  bool checksum_from_trailer() const { return checksum_from_trailer_; }

 private:
  PayloadDecoder() = default;
  S3Status Emit(std::string_view data, const Sink& sink);

  std::optional<AwsChunkedDecoder> chunked_;
  std::optional<uint64_t> content_length_;  // plain bodies
  std::optional<Checksum> md5_;               // only with Content-MD5
  std::optional<Checksum> sha256_;            // kSignedSha256
  std::string expected_sha256_;
  std::optional<Checksum> header_checksum_;   // x-amz-checksum-* sent as a header
  bool external_payload_sha256_ = false;      // kSignedSha256, hashed by the caller
  bool external_header_sha256_ = false;       // x-amz-checksum-sha256, hashed by the caller
  std::string expected_checksum_base64_;
  std::string expected_md5_;                 // raw 16 bytes of Content-MD5
  uint64_t payload_bytes_ = 0;
  std::optional<ChecksumAlgorithm> checksum_algorithm_;
  std::string checksum_base64_;
  bool checksum_from_trailer_ = false;
  bool failed_ = false;
  S3Error error_;
};

// The Content-Encoding to store: the header value without the "aws-chunked" token
// ("aws-chunked,gzip" -> "gzip", "aws-chunked" -> "").
std::string StripAwsChunkedEncoding(std::string_view content_encoding);

}  // namespace natss3::s3
