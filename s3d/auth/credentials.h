// Credentials and bucket permissions of natss3d, loaded from a JSON file.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "natss3/status.h"

namespace natss3::s3 {

// One access key. Bucket lists hold bucket names or "*" (every bucket).
struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::vector<std::string> read_buckets;   // GET/HEAD/List on these buckets
  std::vector<std::string> write_buckets;  // PUT/DELETE/multipart/create/delete bucket; a
                                           // write grant does NOT imply read
};

// The credential file (JSON, UTF-8):
//
//   {
//     "credentials": [
//       {"access_key": "AKEXAMPLE", "secret_key": "secret",
//        "read": ["*"], "write": ["photos", "backups"],
//        "bypass_governance": ["backups"]}                   // optional (object lock)
//     ],
//     "anonymous": {"read": ["public"], "write": []}    // optional; absent = no anonymous access
//   }
//
// "read"/"write"/"bypass_governance" default to [] when absent. Access keys must be unique and
// non-empty; secret keys non-empty. Unknown fields are ignored.
//
// Thread-safety: immutable after construction; all const methods are safe from any thread.
// To reload, build a new store and swap a shared_ptr.
class CredentialStore {
 public:
  CredentialStore() = default;

  // Parses the JSON text above. InvalidArgument with a reason on malformed input.
  static Result<CredentialStore> Parse(std::string_view json_text);
  // Reads and parses `path`. NotFound if the file does not exist, InvalidArgument if malformed,
  // PermissionDenied / Internal on other read failures.
  static Result<CredentialStore> LoadFile(const std::string& path);

  // Adds or replaces the entry with the same access key. InvalidArgument if a key is empty.
  Status Add(Credentials credentials);
  // Buckets where `access_key` may bypass GOVERNANCE object-lock retention (delete the object
  // or shorten/remove its retention with x-amz-bypass-governance-retention: true); the file's
  // "bypass_governance". Effective only together with a write grant on the bucket. Kept
  // apart from Credentials so its aggregate initialisers stay as they are.
  void SetBypassGovernance(std::string_view access_key, std::vector<std::string> buckets);
  // Grants anonymous (unsigned) requests access to these buckets ("*" allowed).
  void SetAnonymous(std::vector<std::string> read_buckets,
                    std::vector<std::string> write_buckets);

  // nullptr if unknown. The pointer lives as long as the store and is not invalidated by reads.
  const Credentials* Find(std::string_view access_key) const;
  // Permission checks. An empty access_key means an anonymous request. Unknown keys: false.
  bool CanRead(std::string_view access_key, std::string_view bucket) const;
  bool CanWrite(std::string_view access_key, std::string_view bucket) const;
  // Write permission plus a bypass_governance grant on `bucket`; false for anonymous requests.
  bool CanBypassGovernance(std::string_view access_key, std::string_view bucket) const;
  // True when anonymous requests may read or write at least one bucket.
  bool AnonymousEnabled() const;

  size_t size() const { return by_key_.size(); }
  // Serialises to the JSON format above (pretty-printed).
  std::string ToJson() const;
  // Writes ToJson() to `path` with mode 0600 (atomically: temp file then rename).
  Status SaveFile(const std::string& path) const;

 private:
  std::map<std::string, Credentials, std::less<>> by_key_;
  std::map<std::string, std::vector<std::string>, std::less<>> bypass_governance_;
  std::vector<std::string> anonymous_read_;
  std::vector<std::string> anonymous_write_;
};

// Random development credentials with read and write on "*": a 20-character upper-case
// alphanumeric access key starting "NATS" and a 40-character secret (base64 alphabet minus
// '+' and '/'), from a CSPRNG (OpenSSL RAND_bytes).
Credentials GenerateDevCredentials();

// The embedded default's quick start: loads `path` if it exists; otherwise generates dev
// credentials, saves them there (0600) and returns a store holding them. `created` (optional)
// tells whether a new file was written so the caller can print the keys.
Result<CredentialStore> LoadOrCreateDevCredentials(const std::string& path,
                                                   bool* created = nullptr);

}  // namespace natss3::s3
