// natss3d's object lock parsing without a server: request headers, the three XML bodies, the
// configuration answer, and routing of ?object-lock, ?retention and ?legal-hold.
#include <gtest/gtest.h>

#include "auth/credentials.h"
#include "s3d/object_lock.h"
#include "s3d/routing.h"

namespace natss3::s3d {
namespace {

using namespace std::chrono_literals;

TimePoint Now() { return std::chrono::time_point_cast<std::chrono::nanoseconds>(Clock::now()); }

S3Address Addr(const std::string& target) {
  auto a = ParseAddress(target, "h", "");
  EXPECT_TRUE(a.ok());
  return a.ok() ? *a : S3Address{};
}

TEST(ObjectLockRouting, SubresourcesAreOperations) {
  EXPECT_EQ(Classify("GET", Addr("/b?object-lock"), false), Operation::kGetObjectLockConfiguration);
  EXPECT_EQ(Classify("PUT", Addr("/b?object-lock"), false), Operation::kPutObjectLockConfiguration);
  EXPECT_EQ(Classify("DELETE", Addr("/b?object-lock"), false), Operation::kMethodNotAllowed);
  EXPECT_EQ(Classify("GET", Addr("/b/k?retention"), false), Operation::kGetObjectRetention);
  EXPECT_EQ(Classify("PUT", Addr("/b/k?retention"), false), Operation::kPutObjectRetention);
  EXPECT_EQ(Classify("GET", Addr("/b/k?legal-hold"), false), Operation::kGetObjectLegalHold);
  EXPECT_EQ(Classify("PUT", Addr("/b/k?legal-hold"), false), Operation::kPutObjectLegalHold);
  EXPECT_EQ(Classify("DELETE", Addr("/b/k?retention"), false), Operation::kMethodNotAllowed);
  EXPECT_TRUE(IsReadOperation(Operation::kGetObjectRetention));
  EXPECT_FALSE(IsReadOperation(Operation::kPutObjectLegalHold));
  EXPECT_EQ(OperationName(Operation::kPutObjectLegalHold), "PutObjectLegalHold");
  EXPECT_EQ(OperationName(Operation::kMethodNotAllowed), "MethodNotAllowed");
}

httplib::Request WithHeaders(std::initializer_list<std::pair<const char*, std::string>> hs) {
  httplib::Request req;
  for (const auto& [k, v] : hs) req.headers.emplace(k, v);
  return req;
}

TEST(ObjectLockHeaders, ParsedAndValidated) {
  TimePoint now = Now();
  std::string future = FormatLockDate(now + 1h), past = FormatLockDate(now - 1h);
  auto none = ParseLockHeaders(WithHeaders({}), now);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto both = ParseLockHeaders(WithHeaders({{"x-amz-object-lock-mode", "COMPLIANCE"},
                                            {"x-amz-object-lock-retain-until-date", future},
                                            {"x-amz-object-lock-legal-hold", "ON"}}),
                               now);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)->mode, RetentionMode::kCompliance);
  EXPECT_EQ(FormatLockDate(*(*both)->retain_until), future);
  EXPECT_TRUE((*both)->legal_hold);
  auto code = [&](std::initializer_list<std::pair<const char*, std::string>> hs) {
    auto r = ParseLockHeaders(WithHeaders(hs), now);
    return r.ok() ? std::string("OK") : r.error().code;
  };
  EXPECT_EQ(code({{"x-amz-object-lock-mode", "GOVERNANCE"}}), "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-object-lock-retain-until-date", future}}), "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-object-lock-mode", "governance"},
                  {"x-amz-object-lock-retain-until-date", future}}),
            "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-object-lock-mode", "GOVERNANCE"},
                  {"x-amz-object-lock-retain-until-date", past}}),
            "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-object-lock-mode", "GOVERNANCE"},
                  {"x-amz-object-lock-retain-until-date", "tomorrow"}}),
            "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-object-lock-legal-hold", "on"}}), "InvalidArgument");
  EXPECT_EQ(code({{"x-amz-object-lock-legal-hold", "OFF"}}), "OK");
}

