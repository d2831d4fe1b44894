// Campaign: the seeded cases behind `stablevfs fuzz` and `stablevfs check`, run on local threads and merged in
// case order, and what happens to a case that found a violation (shrink, save, the replay command).
//
//   CampaignPlan plan{.seed = 42, .case_count = 100, .jobs = 2};
//   CampaignResult r = RunCampaign(plan, nullptr);
//   if (r.first_violation()) SaveCounterexample(*r.first_violation(), ...);
//
// Guarantees:
//  - Case k of a campaign is driver::CaseSeed(seed, k) run under crash_models[k % crash_models.size()]: the
//    same case whatever the shard, the number of jobs or the cases before it.
//  - Shard I/N runs exactly the case indices k with k mod N == I, in increasing order, so the N shards of a CI
//    matrix run disjoint work whose union is one unsharded run.
//  - Jobs only change the speed: cases are handed out in shard order and results are merged in that order. When
//    stop_at_violation is set the result ends at the lowest-indexed violating case (cases after it that a
//    parallel worker happened to finish are dropped), so the reported cases are the same for every job count.
//    Only the deadline makes the number of cases depend on time.
//  - Failpoint state is per thread (failpoints/registry.h): each worker runs one Session at a time, and the
//    per-case hit counters are taken on the worker before its Session ends.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "failpoints/registry.h"
#include "harness/driver/case_runner.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op.h"
#include "harness/ops/weights.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::cli {

using Clock = std::chrono::steady_clock;

// --- Parsing the campaign options (each throws UsageError naming the option and the input) ---

// "ic", "error", "powerloss", "torn", or "all" (the four, in that order).
std::vector<scenario::CrashModel> ParseCrashModels(const std::string& text, const std::string& option);

// A shard "I/N" with 0 <= I < N.
struct Shard {
  uint64_t index = 0;
  uint64_t count = 1;
  std::string ToString() const { return std::to_string(index) + "/" + std::to_string(count); }
};
Shard ParseShard(const std::string& text, const std::string& option);

// A failpoint spec checked against the catalogue (names, actions, syntax with its column). Returns it trimmed.
std::string CheckFaultSpec(const std::string& text, const std::string& option);

// Ops per case: at least 1 and at most driver::kStepsMax (a case keeps every op and its record in memory).
void RequireStepsInRange(uint64_t steps, const std::string& option);


// Generator weights from text (ops/weights.h), the column of a bad token in the message.
ops::GeneratorWeights ParseWeightsOption(const std::string& text, const std::string& option);

// --- One case ---

// What one case did, as a campaign keeps it.
struct CaseOutcome {
  uint64_t case_index = 0;
  uint64_t case_seed = 0;
  std::string layout;         // the registered layout it ran on
  scenario::CrashModel crash_model = scenario::CrashModel::kIc;
  uint64_t ops = 0;           // ops run (through the first violation)
  uint64_t messages = 0;      // messages sent
  uint64_t crash_points = 0;  // messages that ended trapped or crashed: a point where the message died mid-way
  std::optional<driver::FirstViolation> violation;
  // The violation is one the layout's declared promise allows under the case's crash model (an expected
  // failure, faults/vocabulary.h ExpectedToSurvive): reported and saved, but not a finding.
  bool expected = false;
  std::vector<ops::Op> op_list;          // the ops run; kept when there is a violation or keep_records
  std::vector<ops::StepRecord> records;  // parallel to op_list; only with keep_records
  fp::HitSnapshot hits;                  // this case's failpoint counters (in a CampaignResult: only when !ok())

  bool cut_at_deadline = false;  // the campaign's deadline stopped it inside (driver::CaseResult)

  bool ok() const { return !violation.has_value(); }
};

// Runs one case with driver::RunCase and keeps what a campaign reports (the counters always; the ops and
// records only when `keep_records`, or the ops when the case found a violation).
CaseOutcome RunCounted(const driver::CaseConfig& config, bool keep_records);

// Runs a fixed op list with driver::RunOps in one new Session (seed `session_seed`, `config`'s layout and
// session-wide faults), stopping at the first violation. The outcome's case_index is 0 and its case_seed the
// session seed; op_list holds the ops run.
CaseOutcome RunOpsCounted(uint64_t session_seed, const driver::RunConfig& config, const std::vector<ops::Op>& op_list);

// --- One scenario ---

struct ScenarioVerdict {
  bool passed = false;
  std::string failure;             // the first judgement that failed, e.g. "line 7: expected error, got committed"
  std::string expected_violation;  // a declared violation that was seen ("line 9: fsck")
  std::string layout;              // the layout it ran on (its own layout line, else the run's)
  uint64_t ops = 0;
  uint64_t messages = 0;
  uint64_t crash_points = 0;
  fp::HitSnapshot hits;
};

// Replays `scenario` with driver::Replay (expect lines, undeclared violations, negative controls that catch
// nothing) on this thread, `config`'s layout where the file names none and its faults armed for the whole run,
// calling `on_record` (may be empty) after every op.
ScenarioVerdict RunScenarioCounted(const scenario::Scenario& scenario, const driver::RunConfig& config,
                                   const std::function<void(const ops::StepRecord&)>& on_record);

