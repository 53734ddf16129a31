// Opening a ledger on a bad day: a directory that holds something else, a database that is not
// an ftl ledger, a ledger whose CURRENT file or write-ahead log is gone or damaged. Each is
// refused, naming what is wrong, and left exactly as it was; `recover` is the one way to accept
// a loss, and it records what was lost.
#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "engine/recovery.h"
#include "ledger/format.h"
#include "schema/codec.h"
#include "tests/testutil.h"

using namespace ftl;
namespace fs = std::filesystem;

namespace {

NewEvent event(int i) {
  NewEvent e;
  e.type = "T";
  e.actor = "ana";
  e.event_id = "id-" + std::to_string(i);
  e.payload = "payload " + std::to_string(i);
  return e;
}

// `n` events, one append each; the writer closes as a short command does (its WAL is kept).
void build(const std::string& path, int n, int first = 1) {
  auto l = test::open_ledger(path);
  for (int i = first; i < first + n; ++i) REQUIRE(l->append({"s/" + std::to_string(i % 3), ExpectedVersion::Any(), {event(i)}}).ok());
}

// Every file in a directory with its size and bytes: what "left untouched" is checked against.
std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() != "LOCK" && e.path().filename() != "LOG") out[e.path().filename()] = test::read_file(e.path());
  return out;
}

// The table files and the head file: the data a writer's open must not change, whatever
// housekeeping files (a new manifest, an empty log) RocksDB's own open adds.
std::map<std::string, std::string> data_of(const std::string& dir) {
  auto all = files_of(dir);
  std::map<std::string, std::string> out;
  for (auto& [name, bytes] : all)
    if (name.ends_with(".sst") || name == format::kHeadFileName) out[name] = bytes;
  return out;
}

std::vector<std::string> wals(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".log") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

Status open_status(const std::string& path, bool read_only) {
  OpenOptions o;
  o.read_only = read_only;
  o.wait_seconds = 0;
  auto l = Ledger::Open(path, o);
  return l.ok() ? Status::Ok() : l.status();
}

}  // namespace

TEST_CASE("no open creates a ledger in a directory that holds anything", "[open][refuse]") {
  test::TempDir dir;
  fs::create_directories(dir.sub("notes"));
  test::write_file(dir.sub("notes/todo.txt"), "not a ledger");
  for (bool read_only : {false, true}) {
    auto st = open_status(dir.sub("notes"), read_only);
    CHECK(st.code() == Code::kUnavailable);
    CHECK(st.tag() == "ledger.not_a_ledger");
    CHECK_THAT(st.message(), Catch::Contains("holds files but no ledger"));
  }
  CHECK(files_of(dir.sub("notes")) == std::map<std::string, std::string>{{"todo.txt", "not a ledger"}});
  // A missing or empty directory becomes a ledger.
  fs::create_directories(dir.sub("empty"));
  CHECK(open_status(dir.sub("empty"), false).ok());
  CHECK(open_status(dir.sub("new/deeper"), false).ok());
  test::write_file(dir.sub("file"), "x");
  CHECK_THAT(open_status(dir.sub("file"), false).message(), Catch::Contains("is not a directory"));
}

TEST_CASE("a ledger whose CURRENT file is gone is refused and its table files stay", "[open][refuse]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  build(db, 30);
  {
    auto l = test::open_ledger(db);
    REQUIRE(l->append({"s/x", ExpectedVersion::Any(), {event(99)}}).ok());
  }
  const auto current = test::read_file(db + "/CURRENT");
  fs::remove(db + "/CURRENT");
  const auto before = files_of(db);
  for (bool read_only : {false, true}) {
    auto st = open_status(db, read_only);
    CHECK(st.code() == Code::kUnavailable);
    CHECK_THAT(st.message(), Catch::Contains("no CURRENT file") && Catch::Contains("left untouched"));
    CHECK_THAT(st.hint(), Catch::Contains("restore it from a backup"));  // its head file says it was a ledger
  }
  CHECK(files_of(db) == before);
  test::write_file(db + "/CURRENT", current);  // put back: everything is there
  OpenOptions ro;
  ro.read_only = true;
  auto l = test::open_ledger(db, ro);
  CHECK(l->head().sequence == 31);
  CHECK(l->verify({}).ok());
}

