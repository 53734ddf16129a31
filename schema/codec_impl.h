// Internal to schema/: the cereal machinery shared by the codecs of each event family. A
// family is a std::variant of event structs, each with kType, a serialize() found by ADL and
// a CEREAL_CLASS_VERSION, all declared before these templates are instantiated.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/vector.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <sstream>

#include "schema/archives.h"
#include "schema/codec.h"
#include "schema/parse.h"

namespace ftl::schema::detail {

template <class Variant>
Status check_variant_text(const Variant& e) {
  archives::TextCheckArchive ar;
  std::visit([&](const auto& v) { ar(v); }, e);
  return ar.status;
}

template <class T>
std::uint32_t version_of() {
  return cereal::detail::Version<T>::version;
}

// Calls fn(T{}) for the alternative of Variant whose kType is `type`; false if none.
template <class Variant, class Fn, std::size_t I = 0>
bool with_type(std::string_view type, Fn&& fn) {
  if constexpr (I < std::variant_size_v<Variant>) {
    using T = std::variant_alternative_t<I, Variant>;
    if (type == T::kType) {
      fn(T{});
      return true;
    }
    return with_type<Variant, Fn, I + 1>(type, std::forward<Fn>(fn));
  }
  return false;
}

template <class Variant>
const char* variant_type_name(const Variant& e) {
  return std::visit([](const auto& v) { return std::decay_t<decltype(v)>::kType; }, e);
}

template <class Variant>
Encoded encode_variant(const Variant& e) {
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

// The class version a payload carries first (after the endianness byte) is its envelope's.
inline Status version_matches(std::string_view type, std::uint32_t version, std::string_view bytes) {
  if (bytes.size() < 5) return Status::Corruption(std::string(type) + " payload is too short to hold a class version");
  const std::uint32_t stored = static_cast<std::uint8_t>(bytes[1]) | static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[2])) << 8 |
                               static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[3])) << 16 |
                               static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[4])) << 24;
  if (stored != version)
    return Status::Corruption(std::string(type) + " payload says class version " + std::to_string(stored) + " where its envelope says " +
                              std::to_string(version));
  return Status::Ok();
}

// Reads the payload through TextSkimArchive: E1 (schema/EVENTS.md) without building the event.
template <class Variant>
Status skim_variant(std::string_view type, std::uint32_t version, std::string_view bytes) {
  Status out;
  const bool known = with_type<Variant>(type, [&](auto proto) {
    using T = decltype(proto);
    if (version == 0 || version > version_of<T>()) {
      out = Status::Corruption(std::string(type) + " version " + std::to_string(version) + " is not one this build reads (it reads up to " +
                               std::to_string(version_of<T>()) + ")");
      return;
    }
    if (auto st = version_matches(type, version, bytes); !st.ok()) {
      out = st;
      return;
    }
    try {
      archives::TextSkimArchive ar(bytes);
      T v;
      ar(v);
      if (!ar.at_end()) out = Status::Corruption(std::string(type) + " payload has trailing bytes");
      else out = ar.status;
    } catch (const std::exception& ex) {
      out = Status::Corruption(std::string(type) + " payload cannot be decoded: " + ex.what());
    }
  });
  if (!known) return Status::NotFound("unknown event type " + std::string(type));
  return out;
}

template <class Variant>
Result<Variant> decode_variant(std::string_view type, std::uint32_t version, std::string_view bytes) {
  std::optional<Result<Variant>> out;
  const bool known = with_type<Variant>(type, [&](auto proto) {
    using T = decltype(proto);
    if (version == 0 || version > version_of<T>()) {
      out = Status::Corruption(std::string(type) + " version " + std::to_string(version) +
                               " is not one this build reads (it reads up to " + std::to_string(version_of<T>()) + ")");
      return;
    }
    if (auto st = version_matches(type, version, bytes); !st.ok()) {
      out = st;
      return;
    }
    try {
      archives::BoundedInputArchive ar(bytes);
      T v;
      ar(v);
      if (!ar.at_end()) {
        out = Status::Corruption(std::string(type) + " payload has trailing bytes");
        return;
      }
      out = Variant(std::move(v));
    } catch (const std::exception& ex) {
      out = Status::Corruption(std::string(type) + " payload cannot be decoded: " + ex.what());
    }
  });
  if (!known) return Status::NotFound("unknown event type " + std::string(type));
  return std::move(*out);
}

void unwrap_cereal(nlohmann::json& j);

// The payload as JSON with the field names of the serialize() functions; null if it does not decode.
template <class Variant>
nlohmann::json json_variant(std::string_view type, std::uint32_t version, std::string_view bytes) {
  auto ev = decode_variant<Variant>(type, version, bytes);
  if (!ev.ok()) return nullptr;
  nlohmann::json data;
  std::visit(
      [&](const auto& v) {
        archives::JsonArchive ar;
        ar(v);
        data = std::move(ar.root);
      },
      *ev);
  unwrap_cereal(data);
  return data;
}

nlohmann::json engagement_json(std::string_view type, std::uint32_t version, std::string_view bytes);
nlohmann::json ledger_json(std::string_view type, std::uint32_t version, std::string_view bytes);
Status skim_engagement(std::string_view type, std::uint32_t version, std::string_view bytes);
Status skim_ledger(std::string_view type, std::uint32_t version, std::string_view bytes);

}  // namespace ftl::schema::detail
