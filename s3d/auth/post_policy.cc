// POST policy parsing, signature verification and condition checks.
#include "auth/post_policy.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "auth/checksums.h"
#include "auth/sigv2.h"
#include "natss3/ascii.h"

namespace natss3::s3 {
namespace {

using Clock = std::chrono::system_clock;
using Condition = PostPolicy::Condition;

S3Error InvalidPolicy(const std::string& why) {
  return S3Error{"InvalidPolicyDocument", "Invalid Policy: " + why, 400};
}

S3Error PolicyViolation(const std::string& why) {
  return S3Error::AccessDenied("Invalid according to Policy: " + why);
}

const std::string* Field(const FormFields& fields, std::string_view name) {
  auto it = fields.find(name);
  return it == fields.end() ? nullptr : &it->second;
}

std::optional<int64_t> AsInteger(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

std::optional<Condition> FieldCondition(Condition::Kind kind, const std::string& field,
                                        const nlohmann::json& value, std::string text) {
  if (!value.is_string()) return std::nullopt;
  Condition c;
  c.kind = kind;
  c.field = AsciiLower(field);
  c.value = value.get<std::string>();
  c.text = std::move(text);
  return c;
}

bool Holds(const Condition& c, const FormFields& fields) {
  const std::string* value = Field(fields, c.field);
  std::string actual = value ? *value : "";
  if (c.kind == Condition::Kind::kEq) return value != nullptr && actual == c.value;
  // starts-with: for Content-Type, a comma-separated list must match element by element.
  if (c.field == "content-type" && actual.find(',') != std::string::npos) {
    size_t start = 0;
    while (start <= actual.size()) {
      size_t comma = actual.find(',', start);
      std::string item = actual.substr(start, comma == std::string::npos ? comma : comma - start);
      item.erase(0, item.find_first_not_of(' '));
      if (item.rfind(c.value, 0) != 0) return false;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return true;
  }
  return actual.rfind(c.value, 0) == 0;
}

bool Exempt(std::string_view field) {
  return field == "policy" || field == "signature" || field == "x-amz-signature" ||
         field == "awsaccesskeyid" || field == "file" || field.rfind("x-ignore-", 0) == 0;
}

}  // namespace

std::optional<Clock::time_point> ParseIso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  if (text.size() < 20 || text.back() != 'Z') return std::nullopt;
  std::string s(text.substr(0, 19));
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  std::string_view rest = text.substr(19, text.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 ||
        !std::all_of(rest.begin() + 1, rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
  }
  std::time_t t = timegm(&tm);
  if (t < 0 || t > 253402300799) return std::nullopt;  // 1970 .. 9999
  return Clock::from_time_t(t);
}

S3Result<PostPolicy> ParsePostPolicy(std::string_view json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return InvalidPolicy("the policy is not JSON.");
  PostPolicy policy;
  auto expiration = doc.find("expiration");
  if (expiration == doc.end() || !expiration->is_string()) {
    return InvalidPolicy("Policy missing expiration.");
  }
  auto when = ParseIso8601(expiration->get<std::string>());
  if (!when)
    return InvalidPolicy("Invalid 'expiration' value: '" + expiration->get<std::string>() + "'");
  policy.expiration = *when;
  auto conditions = doc.find("conditions");
  if (conditions == doc.end() || !conditions->is_array()) {
    return InvalidPolicy("Policy missing conditions.");
  }
  for (const nlohmann::json& item : *conditions) {
    std::string text = item.dump();
    if (item.is_object()) {
      for (const auto& [name, value] : item.items()) {
        auto c = FieldCondition(Condition::Kind::kEq, name, value, text);
        if (!c) return InvalidPolicy("Invalid condition: " + text);
        policy.conditions.push_back(std::move(*c));
      }
      continue;
    }
    if (!item.is_array() || item.size() != 3 || !item[0].is_string()) {
      return InvalidPolicy("Invalid condition: " + text);
    }
    std::string op = AsciiLower(item[0].get<std::string>());
    if (op == "content-length-range") {
      auto min = AsInteger(item[1]), max = AsInteger(item[2]);
      if (!min || !max || *min < 0 || *max < *min) {
        return InvalidPolicy("Invalid content-length-range: " + text);
      }
      Condition c;
      c.kind = Condition::Kind::kContentLengthRange;
      c.min = *min;
      c.max = *max;
      c.text = text;
      policy.conditions.push_back(c);
      if (!policy.length_range) {
        policy.length_range = std::make_pair(*min, *max);
      } else {
        policy.length_range->first = std::max(policy.length_range->first, *min);
        policy.length_range->second = std::min(policy.length_range->second, *max);
      }
      continue;
    }
    Condition::Kind kind;
    if (op == "eq")
      kind = Condition::Kind::kEq;
    else if (op == "starts-with")
      kind = Condition::Kind::kStartsWith;
    else
      return InvalidPolicy("Invalid condition: " + text);
    if (!item[1].is_string()) return InvalidPolicy("Invalid condition: " + text);
    std::string field = item[1].get<std::string>();
    if (field.empty() || field[0] != '$') return InvalidPolicy("Invalid condition: " + text);
    auto c = FieldCondition(kind, field.substr(1), item[2], text);
    if (!c) return InvalidPolicy("Invalid condition: " + text);
    policy.conditions.push_back(std::move(*c));
  }
  return policy;
}

S3Result<AuthContext> VerifyPostSignature(const FormFields& fields, const CredentialStore& store) {
  const std::string* policy = Field(fields, "policy");
  const std::string* v4_signature = Field(fields, "x-amz-signature");
  const std::string* v2_key = Field(fields, "awsaccesskeyid");
  AuthContext context;
  if (v4_signature == nullptr && v2_key == nullptr) {
    if (policy != nullptr) {
      return S3Error::InvalidArgument(
          "Bucket POST must contain a field named 'AWSAccessKeyId' or 'X-Amz-Credential'.  If "
          "it is specified, please check the order of the fields.");
    }
    context.anonymous = true;
    return context;
  }
  if (policy == nullptr) {
    return S3Error::InvalidArgument(
        "Bucket POST must contain a field named 'policy'.  If it is specified, please check "
        "the order of the fields.");
  }
  context.presigned = true;
  if (v4_signature != nullptr) {
    const std::string* algorithm = Field(fields, "x-amz-algorithm");
    const std::string* credential = Field(fields, "x-amz-credential");
    const std::string* date = Field(fields, "x-amz-date");
    if (algorithm == nullptr || credential == nullptr || date == nullptr) {
      return S3Error::InvalidArgument(
          "Bucket POST with a SigV4 signature must contain the fields x-amz-algorithm, "
          "x-amz-credential and x-amz-date.");
    }
    if (*algorithm != "AWS4-HMAC-SHA256") {
      return S3Error::InvalidRequest("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
    }
    // <key>/<yyyymmdd>/<region>/<service>/aws4_request; the key itself may contain '/'.
    std::vector<std::string> parts;
    size_t end = credential->size();
    for (int i = 0; i < 4; ++i) {
      size_t slash = end == 0 ? std::string::npos : credential->rfind('/', end - 1);
      if (slash == std::string::npos) break;
      parts.push_back(credential->substr(slash + 1, end - slash - 1));
      end = slash;
    }
    if (parts.size() != 4 || end == 0 || parts[0] != "aws4_request" || parts[3].size() != 8) {
      return S3Error::AuthorizationQueryParametersError(
          "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
          "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
    }
    const Credentials* credentials = store.Find(std::string_view(*credential).substr(0, end));
    if (credentials == nullptr) return S3Error::InvalidAccessKeyId();
    std::string key = DeriveSigningKey(credentials->secret_key, parts[3], parts[2], parts[1]);
    std::string expected = SignatureHex(key, *policy);
    if (!ConstantTimeEquals(expected, AsciiLower(*v4_signature))) {
      return S3Error::SignatureDoesNotMatch();
    }
    context.access_key = credentials->access_key;
    context.region = parts[2];
    return context;
  }
  const std::string* signature = Field(fields, "signature");
  if (signature == nullptr) {
    return S3Error::InvalidArgument(
        "Bucket POST must contain a field named 'signature'.  If it is specified, please check "
        "the order of the fields.");
  }
  const Credentials* credentials = store.Find(*v2_key);
  if (credentials == nullptr) return S3Error::InvalidAccessKeyId();
  if (!ConstantTimeEquals(SigV2Signature(credentials->secret_key, *policy), *signature)) {
    return S3Error::SignatureDoesNotMatch();
  }
  context.access_key = credentials->access_key;
  return context;
}

S3Status CheckPostPolicy(const PostPolicy& policy, const FormFields& fields,
                         Clock::time_point now) {
  if (now > policy.expiration) return PolicyViolation("Policy expired.");
  std::vector<std::string> covered;
  for (const Condition& c : policy.conditions) {
    if (c.kind == Condition::Kind::kContentLengthRange) continue;
    covered.push_back(c.field);
    if (!Holds(c, fields)) return PolicyViolation("Policy Condition failed: " + c.text);
  }
  for (const auto& [name, value] : fields) {
    if (Exempt(name) || name == "bucket") continue;
    if (std::find(covered.begin(), covered.end(), name) == covered.end()) {
      return PolicyViolation("Extra input fields: " + name);
    }
  }
  return S3Status::OK();
}

}  // namespace natss3::s3
