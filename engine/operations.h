// Every command ftl offers, as one table of operations: a name, who may call it, and a
// function from arguments (a JSON object) to a document (the JSON that `--format json` prints
// and an HTTP response carries). The CLI and the server both call operations and nothing
// else, so each rule, query and document exists once, here.
//
// Arguments are named fields ("engagement", "task", "as_of"...), never options or routes; an
// error names the field and the value. Long listings can be streamed: given a row sink, an
// operation hands it each row instead of collecting them in the document's "rows".
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"

namespace ftl::engine {

class CheckpointKeeper;

// Who may call an operation: reader (every view), writer (+ recording), admin (+ playbook
// import, rebuild, tokens).
enum class Access { kRead = 0, kWrite = 1, kAdmin = 2 };
std::string_view access_name(Access a);
std::optional<Access> parse_access(std::string_view name);

struct Call {
  Ledger& ledger;
  std::string actor;            // who is recorded on what the operation appends
  std::string idempotency_key;  // becomes the event id of what it appends (empty: a random one)
  // Given: each row of a listing goes here, in order, instead of into the document.
  std::function<Status(const nlohmann::json&)> row_sink;
  // Given: long operations report (done, total, unit) now and then.
  std::function<void(std::uint64_t, std::uint64_t, const char*)> progress;
  // Given: the snapshot-key file, for operations that say where it is (verify).
  std::string snapshot_key_file;
  // Given: the file of the key that signs checkpoints (outside the ledger), for the proofs.
  std::string signing_key_file{};
  // Given (a server that signs on its own): "the" checkpoint is the latest it signed, and
  // proofs are made against it unless the caller names another.
  CheckpointKeeper* checkpoints = nullptr;
  // Given: where an operation run with run_async hands the work that follows an append's sync
  // (engine::execute_async); empty, it runs on the ledger's commit thread.
  std::function<void(std::function<void()>)> post{};
  // Given: where such an operation hands what may wait for the disk (empty: `post`).
  std::function<void(std::function<void()>)> background{};
};

struct Operation {
  std::string name;  // "task.done"
  Access access;
  bool creates_ledger = false;  // may run where there is no ledger yet (playbook.import)
  bool whole_ledger = false;    // reads every event and index (verify)
  std::function<Result<nlohmann::json>(Call&, const nlohmann::json& args)> run;
  bool appends = true;  // false: appends nothing, whatever role it needs (a local run opens read-only)
  // For a view: a tag that changes whenever its document would (cheap: a few reads, no fold),
  // so a front may keep the document it sent and send it again while the tag holds. Empty
  // result: no tag for these arguments.
  std::function<Result<std::string>(Call&, const nlohmann::json& args)> version{};
  // Given (the recordings): run without waiting for the append's sync. `done` gets what run
  // would have returned, exactly once, from a thread the call's post chose; the call need not
  // outlive this.
  using Done = std::function<void(Result<nlohmann::json>)>;
  std::function<void(Call&, const nlohmann::json& args, Done done)> run_async{};
};

// The rows of a listing: to the call's sink when it has one, else into the document's "rows".
struct Rows {
  Call& call;
  nlohmann::json doc = {{"rows", nlohmann::json::array()}};
  Status add(nlohmann::json row) {
    if (call.row_sink) return call.row_sink(row);
    doc["rows"].push_back(std::move(row));
    return Status::Ok();
  }
};

const std::vector<Operation>& operations();
// nullptr for a name that is not an operation.
const Operation* find_operation(std::string_view name);
// Runs `name` with `args`: InvalidArgument for an unknown name or field, else the operation's result.
Result<nlohmann::json> run_operation(Call& call, std::string_view name, const nlohmann::json& args);
// The same, without waiting for an append's sync where the operation can (run_async); else it
// runs `name` at once and hands `done` its result.
void run_operation_async(Call& call, std::string_view name, const nlohmann::json& args, Operation::Done done);

// The families register themselves in operations() (ops_*.cpp).
void add_engagement_operations(std::vector<Operation>& ops);
void add_view_operations(std::vector<Operation>& ops);
void add_proof_operations(std::vector<Operation>& ops);  // engine/ops_proofs.cpp
void add_catalog_operations(std::vector<Operation>& ops);
void add_admin_operations(std::vector<Operation>& ops);

}  // namespace ftl::engine
