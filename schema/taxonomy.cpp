#include "schema/taxonomy.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "schema/playbook_page.h"

namespace ftl::schema {
namespace {

// Lower-case ASCII, spaces collapsed, a leading "l1 - " / "l2 - " dropped.
std::string fold(std::string_view text) {
  std::string s;
  for (char c : normalize_space(text)) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  for (const char* p : {"l1 - ", "l2 - ", "l1-", "l2-", "l1:", "l2:"})
    if (s.starts_with(p)) s = normalize_space(s.substr(std::string_view(p).size()));
  return s;
}

std::optional<std::string> find(std::string_view text, const std::vector<std::string>& values) {
  const auto f = fold(text);
  for (const auto& v : values)
    if (fold(v) == f) return v;
  return std::nullopt;
}

const std::map<std::string, std::vector<std::string>>& taxonomy() {
  static const std::map<std::string, std::vector<std::string>> kTaxonomy = {
      {"Status Unknown", {"Customer Unresponsive", "New Subscription or Workload"}},
      {"In Progress", {"Technical Onboarding and Deployment", "Migration", "Solution or User Adoption"}},
      {"No Intent", {"Using Competitive Solution", "Using Microsoft On-Premises Solution", "Executive Sponsorship"}},
      {"Blocked",
       {"Customer IT Infrastructure and Remediation", "IT Change Management and Resourcing", "Legal/Regulatory",
        "Security/Privacy (Non-Product/Feature)", "Adoption Readiness", "Product Feature/Capability",
        "Service Reliability", "App Compatibility", "Partner Engagement", "Billing, Licensing and Subscription"}},
      {"Duplicate/Invalid", {}},
  };
  return kTaxonomy;
}

std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const std::vector<std::string>& l1_values() {
  static const std::vector<std::string> kL1 = {"Status Unknown", "In Progress", "No Intent", "Blocked", "Duplicate/Invalid"};
  return kL1;
}

const std::vector<std::string>& l2_values(std::string_view canonical_l1) {
  static const std::vector<std::string> kNone;
  auto it = taxonomy().find(std::string(canonical_l1));
  return it == taxonomy().end() ? kNone : it->second;
}

std::optional<std::string> canonical_l1(std::string_view text) { return find(text, l1_values()); }

std::optional<std::string> canonical_l2(std::string_view canonical_l1, std::string_view text) {
  return find(text, l2_values(canonical_l1));
}

std::optional<std::string> l1_of_l2(std::string_view text) {
  for (const auto& [l1, l2s] : taxonomy())
    if (find(text, l2s)) return l1;
  return std::nullopt;
}

const std::vector<std::string>& service_status_values() {
  static const std::vector<std::string> kStatus = {"Initiate", "Initiate - Serialized", "Assess", "Remediate",
                                                   "Enable",   "Migrate",               "Adoption"};
  return kStatus;
}

std::optional<std::string> canonical_service_status(std::string_view text) {
  return find(text, service_status_values());
}

int service_status_rank(std::string_view canonical) {
  const auto& v = service_status_values();
  auto it = std::find(v.begin(), v.end(), canonical);
  return it == v.end() ? -1 : static_cast<int>(it - v.begin());
}

const std::vector<std::string>& note_kinds() {
  static const std::vector<std::string> kKinds = {"technical-enablement", "engagement-management", "environment"};
  return kKinds;
}

std::optional<std::string> canonical_note_kind(std::string_view text) {
  auto f = fold(text);
  std::replace(f.begin(), f.end(), ' ', '-');
  for (const auto& k : note_kinds())
    if (k == f) return k;
  return std::nullopt;
}

std::string note_kind_title(std::string_view kind) {
  if (kind == "technical-enablement") return "Technical Enablement";
  if (kind == "engagement-management") return "Engagement Management";
  if (kind == "environment") return "Environment";
  return std::string(kind);
}

std::string nearest(std::string_view text, const std::vector<std::string>& candidates) {
  const auto f = fold(text);
  std::string best;
  std::size_t best_d = ~std::size_t{0};
  for (const auto& c : candidates) {
    const auto d = distance(f, fold(c));
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best_d <= std::max<std::size_t>(2, f.size() / 3) ? best : std::string();
}

}  // namespace ftl::schema
