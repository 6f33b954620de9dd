// Hasher implementation.
#include "hashing.h"

namespace natss3 {

Hasher::Hasher(Algo algo) : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_, algo == Algo::kMd5 ? EVP_md5() : EVP_sha256(), nullptr);
}

Hasher::~Hasher() { EVP_MD_CTX_free(ctx_); }

void Hasher::Update(std::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

std::string Hasher::Peek() const {
  EVP_MD_CTX* copy = EVP_MD_CTX_new();
  EVP_MD_CTX_copy_ex(copy, ctx_);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy, out, &len);
  EVP_MD_CTX_free(copy);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace natss3
