#include "schema/codec.h"

#include <cereal/archives/json.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

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
namespace {

template <class T> std::uint32_t version_of() { return cereal::detail::Version<T>::version; }

// Calls fn(T{}) for the alternative of CatalogEvent whose kType is `type`.
template <class Fn, std::size_t I = 0>
bool with_type(std::string_view type, Fn&& fn) {
  if constexpr (I < std::variant_size_v<CatalogEvent>) {
    using T = std::variant_alternative_t<I, CatalogEvent>;
    if (type == T::kType) {
      fn(T{});
      return true;
    }
    return with_type<Fn, I + 1>(type, std::forward<Fn>(fn));
  }
  return false;
}

void unwrap_cereal(nlohmann::json& j) {
  if (j.is_object()) {
    j.erase("cereal_class_version");
    for (auto& [k, v] : j.items()) unwrap_cereal(v);
  } else if (j.is_array()) {
    for (auto& v : j) unwrap_cereal(v);
  }
}

}  // namespace

const char* type_name(const CatalogEvent& e) {
  return std::visit([](const auto& v) { return std::decay_t<decltype(v)>::kType; }, e);
}

bool is_catalog_type(std::string_view type) {
  return with_type(type, [](auto) {});
}

Encoded encode(const CatalogEvent& e) {
  return std::visit(
      [](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        std::ostringstream os;
        {
          cereal::PortableBinaryOutputArchive ar(os);
          ar(v);
        }
        return Encoded{T::kType, version_of<T>(), os.str()};
      },
      e);
}

Result<CatalogEvent> decode_catalog(std::string_view type, std::uint32_t version, std::string_view bytes) {
  std::optional<Result<CatalogEvent>> out;
  bool known = with_type(type, [&](auto proto) {
    using T = decltype(proto);
    if (version == 0 || version > version_of<T>()) {
      out = Status::Corruption(std::string(type) + " version " + std::to_string(version) + " is not one this build reads (it reads up to " +
                               std::to_string(version_of<T>()) + ")");
      return;
    }
    try {
      std::istringstream is{std::string(bytes)};
      cereal::PortableBinaryInputArchive ar(is);
      T v;
      ar(v);
      if (is.peek() != std::char_traits<char>::eof()) {
        out = Status::Corruption(std::string(type) + " payload has trailing bytes");
        return;
      }
      out = CatalogEvent(std::move(v));
    } catch (const std::exception& ex) {
      out = Status::Corruption(std::string(type) + " payload cannot be decoded: " + ex.what());
    }
  });
  if (!known) return Status::NotFound("unknown event type " + std::string(type));
  return std::move(*out);
}

nlohmann::json payload_json(std::string_view type, std::uint32_t version, std::string_view bytes) {
  auto ev = decode_catalog(type, version, bytes);
  if (!ev.ok()) return nullptr;
  std::ostringstream os;
  std::visit(
      [&](const auto& v) {
        cereal::JSONOutputArchive ar(os, cereal::JSONOutputArchive::Options::NoIndent());
        ar(cereal::make_nvp("data", v));
      },
      *ev);
  auto j = nlohmann::json::parse(os.str(), nullptr, false);
  if (j.is_discarded()) return nullptr;
  nlohmann::json data = std::move(j["data"]);
  unwrap_cereal(data);
  if (data.contains("front_matter") && data["front_matter"].is_array()) {
    nlohmann::json fm = nlohmann::json::object();
    for (auto& kv : data["front_matter"]) fm[kv["first"].get<std::string>()] = kv["second"];
    data["front_matter"] = std::move(fm);
  }
  return data;
}

}  // namespace ftl::schema
