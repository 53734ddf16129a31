#include "engine/bundle.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/engagement_document.h"
#include "engine/engagement_service.h"
#include "engine/queries.h"
#include "ledger/base64.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"
#include "projections/audit.h"
#include "projections/catalog.h"
#include "projections/engagement.h"

namespace ftl::engine {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxBundleEvents = 10'000'000;

Status bad(const std::string& why) { return Status::Corruption("the bundle fails: " + why).tagged("bundle.forged"); }
Status malformed(const std::string& why) { return Status::InvalidArgument("the file is not a bundle: " + why).tagged("bundle.malformed"); }

// SHA-256 over the events in bundle order: u32 length ‖ canonical bytes, for each.
std::string events_sha256(const std::vector<std::string>& canonicals) {
  Sha256 h;
  for (const auto& c : canonicals) {
    const std::uint32_t n = static_cast<std::uint32_t>(c.size());
    const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
    h.update(std::string_view(len, 4));
    h.update(c);
  }
  return to_hex(h.finish());
}

// The statement the log's key signs: what the bundle holds and what its state is.
// `to`: the moment the state is folded to; `size` and `root`: the tree every event is proved in
// (larger than `to` only to prove the redactions made since of the events up to `to`).
std::string statement_text(const std::string& engagement, std::uint64_t from, std::uint64_t to, std::uint64_t size, const Hash& root,
                           const std::string& state, const std::string& events) {
  return std::string(kBundleFormat) + "\nengagement " + engagement + "\nfrom " + std::to_string(from) + "\nto " + std::to_string(to) +
         "\nsize " + std::to_string(size) +
         "\nroot " + to_base64(merkle::bytes(root)) + "\nstate " + state + "\nevents " + events + "\n";
}

// The catalog and the engagement folded from events in sequence order.
struct Fold {
  std::map<std::string, projections::PlaybookState> playbooks;  // by stream, in stream order like the ledger's listing
  projections::EngagementState engagement;
  Status add(const Event& e, const std::string& stream) {
    if (e.stream == stream) return projections::apply(engagement, e);
    return projections::apply(playbooks[e.stream], e);
  }
  CatalogView catalog() const {
    CatalogView v;
    for (const auto& [_, p] : playbooks) v.playbooks.push_back(p);
    return v;
  }
};

}  // namespace

std::string state_sha256(const json& document) { return to_hex(Sha256::of(document.dump())); }

Result<std::string> make_bundle(Ledger& ledger, const std::string& engagement, const SignerKey& key, std::uint64_t size, std::uint64_t from,
                                const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  if (from == 0) from = 1;
  if (size == 0) size = ledger.head().sequence;
  if (size > ledger.head().sequence)
    return Status::InvalidArgument("a bundle of " + std::to_string(size) + " events is past the head, " + std::to_string(ledger.head().sequence))
        .tagged("field.to");
  const auto stream = projections::engagement_stream(engagement);
  // The events: every catalog stream's and the engagement's, up to `size`, merged by sequence.
  std::vector<std::string> streams;
  auto listed = ledger.list_streams(projections::kPlaybookStreamPrefix, [&](const std::string& s, std::uint64_t) {
    streams.push_back(s);
    return true;
  });
  if (!listed.ok()) return listed;
  if (from > 1) streams.clear();  // a stretch folds no state, so needs no catalog
  streams.push_back(stream);
  std::vector<Event> events;
  for (const auto& s : streams) {
    auto c = ledger.scan_stream(s);
    for (; c->valid() && c->event().sequence <= size; c->next())
      if (c->event().sequence >= from) events.push_back(c->event());
    if (!c->status().ok()) return c->status();
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.sequence < b.sequence; });
  if (events.empty()) {
    if (auto known = load_engagement(ledger, engagement, size); !known.ok()) return known.status();  // names the known ones
    return Status::InvalidArgument("engagement " + engagement + " has no event from sequence " + std::to_string(from) + " to " + std::to_string(size))
        .tagged("field.from");
  }
  std::string state = "-";
  if (from == 1) {
    Fold fold;
    std::size_t own = 0;
    for (const auto& e : events) {
      if (auto st = fold.add(e, stream); !st.ok()) return st;
      own += e.stream == stream;
    }
    if (own == 0) return load_engagement(ledger, engagement, size).status();  // names the known ones
    state = state_sha256(engagement_document(fold.engagement, fold.catalog()));
  }
  // An event redacted after `size`: its redaction comes too, so a verifier knows why its payload is absent.
  const std::uint64_t to = size;
  std::vector<Event> later;
  for (const auto& e : events)
    if (e.redacted_by > to) {
      auto r = ledger.get(e.redacted_by);
      if (!r.ok()) return r.status();
      size = std::max(size, r->sequence);
      later.push_back(std::move(*r));
    }
  events.insert(events.end(), later.begin(), later.end());
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.sequence < b.sequence; });
  auto root = ledger.tree_root(size);
  if (!root.ok()) return root.status();

  auto checkpoint = sign_checkpoint(ledger, key, size, progress);
  if (!checkpoint.ok()) return checkpoint.status();
  json out_events = json::array();
  std::vector<std::string> canonicals;
  canonicals.reserve(events.size());
  for (const auto& e : events) {
    auto proof = ledger.inclusion_proof(e.sequence, size);
    if (!proof.ok()) return proof.status();
    canonicals.push_back(canonical_of(e));
    if (auto st = check_own_inclusion(e.sequence, size, canonicals.back(), *proof, *root); !st.ok()) return st;
    json p = json::array();
    for (const auto& h : *proof) p.push_back(to_base64(merkle::bytes(h)));
    out_events.push_back({{"canonical", to_base64(canonicals.back())},
                          {"payload", e.redacted_by != 0 ? json(nullptr) : json(to_base64(e.payload))},
                          {"proof", std::move(p)}});
  }
  auto statement = sign_note(statement_text(engagement, from, to, size, *root, state, events_sha256(canonicals)), key);
  if (!statement.ok()) return statement.status();
  json doc = {{"format", kBundleFormat}, {"engagement", engagement}, {"from", from}, {"to", to}, {"checkpoint", *checkpoint},
              {"statement", *statement}, {"state_sha256", state},   {"events", std::move(out_events)}};
  return doc.dump(1) + "\n";
}

