// The documents a front shows of an engagement: the same JSON for `--format json` and for an
// HTTP response, built once here from the folded state and the catalog.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engagement_service.h"

namespace ftl::engine {

// The engagement as it stands: scope, entitlements (L1/L2, Service Status, target), task
// counts, the applicable tasks, usage and milestone, contacts, notes.
nlohmann::json engagement_document(const projections::EngagementState& s, const CatalogView& catalog);

// The engagement's applicable tasks with their status, who and when, one document each.
std::vector<nlohmann::json> task_rows(const projections::EngagementState& s, const CatalogView& catalog);

}  // namespace ftl::engine
