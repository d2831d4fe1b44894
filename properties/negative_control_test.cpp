// Negative controls: with storage faults injected under it, the property suite must go red, shrink, reproduce.
//
// Goal: a harness that stays green whatever the storage does is broken. A lost write, a misdirected write and
// a flipped bit at stable writes are faults the library cannot prevent or detect, so the judgement after the
// message must catch them. Method: the model-agreement property (property_case.h) runs under rapidcheck with
// `memory.write=<P>%<fault>` armed for every case's whole session; rapidcheck is driven through its own
// checkProperty with fixed parameters (seed, 30 cases), so the expected failure neither depends on RC_PARAMS
// nor lands in the global reproduce list. For each fault kind the test asserts that
//   (a) the property fails, and reports the messages sent until the first violation in the first failing case;
//   (b) rapidcheck's shrunk counterexample is printed as a scenario file (it is parsed back here), and
//       harness/driver/shrink.h reduces it further, the random fault turned into an exact
//       `arm memory.write=...` line, to a short scenario (at most kShrunkOpsMax ops; the product goal is 6);
//   (c) replaying that scenario from its text reproduces a violation of the same property, the scenario that the
//       failure's log prints (faults re-armed before every message) replays too, and rapidcheck's reproduce
//       record re-runs the property to the same counterexample.
// The figures are printed for docs/properties.md.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <iostream>
#include <optional>
#include <sstream>

#include "failpoints/registry.h"
#include "harness/driver/case_runner.h"
#include "harness/driver/replay.h"
#include "harness/driver/shrink.h"
#include "properties/support/property_case.h"

namespace stablevfs::properties {
namespace {

constexpr uint64_t kRapidcheckSeed = 20240917;
constexpr int kCases = 30;
constexpr size_t kShrunkOpsMax = 6;
constexpr uint64_t kMessagesMax = 400;  // the first violation must come within this many messages

struct Control {
  const char* kind;
  const char* faults;
};

void PrintTo(const Control& control, std::ostream* os) { *os << control.kind; }

// Counts what rapidcheck does, and prints nothing.
class CountingListener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription& /*description*/) override { ++cases; }
  void onShrinkTried(const rc::detail::CaseDescription& /*shrink*/, bool accepted) override {
    ++shrinks_tried;
    if (accepted) ++shrinks_accepted;
  }
  void onTestFinished(const rc::detail::TestMetadata& /*metadata*/,
                      const rc::detail::TestResult& /*result*/) override {}

  int cases = 0;
  int shrinks_tried = 0;
  int shrinks_accepted = 0;
};

// The text after `marker` in `text`, or "".
std::string After(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  return at == std::string::npos ? "" : text.substr(at + marker.size());
}

class NegativeControlTest : public ::testing::TestWithParam<Control> {
 protected:
  void TearDown() override { fp::ClearAll(); }
};

