// AwsChunkedDecoder: a byte-at-a-time-safe state machine over aws-chunked framing.
#include "auth/aws_chunked.h"

#include <algorithm>
#include <cctype>

#include "natss3/ascii.h"

namespace natss3::s3 {
namespace {

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kSignatureExtension = "chunk-signature=";
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<uint64_t> ParseHexSize(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                            : -1;
    if (digit < 0) return std::nullopt;
    value = value * 16 + static_cast<uint64_t>(digit);
  }
  return value;
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

std::string SignWithPrevious(const AuthContext& context, std::string_view algorithm,
                             std::string_view previous, std::string_view tail) {
  std::string to_sign(algorithm);
  to_sign.append("\n").append(context.amz_date).append("\n").append(context.scope);
  to_sign.append("\n").append(previous).append("\n").append(tail);
  return SignatureHex(context.signing_key, to_sign);
}

S3Error Malformed(std::string detail) {
  return S3Error::InvalidRequest("Malformed aws-chunked body: " + std::move(detail));
}

}  // namespace

AwsChunkedDecoder::AwsChunkedDecoder(AwsChunkedDecoder&&) noexcept = default;
AwsChunkedDecoder& AwsChunkedDecoder::operator=(AwsChunkedDecoder&&) noexcept = default;
AwsChunkedDecoder::~AwsChunkedDecoder() = default;

S3Result<AwsChunkedDecoder> AwsChunkedDecoder::Create(const AuthContext& context,
                                                      const HeaderMap& headers) {
  if (!IsStreaming(context.payload_mode)) {
    return S3Error::InvalidRequest("aws-chunked decoding needs a STREAMING-* x-amz-content-sha256");
  }
  AwsChunkedDecoder decoder;
  decoder.context_ = context;
  decoder.previous_signature_ = context.seed_signature;
  auto length = headers.find("x-amz-decoded-content-length");
  std::optional<uint64_t> declared =
      length == headers.end() ? std::nullopt : ParseDecimal(length->second);
  if (!declared) {
    return S3Error::InvalidRequest(
        "aws-chunked uploads need a numeric x-amz-decoded-content-length header");
  }
  decoder.declared_length_ = *declared;
  if (decoder.has_trailer()) {
    auto trailer = headers.find("x-amz-trailer");
    if (trailer == headers.end()) {
      return S3Error::InvalidRequest("a trailing checksum needs the x-amz-trailer header");
    }
    decoder.trailer_algorithm_ = ChecksumAlgorithmFromHeader(Trim(trailer->second));
    if (!decoder.trailer_algorithm_) {
      return S3Error::InvalidRequest("unsupported x-amz-trailer value: " + trailer->second);
    }
    decoder.trailer_checksum_.emplace(*decoder.trailer_algorithm_);
  }
  return decoder;
}

bool AwsChunkedDecoder::signed_mode() const {
  return context_.payload_mode == PayloadMode::kStreamingSigned ||
         context_.payload_mode == PayloadMode::kStreamingSignedTrailer;
}

bool AwsChunkedDecoder::has_trailer() const {
  return context_.payload_mode == PayloadMode::kStreamingSignedTrailer ||
         context_.payload_mode == PayloadMode::kStreamingUnsignedTrailer;
}

S3Status AwsChunkedDecoder::Fail(S3Error error) {
  state_ = State::kFailed;
  error_ = std::move(error);
  line_.clear();
  line_.shrink_to_fit();
  return error_;
}

S3Status AwsChunkedDecoder::Feed(std::string_view bytes, const Sink& sink) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kFailed: return error_;
      case State::kDone: {
        // Tolerate stray line ends after the end; anything else is an error.
        if (bytes.find_first_not_of("\r\n") != std::string_view::npos) {
          return Fail(Malformed("data after the final chunk"));
        }
        return S3Status::OK();
      }
      case State::kData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(chunk_remaining_, bytes.size()));
        std::string_view data = bytes.substr(0, n);
        if (chunk_sha256_) chunk_sha256_->Update(data);
        if (trailer_checksum_) trailer_checksum_->Update(data);
        decoded_bytes_ += n;
        chunk_remaining_ -= n;
        bytes.remove_prefix(n);
        if (!sink(data)) return Fail(S3Error::InternalError("payload consumer stopped"));
        if (chunk_remaining_ == 0) {
          state_ = State::kDataCrlf;
          crlf_seen_ = 0;
        }
        break;
      }
      case State::kDataCrlf: {
        char expected = crlf_seen_ == 0 ? '\r' : '\n';
        if (bytes.front() != expected) return Fail(Malformed("chunk data not followed by CRLF"));
        bytes.remove_prefix(1);
        if (++crlf_seen_ == 2) {
          if (S3Status st = OnChunkEnd(); !st.ok()) return st;
        }
        break;
      }
      case State::kHeader:
      case State::kTrailer: {
        size_t newline = bytes.find('\n');
        size_t take = newline == std::string_view::npos ? bytes.size() : newline;
        size_t limit = state_ == State::kHeader ? kMaxLineBytes : kMaxTrailerBytes;
        if (line_.size() + take > limit) {
          return Fail(state_ == State::kHeader ? Malformed("chunk header line too long")
                                               : S3Error::MalformedTrailerError());
        }
        line_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (newline == std::string_view::npos) break;
        bytes.remove_prefix(1);  // the '\n'
        std::string line = std::move(line_);
        line_.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (S3Status st = OnHeaderLine(line); !st.ok()) return st;
        break;
      }
    }
  }
  return state_ == State::kFailed ? S3Status(error_) : S3Status::OK();
}

