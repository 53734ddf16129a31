// The engagement states this process keeps (engine/engagement_load.cpp), as execution sees
// them: what it last appended to each kept stream, and where its stored snapshot stands.
// Internal to engine/.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace ftl::engine {

// The key of a stream's kept state: ledgers opened twice in one process keep apart.
std::string cache_key(Ledger& ledger, const std::string& stream);
// What the stored snapshot of `stream` covers (0: none that counts), read once per kept state.
std::uint64_t snapshot_covers(Ledger& ledger, const std::string& stream, const std::string& key);
// This process appended `r` to the stream: the next load reads those events by sequence.
void note_appended(const std::string& key, const AppendResult& r);
// A snapshot covering `version` was just written.
void snapshot_written(const std::string& key, std::uint64_t version);

}  // namespace ftl::engine
