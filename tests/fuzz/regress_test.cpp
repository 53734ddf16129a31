// Every fuzz target over its seed corpus (tests/fuzz/corpus/<target>/) and over the inputs
// fuzzing found (tests/data/fuzz/<target>/, one file each, kept forever): in the normal build,
// so a fixed crash stays fixed.
#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/fuzz/fuzz.h"
#include "tests/testutil.h"

FTL_FUZZ_ENTRY(fuzz_record);
FTL_FUZZ_ENTRY(fuzz_snapshot);
FTL_FUZZ_ENTRY(fuzz_payload);
FTL_FUZZ_ENTRY(fuzz_importer);
FTL_FUZZ_ENTRY(fuzz_parsers);

namespace {
using Entry = int (*)(const std::uint8_t*, std::size_t);

std::size_t run_all(const std::string& target, Entry entry) {
  std::size_t n = 0;
  for (const auto& dir : {std::string(FTL_FUZZ_CORPUS) + "/" + target, ftl::test::data_path("fuzz/" + target)}) {
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
      if (!f.is_regular_file()) continue;
      const auto bytes = ftl::test::read_file(f.path());
      INFO(f.path().string());
      CHECK(entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
      ++n;
    }
  }
  return n;
}
}  // namespace

TEST_CASE("every fuzz target keeps its properties on its corpus and on every input fuzzing found", "[fuzz]") {
  CHECK(run_all("record", fuzz_record) > 0);
  CHECK(run_all("snapshot", fuzz_snapshot) > 0);
  CHECK(run_all("payload", fuzz_payload) > 0);
  CHECK(run_all("importer", fuzz_importer) > 0);
  CHECK(run_all("parsers", fuzz_parsers) > 0);
}
