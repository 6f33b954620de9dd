// Name rules shared by every front end: bucket validation, object-name encoding and limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "natss3/status.h"

namespace natss3 {

// ^[a-zA-Z0-9_-]+$ (docs/object-store-format.md §1.1). Returns kInvalidArgument with a message naming the rule.
Status ValidateBucketName(std::string_view bucket);

// base64url with padding over the UTF-8 bytes (docs/object-store-format.md §2).
std::string EncodeObjectName(std::string_view name);
// Inverse of EncodeObjectName; accepts unpadded input. kInvalidArgument on bad input.
Result<std::string> DecodeObjectName(std::string_view encoded);

// Longest meta subject we allow: well under the server's 4096-byte control line, leaving room
// for the HPUB verb, reply inbox, sizes and the direct-get API prefix.
inline constexpr size_t kMaxMetaSubjectLength = 3000;

// kInvalidArgument for an empty name or one whose meta subject would exceed
// kMaxMetaSubjectLength ("object name too long").
Status ValidateObjectName(std::string_view bucket, std::string_view name);
// The longest name length (bytes) accepted in `bucket`.
size_t MaxObjectNameLength(std::string_view bucket);

std::string MetaSubject(std::string_view bucket, std::string_view name);
std::string ChunkSubject(std::string_view bucket, std::string_view nuid);
std::string StreamName(std::string_view bucket);

// "SHA-256=" + base64url padded digest.
std::string FormatDigest(std::string_view sha256_raw);
// Accepts URL/standard base64 (padded or not) and hex, as the reader profile of docs/object-store-format.md §3.2 says.
// Returns the 32 raw bytes; kInvalidArgument otherwise.
Result<std::string> ParseDigest(std::string_view digest);

// A fresh 22-character base-62 NUID.
std::string NewNuid();

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool IsValidUtf8(std::string_view text);
// Length of the well-formed UTF-8 sequence at the start of `text` and its code point;
// 0 when it is malformed (or `text` is empty).
size_t Utf8Sequence(std::string_view text, char32_t* code_point);

// Hex helpers.
std::string HexEncode(std::string_view raw);

// Standard base64 (RFC 4648, '+' '/', '=' padding).
std::string Base64Encode(std::string_view raw);
// nullopt unless `text` is canonical padded base64: a length that is a multiple of 4, only the
// alphabet, '=' only as the last one or two characters.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace natss3
