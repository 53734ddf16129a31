// Plain sentences in the playbooks' own voice: "Added tasks 3731 and 3743".
#pragma once

#include <string>
#include <vector>

namespace ftl::projections {

// One change a view reports: "<verb> <noun> <object> <tail>", e.g. {"Changed", "task", "3690", "to Mandatory"}.
struct Change {
  std::string verb, noun, object, tail;
  bool operator==(const Change&) const = default;
};

std::string join_list(const std::vector<std::string>& items, const std::string& sep);
// "a", "a and b", "a, b and c"
std::string join_and(const std::vector<std::string>& items);
// Merges changes that differ only in their object, keeping first-seen order:
// {Added task 1}, {Added task 2} -> "Added tasks 1 and 2". Sentences are joined with "; ".
std::string summarize(const std::vector<Change>& changes);

}  // namespace ftl::projections
