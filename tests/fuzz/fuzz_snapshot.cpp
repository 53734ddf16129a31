// The snapshot decoder (projections/snapshot.h): any bytes, as they are and with their
// SHA-256 put right (as a forger would), so the fuzzer reaches the state decoder behind the
// digest. What a snapshot decodes to survives an encoding and a decoding unchanged.
#include <string>

#include "ledger/sha256.h"
#include "projections/snapshot.h"
#include "tests/fuzz/fuzz.h"

namespace {
void check(std::string_view bytes) {
  (void)ftl::projections::snapshot_sequence(bytes);
  (void)ftl::projections::snapshot_stream_version(bytes);
  ftl::projections::SnapshotHeader h;
  auto state = ftl::projections::decode_engagement_snapshot(bytes, &h);
  if (!state.ok()) return;
  // The bytes need not be an encoder's own (a map may come unsorted), but what they decode to
  // survives an encoding unchanged.
  const auto again = ftl::projections::encode_engagement_snapshot(*state, h.chain_hash, h.code_version);
  ftl::projections::SnapshotHeader h2;
  auto state2 = ftl::projections::decode_engagement_snapshot(again, &h2);
  FTL_FUZZ_CHECK(state2.ok() && *state2 == *state);
}
}  // namespace

FTL_FUZZ_ENTRY(fuzz_snapshot) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes);
  if (size >= 32) {  // the same content under a digest that matches it
    std::string sealed(bytes.substr(0, size - 32));
    const auto digest = ftl::Sha256::of(sealed);
    sealed.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    check(sealed);
  }
  return 0;
}
