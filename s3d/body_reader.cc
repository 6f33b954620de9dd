// Streaming request-body decoding.
#include "s3d/body_reader.h"

#include "auth/payload.h"
#include "s3d/auth_gate.h"

namespace natss3::s3d {

namespace {

// `headers`: the request's, lowercased (ToHeaderMap).
S3Result<BodySummary> StreamBodyWith(const s3::HeaderMap& headers,
                                     const httplib::ContentReader& reader,
                                     const s3::AuthContext& auth, const BodySink& write,
                                     const BodyVerified& verified,
                                     const WrittenSha256& written_sha256) {
  auto decoder = s3::PayloadDecoder::Create(auth, headers);
  if (!decoder.ok()) return decoder.error();
  if (written_sha256) (*decoder)->UseExternalSha256();
  std::optional<S3Error> failure;
  // httplib hands over the body in 4 KiB reads; the store gets slices of kBodyWriteSlice (less
  // per-call overhead). The buffer is part of the request's memory budget.
  std::string pending;
  pending.reserve(kBodyWriteSlice);
  auto flush = [&] {
    if (pending.empty()) return true;
    Status st = write(pending);
    pending.clear();
    if (!st.ok()) {
      failure = FromStatus(st, ErrorContext::kObject);
      return false;
    }
    return true;
  };
  // A full slice is written only when more data arrives, so at the end of the body (and in the
  // `verified` hook) the last slice is always still in hand.
  auto sink = [&](std::string_view data) {
    while (!data.empty()) {
      if (pending.size() == kBodyWriteSlice && !flush()) return false;
      size_t take = std::min(data.size(), kBodyWriteSlice - pending.size());
      pending.append(data.substr(0, take));
      data.remove_prefix(take);
    }
    return true;
  };
  // HTTP/1.1: a request with neither Content-Length nor Transfer-Encoding has no body; asking
  // httplib to read one would wait for the connection to close.
  bool has_body = headers.count("content-length") > 0 || headers.count("transfer-encoding") > 0;
  bool complete = !has_body || reader([&](const char* data, size_t length) {
    s3::S3Status fed = (*decoder)->Feed(std::string_view(data, length), sink);
    if (!fed.ok()) {
      if (!failure) failure = fed.error();
      return false;
    }
    return true;
  });
  if (failure) return *failure;
  if (!complete) return S3Error::IncompleteBody();
  std::string digest;
  if (written_sha256) {
    // The store's digest must cover the whole body: the last slice goes in first (nothing is
    // committed before the checks below pass; the caller aborts the write on an error).
    if (!flush()) return *failure;
    digest = written_sha256();
  }
  s3::S3Status finished = (*decoder)->Finish(written_sha256 ? &digest : nullptr);
  if (!finished.ok()) return finished.error();
  BodySummary summary;
  summary.bytes = (*decoder)->payload_bytes();
  summary.checksum_algorithm = (*decoder)->checksum_algorithm();
  summary.checksum_base64 = (*decoder)->checksum_base64();
  summary.checksum_in_trailer = (*decoder)->checksum_from_trailer();
  if (verified) verified(summary);
  if (!flush()) return *failure;
  return summary;
}

}  // namespace

S3Result<BodySummary> StreamBody(const httplib::Request& req, const httplib::ContentReader& reader,
                                 const s3::AuthContext& auth, const BodySink& write,
                                 const BodyVerified& verified,
                                 const WrittenSha256& written_sha256) {
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
