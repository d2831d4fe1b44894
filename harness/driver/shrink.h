// Shrink: the shortest op list that still shows a violation of the same property, as a scenario file.
//
//   CaseResult failed = RunCase(config);
//   ShrinkResult s = Shrink(failed.ops, {.session = {.seed = failed.case_seed, .faults = config.faults}});
//   WriteFile("scenarios/counterexamples/x.scn", s.scenario);
//
// Method:
//  1. Run the ops once; keep the prefix through the first violation (its property is the target unless
//     ShrinkOptions::property names one).
//  2. Make session-wide faults explicit, so the scenario replays on its own: first *localize* them (every
//     storage fault the run injected at memory.write becomes `arm memory.write=<k-1>*off->1*lost` before its
//     op, with the exact misdirect distance or flipped bit: a deterministic fault at the same write), and if
//     that does not reproduce the violation, *materialize* them (`arm <faults>` before every message, the same
//     run draw for draw for a probability-only spec). Only if neither reproduces is the list shrunk with the
//     session-wide faults still armed (ShrinkResult::faults then says what a replay must arm).
//  3. Delta debugging (Zeller's ddmin): try removing halves, then quarters, ... down to single ops; keep a
//     removal whenever the run still shows a violation of the target property first (cutting the list after
//     that violation as well); stop when no single op can be removed. Every run is a new Session with the same
//     seed, so the search is deterministic.
//  4. The same, one statement at a time, inside every update op that has several, so the counterexample is
//     short to read too; then simpler arm specs (an entry fewer, a firing term fewer, fewer skipped hits before
//     the first fault: a fault at an earlier write often lets the ops that only grew the database go).
//     Steps 3 and 4 repeat while step 4 finds something.
// The result is 1-minimal with respect to removing one op or one update statement (within
// ShrinkOptions::max_runs).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/driver/case_runner.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::driver {

struct ShrinkOptions {
  ops::SessionOptions session = {};  // the seed and session-wide faults of the failing run
  scenario::CrashModel crash_model = scenario::CrashModel::kIc;  // written to the scenario
  std::string property = "";         // the property to keep violating; "" = the first violation's
  size_t max_runs = 3000;            // a budget on Session runs
};

struct ShrinkResult {
  bool reproduced = false;                // the input showed a violation of the property at all
  std::string property;                   // the property kept
  std::vector<ops::Op> ops;               // the shortest list found (replays with `faults` armed)
  std::vector<ops::StepRecord> records;   // its run
  ops::Violation violation;               // its first violation
  std::string faults;                     // session-wide faults a replay needs ("" when made explicit)
  std::string faults_made_explicit;       // "localized", "materialized" or "" (none were given, or neither worked)
  size_t original_length = 0;             // ops in the input
  size_t runs = 0;                        // Session runs spent
  std::string scenario;                   // the shrunk list as a scenario file with expect lines

  size_t length() const { return ops.size(); }
};

ShrinkResult Shrink(std::span<const ops::Op> failing_ops, const ShrinkOptions& options);

// The op list with the storage faults of `faults` (parallel to ops, as RunResult::faults) turned into explicit
// `arm memory.write=...` ops before the ops that suffered them. Returns nullopt when a fault cannot be expressed
// exactly (a torn write) or an op's own arm already names memory.write.
std::optional<std::vector<ops::Op>> LocalizeStorageFaults(std::span<const ops::Op> ops,
                                                          std::span<const std::vector<ops::LocatedFault>> faults);

}  // namespace stablevfs::driver
