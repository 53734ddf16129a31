// The application layer for the playbook catalog: load state, decide, append with the
// expected version, retry on conflict. The CLI and the server both call this; neither
// writes events itself.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "projections/catalog.h"
#include "schema/playbook_page.h"

namespace ftl::engine {

// A page read and checked, not yet written.
struct PlannedImport {
  std::string playbook_id;
  std::string file;    // as named by the user
  std::string source;  // the file's base name, recorded in the ledger
  std::string content_sha256;
  schema::Page page;
  std::vector<schema::Diagnostic> warnings;
};

struct ImportOutcome {
  std::string playbook_id;
  bool unchanged = false;  // the catalog already matched the page; nothing was appended
  std::size_t events = 0;
  AppendResult position;
  std::vector<projections::Change> changes;  // empty for a first import
};

// "Enable Services.md" -> "enable-services". Returns InvalidArgument for an id that is not
// lower-case letters, digits, '.', '_' and '-'.
Result<std::string> playbook_id_for(const std::string& file, const std::string& explicit_id);

inline constexpr std::size_t kMaxPageBytes = 16 << 20;  // a playbook page is tens of kilobytes

// Reads and parses a page (at most kMaxPageBytes). Touches no ledger.
Result<PlannedImport> plan_import(const std::string& file, const std::string& explicit_id);

// The catalog events that turn `before` into what `page` says (empty if nothing differs).
std::vector<schema::CatalogEvent> diff_catalog(const projections::PlaybookState& before, const PlannedImport& plan);

// Appends the import's events as one atomic batch, retrying on a concurrent change.
Result<ImportOutcome> import_playbook(Ledger& ledger, const PlannedImport& plan, const std::string& actor,
                                      std::optional<std::int64_t> effective_us);

// Folds a playbook stream; NotFound names the id and suggests the known ones.
Result<projections::PlaybookState> load_playbook(Ledger& ledger, const std::string& playbook_id,
                                                 std::uint64_t as_of_sequence = 0);
Result<std::vector<std::string>> playbook_ids(Ledger& ledger);
// The ids of the streams "<prefix><id>", in order.
Result<std::vector<std::string>> stream_ids(Ledger& ledger, const std::string& prefix);

}  // namespace ftl::engine
