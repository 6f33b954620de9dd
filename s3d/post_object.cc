// POST Object (browser uploads): streamed form parsing, policy checks, store write, response.
#include "s3d/post_object.h"

#include <strings.h>

#include <optional>

#include "auth/checksums.h"
#include "auth/form_data.h"
#include "auth/post_policy.h"
#include "natss3/ascii.h"
#include "natss3/object_store.h"
#include "s3d/acl.h"
#include "s3d/body_reader.h"
#include "s3d/object_headers.h"
#include "s3d/xml.h"

namespace natss3::s3d {
namespace {

const std::string* Field(const s3::FormFields& fields, std::string_view name) {
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

// Content headers a form may set, by lower-case field name -> stored header name.
constexpr std::pair<const char*, const char*> kContentFields[] = {
    {"content-type", "Content-Type"},
    {"cache-control", "Cache-Control"},
    {"content-disposition", "Content-Disposition"},
    {"content-encoding", "Content-Encoding"},
    {"content-language", "Content-Language"},
    {"expires", "Expires"}};

S3Result<Headers> ObjectHeadersFromForm(const s3::FormFields& fields) {
  for (const auto& [field, value] : fields) {
    if (AsksForServerSideEncryption(field)) return ServerSideEncryptionNotImplemented();
  }
  Headers headers;
  for (const auto& [field, header] : kContentFields) {
    if (const std::string* value = Field(fields, field)) headers[header] = {*value};
  }
  size_t meta_bytes = 0;
  for (auto it = fields.lower_bound("x-amz-meta-");
       it != fields.end() && it->first.rfind("x-amz-meta-", 0) == 0; ++it) {
    std::string suffix = it->first.substr(11);
    meta_bytes += suffix.size() + it->second.size();
    headers["X-Amz-Meta-" + suffix] = {it->second};
  }
  if (meta_bytes > 2048) {
    return S3Error{"MetadataTooLarge",
                   "Your metadata headers exceed the maximum allowed metadata size.", 400};
  }
  if (const std::string* storage_class = Field(fields, "x-amz-storage-class")) {
    S3Status valid = ValidateStorageClass(*storage_class);
    if (!valid.ok()) return valid.error();
    if (*storage_class != "STANDARD") headers[kStorageClassHeader] = {*storage_class};
  }
  if (const std::string* acl_field = Field(fields, "acl")) {
    auto acl = ParseCannedAcl(*acl_field);
    if (!acl) return S3Error::InvalidArgument("Invalid canned ACL: " + *acl_field);
    SetObjectAcl(&headers, *acl);
  }
  return headers;
}

std::string QueryEncode(std::string_view value) { return UriEncode(value, true); }

// Everything decided when the file part begins.
struct Upload {
  std::string key;
  std::optional<std::pair<int64_t, int64_t>> length_range;
  std::unique_ptr<ObjectWriter> writer;
};

S3Result<Upload> BeginUpload(RequestContext& ctx, s3::FormFields& fields,
                             std::string_view filename) {
  auto auth = ctx.auth_gate.AuthenticatePost(fields);
  if (!auth.ok()) return auth.error();
  const std::string* key_field = Field(fields, "key");
  if (key_field == nullptr) {
    return S3Error::InvalidArgument(
        "Bucket POST must contain a field named 'key'.  If it is specified, please check the "
        "order of the fields.");
  }
  Upload upload;
  upload.key = *key_field;
  for (size_t at = upload.key.find("${filename}"); at != std::string::npos;
       at = upload.key.find("${filename}", at + filename.size())) {
    upload.key.replace(at, 11, filename);
  }
  S3Status valid_key = upload.key.empty()
                           ? S3Error::InvalidArgument("User key must have a length greater than 0.")
                           : ValidateKey(upload.key, Operation::kPutObject);
  if (!valid_key.ok()) return valid_key.error();
  if (const std::string* policy_b64 = Field(fields, "policy")) {
    std::optional<std::string> json = s3::Base64Decode(*policy_b64);
    if (!json) {
      return S3Error{"InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Policy.", 400};
    }
    auto policy = s3::ParsePostPolicy(*json);
    if (!policy.ok()) return policy.error();
    s3::FormFields checked = fields;
    checked["key"] = upload.key;
    checked["bucket"] = ctx.address.s3_bucket;
    s3::S3Status satisfied =
        s3::CheckPostPolicy(*policy, checked, std::chrono::system_clock::now());
    if (!satisfied.ok()) return satisfied.error();
    upload.length_range = policy->length_range;
  }
  S3Status allowed =
      AuthorizeRequest(ctx.store, ctx.auth_gate, ctx.records, *auth, Operation::kPutObject,
                       ctx.address.bucket, ctx.address.s3_bucket, upload.key);
  if (!allowed.ok()) return allowed.error();
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists.error();
  auto headers = ObjectHeadersFromForm(fields);
  if (!headers.ok()) return headers.error();
  ObjectMeta meta;
  meta.name = upload.key;
  meta.headers = std::move(headers).value();
  auto writer = ctx.store.NewWriter(ctx.address.bucket, meta, PutOptions{});
  if (!writer.ok()) return FromStatus(writer.status(), ErrorContext::kObject);
  upload.writer = std::move(writer).value();
  ctx.auth = std::move(auth).value();
  return upload;
}

void SendPostResponse(RequestContext& ctx, const s3::FormFields& fields, const std::string& key,
                      const std::string& etag) {
  std::string host = ctx.req.get_header_value("Host");
  std::string location =
      "http://" + host + "/" + ctx.address.s3_bucket + "/" + UriEncode(key, false);
  ctx.res.set_header("ETag", etag);
  ctx.res.set_header("Location", location);
  const std::string* redirect = Field(fields, "success_action_redirect");
  if (redirect == nullptr) redirect = Field(fields, "redirect");
  if (redirect != nullptr && !redirect->empty()) {
    std::string target = *redirect;
    target += target.find('?') == std::string::npos ? '?' : '&';
    target += "bucket=" + QueryEncode(ctx.address.s3_bucket) + "&key=" + QueryEncode(key) +
              "&etag=" + QueryEncode(etag);
    ctx.res.headers.erase("Location");
    ctx.res.set_header("Location", target);
    SendEmpty(ctx.res, 303);
    return;
  }
  const std::string* status = Field(fields, "success_action_status");
  if (status != nullptr && *status == "200") {
    SendEmpty(ctx.res, 200);
  } else if (status != nullptr && *status == "201") {
    XmlWriter xml;
    xml.Open("PostResponse");
    xml.Element("Location", location);
    xml.Element("Bucket", ctx.address.s3_bucket);
    xml.Element("Key", key);
    xml.Element("ETag", etag);
    xml.Close("PostResponse");
    SendXml(ctx.res, 201, xml.Finish());
  } else {
    SendEmpty(ctx.res, 204);
  }
}

}  // namespace

bool IsPostObject(const httplib::Request& req, const S3Address& address) {
  if (req.method != "POST" || address.bucket.empty() || !address.key.empty()) return false;
  if (!address.query.empty()) return false;
  std::string type = req.get_header_value("Content-Type");
  std::string_view main = std::string_view(type).substr(0, type.find(';'));
  while (!main.empty() && main.back() == ' ') main.remove_suffix(1);
  return main.size() == 19 && strncasecmp(main.data(), "multipart/form-data", 19) == 0;
}

S3Status PostObject(RequestContext& ctx) {
  S3Status bucket_name = ValidateExistingBucketName(ctx.address.s3_bucket);
  if (!bucket_name.ok()) return bucket_name;
  std::optional<std::string> boundary =
      s3::FormDataBoundary(ctx.req.get_header_value("Content-Type"));
  if (!boundary) {
    return s3::MalformedPostRequest(
        "The body of your POST request is not well-formed multipart/form-data: no boundary.");
  }
  bool has_body = ctx.req.has_header("Content-Length") || ctx.req.has_header("Transfer-Encoding");
  if (ctx.reader == nullptr || !has_body) return s3::MalformedPostRequest();

  s3::FormFields fields;
  std::optional<Upload> upload;
  std::optional<S3Error> failure;
  std::string pending;  // batches the file into store-sized writes
  uint64_t size = 0;
  bool file_done = false;
  auto flush = [&]() -> s3::S3Status {
    if (pending.empty()) return s3::S3Status::OK();
    Status written = upload->writer->Write(pending);
    pending.clear();
    if (!written.ok()) {
      failure = FromStatus(written, ErrorContext::kObject);
      return s3::S3Error::InternalError();
    }
    return s3::S3Status::OK();
  };
  // A failure decided here (not an S3Error of the parser) is kept in `failure`; the parser
  // only needs to stop.
  auto stop = [&](S3Error error) -> s3::S3Status {
    failure = std::move(error);
    return s3::S3Error::InternalError();
  };
  s3::FormDataParser::Callbacks callbacks;
  callbacks.on_field = [&](std::string_view name, std::string_view value) {
    fields.emplace(AsciiLower(name), std::string(value));
    return s3::S3Status::OK();
  };
  callbacks.on_file_start = [&](std::string_view, std::string_view filename, std::string_view) {
    auto begun = BeginUpload(ctx, fields, filename);
    if (!begun.ok()) return stop(begun.error());
    upload = std::move(begun).value();
    pending.reserve(kBodyWriteSlice);
    return s3::S3Status::OK();
  };
  callbacks.on_file_data = [&](std::string_view data) -> s3::S3Status {
    size += data.size();
    if (upload->length_range && size > static_cast<uint64_t>(upload->length_range->second)) {
      return stop(S3Error::EntityTooLarge());
    }
    while (!data.empty()) {
      if (pending.size() == kBodyWriteSlice) {
        s3::S3Status flushed = flush();
        if (!flushed.ok()) return flushed;
      }
      size_t take = std::min(data.size(), kBodyWriteSlice - pending.size());
      pending.append(data.substr(0, take));
      data.remove_prefix(take);
    }
    return s3::S3Status::OK();
  };
  callbacks.on_file_end = [&]() {
    file_done = true;
    return s3::S3Status::OK();
  };
  s3::FormDataParser parser(*boundary, std::move(callbacks));
  std::optional<s3::S3Error> parse_error;
  uint64_t received = 0;
  bool complete = (*ctx.reader)([&](const char* data, size_t length) {
    received += length;
    s3::S3Status fed = parser.Feed(std::string_view(data, length));
    if (!fed.ok()) {
      if (!failure) parse_error = fed.error();
      return false;
    }
    return true;
  });
  ctx.bytes_in = received;
  auto abort = [&]() {
    if (upload && upload->writer) upload->writer->Abort();
  };
  if (failure) {
    abort();
    return *failure;
  }
  if (parse_error) {
    abort();
    return *parse_error;
  }
  if (!complete) {
    abort();
    return S3Error::IncompleteBody();
  }
  if (s3::S3Status finished = parser.Finish(); !finished.ok()) {
    abort();
    return finished.error();
  }
  if (!upload || !file_done) {
    abort();
    return S3Error::InvalidArgument("POST requires exactly one file upload per request.");
  }
  if (upload->length_range && size < static_cast<uint64_t>(upload->length_range->first)) {
    abort();
    return S3Error::EntityTooSmall();
  }
  if (!flush().ok()) {
    abort();
    return *failure;
  }
  auto info = upload->writer->Commit();
  if (!info.ok()) return FromStatus(info.status(), ErrorContext::kObject);
  SendPostResponse(ctx, fields, upload->key, EtagOf(*info));
  return {};
}

}  // namespace natss3::s3d
