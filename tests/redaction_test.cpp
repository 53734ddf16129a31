// Redaction (ledger/FORMAT.md "Redaction"): the one write that touches a stored record. The
// payload goes, from the views and from the files; the chain, the tree and proofs still verify;
// and a payload removed any other way, or a redaction that did not remove it, breaks V3.
#include <catch2/catch.hpp>
#include <rocksdb/db.h>

#include <filesystem>

#include "engine/operations.h"
#include "ledger/format.h"
#include "tests/testutil.h"

using namespace ftl;
using ftl::test::TempDir;

namespace {

constexpr int kEvents = 12;

// 32 bytes no other payload shares 4 bytes of (table files are compressed: a needle that
// repeated part of another would not be found whole even where it is).
std::string secret(int i) {
  std::string s;
  std::uint64_t x = 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(i + 7);
  for (int b = 0; b < 32; ++b) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s.push_back(static_cast<char>(x >> 56));
  }
  return s;
}

// kEvents events over three streams; event i's payload is secret(i).
void build(Ledger& l) {
  for (int i = 1; i <= kEvents; ++i) {
    NewEvent e;
    e.type = "T";
    e.actor = "ana";
    e.payload = secret(i);
    e.event_id = "id-" + std::to_string(i);
    REQUIRE(l.append({"s/" + std::to_string(i % 3), ExpectedVersion::Any(), {e}}).ok());
  }
}

Result<VerifyReport> verify(const std::string& path) {
  OpenOptions ro;
  ro.read_only = true;
  ro.whole_ledger = true;
  auto l = Ledger::Open(path, ro);
  if (!l.ok()) return l.status();
  return (*l)->verify({});
}

// Whether any file under `dir` holds `needle`.
bool any_file_holds(const std::string& dir, const std::string& needle) {
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir))
    if (f.is_regular_file() && test::read_file(f.path().string()).find(needle) != std::string::npos) return true;
  return false;
}

std::string record_with_tail(const std::string& record_without_payload, std::uint64_t by) {
  std::string out = record_without_payload;
  out += format::kRedactedMark;
  format::put_u64(out, by);
  return out;
}

// The stored record of `seq` without its payload (the bytes a mark follows).
std::string head_of_record(test::RawLedger& raw, std::uint64_t seq) {
  std::string v, why;
  REQUIRE(raw.db->Get({}, raw.cf[test::RawLedger::kEvents], format::sequence_key(seq), &v).ok());
  format::RecordView r;
  REQUIRE(format::parse_record(v, &r, &why));
  return v.substr(0, v.size() - r.payload.size());
}

void put_raw(test::RawLedger& raw, std::uint64_t seq, const std::string& bytes) {
  REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kEvents], format::sequence_key(seq), bytes).ok());
}

}  // namespace

