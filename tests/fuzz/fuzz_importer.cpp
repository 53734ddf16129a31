// The Markdown importer (schema/playbook_page.h): any bytes as a page. It never crashes, and
// whatever it reports names a line of the page.
#include <string>

#include "schema/playbook_page.h"
#include "tests/fuzz/fuzz.h"

FTL_FUZZ_ENTRY(fuzz_importer) {
  const std::string_view page(reinterpret_cast<const char*>(data), size);
  auto parsed = ftl::schema::parse_playbook(page, "fuzz.md");
  std::size_t lines = 1;
  for (char c : page) lines += c == '\n';
  if (!parsed.ok()) {
    FTL_FUZZ_CHECK(parsed.status().message().rfind("fuzz.md:", 0) == 0);
    return 0;
  }
  for (const auto& w : parsed->warnings) FTL_FUZZ_CHECK(w.line >= 1 && static_cast<std::size_t>(w.line) <= lines);
  for (const auto& t : parsed->page.tasks) FTL_FUZZ_CHECK(!t.name.empty());
  return 0;
}