Result<OpenedBundle> verify_bundle(std::string_view text, const VerifierKey* key) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return malformed("it is not one JSON object");
  if (doc.value("format", "") != kBundleFormat) return malformed("its format is not " + std::string(kBundleFormat));
  for (const char* f : {"engagement", "checkpoint", "statement", "state_sha256"})
    if (!doc.contains(f) || !doc[f].is_string()) return malformed(std::string("its ") + f + " is missing or not text");
  if (!doc.contains("events") || !doc["events"].is_array() || doc["events"].size() > kMaxBundleEvents)
    return malformed("its events are missing or not a list");
  if (!doc.contains("to") || !doc["to"].is_number_unsigned()) return malformed("its to (the moment of its state) is missing or not a sequence");
  const std::uint64_t to = doc["to"].get<std::uint64_t>();
  if (!doc.contains("from") || !doc["from"].is_number_unsigned() || doc["from"].get<std::uint64_t>() == 0)
    return malformed("its from (where its events begin) is missing or not a sequence");
  const std::uint64_t from = doc["from"].get<std::uint64_t>();
  const bool stretch = from > 1;
  OpenedBundle b;
  b.engagement = doc["engagement"].get<std::string>();
  const auto stream = projections::engagement_stream(b.engagement);
  const std::string signer = key != nullptr ? key->name : "its log";
  Result<Checkpoint> cp = Status::Ok();
  if (key != nullptr) {
    cp = open_checkpoint(doc["checkpoint"].get<std::string>(), *key);
    if (!cp.ok() && cp.status().code() == Code::kCorruption)
      return Status::Corruption("the bundle's checkpoint: " + cp.status().message()).tagged(cp.status().tag());
  } else {
    auto note = split_note(doc["checkpoint"].get<std::string>());
    cp = note.ok() ? parse_checkpoint_text(note->text) : Result<Checkpoint>(note.status());
  }
  if (!cp.ok()) return cp.status();
  b.checkpoint = *cp;
  auto statement = key != nullptr ? open_note(doc["statement"].get<std::string>(), *key) : split_note(doc["statement"].get<std::string>());
  if (!statement.ok()) {
    if (statement.status().code() != Code::kCorruption) return statement.status();
    return Status::Corruption("the bundle's statement: " + statement.status().message()).tagged(statement.status().tag());
  }

  // Each event: its bytes, its payload and its place in the signed tree.
  std::vector<std::string> canonicals;
  std::map<std::string, std::uint64_t> versions;  // stream -> last version seen
  std::uint64_t last_sequence = 0;
  for (std::size_t i = 0; i < doc["events"].size(); ++i) {
    const auto& j = doc["events"][i];
    const std::string where = "event " + std::to_string(i + 1) + " of the bundle";
    if (!j.is_object() || !j.contains("canonical") || !j["canonical"].is_string() || !j.contains("proof") || !j["proof"].is_array())
      return malformed(where + " has no canonical bytes and proof");
    auto canonical = from_base64(j["canonical"].get<std::string>());
    if (!canonical) return bad(where + ": its canonical bytes are not base64");
    auto env = envelope_of(*canonical);
    if (!env.ok()) return bad(where + ": " + env.status().message());
    Event e = env->event;
    const std::string name = "event " + std::to_string(e.sequence);
    if (e.sequence == 0 || e.sequence > b.checkpoint.size)
      return bad(name + " lies outside the checkpoint's tree of " + std::to_string(b.checkpoint.size) + " events");
    std::vector<std::string> proof;
    for (const auto& h : j["proof"]) {
      auto raw = h.is_string() ? from_base64(h.get<std::string>()) : std::nullopt;
      if (!raw || raw->size() != 32) return bad(name + ": a hash of its inclusion proof is not base64 of 32 bytes");
      proof.push_back(std::move(*raw));
    }
    const auto leaf = merkle::leaf_hash(*canonical);
    if (!merkle::verify_inclusion(e.sequence - 1, b.checkpoint.size, merkle::bytes(leaf), proof, merkle::bytes(b.checkpoint.root)).ok())
      return bad(name + " (" + e.type + " on " + e.stream + ") is not in the signed tree: its inclusion proof fails");
    if (e.sequence <= last_sequence)
      return bad(name + " comes after event " + std::to_string(last_sequence) + ": the events were reordered or repeated");
    last_sequence = e.sequence;
    if (e.stream != stream && !e.stream.starts_with(projections::kPlaybookStreamPrefix))
      return bad(name + " is on " + e.stream + ", neither the engagement's stream nor the catalog's");
    if (e.sequence > to && e.type != kEventRedactedType)
      return bad(name + " comes after the bundle's moment (event " + std::to_string(to) + ") and is no redaction");
    if (e.sequence < from) return bad(name + " comes before the bundle's first sequence, " + std::to_string(from));
    if (stretch && e.stream != stream) return bad(name + " is on " + e.stream + ", but a stretch of an engagement holds only its events");
    auto& v = versions[e.stream];
    if (stretch && v == 0) v = e.stream_version - 1;  // a stretch begins where it begins; the statement pins it
    if (e.sequence > to) {
      // A later redaction of an event up to `to`: proved, accounted for below, never folded.
    } else if (e.stream_version != v + 1) {
      // Later in the bundle: the events were reordered; nowhere: one was dropped.
      for (std::size_t k = i + 1; k < doc["events"].size(); ++k) {
        const auto& later = doc["events"][k];
        auto c = later.is_object() && later.contains("canonical") && later["canonical"].is_string() ? from_base64(later["canonical"].get<std::string>())
                                                                                                       : std::nullopt;
        auto le = c ? envelope_of(*c) : Result<Envelope>(Status::NotFound(""));
        if (le.ok() && le->event.stream == e.stream && le->event.stream_version == v + 1)
          return bad(e.stream + " version " + std::to_string(v + 1) + " (event " + std::to_string(le->event.sequence) + ") comes after " + name +
                     ": the events were reordered");
      }
      return bad(e.stream + " version " + std::to_string(v + 1) + " is missing (the next in the bundle is version " +
                 std::to_string(e.stream_version) + ", " + name + "): an event was dropped");
    }
    if (e.sequence <= to) v = e.stream_version;
    if (!j.contains("payload") || !(j["payload"].is_string() || j["payload"].is_null()))
      return malformed(where + "'s payload is neither base64 text nor null");
    if (j["payload"].is_string()) {
      auto payload = from_base64(j["payload"].get<std::string>());
      if (!payload || payload->size() != env->payload_length || Sha256::of(*payload) != e.payload_hash)
        return bad(name + "'s payload does not match the SHA-256 its signed bytes record: the payload was changed");
      e.payload = std::move(*payload);
    } else {
      e.redacted_by = UINT64_MAX;  // until a redaction in the bundle accounts for it
      e.payload_length = env->payload_length;
    }
    canonicals.push_back(std::move(*canonical));
    b.events.push_back(std::move(e));
  }
  // A payload left out must be one a redaction in the bundle removed.
  std::map<std::uint64_t, Event*> by_sequence;
  for (auto& e : b.events) by_sequence[e.sequence] = &e;
  for (const auto& e : b.events)
    if (auto r = redaction_of(e)) {
      auto it = by_sequence.find(r->sequence);
      const bool accounts = it != by_sequence.end() && it->second->redacted_by == UINT64_MAX && it->second->payload_hash == r->payload_hash;
      if (accounts) it->second->redacted_by = e.sequence;
      else if (e.sequence > to)
        return bad("event " + std::to_string(e.sequence) + " comes after the bundle's moment but redacts no event of the bundle that lacks its payload");
    }
  for (const auto& e : b.events) {
    if (e.redacted_by == UINT64_MAX)
      return bad("event " + std::to_string(e.sequence) + " has no payload, and no redaction in the bundle removed it");
    b.redacted += e.redacted_by != 0;
  }
  // The statement: this engagement, this tree, these events, this state.
  Fold fold;
  for (const auto& e : b.events) {
    if (e.sequence > to) continue;
    if (!stretch)
      if (auto st = fold.add(e, stream); !st.ok()) return bad("its events do not fold: " + st.message());
    (e.stream == stream ? b.engagement_events : b.catalog_events) += 1;
  }
  if (b.engagement_events == 0) return bad("it holds no event of " + stream);
  b.to = to;
  b.from = from;
  if (!stretch) {
    b.state = engagement_document(fold.engagement, fold.catalog());
    b.state_sha256 = state_sha256(b.state);
  } else {
    b.state_sha256 = "-";
  }
  if (to == 0 || to > b.checkpoint.size) return bad("its moment, event " + std::to_string(to) + ", lies outside its tree");
  const auto expected =
      statement_text(b.engagement, from, to, b.checkpoint.size, b.checkpoint.root, doc["state_sha256"].get<std::string>(), events_sha256(canonicals));
  if (statement->text.substr(0, statement->text.find("\nstate ")) != expected.substr(0, expected.find("\nstate ")))
    return bad("its statement, signed by " + signer + ", is of another engagement, moment or tree (another root)");
  if (statement->text.substr(statement->text.find("\nevents ")) != expected.substr(expected.find("\nevents ")))
    return bad("its events are not the ones " + signer + " signed for it: one was dropped, added or replaced");
  if (doc["state_sha256"].get<std::string>() != b.state_sha256 ||
      statement->text != statement_text(b.engagement, from, to, b.checkpoint.size, b.checkpoint.root, b.state_sha256, events_sha256(canonicals)))
    return bad("the state refolded from its events (SHA-256 " + b.state_sha256 + ") is not the state " + signer + " signed");
  return b;
}

