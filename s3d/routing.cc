// Request addressing and operation classification.
#include "s3d/routing.h"

#include "natss3/names.h"

#include <algorithm>
#include <array>

namespace natss3::s3d {

std::string_view OperationName(Operation op) {
  // clang-format off
  static constexpr std::array<std::string_view, 46> kNames = {
      "ListBuckets", "CreateBucket", "DeleteBucket", "HeadBucket", "GetBucketLocation",
      "GetBucketVersioning", "ListObjects", "ListObjectsV2", "ListMultipartUploads",
      "DeleteObjects", "PutObject", "CopyObject", "GetObject", "HeadObject", "DeleteObject",
      "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "CreateMultipartUpload",
      "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload",
      "ListParts", "ListObjectVersions", "PutBucketVersioning", "GetObjectAttributes",
      "GetBucketAcl", "PutBucketAcl", "GetObjectAcl", "PutObjectAcl", "GetBucketCors",
      "PutBucketCors", "DeleteBucketCors", "GetObjectLockConfiguration",
      "PutObjectLockConfiguration", "GetObjectRetention", "PutObjectRetention",
      "GetObjectLegalHold", "PutObjectLegalHold", "GetBucketPolicy", "PutBucketPolicy",
      "DeleteBucketPolicy", "Preflight", "NotImplemented",
      "MethodNotAllowed"};
  // clang-format on
  return kNames[static_cast<size_t>(op)];
}

bool IsReadOperation(Operation op) {
  switch (op) {
    case Operation::kListBuckets:
    case Operation::kHeadBucket:
    case Operation::kGetBucketLocation:
    case Operation::kGetBucketVersioning:
    case Operation::kListObjectsV1:
    case Operation::kListObjectsV2:
    case Operation::kListMultipartUploads:
    case Operation::kGetObject:
    case Operation::kHeadObject:
    case Operation::kGetObjectTagging:
    case Operation::kListParts:
    case Operation::kListObjectVersions:
    case Operation::kGetObjectAttributes:
    case Operation::kGetBucketAcl:
    case Operation::kGetObjectAcl:
    case Operation::kGetBucketCors:
    case Operation::kGetObjectLockConfiguration:
    case Operation::kGetObjectRetention:
    case Operation::kGetObjectLegalHold:
      return true;
    default:
      return false;
  }
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool UriDecode(std::string_view in, std::string* out, bool plus_is_space) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

QueryParams ParseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!UriDecode(pair.substr(0, eq), &key, true)) key = std::string(pair.substr(0, eq));
    if (eq != std::string_view::npos && !UriDecode(pair.substr(eq + 1), &value, true)) {
      value = std::string(pair.substr(eq + 1));
    }
    params.emplace(std::move(key), std::move(value));
  }
  return params;
}

S3Result<S3Address> ParseAddress(std::string_view target, std::string_view host,
                                 std::string_view domain) {
  S3Address address;
  size_t question = target.find('?');
  address.raw_path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) address.raw_query = std::string(target.substr(question + 1));
  address.query = ParseQuery(address.raw_query);
  std::string path;
  if (!UriDecode(address.raw_path, &path, false)) {
    return S3Error::InvalidArgument("Malformed percent-encoding in the request path");
  }
  if (path.empty() || path[0] != '/')
    return S3Error::InvalidRequest("The request path must start with /");
  std::string_view rest = std::string_view(path).substr(1);

  std::string_view hostname = host.substr(0, host.rfind(':') == std::string_view::npos ||
                                                     host.find(']') != std::string_view::npos
                                                 ? host.size()
                                                 : host.rfind(':'));
  if (!domain.empty() && hostname.size() > domain.size() + 1 && hostname.ends_with(domain) &&
      hostname[hostname.size() - domain.size() - 1] == '.') {
    address.bucket = std::string(hostname.substr(0, hostname.size() - domain.size() - 1));
    address.key = std::string(rest);
    address.virtual_host = true;
    return address;
  }
  size_t slash = rest.find('/');
  address.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) address.key = std::string(rest.substr(slash + 1));
  return address;
}

