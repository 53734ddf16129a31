#include "engine/verify.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "projections/engagement.h"
#include "projections/fold.h"
#include "projections/snapshot.h"
#include "schema/codec.h"

namespace ftl::engine {
namespace {

Status snapshot_broken(const std::string& key, const char* rule, const std::string& what) {
  return Status::Corruption("the snapshot " + key + " breaks " + rule + ": " + what);
}

// The state a stored snapshot holds: a sealed snapshot's bytes, or an unsealed one's whole
// value (as an older ftl stored it).
Result<projections::EngagementState> decode(const StoredSnapshot& s, projections::SnapshotHeader* header) {
  auto state = projections::decode_engagement_snapshot(s.bytes, header);
  if (state.ok() || s.authentic || state.status().code() == Code::kUnavailable) return state;
  auto whole = projections::decode_engagement_snapshot(s.raw, header);
  return whole.ok() || whole.status().code() == Code::kUnavailable ? whole : state;
}

// S3: the snapshot equals a fold of the events it says it covers.
Status refold_matches(Ledger& ledger, const std::string& key) {
  auto stored = ledger.get_snapshot(key);
  if (!stored.ok()) return stored.status();
  projections::SnapshotHeader header;
  auto state = decode(*stored, &header);
  if (!state.ok()) return snapshot_broken(key, "S2", state.status().message());
  projections::EngagementState fold;
  auto cursor = ledger.scan_stream(key);
  if (auto st = projections::fold_stream(*cursor, header.sequence, fold); !st.ok()) return st;
  if (fold == *state) return Status::Ok();
  const auto changes = projections::diff(fold, *state);
  std::string what = "it differs from a fold of the events it covers (up to sequence " + std::to_string(header.sequence) + ")";
  if (!changes.empty())
    what += ": its " + changes.front().field + " is '" + changes.front().to + "' where the events say '" + changes.front().from + "'";
  return snapshot_broken(key, "S3", what + (stored->authentic ? "; it was forged by a holder of the snapshot key" : "; it was forged, and no view uses it"));
}

}  // namespace

Result<VerifyResult> verify_ledger(Ledger& ledger, const VerifyLedgerOptions& options) {
  VerifyResult out;
  auto walk = options.ledger;
  walk.check_payload = [](std::uint64_t sequence, std::string_view type, std::uint32_t version, std::string_view payload) {
    auto st = schema::check_payload(type, version, payload);
    if (st.ok()) return st;
    return Status::Corruption("event " + std::to_string(sequence) + " breaks E1: " + st.message());
  };
  auto report = ledger.verify(walk);
  if (!report.ok()) return report.status();
  out.ledger = *report;

  // S1, S2 and whether the key vouches, in one pass; the refolds after it, on every core.
  const std::string prefix = projections::kEngagementStreamPrefix;
  std::vector<std::string> to_refold;
  Status failed;
  auto st = ledger.list_snapshots([&](const StoredSnapshot& s) {
    ++out.snapshots;
    auto version = s.key.starts_with(prefix) ? ledger.stream_version(s.key) : Result<std::uint64_t>(std::uint64_t{0});
    if (!version.ok()) {
      failed = version.status();
      return false;
    }
    if (*version == 0) {
      failed = snapshot_broken(s.key, "S1", "no engagement of that name has events, so no rule accounts for it");
      return false;
    }
    projections::SnapshotHeader header;
    // What the key vouches for was written from a fold: its header is enough. Anything else is
    // decoded whole here, and refolded below.
    const Status decoded = s.authentic ? projections::read_snapshot_header(s.bytes, &header) : decode(s, &header).status();
    if (decoded.code() == Code::kUnavailable) {
      ++out.ignored;  // made by another fold version: no view uses it
      return true;
    }
    if (!decoded.ok()) {
      failed = snapshot_broken(s.key, "S2", decoded.message() + (s.authentic ? "" : ", and no key vouches for it"));
      return false;
    }
    auto covered = ledger.get(header.sequence);
    if (!covered.ok() && covered.status().code() != Code::kNotFound) {
      failed = covered.status();
      return false;
    }
    if (!covered.ok() || covered->hash != header.chain_hash || covered->stream != s.key ||
        covered->stream_version != header.stream_version) {
      ++out.ignored;  // not this ledger's history: no view uses it
      return true;
    }
    if (s.authentic && !options.refold_all) ++out.vouched;
    else to_refold.push_back(s.key);
    return true;
  });
  if (!st.ok()) return st;
  if (!failed.ok()) return failed;

  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::size_t first_bad = to_refold.size();
  Status bad;
  auto work = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < to_refold.size();) {
      auto s = refold_matches(ledger, to_refold[i]);
      if (s.ok()) continue;
      std::lock_guard lk(mu);
      if (i < first_bad) {  // the first in key order, whichever thread found it
        first_bad = i;
        bad = s;
      }
    }
  };
  const unsigned threads = std::clamp<unsigned>(options.ledger.threads != 0 ? options.ledger.threads : std::thread::hardware_concurrency(), 1,
                                                std::max<std::size_t>(1, to_refold.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (!bad.ok()) return bad;
  out.refolded = to_refold.size();
  return out;
}

}  // namespace ftl::engine