// --- A campaign ---

struct CampaignTally {
  uint64_t cases = 0;
  uint64_t messages = 0;
  uint64_t violations = 0;
};

struct CampaignPlan {
  uint64_t seed = 0;
  std::string layout = "";  // the registered layout every case runs on ("" = the default)
  uint64_t steps = 100;
  std::vector<scenario::CrashModel> crash_models = {scenario::CrashModel::kIc};  // case k: [k % size]
  std::string faults = "";  // armed for every case's whole session
  ops::GeneratorWeights weights = {};
  Shard shard = {};
  std::optional<uint64_t> case_count;  // case indices [0, case_count) over all shards; nullopt: no limit
  unsigned jobs = 1;                   // worker threads (>= 1)
  std::optional<Clock::time_point> deadline;  // no case starts after it...
  uint64_t min_cases = 0;                     // ...except the first min_cases of the shard's sequence
  // and a running case stops at it too (driver::CaseConfig::deadline), so one long case cannot overrun it.
  // Called from the worker every driver::kStepProgressPeriod ops of a case (may be empty): progress inside one
  // long case.
  std::function<void(uint64_t case_index, uint64_t steps_done)> on_case_steps;
  bool stop_at_violation = true;
  // With stop_at_violation: whether an expected violation (CaseOutcome::expected) stops the campaign too. A
  // gate suite stops at it (it proves the expected failure); a fuzz campaign goes on looking for real ones.
  bool stop_at_expected = true;
  // REQUIRES: case_count or deadline is set (or stop_at_violation and a violation is certain).
};

struct CampaignResult {
  // In case order; see the header comment for where it ends. The per-case counters are folded into `hits` as
  // the cases finish (a long campaign keeps a few bytes per case, not a snapshot), except a violating case's.
  std::vector<CaseOutcome> cases;
  fp::HitSnapshot hits;            // the failpoint counters of every case in `cases`
  std::array<fp::HitSnapshot, scenario::kCrashModelCount> hits_by_model;  // the same, by the case's crash model
  bool deadline_reached = false;   // the deadline stopped the campaign before case_count
  double seconds = 0;

  uint64_t messages() const;
  uint64_t crash_points() const;
  uint64_t violations() const;           // every violating case, expected ones included
  uint64_t expected_violations() const;  // of those, the expected ones
  // The first case with an unexpected violation (or, with `include_expected`, with any violation), or null.
  const CaseOutcome* first_violation(bool include_expected = false) const;
  // The first case of crash model `model` with an expected violation, or null.
  const CaseOutcome* first_expected(scenario::CrashModel model) const;
};

// Runs the plan. `on_progress` (may be empty) is called after every finished case with the running totals,
// from the worker that finished it, one call at a time. A harness exception in a case is rethrown here.
CampaignResult RunCampaign(const CampaignPlan& plan, const std::function<void(const CampaignTally&)>& on_progress);

// Adds `from` into `into`.
void AddHits(fp::HitSnapshot* into, const fp::HitSnapshot& from);

// --- A violation found ---

struct Counterexample {
  std::string property;
  std::string message;
  size_t original_ops = 0;
  size_t shrunk_ops = 0;
  size_t shrink_runs = 0;
  bool reproduced = false;    // the shrinker saw the violation again (it always should: runs are deterministic)
  std::string path;           // the scenario file written ("" when it could not be written)
  std::string save_error;     // why it could not be written
  std::string replay_command; // the one command that replays it
};

// Shrinks the failing case (driver::Shrink, at most `shrink_runs_max` runs), writes it as a scenario file named
// `<save_dir>/<file_stem>.scn` (creating the directory) and returns the command that replays it. The file has
// no expect-violation line, so replaying it fails (exit 1) until the bug is fixed; then it is a regression test
// that belongs in scenarios/. `origin` is a comment saying which run found it. When the file cannot be written,
// the replay command is the seed form (`stablevfs replay --seed ... --case ...`), built from `seed_replay`.
Counterexample SaveCounterexample(const CaseOutcome& failed, const std::string& faults, const std::string& save_dir,
                                  const std::string& file_stem, const std::string& origin,
                                  const std::string& seed_replay, size_t shrink_runs_max);

// "1 case", "2 cases": `count` and `noun`, with an s unless count is 1.
std::string Plural(uint64_t count, const std::string& noun);

// `text` quoted for a POSIX shell when it needs quoting.
std::string ShellQuote(const std::string& text);

// The failpoint coverage of a run on `layout`: for each catalogued site the layout reaches
// (faults/layout_sites.h) and each action it accepts, whether it fired.
struct Coverage {
  uint64_t sites = 0;
  uint64_t sites_hit = 0;
  uint64_t pairs = 0;        // (site, action) pairs a spec may arm
  uint64_t pairs_fired = 0;
  std::vector<std::string> missing;  // "site:action" that never fired, sorted
};
Coverage ComputeCoverage(const fp::HitSnapshot& hits, const LayoutInfo& layout);

}  // namespace stablevfs::cli