TEST_CASE("a redaction removes the payload from reads and files; the chain, the tree and the indexes still verify", "[redact]") {
  TempDir dir;
  const auto db = dir.sub("db");
  Hash root_before{};
  {
    auto l = test::open_ledger(db);
    build(*l);
    root_before = *l->tree_root(kEvents);
    REQUIRE(l->put_snapshot("engagement/x", secret(99)).ok());
    REQUIRE(any_file_holds(db, secret(5)));
    auto r = l->redact(5, "personal data, request 2026-118", "admin", "redact-5");
    REQUIRE(r.ok());
    CHECK(r->redacted == 5);
    CHECK(r->appended.first_sequence == kEvents + 1);
    CHECK(r->purge_error.empty());

    auto e = l->get(5);
    REQUIRE(e.ok());
    CHECK(e->redacted_by == kEvents + 1);
    CHECK(e->payload.empty());
    CHECK(e->payload_length == secret(5).size());
    auto red = l->get(kEvents + 1);
    REQUIRE(red.ok());
    CHECK(red->type == kEventRedactedType);
    CHECK(red->stream == e->stream);  // on the redacted event's own stream, so its views change
    auto said = redaction_of(*red);
    REQUIRE(said);
    CHECK(said->sequence == 5);
    CHECK(said->payload_hash == e->payload_hash);
    CHECK(said->reason == "personal data, request 2026-118");
    // The tree of the first 12 events is the same tree: leaves are the canonical bytes.
    CHECK(*l->tree_root(kEvents) == root_before);
    // Reads through every path check it and show it redacted.
    std::uint64_t n = 0;
    for (auto c = l->scan(1); c->valid(); c->next(), ++n) CHECK((c->event().sequence == 5) == (c->event().redacted_by != 0));
    CHECK(n == kEvents + 1);
    auto s = l->scan_stream(e->stream);
    for (; s->valid(); s->next()) {}
    CHECK(s->status().ok());
    auto a = l->scan_actor("ana");
    for (; a->valid(); a->next()) {}
    CHECK(a->status().ok());
    // Snapshots may hold what the payload said: gone with it.
    CHECK(l->get_snapshot("engagement/x").status().code() == Code::kNotFound);
    // A retry with the same event id is the same redaction, nothing more.
    auto again = l->redact(5, "personal data, request 2026-118", "admin", "redact-5");
    REQUIRE(again.ok());
    CHECK(again->appended.duplicate);
    CHECK(l->head().sequence == kEvents + 1);
  }
  auto report = verify(db);
  REQUIRE(report.ok());
  REQUIRE(report->redacted.size() == 1);
  CHECK(report->redacted[0].sequence == 5);
  CHECK(report->redacted[0].by == kEvents + 1);
  CHECK(report->tree_size == kEvents + 1);
  // The bytes are gone from the table files and the write-ahead log, not only from reads.
  CHECK_FALSE(any_file_holds(db, secret(5)));
  CHECK_FALSE(any_file_holds(db, secret(99)));  // the snapshot that might have held it, too
  CHECK(any_file_holds(db, secret(6)));
  CHECK(report->purge_pending.empty());
}

TEST_CASE("a redaction cut off before its purge (a crash) is purged at the next writing open", "[redact][crash]") {
  TempDir dir;
  const auto db = dir.sub("db");
  {
    auto l = test::open_ledger(db);
    build(*l);
  }
  {
    // What redact() does up to its synced write, and no further: the redaction goes in (naming
    // its purge in the same batch); the process dies before the flush and compaction.
    auto l = test::open_ledger(db);
    auto target = l->get(5);
    REQUIRE(target.ok());
    AppendRequest req{target->stream, ExpectedVersion::Any(), {}, 5};
    req.events.push_back({"", std::string(kEventRedactedType), 1, "admin", std::nullopt,
                          format::redaction_payload({5, target->payload_hash, "request 1"})});
    REQUIRE(l->append(std::move(req)).ok());
  }
  REQUIRE(any_file_holds(db, secret(5)));  // the old record is still in a table file
  {
    OpenOptions ro;
    ro.read_only = true;
    auto r = Ledger::Open(db, ro);  // a reader changes nothing, and verify says what is pending
    REQUIRE(r.ok());
    auto pending = (*r)->verify({});
    REQUIRE(pending.ok());
    CHECK(pending->purge_pending == std::vector<std::uint64_t>{5});
  }
  CHECK(any_file_holds(db, secret(5)));
  std::filesystem::remove(db + "/FTL-PURGE");  // nothing outside the database is needed for it
  test::open_ledger(db).reset();  // a writer finishes the purge
  CHECK_FALSE(any_file_holds(db, secret(5)));
  auto report = verify(db);
  REQUIRE(report.ok());
  CHECK(report->redacted.size() == 1);
  CHECK(report->purge_pending.empty());
  // A pending purge that names an event no redaction removed is no rule's: V11.
  {
    test::RawLedger raw(db);
    REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kDefault], format::purge_key(6), "").ok());
  }
  auto forged = verify(db);
  REQUIRE_FALSE(forged.ok());
  CHECK_THAT(forged.status().message(), Catch::Contains("V11") && Catch::Contains("event 6, which is not redacted"));
  test::open_ledger(db).reset();  // a writer's open leaves it, for verify to keep naming
  forged = verify(db);
  REQUIRE_FALSE(forged.ok());
  CHECK_THAT(forged.status().message(), Catch::Contains("event 6, which is not redacted"));
  {
    test::RawLedger raw(db);
    REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kDefault], format::purge_key(6), "").ok());
    REQUIRE(raw.db->Delete({}, raw.cf[test::RawLedger::kDefault], format::purge_key(6)).ok());
    REQUIRE(raw.db->Put({}, raw.cf[test::RawLedger::kDefault], format::purge_key(5), "x").ok());
  }
  forged = verify(db);
  REQUIRE_FALSE(forged.ok());
  CHECK_THAT(forged.status().message(), Catch::Contains("V11") && Catch::Contains("not a sequence with an empty value"));
}

