#include "ledger/format.h"

#include <utf8cpp/utf8.h>

#include <cstring>

#include "ledger/sha256.h"

namespace ftl::format {

void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int i = 7; i >= 0; --i, v >>= 8) b[i] = static_cast<char>(v & 0xff);
  out.append(b, 8);
}
void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
std::uint64_t get_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

std::string sequence_key(std::uint64_t seq) {
  std::string k;
  put_u64(k, seq);
  return k;
}
std::string purge_key(std::uint64_t sequence) {
  std::string k(kMetaPurgePrefix);
  put_u64(k, sequence);
  return k;
}

std::string tree_key(unsigned level, std::uint64_t index) {
  std::string k(1, static_cast<char>(level));
  put_u64(k, index);
  return k;
}
std::string stream_prefix(std::string_view stream) {
  std::string k(stream);
  k.push_back('\0');
  return k;
}
std::string stream_key(std::string_view stream, std::uint64_t version) {
  std::string k = stream_prefix(stream);
  put_u64(k, version);
  return k;
}
std::string actor_prefix(std::string_view actor) { return stream_prefix(actor); }
std::string actor_key(std::string_view actor, std::uint64_t seq) { return stream_key(actor, seq); }

std::string head_value(const Digest& d) {
  std::string v;
  put_u64(v, d.sequence);
  v.append(reinterpret_cast<const char*>(d.hash.data()), d.hash.size());
  return v;
}
bool parse_head_value(std::string_view v, Digest* d) {
  if (v.size() != 40) return false;
  d->sequence = get_u64(v.data());
  std::memcpy(d->hash.data(), v.data() + 8, 32);
  return true;
}

