// The Merkle tree and its proofs: RFC 6962's published roots, every case of the RFC 6962 proof
// vectors (../shared/vectors/rfc6962: each happy path verifies, each variant is rejected), and
// property tests against a naive MTH of RFC 9162 2.1.1 written here from the definition.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "ledger/base64.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"

using namespace ftl;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// RFC 9162 2.1.1, word for word: the reference the tree code is held to.
Hash naive_mth(const std::vector<std::string>& d, std::size_t lo, std::size_t hi) {
  const auto n = hi - lo;
  if (n == 0) return Sha256::of({});
  if (n == 1) return Sha256::of(std::string(1, '\0') + d[lo]);
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  const auto l = naive_mth(d, lo, lo + k), r = naive_mth(d, lo + k, hi);
  return Sha256::of("\x01" + std::string(merkle::bytes(l)) + std::string(merkle::bytes(r)));
}

merkle::SubtreeSource naive_source(const std::vector<std::string>& d) {
  return [&d](unsigned level, std::uint64_t index) -> Result<Hash> {
    const std::uint64_t lo = index << level, hi = lo + (std::uint64_t{1} << level);
    if (hi > d.size()) return Status::NotFound("no subtree " + std::to_string(level) + "/" + std::to_string(index));
    return naive_mth(d, lo, hi);
  };
}

fs::path vectors() {
  if (const char* env = std::getenv("FTL_RFC6962_VECTORS")) return env;
  return FTL_RFC6962_VECTORS;
}

std::string b64(const json& v) {
  if (v.is_null()) return {};
  auto s = from_base64(v.get<std::string>());
  REQUIRE(s);
  return *s;
}
std::vector<std::string> proof_of(const json& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& p : v) out.push_back(b64(p));
  return out;
}

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

