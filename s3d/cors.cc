// Bucket CORS configuration, preflight and response headers.
#include "s3d/cors.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "natss3/ascii.h"
#include "s3d/acl.h"
#include "s3d/body_reader.h"
#include "s3d/s3_service.h"
#include "s3d/xml.h"

namespace natss3::s3d {

namespace {
constexpr size_t kMaxRules = 100;

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> Texts(pugi::xml_node rule, const char* tag) {
  std::vector<std::string> out;
  for (pugi::xml_node n : rule.children(tag)) out.push_back(Trim(n.child_value()));
  return out;
}

std::string Join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

std::vector<std::string> SplitHeaderList(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string item = Trim(list.substr(0, comma));
    if (!item.empty()) out.push_back(AsciiLower(item));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}
}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view value, bool ignore_case) {
  auto eq = [&](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      char x = a[i], y = b[i];
      if (ignore_case) {
        x = static_cast<char>(std::tolower(static_cast<unsigned char>(x)));
        y = static_cast<char>(std::tolower(static_cast<unsigned char>(y)));
      }
      if (x != y) return false;
    }
    return true;
  };
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return eq(pattern, value);
  std::string_view prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  if (value.size() < prefix.size() + suffix.size()) return false;
  return eq(prefix, value.substr(0, prefix.size())) &&
         eq(suffix, value.substr(value.size() - suffix.size()));
}

S3Result<std::vector<CorsRule>> ParseCorsConfiguration(std::string_view body) {
  pugi::xml_document doc;
  if (body.empty() || !doc.load_buffer(body.data(), body.size())) return S3Error::MalformedXML();
  pugi::xml_node root = doc.child("CORSConfiguration");
  if (!root) return S3Error::MalformedXML();
  std::vector<CorsRule> rules;
  for (pugi::xml_node node : root.children("CORSRule")) {
    CorsRule rule;
    rule.id = Trim(node.child("ID").child_value());
    if (rule.id.size() > 255) return S3Error::InvalidArgument("The ID of a CORS rule is too long");
    rule.allowed_origins = Texts(node, "AllowedOrigin");
    rule.allowed_methods = Texts(node, "AllowedMethod");
    rule.allowed_headers = Texts(node, "AllowedHeader");
    rule.expose_headers = Texts(node, "ExposeHeader");
    if (rule.allowed_origins.empty() || rule.allowed_methods.empty()) {
      return S3Error::MalformedXML();
    }
    for (const auto& method : rule.allowed_methods) {
      if (method != "GET" && method != "PUT" && method != "HEAD" && method != "POST" &&
          method != "DELETE") {
        return S3Error::InvalidRequest(
            "Found unsupported HTTP method in CORS config. Unsupported method is " + method);
      }
    }
    for (const auto& origin : rule.allowed_origins) {
      if (std::count(origin.begin(), origin.end(), '*') > 1) {
        return S3Error::InvalidRequest("AllowedOrigin \"" + origin +
                                       "\" can not have more than one wildcard.");
      }
    }
    for (const auto& header : rule.allowed_headers) {
      if (std::count(header.begin(), header.end(), '*') > 1) {
        return S3Error::InvalidRequest("AllowedHeader \"" + header +
                                       "\" can not have more than one wildcard.");
      }
    }
    if (pugi::xml_node age = node.child("MaxAgeSeconds")) {
      std::string text = Trim(age.child_value());
      if (text.empty() || text.size() > 10 ||
          !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return S3Error::MalformedXML();
      }
      rule.max_age_seconds = std::stoll(text);
    }
    rules.push_back(std::move(rule));
  }
  if (rules.empty() || rules.size() > kMaxRules) return S3Error::MalformedXML();
  return rules;
}

