// PutObject, GetObject/HeadObject, DeleteObject and object tagging.
#include "s3d/object_handlers.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "auth/payload.h"
#include "natss3/ascii.h"
#include "natss3/names.h"
#include "s3d/acl.h"
#include "s3d/body_reader.h"
#include "s3d/object_headers.h"
#include "s3d/object_lock.h"
#include "s3d/object_parts.h"
#include "s3d/range.h"
#include "s3d/xml.h"

namespace natss3::s3d {

namespace {
constexpr size_t kResponseSlice = 256 * 1024;

struct BodyState {
  std::unique_ptr<ObjectReader> reader;
  std::string buffer;  // the first slice, read before the headers are sent
  std::string slice;   // scratch for readers that keep no buffer of their own
};

std::string UpperAlgorithmSuffix(std::string_view header_name) {
  std::string suffix(header_name.substr(std::string_view("x-amz-checksum-").size()));
  for (char& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return suffix;
}

// Content-Encoding without the aws-chunked coding (a transfer detail), the rest byte for byte:
// "deflate, gzip" stays "deflate, gzip".
std::string WithoutAwsChunked(std::string_view value) {
  std::string kept;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = std::min(value.find(',', start), value.size());
    std::string_view token = value.substr(start, comma - start);
    size_t first = token.find_first_not_of(" \t");
    bool chunked = first != std::string_view::npos &&
                   token.substr(first, token.find_last_not_of(" \t") + 1 - first) == "aws-chunked";
    if (!chunked && first != std::string_view::npos) {
      if (!kept.empty()) kept += ',';
      kept += token;
    }
    start = comma + 1;
  }
  size_t first = kept.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return kept.substr(first, kept.find_last_not_of(" \t") + 1 - first);
}
}  // namespace

Status StreamObjectBody(httplib::Response& res, std::unique_ptr<ObjectReader> reader,
                        uint64_t length, const std::string& content_type) {
  if (length == 0) {
    res.headers.erase("Content-Type");
    res.set_content("", content_type);
    return Status::OK();
  }
  auto state = std::make_shared<BodyState>();
  state->reader = std::move(reader);
  // The first slice, before anything is sent.
  state->buffer.resize(static_cast<size_t>(std::min<uint64_t>(length, kResponseSlice)));
  auto first = state->reader->Read(state->buffer.data(), state->buffer.size());
  if (!first.ok()) return first.status();
  if (*first == 0) return DataLoss("object ended before its size");
  state->buffer.resize(*first);
  res.headers.erase("Content-Type");
  res.set_content_provider(
      static_cast<size_t>(length), content_type,
      [state](size_t /*offset*/, size_t remaining, httplib::DataSink& sink) {
        if (!state->reader) return false;  // HEAD: never called
        if (!state->buffer.empty()) {  // the slice read before the headers went out
          bool written = sink.write(state->buffer.data(), state->buffer.size());
          state->buffer.clear();
          return written;
        }
        // The reader's own chunk goes to the socket: no copy in between.
        auto got = state->reader->ReadView(std::min(remaining, kResponseSlice), state->slice);
        if (!got.ok() || got->empty()) {  // headers are out: abort the connection
          const ObjectInfo& info = state->reader->info();
          spdlog::warn("GET {}/{}: body cut off with {} bytes left: {}", info.bucket,
                       info.meta.name, remaining,
                       got.ok() ? "the object ended early" : got.status().ToString());
          return false;
        }
        return sink.write(got->data(), got->size());
      });
  return Status::OK();
}

S3Result<std::unique_ptr<ObjectReader>> OpenForRead(RequestContext& ctx, const std::string& bucket,
                                                    const std::string& key,
                                                    const ReadOptions& options) {
  auto opened = ctx.store.Open(bucket, key, options);
  if (!opened.ok()) return FromStatus(opened.status(), ErrorContext::kObject);
  const std::string& target = (*opened)->info().bucket;
  if (target != bucket) {
    S3Status readable = ctx.auth_gate.AuthorizeRead(ctx.auth, S3BucketName(target));
    if (!readable.ok()) return readable.error();
  }
  return std::move(opened).value();
}

S3Result<ObjectInfo> GetObjectInfo(RequestContext& ctx, const std::string& bucket,
                                   const std::string& key) {
  auto info = ctx.store.GetInfo(bucket, key);
  if (info.ok()) return std::move(info).value();
  if (info.status().code() == Code::kNotFound && !ctx.store.GetBucketStatus(bucket).ok()) {
    return S3Error::NoSuchBucket();
  }
  return FromStatus(info.status(), ErrorContext::kObject);
}

S3Result<Headers> NewObjectHeaders(RequestContext& ctx) {
  auto headers = ObjectHeadersFromRequest(ctx.req);
  if (!headers.ok()) return headers.error();
  std::string encoding = WithoutAwsChunked(ctx.req.get_header_value("Content-Encoding"));
  if (encoding.empty()) EraseHeader(&*headers, "Content-Encoding");
  else SetHeader(&*headers, "Content-Encoding", encoding);
  if (ctx.req.has_header("x-amz-tagging")) {
    auto tags = ParseTaggingHeader(ctx.req.get_header_value("x-amz-tagging"));
    if (!tags.ok()) return tags.error();
    if (!tags->empty()) SetHeader(&*headers, kTaggingHeader, FormatTaggingHeader(*tags));
  }
  auto acl = RequestedAcl(ctx.req);
  if (!acl.ok()) return acl.error();
  if (acl->has_value()) SetObjectAcl(&*headers, **acl);
  S3Status lock = ApplyRequestedLock(ctx, &*headers);
  if (!lock.ok()) return lock.error();
  for (const auto& [name, value] : ctx.req.headers) {
    std::string lower = AsciiLower(name);
    if (lower.starts_with("x-amz-checksum-") && lower != "x-amz-checksum-algorithm" &&
        lower != "x-amz-checksum-mode" && lower != "x-amz-checksum-type") {
      SetHeader(&*headers, kChecksumHeaderPrefix + UpperAlgorithmSuffix(lower), value);
    }
  }
  return headers;
}

namespace {
std::string StoredChecksumHeader(s3::ChecksumAlgorithm algorithm) {
  return kChecksumHeaderPrefix + UpperAlgorithmSuffix(s3::ChecksumHeaderName(algorithm));
}

// A checksum that came in the aws-chunked trailer of a body larger than one write slice: the
// object was already being written, so it is added to the committed meta. The core has no
// conditional meta update, so this checks first that the key still holds this upload (a
// concurrent PUT of the same key within that round trip could still see these headers).
}  // namespace

S3Status PutObject(RequestContext& ctx) {
  if (!ctx.req.has_header("Content-Length") && !ctx.req.has_header("Transfer-Encoding")) {
    return S3Error::MissingContentLength();
  }
  auto headers = NewObjectHeaders(ctx);
  if (!headers.ok()) return headers.error();
  ObjectMeta meta;
  meta.name = ctx.address.key;
  meta.headers = std::move(headers).value();
  PutOptions options;
  if (ctx.req.has_header("If-None-Match")) {
    // S3 implements only "*" (create if absent) for writes.
    if (ctx.req.get_header_value("If-None-Match") != "*") {
      return S3Error{"NotImplemented",
                     "A header you provided implies functionality that is not implemented: "
                     "If-None-Match accepts only *",
                     501};
    }
    options.expected_revision = 0;
  }
  if (std::string if_match = ctx.req.get_header_value("If-Match"); !if_match.empty()) {
    // Conditional write: replaces only the version whose ETag matches, and only if nothing
    // replaced that version by the time this one commits (else 412).
    auto current = ctx.store.GetInfo(ctx.address.bucket, ctx.address.key);
    if (!current.ok()) return FromStatus(current.status(), ErrorContext::kObject);
    Conditions conditions{if_match, "", "", ""};
    if (EvaluateConditions(conditions, EtagOf(*current), current->mtime, false) !=
        ConditionOutcome::kProceed)
      return S3Error::PreconditionFailed();
    options.expected_revision = current->revision;
  }
  // With a trailer the object is opened on the first write: a body of up to one slice is
  // written only after it was verified, so the trailing checksum still goes into its meta.
  // Otherwise it is opened now, so the core's lookup of the version it replaces overlaps the
  // upload.
  std::unique_ptr<ObjectWriter> writer;
  bool trailer = ctx.auth.payload_mode == s3::PayloadMode::kStreamingSignedTrailer ||
                 ctx.auth.payload_mode == s3::PayloadMode::kStreamingUnsignedTrailer;
  if (!trailer) {
    auto opened = ctx.store.NewWriter(ctx.address.bucket, meta, options);
    if (!opened.ok()) return FromStatus(opened.status(), ErrorContext::kObject);
    writer = std::move(opened).value();
  }
  auto write = [&](std::string_view data) -> Status {
    if (!writer) {
      auto opened = ctx.store.NewWriter(ctx.address.bucket, meta, options);
      if (!opened.ok()) return opened.status();
      writer = std::move(opened).value();
    }
    return writer->Write(data);
  };
  bool checksum_in_meta = false;
  auto verified = [&](const BodySummary& summary) {
    if (writer || !summary.checksum_in_trailer || !summary.checksum_algorithm) return;
    SetHeader(&meta.headers, StoredChecksumHeader(*summary.checksum_algorithm),
              summary.checksum_base64);
    checksum_in_meta = true;
  };
  // Opened up front (no trailer), the writer hashes the body for the object's digest anyway:
  // the payload checks reuse that SHA-256.
  WrittenSha256 written_sha256;
  if (writer) written_sha256 = [&] { return writer->Sha256Raw(); };
  auto body = StreamBody(ctx.req, *ctx.reader, ctx.auth, write, verified, written_sha256);
  if (!body.ok()) {
    if (writer) writer->Abort();
    return body.error();
  }
  ctx.bytes_in = body->bytes;
  if (!writer) {  // empty body
    Status opened = write({});
    if (!opened.ok()) return FromStatus(opened, ErrorContext::kObject);
  }
  if (body->checksum_in_trailer && !checksum_in_meta) {
    // The trailer's checksum goes into the meta the commit publishes: one meta write.
    Status amended = writer->AmendMeta([&](ObjectMeta& m) {
      SetHeader(&m.headers, StoredChecksumHeader(*body->checksum_algorithm), body->checksum_base64);
    });
    if (!amended.ok()) return FromStatus(amended, ErrorContext::kObject);
  }
  auto info = writer->Commit();
  if (!info.ok()) return FromStatus(info.status(), ErrorContext::kObject);
  ctx.res.set_header("ETag", EtagOf(*info));
  // A bucket with object lock is one S3 would version: its objects' one version is "null",
  // and clients that pass a write's version id on (minio-go's RemoveObjects) get it.
  if (auto lock = ctx.store.GetObjectLockConfig(ctx.address.bucket); lock.ok() && lock->enabled)
    ctx.res.set_header("x-amz-version-id", "null");
  if (body->checksum_algorithm) {
    std::string header(s3::ChecksumHeaderName(*body->checksum_algorithm));
    ctx.res.set_header(header, body->checksum_base64);
  }
  SendEmpty(ctx.res, 200);
  return {};
}

S3Status GetObject(RequestContext& ctx, bool head) {
  // natss3 applies Range itself (S3 rules, 416 as XML); HttplibServer::Process took httplib's
  // parsed Range away so that httplib does not re-apply it.
  const httplib::Request& req = ctx.req;
  std::optional<int> part_number;
  if (ctx.address.Has("partNumber")) {
    auto parsed = ParsePartNumber(ctx.address.Get("partNumber"));
    if (!parsed.ok()) return parsed.error();
    if (req.has_header("Range")) {
      return S3Error::InvalidRequest(
          "Cannot specify both Range header and partNumber query parameter");
    }
    part_number = *parsed;
  }
  std::unique_ptr<ObjectReader> whole_reader;
  if (!head && !req.has_header("Range") && !part_number) {
    // The common whole-object GET: one open (which reads the meta) instead of info + open.
    auto opened = OpenForRead(ctx, ctx.address.bucket, ctx.address.key);
    if (!opened.ok()) return opened.error();
    whole_reader = std::move(opened).value();
  }
  auto info = whole_reader ? S3Result<ObjectInfo>(whole_reader->info())
                           : GetObjectInfo(ctx, ctx.address.bucket, ctx.address.key);
  if (!info.ok()) return info.error();
  if (!whole_reader && info->is_link()) {
    auto opened = OpenForRead(ctx, ctx.address.bucket, ctx.address.key);
    if (!opened.ok()) return opened.error();
    *info = (*opened)->info();
    whole_reader = std::move(opened).value();
  }
  Conditions conditions{req.get_header_value("If-Match"), req.get_header_value("If-None-Match"),
                        req.get_header_value("If-Modified-Since"),
                        req.get_header_value("If-Unmodified-Since")};
  std::string etag = EtagOf(*info);
  switch (EvaluateConditions(conditions, etag, info->mtime, true)) {
    case ConditionOutcome::kPreconditionFailed:
      return S3Error::PreconditionFailed();
    case ConditionOutcome::kNotModified:
      ctx.res.set_header("ETag", etag);
      ctx.res.set_header("Last-Modified", FormatHttpDate(info->mtime));
      ctx.res.status = 304;
      return {};
    case ConditionOutcome::kProceed: break;
  }
  RangeResult range{RangeResult::Kind::kWhole, {0, info->size}};
  if (req.has_header("Range")) range = ParseRange(req.get_header_value("Range"), info->size);
  int parts_count = 0;
  if (part_number) {
    auto part = SelectPart(*info, *part_number);
    if (!part.ok()) return part.error();
    parts_count = part->parts_count;
    if (part->range.length > 0) range = {RangeResult::Kind::kPartial, part->range};
  }
  if (range.kind == RangeResult::Kind::kUnsatisfiable) {
    ctx.res.set_header("Content-Range", "bytes */" + std::to_string(info->size));
    return S3Error::InvalidRange();
  }
  bool partial = range.kind == RangeResult::Kind::kPartial;
  ByteRange selected = partial ? range.range : ByteRange{0, info->size};
  // Stored checksums describe the whole object: a ranged response must not carry them.
  bool with_checksums = !partial && req.get_header_value("x-amz-checksum-mode") == "ENABLED";
  SetObjectResponseHeaders(*info, ctx.address, with_checksums, ctx.res);
  SetLockResponseHeaders(*info, ctx.res);
  std::string content_type = ctx.res.get_header_value("Content-Type");
  ctx.res.status = partial ? 206 : 200;
  if (partial) ctx.res.set_header("Content-Range", ContentRange(selected, info->size));
  if (parts_count > 0) ctx.res.set_header("x-amz-mp-parts-count", std::to_string(parts_count));
  if (head) {
    ctx.res.headers.erase("Content-Type");
    if (selected.length == 0) ctx.res.set_content("", content_type);
    else ctx.res.set_content_provider(selected.length, content_type,
                                      [](size_t, size_t, httplib::DataSink&) { return false; });
    return {};
  }
  std::unique_ptr<ObjectReader> reader;
  if (whole_reader && !partial) {
    reader = std::move(whole_reader);
  } else {
    ReadOptions options;
    options.offset = selected.offset;
    options.length = selected.length;
    options.verify_digest = !partial;
    // Exactly the version whose headers were decided on (a link's target, after the open
    // above), without another meta lookup. A version replaced since has lost its chunks.
    auto opened = ctx.store.OpenInfo(*info, options);
    if (!opened.ok() && opened.status().code() == Code::kDataLoss) {
      return S3Error{"ServiceUnavailable", "The object changed while it was opened; retry", 503};
    }
    if (!opened.ok()) return FromStatus(opened.status(), ErrorContext::kObject);
    reader = std::move(opened).value();
  }
  Status streamed = StreamObjectBody(ctx.res, std::move(reader), selected.length, content_type);
  if (streamed.code() == Code::kDataLoss) {
    return S3Error{"ServiceUnavailable", "The object changed while it was read; retry", 503};
  }
  if (!streamed.ok()) return FromStatus(streamed, ErrorContext::kObject);
  return {};
}

S3Status DeleteObject(RequestContext& ctx) {
  DeleteOptions options;
  options.bypass_governance = BypassGovernance(ctx);
  Status st = ctx.store.DeleteWithOptions(ctx.address.bucket, ctx.address.key, options);
  if (st.code() == Code::kNotFound) {
    S3Status bucket = RequireBucket(ctx);
    if (!bucket.ok()) return bucket;
  } else if (!st.ok()) {
    return FromStatus(st, ErrorContext::kObject);
  }
  SendEmpty(ctx.res, 204);
  return {};
}

S3Status GetObjectTagging(RequestContext& ctx) {
  auto info = GetObjectInfo(ctx, ctx.address.bucket, ctx.address.key);
  if (!info.ok()) return info.error();
  auto tags = ParseTaggingHeader(info->Header(kTaggingHeader));
  SendXml(ctx.res, 200, TaggingXml(tags.ok() ? *tags : TagSet{}));
  return {};
}

namespace {
S3Status ReplaceTags(RequestContext& ctx, const TagSet& tags) {
  auto info = GetObjectInfo(ctx, ctx.address.bucket, ctx.address.key);
  if (!info.ok()) return info.error();
  // Only the tagging header changes, on whatever version is current when it is written.
  auto updated = ctx.store.ModifyMeta(ctx.address.bucket, ctx.address.key, [&](ObjectInfo& cur) {
    if (tags.empty()) EraseHeader(&cur.meta.headers, kTaggingHeader);
    else SetHeader(&cur.meta.headers, kTaggingHeader, FormatTaggingHeader(tags));
    return Status::OK();
  });
  if (!updated.ok()) return FromStatus(updated.status(), ErrorContext::kObject);
  return {};
}
}  // namespace

S3Status PutObjectTagging(RequestContext& ctx) {
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, 64 * 1024);
  if (!body.ok()) return body.error();
  auto tags = ParseTagging(*body);
  if (!tags.ok()) return tags.error();
  S3Status replaced = ReplaceTags(ctx, *tags);
  if (!replaced.ok()) return replaced;
  SendEmpty(ctx.res, 200);
  return {};
}

S3Status DeleteObjectTagging(RequestContext& ctx) {
  S3Status replaced = ReplaceTags(ctx, {});
  if (!replaced.ok()) return replaced;
  SendEmpty(ctx.res, 204);
  return {};
}

}  // namespace natss3::s3d
