#include "engine/queries.h"

#include <algorithm>
#include <set>

#include "ledger/base64.h"
#include "ledger/sha256.h"
#include <cctype>

#include "projections/history.h"
#include "schema/codec.h"
#include "schema/parse.h"

namespace ftl::engine {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

namespace {

// The last event recorded at or before `t_us` (0: none). Recorded time never runs backwards
// along the sequence (ledger/FORMAT.md), so it is found by binary search: O(log n) reads.
Result<std::uint64_t> last_recorded_by(Ledger& ledger, std::int64_t t_us) {
  std::uint64_t lo = 1, hi = ledger.head().sequence, last = 0;
  while (lo <= hi) {
    const auto mid = lo + (hi - lo) / 2;
    auto e = ledger.get(mid);
    if (!e.ok()) return e.status();
    if (e->recorded_us <= t_us) {
      last = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return last;
}

// A time given as a view's bound: read by schema::parse_time, or the reason it is none.
Result<std::int64_t> bound_time(const std::string& text, const std::string& field) {
  if (auto t = schema::parse_time(text)) return *t;
  const bool dated = text.size() >= 10 && std::isdigit(static_cast<unsigned char>(text[0])) != 0 && text[4] == '-' && text[7] == '-';
  if (dated)
    return Status::InvalidArgument(field + " '" + text.substr(0, 64) + "' is not a time ftl reads: a date from 1970 to 3000, to the microsecond at most",
                                   "write 2026-11-10 or 2026-11-10T12:00:00Z");
  return Status::InvalidArgument(field + " '" + text.substr(0, 64) + "' is neither a sequence number nor a time",
                                 "write 1042, 2026-11-10 or 2026-11-10T12:00:00Z");
}

bool all_digits(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; });
}

}  // namespace

Result<std::uint64_t> as_of_sequence(Ledger& ledger, const std::string& text, const std::string& field) {
  if (text.empty()) return std::uint64_t{0};
  const auto head = ledger.head().sequence;
  const auto shown = text.size() > 24 ? text.substr(0, 24) + "..." : text;
  if (all_digits(text)) {
    auto seq = schema::parse_uint(text, field, 1, head);
    if (!seq.ok())
      return Status::InvalidArgument(field + " " + shown + " is not a sequence number of this ledger",
                                     "its events are 1 to " + std::to_string(head));
    return *seq;
  }
  auto t = bound_time(text, field);
  if (!t.ok()) return t.status();
  auto last = last_recorded_by(ledger, *t);
  if (!last.ok()) return last.status();
  if (*last == 0) return Status::NotFound("nothing was recorded by " + text).tagged("as_of.before_first");
  return *last;
}

Result<std::uint64_t> from_sequence(Ledger& ledger, const std::string& text, const std::string& field) {
  if (text.empty()) return std::uint64_t{1};
  if (all_digits(text)) return as_of_sequence(ledger, text, field);
  auto t = bound_time(text, field);
  if (!t.ok()) return t.status();
  auto before = last_recorded_by(ledger, *t - 1);
  if (!before.ok()) return before.status();
  if (*before == ledger.head().sequence)
    return Status::NotFound("nothing was recorded at or after " + text).tagged("from.after_last");
  return *before + 1;
}

Result<std::uint64_t> event_sequence(Ledger& ledger, const std::string& event) {
  if (!event.empty() && std::all_of(event.begin(), event.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto seq = event.size() <= 19 ? std::stoull(event) : UINT64_MAX;
    if (seq == 0 || seq > ledger.head().sequence)
      return Status::NotFound("no event " + event, "events run from 1 to " + std::to_string(ledger.head().sequence)).tagged("field.event");
    return seq;
  }
  auto e = ledger.get_by_id(event);
  if (!e.ok()) return e.status().code() == Code::kNotFound ? Status(e.status()).tagged("field.event") : e.status();
  return e->sequence;
}

nlohmann::json event_json(const Event& e) {
  nlohmann::json data;
  if (e.redacted_by != 0) data = nullptr;
  else if (auto r = redaction_of(e)) data = {{"redacts", r->sequence}, {"payload_sha256", to_hex(r->payload_hash)}, {"reason", r->reason}};
  else data = schema::payload_json(e.type, e.schema_version, e.payload);
  nlohmann::json j = {{"sequence", e.sequence},
          {"stream", e.stream},
          {"version", e.stream_version},
          {"event_id", e.event_id},
          {"type", e.type},
          {"schema_version", e.schema_version},
          {"recorded_at", projections::iso_time(e.recorded_us)},
          {"effective_date", projections::iso_time(e.effective_us)},
          {"actor", e.actor},
          {"data", std::move(data)},
          {"payload_sha256", to_hex(e.payload_hash)},
          {"payload_size", e.redacted_by != 0 ? e.payload_length : e.payload.size()},
          {"prev_hash", to_hex(e.prev_hash)},
          {"hash", to_hex(e.hash)}};
  if (e.redacted_by != 0) j["redacted_by"] = e.redacted_by;
  return j;
}

Status event_document_matches(const nlohmann::json& doc, const Event& proven, std::string_view canonical) {
  if (!doc.is_object()) return Status::InvalidArgument("the event file is not one JSON object, as ftl log --format jsonl prints an event").tagged("event.file");
  const nlohmann::json want = {{"sequence", proven.sequence},
                               {"stream", proven.stream},
                               {"version", proven.stream_version},
                               {"event_id", proven.event_id},
                               {"type", proven.type},
                               {"schema_version", proven.schema_version},
                               {"recorded_at", projections::iso_time(proven.recorded_us)},
                               {"effective_date", projections::iso_time(proven.effective_us)},
                               {"actor", proven.actor},
                               {"payload_sha256", to_hex(proven.payload_hash)},
                               {"payload_size", proven.payload_length}};
  static const std::set<std::string> kOthers = {"data", "payload", "prev_hash", "hash", "redacted_by"};
  for (const auto& [k, v] : doc.items())
    if (!want.contains(k) && kOthers.count(k) == 0)
      return Status::InvalidArgument("the event file has a field " + k.substr(0, 64) + " that no event has").tagged("event.file");
  for (const auto& [k, v] : want.items()) {
    if (!doc.contains(k)) return Status::InvalidArgument("the event file has no " + k).tagged("event.file");
    if (doc[k].type() != v.type() || doc[k] != v)
      return Status::Corruption("the event file's " + k + " is " + doc[k].dump().substr(0, 200) + ", but the proven event's is " + v.dump())
          .tagged("proof.event");
  }
  if (!doc.contains("prev_hash") || !doc.contains("hash")) return Status::InvalidArgument("the event file has no prev_hash and hash").tagged("event.file");
  auto prev = doc["prev_hash"].is_string() ? hash_from_hex(doc["prev_hash"].get<std::string>()) : std::nullopt;
  if (!prev) return Status::InvalidArgument("the event file's prev_hash is not 64 hex digits").tagged("event.file");
  Sha256 h;
  h.update(std::string_view(reinterpret_cast<const char*>(prev->data()), prev->size()));
  h.update(canonical);
  if (!doc["hash"].is_string() || doc["hash"].get<std::string>() != to_hex(h.finish()))
    return Status::Corruption("the event file's hash is not SHA-256 of its prev_hash and the proven event's bytes").tagged("proof.event");
  // A redaction is a later event (whose own proof shows it); here only its form is checked.
  if (doc.contains("redacted_by")) {
    const auto& by = doc["redacted_by"];
    if (!by.is_number_unsigned() || by.get<std::uint64_t>() <= proven.sequence)
      return Status::InvalidArgument("the event file's redacted_by is " + by.dump().substr(0, 64) + ", not the sequence of an event after " +
                                     std::to_string(proven.sequence))
          .tagged("event.file");
    if (doc.contains("payload") || (doc.contains("data") && !doc["data"].is_null()))
      return Status::InvalidArgument("the event file says the event was redacted, yet holds its payload or data").tagged("event.file");
  }
  // What it says the payload was: only with the payload itself, whose SHA-256 the proof covers.
  const bool has_data = doc.contains("data") && !doc["data"].is_null();
  if (!doc.contains("payload")) {
    if (has_data)
      return Status::InvalidArgument("the event file's data cannot be checked without the payload's bytes",
                                     "print the event with its payload (ftl log --payload), or drop its data")
          .tagged("event.file");
    return Status::Ok();
  }
  auto raw = doc["payload"].is_string() ? from_base64(doc["payload"].get<std::string>()) : std::nullopt;
  if (!raw || raw->size() != proven.payload_length || Sha256::of(*raw) != proven.payload_hash)
    return Status::Corruption("the event file's payload is not the one whose SHA-256 the proven event records").tagged("proof.event");
  Event with = proven;
  with.payload = std::move(*raw);
  with.redacted_by = 0;
  if (!doc.contains("data") || doc["data"] != event_json(with)["data"])
    return Status::Corruption("the event file's data is not what its payload holds").tagged("proof.event");
  return Status::Ok();
}

nlohmann::json audit_row_json(const projections::AuditRow& r) {
  return {{"sequence", r.sequence},
          {"recorded_at", projections::iso_time(r.recorded_us)},
          {"effective_date", projections::iso_time(r.effective_us)},
          {"actor", r.actor},
          {"stream", r.stream},
          {"type", r.type},
          {"event_id", r.event_id},
          {"field", r.field},
          {"from", r.from},
          {"to", r.to}};
}

nlohmann::json history_row_json(const projections::HistoryRow& r) {
  std::string what = r.what;
  if (r.backdated) what += " (back-dated)";
  nlohmann::json row = {{"date", r.date}, {"date_understood", r.date_understood}, {"who", r.who},
                        {"what", what},   {"source", r.source},                   {"backdated", r.backdated}};
  if (!r.notes.empty()) row["notes"] = r.notes;
  return row;
}

bool task_for_service(const projections::TaskState& task, const std::string& service) {
  const auto want = lower(service);
  for (const auto& s : task.services) {
    const auto have = lower(s);
    if (have == want || have == "all services") return true;
  }
  return false;
}

bool task_for_role(const projections::TaskState& task, const std::string& role) {
  const auto want = lower(role);
  const auto have = lower(task.role);
  if (have == want) return true;
  if (want == "fe") return have == "fasttrack engineer";
  if (want == "fm") return have == "fasttrack manager";
  return false;
}

}  // namespace ftl::engine
