// Loading an engagement's state: from the state this process keeps (brought forward to the
// head), from a snapshot when one passes its checks, or folded from the stream's first event.
#include <algorithm>
#include <unordered_map>
#include <memory>
#include <mutex>

#include "engine/engagement_service.h"
#include "engine/state_cache.h"
#include "projections/fold.h"
#include "projections/history.h"
#include "projections/sentences.h"
#include "projections/snapshot.h"

namespace ftl::engine {

using projections::EngagementState;

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

// The newest state of recently used engagements of each open ledger. Within one open ledger
// events are only ever added, so a kept state at version v is the stream's first v events
// folded: a load at the head folds only what came after it (a server folds each event about
// once), and shares the kept state, copying nothing, when nothing did. A kept state that no
// caller holds any more is brought forward where it is, not copied: an engagement's state
// grows with its notes and history, and a copy per command would cost as much as the command.
struct CachedState {
  std::shared_ptr<EngagementState> state;  // handed out as const; changed only while the cache alone holds it
  std::uint64_t used = 0;
  std::optional<std::uint64_t> snapshot_version;  // the stream version its stored snapshot covers, once read
  // The last append this process made to the stream: versions from `appended_version` on are
  // the events at sequences `appended_first` to `appended_last`, read by sequence, not through
  // the stream index, when the kept state is brought forward over them.
  std::uint64_t appended_version = 0, appended_first = 0, appended_last = 0;
};
constexpr std::size_t kCachedStates = 1024;
std::mutex cache_mu;
std::unordered_map<std::string, CachedState> state_cache;  // by ledger instance and stream
std::uint64_t cache_clock = 0;


void remember(const std::string& key, std::shared_ptr<EngagementState> state) {
  std::lock_guard lock(cache_mu);
  auto it = state_cache.find(key);
  if (it == state_cache.end()) {
    if (state_cache.size() >= kCachedStates) {
      auto oldest = std::min_element(state_cache.begin(), state_cache.end(),
                                     [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
      state_cache.erase(oldest);
    }
    it = state_cache.emplace(key, CachedState{}).first;
  } else if (it->second.state->version > state->version) {
    return;  // a newer state got there first
  }
  it->second.state = std::move(state);
  it->second.used = ++cache_clock;
}

// The cached state brought up to the head, or nullptr (no entry, or a redaction since: fold afresh).
Result<std::shared_ptr<const EngagementState>> cached_at_head(Ledger& ledger, const std::string& stream, const std::string& key) {
  std::shared_ptr<EngagementState> hit;
  std::uint64_t appended_version = 0, appended_first = 0, appended_last = 0;
  {
    std::lock_guard lock(cache_mu);
    auto it = state_cache.find(key);
    if (it == state_cache.end()) return std::shared_ptr<const EngagementState>{};
    it->second.used = ++cache_clock;
    hit = it->second.state;
    appended_version = it->second.appended_version;
    appended_first = it->second.appended_first;
    appended_last = it->second.appended_last;
  }
  auto head = ledger.stream_version(stream);
  if (!head.ok()) return head.status();
  if (*head == hit->version) return std::shared_ptr<const EngagementState>(std::move(hit));  // nothing new: shared as it is
  if (*head < hit->version) return std::shared_ptr<const EngagementState>{};
  std::vector<Event> later;
  if (appended_version == hit->version + 1 && appended_version + (appended_last - appended_first) == *head) {
    // Exactly what this process appended last: read by sequence, each checked to be the event wanted.
    for (auto seq = appended_first; seq <= appended_last; ++seq) {
      auto e = ledger.get(seq);
      if (!e.ok()) return e.status();
      if (e->stream != stream || e->stream_version != hit->version + 1 + later.size()) {
        later.clear();
        break;
      }
      later.push_back(std::move(*e));
    }
  }
  if (later.empty()) {
    auto cur = ledger.scan_stream(stream, hit->version + 1);
    for (; cur->valid(); cur->next()) later.push_back(cur->event());
    if (!cur->status().ok()) return cur->status();
  }
  // A redaction removed something the kept state may hold: fold afresh, without it.
  for (const auto& e : later)
    if (e.type == kEventRedactedType) return std::shared_ptr<const EngagementState>{};
  {
    // Held by the cache and by `hit` alone, none can take another reference while the lock is
    // held: bring it forward in place, under the lock, so no reader sees it half way. Only a
    // few events: a long stretch (written by another process) is folded outside the lock,
    // which every load takes.
    constexpr std::size_t kInPlaceEvents = 64;
    std::lock_guard lock(cache_mu);
    auto it = state_cache.find(key);
    if (!later.empty() && later.size() <= kInPlaceEvents && it != state_cache.end() && it->second.state == hit && hit.use_count() == 2 && hit->version + 1 == later.front().stream_version) {
      for (const auto& e : later)
        if (auto st = projections::apply(*hit, e); !st.ok()) {
          state_cache.erase(it);  // part applied: of no use to anyone
          return st;
        }
      return std::shared_ptr<const EngagementState>(std::move(hit));
    }
  }
  auto state = std::make_shared<EngagementState>(*hit);
  for (const auto& e : later)
    if (auto st = projections::apply(*state, e); !st.ok()) return st;
  remember(key, state);
  return std::shared_ptr<const EngagementState>(std::move(state));
}

}  // namespace

std::string cache_key(Ledger& ledger, const std::string& stream) { return std::to_string(ledger.instance()) + "\n" + stream; }

std::uint64_t snapshot_covers(Ledger& ledger, const std::string& stream, const std::string& key) {
  {
    std::lock_guard lock(cache_mu);
    auto it = state_cache.find(key);
    if (it != state_cache.end() && it->second.snapshot_version) return *it->second.snapshot_version;
  }
  auto stored = ledger.get_snapshot(stream);
  const std::uint64_t covered = stored.ok() && stored->authentic ? projections::snapshot_stream_version(stored->bytes) : 0;
  std::lock_guard lock(cache_mu);
  if (auto it = state_cache.find(key); it != state_cache.end()) it->second.snapshot_version = covered;
  return covered;
}

bool is_kept(Ledger& ledger, const std::string& stream) {
  const auto key = cache_key(ledger, stream);
  std::lock_guard lock(cache_mu);
  return state_cache.count(key) != 0;
}

void note_appended(const std::string& key, const AppendResult& r) {
  std::lock_guard lock(cache_mu);
  if (auto it = state_cache.find(key); it != state_cache.end()) {
    it->second.appended_version = r.stream_version - (r.last_sequence - r.first_sequence);
    it->second.appended_first = r.first_sequence;
    it->second.appended_last = r.last_sequence;
  }
}

std::optional<std::uint64_t> known_snapshot_covers(const std::string& key) {
  std::lock_guard lock(cache_mu);
  auto it = state_cache.find(key);
  if (it == state_cache.end()) return std::nullopt;
  return it->second.snapshot_version;
}

void snapshot_written(const std::string& key, std::uint64_t version) {
  std::lock_guard lock(cache_mu);
  if (auto it = state_cache.find(key); it != state_cache.end()) it->second.snapshot_version = version;
}

Result<EngagementState> fold_engagement(Ledger& ledger, const std::string& engagement_id) {
  const auto stream = projections::engagement_stream(engagement_id);
  EngagementState state;
  auto cur = ledger.scan_stream(stream);
  if (auto st = projections::fold_stream(*cur, 0, state); !st.ok()) return st;
  if (state.version == 0) return Status::NotFound("no engagement " + engagement_id);
  remember(cache_key(ledger, stream), std::make_shared<EngagementState>(state));
  return state;
}

Result<std::shared_ptr<const EngagementState>> load_engagement_shared(Ledger& ledger, const std::string& engagement_id,
                                                                      std::uint64_t as_of_sequence) {
  const auto stream = projections::engagement_stream(engagement_id);
  const auto key = cache_key(ledger, stream);
  if (as_of_sequence == 0) {
    auto cached = cached_at_head(ledger, stream, key);
    if (!cached.ok()) return cached.status();
    if (*cached) return std::move(*cached);
  }
  EngagementState state;
  std::uint64_t from_version = 1;
  // The snapshot starts the fold when it covers no more than the view wants.
  if (auto snap = valid_snapshot(ledger, engagement_id, as_of_sequence)) {
    state = std::move(*snap);
    from_version = state.version + 1;
  }
  auto cur = ledger.scan_stream(stream, from_version);
  for (; cur->valid(); cur->next()) {
    const auto& e = cur->event();
    if (as_of_sequence != 0 && e.sequence > as_of_sequence) break;
    if (e.type == kEventRedactedType && from_version > 1) {
      // The snapshot may hold what the redaction removed (one written while it went in): fold
      // the whole stream instead.
      state = EngagementState{};
      from_version = 1;
      cur = ledger.scan_stream(stream, 1);
      if (!cur->valid()) break;
    }
    if (auto st = projections::apply(state, cur->event()); !st.ok()) return st;
  }
  if (!cur->status().ok()) return cur->status();
  if (state.version == 0) {
    if (as_of_sequence != 0) {
      auto first = ledger.scan_stream(stream);
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
  auto shared = std::make_shared<EngagementState>(std::move(state));
  if (as_of_sequence == 0) remember(key, shared);
  return std::shared_ptr<const EngagementState>(std::move(shared));
}

Result<EngagementState> load_engagement(Ledger& ledger, const std::string& engagement_id, std::uint64_t as_of_sequence) {
  auto shared = load_engagement_shared(ledger, engagement_id, as_of_sequence);
  if (!shared.ok()) return shared.status();
  return EngagementState(**shared);
}

Result<std::vector<std::string>> engagement_ids(Ledger& ledger) {
  return stream_ids(ledger, projections::kEngagementStreamPrefix);
}

}  // namespace ftl::engine
