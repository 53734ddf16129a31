#include "schema/codec.h"

#include "schema/codec_impl.h"

namespace ftl::schema {

// Field lists. A new field goes at the end, read only when `version` says it is there, and
// the class version below goes up by one; a new byte fixture is added in tests/data/fixtures.
template <class A> void serialize(A& a, PlaybookImported& e, std::uint32_t) {
  a(cereal::make_nvp("playbook_id", e.playbook_id), cereal::make_nvp("title", e.title),
    cereal::make_nvp("phase", e.phase), cereal::make_nvp("source", e.source),
    cereal::make_nvp("content_sha256", e.content_sha256), cereal::make_nvp("motions", e.motions),
    cereal::make_nvp("front_matter", e.front_matter), cereal::make_nvp("steps", e.steps),
    cereal::make_nvp("tasks", e.tasks));
}
template <class A> void serialize(A& a, StepDefinition& s, std::uint32_t) {
  a(cereal::make_nvp("name", s.name), cereal::make_nvp("position", s.position),
    cereal::make_nvp("primary_role", s.primary_role), cereal::make_nvp("motions", s.motions),
    cereal::make_nvp("applies_to", s.applies_to), cereal::make_nvp("inputs", s.inputs),
    cereal::make_nvp("outputs", s.outputs));
}
template <class A> void serialize(A& a, StepAdded& e, std::uint32_t) { a(cereal::make_nvp("step", e.step)); }
template <class A> void serialize(A& a, StepChanged& e, std::uint32_t) {
  a(cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, StepRemoved& e, std::uint32_t) { a(cereal::make_nvp("name", e.name)); }
template <class A> void serialize(A& a, TaskAdded& e, std::uint32_t) {
  a(cereal::make_nvp("id", e.id), cereal::make_nvp("name", e.name), cereal::make_nvp("mandatory", e.mandatory),
    cereal::make_nvp("role", e.role), cereal::make_nvp("services", e.services), cereal::make_nvp("step", e.step));
}
template <class A> void serialize(A& a, TaskRenamed& e, std::uint32_t) {
  a(cereal::make_nvp("id", e.id), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, TaskMandatoryChanged& e, std::uint32_t) {
  a(cereal::make_nvp("id", e.id), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, TaskRoleChanged& e, std::uint32_t) {
  a(cereal::make_nvp("id", e.id), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, TaskServicesChanged& e, std::uint32_t) {
  a(cereal::make_nvp("id", e.id), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, TaskMoved& e, std::uint32_t) {
  a(cereal::make_nvp("id", e.id), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, TaskUnlisted& e, std::uint32_t) {
  a(cereal::make_nvp("id", e.id), cereal::make_nvp("name", e.name), cereal::make_nvp("step", e.step));
}
template <class A> void serialize(A& a, RefreshSummaryRowRecorded& e, std::uint32_t) {
  a(cereal::make_nvp("date", e.date), cereal::make_nvp("who", e.who), cereal::make_nvp("what", e.what),
    cereal::make_nvp("notes", e.notes));
}

}  // namespace ftl::schema

// Class versions: permanent once an event of that version has been written.
CEREAL_CLASS_VERSION(ftl::schema::PlaybookImported, 1);
CEREAL_CLASS_VERSION(ftl::schema::StepDefinition, 1);
CEREAL_CLASS_VERSION(ftl::schema::StepAdded, 1);
CEREAL_CLASS_VERSION(ftl::schema::StepChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::StepRemoved, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskAdded, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskRenamed, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskMandatoryChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskRoleChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskServicesChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskMoved, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskUnlisted, 1);
CEREAL_CLASS_VERSION(ftl::schema::RefreshSummaryRowRecorded, 1);

namespace ftl::schema {

namespace detail {
void unwrap_cereal(nlohmann::json& j) {
  if (j.is_object()) {
    j.erase("cereal_class_version");
    for (auto& [k, v] : j.items()) unwrap_cereal(v);
  } else if (j.is_array()) {
    for (auto& v : j) unwrap_cereal(v);
  }
}
}  // namespace detail

const char* type_name(const CatalogEvent& e) { return detail::variant_type_name(e); }

bool is_catalog_type(std::string_view type) {
  return detail::with_type<CatalogEvent>(type, [](auto) {});
}

Encoded encode(const CatalogEvent& e) { return detail::encode_variant(e); }

Result<CatalogEvent> decode_catalog(std::string_view type, std::uint32_t version, std::string_view bytes) {
  return detail::decode_variant<CatalogEvent>(type, version, bytes);
}

Status check_event_text(const CatalogEvent& e) { return detail::check_variant_text(e); }

Status check_payload(std::string_view type, std::uint32_t version, std::string_view bytes) {
  if (is_catalog_type(type)) return detail::skim_variant<CatalogEvent>(type, version, bytes);
  if (is_ledger_type(type)) return detail::skim_ledger(type, version, bytes);
  return detail::skim_engagement(type, version, bytes);
}

nlohmann::json payload_json(std::string_view type, std::uint32_t version, std::string_view bytes) {
  if (is_ledger_type(type)) return detail::ledger_json(type, version, bytes);
  if (!is_catalog_type(type)) return detail::engagement_json(type, version, bytes);
  auto data = detail::json_variant<CatalogEvent>(type, version, bytes);
  if (data.contains("front_matter") && data["front_matter"].is_array()) {
    nlohmann::json fm = nlohmann::json::object();
    for (auto& kv : data["front_matter"]) fm[kv["first"].get<std::string>()] = kv["second"];
    data["front_matter"] = std::move(fm);
  }
  return data;
}

}  // namespace ftl::schema
