#include "projections/sentences.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <cctype>

namespace ftl::projections {

std::string join_list(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string join_and(const std::vector<std::string>& items) {
  if (items.size() <= 1) return items.empty() ? "" : items[0];
  std::vector<std::string> head(items.begin(), items.end() - 1);
  return join_list(head, ", ") + " and " + items.back();
}

std::string summarize(const std::vector<Change>& changes) {
  struct Group {
    const Change* first;
    std::vector<std::string> objects;
    std::set<std::string> seen;
  };
  // One group per (verb, noun, tail), found through a map: an import of a page of 400,000
  // tasks has as many changes.
  std::vector<Group> groups;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
  for (const auto& c : changes) {
    auto [it, fresh] = index.try_emplace({c.verb, c.noun, c.tail}, groups.size());
    if (fresh) groups.push_back({&c, {}, {}});
    auto& g = groups[it->second];
    if (g.seen.insert(c.object).second) g.objects.push_back(c.object);
  }
  // Additions first, removals last, as the playbooks' Refresh Summaries write them.
  auto rank = [](const std::string& verb) {
    static const std::vector<std::string> kOrder = {"Opened", "Imported", "Added", "Listed", "Renamed", "Changed", "Changed the role of",
                                                    "Changed the services of", "Moved", "Updated"};
    auto it = std::find(kOrder.begin(), kOrder.end(), verb);
    return it == kOrder.end() ? (verb == "Removed" ? kOrder.size() + 1 : kOrder.size()) : static_cast<std::size_t>(it - kOrder.begin());
  };
  std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) { return rank(a.first->verb) < rank(b.first->verb); });
  std::vector<std::string> sentences;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    std::string verb = g.first->verb;
    if (i > 0 && !verb.empty()) verb[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(verb[0])));
    std::string s = verb;
    if (!g.first->noun.empty()) s += " " + g.first->noun + (g.objects.size() > 1 ? "s" : "");
    if (!g.objects.empty() && !g.objects[0].empty()) s += " " + join_and(g.objects);
    if (!g.first->tail.empty()) s += " " + g.first->tail;
    sentences.push_back(s);
  }
  return join_list(sentences, "; ");
}

}  // namespace ftl::projections
