// The harness throughput benchmark (bench/workloads/harness_bench.h) measures real work, and the same work
// on every run.
//
// Goal: its figures are figures about the harness doing its job: judged cases that stay green, crash points
// that were injected and judged, negative controls that went red and were shrunk. Method: run it small (two
// judged cases of 20 ops, one tiny explored workload written here, the three controls) twice, and check the
// counts against each other and against what the parts report on their own (RunCase, ExploreWorkload): the
// counts are deterministic, only the clocks differ. No timing assertions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "bench/workloads/harness_bench.h"
#include "bench/workloads/vfs_bench.h"
#include "harness/driver/case_runner.h"
#include "harness/explore/workloads.h"

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

  // Judged cases: the messages are those RunCase reports for the same cases.
  EXPECT_EQ(first.judged.cases, 2u);
  EXPECT_EQ(first.judged.violations, 0u);
  uint64_t messages = 0;
  for (uint64_t i = 0; i < 2; ++i) {
    driver::CaseConfig config{.seed = 3, .case_index = i, .steps = 20,
                              .crash_model = static_cast<scenario::CrashModel>(i % scenario::kCrashModelCount)};
    messages += driver::RunCase(config).messages;
  }
  EXPECT_EQ(first.judged.messages, messages);
  EXPECT_GT(first.judged.messages, 0u);
  EXPECT_GT(first.judged.cpu_seconds, 0.0);

  // Explore: the crash points of the one workload, the same with one worker and with two.
  ASSERT_EQ(first.explore.size(), 2u);
  explore::ExploreOptions explore_options;
  explore_options.verify_saved = false;
  const explore::StandardExploration direct = explore::ExploreStandardWorkloads(explore_options, dir_.string());
  EXPECT_EQ(first.explore[0].jobs, 1u);
  EXPECT_EQ(first.explore[1].jobs, 2u);
  for (const ExploreThroughput& e : first.explore) {
    EXPECT_EQ(e.workloads, 1u);
    EXPECT_EQ(e.crash_points, direct.crash_points);
    EXPECT_EQ(e.violations, 0u);
  }
  EXPECT_GT(direct.crash_points, 10u);

  // Controls: each storage fault is caught and shrunk within the goal.
  ASSERT_EQ(first.controls.size(), NegativeControlFaults().size());
  for (const ControlResult& c : first.controls) {
    EXPECT_TRUE(c.caught) << c.name;
    EXPECT_TRUE(c.shrunk) << c.name;
    EXPECT_GT(c.messages, 0u) << c.name;
    EXPECT_FALSE(c.property.empty()) << c.name;
    EXPECT_LE(c.shrunk_ops, 6u) << c.name;
    EXPECT_GE(c.original_ops, 1u) << c.name;
    EXPECT_GE(c.shrunk_ops, 1u) << c.name;  // may exceed original_ops by the arm lines that make the fault exact
  }

  // Everything but the clocks repeats.
  const HarnessReport second = RunHarnessBenchmarks(Options());
  EXPECT_EQ(second.judged.messages, first.judged.messages);
  EXPECT_EQ(second.judged.ops, first.judged.ops);
  for (size_t i = 0; i < first.explore.size(); ++i) {
    EXPECT_EQ(second.explore[i].crash_points, first.explore[i].crash_points);
  }
  for (size_t i = 0; i < first.controls.size(); ++i) {
    EXPECT_EQ(second.controls[i].messages, first.controls[i].messages);
    EXPECT_EQ(second.controls[i].shrunk_ops, first.controls[i].shrunk_ops);
    EXPECT_EQ(second.controls[i].property, first.controls[i].property);
  }
}

TEST_F(HarnessBenchTest, MissingWorkloadsAreAnErrorNotAZero) {
  HarnessBenchOptions options = Options();
  options.judged_cases = 1;
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
