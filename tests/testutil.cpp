#include "tests/testutil.h"

#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "engine/catalog_service.h"
#include "ledger/format.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ftl::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ftl-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string data_path(const std::string& relative) { return std::string(FTL_TEST_DATA) + "/" + relative; }
std::string example_playbook() { return std::string(FTL_EXAMPLES) + "/playbooks/enable-services.md"; }

std::unique_ptr<Ledger> open_ledger(const std::string& path, OpenOptions options) {
  if (options.snapshot_key_file.empty()) options.snapshot_key_file = path + ".snapshot-key";
  auto l = Ledger::Open(path, options);
  if (!l.ok()) throw std::runtime_error("open " + path + ": " + l.status().message());
  return std::move(*l);
}

void import_example(Ledger& ledger) {
  auto plan = engine::plan_import(example_playbook(), "");
  REQUIRE(plan.ok());
  REQUIRE(engine::import_playbook(ledger, *plan, "admin", {}).ok());
}

void append_events(Ledger& l, int n, const std::string& prefix) {
  for (int i = 0; i < n; ++i)
    REQUIRE(l.append({"test/" + std::to_string(i % 3), ExpectedVersion::Any(),
                      {{prefix + std::to_string(i), "TestEvent", 1, "tester", std::nullopt, prefix + " payload " + std::to_string(i)}}})
                .ok());
}

RawLedger::RawLedger(const std::string& path) {
  std::vector<rocksdb::ColumnFamilyDescriptor> d;
  for (const char* n : {"default", format::kEventsCf, format::kByStreamCf, format::kByActorCf, format::kByEventIdCf,
                        format::kSnapshotsCf, format::kTreeCf})
    d.emplace_back(n, rocksdb::ColumnFamilyOptions());
  rocksdb::DBOptions o;
  o.track_and_verify_wals_in_manifest = true;  // as the ledger opens it (rocks_options.cpp)
  REQUIRE(rocksdb::DB::Open(o, path, d, &cf, &db).ok());
}

RawLedger::~RawLedger() {
  for (auto* h : cf) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  delete db;
}

Event RawLedger::get(std::uint64_t seq) {
  std::string v, why;
  REQUIRE(db->Get({}, cf[kEvents], format::sequence_key(seq), &v).ok());
  Event e;
  REQUIRE(format::decode_record(v, &e, &why));
  return e;
}

void RawLedger::put(std::uint64_t seq, const Event& e) {
  REQUIRE(db->Put({}, cf[kEvents], format::sequence_key(seq), format::encode_record(e, format::canonical_bytes(e))).ok());
}

}  // namespace ftl::test
