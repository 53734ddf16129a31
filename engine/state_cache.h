// The engagement states this process keeps (engine/engagement_load.cpp), as execution sees
// them: where the stored snapshot of each kept stream stands. Internal to engine/.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace ftl::engine {

// The key of a stream's kept state: ledgers opened twice in one process keep apart.
std::string cache_key(Ledger& ledger, const std::string& stream);
// What the stored snapshot of `stream` covers (0: none that counts), read once per kept state.
std::uint64_t snapshot_covers(Ledger& ledger, const std::string& stream, const std::string& key);
// A snapshot covering `version` was just written.
void snapshot_written(const std::string& key, std::uint64_t version);

}  // namespace ftl::engine
