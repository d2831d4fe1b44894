// The catalogue: registration rules, lookup, the text and JSON listings, and spec checking against the
// process-wide catalogue.
//
// Goal: names are permanent, so the catalogue must refuse a second, different definition of a name while
// accepting the same table twice; listings must be sorted and stable enough to diff; and once the global
// catalogue has entries, fp::Arm and fp::ArmFromEnvironment must reject unknown names and inapplicable
// actions. Method: local Catalogue objects for the rules and listings (compared with exact expected text),
// and the global catalogue for the arming tests (registration is idempotent, so every test may register).

#include "failpoints/catalogue.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "failpoints/registry.h"

namespace stablevfs::fp {
namespace {

constexpr uint32_t kStorageActions =
    ActionBit(Action::kCrash) | ActionBit(Action::kTorn) | ActionBit(Action::kLost) | ActionBit(Action::kBitflip);

// Deliberately not sorted, to show that All() sorts.
constexpr SiteInfo kSites[] = {
    {"memory.write", "harness/sim", "a stable-memory write", kStorageActions},
    {"commit.page_write", "lib/layout commit", "page write failure mid-commit", kLibraryActions},
    {"alpha", "test", "says \"hi\"", ActionBit(Action::kError)},
};

TEST(CatalogueTest, ActionBitsAndLists) {
  EXPECT_EQ(ActionBit(Action::kOff), 1u);
  EXPECT_EQ(ActionBit(Action::kBitflip), 128u);
  EXPECT_EQ(ActionList(kLibraryActions), "error, trap, crash");
  EXPECT_EQ(ActionList(kStorageActions), "crash, torn, lost, bitflip");
  EXPECT_EQ(ActionList(0), "");
  const SiteInfo site = kSites[1];
  EXPECT_TRUE(site.Accepts(Action::kOff));
  EXPECT_TRUE(site.Accepts(Action::kCrash));
  EXPECT_FALSE(site.Accepts(Action::kTorn));
}

TEST(CatalogueTest, RegisterSortsFindsAndIsIdempotent) {
  Catalogue catalogue;
  EXPECT_TRUE(catalogue.empty());
  catalogue.Register(kSites);
  catalogue.Register(kSites);
  catalogue.Register(std::span(kSites).first(1));
  EXPECT_EQ(catalogue.size(), 3u);
  const std::vector<SiteInfo> all = catalogue.All();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "alpha");
  EXPECT_EQ(all[1].name, "commit.page_write");
  EXPECT_EQ(all[2].name, "memory.write");
  EXPECT_EQ(all[2], kSites[0]);
  const std::optional<SiteInfo> found = catalogue.Find("commit.page_write");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->layer, "lib/layout commit");
  EXPECT_EQ(found->actions, kLibraryActions);
  EXPECT_FALSE(catalogue.Find("commit").has_value());
}

TEST(CatalogueTest, ViewsOwnTheirStrings) {
  Catalogue catalogue;
  std::optional<SiteInfo> view;
  {
    std::string name = "temp.site";
    std::string layer = "test";
    std::string simulates = "a site whose strings die before the catalogue";
    const SiteInfo site{name, layer, simulates, kLibraryActions};
    catalogue.Register(std::span(&site, 1));
    view = catalogue.Find("temp.site");
    name.assign(name.size(), 'x');  // scribble over the caller's copy
  }
  for (int i = 0; i < 1000; ++i) {  // and make the catalogue grow a lot
    const std::string name = "grow.site" + std::to_string(i);
    const SiteInfo site{name, "test", "filler", kLibraryActions};
    catalogue.Register(std::span(&site, 1));
  }
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->name, "temp.site");
  EXPECT_EQ(view->simulates, "a site whose strings die before the catalogue");
}

TEST(CatalogueTest, ConflictingOrInvalidRegistrationThrowsAndAddsNothing) {
  Catalogue catalogue;
  catalogue.Register(kSites);
  const SiteInfo renamed_layer[] = {{"brand.new", "test", "fine", kLibraryActions},
                                    {"alpha", "elsewhere", "says \"hi\"", ActionBit(Action::kError)}};
  EXPECT_THROW(catalogue.Register(renamed_layer), std::invalid_argument);
  EXPECT_FALSE(catalogue.Find("brand.new").has_value());  // the batch is all or nothing

  const SiteInfo twice_in_batch[] = {{"dup", "test", "one", kLibraryActions}, {"dup", "test", "two", kLibraryActions}};
  EXPECT_THROW(catalogue.Register(twice_in_batch), std::invalid_argument);
  const SiteInfo bad_name[] = {{"bad name", "test", "x", kLibraryActions}};
  EXPECT_THROW(catalogue.Register(bad_name), std::invalid_argument);
  const SiteInfo no_actions[] = {{"quiet", "test", "x", 0}};
  EXPECT_THROW(catalogue.Register(no_actions), std::invalid_argument);
  const SiteInfo unknown_bit[] = {{"odd", "test", "x", 1u << 9}};
  EXPECT_THROW(catalogue.Register(unknown_bit), std::invalid_argument);
  EXPECT_EQ(catalogue.size(), 3u);

  // The same name twice in one batch with identical details is just idempotence.
  const SiteInfo same_twice[] = {{"same", "test", "x", kLibraryActions}, {"same", "test", "x", kLibraryActions}};
  catalogue.Register(same_twice);
  EXPECT_EQ(catalogue.size(), 4u);
}