namespace {
// Sub-resources of S3 that natss3 does not implement (501 rather than a wrong answer).
bool HasUnsupportedSubresource(const S3Address& a) {
  static const char* kUnsupported[] = {
      "policy", "policyStatus", "lifecycle", "website", "logging",
      "notification", "replication", "encryption",
      "torrent", "restore", "select", "analytics", "inventory", "metrics", "accelerate",
      "requestPayment", "ownershipControls", "publicAccessBlock", "intelligent-tiering"};
  for (const char* name : kUnsupported) {
    if (a.Has(name)) return true;
  }
  return false;
}

Operation ClassifyBucket(std::string_view method, const S3Address& a) {
  if (method == "GET" || method == "HEAD") {
    if (method == "HEAD") return Operation::kHeadBucket;
    if (a.Has("location")) return Operation::kGetBucketLocation;
    if (a.Has("versioning")) return Operation::kGetBucketVersioning;
    if (a.Has("uploads")) return Operation::kListMultipartUploads;
    if (a.Has("versions")) return Operation::kListObjectVersions;
    if (a.Has("acl")) return Operation::kGetBucketAcl;
    if (a.Has("cors")) return Operation::kGetBucketCors;
    if (a.Has("policy")) return Operation::kGetBucketPolicy;
    if (a.Has("object-lock")) return Operation::kGetObjectLockConfiguration;
    if (a.Has("tagging") || HasUnsupportedSubresource(a)) return Operation::kNotImplemented;
    if (a.Get("list-type") == "2") return Operation::kListObjectsV2;
    return Operation::kListObjectsV1;
  }
  if (method == "PUT") {
    if (a.Has("versioning")) return Operation::kPutBucketVersioning;
    if (a.Has("acl")) return Operation::kPutBucketAcl;
    if (a.Has("cors")) return Operation::kPutBucketCors;
    if (a.Has("policy")) return Operation::kPutBucketPolicy;
    if (a.Has("object-lock")) return Operation::kPutObjectLockConfiguration;
    if (a.Has("tagging") || HasUnsupportedSubresource(a)) return Operation::kNotImplemented;
    return Operation::kCreateBucket;
  }
  if (method == "DELETE") {
    if (a.Has("cors")) return Operation::kDeleteBucketCors;
    if (a.Has("policy")) return Operation::kDeleteBucketPolicy;
    if (a.Has("object-lock")) return Operation::kMethodNotAllowed;
    if (a.Has("tagging") || HasUnsupportedSubresource(a)) return Operation::kNotImplemented;
    return Operation::kDeleteBucket;
  }
  if (method == "POST") {
    if (a.Has("delete")) return Operation::kDeleteObjects;
    return Operation::kNotImplemented;
  }
  return Operation::kMethodNotAllowed;
}

Operation ClassifyObject(std::string_view method, const S3Address& a, bool has_copy_source) {
  bool upload = a.Has("uploadId");
  if (method == "GET" || method == "HEAD") {
    if (HasUnsupportedSubresource(a)) return Operation::kNotImplemented;
    if (method == "HEAD") return Operation::kHeadObject;
    if (a.Has("retention")) return Operation::kGetObjectRetention;
    if (a.Has("legal-hold")) return Operation::kGetObjectLegalHold;
    if (upload) return Operation::kListParts;
    if (a.Has("acl")) return Operation::kGetObjectAcl;
    if (a.Has("tagging")) return Operation::kGetObjectTagging;
    if (a.Has("attributes")) return Operation::kGetObjectAttributes;
    return Operation::kGetObject;
  }
  if (method == "PUT") {
    if (HasUnsupportedSubresource(a)) return Operation::kNotImplemented;
    if (upload && a.Has("partNumber")) {
      return has_copy_source ? Operation::kUploadPartCopy : Operation::kUploadPart;
    }
    if (a.Has("acl")) return Operation::kPutObjectAcl;
    if (a.Has("retention")) return Operation::kPutObjectRetention;
    if (a.Has("legal-hold")) return Operation::kPutObjectLegalHold;
    if (a.Has("tagging")) return Operation::kPutObjectTagging;
    return has_copy_source ? Operation::kCopyObject : Operation::kPutObject;
  }
  if (method == "DELETE") {
    if (upload) return Operation::kAbortMultipartUpload;
    if (a.Has("acl") || a.Has("retention") || a.Has("legal-hold"))
      return Operation::kMethodNotAllowed;
    if (a.Has("tagging")) return Operation::kDeleteObjectTagging;
    if (HasUnsupportedSubresource(a)) return Operation::kNotImplemented;
    return Operation::kDeleteObject;
  }
  if (method == "POST") {
    if (a.Has("uploads")) return Operation::kCreateMultipartUpload;
    if (upload) return Operation::kCompleteMultipartUpload;
    return Operation::kNotImplemented;
  }
  return Operation::kMethodNotAllowed;
}
}  // namespace

