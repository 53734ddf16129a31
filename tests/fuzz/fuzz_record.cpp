// The event record decoder and the checks every read makes (ledger/format.h): any bytes under
// any key. A record that decodes encodes back to the same bytes.
#include <string>

#include "ledger/format.h"
#include "tests/fuzz/fuzz.h"

FTL_FUZZ_ENTRY(fuzz_record) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ftl::Event e;
  std::string why;
  if (!ftl::format::decode_record(bytes, &e, &why)) {
    FTL_FUZZ_CHECK(!why.empty());
    return 0;
  }
  (void)ftl::format::check_event(e, e.sequence).ok();
  (void)ftl::format::check_event(e, e.sequence + 1, &e.prev_hash).ok();
  FTL_FUZZ_CHECK(ftl::format::encode_record(e, ftl::format::canonical_bytes(e)) == bytes);
  ftl::Digest d;
  (void)ftl::format::parse_head_value(bytes, &d);
  (void)ftl::format::parse_head_file(bytes, &d);
  return 0;
}
