// How S3 object headers live in the object's NATS headers (so nats.go sees Content-Type etc.),
// and ETags: quoted MD5 hex from the core's MD5 header, the multipart ETag header, or, for
// objects written by other NATS clients, a stable "<hex>-1" value derived from their SHA-256.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

#include "natss3/types.h"
#include "s3d/errors.h"
#include "s3d/routing.h"

namespace natss3::s3d {

inline constexpr const char* kOwnerId = "natss3";
inline constexpr const char* kOwnerName = "natss3";
// Multipart ETag "<md5 of part md5s>-N" (unquoted).
inline constexpr const char* kEtagHeader = "Natss3-Etag";
// Object tags, URL-encoded query syntax (as in x-amz-tagging).
inline constexpr const char* kTaggingHeader = "Natss3-Tagging";
// Checksums the client supplied at upload: "Natss3-Checksum-CRC32" etc., base64 values.
inline constexpr const char* kChecksumHeaderPrefix = "Natss3-Checksum-";

// The storage class given at upload (x-amz-storage-class), absent for STANDARD.
inline constexpr const char* kStorageClassHeader = "Natss3-Storage-Class";

// Whether a (lower-case) header or POST form field asks for server-side encryption: SSE-S3,
// SSE-KMS or SSE-C (x-amz-server-side-encryption*, x-amz-copy-source-server-side-encryption*).
bool AsksForServerSideEncryption(std::string_view lower_name);
// NotImplemented (501): natss3 keeps objects as NATS stores them, so honouring the request's
// encryption headers by ignoring them would store in the clear what the client asked to encrypt
// (and serve an SSE-C object to anyone without its key).
S3Error ServerSideEncryptionNotImplemented();

// InvalidStorageClass (400) unless `storage_class` is one S3 defines (STANDARD,
// REDUCED_REDUNDANCY, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, DEEP_ARCHIVE,
// GLACIER_IR, OUTPOSTS, SNOW, EXPRESS_ONEZONE). natss3 keeps and reports the class; storage
// itself is the same for all.
S3Status ValidateStorageClass(std::string_view storage_class);
// The stored storage class of an object or upload, "STANDARD" when none is stored.
std::string StorageClassOf(const Headers& headers);
// Sets (or, for STANDARD or no header, removes) kStorageClassHeader in `headers` from the
// request's x-amz-storage-class; InvalidStorageClass for an unknown class.
S3Status ApplyStorageClass(const httplib::Request& req, Headers* headers);

// Quoted ETag: etag_header if set, else md5 hex, else (objects other NATS clients wrote, which
// record only a SHA-256) the first 16 bytes of the digest in hex with a "-1" suffix: stable, and
// never of an MD5's form, so MD5-comparing clients do not report corruption. Else the MD5 of the
// empty string.
std::string EtagOf(std::string_view md5_hex, std::string_view etag_header,
                   std::string_view digest);
std::string EtagOf(const ObjectInfo& info);

// Content-Type, Content-Encoding, Content-Disposition, Content-Language, Cache-Control,
// Expires, x-amz-meta-* and x-amz-storage-class of a request, as object headers. Fails when
// user metadata exceeds S3's 2 KB limit or the storage class is unknown.
S3Result<Headers> ObjectHeadersFromRequest(const httplib::Request& req);
// User metadata values as S3 treats them: stored as UTF-8 text (RFC 2047 encoded words, e.g.
// "=?UTF-8?B?w6k=?=", decoded; anything else kept byte for byte), returned as is when plain
// printable US-ASCII and otherwise as one RFC 2047 "=?UTF-8?B?...?=" word (bytes that are not
// UTF-8 are taken as ISO-8859-1, the charset of HTTP header bytes).
std::string DecodeMetadataValue(std::string_view value);
std::string EncodeMetadataValue(std::string_view value);

// Keeps only the natss3 bookkeeping headers of `stored` (tags, checksums) for a REPLACE copy.
void CopyBookkeepingHeaders(const Headers& from, Headers* to, bool include_tags);

// Sets ETag, Last-Modified, Content-Type, the stored content headers, x-amz-meta-*,
// x-amz-tagging-count, x-amz-storage-class (unless STANDARD) and (when `with_checksums`)
// x-amz-checksum-* on a GET/HEAD response, then applies response-* overrides from the query.
void SetObjectResponseHeaders(const ObjectInfo& info, const S3Address& address,
                              bool with_checksums, httplib::Response& res);

std::string FirstHeader(const Headers& headers, std::string_view key);
void SetHeader(Headers* headers, const std::string& key, std::string value);
void EraseHeader(Headers* headers, std::string_view key);

}  // namespace natss3::s3d
