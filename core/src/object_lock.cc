// Object Lock state: parsing, formatting and the rules of object_lock.h.
#include "natss3/object_lock.h"

#include <strings.h>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace natss3 {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

const std::string* FindHeader(const Headers& headers, std::string_view key) {
  for (const auto& [k, v] : headers) {
    if (k.size() == key.size() && ::strncasecmp(k.data(), key.data(), k.size()) == 0 && !v.empty())
      return &v.front();
  }
  return nullptr;
}

void EraseKey(Headers* headers, std::string_view key) {
  for (auto it = headers->begin(); it != headers->end();) {
    if (it->first.size() == key.size() &&
        ::strncasecmp(it->first.data(), key.data(), key.size()) == 0)
      it = headers->erase(it);
    else
      ++it;
  }
}

Status Locked(std::string message) {
  return Status(Code::kPermissionDenied, std::move(message), Detail::kObjectLocked);
}

std::string Describe(const ObjectLock& lock) {
  if (lock.legal_hold && !lock.has_retention()) return "a legal hold";
  std::string text = std::string(RetentionModeName(*lock.mode)) + " retention until " +
                     FormatLockDate(*lock.retain_until);
  if (lock.legal_hold) text += " and a legal hold";
  return text;
}

}  // namespace

std::optional<RetentionMode> ParseRetentionMode(std::string_view text) {
  if (text == "GOVERNANCE") return RetentionMode::kGovernance;
  if (text == "COMPLIANCE") return RetentionMode::kCompliance;
  return std::nullopt;
}

std::string_view RetentionModeName(RetentionMode mode) {
  return mode == RetentionMode::kCompliance ? "COMPLIANCE" : "GOVERNANCE";
}

Result<TimePoint> ParseLockDate(std::string_view s) {
  auto bad = [&] { return InvalidArgument("invalid ISO 8601 date: " + std::string(s)); };
  std::tm tm{};
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second))
    return bad();
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60)
    return bad();
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59)
      return bad();
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm);
  // timegm normalises 2030-02-31 into March: refuse dates that do not exist.
  std::tm back{};
  gmtime_r(&t, &back);
  if (second < 60 && (back.tm_mday != day || back.tm_mon != month - 1)) return bad();
  t -= static_cast<std::time_t>(offset_minutes) * 60;
  auto ms = std::chrono::milliseconds(nanos / 1000000);
  return TimePoint(std::chrono::seconds(t)) + ms;
}

