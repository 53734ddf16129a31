// The engagement states this process keeps (engine/engagement_load.cpp), as execution sees
// them: what it last appended to each kept stream, and where its stored snapshot stands.
// Internal to engine/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ledger/ledger.h"

namespace ftl::engine {

// The key of a stream's kept state: ledgers opened twice in one process keep apart.
std::string cache_key(Ledger& ledger, const std::string& stream);
// What the stored snapshot of `stream` covers (0: none that counts), read once per kept state.
std::uint64_t snapshot_covers(Ledger& ledger, const std::string& stream, const std::string& key);
// Whether the stream's state is kept (a load at the head reads at most a few events).
bool is_kept(Ledger& ledger, const std::string& stream);
// This process appended `r` to the stream: the next load reads those events by sequence.
void note_appended(const std::string& key, const AppendResult& r);
// What snapshot_covers would say, if it is known without reading the disk.
std::optional<std::uint64_t> known_snapshot_covers(const std::string& key);
// A snapshot covering `version` was just written.
void snapshot_written(const std::string& key, std::uint64_t version);

}  // namespace ftl::engine
