// Explorer findings: no violation on the real library, violations found when storage faults are injected,
// saved scenarios that replay them, and results that do not depend on the number of jobs.
//
// Goal: an explorer that never reports anything is indistinguishable from one that checks nothing, so it is
// tested both ways. Method: (1) the standard workloads (scenarios/workloads/) explored with every action must
// report no violation and, between them, reach every catalogued site inside a message; (2) the same explorer
// with a storage fault armed for every run (memory.write=every(7):lost, then misdirect(4096): faults the
// library cannot see, which the judgement must catch) must report violations, save a scenario for them, and
// replaying a saved scenario must reproduce the violation; (3) exploring with 1 and with 2 jobs must give the
// same points, results and findings, in the same order. (4) Tears inside a sector, outside the library's model,
// are found at their crash points while the plain run holds.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "failpoints/catalogue.h"
#include "harness/driver/replay.h"
#include "harness/explore/explorer.h"
#include "harness/explore/workloads.h"
#include "harness/faults/layout_sites.h"
#include "harness/faults/vocabulary.h"
#include "harness/ops/catalogue_setup.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::explore {
namespace {

scenario::Scenario Load(const std::string& path) {
  scenario::ScenarioResult parsed = LoadWorkload(path);
  if (!parsed.ok()) throw std::runtime_error(parsed.error().ToString());
  return std::move(parsed).value();
}

std::string StandardWorkload(const std::string& name) {
  const std::string dir = DefaultWorkloadsDir();
  if (dir.empty()) throw std::runtime_error("the standard workloads were not found");
  return dir + "/" + name + ".scn";
}

// Every builtin layout, explored over the standard workloads: every finding is one its declared promise allows
// (none for layout 6; for layout 8, crashes between two in-place writes), each crash model the layout does not
// promise is shown to fail, and every site the layout reaches is reached.
class ExploreLayoutTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExploreLayoutTest, StandardWorkloadsHoldThePromiseAndReachEverySite) {
  const LayoutInfo& layout = *LayoutRegistry::Global().Find(GetParam());
  ExploreOptions options;
  options.jobs = 2;
  options.layout = layout.name;
  const StandardExploration all = ExploreStandardWorkloads(options);
  ASSERT_GE(all.paths.size(), 3u);
  ASSERT_EQ(all.results.size(), all.paths.size());
  std::set<std::string> reached;
  std::set<scenario::CrashModel> failed_models;
  uint64_t points = 0;
  for (size_t i = 0; i < all.results.size(); ++i) {
    const ExploreResult& result = all.results[i];
    const std::string& path = all.paths[i];
    for (const Finding& f : result.findings) {
      const bool expected =
          f.point && !faults::ExpectedToSurvive(layout.atomicity, CrashModelOf(f.point->action));
      if (expected) {
        failed_models.insert(CrashModelOf(f.point->action));
        continue;
      }
      ADD_FAILURE() << path << " op " << f.op_index << " " << f.op << " "
                    << (f.point ? f.point->spec : std::string("(no fault)")) << ": " << f.violations.front().property
                    << ": " << f.violations.front().message;
    }
    EXPECT_GT(result.crash_points, 0u) << path;
    EXPECT_EQ(result.crash_points, result.points_run) << path << ": every point should fire";
    EXPECT_TRUE(result.warnings.empty()) << path << ": " << result.warnings.front();
    points += result.crash_points;
    for (const auto& [site, hits] : result.hits_in_messages) {
      if (hits > 0) reached.insert(site);
    }
  }
  EXPECT_EQ(all.crash_points, points);
  for (scenario::CrashModel model : faults::AllCrashModels()) {
    const bool promised = faults::ExpectedToSurvive(layout.atomicity, model);
    EXPECT_EQ(failed_models.count(model), promised ? 0u : 1u)
        << "layout " << layout.name << " under " << scenario::CrashModelName(model)
        << (promised ? " must pass" : " must fail: a layout that does not promise it must be shown failing");
  }
  for (const fp::SiteInfo& site : faults::SitesReachedBy(layout, ops::RegisterCatalogue())) {
    EXPECT_EQ(reached.count(std::string(site.name)), 1u) << site.name << " is reached by no standard workload";
  }
  for (const std::string& site : reached) {
    EXPECT_TRUE(faults::SiteReachedBy(site, layout)) << site << " was reached but layout " << layout.name
                                                     << " does not declare it";
  }
}

// Byte-granular tears (storage without sector atomicity): only a layout that promises kTornBytes must survive
// them; sv1 does (docs/layout-sv1.md), layout 6 does not (its single superblock tears), and neither does 8.
TEST_P(ExploreLayoutTest, ByteTornWritesBreakOnlyTheLayoutsThatDoNotPromiseThem) {
  const LayoutInfo& layout = *LayoutRegistry::Global().Find(GetParam());
  ExploreOptions options;
  options.jobs = 2;
  options.layout = layout.name;
  options.actions = {CrashAction::kTorn};
  options.torn_sectors = false;
  const StandardExploration all = ExploreStandardWorkloads(options);
  uint64_t findings = 0;
  for (const ExploreResult& result : all.results) {
    EXPECT_GT(result.crash_points, 0u) << result.name;
    for (const Finding& f : result.findings) {
      ASSERT_TRUE(f.point.has_value()) << result.name << ": a finding without a crash point";
      ++findings;
      if (faults::ExpectedToSurvive(layout.atomicity, faults::MemoryPromise::kByteTorn)) {
        ADD_FAILURE() << result.name << " op " << f.op_index << " " << f.point->spec << ": "
                      << f.violations.front().property << ": " << f.violations.front().message;
      }
    }
  }
  if (!faults::ExpectedToSurvive(layout.atomicity, faults::MemoryPromise::kByteTorn)) {
    EXPECT_GT(findings, 0u) << "layout " << layout.name << " does not promise byte-torn writes and must be shown failing";
  }
}

