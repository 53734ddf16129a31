// Every payload decoder (schema/codec.h): the first byte picks an event type, the second its
// class version, the rest is the payload. What decodes re-encodes to the same bytes, shows as
// JSON without throwing, and passes or fails the text check without crashing.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "schema/codec.h"
#include "tests/fuzz/fuzz.h"

namespace {
const std::vector<std::string>& types() {
  static const std::vector<std::string> all = {
      "PlaybookImported", "StepAdded", "StepChanged", "StepRemoved", "TaskAdded", "TaskRenamed", "TaskMandatoryChanged",
      "TaskRoleChanged", "TaskServicesChanged", "TaskMoved", "TaskUnlisted", "RefreshSummaryRowRecorded", "EngagementOpened",
      "ScopeChanged", "SeatsChanged", "MotionsChanged", "PhaseChanged", "TaskCompleted", "TaskReopened",
      "TaskMarkedNotApplicable", "ConsumptionStatusSet", "ServiceStatusSet", "TargetDateSet", "NoteAdded", "ContactAdded",
      "ContactChanged", "UsageRecorded", "CorrectionRecorded", "LedgerRecovered", "NoSuchType"};
  return all;
}
template <class R>
void round_trip(const R& decoded, const std::string_view bytes) {
  if (!decoded.ok()) return;
  FTL_FUZZ_CHECK(ftl::schema::encode(*decoded).bytes == bytes);
  (void)ftl::schema::check_event_text(*decoded).ok();
}
}  // namespace

FTL_FUZZ_ENTRY(fuzz_payload) {
  if (size < 2) return 0;
  const auto& type = types()[data[0] % types().size()];
  const std::uint32_t version = data[1] % 4;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  try {
    (void)ftl::schema::payload_json(type, version, bytes).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (...) {
    FTL_FUZZ_CHECK(!"payload_json threw");
  }
  if (ftl::schema::is_catalog_type(type)) round_trip(ftl::schema::decode_catalog(type, version, bytes), bytes);
  else if (ftl::schema::is_ledger_type(type)) round_trip(ftl::schema::decode_ledger_event(type, version, bytes), bytes);
  else round_trip(ftl::schema::decode_engagement(type, version, bytes), bytes);
  return 0;
}
