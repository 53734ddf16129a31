// SHA-256 through OpenSSL's one-digest interface, a context reused per hasher: a 300-byte hash
// in ~200 ns, where EVP's general one adds ~70 ns of dispatch to each.
#pragma once

#include <initializer_list>
#include <string_view>

#include "ledger/ledger.h"

namespace ftl {

class Sha256 {
 public:
  Sha256();
  // A copy carries the state so far: hash a shared prefix once, then finish copies of it.
  Sha256(const Sha256&) = default;
  Sha256& operator=(const Sha256&) = default;

  void reset();
  void update(std::string_view bytes);
  void update(const Hash& h) { update(std::string_view(reinterpret_cast<const char*>(h.data()), h.size())); }
  Hash finish();  // also resets

  static Hash of(std::string_view bytes);

 private:
  alignas(8) unsigned char ctx_[112];  // a SHA256_CTX, held in place (its size is checked in sha256.cpp)
};

// HMAC-SHA256 (RFC 2104) of the concatenated parts under a 32-byte key.
Hash hmac_sha256(const Hash& key, std::initializer_list<std::string_view> parts);

}  // namespace ftl