Operation Classify(std::string_view method, const S3Address& address, bool has_copy_source) {
  if (method == "OPTIONS") return Operation::kPreflight;
  if (address.bucket.empty()) {
    if (method == "GET") return Operation::kListBuckets;
    return Operation::kMethodNotAllowed;
  }
  if (address.key.empty()) return ClassifyBucket(method, address);
  return ClassifyObject(method, address, has_copy_source);
}

S3Status CheckVersionId(std::string_view id) {
  if (id == "null") return {};
  if (id.empty()) return S3Error::InvalidArgument("Version id cannot be the empty string");
  // S3 version ids are 32 characters of letters, digits, '.' and '_'.
  bool shaped = id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
                  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
                });
  if (shaped) return S3Error::NoSuchVersion();
  return S3Error::InvalidArgument("Invalid version id specified");
}

S3Status CheckVersionId(const S3Address& address) {
  if (!address.Has("versionId")) return {};
  return CheckVersionId(address.Get("versionId"));
}

S3Status ValidateNewBucketName(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) {
    return S3Error::InvalidBucketName("Bucket names must be between 3 and 63 characters long");
  }
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
      return S3Error::InvalidBucketName(
          "Bucket names can consist only of lowercase letters, numbers, dots and hyphens");
    }
  }
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) {
    return S3Error::InvalidBucketName("Bucket names must begin and end with a letter or number");
  }
  if (bucket.find("..") != std::string_view::npos || bucket.find(".-") != std::string_view::npos ||
      bucket.find("-.") != std::string_view::npos) {
    return S3Error::InvalidBucketName(
        "Bucket names must not contain two adjacent periods, or a period next to a hyphen");
  }
  // Four dot-separated groups of digits: formatted like an IP address.
  int groups = 1;
  bool digits_only = true;
  for (char c : bucket) {
    if (c == '.')
      ++groups;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      digits_only = false;
  }
  if (digits_only && groups == 4) {
    return S3Error::InvalidBucketName("Bucket names must not be formatted as an IP address");
  }
  return {};
}

S3Status ValidateExistingBucketName(std::string_view bucket) {
  if (bucket.empty() || bucket.size() > 255) {
    return S3Error::InvalidBucketName("The specified bucket is not valid.");
  }
  for (char c : bucket) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    if (!ok) {
      return S3Error::InvalidBucketName(
          "The specified bucket is not valid: NATS bucket names allow only letters, digits, "
          "'-' and '_' (an S3 name's '.' is stored as '_')");
    }
  }
  return {};
}

std::string NatsBucketName(std::string_view s3_bucket) {
  std::string out(s3_bucket);
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

std::string S3BucketName(std::string_view nats_bucket) {
  if (nats_bucket.find('_') == std::string_view::npos) return std::string(nats_bucket);
  std::string dotted(nats_bucket);
  std::replace(dotted.begin(), dotted.end(), '_', '.');
  if (ValidateNewBucketName(dotted).ok()) return dotted;
  return std::string(nats_bucket);
}

void MapBucketName(S3Address* address) {
  if (address->s3_bucket.empty()) address->s3_bucket = address->bucket;
  address->bucket = NatsBucketName(address->s3_bucket);
}

S3Status ValidateKey(std::string_view key, Operation op) {
  if (key.size() > 1024) return S3Error::KeyTooLong();
  // Objects other NATS clients named with such bytes stay readable and deletable.
  bool creates = op == Operation::kPutObject || op == Operation::kCopyObject ||
                 op == Operation::kCreateMultipartUpload;
  if (!creates) return {};
  // S3 keys are UTF-8; control characters (CR and LF included) are fine, NUL is not: it
  // cannot reach a file name, and C clients would cut the key short at it.
  if (key.find('\0') != std::string_view::npos)
    return S3Error::InvalidArgument("Object key must not contain NUL characters");
  if (!IsValidUtf8(key)) return S3Error::InvalidArgument("Object key is not valid UTF-8");
  return {};
}

}  // namespace natss3::s3d
