#include "ledger/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>

namespace ftl {
namespace {
const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}
EVP_MD_CTX* C(void* p) { return static_cast<EVP_MD_CTX*>(p); }
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || sha256_md() == nullptr) throw std::runtime_error("OpenSSL SHA-256 unavailable");
  reset();
}
Sha256::~Sha256() { EVP_MD_CTX_free(C(ctx_)); }
void Sha256::reset() { EVP_DigestInit_ex2(C(ctx_), sha256_md(), nullptr); }
void Sha256::update(std::string_view bytes) { EVP_DigestUpdate(C(ctx_), bytes.data(), bytes.size()); }
Hash Sha256::finish() {
  Hash out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(C(ctx_), out.data(), &n);
  reset();
  return out;
}
Hash Sha256::of(std::string_view bytes) {
  thread_local Sha256 h;
  h.update(bytes);
  return h.finish();
}

}  // namespace ftl