namespace {
void put_str(std::string& out, std::string_view s) {
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}
void put_hash(std::string& out, const Hash& h) {
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

std::uint64_t Reader::u(int bytes) {
  if (!need(static_cast<std::size_t>(bytes))) return 0;
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(b[pos++]);
  return v;
}

std::string_view Reader::raw(std::size_t n) {
  if (!need(n)) return {};
  auto v = b.substr(pos, n);
  pos += n;
  return v;
}

std::string Reader::str() { return std::string(str_view()); }
std::string_view Reader::str_view() { return raw(static_cast<std::size_t>(u(2))); }

Hash Reader::hash() {
  Hash h{};
  const auto v = raw(32);
  if (ok) std::memcpy(h.data(), v.data(), 32);
  return h;
}

std::string canonical_bytes(const Event& e) { return canonical_bytes(e, e.redacted_by != 0 ? e.payload_length : e.payload.size()); }

std::string redaction_payload(const Redaction& r) {
  std::string out;
  put_u64(out, r.sequence);
  put_hash(out, r.payload_hash);
  out += r.reason;
  return out;
}

bool parse_redaction_payload(std::string_view payload, Redaction* r) {
  if (payload.size() < 8 + 32 + 1 || payload.size() > 8 + 32 + kMaxReasonBytes) return false;
  r->sequence = get_u64(payload.data());
  std::memcpy(r->payload_hash.data(), payload.data() + 8, 32);
  r->reason.assign(payload.substr(40));
  return r->sequence != 0 && valid_utf8(r->reason);
}

bool redacted_tail(std::string_view tail, std::size_t payload_length, const char* payload_hash, std::uint64_t* by) {
  if (tail.size() != kRedactedTailBytes || !tail.starts_with(kRedactedMark)) return false;
  // A payload that happens to be these very bytes is a payload, not a mark.
  if (payload_length == kRedactedTailBytes && std::memcmp(Sha256::of(tail).data(), payload_hash, 32) == 0) return false;
  // Sequence 0 names no event: such bytes are no mark (and fail as a payload).
  const auto seq = get_u64(tail.data() + kRedactedMark.size());
  if (seq == 0) return false;
  *by = seq;
  return true;
}

std::string canonical_bytes(const Event& e, std::size_t payload_size) {
  std::string out;
  out.reserve(96 + e.stream.size() + e.event_id.size() + e.type.size() + e.actor.size());
  out.push_back(static_cast<char>(kRecordV1));
  put_u64(out, e.sequence);
  put_str(out, e.stream);
  put_u64(out, e.stream_version);
  put_str(out, e.event_id);
  put_str(out, e.type);
  put_u32(out, e.schema_version);
  put_u64(out, static_cast<std::uint64_t>(e.recorded_us));
  put_u64(out, static_cast<std::uint64_t>(e.effective_us));
  put_str(out, e.actor);
  put_hash(out, e.payload_hash);
  put_u32(out, static_cast<std::uint32_t>(payload_size));
  return out;
}

Hash chain_hash(const Hash& prev, std::string_view canonical) {
  thread_local Sha256 h;
  h.update(prev);
  h.update(canonical);
  return h.finish();
}

std::string encode_record(const Event& e, std::string_view canonical) {
  std::string out;
  if (e.redacted_by == 0) {
    encode_record(e, canonical, e.payload, out);
    return out;
  }
  // A redacted record: its mark where the payload was (FORMAT.md "Redaction").
  std::string mark(kRedactedMark);
  put_u64(mark, e.redacted_by);
  encode_record(e, canonical, mark, out);
  return out;
}

void encode_record(const Event& e, std::string_view canonical, std::string_view payload, std::string& out) {
  out.reserve(out.size() + canonical.size() + 64 + payload.size());
  out.append(canonical);
  put_hash(out, e.prev_hash);
  put_hash(out, e.hash);
  out.append(payload);
}

bool decode_record(std::string_view bytes, Event* e, std::string* why) {
  Reader r{bytes};
  auto version = r.u(1);
  if (r.ok && version != kRecordV1) {
    *why = "unknown record format " + std::to_string(version);
    return false;
  }
  // assign(), not =: a cursor decodes into the same Event over and over, reusing its buffers.
  e->sequence = r.u(8);
  e->stream.assign(r.str_view());
  e->stream_version = r.u(8);
  e->event_id.assign(r.str_view());
  e->type.assign(r.str_view());
  e->schema_version = static_cast<std::uint32_t>(r.u(4));
  e->recorded_us = static_cast<std::int64_t>(r.u(8));
  e->effective_us = static_cast<std::int64_t>(r.u(8));
  e->actor.assign(r.str_view());
  e->payload_hash = r.hash();
  auto payload_len = static_cast<std::size_t>(r.u(4));
  e->prev_hash = r.hash();
  e->hash = r.hash();
  if (!r.ok) {
    *why = "record is truncated";
    return false;
  }
  e->payload_length = static_cast<std::uint32_t>(payload_len);
  e->redacted_by = 0;
  if (redacted_tail(bytes.substr(r.pos), payload_len, reinterpret_cast<const char*>(e->payload_hash.data()), &e->redacted_by)) {
    e->payload.clear();
    return true;
  }
  if (bytes.size() - r.pos != payload_len) {
    *why = "payload length " + std::to_string(bytes.size() - r.pos) + " differs from the recorded " +
           std::to_string(payload_len);
    return false;
  }
  e->payload.assign(bytes.substr(r.pos));
  return true;
}

bool parse_record(std::string_view bytes, RecordView* v, std::string* why) {
  Reader r{bytes};
  const auto version = r.u(1);
  if (r.ok && version != kRecordV1) {
    *why = "unknown record format " + std::to_string(version);
    return false;
  }
  v->sequence = r.u(8);
  v->stream = r.str_view();
  v->stream_version = r.u(8);
  v->event_id = r.str_view();
  v->type = r.str_view();
  v->schema_version = static_cast<std::uint32_t>(r.u(4));
  v->recorded_us = static_cast<std::int64_t>(r.u(8));
  v->effective_us = static_cast<std::int64_t>(r.u(8));
  v->actor = r.str_view();
  const auto ph = r.raw(32);
  const auto payload_len = static_cast<std::size_t>(r.u(4));
  const std::size_t canonical_end = r.pos;
  v->prev_hash = r.hash();
  v->hash = r.hash();
  if (!r.ok) {
    *why = "record is truncated";
    return false;
  }
  v->redacted_by = 0;
  if (!redacted_tail(bytes.substr(r.pos), payload_len, ph.data(), &v->redacted_by) && bytes.size() - r.pos != payload_len) {
    *why = "payload length " + std::to_string(bytes.size() - r.pos) + " differs from the recorded " + std::to_string(payload_len);
    return false;
  }
  v->payload_hash = ph.data();
  v->canonical = bytes.substr(0, canonical_end);
  v->payload = bytes.substr(r.pos);
  return true;
}

Status check_record(const RecordView& r, std::uint64_t key_sequence, const Hash* prev, const std::int64_t* prev_recorded_us) {
  if (r.sequence != key_sequence)
    return broken(key_sequence, "V2", "its record says sequence " + std::to_string(r.sequence) + ": events were reordered or moved");
  for (const auto name : {r.stream, r.event_id, r.type, r.actor})
    if (!valid_name(name)) return broken(key_sequence, "V2", "its record holds a name that is empty, too long, not UTF-8 or has control characters");
  if (r.redacted_by != 0) {
    if (r.redacted_by <= key_sequence)
      return broken(key_sequence, "V3", "its payload was removed, and the redaction it names (event " + std::to_string(r.redacted_by) +
                                            ") does not come after it");
  } else if (std::memcmp(Sha256::of(r.payload).data(), r.payload_hash, 32) != 0) {
    return broken(key_sequence, "V3", "its payload does not match its recorded SHA-256: the payload was changed");
  }
  static const Hash kZero{};
  if (key_sequence == 1) prev = &kZero;
  if (prev != nullptr && r.prev_hash != *prev)
    return broken(key_sequence, "V4", "its previous hash does not match " +
                                          (key_sequence == 1 ? std::string("the 32 zero bytes the first event has")
                                                             : "event " + std::to_string(key_sequence - 1) + "'s hash") +
                                          ": an event was inserted, dropped or reordered before it");
  if (chain_hash(r.prev_hash, r.canonical) != r.hash)
    return broken(key_sequence, "V5", "its hash does not match its contents: the event was changed after it was written");
  if (r.recorded_us < 0 || r.recorded_us >= kMaxTimeUs || r.effective_us < 0 || r.effective_us >= kMaxTimeUs)
    return broken(key_sequence, "V13", "its recorded or effective time lies outside 1970 to 3000");
  if (prev_recorded_us != nullptr && r.recorded_us < *prev_recorded_us)
    return broken(key_sequence, "V13", "its recorded time is earlier than the event before it's: recorded time never runs backwards");
  return Status::Ok();
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameBytes) return false;
  bool ascii = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
    ascii = ascii && c < 0x80;
  }
  return ascii || valid_utf8(s);
}

