// Failpoint coverage: the suites' workloads fire every catalogued failpoint under every action it accepts.
//
// Goal: a suite that never reaches a failpoint proves nothing about it, and nothing else would notice. The
// catalogue (fp::Catalogue::Global() after RegisterSimFailpoints: every lib/ site and memory.write) lists each
// site with the actions that apply to it; this test fails naming every (site, action) that the suites' cases
// never fired. Method: the cases the suites generate (property_case.h: the same SuiteConfig, the same
// BuildCase), for a fixed list of seeds and sizes spread over rapidcheck's range: the four crash-model suites
// (error, ic, powerloss, torn, with their guided arms) and the three negative controls (lost, misdirect,
// bitflip); the fired counters of every case's Session (fp::Snapshot before the Session ends) are summed. The
// report prints the catalogue with hits and fired counts, and the list of (site, action) never fired. It runs
// once per builtin layout, over the sites that layout reaches (faults/layout_sites.h); the cases of a crash
// model the layout does not promise to survive are not required to be clean (they fail as expected), only to
// fire their sites.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "failpoints/catalogue.h"
#include "failpoints/registry.h"
#include "harness/faults/layout_sites.h"
#include "harness/faults/vocabulary.h"
#include "harness/sim/sim_failpoints.h"
#include "lib/layout/layout_registry.h"
#include "properties/support/property_case.h"

namespace stablevfs::properties {
namespace {

using scenario::CrashModel;

constexpr uint64_t kSeed = 20240917;

class FailpointCoverageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override { fp::ClearAll(); }
};

// Runs `cases` cases of `config` (sizes spread over 0..100) and adds their fired counters to `*total`.
// `must_be_clean`: every case must hold every judgement.
void RunSuite(const SuiteConfig& config, int cases, bool must_be_clean, fp::HitSnapshot* total) {
  for (int n = 0; n < cases; ++n) {
    const uint64_t seed = ops::MixSeed(kSeed ^ ops::MixSeed(static_cast<uint64_t>(n)));
    const int size = cases == 1 ? 100 : n * 100 / (cases - 1);
    const CaseOps c = BuildCase(config, seed, LengthForSize(config, size));
    SessionSut sut(config, c.seed);
    bool clean = true;
    for (const ops::Op& op : c.ops) clean = sut.Run(op).ok() && clean;
    // The crash-model suites must be clean (their own tests say where not); the negative controls must not.
    if (must_be_clean) {
      EXPECT_TRUE(clean) << config.name << " seed " << seed << "\n" << sut.Scenario();
    }
    Accumulate(fp::Snapshot(), total);  // before the Session ends: it clears the thread's counters
  }
}

TEST_P(FailpointCoverageTest, EverySiteFiresUnderEveryActionItTakes) {
  sim::RegisterSimFailpoints();
  const LayoutInfo& layout = *LayoutRegistry::Global().Find(GetParam());
  const std::vector<fp::SiteInfo> sites = faults::SitesReachedBy(layout, fp::Catalogue::Global());
  ASSERT_FALSE(sites.empty());

  const int cases = 20;  // the same under a sanitizer: coverage must not depend on the build
  std::cout << "seed " << kSeed << ": case n of each suite has seed MixSeed(" << kSeed << " ^ MixSeed(n)), n < "
            << cases << " (3 for the negative controls)\n";
  fp::HitSnapshot total;
  for (CrashModel model : {CrashModel::kError, CrashModel::kIc, CrashModel::kPowerloss, CrashModel::kTorn}) {
    SuiteConfig config = CrashModelSuite(model);
    config.print_cases = false;
    config.layout = layout.name;
    RunSuite(config, cases, faults::ExpectedToSurvive(layout.atomicity, model), &total);
  }
  for (const auto& [kind, faults] : {std::pair{"lost", "memory.write=2%lost"},
                                     std::pair{"misdirect", "memory.write=3%misdirect"},
                                     std::pair{"bitflip", "memory.write=3%bitflip"}}) {
    SuiteConfig config = NegativeControlSuite(std::string("negative-") + kind, faults);
    config.print_cases = false;
    config.layout = layout.name;
    RunSuite(config, 3, /*must_be_clean=*/false, &total);
  }

  std::cout << fp::FormatTable(sites, &total);
  std::vector<std::string> missing;
  size_t pairs = 0;
  for (const fp::SiteInfo& site : sites) {
    for (int a = 1; a < fp::kActionCount; ++a) {
      const fp::Action action = static_cast<fp::Action>(a);
      if (!site.Accepts(action)) continue;
      ++pairs;
      if (total.FiredOf(site.name, action) == 0) {
        missing.push_back(std::string(site.name) + ":" + std::string(fp::ActionName(action)));
      }
    }
  }
  std::string list;
  for (const std::string& m : missing) list += "  " + m + "\n";
  std::cout << pairs - missing.size() << " of " << pairs << " (site, action) pairs fired\n";
  EXPECT_TRUE(missing.empty()) << missing.size() << " (site, action) pairs never fired:\n" << list;
}

INSTANTIATE_TEST_SUITE_P(Builtins, FailpointCoverageTest, ::testing::Values("6", "8", "sv1"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return "layout" + info.param; });

}  // namespace
}  // namespace stablevfs::properties
