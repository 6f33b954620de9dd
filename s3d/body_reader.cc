// Streaming request-body decoding.
#include "s3d/body_reader.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "auth/payload.h"
#include "s3d/auth_gate.h"
#include "s3d/httplib_bridge.h"

namespace natss3::s3d {

namespace {

// The slice a body is gathered into before it is written (part of the request's memory
// budget): kBodyWriteSlice bytes, or the declared payload's length when that is smaller, so a
// 4 KiB PUT does not take (and map) 256 KiB. A full slice is written only when more data
// follows, so at the end of the body (and in the `verified` hook) the last slice is always
// still in hand.
class Slice {
 public:
  Slice(const BodySink& write, const s3::PayloadDecoder& decoder)
      : write_(write),
        capacity_(static_cast<size_t>(std::clamp<uint64_t>(
            decoder.declared_payload_bytes().value_or(kBodyWriteSlice), kMinCapacity,
            kBodyWriteSlice))),
        data_(std::make_unique_for_overwrite<char[]>(capacity_)) {}

  char* free_space() { return data_.get() + used_; }
  size_t room() const { return capacity_ - used_; }
  bool full() const { return used_ == capacity_; }

  // Puts `data` behind what the slice holds, writing a full slice first. `data` may lie in the
  // slice's own free space, at or after free_space() (a body decoded in place).
  bool Append(std::string_view data) {
    while (!data.empty()) {
      if (full() && !Flush()) return false;
      size_t take = std::min(data.size(), room());
      if (data.data() != free_space()) std::memmove(free_space(), data.data(), take);
      used_ += take;
      data.remove_prefix(take);
    }
    return true;
  }

  bool Flush() {
    if (used_ == 0) return true;
    Status st = write_(std::string_view(data_.get(), used_));
    used_ = 0;
    if (!st.ok()) {
      failure = FromStatus(st, ErrorContext::kObject);
      return false;
    }
    return true;
  }

  std::optional<S3Error> failure;  // of a write

