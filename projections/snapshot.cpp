#include "projections/snapshot.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>

#include <cstring>
#include <sstream>

#include "ledger/format.h"
#include "schema/archives.h"
#include "ledger/sha256.h"

namespace ftl::schema {
// The event structs a state embeds (their payload serializers live in schema/; these are the
// snapshot's own, so that a payload change does not silently change snapshots).
template <class A> void serialize(A& a, NoteAdded& e) { a(e.kind, e.text, e.step, e.item); }
template <class A> void serialize(A& a, ContactDetails& c) { a(c.name, c.role, c.survey_eligible, c.language, c.country, c.services); }
template <class A> void serialize(A& a, CorrectionRecorded& e) { a(e.corrects, e.corrected_type, e.reason, e.fields); }
}  // namespace ftl::schema

namespace ftl::projections {

template <class A> void serialize(A& a, Provenance& p) { a(p.actor, p.event_id, p.sequence, p.effective_us, p.recorded_us); }
template <class A> void serialize(A& a, TaskMark& m) { a(m.status, m.playbook, m.note, m.reason, m.by); }
template <class A> void serialize(A& a, Entitlement& e) { a(e.l1, e.l2, e.service_status, e.target, e.by); }
template <class A> void serialize(A& a, Note& n) { a(n.note, n.by, n.voided); }
template <class A> void serialize(A& a, Contact& c) { a(c.id, c.details, c.by); }
template <class A> void serialize(A& a, Usage& u) { a(u.active_users, u.source, u.by); }
template <class A> void serialize(A& a, CorrectionView& c) { a(c.correction, c.by); }
// What a snapshot stores: the engagement's own fields and every fact's history, nothing that
// derive_current() recomputes (current marks, entitlements, usage, which fact each event set;
// a history entry's event id is its provenance's). Half the bytes of the whole state.
template <class T>
std::map<typename T::key_type, std::vector<typename T::mapped_type::value_type::second_type>> values_of(const T& histories) {
  std::map<typename T::key_type, std::vector<typename T::mapped_type::value_type::second_type>> out;
  for (const auto& [key, history] : histories) {
    auto& values = out[key];
    for (const auto& entry : history) values.push_back(entry.second);
  }
  return out;
}
template <class Values, class T>
void histories_from(Values&& values, T& histories) {
  histories.clear();
  for (auto& [key, list] : values) {
    auto& history = histories[key];
    for (auto& v : list) history.emplace_back(v.by.event_id, std::move(v));
  }
}
template <class A> void save(A& a, const EngagementState& s) {
  std::vector<Usage> usage;
  for (const auto& entry : s.usage_history) usage.push_back(entry.second);
  a(s.id, s.customer, s.seats, s.services, s.motions, s.phase, s.exception, s.version, s.last_sequence, s.opened_us,
    s.last_change_us, s.notes, s.contacts, s.corrections, values_of(s.task_history), values_of(s.entitlement_history),
    usage, s.voided);
}
template <class A> void load(A& a, EngagementState& s) {
  std::map<std::uint32_t, std::vector<TaskMark>> tasks;
  std::map<std::string, std::vector<Entitlement>> entitlements;
  std::vector<Usage> usage;
  a(s.id, s.customer, s.seats, s.services, s.motions, s.phase, s.exception, s.version, s.last_sequence, s.opened_us,
    s.last_change_us, s.notes, s.contacts, s.corrections, tasks, entitlements, usage, s.voided);
  histories_from(tasks, s.task_history);
  histories_from(entitlements, s.entitlement_history);
  s.usage_history.clear();
  for (auto& u : usage) s.usage_history.emplace_back(u.by.event_id, std::move(u));
  derive_current(s);
}

namespace {
constexpr std::string_view kMagic = "ftl-snapshot/1";
constexpr std::string_view kProjection = "engagement";

}  // namespace

std::string encode_engagement_snapshot(const EngagementState& state, const Hash& chain_hash, std::uint32_t code_version) {
  std::ostringstream os;
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(state);
  }
  const std::string body = os.str();
  std::string out(kMagic);
  format::put_u16(out, static_cast<std::uint16_t>(kProjection.size()));
  out.append(kProjection);
  format::put_u32(out, code_version);
  format::put_u64(out, state.version);
  format::put_u64(out, state.last_sequence);
  out.append(reinterpret_cast<const char*>(chain_hash.data()), chain_hash.size());
  format::put_u32(out, static_cast<std::uint32_t>(body.size()));
  out.append(body);
  const auto digest = Sha256::of(out);
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

namespace {
// The header, and where the state's bytes are.
Status parse_header(std::string_view bytes, SnapshotHeader* header, std::uint32_t code_version, std::string_view* body) {
  if (bytes.size() < kMagic.size() + 32 || bytes.substr(0, kMagic.size()) != kMagic)
    return Status::Corruption("the snapshot is not an ftl-snapshot/1");
  const auto content = bytes.substr(0, bytes.size() - 32);
  const auto digest = Sha256::of(content);
  if (std::memcmp(digest.data(), bytes.data() + content.size(), 32) != 0)
    return Status::Corruption("the snapshot's bytes do not match its SHA-256: it was altered");
  format::Reader r{content, kMagic.size()};
  header->projection = r.str();
  header->code_version = static_cast<std::uint32_t>(r.u(4));
  header->stream_version = r.u(8);
  header->sequence = r.u(8);
  header->chain_hash = r.hash();
  *body = r.raw(static_cast<std::size_t>(r.u(4)));
  if (!r.ok || r.pos != content.size()) return Status::Corruption("the snapshot is truncated");
  if (header->projection != kProjection) return Status::Corruption("the snapshot is of " + header->projection);
  if (header->code_version != code_version)
    return Status::Unavailable("the snapshot was made by fold version " + std::to_string(header->code_version) +
                               ", this build folds with version " + std::to_string(code_version));
  return Status::Ok();
}
}  // namespace

Status read_snapshot_header(std::string_view bytes, SnapshotHeader* header, std::uint32_t code_version) {
  std::string_view body;
  return parse_header(bytes, header, code_version, &body);
}

Result<EngagementState> decode_engagement_snapshot(std::string_view bytes, SnapshotHeader* header, std::uint32_t code_version) {
  std::string_view body;
  if (auto st = parse_header(bytes, header, code_version, &body); !st.ok()) return st;
  EngagementState state;
  try {
    schema::archives::BoundedInputArchive ar(body);
    ar(state);
    if (!ar.at_end()) return Status::Corruption("the snapshot's state has trailing bytes");
  } catch (const std::exception& ex) {
    return Status::Corruption(std::string("the snapshot's state cannot be read: ") + ex.what());
  }
  if (state.version != header->stream_version || state.last_sequence != header->sequence)
    return Status::Corruption("the snapshot's header and state disagree");
  return state;
}

std::uint64_t snapshot_sequence(std::string_view bytes) {
  format::Reader r{bytes, kMagic.size()};
  if (bytes.substr(0, std::min(bytes.size(), kMagic.size())) != kMagic) return 0;
  r.str();
  r.u(4);
  r.u(8);
  const auto seq = r.u(8);
  return r.ok ? seq : 0;
}

std::uint64_t snapshot_stream_version(std::string_view bytes) {
  format::Reader r{bytes, kMagic.size()};
  if (bytes.substr(0, std::min(bytes.size(), kMagic.size())) != kMagic) return 0;
  r.str();
  r.u(4);
  const auto v = r.u(8);
  return r.ok ? v : 0;
}

}  // namespace ftl::projections
