#include "harness/driver/case_runner.h"

#include <chrono>
#include <cstdint>
#include <utility>

#include "failpoints/catalogue.h"
#include "harness/ops/catalogue_setup.h"

namespace stablevfs::driver {

uint64_t CaseSeed(uint64_t campaign_seed, uint64_t case_index) {
  return ops::MixSeed(campaign_seed ^ ops::MixSeed(case_index));
}

RunResult RunOps(const ops::SessionOptions& options, std::span<const ops::Op> ops, bool stop_at_violation) {
  RunResult result;
  ops::Session session(options);
  for (size_t i = 0; i < ops.size(); ++i) {
    result.records.push_back(session.Run(ops[i]));
    result.faults.push_back(session.last_faults());
    const ops::StepRecord& record = result.records.back();
    if (record.outcome == ops::Outcome::kTrapped || record.outcome == ops::Outcome::kCrashed) ++result.crash_points;
    if (!record.ok() && !result.first_violation) {
      result.first_violation = FirstViolation{i, record.violations.front()};
      if (stop_at_violation) break;
    }
  }
  result.messages = session.messages();
  result.hits = fp::Snapshot();  // before ~Session clears this thread's counters
  return result;
}

namespace {

// MaterializeFaults, also telling for each op out which input op it is (SIZE_MAX for an inserted arm).
std::vector<std::pair<ops::Op, size_t>> Materialize(std::span<const ops::Op> ops, const std::string& faults) {
  std::vector<std::pair<ops::Op, size_t>> out;
  // Arms wait for the next message op, so the session-wide faults go in front of the arm ops that precede each
  // message: those explicit arms are armed later and override them for the same site, as in a Session.
  size_t pending_start = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!ops::IsMessage(ops::KindOf(ops[i]))) continue;
    if (!faults.empty()) out.emplace_back(ops::ArmOp{faults}, SIZE_MAX);
    for (size_t k = pending_start; k <= i; ++k) out.emplace_back(ops[k], k);
    pending_start = i + 1;
  }
  for (size_t k = pending_start; k < ops.size(); ++k) out.emplace_back(ops[k], k);
  return out;
}

}  // namespace

std::vector<ops::Op> MaterializeFaults(std::span<const ops::Op> ops, const std::string& faults) {
  std::vector<ops::Op> out;
  for (auto& [op, index] : Materialize(ops, faults)) out.push_back(std::move(op));
  return out;
}

scenario::Scenario MakeScenario(uint64_t seed, const RunConfig& config, std::span<const ops::Op> ops,
                                std::span<const ops::StepRecord> records,
                                const std::optional<std::string>& violation_property,
                                std::vector<std::string> comments) {
  scenario::Scenario out;
  out.seed = seed;
  out.layout = LayoutOf(config).name;
  out.crash_model = config.crash_model;
  if (violation_property) out.expect_violations.push_back(*violation_property);
  out.header_comments = std::move(comments);
  for (size_t i = 0; i < ops.size(); ++i) {
    scenario::Step step;
    step.op = ops[i];
    if (i < records.size()) step.expect = records[i].outcome;
    out.steps.push_back(std::move(step));
  }
  return out;
}

CaseResult RunCase(const CaseConfig& config) {
  CaseResult result;
  result.case_seed = CaseSeed(config.seed, config.case_index);
  ops::GeneratorOptions generator_options;
  generator_options.weights = config.weights;
  generator_options.arm_sites = ArmSitesFor(config.run());
  ops::OpGenerator generator(ops::MixSeed(result.case_seed ^ 3), generator_options);
  {
    ops::Session session(SessionOptionsFor(config.run(), result.case_seed));
    for (uint64_t i = 0; i < config.steps; ++i) {
      if (i > 0 && config.deadline && std::chrono::steady_clock::now() >= *config.deadline) {
        result.cut_at_deadline = true;
        break;
      }
      if (i > 0 && i % kStepProgressPeriod == 0 && config.on_steps) config.on_steps(i);
      ops::Op op = generator.Next();
      ops::StepRecord record = session.Run(op);
      // The generator's model follows the system: an op that did not take effect is undone there.
      generator.Observe(session.last_op_applied() ? ops::Outcome::kCommitted
                                                  : record.outcome.value_or(ops::Outcome::kCommitted));
      result.ops.push_back(std::move(op));
      result.records.push_back(std::move(record));
      const std::optional<ops::Outcome>& outcome = result.records.back().outcome;
      if (outcome == ops::Outcome::kTrapped || outcome == ops::Outcome::kCrashed) ++result.crash_points;
      if (!result.records.back().ok()) {
        result.first_violation = FirstViolation{result.ops.size() - 1, result.records.back().violations.front()};
        break;
      }
    }
    result.messages = session.messages();
    result.hits = fp::Snapshot();  // before ~Session clears this thread's counters
  }

  // The scenario: the session-wide faults re-armed before every message, so the file replays on its own.
  std::vector<ops::Op> scenario_ops;
  std::vector<ops::StepRecord> scenario_records;
  if (config.faults.empty()) {
    scenario_ops = result.ops;
    scenario_records = result.records;
  } else {
    for (auto& [op, index] : Materialize(result.ops, config.faults)) {
      scenario_records.push_back(index == SIZE_MAX ? ops::StepRecord{} : result.records[index]);
      scenario_ops.push_back(std::move(op));
    }
  }
  std::vector<std::string> comments = {
      " case " + std::to_string(config.case_index) + " of campaign seed " + std::to_string(config.seed) + ", " +
      std::to_string(result.ops.size()) + " ops, " + std::to_string(result.messages) + " messages"};
  if (!config.faults.empty()) comments.push_back(" session-wide faults: " + config.faults);
  if (result.cut_at_deadline) {
    comments.push_back(" cut at the time budget after " + std::to_string(result.ops.size()) + " of " +
                       std::to_string(config.steps) + " ops");
  }
  if (result.first_violation) {
    comments.push_back(" first violation at op " + std::to_string(result.first_violation->step) + ": " +
                       result.first_violation->violation.property);
  }
  result.scenario = scenario::PrintScenario(MakeScenario(
      result.case_seed, config.run(), scenario_ops, scenario_records,
      result.first_violation ? std::optional<std::string>(result.first_violation->violation.property) : std::nullopt,
      std::move(comments)));
  return result;
}

}  // namespace stablevfs::driver
