// Unit tests of the natscli header templates (`put -H 'K:{{ID}}'`), with fixed time and ids.
#include "header_template.h"

#include <gtest/gtest.h>

#include <regex>

namespace natss3::cli {
namespace {

// 2026-11-23 07:04:05.123456789 UTC.
constexpr int64_t kUnix = 1795417445;

class HeaderTemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    values_.now = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(kUnix * 1000000000LL + 123456789)));
    values_.new_id = [this] { return "ID" + std::to_string(++ids_); };
    values_.random = [](uint64_t length) { return std::string(length, 'r'); };
  }
  std::string Expand(const std::string& text) {
    auto r = ExpandHeaderTemplate(text, values_);
    EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    return r.ok() ? *r : "<error>";
  }
  std::string ErrorOf(const std::string& text) {
    auto r = ExpandHeaderTemplate(text, values_);
    EXPECT_FALSE(r.ok()) << text << " expanded to " << *r;
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    return r.status().message();
  }
  TemplateValues values_;
  int ids_ = 0;
};

TEST_F(HeaderTemplateTest, PlainTextIsUnchanged) {
  EXPECT_EQ(Expand(""), "");
  EXPECT_EQ(Expand("application/pdf"), "application/pdf");
  EXPECT_EQ(Expand("a { b } c}} {"), "a { b } c}} {");
}

TEST_F(HeaderTemplateTest, NatscliFunctionsAndFields) {
  EXPECT_EQ(Expand("{{Count}}/{{Cnt}}/{{.Count}}/{{.Cnt}}"), "0/0/0/0");
  values_.count = 7;
  EXPECT_EQ(Expand("n={{ Count }}"), "n=7");
  EXPECT_EQ(Expand("{{Unix}} {{.Unix}}"), "1795417445 1795417445");
  EXPECT_EQ(Expand("{{UnixNano}}"), "1795417445123456789");
  EXPECT_EQ(Expand("{{TimeStamp}}|{{.Time}}"), "2026-11-23T07:04:05Z|7:04AM");
  EXPECT_EQ(Expand("{{ID}}-{{.ID}}"), "ID1-ID2");
  EXPECT_EQ(Expand("[{{.Request}}]"), "[]");
}

TEST_F(HeaderTemplateTest, LocalZoneOfTimeStampAndKitchen) {
  values_.utc_offset_seconds = -(5 * 3600 + 30 * 60);
  EXPECT_EQ(Expand("{{TimeStamp}} {{Time}}"), "2026-11-23T01:34:05-05:30 1:34AM");
  values_.utc_offset_seconds = 9 * 3600;
  EXPECT_EQ(Expand("{{TimeStamp}} {{Time}}"), "2026-11-23T16:04:05+09:00 4:04PM");
  values_.utc_offset_seconds = 5 * 3600;  // 12:04 is PM, 00:xx is 12:xxAM
  EXPECT_EQ(Expand("{{Time}}"), "12:04PM");
  values_.utc_offset_seconds = -7 * 3600;
  EXPECT_EQ(Expand("{{Time}}"), "12:04AM");
}

TEST_F(HeaderTemplateTest, RandomLengthIsWithinBounds) {
  EXPECT_EQ(Expand("{{Random 5 5}}"), "rrrrr");
  EXPECT_EQ(Expand("{{Random 0 0}}"), "");
  for (int i = 0; i < 50; ++i) {
    size_t length = Expand("{{Random 3 6}}").size();
    EXPECT_GE(length, 3u);
    EXPECT_LT(length, 6u);
    length = Expand("{{Random 6 3}}").size();  // swapped, like natscli
    EXPECT_GE(length, 3u);
    EXPECT_LT(length, 6u);
  }
  TemplateValues real = CurrentTemplateValues();
  auto random = ExpandHeaderTemplate("{{Random 40 40}}", real);
  ASSERT_TRUE(random.ok());
  EXPECT_TRUE(std::regex_match(*random, std::regex("[a-zA-Z0-9]{40}"))) << *random;
  EXPECT_NE(*random, *ExpandHeaderTemplate("{{Random 40 40}}", real));
}