TEST(CatalogueTest, TextTableIsAligned) {
  Catalogue catalogue;
  catalogue.Register(kSites);
  const std::vector<SiteInfo> all = catalogue.All();
  EXPECT_EQ(FormatTable(all),
            "NAME               LAYER              ACTIONS                     SIMULATES\n"
            "alpha              test               error                       says \"hi\"\n"
            "commit.page_write  lib/layout commit  error, trap, crash          page write failure mid-commit\n"
            "memory.write       harness/sim        crash, torn, lost, bitflip  a stable-memory write\n");
}

TEST(CatalogueTest, TextTableWithHits) {
  Catalogue catalogue;
  catalogue.Register(kSites);
  HitSnapshot snapshot;
  snapshot.hits = {{"commit.page_write", 12}, {"memory.write", 3}, {"not.catalogued", 4}};
  snapshot.fired = {{{"commit.page_write", Action::kError}, 2}, {{"commit.page_write", Action::kCrash}, 1}};
  EXPECT_EQ(FormatTable(catalogue.All(), &snapshot),
            "NAME               LAYER              ACTIONS                     HITS  FIRED            SIMULATES\n"
            "alpha              test               error                       0     -                says \"hi\"\n"
            "commit.page_write  lib/layout commit  error, trap, crash          12    error=2 crash=1  page write "
            "failure mid-commit\n"
            "memory.write       harness/sim        crash, torn, lost, bitflip  3     -                a stable-memory "
            "write\n");
}

TEST(CatalogueTest, JsonListing) {
  Catalogue catalogue;
  catalogue.Register(kSites);
  EXPECT_EQ(FormatJson(catalogue.All()),
            "[\n"
            "  {\"name\": \"alpha\", \"layer\": \"test\", \"simulates\": \"says \\\"hi\\\"\", \"actions\": "
            "[\"error\"]},\n"
            "  {\"name\": \"commit.page_write\", \"layer\": \"lib/layout commit\", \"simulates\": \"page write "
            "failure mid-commit\", \"actions\": [\"error\", \"trap\", \"crash\"]},\n"
            "  {\"name\": \"memory.write\", \"layer\": \"harness/sim\", \"simulates\": \"a stable-memory write\", "
            "\"actions\": [\"crash\", \"torn\", \"lost\", \"bitflip\"]}\n"
            "]");
  EXPECT_EQ(FormatJson({}), "[]");
}

TEST(CatalogueTest, JsonListingWithHitsAndEscapes) {
  const SiteInfo odd[] = {{"odd", "a\\b", "tab\there\nline\x01", ActionBit(Action::kTrap)}};
  HitSnapshot snapshot;
  snapshot.hits = {{"odd", 7}};
  snapshot.fired = {{{"odd", Action::kTrap}, 5}, {{"odd", Action::kError}, 1}};
  EXPECT_EQ(FormatJson(odd, &snapshot),
            "[\n  {\"name\": \"odd\", \"layer\": \"a\\\\b\", \"simulates\": \"tab\\there\\nline\\u0001\", "
            "\"actions\": [\"trap\"], \"hits\": 7, \"fired\": {\"error\": 1, \"trap\": 5}}\n]");
  const SiteInfo quiet[] = {{"quiet", "l", "s", ActionBit(Action::kTrap)}};
  EXPECT_EQ(FormatJson(quiet, &snapshot),
            "[\n  {\"name\": \"quiet\", \"layer\": \"l\", \"simulates\": \"s\", \"actions\": [\"trap\"], \"hits\": 0, "
            "\"fired\": {}}\n]");
}

class GlobalCatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override { Catalogue::Global().Register(kSites); }
  ScopedRegistryReset reset_;
};

TEST_F(GlobalCatalogueTest, ArmRejectsUnknownNames) {
  SpecStatus status = Arm("commit.page_write=error;nosuch=trap");
  EXPECT_EQ(status.message(), "spec column 25: unknown failpoint 'nosuch' (run `stablevfs failpoints` for the list)");
  EXPECT_TRUE(Armed().empty());
  Term trap;
  trap.action = Action::kTrap;
  status = Arm("nosuch", Chain{trap});
  EXPECT_EQ(status.message(), "unknown failpoint 'nosuch' (run `stablevfs failpoints` for the list)");
}

TEST_F(GlobalCatalogueTest, ArmRejectsInapplicableActions) {
  const SpecStatus status = Arm("memory.write=error");
  EXPECT_EQ(status.message(),
            "spec column 14: action 'error' does not apply to failpoint 'memory.write' (it takes crash, torn, lost, "
            "bitflip)");
  EXPECT_TRUE(Armed().empty());
}

TEST_F(GlobalCatalogueTest, ArmAcceptsCataloguedSites) {
  const SpecStatus status = Arm("commit.page_write=2*off->1*crash;memory.write=torn(prefix)");
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(ToString(Armed()), "commit.page_write=2*off->1*crash;memory.write=torn(prefix)");
}

TEST_F(GlobalCatalogueTest, EnvironmentIsCheckedAgainstTheCatalogue) {
  ::setenv("STABLEVFS_FAILPOINTS", "alpha=error;ghost=error", 1);
  const SpecStatus status = ArmFromEnvironment();
  ::unsetenv("STABLEVFS_FAILPOINTS");
  EXPECT_EQ(status.message(),
            "STABLEVFS_FAILPOINTS: spec column 13: unknown failpoint 'ghost' (run `stablevfs failpoints` for the "
            "list)");
  EXPECT_TRUE(Armed().empty());
}

}  // namespace
}  // namespace stablevfs::fp