TEST_P(NegativeControlTest, ThePropertySuiteGoesRedShrinksAndReproduces) {
  const Control control = GetParam();
  SuiteConfig config = NegativeControlSuite(std::string("negative-") + control.kind, control.faults);
  config.print_cases = false;

  // The property, noting the first failing case as generated (before rapidcheck shrinks it).
  std::optional<PropertyCase> first_failing;
  int first_failing_number = 0;
  int cases_run = 0;
  const auto property = [&] {
    const PropertyCase value = *GenPropertyCase(config);
    ++cases_run;
    try {
      CheckCase(config, value);
    } catch (...) {
      if (!first_failing) {
        first_failing = value;
        first_failing_number = cases_run;
      }
      throw;
    }
  };

  rc::detail::TestParams params;
  params.seed = kRapidcheckSeed;
  params.maxSuccess = kCases;
  rc::detail::TestMetadata metadata;
  metadata.id = std::string("NegativeControl/") + control.kind;
  metadata.description = metadata.id;
  CountingListener listener;
  const rc::detail::TestResult result =
      rc::detail::checkProperty(rc::detail::toProperty(property), metadata, params, listener);

  // (a) The suite goes red.
  rc::detail::FailureResult failure;
  if (!result.match(failure)) {
    std::ostringstream os;
    rc::detail::printResultMessage(result, os);
    FAIL() << control.faults << ": the property suite stayed green over " << kCases << " cases:\n" << os.str();
  }
  ASSERT_TRUE(first_failing.has_value());
  const driver::RunResult first_run = driver::RunOps({.seed = first_failing->seed, .faults = control.faults},
                                                     first_failing->Ops());
  ASSERT_TRUE(first_run.first_violation.has_value()) << "the first failing case does not fail again";
  EXPECT_LE(first_run.messages, kMessagesMax);

  // (b) rapidcheck's counterexample is a scenario file; the driver's shrinker reduces it further.
  ASSERT_EQ(failure.counterExample.size(), 1u);
  const scenario::ScenarioResult shown = scenario::ParseScenario(failure.counterExample.front().second, "shown");
  ASSERT_TRUE(shown.ok()) << shown.error().ToString() << "\n" << failure.counterExample.front().second;
  ASSERT_TRUE(shown.value().seed.has_value());
  std::vector<ops::Op> rapidcheck_ops;
  for (const scenario::Step& step : shown.value().steps) rapidcheck_ops.push_back(step.op);

  driver::ShrinkOptions shrink_options;
  shrink_options.session = {.seed = *shown.value().seed, .faults = control.faults};
  const driver::ShrinkResult shrunk = driver::Shrink(rapidcheck_ops, shrink_options);
  ASSERT_TRUE(shrunk.reproduced) << "the shrunk counterexample does not fail:\n" << failure.counterExample.front().second;
  EXPECT_EQ(shrunk.faults, "") << "the session-wide faults should have been made explicit";
  EXPECT_LE(shrunk.length(), kShrunkOpsMax) << shrunk.scenario;

  // (c) Every printed form reproduces: the shrunk scenario, the failure log's scenario, the reproduce record.
  const driver::ReplayResult replay = driver::ReplayText(shrunk.scenario);
  EXPECT_TRUE(replay.passed) << replay.failure << "\n" << shrunk.scenario;
  ASSERT_TRUE(replay.violation.has_value());
  EXPECT_EQ(replay.violation->property, shrunk.property);

  const std::string logged = After(failure.description, "(save it and run `stablevfs replay <file>`):\n");
  ASSERT_FALSE(logged.empty()) << failure.description;
  const driver::ReplayResult logged_replay = driver::ReplayText(logged);
  EXPECT_TRUE(logged_replay.passed) << logged_replay.failure << "\n" << logged;

  rc::detail::Configuration reproduce_config;
  reproduce_config.testParams = params;
  reproduce_config.reproduce[metadata.id] = failure.reproduce;
  CountingListener again_listener;
  const rc::detail::TestResult again = rc::detail::checkProperty(
      rc::detail::toProperty(property), metadata, params, again_listener, reproduce_config.reproduce);
  rc::detail::FailureResult again_failure;
  ASSERT_TRUE(again.match(again_failure)) << "the reproduce record did not fail";
  EXPECT_EQ(again_failure.counterExample, failure.counterExample);

  std::cout << "[negative control] " << control.kind << " (" << control.faults << "), rapidcheck seed "
            << params.seed << ": the suite failed in case "
            << first_failing_number << " of " << kCases << "; first violation ("
            << first_run.first_violation->violation.property << ") after " << first_run.messages
            << " messages, op " << first_run.first_violation->step << " of " << first_failing->commands.size()
            << "; rapidcheck shrank it to " << rapidcheck_ops.size() << " ops (" << listener.shrinks_accepted
            << " of " << listener.shrinks_tried << " shrinks accepted); the driver to " << shrunk.length()
            << " ops in " << shrunk.runs << " runs (" << shrunk.faults_made_explicit << ", "
            << shrunk.property << ")\n"
            << "  rapidcheck's reproduce record (re-run above to the same counterexample): "
            << rc::detail::configToMinimalString(reproduce_config) << "\n"
            << "  shrunk scenario:\n"
            << shrunk.scenario;
}

INSTANTIATE_TEST_SUITE_P(StorageFaults, NegativeControlTest,
                         ::testing::Values(Control{"lost", "memory.write=2%lost"},
                                           Control{"misdirect", "memory.write=3%misdirect"},
                                           Control{"bitflip", "memory.write=3%bitflip"}),
                         [](const ::testing::TestParamInfo<Control>& info) { return std::string(info.param.kind); });

}  // namespace
}  // namespace stablevfs::properties
