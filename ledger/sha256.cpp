#include "ledger/sha256.h"

#include <openssl/core_names.h>
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

Hash hmac_sha256(const Hash& key, std::initializer_list<std::string_view> parts) {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  Hash out{};
  if (mac == nullptr) throw std::runtime_error("OpenSSL HMAC unavailable");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  std::size_t n = 0;
  bool ok = ctx != nullptr && EVP_MAC_init(ctx, key.data(), key.size(), params) == 1;
  for (auto p : parts) ok = ok && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(p.data()), p.size()) == 1;
  ok = ok && EVP_MAC_final(ctx, out.data(), &n, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok || n != out.size()) throw std::runtime_error("OpenSSL HMAC-SHA256 failed");
  return out;
}

}  // namespace ftl
