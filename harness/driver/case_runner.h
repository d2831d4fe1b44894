// Case runner: one seeded case of a campaign, from seed to judged step records and a replayable scenario.
//
//   CaseResult r = RunCase({.seed = 7, .case_index = 3, .steps = 200, .crash_model = CrashModel::kPowerloss});
//   if (!r.ok()) std::cout << r.scenario;   // paste into scenarios/, or Shrink it first (shrink.h)
//
// Determinism: every random decision flows from the campaign seed. The case seed is
//     CaseSeed(seed, i) = MixSeed(seed ^ MixSeed(i))          (MixSeed: SplitMix64's output function)
// so cases are independent streams, any case can be re-run alone, and the mapping does not depend on how many
// cases ran before. From the case seed: the op generator's seed is MixSeed(case_seed ^ 3); the Session (the
// simulator's seeded fault choices and the failpoint PRNG) gets the case seed itself. Nothing reads a clock.
//
// Crash models decide what the generated `arm` ops do (op_generator.h arms random catalogued sites at random
// ordinals; here the action is fixed by the model):
//   ic         every site traps (the IC rolls the message back)
//   error      every library site returns an error (memory.write cannot, so it is not armed)
//   powerloss  every site crashes (memory.write: the power fails before that write)
//   torn       memory.write tears the in-flight write; the library sites crash
// CaseConfig::faults is a spec armed for the whole case (e.g. "memory.write=2%lost"): that is how the negative
// controls run. A scenario cannot hold a session-wide spec, so the scenario of a case re-arms it before every
// message (MaterializeFaults), which for a probability-only spec is the same run draw for draw.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/ops/interpreter.h"
#include "harness/ops/op.h"
#include "harness/ops/op_generator.h"
#include "harness/ops/weights.h"
#include "failpoints/registry.h"
#include "harness/driver/run_config.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::driver {

// The most ops one case may run (--steps of fuzz, check and replay): a case keeps every op and its record
// until it ends, so its memory grows with its length; 100,000 ops is far past what finds a bug (cases of 100
// to 1,000 ops do) and stays within a few hundred megabytes.
inline constexpr uint64_t kStepsMax = 100'000;

struct CaseConfig {
  uint64_t seed = 0;        // the campaign seed
  uint64_t case_index = 0;  // which case of the campaign
  uint64_t steps = 100;     // ops to generate (the case stops early at the first violation)
  scenario::CrashModel crash_model = scenario::CrashModel::kIc;
  std::string faults = "";  // a failpoint spec armed for the whole case ("" for none)
  ops::GeneratorWeights weights = {};
  std::string layout = "";  // the registered layout the case runs on ("" = the default)
  // When set, the case stops before an op that would start at or after it (at least one op runs): a time
  // budget holds inside one long case too. This reads the clock, so a case cut short is not reproducible by
  // its seed alone; CaseResult::cut_at_deadline says so, and its scenario replays what ran.
  std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt;
  // Called after every kStepProgressPeriod ops with the ops run so far (may be empty): progress in one case.
  std::function<void(uint64_t steps_done)> on_steps = {};

  // The layout, crash model and faults as one RunConfig (run_config.h).
  RunConfig run() const { return RunConfig{layout, crash_model, faults}; }
};

// The seed of case `case_index` of the campaign `campaign_seed` (see the header comment).
uint64_t CaseSeed(uint64_t campaign_seed, uint64_t case_index);

// How often CaseConfig::on_steps is called, in ops.
inline constexpr uint64_t kStepProgressPeriod = 16;

// The first op whose record carries a violation, and that violation.
struct FirstViolation {
  size_t step = 0;
  ops::Violation violation;
};

// A fixed list of ops run in one new Session.
struct RunResult {
  std::vector<ops::StepRecord> records;               // one per op run
  std::vector<std::vector<ops::LocatedFault>> faults; // parallel to records: the storage faults each op left
  std::optional<FirstViolation> first_violation;
  uint64_t messages = 0;
  uint64_t crash_points = 0;  // messages that ended trapped or crashed: where a message died mid-way
  fp::HitSnapshot hits;       // the run's failpoint counters, taken before its Session ended

  bool ok() const { return !first_violation.has_value(); }
};

// Runs `ops` in a new Session with `options`; with `stop_at_violation`, stops after the first op whose record
// has a violation.
RunResult RunOps(const ops::SessionOptions& options, std::span<const ops::Op> ops, bool stop_at_violation = true);

struct CaseResult {
  uint64_t case_seed = 0;
  std::vector<ops::Op> ops;                 // the ops run, through the first violation
  std::vector<ops::StepRecord> records;     // parallel to ops
  std::optional<FirstViolation> first_violation;
  uint64_t messages = 0;                    // messages sent (the first violation came after this many)
  uint64_t crash_points = 0;                // messages that ended trapped or crashed
  fp::HitSnapshot hits;                     // the case's failpoint counters, taken before its Session ended
  std::string scenario;                     // the run as a scenario file (faults materialized, layout named)
  bool cut_at_deadline = false;             // CaseConfig::deadline stopped it before config.steps ops

  bool ok() const { return !first_violation.has_value(); }
};

// Generates and runs one case (see the header comment). Stops at the first violation.
CaseResult RunCase(const CaseConfig& config);

// `ops` with `faults` made explicit: before every message op, an `arm <faults>` (placed before the op's own
// arm ops, so that an explicit arm of the same site wins, as in a Session). `ops` unchanged when faults is "".
std::vector<ops::Op> MaterializeFaults(std::span<const ops::Op> ops, const std::string& faults);

// A scenario of `ops` with the outcomes of `records` (parallel to ops) as expect lines, and `violation` (if
// any) as expect-violation; its layout and crash-model lines are `config`'s (its faults are the caller's to
// materialize). `comments` become header comments.
scenario::Scenario MakeScenario(uint64_t seed, const RunConfig& config, std::span<const ops::Op> ops,
                                std::span<const ops::StepRecord> records,
                                const std::optional<std::string>& violation_property,
                                std::vector<std::string> comments = {});

}  // namespace stablevfs::driver