std::vector<fs::path> cases(const std::string& kind) {
  std::vector<fs::path> out;
  const auto dir = vectors() / kind;
  INFO("the RFC 6962 vectors are read from " << dir.string() << " (set FTL_RFC6962_VECTORS to move them)");
  REQUIRE(fs::is_directory(dir));
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("the roots of RFC 6962's eight test leaves", "[merkle]") {
  const std::vector<std::string> leaves = {"", unhex("00"), unhex("10"), unhex("2021"), unhex("3031"), unhex("40414243"),
                                           unhex("5051525354555657"), unhex("606162636465666768696a6b6c6d6e6f")};
  const std::vector<std::string> roots = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125", "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7", "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef", "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  merkle::Frontier f;
  CHECK(to_hex(f.root()) == roots[0]);
  for (std::size_t n = 1; n <= leaves.size(); ++n) {
    f.push(merkle::leaf_hash(leaves[n - 1]));
    CHECK(to_hex(f.root()) == roots[n]);
    std::vector<std::string> d(leaves.begin(), leaves.begin() + static_cast<long>(n));
    auto r = merkle::range_hash(naive_source(d), 0, n);
    REQUIRE(r.ok());
    CHECK(to_hex(*r) == roots[n]);
  }
}

TEST_CASE("every inclusion vector: the happy paths verify, every variant is rejected", "[merkle][vectors]") {
  const auto files = cases("inclusion");
  CHECK(files.size() >= 60);
  std::size_t accepted = 0;
  for (const auto& p : files) {
    const auto v = read_json(p);
    INFO(p.string() << ": " << v["desc"].get<std::string>());
    const auto st = merkle::verify_inclusion(v["leafIdx"].get<std::uint64_t>(), v["treeSize"].get<std::uint64_t>(), b64(v["leafHash"]),
                                             proof_of(v["proof"]), b64(v["root"]));
    CHECK(st.ok() == !v["wantErr"].get<bool>());
    if (st.ok()) ++accepted;
    if (p.filename() == "happy-path.json") CHECK(st.ok());
  }
  CHECK(accepted >= 6);
}

TEST_CASE("every consistency vector: the happy paths verify, every variant is rejected", "[merkle][vectors]") {
  const auto files = cases("consistency");
  CHECK(files.size() >= 60);
  std::size_t accepted = 0;
  for (const auto& p : files) {
    const auto v = read_json(p);
    INFO(p.string() << ": " << v["desc"].get<std::string>());
    const auto st = merkle::verify_consistency(v["size1"].get<std::uint64_t>(), v["size2"].get<std::uint64_t>(), proof_of(v["proof"]),
                                               b64(v["root1"]), b64(v["root2"]));
    CHECK(st.ok() == !v["wantErr"].get<bool>());
    if (st.ok()) ++accepted;
    if (p.filename() == "happy-path.json") CHECK(st.ok());
  }
  CHECK(accepted >= 5);
}

TEST_CASE("proofs built from subtrees verify for every leaf and size, and no one-bit change does", "[merkle][property]") {
  std::mt19937_64 rng(Catch::rngSeed());
  std::vector<std::string> d;
  for (int i = 0; i < 70; ++i) d.push_back(std::string(static_cast<std::size_t>(rng() % 40), static_cast<char>(rng())));
  const auto src = naive_source(d);
  merkle::Frontier f;
  for (std::uint64_t size = 1; size <= d.size(); ++size) {
    std::vector<std::string> prefix(d.begin(), d.begin() + static_cast<long>(size));
    const auto psrc = naive_source(prefix);
    f.push(merkle::leaf_hash(d[size - 1]));
    const auto root = naive_mth(d, 0, size);
    REQUIRE(f.root() == root);
    auto rebuilt = merkle::frontier_of(psrc, size);
    REQUIRE(rebuilt.ok());
    CHECK(rebuilt->nodes() == f.nodes());
    for (std::uint64_t i = 0; i < size; ++i) {
      auto proof = merkle::inclusion_proof(psrc, i, size);
      REQUIRE(proof.ok());
      const auto leaf = merkle::leaf_hash(d[i]);
      auto bytes = merkle::as_bytes(*proof);
      INFO("leaf " << i << " of " << size);
      CHECK(merkle::verify_inclusion(i, size, merkle::bytes(leaf), bytes, merkle::bytes(root)).ok());
      if (size > 1) CHECK_FALSE(merkle::verify_inclusion((i + 1) % size, size, merkle::bytes(leaf), bytes, merkle::bytes(root)).ok());
      CHECK_FALSE(merkle::verify_inclusion(i, size, merkle::bytes(merkle::leaf_hash(d[i] + "x")), bytes, merkle::bytes(root)).ok());
      if (!bytes.empty()) {
        auto forged = bytes;
        forged[rng() % forged.size()][rng() % 32] ^= static_cast<char>(1u << (rng() % 8));
        CHECK_FALSE(merkle::verify_inclusion(i, size, merkle::bytes(leaf), forged, merkle::bytes(root)).ok());
        auto shorter = bytes;
        shorter.pop_back();
        CHECK_FALSE(merkle::verify_inclusion(i, size, merkle::bytes(leaf), shorter, merkle::bytes(root)).ok());
      }
    }
    for (std::uint64_t first = 1; first <= size; ++first) {
      auto proof = merkle::consistency_proof(psrc, first, size);
      REQUIRE(proof.ok());
      const auto r1 = naive_mth(d, 0, first);
      auto bytes = merkle::as_bytes(*proof);
      INFO("from " << first << " to " << size);
      CHECK(merkle::verify_consistency(first, size, bytes, merkle::bytes(r1), merkle::bytes(root)).ok());
      if (first < size) {
        auto forged = bytes;
        forged[rng() % forged.size()][rng() % 32] ^= static_cast<char>(1u << (rng() % 8));
        CHECK_FALSE(merkle::verify_consistency(first, size, forged, merkle::bytes(r1), merkle::bytes(root)).ok());
        const auto other = naive_mth(d, 0, first + 1 <= size ? first + 1 : first);
        CHECK_FALSE(merkle::verify_consistency(first, size, bytes, merkle::bytes(other), merkle::bytes(root)).ok());
        CHECK_FALSE(merkle::verify_consistency(first, size, bytes, merkle::bytes(r1), merkle::bytes(r1)).ok());
      }
    }
  }
}

TEST_CASE("the frontier reports each completed subtree once, at its level and index", "[merkle]") {
  std::vector<std::string> d;
  for (int i = 0; i < 37; ++i) d.push_back("leaf " + std::to_string(i));
  merkle::Frontier f;
  std::map<std::pair<unsigned, std::uint64_t>, Hash> seen;
  for (const auto& leaf : d)
    f.push(merkle::leaf_hash(leaf), [&](unsigned level, std::uint64_t index, const Hash& h) {
      CHECK(seen.emplace(std::pair{level, index}, h).second);
    });
  // Every perfect subtree inside 37 leaves: 37 + 18 + 9 + 4 + 2 + 1.
  CHECK(seen.size() == 71);
  for (const auto& [at, h] : seen) CHECK(h == naive_mth(d, at.second << at.first, (at.second + 1) << at.first));
}

TEST_CASE("ledger/FORMAT.md's worked example: its chain hash and its leaf hash", "[merkle][format]") {
  Event e;
  e.sequence = 2;
  e.stream = "playbook/enable-services";
  e.stream_version = 2;
  e.event_id = "2f682a3f35960ec9a9cbb5508b2869c6";
  e.type = "StepAdded";
  e.schema_version = 1;
  e.recorded_us = e.effective_us = 1795560855538327;
  e.actor = "ana";
  e.payload_hash = *hash_from_hex("3043b9cd2feddbd25cc6a72855afb318e9fc430c666a25062699a9c15b3d0e23");
  e.payload = std::string(612, 'p');  // only its length is in the canonical bytes
  e.prev_hash = *hash_from_hex("157a606c931542ef963c01e1ef017e1bc3c57714c8b4977ca5fbe6828dfb0e0c");
  const auto canonical = canonical_of(e);
  REQUIRE(canonical.size() == 149);
  CHECK(to_hex(Sha256::of(std::string(merkle::bytes(e.prev_hash)) + canonical)) ==
        "6b6e004e7ace03f4066c655c3528afd015397d8ade09840705892b65cd65f0f8");
  CHECK(to_hex(merkle::leaf_hash(canonical)) == "375a77bfdba0fef3f2232b9680b00c126ecc3a18d3ea19145ac6d13c81b4679e");
}
