// The Go text/template subset natscli offers in header values: a lexer for the actions and an
// evaluator for natscli's functions and fields. Anything else is rejected, never echoed.
#include "header_template.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>
#include <random>
#include <vector>

#include "natss3/names.h"

namespace natss3::cli {
namespace {

constexpr uint64_t kMaxRandomLength = 1024 * 1024;  // a header must fit in one NATS message

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

Status Error(const std::string& message) { return InvalidArgument(message); }
Status Unsupported(const std::string& what) {
  return InvalidArgument(what + " is not supported in header templates");
}

struct Token {
  enum class Kind { kIdentifier, kField, kDot, kString, kNumber, kPipe, kVariable, kParen };
  Kind kind;
  std::string text;  // identifier, field name (no dot), string value or number as written
};

Result<int64_t> ParseInteger(const std::string& text) {
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  int64_t value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return Error("bad number syntax: \"" + text + "\" (only decimal integers are supported)");
  }
  return value;
}

void AppendUtf8(uint32_t code, std::string* out) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// The local broken-down time of `values.now`, from the offset rather than the process zone so
// that tests can fix it.
std::tm LocalTime(const TemplateValues& values) {
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(values.now.time_since_epoch());
  std::time_t local = static_cast<std::time_t>(seconds.count() + values.utc_offset_seconds);
  std::tm tm{};
  gmtime_r(&local, &tm);
  return tm;
}

std::string TimeStamp(const TemplateValues& values) {  // Go time.RFC3339
  std::tm tm = LocalTime(values);
  char text[40];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = text;
  int64_t offset = values.utc_offset_seconds;
  if (offset == 0) return out + "Z";
  char zone[16];
  int64_t minutes = (offset < 0 ? -offset : offset) / 60;
  std::snprintf(zone, sizeof(zone), "%c%02d:%02d", offset < 0 ? '-' : '+',
                static_cast<int>(minutes / 60), static_cast<int>(minutes % 60));
  return out + zone;
}

std::string Kitchen(const TemplateValues& values) {  // Go time.Kitchen, "3:04PM"
  std::tm tm = LocalTime(values);
  int hour = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
  char text[16];
  std::snprintf(text, sizeof(text), "%d:%02d%s", hour, tm.tm_min, tm.tm_hour < 12 ? "AM" : "PM");
  return text;
}

std::string RandomAlphanumeric(uint64_t length) {
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kLetters) - 2);
  std::string out(length, ' ');
  for (char& c : out) c = kLetters[pick(generator)];
  return out;
}

class Expander {
 public:
  Expander(std::string_view text, const TemplateValues& values) : in_(text), values_(values) {}

  Result<std::string> Run() {
    while (pos_ < in_.size()) {
      size_t open = in_.find("{{", pos_);
      if (open == std::string_view::npos) {
        out_.append(in_.substr(pos_));
        break;
      }
      std::string_view text = in_.substr(pos_, open - pos_);
      pos_ = open + 2;
      if (pos_ + 1 < in_.size() && in_[pos_] == '-' && IsSpace(in_[pos_ + 1])) {
        while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
        pos_ += 2;
      }
      out_.append(text);
      NATSS3_RETURN_IF_ERROR(Action());
    }
    return out_;
  }

 private:
  bool At(std::string_view what) const { return in_.substr(pos_, what.size()) == what; }
  void SkipSpaces() {
    while (pos_ < in_.size() && IsSpace(in_[pos_])) ++pos_;
  }

