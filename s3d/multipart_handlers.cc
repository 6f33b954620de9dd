// Multipart upload operations: parts are staged blobs, Complete composes them server-side.
#include <openssl/evp.h>

#include <algorithm>
#include <map>

#include "natss3/crash_point.h"
#include "natss3/multipart.h"
#include "natss3/names.h"
#include "s3d/body_reader.h"
#include "s3d/copy_source.h"
#include "s3d/object_handlers.h"
#include "s3d/object_headers.h"
#include "s3d/object_parts.h"
#include "s3d/range.h"
#include "s3d/s3_service.h"
#include "s3d/xml.h"

namespace natss3::s3d {
namespace {

// A completed upload is kept a while only for Complete's retries (see CompleteMultipartUpload);
// every other operation finds no such upload.
S3Result<UploadRecord> LoadUpload(RequestContext& ctx, bool completed_too = false) {
  auto upload = ctx.uploads.Get(ctx.address.bucket, ctx.address.Get("uploadId"));
  if (!upload.ok()) return FromStatus(upload.status(), ErrorContext::kUpload);
  if (upload->key != ctx.address.key) return S3Error::NoSuchUpload();
  if (upload->is_completed() && !completed_too) return S3Error::NoSuchUpload();
  return std::move(upload).value();
}

S3Result<int> PartNumber(const S3Address& address) {
  std::string text = address.Get("partNumber");
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) {
    return S3Error::InvalidArgument(
        "Part number must be an integer between 1 and 10000, inclusive");
  }
  int number = std::stoi(text);
  if (number < 1 || number > MultipartStore::kMaxPartNumber) {
    return S3Error::InvalidArgument(
        "Part number must be an integer between 1 and 10000, inclusive");
  }
  return number;
}

std::string HexToRaw(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<char*>(digest), length));
}

S3Result<ByteRange> CopySourceRange(RequestContext& ctx, uint64_t size) {
  std::string header = ctx.req.get_header_value("x-amz-copy-source-range");
  if (header.empty()) return ByteRange{0, size};
  RangeResult range = ParseRange(header, size);
  if (range.kind != RangeResult::Kind::kPartial || !header.starts_with("bytes=") ||
      header.find('-') == std::string::npos || header[6] == '-') {
    return S3Error::InvalidArgument(
        "The x-amz-copy-source-range value must be of the form "
        "bytes=first-last where first and last are the zero-based "
        "offsets of the first and last bytes to copy");
  }
  return range.range;
}
}  // namespace

S3Status CreateMultipartUpload(RequestContext& ctx) {
  S3Status bucket = RequireBucket(ctx);
  if (!bucket.ok()) return bucket;
  auto headers = NewObjectHeaders(ctx);
  if (!headers.ok()) return headers.error();
  auto upload = ctx.uploads.Create(ctx.address.bucket, ctx.address.key, std::move(headers).value());
  if (!upload.ok()) return FromStatus(upload.status(), ErrorContext::kBucket);
  XmlWriter xml;
  xml.Open("InitiateMultipartUploadResult", true);
  xml.Element("Bucket", ctx.address.s3_bucket);
  xml.Element("Key", ctx.address.key);
  xml.Element("UploadId", upload->upload_id);
  xml.Close("InitiateMultipartUploadResult");
  SendXml(ctx.res, 200, xml.Finish());
  return {};
}

