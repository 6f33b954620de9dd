// CredentialStore: JSON credential file, bucket grants, development credentials.
#include "auth/credentials.h"

#include "natss3/files.h"

#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace natss3::s3 {
namespace {

using nlohmann::json;

bool Grants(const std::vector<std::string>& buckets, std::string_view bucket) {
  return std::any_of(buckets.begin(), buckets.end(),
                     [&](const std::string& b) { return b == "*" || b == bucket; });
}

Result<std::vector<std::string>> StringList(const json& object, const char* field) {
  std::vector<std::string> out;
  if (!object.contains(field)) return out;
  const json& list = object.at(field);
  if (!list.is_array()) return InvalidArgument(std::string("\"") + field + "\" must be an array");
  for (const json& item : list) {
    if (!item.is_string() || item.get<std::string>().empty()) {
      return InvalidArgument(std::string("\"") + field + "\" must hold non-empty strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string RandomString(size_t length, std::string_view alphabet) {
  std::string out;
  unsigned char byte = 0;
  // Rejection sampling keeps the distribution uniform over the alphabet.
  const unsigned limit = 256 - (256 % alphabet.size());
  while (out.size() < length) {
    if (RAND_bytes(&byte, 1) != 1) continue;
    if (byte >= limit) continue;
    out.push_back(alphabet[byte % alphabet.size()]);
  }
  return out;
}

}  // namespace

Result<CredentialStore> CredentialStore::Parse(std::string_view json_text) {
  json doc = json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("credential file is not a JSON object");
  }
  CredentialStore store;
  if (doc.contains("credentials")) {
    const json& list = doc.at("credentials");
    if (!list.is_array()) return InvalidArgument("\"credentials\" must be an array");
    for (const json& entry : list) {
      if (!entry.is_object()) return InvalidArgument("a credential entry is not an object");
      Credentials c;
      auto text = [&](const char* field) -> std::string {
        return entry.contains(field) && entry.at(field).is_string()
                   ? entry.at(field).get<std::string>() : std::string();
      };
      c.access_key = text("access_key");
      c.secret_key = text("secret_key");
      NATSS3_ASSIGN_OR_RETURN(c.read_buckets, StringList(entry, "read"));
      NATSS3_ASSIGN_OR_RETURN(c.write_buckets, StringList(entry, "write"));
      NATSS3_ASSIGN_OR_RETURN(auto bypass, StringList(entry, "bypass_governance"));
      if (!bypass.empty()) store.SetBypassGovernance(c.access_key, std::move(bypass));
      if (store.Find(c.access_key) != nullptr) {
        return InvalidArgument("duplicate access key " + c.access_key);
      }
      NATSS3_RETURN_IF_ERROR(store.Add(std::move(c)));
    }
  }
  if (doc.contains("anonymous")) {
    const json& anon = doc.at("anonymous");
    if (!anon.is_object()) return InvalidArgument("\"anonymous\" must be an object");
    NATSS3_ASSIGN_OR_RETURN(store.anonymous_read_, StringList(anon, "read"));
    NATSS3_ASSIGN_OR_RETURN(store.anonymous_write_, StringList(anon, "write"));
  }
  return store;
}

Result<CredentialStore> CredentialStore::LoadFile(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    if (err == ENOENT) return NotFound("credential file " + path + " does not exist");
    if (err == EACCES) return PermissionDenied("cannot read credential file " + path);
    return Internal("cannot open credential file " + path + ": " + std::strerror(err));
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<CredentialStore> store = Parse(text.str());
  if (!store.ok()) return InvalidArgument(path + ": " + store.status().message());
  return store;
}

Status CredentialStore::Add(Credentials credentials) {
  if (credentials.access_key.empty()) return InvalidArgument("empty access_key");
  if (credentials.secret_key.empty()) {
    return InvalidArgument("empty secret_key for " + credentials.access_key);
  }
  std::string key = credentials.access_key;
  by_key_[key] = std::move(credentials);
  return Status::OK();
}

void CredentialStore::SetAnonymous(std::vector<std::string> read_buckets,
                                   std::vector<std::string> write_buckets) {
  anonymous_read_ = std::move(read_buckets);
  anonymous_write_ = std::move(write_buckets);
}

const Credentials* CredentialStore::Find(std::string_view access_key) const {
  auto it = by_key_.find(access_key);
  return it == by_key_.end() ? nullptr : &it->second;
}

bool CredentialStore::CanRead(std::string_view access_key, std::string_view bucket) const {
  if (access_key.empty()) return Grants(anonymous_read_, bucket);
  const Credentials* c = Find(access_key);
  return c != nullptr && Grants(c->read_buckets, bucket);
}

bool CredentialStore::CanWrite(std::string_view access_key, std::string_view bucket) const {
  if (access_key.empty()) return Grants(anonymous_write_, bucket);
  const Credentials* c = Find(access_key);
  return c != nullptr && Grants(c->write_buckets, bucket);
}

bool CredentialStore::CanBypassGovernance(std::string_view access_key,
                                          std::string_view bucket) const {
  if (access_key.empty()) return false;
  const Credentials* c = Find(access_key);
  auto it = bypass_governance_.find(access_key);
  return c != nullptr && it != bypass_governance_.end() && Grants(c->write_buckets, bucket) &&
         Grants(it->second, bucket);
}

void CredentialStore::SetBypassGovernance(std::string_view access_key,
                                          std::vector<std::string> buckets) {
  bypass_governance_[std::string(access_key)] = std::move(buckets);
}

bool CredentialStore::AnonymousEnabled() const {
  return !anonymous_read_.empty() || !anonymous_write_.empty();
}

std::string CredentialStore::ToJson() const {
  json list = json::array();
  for (const auto& [key, c] : by_key_) {
    json entry = {{"access_key", c.access_key},
                  {"secret_key", c.secret_key},
                  {"read", c.read_buckets},
                  {"write", c.write_buckets}};
    if (auto it = bypass_governance_.find(key); it != bypass_governance_.end())
      entry["bypass_governance"] = it->second;
    list.push_back(std::move(entry));
  }
  json doc = {{"credentials", list}};
  if (AnonymousEnabled()) {
    doc["anonymous"] = {{"read", anonymous_read_}, {"write", anonymous_write_}};
  }
  return doc.dump(2) + "\n";
}

Status CredentialStore::SaveFile(const std::string& path) const {
  // Created 0600 from the first byte (O_EXCL with the mode), replaced atomically.
  Status saved = WriteFileAtomic(path, ToJson(), 0600);
  if (!saved.ok()) return Internal("cannot write credential file " + path + ": " + saved.message());
  return Status::OK();
}

Credentials GenerateDevCredentials() {
  constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  constexpr std::string_view kSecret =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  Credentials c;
  c.access_key = "NATS" + RandomString(16, kUpper);
  c.secret_key = RandomString(40, kSecret);
  c.read_buckets = {"*"};
  c.write_buckets = {"*"};
  return c;
}

Result<CredentialStore> LoadOrCreateDevCredentials(const std::string& path, bool* created) {
  if (created != nullptr) *created = false;
  Result<CredentialStore> existing = CredentialStore::LoadFile(path);
  if (existing.ok() || existing.status().code() != Code::kNotFound) return existing;
  CredentialStore store;
  NATSS3_RETURN_IF_ERROR(store.Add(GenerateDevCredentials()));
  NATSS3_RETURN_IF_ERROR(store.SaveFile(path));
  if (created != nullptr) *created = true;
  return store;
}

}  // namespace natss3::s3
