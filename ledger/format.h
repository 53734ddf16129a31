// The ledger's bytes on disk, as ledger/FORMAT.md defines them. This header and that document
// change together. DO NOT CHANGE the constants below: they are embedded in stored data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/ledger.h"

namespace ftl::format {

// Column families (FORMAT.md "Column families").
inline constexpr const char* kEventsCf = "events";
inline constexpr const char* kByStreamCf = "by_stream";
inline constexpr const char* kByActorCf = "by_actor";
inline constexpr const char* kByEventIdCf = "by_event_id";
inline constexpr const char* kSnapshotsCf = "snapshots";  // a cache, not covered by the rules
// The default column family holds metadata under these keys.
inline constexpr std::string_view kMetaFormatKey = "format";
inline constexpr std::string_view kMetaHeadKey = "head";
inline constexpr std::string_view kFormatName = "ftl-ledger/1";

inline constexpr std::uint8_t kRecordV1 = 0x01;
inline constexpr std::size_t kMaxNameBytes = 1024;       // stream, event id, type, actor
inline constexpr std::size_t kMaxPayloadBytes = 16 << 20;

// Big-endian fixed-width integers, so that keys sort numerically.
void put_u64(std::string& out, std::uint64_t v);
void put_u32(std::string& out, std::uint32_t v);
void put_u16(std::string& out, std::uint16_t v);
std::uint64_t get_u64(const char* p);

// Reads the fields above from bytes; once a read runs past the end, ok is false and every
// later read returns zero or empty.
struct Reader {
  std::string_view b;
  std::size_t pos = 0;
  bool ok = true;
  bool need(std::size_t n) {
    if (!ok || b.size() - pos < n) ok = false;
    return ok;
  }
  std::uint64_t u(int bytes);         // big-endian, 1..8 bytes
  std::string_view raw(std::size_t n);
  std::string str();                  // u16 length, then the bytes
  std::string_view str_view();        // the same, without a copy
  Hash hash();                        // 32 bytes
};

std::string sequence_key(std::uint64_t seq);
std::string stream_key(std::string_view stream, std::uint64_t version);
std::string stream_prefix(std::string_view stream);  // stream || 0x00
std::string actor_key(std::string_view actor, std::uint64_t seq);
std::string actor_prefix(std::string_view actor);
std::string head_value(const Digest& d);
bool parse_head_value(std::string_view v, Digest* d);

// The canonical bytes of an event (every envelope field and the payload's SHA-256).
std::string canonical_bytes(const Event& e);
// The same for an event whose payload is held elsewhere (e.payload is ignored).
std::string canonical_bytes(const Event& e, std::size_t payload_size);
// SHA-256(prev_hash || canonical bytes).
Hash chain_hash(const Hash& prev, std::string_view canonical);
// The full record stored under the event's sequence key.
std::string encode_record(const Event& e, std::string_view canonical);
// The same, appending to `out`, with the payload passed separately.
void encode_record(const Event& e, std::string_view canonical, std::string_view payload, std::string& out);
// Decodes a record; returns false (with `why`) if the bytes are malformed.
bool decode_record(std::string_view bytes, Event* e, std::string* why);

// A name may not be empty, exceed kMaxNameBytes or contain a NUL or control character.
bool valid_name(std::string_view s);

}  // namespace ftl::format