bool valid_utf8(std::string_view s, std::size_t* bad_offset) {
  const auto bad = utf8::find_invalid(s.begin(), s.end());
  if (bad == s.end()) return true;
  if (bad_offset != nullptr) *bad_offset = static_cast<std::size_t>(bad - s.begin());
  return false;
}

Status broken(std::uint64_t sequence, const char* rule, const std::string& what) {
  return Status::Corruption("event " + std::to_string(sequence) + " breaks " + rule + ": " + what);
}

Status check_event(const Event& e, std::uint64_t key_sequence, const Hash* prev) {
  if (e.sequence != key_sequence)
    return broken(key_sequence, "V2", "its record says sequence " + std::to_string(e.sequence) + ": events were reordered or moved");
  for (const auto* name : {&e.stream, &e.event_id, &e.type, &e.actor})
    if (!valid_name(*name)) return broken(key_sequence, "V2", "its record holds a name that is empty, too long, not UTF-8 or has control characters");
  if (e.redacted_by != 0) {
    if (e.redacted_by <= key_sequence)
      return broken(key_sequence, "V3", "its payload was removed, and the redaction it names (event " + std::to_string(e.redacted_by) +
                                            ") does not come after it");
  } else if (Sha256::of(e.payload) != e.payload_hash) {
    return broken(key_sequence, "V3", "its payload does not match its recorded SHA-256: the payload was changed");
  }
  static const Hash kZero{};
  if (key_sequence == 1) prev = &kZero;
  if (prev != nullptr && e.prev_hash != *prev)
    return broken(key_sequence, "V4", "its previous hash does not match " +
                                          (key_sequence == 1 ? std::string("the 32 zero bytes the first event has")
                                                             : "event " + std::to_string(key_sequence - 1) + "'s hash") +
                                          ": an event was inserted, dropped or reordered before it");
  if (chain_hash(e.prev_hash, canonical_bytes(e)) != e.hash)
    return broken(key_sequence, "V5", "its hash does not match its contents: the event was changed after it was written");
  return Status::Ok();
}