INSTANTIATE_TEST_SUITE_P(Builtins, ExploreLayoutTest, ::testing::Values("6", "8", "sv1"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return "layout" + info.param; });

class ExploreStorageFaultTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ExploreStorageFaultTest, IsFoundSavedAndReplayed) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("stablevfs-explore-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
       std::to_string(reinterpret_cast<uintptr_t>(this)));
  std::filesystem::remove_all(dir);
  ExploreOptions options;
  options.actions = {CrashAction::kPowerloss};
  options.faults = GetParam();
  options.save_dir = dir.string();
  options.save_max = 3;
  const ExploreResult result = ExploreWorkload(Load(StandardWorkload("kv")), "kv", options);
  ASSERT_FALSE(result.ok()) << "a storage fault armed for every run went unnoticed";
  size_t saved = 0;
  size_t reproduced = 0;
  for (const Finding& f : result.findings) {
    if (f.scenario_path.empty()) continue;
    ++saved;
    ASSERT_TRUE(std::filesystem::exists(f.scenario_path));
    ASSERT_TRUE(f.reproduced.has_value());
    if (*f.reproduced) {
      ++reproduced;
      // Independently of the explorer's own check: the saved file replays to its declared violation.
      const driver::ReplayResult replay = driver::ReplayFile(f.scenario_path);
      EXPECT_TRUE(replay.passed) << f.scenario_path << ": " << replay.failure;
      ASSERT_TRUE(replay.violation.has_value());
      EXPECT_EQ(replay.violation->property, f.violations.front().property);
    }
  }
  EXPECT_EQ(saved, std::min<size_t>(3, result.findings.size()));
  EXPECT_GT(reproduced, 0u) << "no saved scenario reproduced its violation";
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Faults, ExploreStorageFaultTest,
                         ::testing::Values("memory.write=every(7):lost", "memory.write=every(5):misdirect(4096)"));

// Tears inside a 512-byte sector are outside the model the library is built for (its 152-byte superblock is
// written in one sector and trusted to persist whole or not at all). With --torn bytes the plain run still holds,
// so every finding is a crash point's: proof that the points themselves are judged, and that a saved point
// scenario (ops, upgrade, arm, op) replays to the same violation.
TEST(ExploreFindingsTest, TearsInsideASectorAreFoundAtTheirCrashPoints) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("stablevfs-explore-torn-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
  std::filesystem::remove_all(dir);
  ExploreOptions options;
  options.actions = {CrashAction::kTorn};
  options.torn_sectors = false;
  options.save_dir = dir.string();
  options.save_max = 2;
  const ExploreResult result = ExploreWorkload(Load(StandardWorkload("kv")), "kv", options);
  ASSERT_FALSE(result.ok()) << "byte tears of the superblock went unnoticed";
  for (const ops::StepRecord& record : result.dry_run) EXPECT_TRUE(record.ok()) << record.ToString();
  for (const Finding& f : result.findings) {
    ASSERT_TRUE(f.point.has_value()) << "a finding without a crash point: " << f.violations.front().message;
    EXPECT_EQ(f.point->site, "memory.write");
    EXPECT_EQ(f.outcome, ops::Outcome::kCrashed);
  }
  ASSERT_TRUE(result.findings.front().reproduced.has_value());
  EXPECT_TRUE(*result.findings.front().reproduced) << result.findings.front().scenario_path;

  // The same workload under the sector model holds.
  options.torn_sectors = true;
  options.save_dir = "";
  const ExploreResult sectors = ExploreWorkload(Load(StandardWorkload("kv")), "kv", options);
  EXPECT_TRUE(sectors.ok()) << sectors.findings.front().violations.front().message;
  EXPECT_EQ(sectors.crash_points, result.crash_points);
  std::filesystem::remove_all(dir);
}

void ExpectSameResults(const ExploreResult& a, const ExploreResult& b) {
  EXPECT_EQ(a.points.size(), b.points.size());
  for (size_t i = 0; i < std::min(a.points.size(), b.points.size()); ++i) {
    ASSERT_EQ(a.points[i], b.points[i]) << "point " << i << ": " << a.points[i].point.spec;
  }
  EXPECT_EQ(a.findings, b.findings);
  EXPECT_EQ(a.by_site_action, b.by_site_action);
  EXPECT_EQ(a.crash_points, b.crash_points);
  EXPECT_EQ(a.dry_run, b.dry_run);
}

TEST(ExploreDeterminismTest, OneJobAndTwoJobsAgree) {
  const scenario::Scenario workload = Load(StandardWorkload("kv"));
  ExploreOptions options;
  options.keep_points = true;
  options.jobs = 1;
  const ExploreResult one = ExploreWorkload(workload, "kv", options);
  options.jobs = 2;
  const ExploreResult two = ExploreWorkload(workload, "kv", options);
  ASSERT_GT(one.points.size(), 100u);
  ExpectSameResults(one, two);
}

TEST(ExploreDeterminismTest, OneJobAndTwoJobsAgreeOnFindings) {
  const scenario::Scenario workload = Load(StandardWorkload("relational"));
  ExploreOptions options;
  options.keep_points = true;
  options.faults = "memory.write=every(9):lost";
  options.actions = {CrashAction::kTrap, CrashAction::kTorn};
  options.jobs = 1;
  const ExploreResult one = ExploreWorkload(workload, "relational", options);
  options.jobs = 2;
  const ExploreResult two = ExploreWorkload(workload, "relational", options);
  ASSERT_FALSE(one.findings.empty());
  ExpectSameResults(one, two);
}

}  // namespace
}  // namespace stablevfs::explore