TEST_F(HeaderTemplateTest, LiteralsCommentsAndTrimMarkers) {
  EXPECT_EQ(Expand("{{\"{{\"}}literal}}"), "{{literal}}");
  EXPECT_EQ(Expand("{{`raw \\n`}}"), "raw \\n");
  EXPECT_EQ(Expand("{{\"tab\\there \\\"q\\\" \\u00e9 \\x41\"}}"), "tab\there \"q\" \xC3\xA9 A");
  EXPECT_EQ(Expand("{{42}}{{-3}}{{+4}}"), "42-34");
  EXPECT_EQ(Expand("a{{/* note */}}b"), "ab");
  EXPECT_EQ(Expand("a  {{- Count -}}  b"), "a0b");
  EXPECT_EQ(Expand("a  {{- /* c */ -}}  b"), "ab");
  EXPECT_EQ(Expand("{{Count}}}}"), "0}}");
}

TEST_F(HeaderTemplateTest, GoErrorsAreReported) {
  EXPECT_EQ(ErrorOf("{{Count"), "unclosed action");
  EXPECT_EQ(ErrorOf("x {{"), "unclosed action");
  EXPECT_EQ(ErrorOf("{{}}"), "missing value for command");
  EXPECT_EQ(ErrorOf("{{Foo}}"), "function \"Foo\" not defined");
  EXPECT_EQ(ErrorOf("{{Request}}"), "function \"Request\" not defined");  // a field only
  EXPECT_EQ(ErrorOf("{{.Foo}}"), "can't evaluate field Foo");
  EXPECT_EQ(ErrorOf("{{Count 1}}"), "wrong number of args for Count: want 0 got 1");
  EXPECT_EQ(ErrorOf("{{Random 1}}"), "wrong number of args for Random: want 2 got 1");
  EXPECT_EQ(ErrorOf("{{\"a\" 1}}"), "can't give argument to non-function a");
  EXPECT_EQ(ErrorOf("{{\"open}}"), "unterminated quoted string");
  EXPECT_EQ(ErrorOf("{{`open}}"), "unterminated raw quoted string");
  EXPECT_EQ(ErrorOf("{{\"\\q\"}}"), "unknown escape sequence \\q");
  EXPECT_EQ(ErrorOf("{{/* open"), "unclosed comment");
  EXPECT_EQ(ErrorOf("{{/* c */ Count}}"), "comment ends before closing delimiter");
  EXPECT_EQ(ErrorOf("{{#}}"), "unexpected \"#\" in command");
  EXPECT_EQ(ErrorOf("{{0x10}}"),
            "bad number syntax: \"0x10\" (only decimal integers are supported)");
}

TEST_F(HeaderTemplateTest, UnsupportedGoFeaturesAreRejectedNotEchoed) {
  EXPECT_EQ(ErrorOf("{{Count | printf \"%d\"}}"),
            "a pipeline (|) is not supported in header templates");
  EXPECT_EQ(ErrorOf("{{printf \"%d\" 1}}"),
            "the function \"printf\" is not supported in header templates");
  EXPECT_EQ(ErrorOf("{{if Count}}x{{end}}"), "\"if\" is not supported in header templates");
  EXPECT_EQ(ErrorOf("{{$x}}"), "the variable $x is not supported in header templates");
  EXPECT_EQ(ErrorOf("{{(Count)}}"),
            "a parenthesized pipeline is not supported in header templates");
  EXPECT_EQ(ErrorOf("{{.}}"), "{{.}} is not supported in header templates");
  EXPECT_EQ(ErrorOf("{{Random -1 3}}"), "Random takes two integers from 0 to 1048576 (got -1)");
  EXPECT_EQ(ErrorOf("{{Random 1 Count}}"),
            "Random takes two integers from 0 to 1048576 (got Count)");
  EXPECT_EQ(ErrorOf("{{Random 1 2000000}}"),
            "Random takes two integers from 0 to 1048576 (got 2000000)");
}

}  // namespace
}  // namespace natss3::cli