TEST_CASE("a redaction is refused for what it cannot redact, and then appends nothing", "[redact]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  build(*l);
  REQUIRE(l->redact(5, "request 1", "admin", "").ok());
  const auto head = l->head();
  auto twice = l->redact(5, "request 2", "admin", "");
  CHECK(twice.status().tag() == "redact.again");
  auto of_redaction = l->redact(kEvents + 1, "request 3", "admin", "");
  CHECK(of_redaction.status().tag() == "redact.redaction");
  CHECK(l->redact(99, "request 4", "admin", "").status().code() == Code::kNotFound);
  CHECK(l->redact(0, "request 4", "admin", "").status().code() == Code::kNotFound);
  CHECK(l->redact(6, "", "admin", "").status().tag() == "field.reason");
  CHECK(l->redact(6, "  \t ", "admin", "").status().tag() == "field.reason");
  CHECK(l->redact(6, std::string(5000, 'x'), "admin", "").status().tag() == "field.reason");
  CHECK(l->redact(6, "bad \xff utf-8", "admin", "").status().tag() == "field.reason");
  CHECK(l->redact(6, "line one\nline two", "admin", "").status().tag() == "field.reason");  // one row of a history table
  // Nobody appends the ledger's own type except a redaction.
  NewEvent fake;
  fake.type = std::string(kEventRedactedType);
  fake.actor = "mallory";
  fake.payload = format::redaction_payload({6, Hash{}, "forged"});
  auto forged = l->append({"s/0", ExpectedVersion::Any(), {fake}});
  CHECK(forged.status().code() == Code::kInvalidArgument);
  CHECK(l->head().sequence == head.sequence);
  CHECK(l->head().hash == head.hash);
  auto six = l->get(6);
  REQUIRE(six.ok());
  CHECK(six->redacted_by == 0);
}

TEST_CASE("a payload removed without a redaction, or a redaction that removed nothing, breaks V3", "[redact][tamper]") {
  TempDir dir;
  const auto db = dir.sub("db");
  std::string original5;
  {
    auto l = test::open_ledger(db);
    build(*l);
    REQUIRE(l->redact(5, "request 1", "admin", "").ok());  // event 13
    auto e6 = l->get(6);
    REQUIRE(e6.ok());
  }
  // check_read: the event's own read refuses it too (a redaction that removed nothing is
  // verify's to find: reading the redaction does not look at its target).
  auto forge_and_check = [&](auto forge, const std::string& expect, bool check_read = true) {
    TempDir copy;
    std::filesystem::copy(db, copy.sub("db"), std::filesystem::copy_options::recursive);
    {
      test::RawLedger raw(copy.sub("db"));
      forge(raw);
    }
    auto r = verify(copy.sub("db"));
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::StartsWith(expect));
    if (!check_read) return;
    OpenOptions ro;
    ro.read_only = true;
    auto l = Ledger::Open(copy.sub("db"), ro);
    REQUIRE(l.ok());
    std::uint64_t n = 0;
    auto c = (*l)->scan(1);
    for (; c->valid(); c->next()) ++n;
    CHECK_FALSE(c->status().ok());
  };
  SECTION("a mark naming an event that is no redaction") {
    forge_and_check([](test::RawLedger& raw) { put_raw(raw, 7, record_with_tail(head_of_record(raw, 7), 9)); }, "event 7 breaks V3");
  }
  SECTION("a mark naming an earlier event") {
    forge_and_check([](test::RawLedger& raw) { put_raw(raw, 7, record_with_tail(head_of_record(raw, 7), 3)); }, "event 7 breaks V3");
  }
  SECTION("a mark naming an event that does not exist") {
    forge_and_check([](test::RawLedger& raw) { put_raw(raw, 7, record_with_tail(head_of_record(raw, 7), 99)); }, "event 7 breaks V3");
  }
  SECTION("a mark naming the redaction of another event") {
    forge_and_check([](test::RawLedger& raw) { put_raw(raw, 6, record_with_tail(head_of_record(raw, 6), kEvents + 1)); }, "event 6 breaks V3");
  }
  SECTION("a redaction whose event still holds its payload") {
    forge_and_check(
        [](test::RawLedger& raw) {
          std::string restored = head_of_record(raw, 5) + secret(5);
          put_raw(raw, 5, restored);
        },
        "event 13 breaks V3", false);
  }
  SECTION("a redaction's reason changed") {
    forge_and_check(
        [](test::RawLedger& raw) {
          auto e = raw.get(kEvents + 1);
          e.payload.back() ^= 0x01;
          raw.put(kEvents + 1, e);
        },
        "event 13 breaks V3", false);  // the last event: its own V3, found at open
  }
}

