// The cereal archives ftl reads and shows payloads and snapshots with. Internal to schema/ and
// projections/, which instantiate their serialize() functions with them.
//
//  - BoundedInputArchive reads the bytes cereal's PortableBinaryOutputArchive writes (an
//    endianness byte, then each value little-endian; sizes as u64) straight from a byte range,
//    and refuses any size larger than the bytes that remain: cereal's own input archive resizes
//    a string or vector to whatever size the bytes claim, so eight forged bytes could ask for
//    terabytes (found by fuzzing).
//  - JsonArchive builds an nlohmann::json of a value (objects by field name, arrays for
//    sequences), with no JSON text in between.
//  - TextCheckArchive visits every string of a value and checks it as text.
#pragma once

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "schema/parse.h"

namespace ftl::schema::archives {

// ---- BoundedInputArchive -------------------------------------------------------------------

// Class versions the structs of this build have (each type's own is checked by the codec):
// a stored version outside 1..kMaxClassVersion is no version of ours.
inline constexpr std::uint32_t kMaxClassVersion = 1;

// Reads portable-binary values from a byte range; a read past its end throws. Reads are strict,
// so that what decodes is what an encoder wrote: a bool is 0 or 1, a class version one we have.
class ByteSource {
 public:
  explicit ByteSource(std::string_view bytes) : bytes_(bytes) {
    std::uint8_t little = 0;
    load_raw(&little, 1);
    // schema/EVENTS.md: every payload and snapshot state is little-endian, flag 0x01.
    if (little != 1) throw cereal::Exception("the endianness flag is " + std::to_string(little) + ", not 1 (little-endian)");
    swap_ = !host_little();
  }
  void load_raw(void* out, std::size_t n) {
    if (n > remaining()) throw cereal::Exception("the bytes end " + std::to_string(n - remaining()) + " bytes early");
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
  }
  template <std::size_t Size>
  void load_values(void* out, std::size_t n) {
    load_raw(out, n);
    if (swap_ && Size > 1)
      for (std::size_t i = 0; i < n; i += Size) std::reverse(static_cast<unsigned char*>(out) + i, static_cast<unsigned char*>(out) + i + Size);
  }
  // A size, refused if larger than what remains: every element takes at least one byte.
  std::uint64_t load_size() {
    std::uint64_t size = 0;
    load_values<8>(&size, 8);
    if (size > remaining()) throw cereal::Exception("a size of " + std::to_string(size) + " runs past the end of the bytes");
    return size;
  }
  std::string_view take(std::size_t n) {
    if (n > remaining()) throw cereal::Exception("the bytes end early");
    const auto v = bytes_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  void load_bool(bool& b) {
    std::uint8_t v = 0;
    load_raw(&v, 1);
    if (v > 1) throw cereal::Exception("a bool stored as " + std::to_string(v));
    b = v == 1;
  }
  void load_class_version(std::uint32_t& v) {
    load_values<4>(&v, 4);
    if (v == 0 || v > kMaxClassVersion) throw cereal::Exception("class version " + std::to_string(v) + " is none this build has");
  }

 private:
  static bool host_little() {
    const std::uint16_t one = 1;
    unsigned char b;
    std::memcpy(&b, &one, 1);
    return b == 1;
  }
  std::string_view bytes_;
  std::size_t pos_ = 0;
  bool swap_ = false;
};

class BoundedInputArchive : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision>, public ByteSource {
 public:
  explicit BoundedInputArchive(std::string_view bytes) : InputArchive(this), ByteSource(bytes) {}
};

template <class T, cereal::traits::EnableIf<std::is_arithmetic<T>::value> = cereal::traits::sfinae>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, T& t) {
  if constexpr (std::is_same_v<T, bool>) ar.load_bool(t);
  else ar.load_values<sizeof(T)>(std::addressof(t), sizeof(t));
}
template <class T> void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& t) {
  if constexpr (std::is_same_v<std::remove_cv_t<std::remove_reference_t<T>>, std::uint32_t>) {
    if (std::strcmp(t.name, "cereal_class_version") == 0) return ar.load_class_version(t.value);
  }
  ar(t.value);
}
template <class T> void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& t) {
  t.size = static_cast<std::remove_reference_t<T>>(ar.load_size());
}
template <class T> void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& bd) {
  using TT = std::remove_pointer_t<T>;
  ar.load_values<sizeof(TT)>(bd.data, static_cast<std::size_t>(bd.size));
}
template <class T> void prologue(BoundedInputArchive&, const T&) {}
template <class T> void epilogue(BoundedInputArchive&, const T&) {}

