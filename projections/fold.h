// The step every projection takes for one event of its stream: check that it is the next
// version, decode the payload, let the projection's visitor apply it, and advance. A fold that
// meets an event out of order or undecodable reports Corruption and leaves the state unchanged.
#pragma once

#include <string>
#include <variant>

#include "ledger/ledger.h"

namespace ftl::projections {

// State has version, last_sequence and last_change_us; decode(type, version, bytes) returns a
// Result<Variant>; Visitor is constructible from (State&, const Event&) and visits Variant.
template <class Visitor, class State, class Decode>
Status fold_event(State& state, const Event& event, const char* what, Decode decode) {
  if (event.stream_version != state.version + 1)
    return Status::Corruption("event " + std::to_string(event.sequence) + " is version " + std::to_string(event.stream_version) +
                              " of " + event.stream + ", but the " + what + " expected version " +
                              std::to_string(state.version + 1));
  // A redacted event's payload is gone and a redaction's is the ledger's: neither changes the
  // state, but each is a version of the stream.
  if (!payload_withheld(event)) {
    auto decoded = decode(event.type, event.schema_version, event.payload);
    if (!decoded.ok()) return Status::Corruption("event " + std::to_string(event.sequence) + ": " + decoded.status().message());
    std::visit(Visitor{state, event}, *decoded);
  }
  state.version = event.stream_version;
  state.last_sequence = event.sequence;
  state.last_change_us = event.recorded_us;
  return Status::Ok();
}

// Folds a stream's events up to `as_of_sequence` (0: all) into `state` through its cursor.
template <class State>
Status fold_stream(Cursor& cursor, std::uint64_t as_of_sequence, State& state) {
  for (; cursor.valid(); cursor.next()) {
    if (as_of_sequence != 0 && cursor.event().sequence > as_of_sequence) break;
    if (auto st = apply(state, cursor.event()); !st.ok()) return st;
  }
  return cursor.status();
}

}  // namespace ftl::projections