TEST_CASE("views show a redacted event as [redacted], with the redaction and its reason; verify lists it", "[redact][views]") {
  TempDir dir;
  auto l = test::open_ledger(dir.sub("db"));
  test::import_example(*l);
  auto run = [&](const std::string& op, const nlohmann::json& args, const std::string& who = "ryan") {
    engine::Call call{*l, who, "", {}, {}, "", ""};
    auto r = engine::run_operation(call, op, args);
    INFO(op << ": " << r.status().message());
    REQUIRE(r.ok());
    return *r;
  };
  run("engagement.open", {{"engagement", "contoso"}, {"customer", "Contoso Ltd"}, {"seats", 25000}, {"services", "Exchange, Teams"}});
  auto note = run("note.add", {{"engagement", "contoso"}, {"kind", "technical-enablement"}, {"text", "Call Jane Doe on +1 555 0100"}});
  run("task.done", {{"engagement", "contoso"}, {"task", 1126}});
  const auto seq = note["first_sequence"].get<std::uint64_t>();
  auto red = run("event.redact", {{"event", std::to_string(seq)}, {"reason", "personal data, request 2026-118"}}, "admin");
  CHECK(red["redacted"] == seq);
  const std::string history = run("history", {{"engagement", "contoso"}}).dump();
  CHECK(history.find("Jane Doe") == std::string::npos);
  CHECK(history.find("[redacted]") != std::string::npos);
  CHECK(history.find("edacted event " + std::to_string(seq) + " (personal data, request 2026-118)") != std::string::npos);
  const std::string audit = run("audit", {{"engagement", "contoso"}}).dump();
  CHECK(audit.find("Jane Doe") == std::string::npos);
  CHECK(audit.find("[redacted]") != std::string::npos);
  const auto show = run("engagement.show", {{"engagement", "contoso"}});
  CHECK(show.dump().find("Jane Doe") == std::string::npos);
  CHECK(show.dump().find("1126") != std::string::npos);  // what was not redacted still folds
  const auto log = run("log", {{"from", seq}, {"limit", 1}});
  REQUIRE(log["rows"].size() == 1);
  CHECK(log["rows"][0]["data"].is_null());
  CHECK(log["rows"][0]["redacted_by"] == red["sequence"]);
  CHECK(log["rows"][0]["payload_size"] > 0);
  const auto v = run("verify", nlohmann::json::object());
  REQUIRE(v["redacted"].size() == 1);
  CHECK(v["redacted"][0]["sequence"] == seq);
  // A token's grant is no personal data: revoke it instead.
  auto grant = run("token.add", {{"name", "ana"}, {"role", "reader"}}, "admin");
  engine::Call call{*l, "admin", "", {}, {}, "", ""};
  auto refused = engine::run_operation(call, "event.redact", {{"event", std::to_string(grant["sequence"].get<std::uint64_t>())}, {"reason", "x"}});
  CHECK(refused.status().tag() == "redact.access");
  // Nor is the catalog: it describes a playbook.
  auto catalog = engine::run_operation(call, "event.redact", {{"event", "5"}, {"reason", "x"}});
  CHECK(catalog.status().tag() == "redact.catalog");
  CHECK(red["type"] == "EventRedacted");
  CHECK(red["redacted_type"] == "NoteAdded");
}
