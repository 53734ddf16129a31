// Every event type's payload bytes are pinned by a fixture file per class version
// (tests/data/fixtures/<Type>.v<N>.bin). An event written by any released version must still
// load: a fixture is never regenerated once committed; a new version adds a new file.
// FTL_WRITE_FIXTURES=1 writes the fixtures that do not exist yet.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "schema/codec.h"
#include "tests/testutil.h"

using namespace ftl;
using namespace ftl::schema;

namespace {

std::vector<CatalogEvent> samples() {
  StepDefinition step{"Assist with Enablement", 1, "FastTrack Manager", {"Customer Health", "RFA"}, {"All Services"},
                      {"Contacts in FTOP are updated", "  nested"}, {"Target date(s) updated"}};
  StepDefinition step2 = step;
  step2.outputs.push_back("L1/L2 status changes");
  return {
      PlaybookImported{"enable-services", "Enable Services", "Enable", "enable-services.md", std::string(64, 'a'),
                       {"Customer Health", "RFA", "Targeting"}, {{"title", "FastTrack Playbook"}, {"ms.date", "3/25/2020"}}, 8, 86},
      StepAdded{step},
      StepChanged{step, step2},
      StepRemoved{"Request Migration Velocity Manager"},
      TaskAdded{1672, "Review and validate the Migration Questionnaire", true, "Migration Velocity Manager",
                {"Exchange", "OneDrive for Business", "SharePoint"}, "Assist with Enablement"},
      TaskRenamed{3685, "Teams - {Wizard} Internal Readiness Assessment", "Teams - Internal Readiness Assessment"},
      TaskMandatoryChanged{3690, false, true},
      TaskRoleChanged{2218, "FastTrack Engineer", "SME"},
      TaskServicesChanged{1134, {"Core Onboarding"}, {"Core Onboarding", "Exchange"}},
      TaskMoved{3650, "Perform Get Modern Enablement Tasks", "Enterprise Additional Benefit Enablement"},
      TaskUnlisted{1910, "MIP \xE2\x80\x93 Old task", "Perform Enablement Tasks"},
      RefreshSummaryRowRecorded{"2020-01-31", "Ryan Meehan", "Deprecated task 1910", "Maria Concei\xC3\xA7\xC3\xA3o"},
  };
}

std::vector<EngagementEvent> engagement_samples() {
  ContactDetails ana{"Ana Silva", "Customer PM", true, "pt", "BR", {"Teams"}};
  ContactDetails ana2 = ana;
  ana2.survey_eligible = false;
  return {
      EngagementOpened{"contoso", "Contoso Ltd", 25000, {"Exchange", "Teams", "SharePoint"}, {"RFA"}, "Enable", false},
      ScopeChanged{{"Exchange"}, {"Exchange", "Teams"}},
      SeatsChanged{900, 25000},
      MotionsChanged{{"RFA"}, {"RFA", "Targeting"}},
      PhaseChanged{"Enable", "Migrate"},
      TaskCompleted{1126, "enable-services", "Kick-off held with PM and tech leads", "open"},
      TaskReopened{1126, "done", "Kick-off was rescheduled"},
      TaskMarkedNotApplicable{3222, "enable-services", "No SharePoint hybrid", "open"},
      ConsumptionStatusSet{"Teams", "In Progress", "Blocked", "Solution or User Adoption", "Adoption Readiness", "2026-12-15", ""},
      ServiceStatusSet{"Exchange", "Enable", "Migrate"},
      TargetDateSet{"Teams", "", "2026-12-15"},
      NoteAdded{"technical-enablement", "ViewPoint validated Directory Sync", "Perform Enablement Tasks", 2},
      ContactAdded{"ana-silva", ana},
      ContactChanged{"ana-silva", ana, ana2},
      UsageRecorded{1800, "Lynx"},
      CorrectionRecorded{"0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", "TaskCompleted", "wrong task", {{"task", "1158"}}},
  };
}

// Checks each sample against its fixture file both ways (writing missing ones on request).
template <class Variant, class Decode>
void check_fixtures(const std::vector<Variant>& all, Decode decode) {
  const bool write = std::getenv("FTL_WRITE_FIXTURES") != nullptr;
  REQUIRE(all.size() == std::variant_size_v<Variant>);  // a new type needs a sample and a fixture
  for (const auto& sample : all) {
    auto enc = encode(sample);
    const auto file = test::data_path("fixtures/" + enc.type + ".v" + std::to_string(enc.version) + ".bin");
    INFO(file);
    if (write && !std::filesystem::exists(file)) test::write_file(file, enc.bytes);
    REQUIRE(std::filesystem::exists(file));
    const auto fixture = test::read_file(file);
    CHECK(enc.bytes == fixture);
    auto dec = decode(enc.type, enc.version, fixture);
    REQUIRE(dec.ok());
    CHECK(*dec == sample);
  }
}

}  // namespace

