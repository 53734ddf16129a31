// SHA-256 through OpenSSL's SHA256_Init/Update/Final, which OpenSSL 3 marks deprecated in
// favour of EVP but still ships and tests: EVP's provider dispatch costs ~70 ns a hash (~25%
// of a 150-byte event's canonical bytes), and each append hashes three or four times.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ledger/sha256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace ftl {
namespace {
static_assert(sizeof(SHA256_CTX) <= 112 && alignof(SHA256_CTX) <= 8);
SHA256_CTX* C(unsigned char* p) { return reinterpret_cast<SHA256_CTX*>(p); }
}  // namespace

Sha256::Sha256() { reset(); }
void Sha256::reset() { SHA256_Init(C(ctx_)); }
void Sha256::update(std::string_view bytes) { SHA256_Update(C(ctx_), bytes.data(), bytes.size()); }
Hash Sha256::finish() {
  Hash out{};
  SHA256_Final(out.data(), C(ctx_));
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
