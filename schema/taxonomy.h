// The fixed vocabularies an engagement is recorded in: Consumption Status (L1) with its
// Reasons (L2) (the L1/L2 homepage list), Service Status (the phases), and note kinds.
// Lookups forgive case, spacing and an "L1 - " / "L2 - " prefix, and return the canonical
// spelling; the lists feed error messages that say what would be valid.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ftl::schema {

const std::vector<std::string>& l1_values();
// The L2 values of an L1 (empty for Duplicate/Invalid, which takes none).
const std::vector<std::string>& l2_values(std::string_view canonical_l1);
std::optional<std::string> canonical_l1(std::string_view text);
std::optional<std::string> canonical_l2(std::string_view canonical_l1, std::string_view text);
// The L1 an L2 belongs to, if any (for "did you mean" when an L2 is given under the wrong L1).
std::optional<std::string> l1_of_l2(std::string_view text);

// Initiate, Initiate - Serialized, Assess, Remediate, Enable, Migrate, Adoption (in order).
const std::vector<std::string>& service_status_values();
std::optional<std::string> canonical_service_status(std::string_view text);
// Position in the phase order (0 = Initiate); -1 if unknown.
int service_status_rank(std::string_view canonical);

// Note kinds: technical-enablement, engagement-management, environment.
const std::vector<std::string>& note_kinds();
std::optional<std::string> canonical_note_kind(std::string_view text);
std::string note_kind_title(std::string_view kind);  // "Technical Enablement"

// The candidate closest to `text` (case-insensitive edit distance), for a hint; empty if none
// is reasonably close.
std::string nearest(std::string_view text, const std::vector<std::string>& candidates);

}  // namespace ftl::schema