TEST_CASE("every catalog event type and version matches its byte fixture, both ways", "[codec][fixtures]") {
  check_fixtures(samples(), decode_catalog);
}

TEST_CASE("every engagement event type and version matches its byte fixture, both ways", "[codec][fixtures]") {
  check_fixtures(engagement_samples(), decode_engagement);
}

TEST_CASE("every ledger event type and version matches its byte fixture, both ways", "[codec][fixtures]") {
  LedgerRecovered r;
  r.reason = "disk fault, ticket 118";
  r.acknowledged_sequence = 159110;
  r.acknowledged_hash = std::string(64, 'a');
  r.recovered_sequence = 92244;
  r.recovered_hash = std::string(64, 'b');
  r.detail = "the write-ahead log 000127.log cannot be replayed in full";
  r.quarantine = "/srv/ftl-data/lost-20261201T095148Z";
  r.files = {{"000127.log", 5242880, std::string(64, 'c')}, {"FTL-HEAD", 56, std::string(64, 'd')}};
  TokenGranted g{"audit-team", "reader", std::string(64, 'e')};
  TokenRevoked v{"audit-team", "the audit is over"};
  check_fixtures(std::vector<LedgerEvent>{r, g, v}, decode_ledger_event);
  auto enc = encode(LedgerEvent(r));
  auto j = payload_json(enc.type, enc.version, enc.bytes);
  CHECK(j["recovered_sequence"] == 92244);
  CHECK(j["files"][0]["name"] == "000127.log");
}

TEST_CASE("payloads that cannot be decoded are reported, never guessed", "[codec]") {
  auto enc = encode(TaskAdded{1126, "Meet", true, "FE", {"All Services"}, "Step"});
  CHECK(decode_catalog("TaskAdded", 2, enc.bytes).status().code() == Code::kCorruption);  // a future version
  CHECK(decode_catalog("TaskAdded", 1, enc.bytes.substr(0, enc.bytes.size() - 3)).status().code() == Code::kCorruption);
  CHECK(decode_catalog("TaskAdded", 1, enc.bytes + "x").status().code() == Code::kCorruption);
  CHECK(decode_catalog("NoSuchEvent", 1, enc.bytes).status().code() == Code::kNotFound);
}

TEST_CASE("payload JSON uses snake_case keys and plain values", "[codec][json]") {
  auto enc = encode(TaskAdded{1126, "Meet", true, "FastTrack Engineer", {"All Services"}, "Assist"});
  auto j = payload_json(enc.type, enc.version, enc.bytes);
  CHECK(j == nlohmann::json{{"id", 1126}, {"name", "Meet"}, {"mandatory", true}, {"role", "FastTrack Engineer"},
                            {"services", {"All Services"}}, {"step", "Assist"}});
  auto imp = encode(std::get<PlaybookImported>(samples()[0]));
  auto ij = payload_json(imp.type, imp.version, imp.bytes);
  CHECK(ij["front_matter"]["ms.date"] == "3/25/2020");
  CHECK(payload_json("NoSuchEvent", 1, "").is_null());
  auto corr = encode(EngagementEvent(CorrectionRecorded{"x", "TaskCompleted", "wrong task", {{"task", "1158"}}}));
  CHECK(payload_json(corr.type, corr.version, corr.bytes)["fields"]["task"] == "1158");
}

TEST_CASE("payloads decode only as an encoder wrote them: flag 0x01, the envelope's class version, bools 0 or 1", "[codec][strict]") {
  const auto enc = encode(CatalogEvent{TaskAdded{1126, "n", true, "r", {}, "s"}});
  REQUIRE(decode_catalog(enc.type, enc.version, enc.bytes).ok());
  auto refused = [&](std::string bytes, const char* why) {
    auto d = decode_catalog(enc.type, enc.version, bytes);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == Code::kCorruption);
    CHECK_THAT(d.status().message(), Catch::Contains(why));
    CHECK_FALSE(check_payload(enc.type, enc.version, bytes).ok());  // and verify's skim (E1) agrees
  };
  std::string b = enc.bytes;
  b[0] = 'z';
  refused(b, "endianness flag");
  b = enc.bytes;
  b[1] = 2;  // the payload claims class version 2 under an envelope of version 1
  refused(b, "payload says class version 2 where its envelope says 1");
  refused(enc.bytes.substr(0, 3), "too short to hold a class version");
  b = enc.bytes;
  const std::size_t at_bool = 1 + 4 + 4 + 8 + 1;  // flag, class version, id, name's size and byte
  REQUIRE(static_cast<unsigned char>(b[at_bool]) == 1);
  b[at_bool] = 2;
  refused(b, "a bool stored as 2");
}
