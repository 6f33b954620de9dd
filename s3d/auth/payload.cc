// PayloadDecoder: one pass over the request body for every integrity check S3 makes.
#include "auth/payload.h"

#include <cctype>

namespace natss3::s3 {
namespace {

std::string Trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::optional<uint64_t> ParseLength(std::string_view text) {
  std::string t = Trimmed(text);
  if (t.empty() || t.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

S3Result<std::unique_ptr<PayloadDecoder>> PayloadDecoder::Create(const AuthContext& context,
                                                                 const HeaderMap& headers) {
  std::unique_ptr<PayloadDecoder> decoder(new PayloadDecoder());
  if (auto md5 = headers.find("content-md5"); md5 != headers.end()) {
    std::string value = Trimmed(md5->second);
    std::optional<std::string> raw = Base64Decode(value);
    if (!raw || raw->size() != 16) return S3Error::InvalidDigest();
    decoder->expected_md5_ = *raw;
    decoder->md5_.emplace(ChecksumAlgorithm::kMd5);
  }

  // At most one x-amz-checksum-* header (S3 rejects several).
  for (const auto& [name, value] : headers) {
    std::optional<ChecksumAlgorithm> algorithm = ChecksumAlgorithmFromHeader(name);
    if (!algorithm) continue;
    if (decoder->header_checksum_) {
      return S3Error::InvalidRequest("Expecting a single x-amz-checksum- header. Multiple "
                                     "checksum Types are not allowed.");
    }
    std::string text = Trimmed(value);
    std::optional<std::string> raw = Base64Decode(text);
    if (!raw || raw->size() != ChecksumDigestSize(*algorithm)) {
      return S3Error::InvalidRequest("Value for " + name + " header is invalid.");
    }
    decoder->header_checksum_.emplace(*algorithm);
    decoder->expected_checksum_base64_ = text;
  }

  if (IsStreaming(context.payload_mode)) {
    S3Result<AwsChunkedDecoder> chunked = AwsChunkedDecoder::Create(context, headers);
    if (!chunked.ok()) return chunked.error();
    decoder->chunked_.emplace(std::move(chunked).value());
  } else if (auto length = headers.find("content-length"); length != headers.end()) {
    decoder->content_length_ = ParseLength(length->second);
    if (!decoder->content_length_) {
      return S3Error::InvalidArgument("Content-Length is not a number.");
    }
  }
  if (context.payload_mode == PayloadMode::kSignedSha256) {
    decoder->sha256_.emplace(ChecksumAlgorithm::kSha256);
    decoder->expected_sha256_ = context.payload_sha256;
  }
  return decoder;
}

void PayloadDecoder::UseExternalSha256() {
  if (sha256_) {
    sha256_.reset();
    external_payload_sha256_ = true;
  }
  if (header_checksum_ && header_checksum_->algorithm() == ChecksumAlgorithm::kSha256) {
    header_checksum_.reset();
    external_header_sha256_ = true;
  }
}

S3Status PayloadDecoder::Emit(std::string_view data, const Sink& sink) {
  if (md5_) md5_->Update(data);
  if (sha256_) sha256_->Update(data);
  if (header_checksum_) header_checksum_->Update(data);
  payload_bytes_ += data.size();
  if (!sink(data)) return S3Error::InternalError("payload consumer stopped");
  return S3Status::OK();
}

S3Status PayloadDecoder::Feed(std::string_view bytes, const Sink& sink) {
  if (failed_) return error_;
  S3Status status;
  if (chunked_) {
    status = chunked_->Feed(bytes, [&](std::string_view data) {
      S3Status emitted = Emit(data, sink);
      return emitted.ok();
    });
  } else if (content_length_ && payload_bytes_ + bytes.size() > *content_length_) {
    status = S3Error::IncompleteBody("The request body is longer than Content-Length.");
  } else {
    status = Emit(bytes, sink);
  }
  if (!status.ok()) {
    failed_ = true;
    error_ = status.error();
  }
  return status;
}

S3Status PayloadDecoder::Finish(const std::string* external_sha256) {
  if (failed_) return error_;
  auto fail = [&](S3Error error) -> S3Status {
    failed_ = true;
    error_ = error;
    return error;
  };
  if (chunked_) {
    if (S3Status st = chunked_->Finish(); !st.ok()) return fail(st.error());
  } else if (content_length_ && payload_bytes_ != *content_length_) {
    return fail(S3Error::IncompleteBody());
  }
  if ((external_payload_sha256_ || external_header_sha256_) &&
      (external_sha256 == nullptr || external_sha256->size() != 32)) {
    return fail(S3Error::InternalError("payload digest missing"));
  }
  if (sha256_ && sha256_->Hex() != expected_sha256_) {
    return fail(S3Error::XAmzContentSHA256Mismatch());
  }
  if (external_payload_sha256_ && HexEncode(*external_sha256) != expected_sha256_) {
    return fail(S3Error::XAmzContentSHA256Mismatch());
  }
  if (md5_ && md5_->Digest() != expected_md5_) {
    return fail(S3Error::BadDigest("The Content-MD5 you specified did not match what we "
                                   "received."));
  }
  if (external_header_sha256_) {
    if (Base64Encode(*external_sha256) != expected_checksum_base64_) {
      return fail(S3Error::BadDigest(
          "The SHA256 you specified did not match the calculated checksum."));
    }
    checksum_algorithm_ = ChecksumAlgorithm::kSha256;
    checksum_base64_ = expected_checksum_base64_;
  } else if (header_checksum_) {
    if (header_checksum_->Base64() != expected_checksum_base64_) {
      return fail(S3Error::BadDigest(
          "The " + std::string(ChecksumAlgorithmName(header_checksum_->algorithm())) +
          " you specified did not match the calculated checksum."));
    }
    checksum_algorithm_ = header_checksum_->algorithm();
    checksum_base64_ = expected_checksum_base64_;
  } else if (chunked_ && chunked_->trailer_algorithm()) {
    checksum_algorithm_ = chunked_->trailer_algorithm();
    checksum_base64_ = chunked_->trailer_checksum_base64();
    checksum_from_trailer_ = true;
  }
  return S3Status::OK();
}

std::string StripAwsChunkedEncoding(std::string_view content_encoding) {
  std::string out;
  size_t start = 0;
  while (start <= content_encoding.size()) {
    size_t comma = content_encoding.find(',', start);
    if (comma == std::string_view::npos) comma = content_encoding.size();
    std::string token = Trimmed(content_encoding.substr(start, comma - start));
    if (!token.empty() && token != "aws-chunked") out += (out.empty() ? "" : ",") + token;
    start = comma + 1;
  }
  return out;
}

}  // namespace natss3::s3
