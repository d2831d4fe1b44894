// The harness throughput benchmark (bench/workloads/harness_bench.h) measures real work, and the same work
// on every run.
//
// Goal: its figures are figures about the harness doing its job: judged cases that stay green, crash points
// that were injected and judged, negative controls that went red and were shrunk, on every layout; and a
// layout's expected failures (layout 8 under powerloss and torn) are counted apart, never as violations.
// Method: run it small (judged cases of 20 ops, one tiny explored workload written here, the three controls)
// on layouts 6 and 8, twice, and check the counts against each other and against what the parts report on
// their own (RunCase, ExploreStandardWorkloads): the counts are deterministic, only the clocks differ. No
// timing assertions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "bench/workloads/harness_bench.h"
#include "bench/workloads/vfs_bench.h"
#include "harness/driver/case_runner.h"
#include "harness/explore/workloads.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::bench {
namespace {

class HarnessBenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One folder per test and process: ctest runs the tests of this file in parallel, and a shared folder
    // removed by one test's TearDown pulled the workloads from under the other.
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("harness_bench_test_" + std::string(test->name()) + "_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tiny.scn") << "# Two messages: enough crash points to count, few enough to be quick.\n"
                                        "update CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB)\n"
                                        "expect committed\n"
                                        "update INSERT INTO t VALUES('a', zeroblob(20000))\n"
                                        "expect committed\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HarnessBenchOptions Options() const {
    HarnessBenchOptions options;
    options.seed = 3;
    options.judged_cases = 2;
    options.judged_steps = 20;
    options.explore_jobs = {1, 2};
    options.workloads_dir = dir_.string();
    return options;
  }

  std::filesystem::path dir_;
};

TEST_F(HarnessBenchTest, MeasuresRealWorkDeterministically) {
  const HarnessReport first = RunHarnessBenchmarks(Options());
  ASSERT_TRUE(first.error.empty()) << first.error;
  EXPECT_TRUE(first.ok());

  // Every builtin layout by default, each with the same seeds; every row names its layout.
  const std::vector<const LayoutInfo*> layouts = LayoutRegistry::Global().Builtins();
  ASSERT_EQ(first.judged.size(), layouts.size());
  ASSERT_EQ(first.explore.size(), 2 * layouts.size());
  ASSERT_EQ(first.controls.size(), NegativeControlFaults().size() * layouts.size());
  for (size_t l = 0; l < layouts.size(); ++l) {
    const LayoutInfo& layout = *layouts[l];
    SCOPED_TRACE("layout " + layout.name);

    // Judged cases: the messages are those RunCase reports for the same cases on the same layout.
    const JudgedThroughput& judged = first.judged[l];
    EXPECT_EQ(judged.layout, layout.name);
    EXPECT_EQ(judged.cases, 2u);
    EXPECT_EQ(judged.violations, 0u);
    uint64_t messages = 0;
    for (uint64_t i = 0; i < 2; ++i) {
      driver::CaseConfig config{.seed = 3, .case_index = i, .steps = 20,
                                .crash_model = static_cast<scenario::CrashModel>(i % scenario::kCrashModelCount),
                                .layout = layout.name};
      messages += driver::RunCase(config).messages;
    }
    EXPECT_EQ(judged.messages, messages);
    EXPECT_GT(judged.messages, 0u);
    EXPECT_GT(judged.cpu_seconds, 0.0);

    // Explore: the crash points of the one workload on this layout, the same with one worker and with two.
    explore::ExploreOptions explore_options;
    explore_options.verify_saved = false;
    explore_options.layout = layout.name;
    const explore::StandardExploration direct = explore::ExploreStandardWorkloads(explore_options, dir_.string());
    EXPECT_EQ(first.explore[2 * l].jobs, 1u);
    EXPECT_EQ(first.explore[2 * l + 1].jobs, 2u);
    for (size_t k = 2 * l; k < 2 * l + 2; ++k) {
      const ExploreThroughput& e = first.explore[k];
      EXPECT_EQ(e.layout, layout.name);
      EXPECT_EQ(e.workloads, 1u);
      EXPECT_EQ(e.crash_points, direct.crash_points);
      EXPECT_EQ(e.violations, 0u);
      // Every finding is one the layout does not promise to survive: layout 8 tears under powerloss and torn.
      EXPECT_EQ(e.expected_violations, direct.violations);
    }
    EXPECT_GT(direct.crash_points, 10u);
    if (layout.atomicity == CommitAtomicity::kTrapRollback) {
      EXPECT_GT(first.explore[2 * l].expected_violations, 0u) << "layout 8's in-place commit must tear somewhere";
    } else {
      EXPECT_EQ(first.explore[2 * l].expected_violations, 0u);
    }

    // Controls: each storage fault is caught and shrunk within the goal, under a model the layout survives.
    for (size_t c = 0; c < NegativeControlFaults().size(); ++c) {
      const ControlResult& control = first.controls[l * NegativeControlFaults().size() + c];
      SCOPED_TRACE(control.name);
      EXPECT_EQ(control.layout, layout.name);
      EXPECT_EQ(control.crash_model,
                layout.atomicity == CommitAtomicity::kTrapRollback ? std::string("ic") : std::string("powerloss"));
      EXPECT_TRUE(control.caught);
      EXPECT_TRUE(control.shrunk);
      EXPECT_GT(control.messages, 0u);
      EXPECT_FALSE(control.property.empty());
      EXPECT_LE(control.shrunk_ops, 6u);
      EXPECT_GE(control.original_ops, 1u);
      EXPECT_GE(control.shrunk_ops, 1u);  // may exceed original_ops by the arm lines that make the fault exact
    }
  }

  // Everything but the clocks repeats.
  const HarnessReport second = RunHarnessBenchmarks(Options());
  for (size_t i = 0; i < first.judged.size(); ++i) {
    EXPECT_EQ(second.judged[i].messages, first.judged[i].messages);
    EXPECT_EQ(second.judged[i].ops, first.judged[i].ops);
  }
  for (size_t i = 0; i < first.explore.size(); ++i) {
    EXPECT_EQ(second.explore[i].crash_points, first.explore[i].crash_points);
    EXPECT_EQ(second.explore[i].expected_violations, first.explore[i].expected_violations);
  }
  for (size_t i = 0; i < first.controls.size(); ++i) {
    EXPECT_EQ(second.controls[i].messages, first.controls[i].messages);
    EXPECT_EQ(second.controls[i].shrunk_ops, first.controls[i].shrunk_ops);
    EXPECT_EQ(second.controls[i].property, first.controls[i].property);
  }
}

