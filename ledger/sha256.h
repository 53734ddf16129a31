// SHA-256 through OpenSSL 3's EVP interface. The digest is fetched once per process and a
// context is reused per hasher, which keeps a 300-byte hash near 250 ns.
#pragma once

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

}  // namespace ftl
