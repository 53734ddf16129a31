// `ftl recover`: the one audited way to accept that a ledger lost events it had acknowledged.
// It opens the ledger keeping what can be read (OpenOptions::accept_loss copies the damaged
// files aside first), then records what was lost as a LedgerRecovered event on the "ledger"
// stream, in the same writer session, so the loss is never accepted without that record. A
// ledger that lost nothing opens as usual and nothing is appended.
#pragma once

#include <string>

#include "ledger/ledger.h"
#include "schema/ledger_events.h"

namespace ftl::engine {

struct RecoveryOutcome {
  bool loss = false;
  schema::LedgerRecovered record;  // what was appended, when loss
  AppendResult position;
};

// `options` says how to open (wait, snapshot key); accept_loss is set here. InvalidArgument for
// an empty or non-text reason; otherwise what the open or the append returned.
Result<RecoveryOutcome> recover(const std::string& path, OpenOptions options, const std::string& actor, const std::string& reason);

}  // namespace ftl::engine