TEST(ObjectLockXml, Configuration) {
  auto enabled = ParseObjectLockConfiguration(
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
      "</ObjectLockConfiguration>");
  ASSERT_TRUE(enabled.ok());
  EXPECT_TRUE(enabled->enabled);
  EXPECT_FALSE(enabled->rule);
  auto rule = ParseObjectLockConfiguration(
      "<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
      "<Mode>COMPLIANCE</Mode><Years>2</Years></DefaultRetention></Rule>"
      "</ObjectLockConfiguration>");
  ASSERT_TRUE(rule.ok());
  ASSERT_TRUE(rule->rule);
  EXPECT_EQ(rule->rule->mode, RetentionMode::kCompliance);
  EXPECT_EQ(rule->rule->years, 2);
  std::string xml = ObjectLockConfigurationXml(*rule);
  EXPECT_NE(xml.find("<Mode>COMPLIANCE</Mode><Years>2</Years>"), std::string::npos) << xml;
  auto code = [](const std::string& body) {
    auto r = ParseObjectLockConfiguration(body);
    return r.ok() ? std::string("OK") : r.error().code;
  };
  const std::string open =
      "<ObjectLockConfiguration><ObjectLockEnabled>Enabled"
      "</ObjectLockEnabled><Rule><DefaultRetention>";
  const std::string close = "</DefaultRetention></Rule></ObjectLockConfiguration>";
  EXPECT_EQ(code(""), "MalformedXML");
  EXPECT_EQ(code("<ObjectLockConfiguration/>"), "MalformedXML");
  EXPECT_EQ(code("<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
                 "</ObjectLockConfiguration>"),
            "MalformedXML");
  EXPECT_EQ(code(open + "<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>" + close),
            "MalformedXML");
  EXPECT_EQ(code(open + "<Days>1</Days>" + close), "MalformedXML");
  EXPECT_EQ(code(open + "<Mode>WORM</Mode><Days>1</Days>" + close), "MalformedXML");
  EXPECT_EQ(code(open + "<Mode>GOVERNANCE</Mode><Days>x</Days>" + close), "MalformedXML");
  EXPECT_EQ(code(open + "<Mode>GOVERNANCE</Mode><Days>0</Days>" + close), "InvalidArgument");
  EXPECT_EQ(code(open + "<Mode>GOVERNANCE</Mode><Days>-3</Days>" + close), "InvalidArgument");
  EXPECT_EQ(code(open + "<Mode>GOVERNANCE</Mode><Years>101</Years>" + close), "InvalidArgument");
  EXPECT_EQ(code(open + "<Mode>GOVERNANCE</Mode><Days>30</Days>" + close), "OK");
}

TEST(ObjectLockXml, RetentionAndLegalHold) {
  TimePoint now = Now();
  std::string future = FormatLockDate(now + 1h);
  auto r = ParseRetention("<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>" + future +
                              "</RetainUntilDate>"
                              "</Retention>",
                          now);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mode, RetentionMode::kGovernance);
  EXPECT_EQ(FormatLockDate(*r->retain_until), future);
  auto cleared = ParseRetention("<Retention/>", now);
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(cleared->has_retention());
  EXPECT_EQ(ParseRetention("<Retention><Mode>GOVERNANCE</Mode></Retention>", now).error().code,
            "MalformedXML");
  EXPECT_EQ(ParseRetention("<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>" +
                               FormatLockDate(now - 1h) + "</RetainUntilDate></Retention>",
                           now)
                .error()
                .code,
            "InvalidArgument");
  EXPECT_EQ(ParseRetention("junk", now).error().code, "MalformedXML");
  auto on = ParseLegalHold("<LegalHold><Status>ON</Status></LegalHold>");
  auto off = ParseLegalHold("<LegalHold><Status>OFF</Status></LegalHold>");
  ASSERT_TRUE(on.ok() && off.ok());
  EXPECT_TRUE(*on);
  EXPECT_FALSE(*off);
  EXPECT_EQ(ParseLegalHold("<LegalHold><Status>on</Status></LegalHold>").error().code,
            "MalformedXML");
  EXPECT_EQ(ParseLegalHold("<LegalHold/>").error().code, "MalformedXML");
}

TEST(ObjectLockCredentials, BypassGovernanceNeedsTheGrantAndWrite) {
  auto store = s3::CredentialStore::Parse(R"({"credentials":[
      {"access_key":"ADMIN","secret_key":"s","read":["*"],"write":["a","b"],
       "bypass_governance":["a","c"]},
      {"access_key":"PLAIN","secret_key":"s","read":["*"],"write":["*"]}],
      "anonymous":{"read":["*"],"write":["*"]}})");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE(store->CanBypassGovernance("ADMIN", "a"));
  EXPECT_FALSE(store->CanBypassGovernance("ADMIN", "b"));  // no grant
  EXPECT_FALSE(store->CanBypassGovernance("ADMIN", "c"));  // no write
  EXPECT_FALSE(store->CanBypassGovernance("PLAIN", "a"));
  EXPECT_FALSE(store->CanBypassGovernance("", "a"));  // anonymous never
  auto again = s3::CredentialStore::Parse(store->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->CanBypassGovernance("ADMIN", "a"));
  EXPECT_FALSE(again->CanBypassGovernance("PLAIN", "a"));
  EXPECT_FALSE(
      s3::CredentialStore::Parse(
          R"({"credentials":[{"access_key":"K","secret_key":"s","bypass_governance":"a"}]})")
          .ok());
}

}  // namespace
}  // namespace natss3::s3d
