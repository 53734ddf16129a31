// SHA-256 through OpenSSL 3's EVP interface. The digest is fetched once per process and a
// context is reused per hasher, which keeps a 300-byte hash near 250 ns.
#pragma once

#include <initializer_list>
#include <string_view>

#include "ledger/ledger.h"

namespace ftl {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void reset();
  void update(std::string_view bytes);
  void update(const Hash& h) { update(std::string_view(reinterpret_cast<const char*>(h.data()), h.size())); }
  Hash finish();  // also resets

  static Hash of(std::string_view bytes);

 private:
  void* ctx_;  // EVP_MD_CTX
};

// HMAC-SHA256 (RFC 2104) of the concatenated parts under a 32-byte key.
Hash hmac_sha256(const Hash& key, std::initializer_list<std::string_view> parts);

}  // namespace ftl