std::string CorsConfigurationXml(const std::vector<CorsRule>& rules) {
  XmlWriter xml;
  xml.Open("CORSConfiguration", true);
  for (const CorsRule& rule : rules) {
    xml.Open("CORSRule");
    if (!rule.id.empty()) xml.Element("ID", rule.id);
    for (const auto& v : rule.allowed_headers) xml.Element("AllowedHeader", v);
    for (const auto& v : rule.allowed_methods) xml.Element("AllowedMethod", v);
    for (const auto& v : rule.allowed_origins) xml.Element("AllowedOrigin", v);
    for (const auto& v : rule.expose_headers) xml.Element("ExposeHeader", v);
    if (rule.max_age_seconds) {
      xml.Element("MaxAgeSeconds", static_cast<uint64_t>(*rule.max_age_seconds));
    }
    xml.Close("CORSRule");
  }
  xml.Close("CORSConfiguration");
  return xml.Finish();
}

std::string CorsRulesToJson(const std::vector<CorsRule>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const CorsRule& rule : rules) {
    nlohmann::json r = {{"id", rule.id},
                        {"origins", rule.allowed_origins},
                        {"methods", rule.allowed_methods},
                        {"headers", rule.allowed_headers},
                        {"expose", rule.expose_headers}};
    if (rule.max_age_seconds) r["max_age"] = *rule.max_age_seconds;
    out.push_back(std::move(r));
  }
  return out.dump();
}

std::vector<CorsRule> CorsRulesFromJson(std::string_view json) {
  std::vector<CorsRule> rules;
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) return {};
  try {
    for (const auto& r : parsed) {
      CorsRule rule;
      rule.id = r.value("id", "");
      rule.allowed_origins = r.value("origins", std::vector<std::string>{});
      rule.allowed_methods = r.value("methods", std::vector<std::string>{});
      rule.allowed_headers = r.value("headers", std::vector<std::string>{});
      rule.expose_headers = r.value("expose", std::vector<std::string>{});
      if (r.contains("max_age")) rule.max_age_seconds = r["max_age"].get<int64_t>();
      rules.push_back(std::move(rule));
    }
  } catch (const nlohmann::json::exception&) {
    return {};
  }
  return rules;
}

const CorsRule* MatchCorsRule(const std::vector<CorsRule>& rules, std::string_view origin,
                              std::string_view method,
                              const std::vector<std::string>& request_headers) {
  for (const CorsRule& rule : rules) {
    bool origin_ok =
        std::any_of(rule.allowed_origins.begin(), rule.allowed_origins.end(),
                    [&](const std::string& p) { return WildcardMatch(p, origin, false); });
    if (!origin_ok) continue;
    if (std::find(rule.allowed_methods.begin(), rule.allowed_methods.end(), method) ==
        rule.allowed_methods.end()) {
      continue;
    }
    bool headers_ok =
        std::all_of(request_headers.begin(), request_headers.end(), [&](const std::string& h) {
          return std::any_of(rule.allowed_headers.begin(), rule.allowed_headers.end(),
                             [&](const std::string& p) { return WildcardMatch(p, h, true); });
        });
    if (headers_ok) return &rule;
  }
  return nullptr;
}

namespace {
std::vector<CorsRule> RulesOf(const std::string& record) {
  return record.empty() ? std::vector<CorsRule>{} : CorsRulesFromJson(record);
}

// The bucket's rules as `records` caches them (none when unreadable).
std::shared_ptr<const std::vector<CorsRule>> CachedRules(BucketRecords& records,
                                                         const std::string& bucket) {
  auto rules = records.Get<std::vector<CorsRule>>("cors", bucket, RulesOf);
  if (!rules.ok()) return std::make_shared<const std::vector<CorsRule>>();
  return *rules;
}

void SetAllowHeaders(const CorsRule& rule, std::string_view origin, httplib::Response& res) {
  bool any_origin = std::find(rule.allowed_origins.begin(), rule.allowed_origins.end(), "*") !=
                    rule.allowed_origins.end();
  res.set_header("Access-Control-Allow-Origin",
                 any_origin ? std::string("*") : std::string(origin));
  if (!any_origin) res.set_header("Access-Control-Allow-Credentials", "true");
  res.set_header("Access-Control-Allow-Methods", Join(rule.allowed_methods));
  if (!rule.expose_headers.empty()) {
    res.set_header("Access-Control-Expose-Headers", Join(rule.expose_headers));
  }
  if (rule.max_age_seconds) {
    res.set_header("Access-Control-Max-Age", std::to_string(*rule.max_age_seconds));
  }
  res.set_header("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method");
}

void PreflightError(const httplib::Request& req, httplib::Response& res, const S3Error& error,
                    const std::string& bucket) {
  res.status = error.http_status;
  std::string resource = "/" + bucket;
  (void)req;
  res.set_content(ErrorXml(error, resource, res.get_header_value("x-amz-request-id")),
                  "application/xml");
}
}  // namespace

