// POSIX attributes kept in object headers (s3fs names) and their conversion to Attr.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "fs_types.h"
#include "natss3/types.h"

namespace natss3::fs {

// s3fs-fuse's header names, so objects written by s3fs through natss3d show the same attributes.
inline constexpr std::string_view kModeHeader = "X-Amz-Meta-Mode";    // decimal st_mode
inline constexpr std::string_view kUidHeader = "X-Amz-Meta-Uid";      // decimal
inline constexpr std::string_view kGidHeader = "X-Amz-Meta-Gid";      // decimal
inline constexpr std::string_view kMtimeHeader = "X-Amz-Meta-Mtime";  // "sec[.nsec]"

// Case-insensitive header access (headers written by other clients may differ in case).
std::optional<std::string> GetHeader(const Headers& headers, std::string_view key);
void SetHeader(Headers* headers, std::string_view key, std::string value);
void RemoveHeader(Headers* headers, std::string_view key);

std::optional<timespec> ParseMtime(std::string_view text);
std::string FormatMtime(timespec ts);
timespec ToTimespec(TimePoint tp);
timespec NowTimespec();

// Attributes of a file (is_dir false) or directory from its headers, falling back to the
// mount's defaults (options uid/gid/umask) and to `object_mtime`. Unless
// options.trust_metadata_owner, the owner is always options uid/gid and the mode keeps only
// the permission bits (0777) of the header.
Attr MakeAttr(uint64_t ino, bool is_dir, uint64_t size, const Headers& headers,
              TimePoint object_mtime, const FsOptions& options);

// Writes the attributes of `in` that are set into headers (mode keeps only permission bits
// plus the type bits of is_dir).
void ApplySetAttr(const SetAttrIn& in, bool is_dir, Headers* headers);

// The mode bits a mount may write: 07777 when it trusts metadata owners, else 0777 (a mount
// that shows every file as its own cannot vouch for a setuid, setgid or sticky bit).
uint32_t WritableModeBits(const FsOptions& options);

// Removes the setuid, setgid and sticky bits from the mode header, if any.
void DropSpecialModeBits(Headers* headers);

// Makes the mode, uid and gid headers of `to` what they are in `from` (set or absent), and
// leaves every other header of `to` alone: metadata edits apply only what the mount owns onto
// the current record (the core's MD5, S3 headers of other clients stay).
void CopyOwnedHeaders(const Headers& from, Headers* to);

}  // namespace natss3::fs
