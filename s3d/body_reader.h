// Request bodies: streams a PutObject/UploadPart body through s3::PayloadDecoder (aws-chunked,
// signatures, Content-MD5, x-amz-checksum-*, length) into a sink, never holding the object;
// and reads small XML bodies with a size cap.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/checksums.h"
#include "auth/sigv4.h"
#include "natss3/status.h"
#include "s3d/errors.h"

namespace natss3::s3d {

struct BodySummary {
  uint64_t bytes = 0;
  // The x-amz-checksum-* the client sent, as a header or in an aws-chunked trailer (verified).
  std::optional<s3::ChecksumAlgorithm> checksum_algorithm;
  std::string checksum_base64;
  bool checksum_in_trailer = false;
};

// Feeds every decoded byte to `write`, in slices of at most kBodyWriteSlice bytes. Errors: the
// decoder's S3 errors, IncompleteBody when the client stops early (short body or disconnect),
// or FromStatus(write error, kObject). On error the caller must abort whatever `write` fed.
// `verified` (optional) runs once every check passed (signatures, digests, trailer), before
// the last slice is written: for a body of at most kBodyWriteSlice bytes, before any write, so
// a caller that opens its object on the first write can still use a trailing checksum.
// Memory: one slice.
inline constexpr size_t kBodyWriteSlice = 256 * 1024;
using BodySink = std::function<Status(std::string_view data)>;
using BodyVerified = std::function<void(const BodySummary& summary)>;
// The SHA-256 (32 raw bytes) of everything `write` has received, computed by the store as it
// writes (ObjectWriter::Sha256Raw). Given, the body is hashed once: the signed payload hash and
// an x-amz-checksum-sha256 are checked against the store's digest, and the whole body is
// written before the checks (then `verified` runs after the last write).
using WrittenSha256 = std::function<std::string()>;
// Inside natss3d's request processing, a Content-Length body is read straight from the
// connection into the slice buffer (StreamRawBody) instead of through `reader`, whose 4 KiB
// pieces would be copied twice more on their way into a slice.
S3Result<BodySummary> StreamBody(const httplib::Request& req, const httplib::ContentReader& reader,
                                 const s3::AuthContext& auth, const BodySink& write,
                                 const BodyVerified& verified = nullptr,
                                 const WrittenSha256& written_sha256 = nullptr);

// Reads the next bytes of a request body as sent (aws-chunked framing and all) into `dst`, at
// most `size`: how many it read (fewer when fewer had arrived), 0 at the body's end, or -1 when
// the client stopped early or the connection failed.
using RawBodyRead = std::function<ssize_t(char* dst, size_t size)>;
// StreamBody over `read` (`headers`: lowercased, as ToHeaderMap gives them). The body is read
// into the slice buffer itself and decoded in place, so a byte of a plain body is copied by
// no one before `write`. Same contract, errors and memory as StreamBody.
S3Result<BodySummary> StreamRawBody(const s3::HeaderMap& headers, const RawBodyRead& read,
                                    const s3::AuthContext& auth, const BodySink& write,
                                    const BodyVerified& verified = nullptr,
                                    const WrittenSha256& written_sha256 = nullptr);

// What a request's x-amz-checksum-<algorithm> headers describe: its body, or (on
// CompleteMultipartUpload, boto3's ChecksumType FULL_OBJECT) the object being made.
enum class ChecksumHeaders { kOfBody, kOfObject };

// Whole small body (XML requests), checked like any payload, at most `limit` bytes
// (MaxMessageSizeExceeded beyond). With kOfObject the checksum headers are not checked
// against the body.
S3Result<std::string> ReadSmallBody(const httplib::Request& req,
                                    const httplib::ContentReader* reader,
                                    const s3::AuthContext& auth, size_t limit = 1 << 20,
                                    ChecksumHeaders checksums = ChecksumHeaders::kOfBody);

}  // namespace natss3::s3d
