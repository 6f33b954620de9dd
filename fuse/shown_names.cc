// Reversible escaping of object-name components into file names (see shown_names.h).
#include "shown_names.h"

#include "natss3/names.h"

namespace natss3::fs {
namespace {

// Components no file name can be: the kernel cannot pass them, or they mean something else.
bool Unshowable(std::string_view c) {
  return c.empty() || c == "." || c == ".." || c.find('\0') != std::string_view::npos ||
         !IsValidUtf8(c);
}

void AppendEscaped(unsigned char byte, std::string* out) {
  static const char* kHex = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[byte >> 4]);
  out->push_back(kHex[byte & 15]);
}

// The escaped spelling: every NUL, '%' and byte of a malformed UTF-8 sequence as %HH, the dots
// of "." and "..", and "%" alone for the empty component.
std::string Escape(std::string_view c) {
  if (c.empty()) return "%";
  std::string out;
  const bool dots = c == "." || c == "..";
  while (!c.empty()) {
    char32_t code_point = 0;
    size_t n = Utf8Sequence(c, &code_point);
    if (n == 0 || c[0] == '\0' || c[0] == '%' || dots) {
      AppendEscaped(static_cast<unsigned char>(c[0]), &out);
      n = 1;
    } else {
      out.append(c.substr(0, n));
    }
    c.remove_prefix(n);
  }
  return out;
}

int HexValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

// Undoes Escape: every %HH decoded; nullopt when a '%' does not start one.
std::optional<std::string> Unescape(std::string_view s) {
  if (s == "%") return std::string();
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool NeedsEscape(std::string_view c);

// Whether `s` is the escaped spelling of a component that is shown escaped. Recursion ends:
// the unescaped component is shorter than its spelling.
bool IsEscapedSpelling(std::string_view s) {
  if (s.find('%') == std::string_view::npos) return false;
  auto plain = Unescape(s);
  return plain && Escape(*plain) == s && NeedsEscape(*plain);
}

// Unshowable components, and those whose own spelling would read as another's escape.
bool NeedsEscape(std::string_view c) { return Unshowable(c) || IsEscapedSpelling(c); }

}  // namespace

std::string ShownName(std::string_view component) {
  return NeedsEscape(component) ? Escape(component) : std::string(component);
}

std::optional<std::string> ParseShownName(std::string_view name) {
  if (IsEscapedSpelling(name)) return Unescape(name);
  if (Unshowable(name)) return std::nullopt;
  return std::string(name);
}

std::string DirPrefix(std::string_view path) {
  if (path.empty() || path.back() == '/') return std::string(path);
  return std::string(path) + "/";
}

std::string ChildPath(std::string_view dir_path, std::string_view component) {
  return DirPrefix(dir_path) + (component.empty() ? "/" : std::string(component));
}

std::string PathOfPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix == "/") return std::string(prefix);
  if (prefix.size() >= 2 && prefix.substr(prefix.size() - 2) == "//") return std::string(prefix);
  return std::string(prefix.substr(0, prefix.size() - 1));
}

void SplitKey(std::string_view key, std::string* parent_path, std::string* component) {
  std::string_view own = key;
  if (!own.empty() && own.back() == '/') own.remove_suffix(1);  // a directory's marker
  auto slash = own.rfind('/');
  std::string_view parent_prefix = slash == std::string_view::npos ? "" : own.substr(0, slash + 1);
  *component = std::string(slash == std::string_view::npos ? own : own.substr(slash + 1));
  *parent_path = PathOfPrefix(parent_prefix);
}

}  // namespace natss3::fs