// Judged cases that go red under a crash model the layout does not promise to survive are expected: counted
// apart, and the harness stays green. Seed 6, four cases of 20 ops (ic, error, powerloss, torn): on layout 8 one
// of them ends at a violation (`stablevfs fuzz --seed 6 --cases 4 --steps 20 --layout 8 --crash-model all`
// reports it as expected); on layout 6 none does.
TEST_F(HarnessBenchTest, ExpectedViolationsAreCountedApart) {
  HarnessBenchOptions options = Options();
  options.seed = 6;
  options.judged_cases = 4;
  options.explore_jobs = {1};
  options.control_max_cases = 1;
  options.layouts = {"6", "8"};
  const HarnessReport report = RunHarnessBenchmarks(options);
  ASSERT_TRUE(report.error.empty()) << report.error;
  ASSERT_EQ(report.judged.size(), 2u);
  EXPECT_EQ(report.judged[0].layout, "6");
  EXPECT_EQ(report.judged[0].violations, 0u);
  EXPECT_EQ(report.judged[0].expected_violations, 0u);
  EXPECT_EQ(report.judged[1].layout, "8");
  EXPECT_EQ(report.judged[1].violations, 0u);
  EXPECT_GE(report.judged[1].expected_violations, 1u);
  // The red cases still count: their messages up to the violation are in the rate.
  uint64_t messages = 0;
  for (uint64_t i = 0; i < 4; ++i) {
    driver::CaseConfig config{.seed = 6, .case_index = i, .steps = 20,
                              .crash_model = static_cast<scenario::CrashModel>(i % scenario::kCrashModelCount),
                              .layout = "8"};
    const driver::CaseResult run = driver::RunCase(config);
    messages += run.messages;
    if (!run.ok()) {
      EXPECT_TRUE(config.crash_model == scenario::CrashModel::kPowerloss ||
                  config.crash_model == scenario::CrashModel::kTorn);
    }
  }
  EXPECT_EQ(report.judged[1].messages, messages);
  EXPECT_TRUE(report.ok());

  // A layout the registry does not know is an error of the run, not silently skipped.
  options.layouts = {"no-such-layout"};
  const HarnessReport unknown = RunHarnessBenchmarks(options);
  EXPECT_NE(unknown.error.find("unknown layout 'no-such-layout'"), std::string::npos) << unknown.error;
  EXPECT_FALSE(unknown.ok());
}

TEST_F(HarnessBenchTest, MissingWorkloadsAreAnErrorNotAZero) {
  HarnessBenchOptions options = Options();
  options.judged_cases = 1;
  options.layouts = {"6"};
  options.workloads_dir = (dir_ / "nope").string();
  const HarnessReport report = RunHarnessBenchmarks(options);
  EXPECT_NE(report.error.find("nope"), std::string::npos) << report.error;
  EXPECT_FALSE(report.ok());
  BenchReport bench;
  bench.environment.vfs = false;
  bench.harness = report;
  bench.goals = JudgeGoals(bench);
  EXPECT_FALSE(bench.ok());
  for (const GoalResult& g : bench.goals) {
    if (g.name.find("crash points") != std::string::npos) {
      EXPECT_FALSE(g.pass.has_value());
    }
  }
}

}  // namespace
}  // namespace stablevfs::bench
