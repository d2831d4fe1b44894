// Case driver: seeded cases are deterministic, every crash model runs clean on the library, and a case's
// scenario replays.
//
// Goal: the properties a CI gate relies on. The same campaign seed and case index must give byte-identical
// step records (so a failure reproduces from two numbers); each crash model must actually inject its kind of
// fault (traps for ic, errors for error, power loss for powerloss, torn writes for torn) and the judge must find
// nothing wrong with a correct library; the scenario text of a case must replay to the same outcomes.
// Method: RunCase with small step counts and the default weights, except that arm ops are five times as
// frequent, so that every crash model fires its faults within a few dozen ops.
#include "harness/driver/case_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "failpoints/registry.h"
#include "harness/driver/replay.h"
#include "harness/ops/weights.h"

namespace stablevfs::driver {
namespace {

using scenario::CrashModel;

ops::GeneratorWeights Weights(std::string_view text) {
  ops::Parsed<ops::GeneratorWeights> weights = ops::ParseWeights(text);
  if (!weights.ok()) throw std::invalid_argument(weights.error().message);
  return weights.value();
}

constexpr std::string_view kCleanWeights = "arm=15";

class DriverCaseTest : public ::testing::Test {
 protected:
  void TearDown() override { fp::ClearAll(); }
};

TEST_F(DriverCaseTest, SeedsMixWithSplitMix64) {
  EXPECT_EQ(ops::MixSeed(0), 0xe220a8397b1dcdafull);  // SplitMix64's first output from state 0
  EXPECT_EQ(CaseSeed(5, 3), ops::MixSeed(5 ^ ops::MixSeed(3)));
  EXPECT_NE(CaseSeed(5, 3), CaseSeed(5, 4));
  EXPECT_NE(CaseSeed(5, 3), CaseSeed(6, 3));
}

TEST_F(DriverCaseTest, ArmSitesCarryTheCrashModelsAction) {
  for (const ops::ArmSite& site : ArmSitesFor(RunConfig{"", CrashModel::kIc})) {
    EXPECT_EQ(site.actions, std::vector<fp::Action>{fp::Action::kTrap}) << site.name;
  }
  const std::vector<ops::ArmSite> error = ArmSitesFor(RunConfig{"", CrashModel::kError});
  EXPECT_TRUE(std::none_of(error.begin(), error.end(), [](const ops::ArmSite& s) { return s.name == "memory.write"; }));
  for (const ops::ArmSite& site : ArmSitesFor(RunConfig{"", CrashModel::kTorn})) {
    EXPECT_EQ(site.actions.front(), site.name == "memory.write" ? fp::Action::kTorn : fp::Action::kCrash);
  }
  EXPECT_EQ(ArmSitesFor(RunConfig{"", CrashModel::kPowerloss}).size(), ArmSitesFor(RunConfig{"", CrashModel::kIc}).size());
}

// A layout's arm sites are the shared sites and its own: never another layout's (an arm there would fire
// nowhere), and the list for layout 6 is the one it was before layout 8's sites were catalogued.
TEST_F(DriverCaseTest, ArmSitesAreTheLayoutsOwnAndTheSharedOnes) {
  const std::vector<ops::ArmSite> six = ArmSitesFor(RunConfig{"6", CrashModel::kIc});
  const auto names = [](const std::vector<ops::ArmSite>& sites) {
    std::vector<std::string> out;
    for (const ops::ArmSite& s : sites) out.push_back(s.name);
    return out;
  };
  const std::vector<std::string> six_names = names(six);
  EXPECT_EQ(std::count(six_names.begin(), six_names.end(), "commit.page_table_write"), 1);
  EXPECT_EQ(std::count(six_names.begin(), six_names.end(), "commit.page_write_in_place"), 0);
  EXPECT_EQ(std::count(six_names.begin(), six_names.end(), "overlay.write"), 1);
  EXPECT_EQ(six.size(), 16u) << "15 library sites and memory.write, as before layout 8 existed";
  EXPECT_THROW(ArmSitesFor(RunConfig{"no-such-layout", CrashModel::kIc}), std::invalid_argument);
}

TEST_F(DriverCaseTest, SameSeedGivesByteIdenticalStepRecords) {
  CaseConfig config{.seed = 99, .case_index = 2, .steps = 40, .crash_model = CrashModel::kTorn,
                    .faults = "", .weights = Weights(kCleanWeights)};
  const CaseResult first = RunCase(config);
  const CaseResult second = RunCase(config);
  ASSERT_EQ(first.records.size(), second.records.size());
  for (size_t i = 0; i < first.records.size(); ++i) {
    EXPECT_EQ(first.records[i].ToString(), second.records[i].ToString()) << i;
    EXPECT_EQ(first.records[i], second.records[i]) << i;
  }
  EXPECT_EQ(first.scenario, second.scenario);
  config.case_index = 3;
  EXPECT_NE(RunCase(config).scenario, first.scenario);
}

TEST_F(DriverCaseTest, EveryCrashModelInjectsItsFaultAndRunsClean) {
  struct Expectation {
    CrashModel model;
    ops::Outcome outcome;  // the outcome the model's arm ops produce
    std::string fired;     // an action suffix that must appear in some fired list
  } expectations[] = {
      {CrashModel::kIc, ops::Outcome::kTrapped, ":trap"},
      {CrashModel::kError, ops::Outcome::kError, ":error"},
      {CrashModel::kPowerloss, ops::Outcome::kCrashed, ":crash"},
      {CrashModel::kTorn, ops::Outcome::kCrashed, "memory.write:torn"},
  };
  for (const Expectation& e : expectations) {
    size_t outcomes = 0;
    size_t fired = 0;
    for (uint64_t index = 0; index < 3; ++index) {
      const CaseResult result = RunCase({.seed = 2024, .case_index = index, .steps = 40, .crash_model = e.model,
                                         .faults = "", .weights = Weights(kCleanWeights)});
      EXPECT_TRUE(result.ok()) << scenario::CrashModelName(e.model) << " case " << index << "\n"
                               << result.records[result.first_violation->step].ToString();
      for (const ops::StepRecord& record : result.records) {
        if (record.outcome == e.outcome) ++outcomes;
        for (const std::string& f : record.fired) {
          if (f.find(e.fired) != std::string::npos) ++fired;
        }
      }
    }
    EXPECT_GT(outcomes, 0u) << scenario::CrashModelName(e.model);
    EXPECT_GT(fired, 0u) << scenario::CrashModelName(e.model);
  }
}

TEST_F(DriverCaseTest, CaseScenarioReplays) {
  const CaseResult result = RunCase({.seed = 5, .case_index = 0, .steps = 30, .crash_model = CrashModel::kPowerloss,
                                     .faults = "", .weights = Weights(kCleanWeights)});
  ASSERT_TRUE(result.ok());
  const ReplayResult replay = ReplayText(result.scenario);
  EXPECT_TRUE(replay.passed) << replay.failure;
  EXPECT_EQ(replay.records.size(), result.records.size());
}

TEST_F(DriverCaseTest, ReplayReportsAnExpectLineThatDoesNotHold) {
  const ReplayResult replay = ReplayText(
      "seed 1\n"
      "update CREATE TABLE t(a PRIMARY KEY)\n"
      "expect committed\n"
      "update INSERT INTO t VALUES(1); INSERT INTO t VALUES(1)\n"
      "expect committed\n");
  EXPECT_FALSE(replay.passed);
  EXPECT_EQ(replay.failure.rfind("line 4: expected committed, got error", 0), 0u) << replay.failure;
}

// A saved counterexample of an expected failure (layout 8 under power loss) still fails its replay, since the
// violation reproduces, but says that the layout does not promise that crash model instead of calling the
// violation unexpected; the same violation on a layout that promises power loss would be a real bug.
TEST_F(DriverCaseTest, ReplayOfAnExpectedFailureSaysWhyItIsExpected) {
  const std::string scenario =
      "seed 3\n"
      "layout 8\n"
      "crash-model powerloss\n"
      "update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)\n"
      "expect committed\n"
      "arm commit.page_write_in_place=nth(2):crash\n"
      "migrate 1:CREATE TABLE m(x INTEGER) | 2:CREATE INDEX m_x ON m(x)\n"
      "expect crashed\n";
  const ReplayResult replay = ReplayText(scenario);
  EXPECT_FALSE(replay.passed);
  ASSERT_TRUE(replay.violation.has_value());
  EXPECT_EQ(replay.violation->property, "crash.atomicity");
  EXPECT_TRUE(replay.expected_failure);
  EXPECT_EQ(replay.failure.find("unexpected"), std::string::npos) << replay.failure;
  EXPECT_NE(replay.failure.find("an expected failure: layout 8 (trap-rollback) does not promise to survive powerloss"),
            std::string::npos)
      << replay.failure;

  // The negative side: an undeclared violation under a model the layout promises stays unexpected.
  const ReplayResult lost = ReplayText(
      "seed 1\n"
      "layout sv1\n"
      "crash-model powerloss\n"
      "arm memory.write=lost\n"
      "update CREATE TABLE t(x)\n");
  EXPECT_FALSE(lost.passed);
  EXPECT_FALSE(lost.expected_failure);
  EXPECT_NE(lost.failure.find("unexpected violation"), std::string::npos) << lost.failure;
}

TEST_F(DriverCaseTest, MaterializedFaultsGoBeforeTheExplicitArms) {
  std::vector<ops::Op> input = {ops::QueryOp{"SELECT 1"}, ops::ArmOp{"commit.page_write=trap"},
                                ops::CapacityOp{ops::CapacityOp::Mode::kDefault, 0}, ops::UpgradeOp{}};
  const std::vector<ops::Op> out = MaterializeFaults(input, "memory.write=1%lost");
  const std::vector<ops::Op> expected = {ops::ArmOp{"memory.write=1%lost"}, ops::QueryOp{"SELECT 1"},
                                         ops::ArmOp{"memory.write=1%lost"}, ops::ArmOp{"commit.page_write=trap"},
                                         ops::CapacityOp{ops::CapacityOp::Mode::kDefault, 0}, ops::UpgradeOp{}};
  EXPECT_EQ(out, expected);
  EXPECT_EQ(MaterializeFaults(input, ""), input);
}

}  // namespace
}  // namespace stablevfs::driver

namespace stablevfs::driver {
namespace {

// `check --steps 100000000 --budget-seconds 5` used to run on past its budget inside one case (hostile-input
// audit, issue 12): a case now stops at its deadline, says so, and reports its progress while it runs.
TEST(DriverCaseDeadline, ALongCaseStopsAtItsDeadlineAndReportsProgress) {
  CaseConfig config;
  config.seed = 5;
  config.steps = kStepsMax;
  config.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  uint64_t last_progress = 0;
  config.on_steps = [&last_progress](uint64_t steps) { last_progress = steps; };
  const auto start = std::chrono::steady_clock::now();
  const CaseResult result = RunCase(config);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) GTEST_SKIP() << "the case found a violation before its deadline";
  EXPECT_TRUE(result.cut_at_deadline);
  EXPECT_LT(result.ops.size(), kStepsMax);
  EXPECT_GT(last_progress, 0u);
  EXPECT_EQ(last_progress % kStepProgressPeriod, 0u);
  EXPECT_LT(seconds, 10.0);  // the deadline plus one op, not 100,000 ops
  EXPECT_NE(result.scenario.find("cut at the time budget"), std::string::npos);
}

}  // namespace
}  // namespace stablevfs::driver
