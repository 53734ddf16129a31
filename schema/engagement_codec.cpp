#include "schema/codec_impl.h"

namespace ftl::schema {

// Field lists. A new field goes at the end, read only when `version` says it is there, and
// the class version below goes up by one; a new byte fixture is added in tests/data/fixtures.
template <class A> void serialize(A& a, EngagementOpened& e, std::uint32_t) {
  a(cereal::make_nvp("engagement_id", e.engagement_id), cereal::make_nvp("customer", e.customer),
    cereal::make_nvp("seats", e.seats), cereal::make_nvp("services", e.services),
    cereal::make_nvp("motions", e.motions), cereal::make_nvp("phase", e.phase),
    cereal::make_nvp("exception", e.exception));
}
template <class A> void serialize(A& a, ScopeChanged& e, std::uint32_t) {
  a(cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, SeatsChanged& e, std::uint32_t) {
  a(cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, MotionsChanged& e, std::uint32_t) {
  a(cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, PhaseChanged& e, std::uint32_t) {
  a(cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, TaskCompleted& e, std::uint32_t) {
  a(cereal::make_nvp("task", e.task), cereal::make_nvp("playbook", e.playbook), cereal::make_nvp("note", e.note),
    cereal::make_nvp("from", e.from));
}
template <class A> void serialize(A& a, TaskReopened& e, std::uint32_t) {
  a(cereal::make_nvp("task", e.task), cereal::make_nvp("from", e.from), cereal::make_nvp("reason", e.reason));
}
template <class A> void serialize(A& a, TaskMarkedNotApplicable& e, std::uint32_t) {
  a(cereal::make_nvp("task", e.task), cereal::make_nvp("playbook", e.playbook), cereal::make_nvp("reason", e.reason),
    cereal::make_nvp("from", e.from));
}
template <class A> void serialize(A& a, ConsumptionStatusSet& e, std::uint32_t) {
  a(cereal::make_nvp("service", e.service), cereal::make_nvp("l1_from", e.l1_from), cereal::make_nvp("l1_to", e.l1_to),
    cereal::make_nvp("l2_from", e.l2_from), cereal::make_nvp("l2_to", e.l2_to),
    cereal::make_nvp("target_from", e.target_from), cereal::make_nvp("target_to", e.target_to));
}
template <class A> void serialize(A& a, ServiceStatusSet& e, std::uint32_t) {
  a(cereal::make_nvp("service", e.service), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, TargetDateSet& e, std::uint32_t) {
  a(cereal::make_nvp("service", e.service), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, NoteAdded& e, std::uint32_t) {
  a(cereal::make_nvp("kind", e.kind), cereal::make_nvp("text", e.text), cereal::make_nvp("step", e.step),
    cereal::make_nvp("item", e.item));
}
template <class A> void serialize(A& a, ContactDetails& c, std::uint32_t) {
  a(cereal::make_nvp("name", c.name), cereal::make_nvp("role", c.role),
    cereal::make_nvp("survey_eligible", c.survey_eligible), cereal::make_nvp("language", c.language),
    cereal::make_nvp("country", c.country), cereal::make_nvp("services", c.services));
}
template <class A> void serialize(A& a, ContactAdded& e, std::uint32_t) {
  a(cereal::make_nvp("contact_id", e.contact_id), cereal::make_nvp("contact", e.contact));
}
template <class A> void serialize(A& a, ContactChanged& e, std::uint32_t) {
  a(cereal::make_nvp("contact_id", e.contact_id), cereal::make_nvp("from", e.from), cereal::make_nvp("to", e.to));
}
template <class A> void serialize(A& a, UsageRecorded& e, std::uint32_t) {
  a(cereal::make_nvp("active_users", e.active_users), cereal::make_nvp("source", e.source));
}
template <class A> void serialize(A& a, CorrectionRecorded& e, std::uint32_t) {
  a(cereal::make_nvp("corrects", e.corrects), cereal::make_nvp("corrected_type", e.corrected_type),
    cereal::make_nvp("reason", e.reason), cereal::make_nvp("fields", e.fields));
}

}  // namespace ftl::schema

// Class versions: permanent once an event of that version has been written.
CEREAL_CLASS_VERSION(ftl::schema::EngagementOpened, 1);
CEREAL_CLASS_VERSION(ftl::schema::ScopeChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::SeatsChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::MotionsChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::PhaseChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskCompleted, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskReopened, 1);
CEREAL_CLASS_VERSION(ftl::schema::TaskMarkedNotApplicable, 1);
CEREAL_CLASS_VERSION(ftl::schema::ConsumptionStatusSet, 1);
CEREAL_CLASS_VERSION(ftl::schema::ServiceStatusSet, 1);
CEREAL_CLASS_VERSION(ftl::schema::TargetDateSet, 1);
CEREAL_CLASS_VERSION(ftl::schema::NoteAdded, 1);
CEREAL_CLASS_VERSION(ftl::schema::ContactDetails, 1);
CEREAL_CLASS_VERSION(ftl::schema::ContactAdded, 1);
CEREAL_CLASS_VERSION(ftl::schema::ContactChanged, 1);
CEREAL_CLASS_VERSION(ftl::schema::UsageRecorded, 1);
CEREAL_CLASS_VERSION(ftl::schema::CorrectionRecorded, 1);

namespace ftl::schema {

const char* type_name(const EngagementEvent& e) { return detail::variant_type_name(e); }

Encoded encode(const EngagementEvent& e) { return detail::encode_variant(e); }

Result<EngagementEvent> decode_engagement(std::string_view type, std::uint32_t version, std::string_view bytes) {
  return detail::decode_variant<EngagementEvent>(type, version, bytes);
}

namespace detail {
nlohmann::json engagement_json(std::string_view type, std::uint32_t version, std::string_view bytes) {
  auto data = json_variant<EngagementEvent>(type, version, bytes);
  if (data.is_object() && data.contains("fields") && data["fields"].is_array()) {
    nlohmann::json f = nlohmann::json::object();
    for (auto& kv : data["fields"]) f[kv["first"].get<std::string>()] = kv["second"];
    data["fields"] = std::move(f);
  }
  return data;
}
Status skim_engagement(std::string_view type, std::uint32_t version, std::string_view bytes) {
  return skim_variant<EngagementEvent>(type, version, bytes);
}
}  // namespace detail

Status check_event_text(const EngagementEvent& e) { return detail::check_variant_text(e); }

}  // namespace ftl::schema
