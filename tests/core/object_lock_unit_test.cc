// Object lock values without a server: ISO 8601 dates, modes, lock headers, the change rules
// and the bucket configuration record (natss3/object_lock.h).
#include <gtest/gtest.h>

#include "natss3/object_lock.h"

namespace natss3 {
namespace {

using namespace std::chrono_literals;

TimePoint At(std::string_view text) {
  auto t = ParseLockDate(text);
  EXPECT_TRUE(t.ok()) << text << ": " << t.status().ToString();
  return t.ok() ? *t : TimePoint{};
}

TEST(ObjectLockDates, ParsesTheFormsS3ClientsSend) {
  TimePoint base = At("2030-01-02T03:04:05Z");
  EXPECT_EQ(FormatLockDate(base), "2030-01-02T03:04:05.000Z");
  EXPECT_EQ(At("2030-01-02T03:04:05.000Z"), base);
  EXPECT_EQ(At("2030-01-02T03:04:05.123456Z"), base + 123ms);  // truncated to milliseconds
  EXPECT_EQ(At("2030-01-02T04:04:05+01:00"), base);
  EXPECT_EQ(At("2030-01-02T01:34:05-01:30"), base);
  EXPECT_EQ(At("2030-01-02t03:04:05z"), base);
  EXPECT_EQ(FormatLockDate(At("2030-01-02T03:04:05.5Z")), "2030-01-02T03:04:05.500Z");
}

TEST(ObjectLockDates, RefusesWhatIsNotIso8601) {
  for (const char* bad :
       {"", "2030-01-02", "2030-01-02T03:04:05", "2030-01-02 03:04:05Z", "2030-13-02T03:04:05Z",
        "2030-02-30T03:04:05Z", "2030-01-02T24:00:00Z", "2030-01-02T03:04:05.Z",
        "2030-01-02T03:04:05+0100", "1969-12-31T23:59:59Z", "Thu, 02 Jan 2030 03:04:05 GMT",
        "2030-01-02T03:04:05Zjunk", "20300102T030405Z"}) {
    EXPECT_EQ(ParseLockDate(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(ObjectLockModes, OnlyTheTwoS3Names) {
  EXPECT_EQ(ParseRetentionMode("GOVERNANCE"), RetentionMode::kGovernance);
  EXPECT_EQ(ParseRetentionMode("COMPLIANCE"), RetentionMode::kCompliance);
  EXPECT_FALSE(ParseRetentionMode("governance"));
  EXPECT_FALSE(ParseRetentionMode("LEGAL"));
  EXPECT_EQ(RetentionModeName(RetentionMode::kCompliance), "COMPLIANCE");
}

TEST(ObjectLockHeaders, RoundTripAndProtection) {
  TimePoint now = At("2030-01-01T00:00:00Z");
  ObjectLock lock;
  lock.mode = RetentionMode::kCompliance;
  lock.retain_until = now + 24h;
  lock.legal_hold = true;
  Headers headers{{"Content-Type", {"text/plain"}}};
  SetLock(&headers, lock);
  EXPECT_EQ(headers[kLockModeHeader], std::vector<std::string>{"COMPLIANCE"});
  EXPECT_EQ(headers[kLegalHoldHeader], std::vector<std::string>{"ON"});
  ObjectLock back = LockOf(headers);
  EXPECT_EQ(back.mode, lock.mode);
  EXPECT_EQ(back.retain_until, lock.retain_until);
  EXPECT_TRUE(back.legal_hold);
  EXPECT_TRUE(back.Protected(now));
  EXPECT_TRUE(back.RetentionActive(now + 24h - 1ms));
  EXPECT_FALSE(back.RetentionActive(now + 24h));
  SetLock(&headers, ObjectLock{});
  EXPECT_EQ(headers.size(), 1u);  // only Content-Type is left
  // Lower-case keys (a foreign writer) count; a mode without a valid date does not.
  EXPECT_TRUE(LockOf({{"natss3-legal-hold", {"ON"}}}).legal_hold);
  EXPECT_FALSE(LockOf({{"Natss3-Legal-Hold", {"OFF"}}}).legal_hold);
  EXPECT_FALSE(LockOf({{kLockModeHeader, {"COMPLIANCE"}}, {kLockRetainUntilHeader, {"soon"}}})
                   .has_retention());
}

TEST(ObjectLockRules, DestroyingALockedVersionIsRefused) {
  TimePoint now = At("2030-01-01T00:00:00Z");
  ObjectInfo info;
  info.meta.name = "k";
  auto with = [&](std::optional<RetentionMode> mode, TimePoint until, bool hold) {
    ObjectLock lock;
    lock.mode = mode;
    if (mode) lock.retain_until = until;
    lock.legal_hold = hold;
    SetLock(&info.meta.headers, lock);
  };
  EXPECT_TRUE(CheckMayDestroy(info, now, false).ok());
  with(RetentionMode::kGovernance, now + 1h, false);
  Status refused = CheckMayDestroy(info, now, false);
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_EQ(refused.detail(), Detail::kObjectLocked);
  EXPECT_TRUE(CheckMayDestroy(info, now, true).ok());        // governance bypass
  EXPECT_TRUE(CheckMayDestroy(info, now + 1h, false).ok());  // expired
  with(RetentionMode::kCompliance, now + 1h, false);
  EXPECT_EQ(CheckMayDestroy(info, now, true).detail(), Detail::kObjectLocked);
  with(RetentionMode::kGovernance, now + 1h, true);
  EXPECT_EQ(CheckMayDestroy(info, now, true).detail(), Detail::kObjectLocked);  // legal hold
  with(std::nullopt, now, true);
  EXPECT_EQ(CheckMayDestroy(info, now + 1000h, false).detail(), Detail::kObjectLocked);
  info.deleted = true;
  EXPECT_TRUE(CheckMayDestroy(info, now, false).ok());
}

TEST(ObjectLockRules, RetentionChangesFollowS3) {
  TimePoint now = At("2030-01-01T00:00:00Z");
  auto lock = [](std::optional<RetentionMode> mode, TimePoint until) {
    ObjectLock l;
    l.mode = mode;
    if (mode) l.retain_until = until;
    return l;
  };
  const auto G = RetentionMode::kGovernance, C = RetentionMode::kCompliance;
  ObjectLock compliance = lock(C, now + 10h);
  EXPECT_TRUE(CheckLockChange(compliance, lock(C, now + 20h), now, false).ok());
  EXPECT_TRUE(CheckLockChange(compliance, lock(C, now + 10h), now, false).ok());
  EXPECT_EQ(CheckLockChange(compliance, lock(C, now + 5h), now, true).code(),
            Code::kPermissionDenied);
  EXPECT_FALSE(CheckLockChange(compliance, lock(G, now + 20h), now, true).ok());
  EXPECT_FALSE(CheckLockChange(compliance, ObjectLock{}, now, true).ok());
  ObjectLock governance = lock(G, now + 10h);
  EXPECT_TRUE(CheckLockChange(governance, lock(G, now + 20h), now, false).ok());
  EXPECT_TRUE(CheckLockChange(governance, lock(C, now + 10h), now, false).ok());
  EXPECT_FALSE(CheckLockChange(governance, lock(G, now + 5h), now, false).ok());
  EXPECT_FALSE(CheckLockChange(governance, ObjectLock{}, now, false).ok());
  EXPECT_TRUE(CheckLockChange(governance, lock(G, now + 5h), now, true).ok());
  EXPECT_TRUE(CheckLockChange(governance, ObjectLock{}, now, true).ok());
  // Expired retention, or none, may become anything.
  EXPECT_TRUE(CheckLockChange(compliance, ObjectLock{}, now + 10h, false).ok());
  EXPECT_TRUE(CheckLockChange(ObjectLock{}, lock(C, now + 1h), now, false).ok());
  // A legal hold may always be cleared.
  ObjectLock held;
  held.legal_hold = true;
  EXPECT_TRUE(CheckLockChange(held, ObjectLock{}, now, false).ok());
}

TEST(ObjectLockConfigRecord, RoundTripAndValidation) {
  ObjectLockConfig config;
  config.enabled = true;
  EXPECT_EQ(MarshalObjectLockConfig(config), R"({"enabled":true})");
  config.rule = DefaultRetention{RetentionMode::kCompliance, 0, 2};
  auto back = ParseObjectLockConfig(MarshalObjectLockConfig(config));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == config);
  for (const char* bad : {"", "{}", R"({"enabled":"yes"})", R"({"enabled":true,"mode":"X"})",
                          R"({"enabled":true,"mode":"GOVERNANCE"})",
                          R"({"enabled":true,"mode":"GOVERNANCE","days":1,"years":1})",
                          R"({"enabled":true,"mode":"GOVERNANCE","days":-1})"}) {
    EXPECT_FALSE(ParseObjectLockConfig(bad).ok()) << bad;
  }
  EXPECT_FALSE(ValidateDefaultRetention({RetentionMode::kGovernance, 0, 0}).ok());
  EXPECT_FALSE(ValidateDefaultRetention({RetentionMode::kGovernance, 36501, 0}).ok());
  EXPECT_TRUE(ValidateDefaultRetention({RetentionMode::kGovernance, 36500, 0}).ok());
  EXPECT_EQ(ObjectLockRecordKey("photos"), "cfg.objectlock.photos");
}

TEST(ObjectLockConfigRecord, DefaultRetentionOnlyWhereNoneIsNamed) {
  TimePoint now = At("2030-01-01T00:00:00Z");
  ObjectLockConfig config;
  config.enabled = true;
  config.rule = DefaultRetention{RetentionMode::kGovernance, 2, 0};
  Headers headers;
  ApplyDefaultRetention(config, now, &headers);
  ObjectLock lock = LockOf(headers);
  EXPECT_EQ(lock.mode, RetentionMode::kGovernance);
  EXPECT_EQ(lock.retain_until, now + 48h);
  // Years are 365 days.
  EXPECT_EQ(DefaultRetainUntil({RetentionMode::kGovernance, 0, 1}, now), now + 365 * 24h);
  ObjectLock own;
  own.mode = RetentionMode::kCompliance;
  own.retain_until = now + 1h;
  Headers named;
  SetLock(&named, own);
  ApplyDefaultRetention(config, now, &named);
  EXPECT_EQ(LockOf(named).mode, RetentionMode::kCompliance);
  EXPECT_EQ(LockOf(named).retain_until, now + 1h);
  Headers untouched;
  config.rule.reset();
  ApplyDefaultRetention(config, now, &untouched);
  EXPECT_TRUE(untouched.empty());
}

}  // namespace
}  // namespace natss3