void AnswerPreflight(BucketRecords& records, const std::string& bucket, const httplib::Request& req,
                     httplib::Response& res) {
  std::string origin = req.get_header_value("Origin");
  if (!req.has_header("Origin")) {
    return PreflightError(
        req, res, {"BadRequest", "Insufficient information. Origin request header needed.", 400},
        bucket);
  }
  if (!req.has_header("Access-Control-Request-Method")) {
    return PreflightError(
        req, res, {"BadRequest", "Invalid Access-Control-Request-Method: null", 400}, bucket);
  }
  std::string method = req.get_header_value("Access-Control-Request-Method");
  std::shared_ptr<const std::vector<CorsRule>> cached;
  if (!bucket.empty() && ValidateExistingBucketName(bucket).ok()) {
    cached = CachedRules(records, bucket);
  }
  if (!cached || cached->empty()) {
    return PreflightError(
        req, res, {"AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", 403},
        bucket);
  }
  std::string requested = req.get_header_value("Access-Control-Request-Headers");
  const CorsRule* rule = MatchCorsRule(*cached, origin, method, SplitHeaderList(requested));
  if (rule == nullptr) {
    return PreflightError(
        req, res,
        {"AccessForbidden",
         "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
         "of Origin, request method / Access-Control-Request-Method or "
         "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
         403},
        bucket);
  }
  SetAllowHeaders(*rule, origin, res);
  if (!requested.empty()) {
    res.set_header("Access-Control-Allow-Headers", Join(SplitHeaderList(requested)));
  }
  res.status = 200;
}

void AddCorsHeaders(BucketRecords& records, const std::string& bucket, const httplib::Request& req,
                    httplib::Response& res) {
  if (bucket.empty() || !req.has_header("Origin")) return;
  if (!ValidateExistingBucketName(bucket).ok()) return;
  std::shared_ptr<const std::vector<CorsRule>> rules = CachedRules(records, bucket);
  if (rules->empty()) return;
  std::string origin = req.get_header_value("Origin");
  const CorsRule* rule = MatchCorsRule(*rules, origin, req.method, {});
  if (rule == nullptr) return;
  SetAllowHeaders(*rule, origin, res);
}

// --- Operations -------------------------------------------------------------------------

S3Status PutBucketCors(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  auto body = ReadSmallBody(ctx.req, ctx.reader, ctx.auth, 64 * 1024);
  if (!body.ok()) return body.error();
  auto rules = ParseCorsConfiguration(*body);
  if (!rules.ok()) return rules.error();
  S3Status stored = ctx.records.Store("cors", ctx.address.bucket, CorsRulesToJson(*rules));
  if (!stored.ok()) return stored;
  SendEmpty(ctx.res, 200);
  return {};
}

S3Status GetBucketCors(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  auto record = ctx.records.Load("cors", ctx.address.bucket);
  if (!record.ok()) return record.error();
  std::vector<CorsRule> rules = RulesOf(*record);
  if (rules.empty()) {
    return S3Error{"NoSuchCORSConfiguration", "The CORS configuration does not exist", 404};
  }
  SendXml(ctx.res, 200, CorsConfigurationXml(rules));
  return {};
}

S3Status DeleteBucketCors(RequestContext& ctx) {
  S3Status exists = RequireBucket(ctx);
  if (!exists.ok()) return exists;
  S3Status deleted = ctx.records.Store("cors", ctx.address.bucket, "");
  if (!deleted.ok()) return deleted;
  SendEmpty(ctx.res, 204);
  return {};
}

}  // namespace natss3::s3d
