// Incremental MD5/SHA-256 over OpenSSL EVP, copyable mid-stream (to peek at a digest).
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace natss3 {

class Hasher {
 public:
  enum class Algo { kMd5, kSha256 };
  explicit Hasher(Algo algo);
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(std::string_view data);
  // Digest of everything so far; the hasher stays usable.
  std::string Peek() const;

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace natss3
