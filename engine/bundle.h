// An offline bundle (docs/PROOFS.md "Bundles"): one engagement's events with their payloads and
// the catalog events its views need, each with an inclusion proof against one signed
// checkpoint, and a statement signed by the same key naming the engagement, the events and the
// SHA-256 of the engagement's document folded from them. `verify_bundle` needs only the
// verifier key: it checks every proof, payload, order and signature, refolds the state and
// compares it (proof of derived state); the views are then built from the bundle alone.
#pragma once

#include <functional>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/signed_note.h"
#include "ledger/ledger.h"

namespace ftl::engine {

inline constexpr std::string_view kBundleFormat = "ftl.dev/bundle@v1";

// The bundle of `engagement` as of `size` events (0: the head), signed with `key`. An event in
// it redacted later brings its redaction along, and the checkpoint is then of a tree that holds it.
// With `from` > 1, a stretch: only the engagement's events from that sequence on, with no state
// (a state is refolded from every event, and the catalog's).
// `progress` sees the check of the tree before its checkpoint is signed (sign_checkpoint).
Result<std::string> make_bundle(Ledger& ledger, const std::string& engagement, const SignerKey& key, std::uint64_t size = 0,
                                std::uint64_t from = 1, const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

struct OpenedBundle {
  std::string engagement;
  Checkpoint checkpoint;
  std::uint64_t to = 0;           // the moment its state is of (the checkpoint may be later: see make_bundle)
  std::uint64_t from = 1;         // > 1: a stretch of the engagement's events, with no state
  std::vector<Event> events;      // every event, checked, in sequence order (a redacted one: no payload)
  std::size_t engagement_events = 0, catalog_events = 0, redacted = 0;
  std::string state_sha256;       // hex, as refolded and as signed
  nlohmann::json state;           // the engagement document, refolded
};
// Corruption naming what failed (an event's proof or payload, the order, a dropped or added
// event, the signature, the refolded state); InvalidArgument for a file that is no bundle.
// Without a key (nullptr) every check but the two signatures is made.
Result<OpenedBundle> verify_bundle(std::string_view text, const VerifierKey* key);

// A view of a verified bundle, as the live views' documents: "state" (engagement.show),
// "history" and "audit" ({"rows": [...]}).
Result<nlohmann::json> bundle_view(const OpenedBundle& b, const std::string& view);

// The state's hash: SHA-256 of the engagement document serialized as RFC 8785 JSON (keys
// sorted, no whitespace; its keys are ASCII and its numbers integers).
std::string state_sha256(const nlohmann::json& document);

}  // namespace ftl::engine
