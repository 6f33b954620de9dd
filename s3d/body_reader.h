// Request bodies: streams a PutObject/UploadPart body through s3::PayloadDecoder (aws-chunked,
// signatures, Content-MD5, x-amz-checksum-*, length) into a sink, never holding the object;
// and reads small XML bodies with a size cap.
#pragma once

#include <httplib.h>

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
  std::string md5_hex;
  std::optional<s3::ChecksumAlgorithm> checksum_algorithm;
  std::string checksum_base64;
};

// Feeds every decoded byte to `write`. Errors: the decoder's S3 errors, IncompleteBody when the
// client stops early (short body or disconnect), or FromStatus(write error, kObject).
// On error the caller must abort whatever `write` fed.
using BodySink = std::function<Status(std::string_view data)>;
ApiResult<BodySummary> StreamBody(const httplib::Request& req, const httplib::ContentReader& reader,
                                  const s3::AuthContext& auth, const BodySink& write);

// Whole small body (XML requests), checked like any payload, at most `limit` bytes
// (MaxMessageSizeExceeded beyond).
ApiResult<std::string> ReadSmallBody(const httplib::Request& req,
                                     const httplib::ContentReader* reader,
                                     const s3::AuthContext& auth, size_t limit = 1 << 20);

}  // namespace natss3::s3d