  // One action; pos_ is just after "{{" and its left trim marker.
  Status Action() {
    SkipSpaces();
    bool trim_right = false;
    if (At("/*")) {
      size_t end = in_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) return Error("unclosed comment");
      pos_ = end + 2;
      if (pos_ + 3 < in_.size() && IsSpace(in_[pos_]) && in_.substr(pos_ + 1, 3) == "-}}") {
        trim_right = true;
        pos_ += 4;
      } else if (At("}}")) {
        pos_ += 2;
      } else {
        return Error("comment ends before closing delimiter");
      }
    } else {
      NATSS3_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(&trim_right));
      NATSS3_RETURN_IF_ERROR(Evaluate(tokens));
    }
    if (trim_right) SkipSpaces();
    return Status::OK();
  }

  Result<std::vector<Token>> Lex(bool* trim_right) {
    std::vector<Token> tokens;
    while (true) {
      bool spaced = pos_ < in_.size() && IsSpace(in_[pos_]);
      SkipSpaces();
      if (pos_ >= in_.size()) return Error("unclosed action");
      if (At("}}")) {
        pos_ += 2;
        return tokens;
      }
      if (spaced && At("-}}")) {
        pos_ += 3;
        *trim_right = true;
        return tokens;
      }
      char c = in_[pos_];
      bool signed_number = (c == '-' || c == '+') && pos_ + 1 < in_.size() &&
                           std::isdigit(static_cast<unsigned char>(in_[pos_ + 1]));
      if (c == '"' || c == '`') {
        NATSS3_ASSIGN_OR_RETURN(std::string value, LexQuoted());
        tokens.push_back({Token::Kind::kString, std::move(value)});
      } else if (std::isdigit(static_cast<unsigned char>(c)) || signed_number) {
        size_t start = pos_++;
        while (pos_ < in_.size() && (IsIdentChar(in_[pos_]) || in_[pos_] == '.')) ++pos_;
        tokens.push_back({Token::Kind::kNumber, std::string(in_.substr(start, pos_ - start))});
      } else if (c == '.' || c == '$' || IsIdentStart(c)) {
        size_t start = c == '.' || c == '$' ? ++pos_ : pos_;
        while (pos_ < in_.size() && IsIdentChar(in_[pos_])) ++pos_;
        std::string name(in_.substr(start, pos_ - start));
        Token::Kind kind = c == '$'       ? Token::Kind::kVariable
                           : c != '.'     ? Token::Kind::kIdentifier
                           : name.empty() ? Token::Kind::kDot
                                          : Token::Kind::kField;
        tokens.push_back({kind, kind == Token::Kind::kVariable ? "$" + name : name});
      } else if (c == '|' || c == '(' || c == ')') {
        ++pos_;
        tokens.push_back({c == '|' ? Token::Kind::kPipe : Token::Kind::kParen, std::string(1, c)});
      } else {
        return Error(std::string("unexpected \"") + c + "\" in command");
      }
    }
  }

  // A "..." (Go escapes) or `...` (raw) literal at pos_.
  Result<std::string> LexQuoted() {
    char quote = in_[pos_++];
    std::string value;
    while (pos_ < in_.size() && in_[pos_] != quote) {
      char c = in_[pos_++];
      if (quote == '`' || c != '\\') {
        if (quote == '"' && c == '\n') break;
        value.push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) break;
      char e = in_[pos_++];
      switch (e) {
        case 'n':
          value.push_back('\n');
          break;
        case 't':
          value.push_back('\t');
          break;
        case 'r':
          value.push_back('\r');
          break;
        case 'a':
          value.push_back('\a');
          break;
        case 'b':
          value.push_back('\b');
          break;
        case 'f':
          value.push_back('\f');
          break;
        case 'v':
          value.push_back('\v');
          break;
        case '\\':
        case '"':
        case '\'':
          value.push_back(e);
          break;
        case 'x':
        case 'u':
        case 'U': {
          size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t code = 0;
          auto [end, error] = std::from_chars(
              in_.data() + pos_, in_.data() + std::min(in_.size(), pos_ + digits), code, 16);
          if (error != std::errc() || end != in_.data() + pos_ + digits || code > 0x10FFFF) {
            return Error("invalid escape \\" + std::string(1, e) + " in quoted string");
          }
          pos_ += digits;
          if (e == 'x')
            value.push_back(static_cast<char>(code));
          else
            AppendUtf8(code, &value);
          break;
        }
        default:
          return Error(std::string("unknown escape sequence \\") + e);
      }
    }
    if (pos_ >= in_.size() || in_[pos_] != quote) {
      return Error(quote == '`' ? "unterminated raw quoted string" : "unterminated quoted string");
    }
    ++pos_;
    return value;
  }

  Status Evaluate(const std::vector<Token>& tokens) {
    if (tokens.empty()) return Error("missing value for command");
    for (const auto& t : tokens) {
      if (t.kind == Token::Kind::kPipe) return Unsupported("a pipeline (|)");
      if (t.kind == Token::Kind::kParen) return Unsupported("a parenthesized pipeline");
      if (t.kind == Token::Kind::kVariable) return Unsupported("the variable " + t.text);
    }
    const Token& first = tokens[0];
    std::vector<Token> args(tokens.begin() + 1, tokens.end());
    switch (first.kind) {
      case Token::Kind::kString:
      case Token::Kind::kNumber: {
        std::string text = first.text;
        if (first.kind == Token::Kind::kNumber) {
          NATSS3_ASSIGN_OR_RETURN(int64_t number, ParseInteger(first.text));
          text = std::to_string(number);
        }
        if (!args.empty()) return Error("can't give argument to non-function " + first.text);
        out_ += text;
        return Status::OK();
      }
      case Token::Kind::kDot:
        return Unsupported("{{.}}");
      case Token::Kind::kField:
        return Field(first.text, args);
      default:
        return Function(first.text, args);
    }
  }

  // The values natscli's template functions and data fields share.
  std::optional<std::string> Simple(const std::string& name) const {
    if (name == "Count" || name == "Cnt") return std::to_string(values_.count);
    auto since_epoch = values_.now.time_since_epoch();
    if (name == "Unix") {
      return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
    }
    if (name == "UnixNano") {
      return std::to_string(
          std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
    }
    if (name == "TimeStamp") return TimeStamp(values_);
    if (name == "Time") return Kitchen(values_);
    if (name == "ID") return values_.new_id ? values_.new_id() : NewNuid();
    return std::nullopt;
  }

  Status Field(const std::string& name, const std::vector<Token>& args) {
    auto value = name == "Request" ? std::optional<std::string>("") : Simple(name);
    if (!value) return Error("can't evaluate field " + name);
    if (!args.empty()) return Error("field ." + name + " takes no arguments");
    out_ += *value;
    return Status::OK();
  }

  Status Function(const std::string& name, const std::vector<Token>& args) {
    static const char* kKeywords[] = {"if",     "else",     "end",   "range", "with",
                                      "define", "template", "block", "break", "continue",
                                      "nil",    "true",     "false"};
    static const char* kBuiltins[] = {
        "and",    "call",    "html",     "index", "slice", "js", "len", "not", "or", "print",
        "printf", "println", "urlquery", "eq",    "ge",    "gt", "le",  "lt",  "ne"};
    for (const char* keyword : kKeywords) {
      if (name == keyword) return Unsupported("\"" + name + "\"");
    }
    for (const char* builtin : kBuiltins) {
      if (name == builtin) return Unsupported("the function \"" + name + "\"");
    }
    if (name == "Random") return Random(args);
    auto value = Simple(name);
    if (!value) return Error("function \"" + name + "\" not defined");
    if (!args.empty()) {
      return Error("wrong number of args for " + name + ": want 0 got " +
                   std::to_string(args.size()));
    }
    out_ += *value;
    return Status::OK();
  }

  Status Random(const std::vector<Token>& args) {
    if (args.size() != 2) {
      return Error("wrong number of args for Random: want 2 got " + std::to_string(args.size()));
    }
    uint64_t bounds[2];
    for (int i = 0; i < 2; ++i) {
      Result<int64_t> number = Error("not a number");
      if (args[i].kind == Token::Kind::kNumber) number = ParseInteger(args[i].text);
      if (!number.ok() || *number < 0 || static_cast<uint64_t>(*number) > kMaxRandomLength) {
        return Error("Random takes two integers from 0 to " + std::to_string(kMaxRandomLength) +
                     " (got " + args[i].text + ")");
      }
      bounds[i] = static_cast<uint64_t>(*number);
    }
    uint64_t shortest = std::min(bounds[0], bounds[1]), longest = std::max(bounds[0], bounds[1]);
    uint64_t length = shortest;
    if (longest > shortest) {
      static thread_local std::mt19937_64 generator{std::random_device{}()};
      length += std::uniform_int_distribution<uint64_t>(0, longest - shortest - 1)(generator);
    }
    out_ += values_.random ? values_.random(length) : RandomAlphanumeric(length);
    return Status::OK();
  }

  std::string_view in_;
  size_t pos_ = 0;
  const TemplateValues& values_;
  std::string out_;
};

}  // namespace

TemplateValues CurrentTemplateValues() {
  TemplateValues values;
  values.now = std::chrono::system_clock::now();
  std::time_t now = std::chrono::system_clock::to_time_t(values.now);
  std::tm local{};
  if (localtime_r(&now, &local) != nullptr) values.utc_offset_seconds = local.tm_gmtoff;
  values.new_id = [] { return NewNuid(); };
  values.random = RandomAlphanumeric;
  return values;
}

Result<std::string> ExpandHeaderTemplate(std::string_view text, const TemplateValues& values) {
  return Expander(text, values).Run();
}

}  // namespace natss3::cli