S3Status AwsChunkedDecoder::OnHeaderLine(std::string_view line) {
  if (state_ == State::kTrailer) {
    if (line.empty()) {
      // A blank line before any trailer header is tolerated (some encoders emit one).
      if (trailer_lines_.empty() && has_trailer()) return S3Status::OK();
      return OnTrailer();
    }
    if (!has_trailer()) return Fail(Malformed("unexpected trailer after the final chunk"));
    trailer_bytes_ += line.size();
    if (trailer_bytes_ > kMaxTrailerBytes) return Fail(S3Error::MalformedTrailerError());
    trailer_lines_.emplace_back(line);
    return S3Status::OK();
  }
  size_t semicolon = line.find(';');
  std::optional<uint64_t> size = ParseHexSize(Trim(line.substr(0, semicolon)));
  if (!size) return Fail(Malformed("bad chunk size"));
  chunk_signature_.clear();
  if (semicolon != std::string_view::npos) {
    std::string_view extension = Trim(line.substr(semicolon + 1));
    if (extension.substr(0, kSignatureExtension.size()) == kSignatureExtension) {
      chunk_signature_ = AsciiLower(extension.substr(kSignatureExtension.size()));
    }
  }
  if (signed_mode() && chunk_signature_.size() != 64) {
    return Fail(Malformed("chunk without a chunk-signature"));
  }
  if (decoded_bytes_ + *size > declared_length_) {
    return Fail(S3Error::IncompleteBody(
        "The aws-chunked body is longer than x-amz-decoded-content-length."));
  }
  chunk_size_ = *size;
  if (*size == 0) {
    if (signed_mode()) {
      std::string expected = SignWithPrevious(context_, "AWS4-HMAC-SHA256-PAYLOAD",
                                              previous_signature_,
                                              std::string(kEmptySha256) + "\n" +
                                                  std::string(kEmptySha256));
      if (!ConstantTimeEquals(expected, chunk_signature_)) {
        return Fail(S3Error::SignatureDoesNotMatch());
      }
      previous_signature_ = expected;
    }
    state_ = State::kTrailer;
    return S3Status::OK();
  }
  chunk_remaining_ = *size;
  if (signed_mode()) chunk_sha256_.emplace(ChecksumAlgorithm::kSha256);
  state_ = State::kData;
  return S3Status::OK();
}

S3Status AwsChunkedDecoder::OnChunkEnd() {
  if (signed_mode()) {
    std::string expected = SignWithPrevious(
        context_, "AWS4-HMAC-SHA256-PAYLOAD", previous_signature_,
        std::string(kEmptySha256) + "\n" + chunk_sha256_->Hex());
    chunk_sha256_.reset();
    if (!ConstantTimeEquals(expected, chunk_signature_)) {
      return Fail(S3Error::SignatureDoesNotMatch());
    }
    previous_signature_ = expected;
  }
  state_ = State::kHeader;
  return S3Status::OK();
}

S3Status AwsChunkedDecoder::OnTrailer() {
  if (!has_trailer()) {
    state_ = State::kDone;
    return S3Status::OK();
  }
  std::string canonical;
  std::string trailer_signature;
  std::string_view wanted = ChecksumHeaderName(*trailer_algorithm_);
  bool found = false;
  for (const std::string& line : trailer_lines_) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) return Fail(S3Error::MalformedTrailerError());
    std::string name = AsciiLower(Trim(line.substr(0, colon)));
    std::string value(Trim(std::string_view(line).substr(colon + 1)));
    if (name == kTrailerSignatureName) {
      trailer_signature = AsciiLower(value);
      continue;
    }
    canonical += name + ":" + value + "\n";
    if (name == wanted) {
      found = true;
      trailer_value_ = value;
    }
  }
  trailer_lines_.clear();
  if (!found) {
    return Fail(S3Error::MalformedTrailerError(
        "The trailer does not carry the " + std::string(wanted) + " named by x-amz-trailer."));
  }
  if (context_.payload_mode == PayloadMode::kStreamingSignedTrailer) {
    std::string expected = SignWithPrevious(context_, "AWS4-HMAC-SHA256-TRAILER",
                                            previous_signature_, Sha256Hex(canonical));
    if (!ConstantTimeEquals(expected, trailer_signature)) {
      return Fail(S3Error::SignatureDoesNotMatch());
    }
  }
  std::optional<std::string> received = Base64Decode(trailer_value_);
  if (!received || received->size() != ChecksumDigestSize(*trailer_algorithm_)) {
    return Fail(S3Error::InvalidRequest("Value for " + std::string(wanted) +
                                        " trailing header is invalid."));
  }
  if (*received != trailer_checksum_->Digest()) {
    return Fail(S3Error::BadDigest("The " + std::string(ChecksumAlgorithmName(*trailer_algorithm_)) +
                                   " you specified did not match the calculated checksum."));
  }
  state_ = State::kDone;
  return S3Status::OK();
}

S3Status AwsChunkedDecoder::Finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ == State::kTrailer) {
    // The final blank line (and the last line's CRLF) may be missing at end of body.
    if (!line_.empty()) {
      std::string line = std::move(line_);
      line_.clear();
      if (S3Status st = OnHeaderLine(line); !st.ok()) return st;
    }
    if (state_ == State::kTrailer && (!has_trailer() || !trailer_lines_.empty())) {
      if (S3Status st = OnTrailer(); !st.ok()) return st;
    }
  }
  if (state_ != State::kDone || decoded_bytes_ != declared_length_) {
    return Fail(S3Error::IncompleteBody());
  }
  return S3Status::OK();
}

}  // namespace natss3::s3