S3Status UploadPart(RequestContext& ctx, bool copy) {
  auto number = PartNumber(ctx.address);
  if (!number.ok()) return number.error();
  auto upload = LoadUpload(ctx);
  if (!upload.ok()) return upload.error();
  auto staged = ctx.store.NewStagedWriter(ctx.address.bucket);
  if (!staged.ok()) return FromStatus(staged.status(), ErrorContext::kObject);
  std::string checksum_header, checksum_value;
  if (copy) {
    auto source = ParseCopySource(ctx.req.get_header_value("x-amz-copy-source"));
    if (!source.ok()) return source.error();
    auto info = OpenCopySource(ctx, *source);
    if (!info.ok()) return info.error();
    auto range = CopySourceRange(ctx, info->size);
    if (!range.ok()) return range.error();
    ReadOptions options;
    options.offset = range->offset;
    options.length = range->length;
    options.verify_digest = range->offset == 0 && range->length == info->size;
    auto reader = OpenForRead(ctx, source->bucket, source->key, options);
    if (!reader.ok()) return reader.error();
    Status copied = CopyStream(**reader, [&](std::string_view d) { return (*staged)->Write(d); });
    if (!copied.ok()) {
      (*staged)->Abort();
      return FromStatus(copied, ErrorContext::kObject);
    }
  } else {
    if (!ctx.req.has_header("Content-Length") && !ctx.req.has_header("Transfer-Encoding")) {
      return S3Error::MissingContentLength();
    }
    auto body = StreamBody(ctx.req, *ctx.reader, ctx.auth,
                           [&](std::string_view d) { return (*staged)->Write(d); });
    if (!body.ok()) {
      (*staged)->Abort();
      return body.error();
    }
    ctx.bytes_in = body->bytes;
    if (body->checksum_algorithm) {
      checksum_header = std::string(s3::ChecksumHeaderName(*body->checksum_algorithm));
      checksum_value = body->checksum_base64;
    }
  }
  auto blob = (*staged)->Finish();
  if (!blob.ok()) return FromStatus(blob.status(), ErrorContext::kObject);
  PartRecord part{*number, *blob, Clock::now()};
  Status recorded = ctx.uploads.PutPart(*upload, part);
  if (!recorded.ok()) {
    (void)ctx.store.PurgeStaged(ctx.address.bucket, blob->nuid);
    return FromStatus(recorded, ErrorContext::kUpload);
  }
  std::string etag = "\"" + part.etag() + "\"";
  if (copy) {
    SendCopyPartResult(ctx, etag, part.last_modified);
    return {};
  }
  ctx.res.set_header("ETag", etag);
  if (!checksum_header.empty()) ctx.res.set_header(checksum_header, checksum_value);
  SendEmpty(ctx.res, 200);
  return {};
}

namespace {
void SendCompleteResult(RequestContext& ctx, const std::string& etag) {
  XmlWriter xml;
  xml.Open("CompleteMultipartUploadResult", true);
  xml.Element("Location", "/" + ctx.address.s3_bucket + "/" + ctx.address.key);
  xml.Element("Bucket", ctx.address.s3_bucket);
  xml.Element("Key", ctx.address.key);
  xml.Element("ETag", "\"" + etag + "\"");
  xml.Close("CompleteMultipartUploadResult");
  SendXml(ctx.res, 200, xml.Finish());
}
}  // namespace

S3Status CompleteMultipartUpload(RequestContext& ctx) {
  // An x-amz-checksum-* header here is the whole object's checksum, not the XML's. natss3 does
  // not verify it (the parts' checksums were verified on upload).
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, 4 << 20, ChecksumHeaders::kOfObject);
  if (!body.ok()) return body.error();
  auto requested = ParseCompleteMultipartUpload(*body);
  if (!requested.ok()) return requested.error();
  auto upload = LoadUpload(ctx, /*completed_too=*/true);
  if (!upload.ok()) return upload.error();
  if (!upload->completing_nuid.empty()) {
    // A Complete of this upload committed before (the client retries after losing the answer,
    // or natss3d crashed before marking the upload completed): answer as that Complete would
    // have, while the object is still the one it made.
    auto done = ctx.store.GetInfo(ctx.address.bucket, ctx.address.key);
    if (done.ok() && done->nuid == upload->completing_nuid) {
      if (!upload->is_completed()) (void)ctx.uploads.MarkCompleted(*upload);
      SendCompleteResult(ctx, done->Header(kEtagHeader));
      return {};
    }
    if (upload->is_completed()) return S3Error::NoSuchUpload();  // overwritten since
  }
  auto stored = ctx.uploads.Parts(ctx.address.bucket, upload->upload_id);
  if (!stored.ok()) return FromStatus(stored.status(), ErrorContext::kUpload);
  std::map<int, const PartRecord*> by_number;
  for (const PartRecord& part : *stored) by_number[part.number] = &part;
  std::vector<ObjectStore::BlobRange> blobs;
  std::vector<uint64_t> part_sizes;
  std::string md5s;
  int previous = 0;
  for (const CompletedPart& wanted : *requested) {
    if (wanted.part_number <= previous) return S3Error::InvalidPartOrder();
    previous = wanted.part_number;
  }
  for (size_t i = 0; i < requested->size(); ++i) {
    const CompletedPart& wanted = (*requested)[i];
    auto it = by_number.find(wanted.part_number);
    if (it == by_number.end() || it->second->etag() != wanted.etag) return S3Error::InvalidPart();
    bool last = i + 1 == requested->size();
    if (!last && it->second->blob.size < MultipartStore::kMinPartSize)
      return S3Error::EntityTooSmall();
    blobs.push_back({it->second->blob, 0, std::nullopt});
    part_sizes.push_back(it->second->blob.size);
    md5s += HexToRaw(it->second->etag());
  }
  std::string etag = Md5Hex(md5s) + "-" + std::to_string(requested->size());
  ObjectMeta meta;
  meta.name = ctx.address.key;
  meta.headers = upload->headers;
  SetHeader(&meta.headers, kEtagHeader, etag);
  SetHeader(&meta.headers, kPartsHeader, EncodePartSizes(part_sizes));
  // The nuid is recorded first, so success can be recognised after a crash (see
  // UploadRecord::completing_nuid).
  PutOptions options;
  options.nuid = NewNuid();
  options.md5 = false;  // the ETag is the multipart one above: no MD5 of the whole object
  Status marked = ctx.uploads.MarkCompleting(*upload, options.nuid);
  if (!marked.ok()) return FromStatus(marked, ErrorContext::kUpload);
  auto info = ctx.store.Compose(ctx.address.bucket, meta, blobs, options);
  if (!info.ok()) return FromStatus(info.status(), ErrorContext::kObject);
  CrashPoint("complete.after_commit");
  (void)ctx.uploads.MarkCompleted(*upload);
  SendCompleteResult(ctx, etag);
  return {};
}