TEST_CASE("a database that is not an ftl ledger is refused and keeps its keys", "[open][refuse]") {
  test::TempDir dir;
  const auto db = dir.sub("other");
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(o, db, &raw).ok());
    REQUIRE(raw->Put({}, "customer:1", "someone else's data").ok());
    delete raw;
  }
  for (bool read_only : {false, true}) {
    auto st = open_status(db, read_only);
    CHECK(st.code() == Code::kUnavailable);
    CHECK(st.tag() == "ledger.foreign");
    CHECK_THAT(st.message(), Catch::Contains("is not an ftl ledger"));
  }
  std::vector<std::string> cfs;
  REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db, &cfs).ok());
  CHECK(cfs == std::vector<std::string>{"default"});  // no column family was added
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), db, &raw).ok());
  std::string v;
  CHECK(raw->Get({}, "customer:1", &v).ok());
  CHECK_FALSE(raw->Get({}, std::string(format::kMetaFormatKey), &v).ok());  // no marker written
  delete raw;

  SECTION("a ledger with a column family no ledger has") {
    const auto l = dir.sub("db");
    build(l, 3);
    {
      test::RawLedger r(l);
      rocksdb::ColumnFamilyHandle* h = nullptr;
      REQUIRE(r.db->CreateColumnFamily({}, "extra", &h).ok());
      r.db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    CHECK_THAT(open_status(l, true).message(), Catch::Contains("column family 'extra'"));
  }
}

TEST_CASE("a WAL that cannot be replayed in full fails the open, naming it and the last good sequence", "[open][wal]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  build(db, 40);
  const auto logs = wals(db);
  REQUIRE_FALSE(logs.empty());
  // Four bytes overwritten in the middle of the newest log: its records after them are lost.
  const auto newest = logs.back();
  auto bytes = test::read_file(newest);
  REQUIRE(bytes.size() > 8);
  bytes.replace(bytes.size() / 2, 4, "\xde\xad\xbe\xef");
  test::write_file(newest, bytes);
  const auto before = files_of(db);
  std::uint64_t readable = 0;
  for (bool read_only : {true, false}) {
    auto st = open_status(db, read_only);
    CHECK(st.code() == Code::kUnavailable);
    CHECK(st.tag() == "ledger.wal_damaged");
    CHECK_THAT(st.message(), Catch::Contains("write-ahead log " + fs::path(newest).filename().string()) &&
                                 Catch::Contains("can be read up to sequence "));
    readable = std::stoull(st.message().substr(st.message().find("up to sequence ") + 15));
  }
  CHECK(readable > 0);
  CHECK(readable < 40);
  CHECK(files_of(db) == before);  // nothing truncated, nothing flushed

  // The recovery keeps what can be read, copies the damaged files aside and records the loss.
  OpenOptions o;
  o.snapshot_key_file = db + ".snapshot-key";
  auto out = engine::recover(db, o, "admin", "disk fault, ticket 118");
  REQUIRE(out.ok());
  REQUIRE(out->loss);
  CHECK(out->record.acknowledged_sequence == 40);
  CHECK(out->record.recovered_sequence == readable);
  CHECK(out->position.first_sequence == readable + 1);  // the record takes the next sequence
  CHECK(fs::exists(out->record.quarantine + "/" + fs::path(newest).filename().string()));
  CHECK(test::read_file(out->record.quarantine + "/" + fs::path(newest).filename().string()) == bytes);
  OpenOptions ro;
  ro.read_only = true;
  auto l = test::open_ledger(db, ro);
  CHECK(l->verify({}).ok());
  auto rec = l->get(readable + 1);
  REQUIRE(rec.ok());
  CHECK(rec->stream == "ledger");
  CHECK(rec->type == "LedgerRecovered");
  CHECK(rec->actor == "admin");
  auto decoded = schema::decode_ledger_event(rec->type, rec->schema_version, rec->payload);
  REQUIRE(decoded.ok());
  CHECK(std::get<schema::LedgerRecovered>(*decoded).reason == "disk fault, ticket 118");
  // A second recovery finds nothing lost and records nothing.
  l.reset();
  auto again = engine::recover(db, o, "admin", "again");
  REQUIRE(again.ok());
  CHECK_FALSE(again->loss);
}

