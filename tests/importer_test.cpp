// The playbook importer on the shipped page, on pages reproducing every oddity real pages
// have, on translated pages, and on a corpus of pages it must refuse (tests/data/playbooks/errors,
// each naming the error it expects in an "<!-- expect: LINE: text -->" comment).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "schema/page_tables.h"
#include "schema/playbook_page.h"
#include "tests/testutil.h"

using namespace ftl;
using namespace ftl::schema;

namespace {

ParsedPage parse(const std::string& path) {
  auto r = parse_playbook(test::read_file(path), std::filesystem::path(path).filename().string());
  INFO(r.status().message());
  REQUIRE(r.ok());
  return std::move(*r);
}

const PageTask& task(const Page& p, std::uint32_t id) {
  for (const auto& t : p.tasks)
    if (t.id == id) return t;
  FAIL("no task " << id);
  throw std::logic_error("unreachable");
}

bool has_warning(const ParsedPage& p, int line, const std::string& text) {
  for (const auto& w : p.warnings)
    if (w.line == line && w.message.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("the shipped Enable Services page: every task, step and Refresh Summary row", "[importer][shipped]") {
  auto parsed = parse(test::example_playbook());
  const auto& p = parsed.page;
  CHECK(parsed.warnings.empty());
  CHECK(p.title == "Enable Services");
  CHECK(p.phase == "Enable");
  CHECK(p.motions == Strings{"Customer Health", "RFA", "Targeting"});
  CHECK(p.tasks.size() == 86);
  REQUIRE(p.steps.size() == 8);
  CHECK(p.steps[0].def.name == "Assist with Enablement");
  CHECK(p.steps[0].def.primary_role == "FastTrack Manager");
  CHECK(p.steps[0].def.applies_to == Strings{"All Services"});
  CHECK(p.steps[0].def.inputs == Strings{"Contacts in FTOP are updated",
                                         "Technical Enablement note listing customer names and roles participating"});
  CHECK(p.steps[2].def.name == "Perform Get Modern Enablement Tasks");
  CHECK(p.steps[2].def.applies_to == Strings{"Office ProPlus", "Windows 10"});
  CHECK(p.steps[5].def.motions == Strings{"Targeting", "RFA", "Customer Health"});
  CHECK(p.steps[7].def.name == "All Scoped Services Enabled");
  // Nested checklist items keep their depth.
  const auto& outs = p.steps[1].def.outputs;
  CHECK(std::find(outs.begin(), outs.end(), "    Consumption Status (L1) = In Progress") != outs.end());
  CHECK(p.steps[6].def.outputs.empty());  // "- none"

  const auto& t1672 = task(p, 1672);
  CHECK(t1672.name == "Review and validate the Migration Questionnaire on the Migration Collaboration Site");
  CHECK(t1672.mandatory);
  CHECK(t1672.role == "Migration Velocity Manager");
  CHECK(t1672.services == Strings{"Exchange", "OneDrive for Business", "SharePoint"});
  CHECK(t1672.step == "Assist with Enablement");

  const auto& t3223 = task(p, 3223);
  const auto& t4112 = task(p, 4112);
  CHECK(t3223.name == "EDU: Enable Classroom & SDS");
  CHECK(t4112.name == "EDU: Enable Classroom & SDS");  // "EDU:  Enable" with a doubled space
  CHECK(t3223.services == Strings{"Classroom/SDS"});
  CHECK(t4112.services == Strings{"Core Onboarding"});
  CHECK(t3223.role == "FastTrack Engineer");
  CHECK(t4112.role == "SME");
  CHECK_FALSE(t3223.mandatory);

  CHECK(task(p, 3999).name == "MIP \xE2\x80\x93 Activate Tenant and Configure Users");  // en dash
  CHECK(task(p, 3999).services == Strings{"AIP"});
  CHECK(task(p, 2415).name == "AADP - {Wizard} Configure AADP Core");
  CHECK_FALSE(task(p, 2415).mandatory);
  CHECK(task(p, 2415).services == Strings{"AADP"});
  CHECK(task(p, 1126).services == Strings{"All Services"});
  CHECK(task(p, 1126).role == "FastTrack Engineer");
  CHECK(task(p, 2218).role == "SME");
  CHECK(task(p, 2570).services == Strings{"Skype for Business - PSTN Calling", "Skype for Business - Cloud PBX"});
  CHECK(task(p, 3685).role == "GTM");
  CHECK(task(p, 3685).step == "Teams - Skype to Teams Transition");
  CHECK(task(p, 4110).services == Strings{"Intune", "Office ProPlus", "Windows 10"});
  CHECK(task(p, 3743).name == "OneDrive - Track OneDrive Adoption Program Progress");
  CHECK(task(p, 3743).role == "FastTrack Manager");
  CHECK(task(p, 1701).mandatory);
  CHECK(task(p, 1701).step == "All Scoped Services Enabled");
  CHECK(task(p, 3731).step == "Enterprise Additional Benefit Enablement");
  CHECK(task(p, 4097).role == "FastTrack Engineer");

  REQUIRE(p.refresh.size() == 14);
  CHECK(p.refresh[0].row.date == "2020-03-25");
  CHECK(p.refresh[0].row.who == "Ryan Meehan");
  CHECK(p.refresh[0].row.what == "Added step inputs and outputs to all steps");
  CHECK(p.refresh[3].row.what == "Deprecated task 1910, change task 3690 to Mandatory, renamed task 3685");
  CHECK(p.refresh[10].row.who == "Maria Concei\xC3\xA7\xC3\xA3o");
  CHECK(p.refresh[13].row.date == "2018-10-26");
  CHECK(p.front_matter[0] == std::pair<std::string, std::string>{"title", "FastTrack Playbook - Enable Services"});
}

TEST_CASE("every oddity of real pages is read, and each repair is reported with its line", "[importer][oddities]") {
  auto parsed = parse(test::data_path("playbooks/oddities.md"));
  const auto& p = parsed.page;
  CHECK(p.title == "Oddities Playbook");                     // trailing spaces in the heading
  REQUIRE(p.steps.size() == 2);
  CHECK(p.steps[0].def.name == "Untidy Step Name");           // no-break space, trailing spaces
  CHECK(p.steps[0].def.primary_role == "FastTrack Manager");  // "FM"
  CHECK(p.steps[0].def.inputs == Strings{"First input", "  Nested input", "Second input"});
  CHECK(p.steps[0].def.outputs.empty());

  // "## FTOP Tasks" at level 2, a bold 4-column header without Services, "Task Description",
  // "(M) Mandatory (O) Optional".
  const auto& t5001 = task(p, 5001);
  CHECK(t5001.name == "Configure Exchange Online");  // a linked id, a link in the name
  CHECK_FALSE(t5001.mandatory);                       // "*O*"
  CHECK(t5001.role == "FastTrack Engineer");          // "FE"
  CHECK(t5001.services == Strings{"Exchange", "Teams"});  // from Applies To
  CHECK(t5001.step == "Untidy Step Name");
  CHECK(task(p, 5002).name == "MIP \xE2\x80\x93 Configure labels now");  // doubled space, NBSP, en dash
  CHECK(task(p, 5002).mandatory);
  CHECK(has_warning(parsed, 33, "missing its closing '|'"));
  CHECK(task(p, 5003).name == "First of two");  // two rows run together on one line
  CHECK(task(p, 5004).name == "Second of two");
  CHECK(task(p, 5004).mandatory);
  CHECK(has_warning(parsed, 34, "run together"));

  CHECK(task(p, 5005).name == "EDU: Enable Classroom & SDS");  // same name, different ids and services
  CHECK(task(p, 5006).name == "EDU: Enable Classroom & SDS");
  CHECK(task(p, 5005).services == Strings{"Classroom/SDS"});
  CHECK(task(p, 5005).mandatory);  // the first listing wins
  CHECK(has_warning(parsed, 47, "task 5005 is listed again (first at line 45)"));
  CHECK(p.tasks.size() == 6);

  REQUIRE(p.refresh.size() == 2);  // a 4th "Notes" column, a two-digit year
  CHECK(p.refresh[0].row.notes == "reviewed");
  CHECK(p.refresh[1].row.date == "2018-10-16");
  CHECK(parsed.warnings.size() == 3);
}

TEST_CASE("translated pages read like English ones", "[importer][i18n]") {
  for (const char* lang : {"german", "spanish", "portuguese", "japanese", "chinese"}) {
    INFO(lang);
    auto parsed = parse(test::data_path(std::string("playbooks/") + lang + ".md"));
    const auto& p = parsed.page;
    CHECK(parsed.warnings.empty());
    REQUIRE(p.tasks.size() == 2);
    CHECK(p.tasks[0].id == 1126);
    CHECK(p.tasks[0].mandatory);
    CHECK(p.tasks[0].role == "FastTrack Engineer");
    CHECK(p.tasks[1].id == 1672);
    CHECK_FALSE(p.tasks[1].mandatory);
    CHECK(p.tasks[1].services == Strings{"Exchange", "SharePoint"});
    REQUIRE(p.steps.size() == 1);
    CHECK(p.steps[0].def.primary_role == "FastTrack Manager");
    CHECK(p.steps[0].def.inputs.size() == 1);
    CHECK_FALSE(p.phase.empty());
    REQUIRE(p.refresh.size() == 1);
    CHECK(p.refresh[0].row.date == "2020-03-25");
  }
}

TEST_CASE("pages that cannot be read are refused with file:line and the offending value", "[importer][errors]") {
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("playbooks/errors"))) {
    const auto path = entry.path().string();
    const auto text = test::read_file(path);
    const auto at = text.find("<!-- expect: ");
    REQUIRE(at != std::string::npos);
    const auto end = text.find(" -->", at);
    const auto expect = text.substr(at + 13, end - at - 13);
    const auto name = entry.path().filename().string();
    INFO(name);
    auto r = parse_playbook(text, name);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK_THAT(r.status().message(), Catch::StartsWith(name + ":" + expect));
    ++checked;
  }
  CHECK(checked >= 7);
}

TEST_CASE("dates in the forms playbooks write them", "[importer][dates]") {
  CHECK(parse_date("3/25/2020") == "2020-03-25");
  CHECK(parse_date("03/27/2020") == "2020-03-27");
  CHECK(parse_date("10/16/18") == "2018-10-16");
  CHECK(parse_date("2020-03-25") == "2020-03-25");
  CHECK(parse_date("25.03.2020") == "2020-03-25");
  CHECK(parse_date("2020/03/25") == "2020-03-25");
  CHECK(parse_date("2020\xE5\xB9\xB4" "3\xE6\x9C\x88" "25\xE6\x97\xA5") == "2020-03-25");
  CHECK(parse_date(" 2/29/2020 ") == "2020-02-29");
  CHECK(parse_date("2/29/2019").empty());
  CHECK(parse_date("13/45/2020").empty());
  CHECK(parse_date("3/25/202").empty());
  CHECK(parse_date("yesterday").empty());
  CHECK(playbook_date("2020-03-05") == "3/5/2020");
}

TEST_CASE("markup and whitespace clean-up", "[importer][text]") {
  CHECK(strip_markup("**Bold** and *em* and `code`") == "Bold and em and code");
  CHECK(strip_markup("[L1/L2](https://x/y.html) status") == "L1/L2 status");
  CHECK(strip_markup("\\[Wizard\\] Deploy") == "[Wizard] Deploy");
  CHECK(normalize_space("  a\xC2\xA0\xC2\xA0 b\xE2\x80\x8B c  ") == "a b c");
}

namespace {

// "<!-- key: a | b | c -->" lines of a page, each as its cells.
std::vector<std::string> comments(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  const std::string open = "<!-- " + key + ": ";
  for (auto at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
    const auto end = text.find(" -->", at);
    out.push_back(text.substr(at + open.size(), end - at - open.size()));
  }
  return out;
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

// Each page under tests/data/playbooks/untidy is one class of untidiness real pages have. It
// names, in comments, every warning the import must give (exactly: no more, no fewer), every
// task it must read and every Refresh Summary row, in page order.
TEST_CASE("untidy pages: each repair or skipped row is one warning with its line, the rest is read exactly", "[importer][untidy]") {
  std::size_t pages = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("playbooks/untidy"))) {
    const auto name = entry.path().filename().string();
    INFO(name);
    const auto text = test::read_file(entry.path().string());
    auto parsed = parse(entry.path().string());
    std::vector<std::string> warnings, tasks, refresh;
    for (const auto& w : parsed.warnings) warnings.push_back(std::to_string(w.line) + ": " + w.message);
    for (const auto& t : parsed.page.tasks)
      tasks.push_back(std::to_string(t.id) + " | " + t.name + " | " + (t.mandatory ? "M" : "O") + " | " + t.role + " | " +
                      joined(t.services, " / ") + " | " + t.step);
    for (const auto& r : parsed.page.refresh) refresh.push_back(r.row.date + " | " + r.row.who + " | " + r.row.what);
    CHECK(warnings == comments(text, "warning"));
    CHECK(tasks == comments(text, "task"));
    CHECK(refresh == comments(text, "refresh"));
    CHECK_FALSE(comments(text, "task").empty());
    ++pages;
  }
  CHECK(pages >= 5);
}

TEST_CASE("an M/O header's own legend defines its letters; a letter given both meanings means neither", "[importer][legend]") {
  auto legend = [](const char* header) {
    std::string out;
    for (const auto& [letter, m] : tables::read_legend(header).letters) out += letter + (m ? "=M " : "=O ");
    return out;
  };
  CHECK(legend("(M)andatory / (O)ptional") == "m=M o=O ");
  CHECK(legend("(E) Erforderlich (O) Optional") == "e=M o=O ");
  CHECK(legend("(b) Obrigatório / (O) Opcional") == "b=M o=O ");
  CHECK(legend("(O)brigatório / (O)pcional").empty());
  CHECK(legend("(P)flicht / (O)ptional") == "o=O p=M ");
  CHECK(legend("Mandatory").empty());
  const auto de = tables::read_legend("(E) Erforderlich (O) Optional");
  CHECK(tables::parse_mandatory("E", de) == std::optional<bool>(true));
  CHECK(tables::parse_mandatory("e", de) == std::optional<bool>(true));
  CHECK(tables::parse_mandatory("O", de) == std::optional<bool>(false));
  CHECK(tables::parse_mandatory("M", de) == std::optional<bool>(true));  // the usual letters still read
  CHECK_FALSE(tables::parse_mandatory("X", de).has_value());
  const auto pt = tables::read_legend("(O)brigatório / (O)pcional");
  CHECK_FALSE(tables::parse_mandatory("b", pt).has_value());
  CHECK(tables::parse_mandatory("Obrigatório", pt) == std::optional<bool>(true));
}

TEST_CASE("a row one '|' short is split only where exactly one split reads", "[importer][repair]") {
  tables::Columns cols = tables::classify({"Task ID", "Task Name", "(M)andatory / (O)ptional", "FastTrack Role", "Services"});
  REQUIRE(cols.kind == tables::TableKind::kTasks);
  auto known = [](const std::string& r) { return r == "FastTrack Engineer" || r == "FastTrack Manager"; };
  std::string merged;
  auto fixed = tables::split_merged_cell(cols, {"1126", "Meet the PM", "O FastTrack Engineer", "Exchange"}, known, &merged);
  REQUIRE(fixed.has_value());
  CHECK(*fixed == Strings{"1126", "Meet the PM", "O", "FastTrack Engineer", "Exchange"});
  CHECK(merged == "O FastTrack Engineer");
  fixed = tables::split_merged_cell(cols, {"1126 Meet the PM", "M", "FastTrack Manager", "Exchange"}, known, &merged);
  REQUIRE(fixed.has_value());
  CHECK(*fixed == Strings{"1126", "Meet the PM", "M", "FastTrack Manager", "Exchange"});
  // An unknown role after the letter: no split reads.
  CHECK_FALSE(tables::split_merged_cell(cols, {"1126", "Meet the PM", "O Somebody Else", "Exchange"}, known, &merged));
  // Two splits read ("Plan M" | "O FastTrack Engineer" and "Plan M O" ... ): refused, not guessed.
  CHECK_FALSE(tables::split_merged_cell(cols, {"1126", "Plan M", "O FastTrack Engineer"}, known, &merged));
  // Not one cell short: not this repair's business.
  CHECK_FALSE(tables::split_merged_cell(cols, {"1126", "Meet", "O", "FastTrack Engineer", "Exchange"}, known, &merged));
}

TEST_CASE("rows too wide or cells too large to hold are left out with a warning, not read into memory", "[importer][limits]") {
  std::string page = "# Limits\n\n### A Step\n\n| Task ID | Task Name | (M)andatory / (O)ptional | FastTrack Role |\n"
                     "| --- | --- | --- | --- |\n| 1126 | Meet the PM | M | FastTrack Engineer |\n";
  page += "| 1127 | " + std::string(70 * 1024, 'x') + " | O | FastTrack Engineer |\n";
  page += std::string(100000, '|') + "\n";
  auto r = parse_playbook(page, "limits.md");
  REQUIRE(r.ok());
  REQUIRE(r->page.tasks.size() == 1);
  CHECK(r->page.tasks[0].id == 1126);
  REQUIRE(r->warnings.size() == 2);
  CHECK(r->warnings[0].str() == "limits.md:8: a cell of the row holds 71680 bytes, more than the 65536 a cell may; the row was skipped");
  CHECK(r->warnings[1].str() == "limits.md:9: the table row has 99999 cells, more than the 512 a table may have; it was ignored");
}
