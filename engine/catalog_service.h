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

// What an import adds, changes and removes, counted from the events it appends.
struct ImportCounts {
  std::size_t steps_added = 0, steps_changed = 0, steps_removed = 0;
  std::size_t tasks_added = 0, tasks_changed = 0, tasks_removed = 0;
  std::size_t refresh_rows = 0;
  std::size_t refresh_rows_gone = 0;               // recorded before, no longer on the page (the ledger keeps them)
  std::vector<std::string> page_changes;           // "title", "phase", "motions", "front matter"
  std::size_t tasks_before = 0, steps_before = 0;  // listed before the import
  std::vector<std::uint32_t> removed_tasks;       // in id order
  std::vector<std::string> removed_steps;
};

struct ImportOptions {
  bool strict = false;           // any warning refuses the page
  bool accept_removals = false;  // allow an import that removes more than half of the tasks or steps
  std::optional<std::int64_t> effective_us;  // the business date of the change (default: now)
};

struct ImportOutcome {
  std::string playbook_id;
  bool unchanged = false;  // the catalog already matched the page; nothing was appended
  std::size_t events = 0;
  AppendResult position;
  ImportCounts counts;
  std::vector<projections::Change> changes;  // empty for a first import
};

// "Enable Services.md" -> "enable-services". Returns InvalidArgument for an id that is not
// lower-case letters, digits, '.', '_' and '-'.
Result<std::string> playbook_id_for(const std::string& file, const std::string& explicit_id);

// A playbook page is tens of kilobytes; a larger one is refused by its size before it is read.
inline constexpr std::size_t kMaxPageBytes = 64 << 20;

// Reads and parses a page (at most kMaxPageBytes). Touches no ledger. With `strict`, a page
// that needed any repair is refused (InvalidArgument tagged "import.strict", naming the first).
Result<PlannedImport> plan_import(const std::string& file, const std::string& explicit_id, bool strict = false);
// The same for a page's bytes; `file` names it in messages.
Result<PlannedImport> plan_import_bytes(std::string bytes, const std::string& file, const std::string& explicit_id, bool strict = false);

// The catalog events that turn `before` into what `page` says (empty if nothing differs).
std::vector<schema::CatalogEvent> diff_catalog(const projections::PlaybookState& before, const PlannedImport& plan);

ImportCounts count_changes(const projections::PlaybookState& before, const PlannedImport& plan,
                           const std::vector<schema::CatalogEvent>& events);

// Refuses (InvalidArgument tagged "import.removals") an import that would remove more than half
// of a playbook's listed tasks or steps, naming them, unless options.accept_removals.
Status check_removals(const std::string& playbook_id, const ImportCounts& counts, const ImportOptions& options);

// What importing the page would do to the ledger as it is now, checked as import_playbook
// checks it; appends nothing. For checking every page before the first is appended.
Result<ImportCounts> preview_import(Ledger& ledger, const PlannedImport& plan, const ImportOptions& options);

// Appends the import's events as one atomic batch, retrying on a concurrent change.
Result<ImportOutcome> import_playbook(Ledger& ledger, const PlannedImport& plan, const std::string& actor,
                                      const ImportOptions& options);

// Folds a playbook stream; NotFound names the id and suggests the known ones.
Result<projections::PlaybookState> load_playbook(Ledger& ledger, const std::string& playbook_id,
                                                 std::uint64_t as_of_sequence = 0);
Result<std::vector<std::string>> playbook_ids(Ledger& ledger);
// The ids of the streams "<prefix><id>", in order.
Result<std::vector<std::string>> stream_ids(Ledger& ledger, const std::string& prefix);

}  // namespace ftl::engine