TEST_CASE("a ledger whose WAL was deleted has lost acknowledged events, and says so", "[open][wal]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  for (int session = 0; session < 12; ++session) build(db, 3, 1 + 3 * session);  // some flushed, the rest in WALs
  for (const auto& w : wals(db)) fs::remove(w);  // what was not yet in a table file is gone
  const auto before = files_of(db);
  const auto data = data_of(db);
  for (bool read_only : {true, false}) {
    auto st = open_status(db, read_only);
    CHECK(st.code() == Code::kUnavailable);
    CHECK(st.tag() == "ledger.lost_events");
    CHECK_THAT(st.message(), Catch::Contains("acknowledged appends up to sequence 36, but holds events only up to"));
    if (read_only) CHECK(files_of(db) == before);
  }
  CHECK(data_of(db) == data);
  OpenOptions o;
  o.snapshot_key_file = db + ".snapshot-key";
  CHECK(engine::recover(db, o, "admin", "").status().code() == Code::kInvalidArgument);  // a reason is required
  auto out = engine::recover(db, o, "admin", "WAL deleted by a cleanup script");
  REQUIRE(out.ok());
  CHECK(out->loss);
  CHECK(out->record.acknowledged_sequence == 36);
  CHECK(out->record.recovered_sequence > 0);
  CHECK(out->record.recovered_sequence < 36);
  // Writes go on after the record.
  auto l = test::open_ledger(db);
  CHECK(l->append({"s/after", ExpectedVersion::Any(), {event(1000)}}).ok());
  CHECK(l->verify({}).ok());
  CHECK(l->head().sequence == out->record.recovered_sequence + 2);
}

TEST_CASE("a ledger made before the head file existed that lost its WAL and its marker is refused", "[open][wal]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  build(db, 5);
  {  // What an older ftl left: the format marker only in the WAL, which is now gone.
    test::RawLedger raw(db);
    REQUIRE(raw.db->Delete({}, raw.cf[test::RawLedger::kDefault], std::string(format::kMetaFormatKey)).ok());
    rocksdb::FlushOptions fo;
    REQUIRE(raw.db->Flush(fo, raw.cf).ok());
  }
  {
    test::RawLedger raw(db);  // and every event gone with it
    for (int c : {test::RawLedger::kDefault, test::RawLedger::kEvents, test::RawLedger::kByStream, test::RawLedger::kByActor,
                  test::RawLedger::kByEventId}) {
      std::unique_ptr<rocksdb::Iterator> it(raw.db->NewIterator({}, raw.cf[c]));
      for (it->SeekToFirst(); it->Valid(); it->Next()) REQUIRE(raw.db->Delete({}, raw.cf[c], it->key()).ok());
    }
  }
  for (bool read_only : {true, false}) {
    auto st = open_status(db, read_only);
    CHECK(st.tag() == "ledger.lost_everything");
    CHECK_THAT(st.message(), Catch::Contains("acknowledged appends up to sequence 5, but its database is empty"));
  }
}