S3Status AbortMultipartUpload(RequestContext& ctx) {
  auto upload = LoadUpload(ctx);
  if (!upload.ok()) return upload.error();
  Status removed = ctx.uploads.Remove(ctx.address.bucket, upload->upload_id);
  if (!removed.ok()) return FromStatus(removed, ErrorContext::kUpload);
  SendEmpty(ctx.res, 204);
  return {};
}

S3Status ListParts(RequestContext& ctx) {
  auto upload = LoadUpload(ctx);
  if (!upload.ok()) return upload.error();
  auto parts = ctx.uploads.Parts(ctx.address.bucket, upload->upload_id);
  if (!parts.ok()) return FromStatus(parts.status(), ErrorContext::kUpload);
  int marker = 0;
  size_t max_parts = 1000;
  auto number = [](const std::string& text) {
    return !text.empty() && text.size() <= 9 &&
           text.find_first_not_of("0123456789") == std::string::npos;
  };
  if (ctx.address.Has("part-number-marker")) {
    std::string text = ctx.address.Get("part-number-marker");
    if (!number(text))
      return S3Error::InvalidArgument("Argument partNumberMarker must be an integer.");
    marker = static_cast<int>(std::min<unsigned long>(std::stoul(text), MultipartStore::kMaxPartNumber));
  }
  if (ctx.address.Has("max-parts")) {
    std::string text = ctx.address.Get("max-parts");
    if (!number(text)) {
      return S3Error::InvalidArgument(
          "Argument max-parts must be an integer between 0 and 2147483647");
    }
    max_parts = std::min<size_t>(std::stoul(text), 1000);
  }
  XmlWriter xml;
  xml.Open("ListPartsResult", true);
  xml.Element("Bucket", ctx.address.s3_bucket);
  xml.Element("Key", ctx.address.key);
  xml.Element("UploadId", upload->upload_id);
  xml.Element("PartNumberMarker", static_cast<uint64_t>(marker));
  size_t emitted = 0;
  int last = marker;
  bool truncated = false;
  for (const PartRecord& part : *parts) {
    if (part.number <= marker) continue;
    if (emitted == max_parts) { truncated = true; break; }
    xml.Open("Part");
    xml.Element("PartNumber", static_cast<uint64_t>(part.number));
    xml.Element("LastModified", FormatIso8601(part.last_modified));
    xml.Element("ETag", "\"" + part.etag() + "\"");
    xml.Element("Size", part.blob.size);
    xml.Close("Part");
    last = part.number;
    ++emitted;
  }
  xml.Element("NextPartNumberMarker", static_cast<uint64_t>(last));
  xml.Element("MaxParts", static_cast<uint64_t>(max_parts));
  xml.Element("IsTruncated", truncated);
  xml.Element("StorageClass", StorageClassOf(upload->headers));
  xml.Close("ListPartsResult");
  SendXml(ctx.res, 200, xml.Finish());
  return {};
}

