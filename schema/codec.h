// Payload bytes for every event type: cereal's portable binary archive (little-endian, with
// the class version before the first field). Decoding is by the envelope's type name and
// schema version, so that old events keep loading after a struct gains fields.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "schema/catalog_events.h"
#include "schema/engagement_events.h"
#include "schema/ledger_events.h"

namespace ftl::schema {

struct Encoded {
  std::string type;
  std::uint32_t version = 0;
  std::string bytes;
};

Encoded encode(const CatalogEvent& e);
Result<CatalogEvent> decode_catalog(std::string_view type, std::uint32_t version, std::string_view bytes);
Encoded encode(const EngagementEvent& e);
Result<EngagementEvent> decode_engagement(std::string_view type, std::uint32_t version, std::string_view bytes);
const char* type_name(const EngagementEvent& e);

// The payload as a JSON object with snake_case keys, for `ftl log` and exports; null for a
// type this build does not know.
nlohmann::json payload_json(std::string_view type, std::uint32_t version, std::string_view bytes);

Encoded encode(const LedgerEvent& e);
Result<LedgerEvent> decode_ledger_event(std::string_view type, std::uint32_t version, std::string_view bytes);

bool is_catalog_type(std::string_view type);
bool is_ledger_type(std::string_view type);

// Every string field of an event is text (schema/parse.h check_text): InvalidArgument names
// the field ("text", "customer", ...) of the first that is not. The engine checks each event
// before it is appended, whichever front it came from.
Status check_event_text(const CatalogEvent& e);
Status check_event_text(const EngagementEvent& e);
Status check_event_text(const LedgerEvent& e);

// E1 (schema/EVENTS.md): the payload decodes as its type and class version, whole, and every
// string in it is text. Not ok names what is wrong.
Status check_payload(std::string_view type, std::uint32_t version, std::string_view bytes);

}  // namespace ftl::schema