Result<json> bundle_view(const OpenedBundle& b, const std::string& view) {
  const auto stream = projections::engagement_stream(b.engagement);
  if (view == "state") {
    if (b.from > 1)
      return Status::InvalidArgument("the bundle holds the events of " + b.engagement + " from sequence " + std::to_string(b.from) +
                                     " on, and so no state (a state is folded from every event)",
                                     "make a bundle without a from for the state")
          .tagged("bundle.stretch");
    return b.state;
  }
  json rows = json::array();
  if (view == "history") {
    projections::EngagementHistory h;
    for (const auto& e : b.events)
      if (e.stream == stream) {
        h.start_after(e.stream_version - 1);
        break;
      }
    for (const auto& e : b.events)
      if (e.stream == stream && e.sequence <= b.to)
        if (auto st = h.apply(e); !st.ok()) return st;
    for (const auto& r : h.rows()) rows.push_back(history_row_json(r));
    return json{{"rows", std::move(rows)}, {"source", "engagement"}};
  }
  if (view == "audit") {
    for (const auto& e : b.events)
      if (e.stream == stream && e.sequence <= b.to)
        for (const auto& r : projections::audit_rows(e)) rows.push_back(audit_row_json(r));
    return json{{"rows", std::move(rows)}};
  }
  return Status::InvalidArgument("no bundle view " + view, "state, history or audit").tagged("bundle.view");
}

}  // namespace ftl::engine
