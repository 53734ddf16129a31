#include "engine/recovery.h"

#include "schema/codec.h"
#include "schema/parse.h"
#include "schema/playbook_page.h"

namespace ftl::engine {

Result<RecoveryOutcome> recover(const std::string& path, OpenOptions options, const std::string& actor, const std::string& reason) {
  if (schema::normalize_space(reason).empty())
    return Status::InvalidArgument("a recovery needs a reason: it is recorded with what was lost");
  if (auto st = schema::check_text(reason, "the reason"); !st.ok()) return st;
  options.read_only = false;
  options.accept_loss = true;
  options.create_if_missing = false;
  auto ledger = Ledger::Open(path, options);
  if (!ledger.ok()) return ledger.status();
  const auto& report = (*ledger)->recovery();
  RecoveryOutcome out;
  out.loss = report.loss;
  if (!report.loss) return out;

  auto& r = out.record;
  r.reason = reason;
  if (report.acknowledged) {
    r.acknowledged_sequence = report.acknowledged->sequence;
    r.acknowledged_hash = to_hex(report.acknowledged->hash);
  }
  r.recovered_sequence = report.recovered.sequence;
  r.recovered_hash = to_hex(report.recovered.hash);
  r.detail = report.detail;
  r.quarantine = report.quarantine;
  for (const auto& f : report.files) r.files.push_back({f.name, f.bytes, to_hex(f.sha256)});
  if (auto st = schema::check_event_text(schema::LedgerEvent(r)); !st.ok()) return st;

  auto enc = schema::encode(schema::LedgerEvent(r));
  NewEvent e;
  e.type = enc.type;
  e.schema_version = enc.version;
  e.actor = actor;
  e.payload = std::move(enc.bytes);
  auto appended = (*ledger)->append({schema::kLedgerStream, ExpectedVersion::Any(), {std::move(e)}});
  if (!appended.ok()) return appended.status();
  out.position = *appended;
  return out;
}

}  // namespace ftl::engine
