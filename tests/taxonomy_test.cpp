// The L1/L2, Service Status and note-kind vocabularies, as users type them.
#include <catch2/catch.hpp>

#include "schema/taxonomy.h"

using namespace ftl::schema;

TEST_CASE("L1 and L2 values match the homepage list and forgive how they are typed", "[taxonomy]") {
  CHECK(l1_values().size() == 5);
  CHECK(canonical_l1("in progress") == "In Progress");
  CHECK(canonical_l1("L1 - Blocked") == "Blocked");
  CHECK(canonical_l1("duplicate/invalid") == "Duplicate/Invalid");
  CHECK_FALSE(canonical_l1("Done"));
  CHECK(l2_values("In Progress").size() == 3);
  CHECK(l2_values("Blocked").size() == 10);
  CHECK(l2_values("Duplicate/Invalid").empty());
  CHECK(canonical_l2("In Progress", "solution or user adoption") == "Solution or User Adoption");
  CHECK(canonical_l2("Blocked", "L2 - Legal/Regulatory") == "Legal/Regulatory");
  CHECK_FALSE(canonical_l2("In Progress", "Legal/Regulatory"));  // an L2 of Blocked
  CHECK(l1_of_l2("Legal/Regulatory") == "Blocked");
  CHECK(l1_of_l2("Customer Unresponsive") == "Status Unknown");
}

TEST_CASE("Service Status follows the phases in order", "[taxonomy]") {
  CHECK(canonical_service_status("migrate") == "Migrate");
  CHECK(canonical_service_status("initiate - serialized") == "Initiate - Serialized");
  CHECK(service_status_rank("Initiate") < service_status_rank("Enable"));
  CHECK(service_status_rank("Enable") < service_status_rank("Adoption"));
  CHECK_FALSE(canonical_service_status("Done"));
}

TEST_CASE("note kinds and suggestions", "[taxonomy]") {
  CHECK(canonical_note_kind("technical-enablement") == "technical-enablement");
  CHECK(canonical_note_kind("Engagement Management") == "engagement-management");
  CHECK_FALSE(canonical_note_kind("misc"));
  CHECK(note_kind_title("environment") == "Environment");
  CHECK(nearest("In Progres", l1_values()) == "In Progress");
  CHECK(nearest("Adoption Readines", l2_values("Blocked")) == "Adoption Readiness");
  CHECK(nearest("zzzzzzzzzz", l1_values()).empty());
}
