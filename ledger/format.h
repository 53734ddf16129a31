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
inline constexpr const char* kTreeCf = "tree";            // Merkle tree nodes (FORMAT.md "The Merkle tree")
// The default column family holds metadata under these keys.
inline constexpr std::string_view kMetaFormatKey = "format";
inline constexpr std::string_view kMetaHeadKey = "head";
inline constexpr std::string_view kMetaStreamsKey = "streams";
inline constexpr std::string_view kMetaHeadFileKey = "head_file";  // the ledger keeps FTL-HEAD
inline constexpr std::string_view kMetaTreeKey = "tree";  // u64: the events the tree's nodes cover
// "purge/" + u64: a redacted event whose old payload may still be in the files (FORMAT.md "Redaction").
inline constexpr std::string_view kMetaPurgePrefix = "purge/";
std::string purge_key(std::uint64_t sequence);
inline constexpr std::string_view kFormatName = "ftl-ledger/1";

// The tree keeps the hash of every complete subtree whose level (log2 of its leaves) is a
// positive multiple of kTreeStride: 16 leaves, 256, 4096, ... Key: u8 level, u64 index.
inline constexpr unsigned kTreeStride = 4;
// A ledger from before the tree gains it in synced batches of this many events.
inline constexpr std::uint64_t kTreeUpgradeBatch = 1 << 16;
inline constexpr bool stored_level(unsigned level) { return level > 0 && level % kTreeStride == 0; }
std::string tree_key(unsigned level, std::uint64_t index);

inline constexpr std::uint8_t kRecordV1 = 0x01;

// Redaction (FORMAT.md "Redaction"). A redacted record's bytes after its hashes are the mark
// and the u64 sequence of the redaction event; the redaction event's payload is the ledger's
// own: u64 sequence, the 32-byte payload SHA-256 it removed, then the reason (UTF-8).
inline constexpr std::string_view kRedactedMark = "ftl-redacted/1";
inline constexpr std::size_t kRedactedTailBytes = 14 + 8;
inline constexpr std::string_view kRedactionType = kEventRedactedType;
inline constexpr std::size_t kMaxReasonBytes = 4096;
using Redaction = RedactionInfo;
std::string redaction_payload(const Redaction& r);
bool parse_redaction_payload(std::string_view payload, Redaction* r);
// Whether a record's tail (its bytes after the hashes) is a redaction's mark rather than the
// payload the canonical bytes describe; if so, *by is the redaction event's sequence.
bool redacted_tail(std::string_view tail, std::size_t payload_length, const char* payload_hash, std::uint64_t* by);
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
// The full record stored under the event's sequence key (a redacted event's: with its mark).
std::string encode_record(const Event& e, std::string_view canonical);
// The same, appending to `out`, with the payload passed separately.
void encode_record(const Event& e, std::string_view canonical, std::string_view payload, std::string& out);
// Decodes a record; returns false (with `why`) if the bytes are malformed.
bool decode_record(std::string_view bytes, Event* e, std::string* why);

// A record read in place: every field a view into the stored bytes, nothing copied (verify).
struct RecordView {
  std::uint64_t sequence = 0, stream_version = 0;
  std::string_view stream, event_id, type, actor;
  std::uint32_t schema_version = 0;
  std::int64_t recorded_us = 0, effective_us = 0;
  std::string_view canonical;     // the canonical bytes, as stored
  const char* payload_hash = nullptr;  // 32 bytes
  std::string_view payload;
  Hash prev_hash{}, hash{};
  std::uint64_t redacted_by = 0;  // the payload was removed by this redaction event
};
bool parse_record(std::string_view bytes, RecordView* r, std::string* why);
// check_event and check_times for a record read in place.
Status check_record(const RecordView& r, std::uint64_t key_sequence, const Hash* prev, const std::int64_t* prev_recorded_us);

// A name is 1 to kMaxNameBytes bytes of valid UTF-8 with no control character (U+0000..U+001F,
// U+007F).
bool valid_name(std::string_view s);
// Whether `s` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF);
// if not, *bad_offset is the offset of the first byte that is not.
bool valid_utf8(std::string_view s, std::size_t* bad_offset = nullptr);

// Checks an event read from under key `key_sequence` against rules V2..V5, in that order: the
// record's sequence is its key and its names are names (V2), SHA-256(payload) is
// payload_sha256 (V3), prev_hash is `*prev` when the hash of the event before it is known (V4;
// zeros for sequence 1), and its hash is SHA-256(prev_hash || canonical) (V5). Returns
// Corruption "event N breaks Vk: ..." for the first rule it breaks.
Status check_event(const Event& e, std::uint64_t key_sequence, const Hash* prev = nullptr);
// V13: times lie from 1970 to the year 3000, and recorded time does not run backwards from
// `prev_recorded_us` (the event before it's, when known).
inline constexpr std::int64_t kMaxTimeUs = 32503680000LL * 1000000;  // 3000-01-01T00:00:00Z
Status check_times(const Event& e, const std::int64_t* prev_recorded_us);
Status broken(std::uint64_t sequence, const char* rule, const std::string& what);

// The head file (FORMAT.md "The head file"): the last acknowledged append, outside RocksDB.
inline constexpr const char* kHeadFileName = "FTL-HEAD";
inline constexpr std::size_t kHeadFileBytes = 56;
std::string head_file_bytes(const Digest& d);
// False if the bytes are not a head file, or torn.
bool parse_head_file(std::string_view bytes, Digest* d);

}  // namespace ftl::format