Status check_times(const Event& e, const std::int64_t* prev_recorded_us) {
  if (e.recorded_us < 0 || e.recorded_us >= kMaxTimeUs || e.effective_us < 0 || e.effective_us >= kMaxTimeUs)
    return broken(e.sequence, "V13", "its recorded or effective time lies outside 1970 to 3000");
  if (prev_recorded_us != nullptr && e.recorded_us < *prev_recorded_us)
    return broken(e.sequence, "V13", "its recorded time is earlier than the event before it's: recorded time never runs backwards");
  return Status::Ok();
}

namespace {
constexpr std::string_view kHeadFileMagic = "ftlhead1";
}

std::string head_file_bytes(const Digest& d) {
  std::string out(kHeadFileMagic);
  put_u64(out, d.sequence);
  put_hash(out, d.hash);
  const auto check = Sha256::of(out);
  out.append(reinterpret_cast<const char*>(check.data()), 8);
  return out;
}

bool parse_head_file(std::string_view bytes, Digest* d) {
  if (bytes.size() != kHeadFileBytes || bytes.substr(0, kHeadFileMagic.size()) != kHeadFileMagic) return false;
  const auto check = Sha256::of(bytes.substr(0, kHeadFileBytes - 8));
  if (std::memcmp(check.data(), bytes.data() + kHeadFileBytes - 8, 8) != 0) return false;
  d->sequence = get_u64(bytes.data() + kHeadFileMagic.size());
  std::memcpy(d->hash.data(), bytes.data() + kHeadFileMagic.size() + 8, 32);
  return true;
}

}  // namespace ftl::format

namespace ftl {
std::string canonical_of(const Event& e) { return format::canonical_bytes(e); }

std::optional<RedactionInfo> redaction_of(const Event& e) {
  RedactionInfo r;
  if (e.type != kEventRedactedType || e.redacted_by != 0 || !format::parse_redaction_payload(e.payload, &r)) return std::nullopt;
  return r;
}

Result<Envelope> envelope_of(std::string_view canonical) {
  format::Reader r{canonical};
  Envelope out;
  Event& e = out.event;
  const auto version = r.u(1);
  if (r.ok && version != format::kRecordV1)
    return Status::InvalidArgument("the canonical bytes have format " + std::to_string(version) + ", not 1").tagged("envelope.malformed");
  e.sequence = r.u(8);
  e.stream = r.str();
  e.stream_version = r.u(8);
  e.event_id = r.str();
  e.type = r.str();
  e.schema_version = static_cast<std::uint32_t>(r.u(4));
  e.recorded_us = static_cast<std::int64_t>(r.u(8));
  e.effective_us = static_cast<std::int64_t>(r.u(8));
  e.actor = r.str();
  e.payload_hash = r.hash();
  out.payload_length = static_cast<std::uint32_t>(r.u(4));
  if (!r.ok || r.pos != canonical.size())
    return Status::InvalidArgument("the canonical bytes are " + std::string(r.ok ? "longer" : "shorter") + " than one event's").tagged("envelope.malformed");
  for (const auto* name : {&e.stream, &e.event_id, &e.type, &e.actor})
    if (!format::valid_name(*name)) return Status::InvalidArgument("the canonical bytes hold a name that is not a name").tagged("envelope.malformed");
  return out;
}
}  // namespace ftl