S3Status ListMultipartUploads(RequestContext& ctx) {
  const S3Address& a = ctx.address;
  size_t max_uploads = 1000;
  if (a.Has("max-uploads")) {
    std::string text = a.Get("max-uploads");
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
      return S3Error::InvalidArgument(
          "Argument max-uploads must be an integer between 0 and 2147483647");
    }
    max_uploads = std::min<size_t>(std::stoul(text), 1000);
  }
  bool url_encoding = false;
  if (a.Has("encoding-type")) {
    if (a.Get("encoding-type") != "url")
      return S3Error::InvalidArgument("Invalid Encoding Method specified in Request");
    url_encoding = true;
  }
  std::string prefix = a.Get("prefix"), delimiter = a.Get("delimiter");
  std::string key_marker = a.Get("key-marker");
  // Without a key-marker S3 ignores upload-id-marker.
  std::string upload_marker = key_marker.empty() ? "" : a.Get("upload-id-marker");
  S3Status bucket = RequireBucket(ctx);
  if (!bucket.ok()) return bucket;
  auto uploads = ctx.uploads.List(a.bucket);
  if (!uploads.ok()) return FromStatus(uploads.status(), ErrorContext::kBucket);
  // Uploads of one key are listed in initiation order; one after the upload-id-marker follows
  // it in that order (or, if that upload is gone, has a greater id).
  bool marker_seen = false;
  for (const UploadRecord& u : *uploads) {
    if (u.key == key_marker && u.upload_id == upload_marker) marker_seen = true;
  }
  std::vector<const UploadRecord*> page;
  std::vector<std::string> common_prefixes;
  bool truncated = false, passed_marker = false;
  std::string next_key, next_upload;
  for (const UploadRecord& u : *uploads) {
    if (!u.key.starts_with(prefix)) continue;
    std::string group;
    if (!delimiter.empty()) {
      size_t at = u.key.find(delimiter, prefix.size());
      if (at != std::string::npos) group = u.key.substr(0, at + delimiter.size());
    }
    if (!group.empty()) {
      if (!key_marker.empty() && group <= key_marker) continue;  // shown on an earlier page
      if (!common_prefixes.empty() && common_prefixes.back() == group) continue;
    } else if (!key_marker.empty()) {
      if (u.key < key_marker) continue;
      if (u.key == key_marker) {
        if (upload_marker.empty()) continue;
        bool after = marker_seen ? passed_marker : u.upload_id > upload_marker;
        if (u.upload_id == upload_marker) passed_marker = true;
        if (!after) continue;
      }
    }
    if (page.size() + common_prefixes.size() >= max_uploads) {
      truncated = true;
      break;
    }
    if (!group.empty()) {
      common_prefixes.push_back(group);
      next_key = group;
      next_upload.clear();
    } else {
      page.push_back(&u);
      next_key = u.key;
      next_upload = u.upload_id;
    }
  }
  auto encode = [&](std::string_view v) { return url_encoding ? UriEncode(v, false) : std::string(v); };
  XmlWriter xml;
  xml.Open("ListMultipartUploadsResult", true);
  xml.Element("Bucket", a.s3_bucket);
  xml.Element("KeyMarker", encode(key_marker));
  xml.Element("UploadIdMarker", upload_marker);
  if (truncated) {
    xml.Element("NextKeyMarker", encode(next_key));
    xml.Element("NextUploadIdMarker", next_upload);
  }
  xml.Element("Prefix", encode(prefix));
  if (!delimiter.empty()) xml.Element("Delimiter", encode(delimiter));
  if (url_encoding) xml.Element("EncodingType", "url");
  xml.Element("MaxUploads", static_cast<uint64_t>(max_uploads));
  xml.Element("IsTruncated", truncated);
  for (const UploadRecord* upload : page) {
    xml.Open("Upload");
    xml.Element("Key", encode(upload->key));
    xml.Element("UploadId", upload->upload_id);
    xml.Open("Initiator");
    xml.Element("ID", kOwnerId);
    xml.Element("DisplayName", kOwnerName);
    xml.Close("Initiator");
    xml.Open("Owner");
    xml.Element("ID", kOwnerId);
    xml.Element("DisplayName", kOwnerName);
    xml.Close("Owner");
    xml.Element("StorageClass", StorageClassOf(upload->headers));
    xml.Element("Initiated", FormatIso8601(upload->initiated));
    xml.Close("Upload");
  }
  for (const std::string& group : common_prefixes) {
    xml.Open("CommonPrefixes");
    xml.Element("Prefix", encode(group));
    xml.Close("CommonPrefixes");
  }
  xml.Close("ListMultipartUploadsResult");
  SendXml(ctx.res, 200, xml.Finish());
  return {};
}

}  // namespace natss3::s3d
