// Cursors over the events column family, directly or through an index. Internal: only
// ledger/*.cpp include this.
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "ledger/ledger.h"

namespace ftl::rocks {

// Events with sequence >= from, in order; each checked (V2, V3, V5) and linked to the one
// before it (V4). `snapshot`: read at a consistent point while a writer goes on.
std::unique_ptr<Cursor> sequence_cursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, std::uint64_t from,
                                        bool snapshot);

// Events found through an index column family whose keys are `name` || 0x00 || u64 and whose
// sequence is the value (by_stream: the u64 is a version) or the key's suffix (by_actor: the
// u64 is the sequence). Each event is checked (V2, V3, V5) and must be what its entry says:
// the stream at that version, or the actor at that sequence.
enum class IndexKind { kStream, kActor };
std::unique_ptr<Cursor> index_cursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* index, rocksdb::ColumnFamilyHandle* events,
                                     IndexKind kind, const std::string& name, std::uint64_t from, bool snapshot);

// V3 for a record whose payload was removed: event `by`, read at `ro`, must be a good record of
// type EventRedacted whose payload names event `sequence` and its payload's SHA-256.
Status confirm_redaction(rocksdb::DB* db, const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* events, std::uint64_t sequence,
                         std::uint64_t by, const Hash& payload_hash);

}  // namespace ftl::rocks