std::string FormatLockDate(TimePoint time) {
  auto since = time.time_since_epoch();
  auto secs = std::chrono::floor<std::chrono::seconds>(since);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

ObjectLock LockOf(const Headers& headers) {
  ObjectLock lock;
  const std::string* mode = FindHeader(headers, kLockModeHeader);
  const std::string* until = FindHeader(headers, kLockRetainUntilHeader);
  if (mode && until) {
    auto parsed_mode = ParseRetentionMode(*mode);
    auto parsed_until = ParseLockDate(*until);
    if (parsed_mode && parsed_until.ok()) {
      lock.mode = parsed_mode;
      lock.retain_until = *parsed_until;
    }
  }
  const std::string* hold = FindHeader(headers, kLegalHoldHeader);
  lock.legal_hold = hold && *hold == "ON";
  return lock;
}

void SetLock(Headers* headers, const ObjectLock& lock) {
  EraseKey(headers, kLockModeHeader);
  EraseKey(headers, kLockRetainUntilHeader);
  EraseKey(headers, kLegalHoldHeader);
  if (lock.has_retention()) {
    (*headers)[kLockModeHeader] = {std::string(RetentionModeName(*lock.mode))};
    (*headers)[kLockRetainUntilHeader] = {FormatLockDate(*lock.retain_until)};
  }
  if (lock.legal_hold) (*headers)[kLegalHoldHeader] = {"ON"};
}

Status CheckMayDestroy(const ObjectInfo& version, TimePoint now, bool bypass_governance) {
  if (version.deleted) return Status::OK();
  ObjectLock lock = LockOf(version.meta.headers);
  if (!lock.Protected(now)) return Status::OK();
  bool governance_only = !lock.legal_hold && *lock.mode == RetentionMode::kGovernance;
  if (governance_only && bypass_governance) return Status::OK();
  return Locked("object " + version.meta.name + " is protected by object lock (" + Describe(lock) +
                ")");
}

Status CheckLockChange(const ObjectLock& before, const ObjectLock& after, TimePoint now,
                       bool bypass_governance) {
  if (!before.RetentionActive(now)) return Status::OK();
  bool kept = after.has_retention() && *after.retain_until >= *before.retain_until;
  if (*before.mode == RetentionMode::kCompliance) {
    if (kept && *after.mode == RetentionMode::kCompliance) return Status::OK();
    return Locked("COMPLIANCE retention until " + FormatLockDate(*before.retain_until) +
                  " can only be extended");
  }
  if (kept || bypass_governance) return Status::OK();
  return Locked("GOVERNANCE retention until " + FormatLockDate(*before.retain_until) +
                " can be shortened or removed only when bypassing governance retention");
}

std::string MarshalObjectLockConfig(const ObjectLockConfig& config) {
  nlohmann::json j = {{"enabled", config.enabled}};
  if (config.rule) {
    j["mode"] = std::string(RetentionModeName(config.rule->mode));
    if (config.rule->days > 0) j["days"] = config.rule->days;
    if (config.rule->years > 0) j["years"] = config.rule->years;
  }
  return j.dump();
}

Result<ObjectLockConfig> ParseObjectLockConfig(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  auto bad = [&] { return InvalidArgument("invalid object lock configuration record"); };
  if (j.is_discarded() || !j.is_object() || !j.contains("enabled") || !j["enabled"].is_boolean())
    return bad();
  ObjectLockConfig config;
  config.enabled = j["enabled"].get<bool>();
  if (j.contains("mode")) {
    if (!j["mode"].is_string()) return bad();
    auto mode = ParseRetentionMode(j["mode"].get<std::string>());
    if (!mode) return bad();
    DefaultRetention rule;
    rule.mode = *mode;
    if (j.contains("days")) {
      if (!j["days"].is_number_integer()) return bad();
      rule.days = j["days"].get<int>();
    }
    if (j.contains("years")) {
      if (!j["years"].is_number_integer()) return bad();
      rule.years = j["years"].get<int>();
    }
    if (!ValidateDefaultRetention(rule).ok()) return bad();
    config.rule = rule;
  }
  return config;
}

Status ValidateDefaultRetention(const DefaultRetention& rule) {
  if ((rule.days > 0) == (rule.years > 0) || rule.days < 0 || rule.years < 0)
    return InvalidArgument("a default retention names a positive number of days or of years");
  if (rule.days > 36500 || rule.years > 100)
    return InvalidArgument("the default retention period is at most 36500 days (100 years)");
  return Status::OK();
}

TimePoint DefaultRetainUntil(const DefaultRetention& rule, TimePoint now) {
  // S3 counts a year as 365 days.
  int days = rule.days > 0 ? rule.days : rule.years * 365;
  auto until = now + std::chrono::hours(24) * days;
  return std::chrono::floor<std::chrono::milliseconds>(until);
}

void ApplyDefaultRetention(const ObjectLockConfig& config, TimePoint now, Headers* headers) {
  if (!config.enabled || !config.rule) return;
  ObjectLock lock = LockOf(*headers);
  if (lock.has_retention()) return;
  lock.mode = config.rule->mode;
  lock.retain_until = DefaultRetainUntil(*config.rule, now);
  SetLock(headers, lock);
}

std::string ObjectLockRecordKey(std::string_view bucket) {
  return "cfg.objectlock." + std::string(bucket);
}

}  // namespace natss3