// ---- TextSkimArchive ------------------------------------------------------------------------
// Reads a payload as BoundedInputArchive does, but checks each string as text where it lies in
// the bytes and keeps none of them: how verify checks every payload without copying it.

class TextSkimArchive : public cereal::InputArchive<TextSkimArchive, cereal::AllowEmptyClassElision>, public ByteSource {
 public:
  explicit TextSkimArchive(std::string_view bytes) : InputArchive(this), ByteSource(bytes) {}
  void check(std::string_view s) {
    if (!status.ok()) return;
    if (auto st = check_text(s, field != nullptr ? field : "a value"); !st.ok()) status = std::move(st);
  }
  const char* field = nullptr;  // the name of the field being read (the serialize() functions' literals)
  Status status;
};

template <class T, cereal::traits::EnableIf<std::is_arithmetic<T>::value> = cereal::traits::sfinae>
void CEREAL_LOAD_FUNCTION_NAME(TextSkimArchive& ar, T& t) {
  if constexpr (std::is_same_v<T, bool>) ar.load_bool(t);
  else ar.load_values<sizeof(T)>(std::addressof(t), sizeof(t));
}
template <class T> void CEREAL_LOAD_FUNCTION_NAME(TextSkimArchive& ar, cereal::NameValuePair<T>& nvp) {
  const char* name = nvp.name;
  if constexpr (std::is_same_v<std::remove_cv_t<std::remove_reference_t<T>>, std::uint32_t>) {
    if (std::strcmp(name, "cereal_class_version") == 0) return ar.load_class_version(nvp.value);
  }
  const bool inner = std::strcmp(name, "first") == 0 || std::strcmp(name, "second") == 0 || std::strcmp(name, "cereal_class_version") == 0;
  const char* outer = ar.field;
  if (!inner) ar.field = name;
  ar(nvp.value);
  ar.field = outer;
}
template <class T> void CEREAL_LOAD_FUNCTION_NAME(TextSkimArchive& ar, cereal::SizeTag<T>& t) {
  t.size = static_cast<std::remove_reference_t<T>>(ar.load_size());
}
template <class C, class Tr, class A>
void CEREAL_LOAD_FUNCTION_NAME(TextSkimArchive& ar, std::basic_string<C, Tr, A>&) {
  static_assert(sizeof(C) == 1, "text is bytes");
  ar.check(ar.take(static_cast<std::size_t>(ar.load_size())));
}
template <class T> void prologue(TextSkimArchive&, const T&) {}
template <class T> void epilogue(TextSkimArchive&, const T&) {}

// ---- JsonArchive ---------------------------------------------------------------------------

class JsonArchive : public cereal::OutputArchive<JsonArchive, cereal::AllowEmptyClassElision> {
 public:
  JsonArchive() : OutputArchive(this) {}
  nlohmann::json& slot() {
    if (stack_.empty()) return root;
    nlohmann::json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(nullptr);
      return top.back();
    }
    std::string name = next_name_ != nullptr ? next_name_ : "value" + std::to_string(top.size());
    next_name_ = nullptr;
    return top[name];
  }
  void start_node() {
    nlohmann::json& s = slot();
    s = nlohmann::json::object();
    stack_.push_back(&s);
  }
  void finish_node() {
    if (!stack_.empty()) stack_.pop_back();
  }
  void make_array() {
    if (!stack_.empty()) *stack_.back() = nlohmann::json::array();
  }
  void set_name(const char* name) { next_name_ = name; }
  nlohmann::json root;

 private:
  std::vector<nlohmann::json*> stack_;  // nodes are std::map entries or the last array element: stable while open
  const char* next_name_ = nullptr;
};

