// Secret files and argv scrubbing for natss3fs (see secrets.h).
#include "secrets.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

namespace natss3::fs {
namespace {

bool IsSecretName(std::string_view name) { return name == "password" || name == "token"; }
bool IsServerName(std::string_view name) { return name == "server" || name == "servers"; }

// "--tls-ca" and "--tls_ca" alike.
std::string FlagName(std::string_view flag) {
  std::string name(flag.substr(2));
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

void Mask(char* begin, char* end) {
  for (char* c = begin; c < end; ++c) *c = '*';
}

// The user:password@ (or token@) of every URL in [begin, end).
void MaskUrlSecrets(char* begin, char* end) {
  for (char* p = begin; p + 3 <= end;) {
    char* scheme = static_cast<char*>(memmem(p, static_cast<size_t>(end - p), "://", 3));
    if (!scheme) return;
    char* authority = scheme + 3;
    char* stop = authority;
    while (stop < end && *stop != '/' && *stop != ',') ++stop;
    char* at = nullptr;
    for (char* c = authority; c < stop; ++c) {
      if (*c == '@') at = c;
    }
    if (at) {
      char* colon = static_cast<char*>(memchr(authority, ':', static_cast<size_t>(at - authority)));
      Mask(colon ? colon + 1 : authority, at);
    }
    p = stop;
  }
}

// One -o list: options split at commas not escaped with '\' (as fuse_opt does).
void ScrubOptionList(char* list) {
  char* end = list + strlen(list);
  for (char* start = list; start < end;) {
    char* stop = start;
    while (stop < end && *stop != ',') stop += (*stop == '\\' && stop + 1 < end) ? 2 : 1;
    char* eq = static_cast<char*>(memchr(start, '=', static_cast<size_t>(stop - start)));
    if (eq) {
      std::string_view name(start, static_cast<size_t>(eq - start));
      if (IsSecretName(name)) Mask(eq + 1, stop);
      if (IsServerName(name)) MaskUrlSecrets(eq + 1, stop);
    }
    start = stop + 1;
  }
}

}  // namespace

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string secret = buffer.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' ||
                             secret.back() == ' ' || secret.back() == '\t')) {
    secret.pop_back();
  }
  if (secret.empty()) return InvalidArgument(path + " is empty");
  return secret;
}

void ScrubSecrets(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* arg = argv[i];
    char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    std::string_view text(arg);
    if (text == "-o" && next) {
      ScrubOptionList(next);
      ++i;
    } else if (text.size() > 2 && text.substr(0, 2) == "-o") {
      ScrubOptionList(arg + 2);
    } else if (text == "-s" && next) {
      MaskUrlSecrets(next, next + strlen(next));  // the deprecated -s URL
    } else if (text.size() > 2 && text.substr(0, 2) == "--") {
      auto eq = text.find('=');
      std::string name = FlagName(text.substr(0, eq));
      char* value = eq == std::string_view::npos ? next : arg + eq + 1;
      if (!value) continue;
      if (IsSecretName(name)) Mask(value, value + strlen(value));
      if (IsServerName(name)) MaskUrlSecrets(value, value + strlen(value));
      if (eq == std::string_view::npos && (IsSecretName(name) || IsServerName(name))) ++i;
    }
  }
}

}  // namespace natss3::fs