TEST_CASE("a head file that is gone or damaged is refused, and a recovery writes it again", "[open][head]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  build(db, 5);
  SECTION("gone") { fs::remove(db + "/" + format::kHeadFileName); }
  SECTION("damaged") { test::write_file(db + "/" + format::kHeadFileName, std::string(56, 'x')); }
  for (bool read_only : {true, false}) {
    auto st = open_status(db, read_only);
    CHECK(st.code() == Code::kUnavailable);
    CHECK((st.tag() == "ledger.head_missing" || st.tag() == "ledger.head_damaged"));
    CHECK_THAT(st.message(), Catch::Contains("cannot tell whether it lost events") || Catch::Contains("is damaged"));
  }
  OpenOptions o;
  o.snapshot_key_file = db + ".snapshot-key";
  auto out = engine::recover(db, o, "admin", "head file lost with the old disk");
  REQUIRE(out.ok());
  CHECK(out->loss);
  CHECK(out->record.acknowledged_sequence == 0);  // unknown
  CHECK(out->record.recovered_sequence == 5);
  CHECK(open_status(db, true).ok());
}

TEST_CASE("a log deleted or cut short between the table files and the newest one leaves a hole, which is refused",
          "[open][wal][hole]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  for (int session = 0; session < 4; ++session) build(db, 10, 1 + 10 * session);  // one log a session, none flushed
  const auto logs = wals(db);
  REQUIRE(logs.size() >= 3);
  SECTION("deleted") { fs::remove(logs[logs.size() - 2]); }
  SECTION("cut short") {
    const auto bytes = test::read_file(logs[logs.size() - 2]);
    test::write_file(logs[logs.size() - 2], bytes.substr(0, bytes.size() / 2));
  }
  const auto before = files_of(db);
  for (bool read_only : {true, false}) {
    auto st = open_status(db, read_only);
    CHECK(st.code() == Code::kUnavailable);
    CHECK((st.tag() == "ledger.hole" || st.tag() == "ledger.wal_damaged"));
    INFO(st.message());
    CHECK((Catch::Contains("are missing though later ones are there").match(st.message()) ||
           Catch::Contains("cannot be replayed in full").match(st.message())));
  }
  CHECK(files_of(db) == before);
}

TEST_CASE("a record key that is not a sequence is named at open", "[open][keys]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  build(db, 5);
  {
    test::RawLedger raw(db);
    REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kEvents], "\xff\xff\xff\xff\xff\xff\xff\xff\x01", "junk").ok());
  }
  auto st = open_status(db, true);
  CHECK(st.code() == Code::kCorruption);
  CHECK_THAT(st.message(), Catch::Contains("FFFFFFFFFFFFFFFF01") && Catch::Contains("V1"));
}

TEST_CASE("a short command leaves its WAL for the next writer: no table file per command", "[open][files]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  build(db, 1);
  auto tables = [&] {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(db)) n += e.path().extension() == ".sst";
    return n;
  };
  const auto at_start = tables();
  for (int i = 2; i < 8; ++i) build(db, 1, i);
  CHECK(tables() == at_start);
  OpenOptions ro;
  ro.read_only = true;
  CHECK(test::open_ledger(db, ro)->head().sequence == 7);  // readers replay it
}