 private:
  static constexpr size_t kMinCapacity = 4096;  // room for aws-chunked framing of tiny bodies
  const BodySink& write_;
  const size_t capacity_;
  std::unique_ptr<char[]> data_;
  size_t used_ = 0;
};

S3Result<std::unique_ptr<s3::PayloadDecoder>> MakeDecoder(const s3::HeaderMap& headers,
                                                           const s3::AuthContext& auth,
                                                           const WrittenSha256& written_sha256) {
  auto decoder = s3::PayloadDecoder::Create(auth, headers);
  if (decoder.ok() && written_sha256) (*decoder)->UseExternalSha256();
  return decoder;
}

// After the whole body was fed: the checks, `verified`, and the last slice.
S3Result<BodySummary> Conclude(s3::PayloadDecoder& decoder, Slice& slice,
                               const BodyVerified& verified,
                               const WrittenSha256& written_sha256) {
  std::string digest;
  if (written_sha256) {
    // The store's digest must cover the whole body: the last slice goes in first (nothing is
    // committed before the checks below pass; the caller aborts the write on an error).
    if (!slice.Flush()) return *slice.failure;
    digest = written_sha256();
  }
  s3::S3Status finished = decoder.Finish(written_sha256 ? &digest : nullptr);
  if (!finished.ok()) return finished.error();
  BodySummary summary;
  summary.bytes = decoder.payload_bytes();
  summary.checksum_algorithm = decoder.checksum_algorithm();
  summary.checksum_base64 = decoder.checksum_base64();
  summary.checksum_in_trailer = decoder.checksum_from_trailer();
  if (verified) verified(summary);
  if (!slice.Flush()) return *slice.failure;
  return summary;
}

// `headers`: the request's, lowercased (ToHeaderMap).
S3Result<BodySummary> StreamBodyWith(const s3::HeaderMap& headers,
                                     const httplib::ContentReader& reader,
                                     const s3::AuthContext& auth, const BodySink& write,
                                     const BodyVerified& verified,
                                     const WrittenSha256& written_sha256) {
  auto decoder = MakeDecoder(headers, auth, written_sha256);
  if (!decoder.ok()) return decoder.error();
  Slice slice(write, **decoder);
  std::optional<S3Error> failure;
  auto sink = [&](std::string_view data) { return slice.Append(data); };
  // HTTP/1.1: a request with neither Content-Length nor Transfer-Encoding has no body; asking
  // httplib to read one would wait for the connection to close.
  bool has_body = headers.count("content-length") > 0 || headers.count("transfer-encoding") > 0;
  bool complete = !has_body || reader([&](const char* data, size_t length) {
    s3::S3Status fed = (*decoder)->Feed(std::string_view(data, length), sink);
    if (!fed.ok()) {
      failure = slice.failure ? *slice.failure : fed.error();
      return false;
    }
    return true;
  });
  if (failure) return *failure;
  if (!complete) return S3Error::IncompleteBody();
  return Conclude(**decoder, slice, verified, written_sha256);
}

}  // namespace

S3Result<BodySummary> StreamRawBody(const s3::HeaderMap& headers, const RawBodyRead& read,
                                    const s3::AuthContext& auth, const BodySink& write,
                                    const BodyVerified& verified,
                                    const WrittenSha256& written_sha256) {
  auto decoder = MakeDecoder(headers, auth, written_sha256);
  if (!decoder.ok()) return decoder.error();
  s3::PayloadDecoder& payload = **decoder;
  Slice slice(write, payload);
  auto sink = [&](std::string_view data) { return slice.Append(data); };
  // The body is read into the slice's free space and decoded there: the decoder's output is its
  // input less the aws-chunked framing, in order, so each decoded byte moves towards the front,
  // never over a byte not yet decoded. A full slice may be written once the headers promise more
  // payload; otherwise a small read tells whether any follows (the final chunk and trailer of
  // aws-chunked come after the last byte).
  char spill[4096];
  for (;;) {
    if (slice.full() && payload.payload_bytes() < payload.declared_payload_bytes().value_or(0) &&
        !slice.Flush()) {
      return *slice.failure;
    }
    const bool into_slice = !slice.full();
    char* dst = into_slice ? slice.free_space() : spill;
    ssize_t n = read(dst, into_slice ? slice.room() : sizeof spill);
    if (n == 0) break;
    if (n < 0) return S3Error::IncompleteBody();
    s3::S3Status fed = payload.Feed(std::string_view(dst, static_cast<size_t>(n)), sink);
    if (!fed.ok()) return slice.failure ? *slice.failure : fed.error();
  }
  return Conclude(payload, slice, verified, written_sha256);
}

S3Result<BodySummary> StreamBody(const httplib::Request& req, const httplib::ContentReader& reader,
                                 const s3::AuthContext& auth, const BodySink& write,
                                 const BodyVerified& verified,
                                 const WrittenSha256& written_sha256) {
  if (RawBodyRead direct = DirectBodyReader(req)) {
    return StreamRawBody(ToHeaderMap(req.headers), direct, auth, write, verified, written_sha256);
  }
  return StreamBodyWith(ToHeaderMap(req.headers), reader, auth, write, verified, written_sha256);
}

S3Result<std::string> ReadSmallBody(const httplib::Request& req,
                                    const httplib::ContentReader* reader,
                                    const s3::AuthContext& auth, size_t limit,
                                    ChecksumHeaders checksums) {
  if (reader == nullptr) return std::string(req.body);
  s3::HeaderMap headers = ToHeaderMap(req.headers);
  if (checksums == ChecksumHeaders::kOfObject) {
    // Not the XML's checksums: leave them out of the body's checks.
    for (auto it = headers.lower_bound("x-amz-checksum-");
         it != headers.end() && it->first.compare(0, 15, "x-amz-checksum-") == 0;)
      it = headers.erase(it);
  }
  std::string body;
  auto append = [&](std::string_view data) {
    if (body.size() + data.size() > limit) return ResourceExhausted("request body too large");
    body.append(data);
    return Status::OK();
  };
  auto summary = StreamBodyWith(headers, *reader, auth, append, nullptr, nullptr);
  if (!summary.ok()) {
    if (summary.error().code == "QuotaExceeded") {
      return S3Error{"MaxMessageLengthExceeded", "Your request was too big.", 400};
    }
    return summary.error();
  }
  return body;
}

}  // namespace natss3::s3d
