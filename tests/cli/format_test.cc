// Unit tests of the natscli-compatible formatting and parsing helpers.
#include "format.h"

#include <gtest/gtest.h>

namespace natss3::cli {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(IBytesTest, MatchesGoHumanize) {
  EXPECT_EQ(IBytes(0), "0 B");
  EXPECT_EQ(IBytes(9), "9 B");
  EXPECT_EQ(IBytes(10), "10 B");
  EXPECT_EQ(IBytes(1023), "1023 B");
  EXPECT_EQ(IBytes(1024), "1.0 KiB");
  EXPECT_EQ(IBytes(1536), "1.5 KiB");
  EXPECT_EQ(IBytes(16384), "16 KiB");
  EXPECT_EQ(IBytes(10 * 1024 - 1), "10 KiB");
  EXPECT_EQ(IBytes(1024 * 1024), "1.0 MiB");
  EXPECT_EQ(IBytes(256ULL * 1024 * 1024), "256 MiB");
  EXPECT_EQ(IBytes(1ULL << 30), "1.0 GiB");
  EXPECT_EQ(IBytes(1ULL << 40), "1.0 TiB");
}

TEST(CommaTest, GroupsThousands) {
  EXPECT_EQ(Comma(0), "0");
  EXPECT_EQ(Comma(999), "999");
  EXPECT_EQ(Comma(1000), "1,000");
  EXPECT_EQ(Comma(1234567), "1,234,567");
  EXPECT_EQ(Comma(-1000), "-1,000");
  EXPECT_EQ(Comma(INT64_MIN), "-9,223,372,036,854,775,808");
}

TEST(HumanizeDurationTest, MatchesNatscli) {
  EXPECT_EQ(HumanizeDuration(minutes(5)), "5m0s");
  EXPECT_EQ(HumanizeDuration(hours(26) + minutes(3) + seconds(4)), "1d2h3m4s");
  EXPECT_EQ(HumanizeDuration(hours(1)), "1h0m0s");
  EXPECT_EQ(HumanizeDuration(hours(24 * 367)), "1y2d0h0m0s");
  EXPECT_EQ(HumanizeDuration(std::chrono::milliseconds(4250)), "4.25s");
  EXPECT_EQ(HumanizeDuration(nanoseconds(0)), "0.00s");
}

TEST(ParseSizeTest, Uses1024BasedUnits) {
  EXPECT_EQ(*ParseSize("512MB"), 512LL << 20);
  EXPECT_EQ(*ParseSize("512mb"), 512LL << 20);
  EXPECT_EQ(*ParseSize("1K"), 1024);
  EXPECT_EQ(*ParseSize("1KiB"), 1024);
  EXPECT_EQ(*ParseSize("2G"), 2LL << 30);
  EXPECT_EQ(*ParseSize("1.5GiB"), 3LL << 29);
  EXPECT_EQ(*ParseSize("1TB"), 1LL << 40);
  EXPECT_EQ(*ParseSize("100"), 100);
  EXPECT_EQ(*ParseSize("100B"), 100);
  EXPECT_EQ(*ParseSize(" 7 MiB "), 7LL << 20);
  EXPECT_EQ(*ParseSize(""), -1);
  EXPECT_EQ(*ParseSize("-1"), -1);
  EXPECT_EQ(*ParseSize("-5GB"), -1);
}

TEST(ParseSizeTest, RejectsGarbage) {
  EXPECT_EQ(ParseSize("abc").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseSize("12XB").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseSize("1e3").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseSize("99999999PB").status().code(), Code::kInvalidArgument);
}

TEST(ParseDurationTest, GoAndFiskUnits) {
  EXPECT_EQ(*ParseDuration("0"), nanoseconds(0));
  EXPECT_EQ(*ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(*ParseDuration("1.5h"), minutes(90));
  EXPECT_EQ(*ParseDuration("300ms"), std::chrono::milliseconds(300));
  EXPECT_EQ(*ParseDuration("2us"), std::chrono::microseconds(2));
  EXPECT_EQ(*ParseDuration("10ns"), nanoseconds(10));
  EXPECT_EQ(*ParseDuration("1d"), hours(24));
  EXPECT_EQ(*ParseDuration("2w"), hours(24 * 14));
  EXPECT_EQ(*ParseDuration("1M"), hours(24 * 30));
  EXPECT_EQ(*ParseDuration("1y"), hours(24 * 365));
  EXPECT_EQ(*ParseDuration("1y1d1h1m1s"), hours(24 * 366 + 1) + minutes(1) + seconds(1));
  EXPECT_EQ(*ParseDuration("5m"), minutes(5));  // m is minutes, M is months
}

TEST(ParseDurationTest, RejectsGarbage) {
  for (const char* bad : {"", "10", "h", "1x", "1h-", "-1h", "1 h"}) {
    EXPECT_EQ(ParseDuration(bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(PathTest, CleanMatchesGoFilepathClean) {
  EXPECT_EQ(CleanPath("./a/../b.txt"), "b.txt");
  EXPECT_EQ(CleanPath("/srv/x"), "/srv/x");
  EXPECT_EQ(CleanPath("/srv//x/"), "/srv/x");
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("../../a"), "../../a");
  EXPECT_EQ(CleanPath("/../a"), "/a");
  EXPECT_EQ(CleanPath("a/b/.."), "a");
  EXPECT_EQ(BasePath("a/b.txt"), "b.txt");
  EXPECT_EQ(BasePath("a/b/"), "b");
  EXPECT_EQ(BasePath("/"), "/");
  EXPECT_EQ(BasePath(""), ".");
}

TEST(TimeTest, FormatsLocalAndJson) {
  setenv("TZ", "UTC", 1);
  tzset();
  TimePoint t{std::chrono::seconds(1795418057) + std::chrono::milliseconds(740)};
  EXPECT_EQ(FormatTime(t), "2026-11-23 07:14:17");
  EXPECT_EQ(FormatTimeJson(t), "2026-11-23T07:14:17.74Z");
  EXPECT_EQ(FormatTimeJson(TimePoint{std::chrono::seconds(0)}), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace natss3::cli