template <class T>
inline constexpr bool kJsonLeaf = std::is_arithmetic_v<T> || std::is_same_v<T, std::string>;
template <class T> void prologue(JsonArchive& ar, const T&) {
  if constexpr (!kJsonLeaf<T>) ar.start_node();
}
template <class T> void epilogue(JsonArchive& ar, const T&) {
  if constexpr (!kJsonLeaf<T>) ar.finish_node();
}
template <class T> void prologue(JsonArchive&, const cereal::NameValuePair<T>&) {}
template <class T> void epilogue(JsonArchive&, const cereal::NameValuePair<T>&) {}
template <class T> void prologue(JsonArchive&, const cereal::SizeTag<T>&) {}
template <class T> void epilogue(JsonArchive&, const cereal::SizeTag<T>&) {}
template <class T, cereal::traits::EnableIf<std::is_arithmetic<T>::value> = cereal::traits::sfinae>
void CEREAL_SAVE_FUNCTION_NAME(JsonArchive& ar, const T& t) {
  ar.slot() = t;
}
template <class C, class Tr, class A>
void CEREAL_SAVE_FUNCTION_NAME(JsonArchive& ar, const std::basic_string<C, Tr, A>& s) {
  ar.slot() = std::string(s.data(), s.size());
}
template <class T> void CEREAL_SAVE_FUNCTION_NAME(JsonArchive& ar, const cereal::NameValuePair<T>& nvp) {
  ar.set_name(nvp.name);
  ar(nvp.value);
}
template <class T> void CEREAL_SAVE_FUNCTION_NAME(JsonArchive& ar, const cereal::SizeTag<T>&) { ar.make_array(); }

// ---- TextCheckArchive ----------------------------------------------------------------------

class TextCheckArchive : public cereal::OutputArchive<TextCheckArchive, cereal::AllowEmptyClassElision> {
 public:
  TextCheckArchive() : OutputArchive(this) {}
  void check(std::string_view s) {
    if (status.ok()) status = check_text(s, field.empty() ? "a value" : field);
  }
  std::string field;  // the name of the field being visited
  Status status;
};
template <class T> void prologue(TextCheckArchive&, const T&) {}
template <class T> void epilogue(TextCheckArchive&, const T&) {}
template <class T, cereal::traits::EnableIf<std::is_arithmetic<T>::value> = cereal::traits::sfinae>
void CEREAL_SAVE_FUNCTION_NAME(TextCheckArchive&, const T&) {}
template <class T> void CEREAL_SAVE_FUNCTION_NAME(TextCheckArchive& ar, const cereal::NameValuePair<T>& nvp) {
  const std::string name = nvp.name;
  const bool inner = name == "first" || name == "second" || name == "cereal_class_version";  // keep the field's own name
  const std::string outer = ar.field;
  if (!inner) ar.field = name;
  ar(nvp.value);
  ar.field = outer;
}
template <class T> void CEREAL_SAVE_FUNCTION_NAME(TextCheckArchive&, const cereal::SizeTag<T>&) {}
template <class C, class Tr, class A>
void CEREAL_SAVE_FUNCTION_NAME(TextCheckArchive& ar, const std::basic_string<C, Tr, A>& s) {
  ar.check(std::string_view(s.data(), s.size()));
}

}  // namespace ftl::schema::archives

CEREAL_REGISTER_ARCHIVE(ftl::schema::archives::BoundedInputArchive)
CEREAL_REGISTER_ARCHIVE(ftl::schema::archives::JsonArchive)
CEREAL_REGISTER_ARCHIVE(ftl::schema::archives::TextCheckArchive)
CEREAL_REGISTER_ARCHIVE(ftl::schema::archives::TextSkimArchive)
// What it reads is what PortableBinaryOutputArchive writes (cereal pairs them to find a
// type's load for its save).
// (CEREAL_SETUP_ARCHIVE_TRAITS would also pair that output archive back, which cereal has done.)
namespace cereal::traits::detail {
template <>
struct get_output_from_input<ftl::schema::archives::BoundedInputArchive> {
  using type = cereal::PortableBinaryOutputArchive;
};
template <>
struct get_output_from_input<ftl::schema::archives::TextSkimArchive> {
  using type = cereal::PortableBinaryOutputArchive;
};
}  // namespace cereal::traits::detail
