#include "engine/args.h"

#include "engine/engagement_service.h"
#include "schema/parse.h"

namespace ftl::engine {

using nlohmann::json;

namespace {
std::string shown(const json& v) {
  auto s = v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 64 ? s.substr(0, 64) + "..." : s;
}
}  // namespace

Args::Args(const json& args, std::string operation) : args_(args), op_(std::move(operation)) {
  if (!args_.is_object() && !args_.is_null())
    fail(Status::InvalidArgument("the arguments of " + op_ + " are not a JSON object", "send an object of named fields"));
}

void Args::fail(Status s) {
  if (error_.ok()) error_ = std::move(s);
}

const json* Args::get(const std::string& key) {
  read_.insert(key);
  if (!args_.is_object()) return nullptr;
  auto it = args_.find(key);
  if (it == args_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool Args::has(const std::string& key) const { return args_.is_object() && args_.contains(key) && !args_[key].is_null(); }

const json& Args::raw(const std::string& key) {
  static const json kNull;
  const json* v = get(key);
  return v != nullptr ? *v : kNull;
}

std::string Args::text(const std::string& key, bool required) {
  auto v = maybe_text(key);
  if (!v && required) fail(Status::InvalidArgument(key + " is required by " + op_).tagged("field." + key));
  return v.value_or("");
}

std::optional<std::string> Args::maybe_text(const std::string& key) {
  const json* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    fail(Status::InvalidArgument(key + " " + shown(*v) + " is not text", "send it as a JSON string"));
    return std::nullopt;
  }
  auto s = v->get<std::string>();
  if (auto st = schema::check_text(s, key); !st.ok()) {
    fail(st);
    return std::nullopt;
  }
  return s;
}

std::uint64_t Args::number(const std::string& key, std::uint64_t max, bool required, std::uint64_t fallback) {
  const json* v = get(key);
  if (v == nullptr) {
    if (required) fail(Status::InvalidArgument(key + " is required by " + op_).tagged("field." + key));
    return fallback;
  }
  if (v->is_number_unsigned() || (v->is_number_integer() && v->get<std::int64_t>() >= 0)) {
    const auto n = v->get<std::uint64_t>();
    if (n <= max) return n;
  } else if (v->is_string()) {
    auto n = schema::parse_uint(v->get<std::string>(), key, 0, max);
    if (n.ok()) return *n;
  }
  fail(Status::InvalidArgument(key + " " + shown(*v) + " is not a whole number from 0 to " + std::to_string(max)));
  return fallback;
}

bool Args::flag(const std::string& key) {
  const json* v = get(key);
  if (v == nullptr) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    const auto s = v->get<std::string>();
    if (s == "true" || s == "1" || s.empty()) return true;
    if (s == "false" || s == "0") return false;
  }
  fail(Status::InvalidArgument(key + " " + shown(*v) + " is neither true nor false"));
  return false;
}

std::optional<std::int64_t> Args::time(const std::string& key) {
  auto v = maybe_text(key);
  if (!v || v->empty()) return std::nullopt;
  auto t = schema::parse_time(*v);
  if (!t) fail(Status::InvalidArgument(key + " '" + shown(*v) + "' is not a date or time", "write 2026-11-24 or 2026-11-24T09:30:00Z"));
  return t;
}

std::optional<std::vector<std::string>> Args::names(const std::string& key) {
  const json* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_string()) {
    auto s = maybe_text(key);
    if (!s) return std::nullopt;
    return split_names(*s);
  }
  if (v->is_array()) {
    std::vector<std::string> out;
    for (const auto& x : *v) {
      if (!x.is_string()) {
        fail(Status::InvalidArgument(key + " holds " + shown(x) + ", which is not text"));
        return std::nullopt;
      }
      auto s = x.get<std::string>();
      if (auto st = schema::check_text(s, key); !st.ok()) {
        fail(st);
        return std::nullopt;
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  fail(Status::InvalidArgument(key + " " + shown(*v) + " is neither a list of names nor text"));
  return std::nullopt;
}

Status Args::done() const {
  if (!error_.ok()) return error_;
  if (!args_.is_object()) return Status::Ok();
  for (const auto& [k, v] : args_.items()) {
    if (read_.count(k) != 0) continue;
    if (k == "actor")
      return Status::InvalidArgument("actor cannot be set: who records an event is the caller's own identity").tagged("args.actor");
    return Status::InvalidArgument(k + " is not an argument of " + op_).tagged("args.unknown");
  }
  return Status::Ok();
}

}  // namespace ftl::engine
