// Object Lock (write once, read many): the lock state of objects and buckets, its parsing, and
// the rules every natss3 write path enforces (docs/object-lock.md).
//
// An object's lock lives in its meta record's headers (kLockModeHeader, kLockRetainUntilHeader,
// kLegalHoldHeader), so it travels with the object and every process sees it. A bucket's Object
// Lock configuration (enabled flag and default retention) is a record of the "natss3_uploads"
// key-value bucket (ObjectStore::GetObjectLockConfig). The store is unversioned: replacing an
// object destroys the old data, so a protected object can be neither deleted nor overwritten.
// Enforcement is in the core's conditional meta writes, so natss3d, natss3fs and natss3ctl all
// obey it; other NATS clients writing to the stream directly are not bound by it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "natss3/status.h"
#include "natss3/types.h"

namespace natss3 {

inline constexpr const char* kLockModeHeader = "Natss3-Lock-Mode";  // GOVERNANCE|COMPLIANCE
inline constexpr const char* kLockRetainUntilHeader = "Natss3-Lock-Retain-Until";  // ISO 8601 UTC
inline constexpr const char* kLegalHoldHeader = "Natss3-Legal-Hold";  // ON (absent: off)

enum class RetentionMode { kGovernance, kCompliance };

// "GOVERNANCE" or "COMPLIANCE" exactly (S3 spells them in upper case); nullopt otherwise.
std::optional<RetentionMode> ParseRetentionMode(std::string_view text);
std::string_view RetentionModeName(RetentionMode mode);

// ISO 8601 date-time as S3 sends it: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", years
// 1970..9999. The result is truncated to milliseconds (what FormatLockDate prints), so a date a
// client read back and sends again compares equal. kInvalidArgument otherwise.
Result<TimePoint> ParseLockDate(std::string_view text);
// "2030-01-02T03:04:05.000Z".
std::string FormatLockDate(TimePoint time);

// The lock state of one object version.
struct ObjectLock {
  std::optional<RetentionMode> mode;  // set together with retain_until
  std::optional<TimePoint> retain_until;
  bool legal_hold = false;

  bool has_retention() const { return mode.has_value() && retain_until.has_value(); }
  // Retention whose date is still ahead of `now` (the server's clock, UTC).
  bool RetentionActive(TimePoint now) const { return has_retention() && *retain_until > now; }
  // Whether the version may be neither deleted nor replaced.
  bool Protected(TimePoint now) const { return legal_hold || RetentionActive(now); }
};

// The lock headers of `headers` (case-insensitive keys). A mode without a parseable date, or a
// date without a known mode, counts as no retention (natss3 never writes such a pair).
ObjectLock LockOf(const Headers& headers);
// Writes `lock` into `headers`: sets or erases the three headers.
void SetLock(Headers* headers, const ObjectLock& lock);

// Whether `version` (a live object) may be deleted or replaced at `now`. A legal hold and
// COMPLIANCE retention always refuse; GOVERNANCE retention refuses unless `bypass_governance`.
// The refusal is kPermissionDenied with Detail::kObjectLocked.
Status CheckMayDestroy(const ObjectInfo& version, TimePoint now, bool bypass_governance);
// Whether the lock may change from `before` to `after` at `now` (S3's rules): active
// COMPLIANCE retention can only be kept or extended (same mode, date not earlier); active
// GOVERNANCE retention can be extended or turned into COMPLIANCE, and shortened, removed or
// its mode lowered only with `bypass_governance`. A legal hold may always be set or cleared.
// Expired retention may be changed freely. kPermissionDenied / Detail::kObjectLocked.
Status CheckLockChange(const ObjectLock& before, const ObjectLock& after, TimePoint now,
                       bool bypass_governance);

// A bucket's Object Lock configuration.
struct DefaultRetention {
  RetentionMode mode = RetentionMode::kGovernance;
  int days = 0;  // exactly one of days and years is positive
  int years = 0;
};
struct ObjectLockConfig {
  bool enabled = false;
  std::optional<DefaultRetention> rule;
  bool operator==(const ObjectLockConfig& o) const {
    return enabled == o.enabled && rule.has_value() == o.rule.has_value() &&
           (!rule || (rule->mode == o.rule->mode && rule->days == o.rule->days &&
                      rule->years == o.rule->years));
  }
};

// The record's JSON: {"enabled":true,"mode":"GOVERNANCE","days":1} (mode and days/years only
// with a default rule). Parse: kInvalidArgument for anything else.
std::string MarshalObjectLockConfig(const ObjectLockConfig& config);
Result<ObjectLockConfig> ParseObjectLockConfig(std::string_view json);
// Validates a rule: a positive number of days (at most 36500) or years (at most 100), not both.
Status ValidateDefaultRetention(const DefaultRetention& rule);
// The retain-until date a new object gets from `rule` when written at `now`.
TimePoint DefaultRetainUntil(const DefaultRetention& rule, TimePoint now);
// Adds the default retention of `config` to the headers of a new object that names no
// retention of its own (a legal hold alone keeps the default retention too, as in S3).
void ApplyDefaultRetention(const ObjectLockConfig& config, TimePoint now, Headers* headers);

// The key of a bucket's configuration record in the "natss3_uploads" key-value bucket.
std::string ObjectLockRecordKey(std::string_view bucket);

}  // namespace natss3
