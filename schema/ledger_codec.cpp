#include "schema/codec_impl.h"
#include "schema/ledger_events.h"

namespace ftl::schema {

template <class A> void serialize(A& a, LedgerRecovered::File& f, std::uint32_t) {
  a(cereal::make_nvp("name", f.name), cereal::make_nvp("bytes", f.bytes), cereal::make_nvp("sha256", f.sha256));
}
template <class A> void serialize(A& a, LedgerRecovered& e, std::uint32_t) {
  a(cereal::make_nvp("reason", e.reason), cereal::make_nvp("acknowledged_sequence", e.acknowledged_sequence),
    cereal::make_nvp("acknowledged_hash", e.acknowledged_hash), cereal::make_nvp("recovered_sequence", e.recovered_sequence),
    cereal::make_nvp("recovered_hash", e.recovered_hash), cereal::make_nvp("detail", e.detail),
    cereal::make_nvp("quarantine", e.quarantine), cereal::make_nvp("files", e.files));
}

template <class A> void serialize(A& a, TokenGranted& e, std::uint32_t) {
  a(cereal::make_nvp("name", e.name), cereal::make_nvp("role", e.role), cereal::make_nvp("token_sha256", e.token_sha256));
}
template <class A> void serialize(A& a, TokenRevoked& e, std::uint32_t) {
  a(cereal::make_nvp("name", e.name), cereal::make_nvp("reason", e.reason));
}

}  // namespace ftl::schema

// Class versions: permanent once an event of that version has been written.
CEREAL_CLASS_VERSION(ftl::schema::LedgerRecovered::File, 1);
CEREAL_CLASS_VERSION(ftl::schema::LedgerRecovered, 1);
CEREAL_CLASS_VERSION(ftl::schema::TokenGranted, 1);
CEREAL_CLASS_VERSION(ftl::schema::TokenRevoked, 1);

namespace ftl::schema {

Encoded encode(const LedgerEvent& e) { return detail::encode_variant(e); }

Result<LedgerEvent> decode_ledger_event(std::string_view type, std::uint32_t version, std::string_view bytes) {
  return detail::decode_variant<LedgerEvent>(type, version, bytes);
}

bool is_ledger_type(std::string_view type) {
  return detail::with_type<LedgerEvent>(type, [](auto) {});
}

Status check_event_text(const LedgerEvent& e) { return detail::check_variant_text(e); }

namespace detail {
nlohmann::json ledger_json(std::string_view type, std::uint32_t version, std::string_view bytes) {
  return json_variant<LedgerEvent>(type, version, bytes);
}
Status skim_ledger(std::string_view type, std::uint32_t version, std::string_view bytes) {
  return skim_variant<LedgerEvent>(type, version, bytes);
}
}  // namespace detail

}  // namespace ftl::schema
