// Every parser of what users type (schema/parse.h, and the page's dates and names): any text.
// What one accepts is in its range and means what it says.
#include <cmath>
#include <string>

#include "engine/engagement_service.h"
#include "schema/parse.h"
#include "schema/playbook_page.h"
#include "schema/taxonomy.h"
#include "tests/fuzz/fuzz.h"

FTL_FUZZ_ENTRY(fuzz_parsers) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using namespace ftl::schema;
  if (auto v = parse_uint(text, "n", 3, 1000000); v.ok()) {
    FTL_FUZZ_CHECK(*v >= 3 && *v <= 1000000);
    FTL_FUZZ_CHECK(std::to_string(*v) == text.substr(text.find_first_not_of('0') == std::string::npos ? text.size() - 1 : text.find_first_not_of('0')));
  }
  if (auto v = parse_int(text, "n", -50, 50); v.ok()) FTL_FUZZ_CHECK(*v >= -50 && *v <= 50);
  if (auto v = parse_decimal(text, "n", 0, 1e9); v.ok()) FTL_FUZZ_CHECK(std::isfinite(*v) && *v >= 0 && *v <= 1e9);
  if (auto t = parse_time(text)) FTL_FUZZ_CHECK(*t >= 0 && *t < 32503680000LL * 1000000);  // 1970 to 2999
  const auto date = parse_date(text);
  FTL_FUZZ_CHECK(date.empty() || (date.size() == 10 && parse_time(date).has_value()));
  (void)check_text(text, "text").ok();
  (void)normalize_space(text);
  (void)strip_markup(text);
  (void)canonical_l1(text);
  (void)canonical_service_status(text);
  (void)nearest(text, l1_values());
  for (const auto& name : ftl::engine::split_names(text)) FTL_FUZZ_CHECK(!name.empty());
  if (ftl::engine::check_engagement_id(text).ok()) FTL_FUZZ_CHECK(ftl::engine::slug(text) == text);
  return 0;
}
