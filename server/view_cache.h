// Views sent again while they hold: a view with a version tag (engine Operation::version) is
// built once per tag and its bytes kept by request target; the tag is its ETag, so a client that
// holds it is answered 304. Nothing here knows HTTP beyond the tag's quoting.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/operations.h"

namespace ftl::server {

// The bytes of a document as every response carries them: compact, invalid UTF-8 replaced.
std::string document_bytes(const nlohmann::json& doc);

// Whether an If-None-Match header names this (quoted) tag: "*", or one of a list, weak or strong.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

struct KeptView {
  std::string etag;                          // quoted, as the ETag header carries it
  std::shared_ptr<const std::string> body;   // null when not_modified
  bool not_modified = false;                 // the client's If-None-Match is the current tag
};

class ViewCache {
 public:
  explicit ViewCache(std::size_t capacity = 4096) : capacity_(capacity) {}
  // nullopt: the operation keeps no tag for these arguments (run it as any other). A view built
  // while the ledger moved on is sent untagged and not kept.
  Result<std::optional<KeptView>> serve(engine::Call& call, const engine::Operation& op, const nlohmann::json& args,
                                        const std::string& target, std::string_view if_none_match);

 private:
  struct Entry {
    std::uint64_t head = 0;  // the ledger's head sequence when the tag was last found current
    std::string tag;
    std::shared_ptr<const std::string> body;
  };
  Result<std::string> current_tag(engine::Call& call, const engine::Operation& op, const nlohmann::json& args,
                                  const std::string& target, std::uint64_t head);
  std::size_t capacity_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> kept_;
};

}  // namespace ftl::server