TEST_CASE("thousands of short writers leave a bounded number of table files, and the ledger opens under ulimit -n 256",
          "[open][files][slow]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  constexpr int kCommands = 3000;
  std::size_t most = 0;
  auto tables = [&] {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(db)) n += e.path().extension() == ".sst";
    return n;
  };
  for (int i = 0; i < kCommands; ++i) {
    // What a short command does: open, append a little (now and then a snapshot), close.
    auto l = test::open_ledger(db);
    NewEvent e = event(i);
    e.payload = std::string(200 + i % 400, static_cast<char>('a' + i % 26));
    REQUIRE(l->append({"engagement/e" + std::to_string(i % 40), ExpectedVersion::Any(), {e}}).ok());
    if (i % 50 == 0) REQUIRE(l->put_snapshot("engagement/e" + std::to_string(i % 40), std::string(3000, 's')).ok());
    l.reset();
    if (i % 100 == 99) most = std::max(most, tables());
  }
  INFO("table files at most " << most << ", at the end " << tables());
  CHECK(most <= 60);
  // A child with a low limit on open files opens it, reads all of it and writes to it.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    rlimit rl{256, 256};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(10);
    OpenOptions ro;
    ro.read_only = true;
    ro.whole_ledger = true;
    auto r = Ledger::Open(db, ro);
    if (!r.ok() || !(*r)->verify({}).ok() || (*r)->head().sequence != kCommands) _exit(11);
    r = Result<std::unique_ptr<Ledger>>(Status::NotFound("closed"));
    auto w = Ledger::Open(db, {});
    if (!w.ok() || !(*w)->append({"s/x", ExpectedVersion::Any(), {event(-1)}}).ok()) _exit(12);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a snapshot key must be a private regular file of 64 hex digits; a writer refuses any other, a reader trusts none",
          "[open][key]") {
  test::TempDir dir;
  const auto db = dir.sub("db");
  build(db, 3);
  const auto key = dir.sub("key");
  auto open_with = [&](bool read_only) {
    OpenOptions o;
    o.read_only = read_only;
    o.wait_seconds = 0;
    o.snapshot_key_file = key;
    return Ledger::Open(db, o);
  };
  SECTION("readable by others") {
    test::write_file(key, std::string(64, 'a') + "\n");
    chmod(key.c_str(), 0644);
    auto w = open_with(false);
    REQUIRE_FALSE(w.ok());
    CHECK_THAT(w.status().message(), Catch::Contains("can be read by others (mode 0644)"));
    auto r = open_with(true);
    REQUIRE(r.ok());
    CHECK_FALSE((*r)->has_snapshot_key());
  }
  SECTION("not a key") {
    test::write_file(key, "zz\n");
    chmod(key.c_str(), 0600);
    CHECK_THAT(open_with(false).status().message(), Catch::Contains("does not hold a key"));
  }
  SECTION("a FIFO or /dev/zero is never read") {
    REQUIRE(mkfifo(key.c_str(), 0600) == 0);
    CHECK_THAT(open_with(false).status().message(), Catch::Contains("is not a regular file"));
    OpenOptions o;
    o.snapshot_key_file = "/dev/zero";
    CHECK_THAT(Ledger::Open(db, o).status().message(), Catch::Contains("is not a regular file"));
  }
  SECTION("made by the first snapshot, owner-only") {
    auto w = open_with(false);
    REQUIRE(w.ok());
    REQUIRE((*w)->put_snapshot("engagement/x", "bytes").ok());
    struct stat st {};
    REQUIRE(stat(key.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
}

TEST_CASE("a creation killed before it was done begins again; anything else in the directory is still refused", "[open][create]") {
  test::TempDir dir;
  fs::create_directories(dir.sub("db"));
  fs::create_directories(dir.sub("other"));
  for (const char* left : {"LOCK", "LOG", "IDENTITY", "000000.dbtmp"}) test::write_file(dir.sub("db/") + left, "");
  test::write_file(dir.sub("db/MANIFEST-000001"), "partial");
  CHECK(open_status(dir.sub("db"), true).tag() == "ledger.missing");  // a reader: nothing there yet
  CHECK(open_status(dir.sub("db"), false).ok());                      // a writer makes it
  CHECK(fs::exists(dir.sub("db/CURRENT")));
  // The same files beside one that no creation writes: not ours to remove.
  for (const char* left : {"LOCK", "LOG", "IDENTITY", "000000.dbtmp", "notes.txt"}) test::write_file(dir.sub("other/") + left, "x");
  auto st = open_status(dir.sub("other"), false);
  CHECK(st.tag() == "ledger.not_a_ledger");
  CHECK(fs::exists(dir.sub("other/notes.txt")));
  CHECK(fs::exists(dir.sub("other/LOG")));
}
