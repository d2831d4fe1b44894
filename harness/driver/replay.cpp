#include "harness/driver/replay.h"

#include <algorithm>

#include "harness/faults/vocabulary.h"
#include "harness/ops/catalogue_setup.h"

namespace stablevfs::driver {
namespace {

std::string Where(const scenario::Step& step, size_t index) {
  return step.line > 0 ? "line " + std::to_string(step.line) : "step " + std::to_string(index + 1);
}

ReplayResult Failed(std::string failure) {
  ReplayResult result;
  result.failure = std::move(failure);
  return result;
}

}  // namespace

ReplayResult Replay(const scenario::Scenario& scenario, const ReplayOptions& options) {
  ReplayResult result;
  const std::vector<std::string>& declared = scenario.expect_violations;
  const RunConfig config = ConfigOf(scenario, RunConfig{options.layout, scenario::CrashModel::kIc, options.faults});
  ops::Session session(SessionOptionsFor(config, scenario.seed.value_or(0)));
  result.layout = session.layout().name;
  // Runs the steps; returns when the verdict is known.
  const auto run = [&] {
    for (size_t i = 0; i < scenario.steps.size(); ++i) {
      const scenario::Step& step = scenario.steps[i];
      result.records.push_back(session.Run(step.op));
      const ops::StepRecord& record = result.records.back();
      if (record.outcome == ops::Outcome::kTrapped || record.outcome == ops::Outcome::kCrashed) ++result.crash_points;
      if (options.on_record) options.on_record(record);
      if (step.expect && record.outcome != step.expect) {
        result.failure = Where(step, i) + ": expected " + std::string(ops::OutcomeName(*step.expect)) + ", got " +
                         (record.outcome ? std::string(ops::OutcomeName(*record.outcome)) : "no message") +
                         (record.detail.empty() ? "" : " (" + record.detail + ")");
        if (!record.ok()) result.violation = record.violations.front();
        return;
      }
      if (!record.ok()) {
        const ops::Violation& first = record.violations.front();
        result.violation = first;
        if (std::find(declared.begin(), declared.end(), first.property) != declared.end()) {
          result.passed = true;
          result.expected_violation = Where(step, i) + ": " + first.property;
          return;
        }
        // A crash the layout does not promise to survive (layout 8 under power loss) is an expected failure:
        // the replay still fails, since the violation reproduces, but says why it is not a bug of the layout.
        const LayoutInfo& layout = LayoutOf(config);
        result.expected_failure = record.outcome == ops::Outcome::kCrashed &&
                                  !faults::ExpectedToSurvive(layout.atomicity, config.crash_model);
        result.failure = Where(step, i) + (result.expected_failure ? ": violation " : ": unexpected violation ") +
                         first.property + ": " + first.message;
        if (result.expected_failure) {
          result.failure += " (an expected failure: layout " + layout.name + " (" +
                            std::string(CommitAtomicityName(layout.atomicity)) + ") does not promise to survive " +
                            std::string(scenario::CrashModelName(config.crash_model)) + ")";
        }
        return;
      }
    }
    if (!declared.empty()) {
      std::string names;
      for (const std::string& name : declared) names += (names.empty() ? "" : ", ") + name;
      result.failure = "expected a violation of " + names + " (a negative control), but every judgement held";
      return;
    }
    result.passed = true;
  };
  run();
  result.messages = session.messages();
  result.hits = fp::Snapshot();  // before ~Session clears this thread's counters
  return result;
}

ReplayResult ReplayText(std::string_view text, const ReplayOptions& options) {
  scenario::ParseOptions parse;
  parse.catalogue = &ops::RegisterCatalogue();
  scenario::ScenarioResult parsed = scenario::ParseScenario(text, "<scenario>", parse);
  if (!parsed.ok()) return Failed(parsed.error().ToString());
  return Replay(parsed.value(), options);
}

ReplayResult ReplayFile(const std::string& path, const ReplayOptions& options) {
  scenario::ParseOptions parse;
  parse.catalogue = &ops::RegisterCatalogue();
  scenario::ScenarioResult parsed = scenario::LoadScenarioFile(path, parse);
  if (!parsed.ok()) return Failed(parsed.error().ToString());
  return Replay(parsed.value(), options);
}

}  // namespace stablevfs::driver
