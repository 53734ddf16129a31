// Executing an engagement command: load the state (from a snapshot when one passes its checks),
// decide, append with the expected version, decide again on conflict; idempotency keys.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <cctype>
#include <chrono>
#include <thread>

#include "engine/engagement_service.h"
#include "projections/fold.h"
#include "projections/history.h"
#include "projections/sentences.h"
#include "projections/snapshot.h"
#include "schema/codec.h"

namespace ftl::engine {

using projections::EngagementState;

// --- execution ------------------------------------------------------------------------------------

std::optional<EngagementState> valid_snapshot(Ledger& ledger, const std::string& engagement_id, std::uint64_t as_of_sequence) {
  const auto stream = projections::engagement_stream(engagement_id);
  auto stored = ledger.get_snapshot(stream);
  // Only a snapshot the key vouches for: anyone who can write the database can write bytes
  // that pass every other check.
  if (!stored.ok() || !stored->authentic) return std::nullopt;
  const auto& bytes = stored->bytes;
  if (as_of_sequence != 0 && projections::snapshot_sequence(bytes) > as_of_sequence) return std::nullopt;  // too new
  projections::SnapshotHeader header;
  auto state = projections::decode_engagement_snapshot(bytes, &header);
  if (!state.ok()) return std::nullopt;  // altered or stale
  auto covered = ledger.get(header.sequence);
  if (!covered.ok() || covered->hash != header.chain_hash || covered->stream != stream ||
      covered->stream_version != header.stream_version)
    return std::nullopt;  // foreign: not this ledger's history
  return std::move(*state);
}

Status write_snapshot(Ledger& ledger, const EngagementState& state) {
  auto covered = ledger.get(state.last_sequence);
  if (!covered.ok()) return covered.status();
  return ledger.put_snapshot(projections::engagement_stream(state.id), projections::encode_engagement_snapshot(state, covered->hash));
}

namespace {

// The newest state of recently used engagements of each open ledger, each with the version and hash
// of the last event folded into it. A load at the head checks that event is still there with
// that hash and folds only what came after it, so a server folds each event about once.
struct CachedState {
  std::uint64_t version = 0;
  Hash last_hash{};
  std::shared_ptr<const EngagementState> state;
  std::uint64_t used = 0;
};
constexpr std::size_t kCachedStates = 1024;
std::mutex cache_mu;
std::map<std::string, CachedState> state_cache;  // by ledger instance and stream
std::uint64_t cache_clock = 0;

void remember(const std::string& key, const EngagementState& state, const Hash& last) {
  auto shared = std::make_shared<const EngagementState>(state);
  std::lock_guard lock(cache_mu);
  if (state_cache.size() >= kCachedStates && state_cache.count(key) == 0) {
    auto oldest = std::min_element(state_cache.begin(), state_cache.end(),
                                   [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
    state_cache.erase(oldest);
  }
  state_cache[key] = {state.version, last, std::move(shared), ++cache_clock};
}

// The cached state brought up to the head, or nullopt (no entry, or its last event is not what
// it was: fold afresh).
Result<std::optional<EngagementState>> cached_at_head(Ledger& ledger, const std::string& stream, const std::string& key) {
  CachedState hit;
  {
    std::lock_guard lock(cache_mu);
    auto it = state_cache.find(key);
    if (it == state_cache.end()) return std::optional<EngagementState>{};
    it->second.used = ++cache_clock;
    hit = it->second;
  }
  auto cur = ledger.scan_stream(stream, hit.version);
  if (!cur->valid() || cur->event().stream_version != hit.version || cur->event().hash != hit.last_hash) {
    if (!cur->status().ok()) return cur->status();
    return std::optional<EngagementState>{};
  }
  EngagementState state = *hit.state;
  Hash last = hit.last_hash;
  for (cur->next(); cur->valid(); cur->next()) {
    // A redaction removed something the kept state may hold: fold afresh, without it.
    if (cur->event().type == kEventRedactedType) return std::optional<EngagementState>{};
    if (auto st = projections::apply(state, cur->event()); !st.ok()) return st;
    last = cur->event().hash;
  }
  if (!cur->status().ok()) return cur->status();
  if (state.version != hit.version) remember(key, state, last);
  return std::optional<EngagementState>{std::move(state)};
}

}  // namespace

Result<EngagementState> fold_engagement(Ledger& ledger, const std::string& engagement_id) {
  const auto stream = projections::engagement_stream(engagement_id);
  EngagementState state;
  auto cur = ledger.scan_stream(stream);
  if (auto st = projections::fold_stream(*cur, 0, state); !st.ok()) return st;
  if (state.version == 0) return Status::NotFound("no engagement " + engagement_id);
  auto last = ledger.scan_stream(stream, state.version);
  if (last->valid() && last->event().stream_version == state.version)
    remember(std::to_string(ledger.instance()) + "\n" + stream, state, last->event().hash);
  else if (!last->status().ok()) return last->status();
  return state;
}

Result<EngagementState> load_engagement(Ledger& ledger, const std::string& engagement_id, std::uint64_t as_of_sequence) {
  const auto stream = projections::engagement_stream(engagement_id);
  const auto key = std::to_string(ledger.instance()) + "\n" + stream;
  if (as_of_sequence == 0) {
    auto cached = cached_at_head(ledger, stream, key);
    if (!cached.ok()) return cached.status();
    if (*cached) return std::move(**cached);
  }
  EngagementState state;
  std::uint64_t from_version = 1;
  // The snapshot starts the fold when it covers no more than the view wants.
  if (auto snap = valid_snapshot(ledger, engagement_id, as_of_sequence)) {
    state = std::move(*snap);
    from_version = state.version + 1;
  }
  auto cur = ledger.scan_stream(projections::engagement_stream(engagement_id), from_version);
  for (; cur->valid(); cur->next()) {
    const auto& e = cur->event();
    if (as_of_sequence != 0 && e.sequence > as_of_sequence) break;
    if (e.type == kEventRedactedType && from_version > 1) {
      // The snapshot may hold what the redaction removed (one written while it went in): fold
      // the whole stream instead.
      state = EngagementState{};
      from_version = 1;
      cur = ledger.scan_stream(projections::engagement_stream(engagement_id), 1);
      if (!cur->valid()) break;
    }
    if (auto st = projections::apply(state, cur->event()); !st.ok()) return st;
  }
  if (!cur->status().ok()) return cur->status();
  if (state.version == 0) {
    if (as_of_sequence != 0) {
      auto first = ledger.scan_stream(projections::engagement_stream(engagement_id));
      if (first->valid())
        return Status::NotFound("engagement " + engagement_id + " was not yet open at sequence " + std::to_string(as_of_sequence),
                                "it was opened at sequence " + std::to_string(first->event().sequence) + ", recorded " +
                                    projections::iso_time(first->event().recorded_us));
    }
    auto ids = engagement_ids(ledger);
    if (!ids.ok()) return ids.status();
    return Status::NotFound("no engagement " + engagement_id,
                            ids->empty() ? "no engagement is open yet" : "engagements: " + projections::join_list(*ids, ", "))
        .tagged(ids->empty() ? "engagement.none" : "engagement.unknown");
  }
  if (as_of_sequence == 0) {
    auto last = ledger.scan_stream(stream, state.version);
    if (last->valid() && last->event().stream_version == state.version) remember(key, state, last->event().hash);
    else if (!last->status().ok()) return last->status();
  }
  return state;
}

Result<std::vector<std::string>> engagement_ids(Ledger& ledger) {
  return stream_ids(ledger, projections::kEngagementStreamPrefix);
}

Status check_idempotency_key(const std::string& key) {
  const bool ok = !key.empty() && key.size() <= 128 && std::all_of(key.begin(), key.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == ':' || c == '-';
  });
  if (ok) return Status::Ok();
  return Status::InvalidArgument("idempotency key '" + key.substr(0, 64) + "' is not 1 to 128 letters, digits, '.', '_', ':' or '-'",
                                 "a UUID will do").tagged("idempotency.key");
}

namespace {
// What an earlier call with this key recorded, if any. It was this same request if deciding it
// again on the state just before it gives the very events it recorded; else the key is being
// reused for something else.
Result<std::optional<Outcome>> recorded_before(Ledger& ledger, const std::string& stream, const std::string& actor,
                                               const std::string& key, const Decide& decide) {
  auto first = ledger.get_by_id(key);
  if (!first.ok()) {
    if (first.status().code() == Code::kNotFound) return std::optional<Outcome>{};
    return first.status();
  }
  auto reused = [&] {
    return Status::InvalidArgument("idempotency key " + key + " was used for another request (sequence " +
                                   std::to_string(first->sequence) + ")", "send a new key with each new request")
        .tagged("idempotency.reused");
  };
  if (first->stream != stream || first->actor != actor) return reused();
  std::vector<Event> recorded{*first};
  for (;;) {
    auto next = ledger.get_by_id(key + "/" + std::to_string(recorded.size() + 1));
    if (!next.ok()) {
      if (next.status().code() == Code::kNotFound) break;
      return next.status();
    }
    recorded.push_back(std::move(*next));
  }
  EngagementState before;
  if (first->stream_version > 1) {
    auto s = load_engagement(ledger, stream.substr(std::string(projections::kEngagementStreamPrefix).size()), first->sequence - 1);
    if (!s.ok()) return s.status();
    before = std::move(*s);
  }
  auto catalog = load_catalog(ledger, first->sequence - 1);
  if (!catalog.ok()) return catalog.status();
  auto again = decide(before, *catalog);
  if (!again.ok() || again->events.size() != recorded.size()) return reused();
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    auto enc = schema::encode(again->events[i]);
    if (enc.type != recorded[i].type || enc.bytes != recorded[i].payload) return reused();
  }
  Outcome out;
  out.events = recorded.size();
  out.position = {recorded.front().sequence, recorded.back().sequence, recorded.back().stream_version, true};
  out.message = again->message + " (already recorded by an earlier request with the same idempotency key)";
  return std::optional<Outcome>{std::move(out)};
}
}  // namespace

Result<Outcome> execute(Ledger& ledger, const std::string& engagement_id, const std::string& actor,
                        std::optional<std::int64_t> effective_us, bool create, const Decide& decide,
                        const std::string& idempotency_key) {
  const auto stream = projections::engagement_stream(engagement_id);
  if (!idempotency_key.empty())
    if (auto st = check_idempotency_key(idempotency_key); !st.ok()) return st;
  // Commands on one engagement in this process take turns, so they do not conflict with each
  // other; another process that gets there first makes this one decide again.
  static std::array<std::mutex, 256> turns;
  std::lock_guard turn(turns[std::hash<std::string>{}(ledger.path() + "\n" + stream) % turns.size()]);
  for (int attempt = 0;; ++attempt) {
    if (!idempotency_key.empty()) {
      auto before = recorded_before(ledger, stream, actor, idempotency_key, decide);
      if (!before.ok()) return before.status();
      if (*before) return std::move(**before);
    }
    EngagementState state;
    auto loaded = load_engagement(ledger, engagement_id);
    if (loaded.ok()) state = std::move(*loaded);
    else if (!(create && loaded.status().code() == Code::kNotFound)) return loaded.status();
    auto catalog = shared_catalog(ledger);
    if (!catalog.ok()) return catalog.status();
    auto decision = decide(state, **catalog);
    if (!decision.ok()) return decision.status();
    Outcome out;
    out.message = decision->message;
    if (decision->events.empty()) return out;
    AppendRequest req;
    req.stream = stream;
    req.expected = state.version == 0 ? ExpectedVersion::NoStream() : ExpectedVersion::Exact(state.version);
    for (const auto& e : decision->events) {
      if (auto st = schema::check_event_text(e); !st.ok()) return st;
      auto enc = schema::encode(e);
      NewEvent ne;
      ne.type = enc.type;
      ne.schema_version = enc.version;
      ne.actor = actor;
      ne.effective_us = effective_us;
      ne.payload = std::move(enc.bytes);
      if (!idempotency_key.empty())
        ne.event_id = req.events.empty() ? idempotency_key : idempotency_key + "/" + std::to_string(req.events.size() + 1);
      req.events.push_back(std::move(ne));
    }
    auto res = ledger.append(std::move(req));
    if (!res.ok()) {
      if (res.status().code() == Code::kConflict && attempt < 100) {
        // Someone else recorded something on this engagement first: decide again on the new state.
        std::this_thread::sleep_for(std::chrono::microseconds(500 * std::min(attempt, 20)));
        continue;
      }
      return res.status();
    }
    if (res->duplicate) {
      // The ledger already held these event ids: another request with this key got there
      // first. It stands for this one only if it was the same request.
      auto before = recorded_before(ledger, stream, actor, idempotency_key, decide);
      if (!before.ok()) return before.status();
      if (*before) return std::move(**before);
      return Status::Conflict("idempotency key " + idempotency_key + " is being recorded by another request");
    }
    out.events = decision->events.size();
    out.position = *res;
    // Keep a snapshot near the head: the state folded before this append is exact up to its
    // last sequence. A failure costs only speed, so it is not the command's failure.
    if (state.version >= kSnapshotEvery && ledger.has_snapshot_key()) {
      auto stored = ledger.get_snapshot(stream);
      const std::uint64_t covered = stored.ok() && stored->authentic ? projections::snapshot_stream_version(stored->bytes) : 0;
      if (state.version >= covered + kSnapshotEvery) write_snapshot(ledger, state).permit_unchecked();
    }
    return out;
  }
}

}  // namespace ftl::engine
