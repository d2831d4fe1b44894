// stablevfs check: the correctness gate CI runs (and `make run`). A fixed list of suites, each a set of seeded
// cases or deterministic runs, within one time budget per layout; a summary table per layout; the verdict
// matrix (layout x crash model); exit 1 when a suite failed that the layout's promise says must pass.
//
// Expected failures: a layout declares what its commits promise (lib/layout/layout_registry.h) and each crash
// model declares what the memory promises (harness/faults/vocabulary.h). A crash suite (and the explore points
// of that model) whose model the layout does not promise to survive is *expected* to find a violation: it is
// still run, judged and reported with its shrunk counterexample and replay command (never hidden), but it does
// not fail the gate. If it finds nothing, the matrix says the layout survived unexpectedly.
//
// The suites, in the order they run:
//   explore           every crash point of the standard workloads (scenarios/workloads/*.scn): each message
//                     re-run from a snapshot once per (failpoint, ordinal, action) and judged (harness/explore).
//                     It always runs whole (a few seconds; its cost is fixed by the workloads) and is the
//                     deterministic floor of the coverage check. The suites after it share what is left of the
//                     budget by weight; a suite whose share is spent starts no new case (each runs at least one)
//                     and the time it did not use passes to the suites after it.
//   scenarios         every *.scn under --scenarios (the checked-in regressions and examples), replayed
//   no-fault          generated cases with no arm ops: the property suite without injected faults
//   control-lost      negative controls: every case runs with memory.write=5%<action> armed for its whole
//   control-misdirect session. A storage fault the library cannot see must be caught by the judgement; a
//   control-bitflip   control that finds nothing (or finds something before its fault fired) fails the gate
//   crash-ic          generated cases whose arm ops trap (the IC rolls the message back),
//   crash-error       ... return errors,
//   crash-powerloss   ... crash (writes before the crash persist),
//   crash-torn        ... tear the write in flight (memory.write) or crash (library sites)
//   coverage          every (site, action) pair of the catalogue fired somewhere in this run
// Each generated suite is the fuzz campaign `stablevfs fuzz --seed S --steps M ...` with the suite's crash
// model, weights and faults (the report prints them), so a suite can be rerun alone and longer. Counterexamples
// are shrunk and saved after the suites have run, so shrinking does not eat the budget.
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "failpoints/catalogue.h"
#include "harness/cli/args.h"
#include "harness/cli/campaign.h"
#include "harness/cli/commands.h"
#include "harness/cli/failpoints_environment.h"
#include "harness/cli/hits_file.h"
#include "harness/cli/layout_option.h"
#include "harness/cli/output_path.h"
#include "harness/cli/progress.h"
#include "harness/cli/report.h"
#include "harness/cli/verdict_matrix.h"
#include "harness/driver/run_config.h"
#include "harness/driver/shrink.h"
#include "harness/faults/vocabulary.h"
#include "harness/explore/explorer.h"
#include "harness/explore/workloads.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/ops/op_text.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::cli {
namespace {

// The default seed: fixed, so that CI runs the same cases every time. Printed first.
constexpr uint64_t kDefaultCheckSeed = 24301;  // 0x5eed
constexpr double kDefaultBudgetSeconds = 60;
constexpr uint64_t kDefaultSteps = 50;

constexpr const char* kUsage =
    "[--layout NAME|all] [--seed S] [--budget-seconds B] [--steps M] [--jobs J] [--workloads-dir DIR]\n"
    "       [--scenarios DIR] [--save-dir DIR] [--shrink-runs N] [--report-json FILE] [--junit FILE] [--hits FILE]";

constexpr const char* kDescription =
    "The correctness gate. Runs, within --budget-seconds:\n"
    "  explore            every crash point of the standard workloads (scenarios/workloads): each message\n"
    "                     re-run once per (failpoint, ordinal, action) from a snapshot and judged\n"
    "  scenarios          every *.scn file under --scenarios, replayed\n"
    "  no-fault           generated cases without injected faults\n"
    "  control-lost       negative controls: memory.write=5%lost (then misdirect, bitflip) armed for every\n"
    "  control-misdirect  whole case; the judgement must catch them, and a control that finds nothing\n"
    "  control-bitflip    fails the gate\n"
    "  crash-ic           generated cases whose arm ops trap (crash-error: return errors; crash-powerloss:\n"
    "  crash-error        crash; crash-torn: tear the write in flight), judged after every message\n"
    "  crash-powerloss\n"
    "  crash-torn\n"
    "  coverage           every catalogued (site, action) pair fired somewhere in the run\n"
    "--layout picks the on-disk layout (default 6); --layout all runs the whole gate once per builtin\n"
    "layout, each with the full budget, and prints the verdict matrix: layout x crash model, each cell\n"
    "pass, expected failure (the layout does not promise to survive that model: the violation is shown\n"
    "with its shrunk counterexample and the command that replays it), FAIL (a bug), or unexpected pass.\n"
    "Scenario files that name another layout are skipped in a layout's run.\n"
    "\n"
    "The explore suite always runs whole (a few seconds); the rest of the budget is split across the\n"
    "other suites by weight; a suite whose share is spent starts no new case (each runs at least one) and\n"
    "its unused time passes on. The table says how many cases each ran. The seed is fixed by default (CI\n"
    "runs the same cases every time) and printed first; the number of cases depends on the machine's speed.\n"
    "\n"
    "On a violation the case is shrunk and saved as a scenario file in --save-dir, and the one command that\n"
    "replays it is printed. Exit 0 when every layout passed (expected failures included), 1 otherwise.";

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// What one suite ran, beside its report row.
struct SuiteRun {
  SuiteReport report;
  fp::HitSnapshot hits;
};

// The table's word for a suite's result.
std::string ResultWord(const std::string& result) {
  if (result == "pass") return "pass";
  if (result == "fail") return "FAIL";
  if (result == "expected-fail") return "xfail";
  return result;
}

// One layout's gate: every suite on that layout, within its budget, and the evidence for its row of the
// verdict matrix.
class Gate {
 public:
  Gate(const LayoutInfo& layout, std::string prefix, uint64_t seed, double budget_seconds, uint64_t steps,
       unsigned jobs, std::string save_dir, size_t shrink_runs)
      : layout_(layout),
        prefix_(std::move(prefix)),
        seed_(seed),
        budget_seconds_(budget_seconds),
        steps_(steps),
        jobs_(jobs),
        save_dir_(std::move(save_dir)),
        shrink_runs_(shrink_runs),
        start_(Clock::now()) {}

  // The deadline of a suite of weight `weight` starting now, with `weight_after` the weight of the suites
  // still to run after it: its share of what is left.
  Clock::time_point Deadline(double weight, double weight_after) const {
    const double left = std::max(0.0, budget_seconds_ - SecondsSince(start_));
    const double share = left * weight / (weight + weight_after);
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(share));
  }

  // Explores every standard workload in `dir` whole, whatever the budget: it is the deterministic floor of the
  // coverage check (a few seconds), and the suites after it share what it leaves of the budget.
  SuiteRun Explore(const std::string& dir);
  SuiteRun Generated(const std::string& name, const std::string& description, scenario::CrashModel model,
                     const std::string& weights_text, uint64_t case_cap, Clock::time_point deadline);
  SuiteRun Control(fp::Action action, uint64_t case_cap, Clock::time_point deadline);
  SuiteRun Scenarios(const std::string& dir, Clock::time_point deadline);

  // Shrinks and saves every failing case the suites kept (outside the budget: the budget is for running
  // cases), appends where it went to its suite's failure text, and records the violation.
  void SaveCounterexamples(std::vector<SuiteReport>* suites);

  // This layout's row of the verdict matrix. REQUIRES: SaveCounterexamples ran.
  LayoutVerdict Verdict(bool other_suites_passed) const;

  std::vector<ViolationReport>& violations() { return violations_; }
  double elapsed() const { return SecondsSince(start_); }
  // Whether some suite stopped because its share of the budget was spent.
  bool deadline_reached() const { return deadline_reached_; }
  const LayoutInfo& layout() const { return layout_; }

 private:
  // A failing case kept for SaveCounterexamples.
  struct Pending {
    std::string suite;
    CaseOutcome failed;
    std::string seed_replay;  // the replay command if the file cannot be written
    std::optional<uint64_t> case_index;
    std::optional<scenario::CrashModel> model;  // the crash model whose matrix cell it is evidence for
  };
  // Writes an explorer finding, shrunk, as a counterexample and records the violation; returns its evidence.
  CellEvidence SaveFinding(const scenario::Scenario& workload, const explore::ExploreResult& result,
                           const explore::Finding& finding, const std::string& name, bool expected,
                           SuiteReport* suite);
  void Keep(const std::string& suite, const CaseOutcome& failed, const std::string& seed_replay,
            std::optional<uint64_t> case_index, std::optional<scenario::CrashModel> model) {
    pending_.push_back({suite, failed, seed_replay, case_index, model});
  }
  bool Promised(scenario::CrashModel model) const { return faults::ExpectedToSurvive(layout_.atomicity, model); }
  std::string SuiteName(const std::string& name) const { return prefix_ + name; }
  // Evidence for a cell is the first violation found under its model; later ones do not replace it.
  void Record(scenario::CrashModel model, CellEvidence evidence) {
    std::optional<CellEvidence>& slot = evidence_[static_cast<size_t>(model)];
    if (!slot) slot = std::move(evidence);
  }

  const LayoutInfo& layout_;
  std::string prefix_;  // "8/" when several layouts run, so suite names stay unique in the reports
  uint64_t seed_;
  double budget_seconds_;
  uint64_t steps_;
  unsigned jobs_;
  std::string save_dir_;
  size_t shrink_runs_;
  Clock::time_point start_;
  std::vector<Pending> pending_;
  std::vector<ViolationReport> violations_;
  std::array<std::optional<CellEvidence>, scenario::kCrashModelCount> evidence_;
  bool deadline_reached_ = false;
};

void Gate::SaveCounterexamples(std::vector<SuiteReport>* suites) {
  for (const Pending& p : pending_) {
    const std::string stem = "check-" + layout_.name + "-" + p.suite.substr(prefix_.size()) + "-seed" +
                             std::to_string(seed_) +
                             (p.case_index ? "-case" + std::to_string(*p.case_index) : std::string());
    const Counterexample saved = SaveCounterexample(p.failed, "", save_dir_, stem,
                                                    "stablevfs check --layout " + layout_.name + ", suite " + p.suite,
                                                    p.seed_replay, shrink_runs_);
    ViolationReport v;
    v.suite = p.suite;
    v.property = saved.property;
    v.message = saved.message;
    v.seed = seed_;
    v.case_index = p.case_index;
    v.case_seed = p.failed.case_seed;
    v.crash_model = std::string(scenario::CrashModelName(p.failed.crash_model));
    v.scenario = saved.path;
    v.replay = saved.replay_command;
    violations_.push_back(v);
    std::string text = saved.path.empty() ? "\n  counterexample not saved: " + saved.save_error
                                          : "\n  counterexample (" + Plural(saved.shrunk_ops, "op") + ", shrunk from " +
                                                std::to_string(saved.original_ops) + "): " + saved.path;
    text += "\n  replay: " + saved.replay_command;
    for (SuiteReport& suite : *suites) {
      if (suite.name != p.suite) continue;
      if (suite.result == "fail") {
        suite.failure += text;
      } else {
        suite.note += text;
      }
    }
    if (p.model) {
      Record(*p.model, CellEvidence{saved.property, saved.message,
                                    p.suite + " case " + std::to_string(p.case_index.value_or(0)) + ", op #" +
                                        std::to_string(p.failed.violation->step),
                                    saved.path, saved.shrunk_ops, saved.replay_command});
    }
  }
  pending_.clear();
}

LayoutVerdict Gate::Verdict(bool other_suites_passed) const {
  LayoutVerdict verdict;
  verdict.layout = layout_.name;
  verdict.promise = layout_.atomicity;
  verdict.other_suites_passed = other_suites_passed;
  for (scenario::CrashModel model : faults::AllCrashModels()) {
    VerdictCell cell;
    cell.model = model;
    cell.expected_to_survive = Promised(model);
    const std::optional<CellEvidence>& evidence = evidence_[static_cast<size_t>(model)];
    cell.violated = evidence.has_value();
    if (evidence) cell.evidence = *evidence;
    verdict.cells.push_back(std::move(cell));
  }
  return verdict;
}

SuiteRun Gate::Explore(const std::string& dir) {
  const Clock::time_point start = Clock::now();
  SuiteRun run;
  run.report.name = SuiteName("explore");
  run.report.description = "every crash point of the standard workloads in " + (dir.empty() ? "(none)" : dir) +
                           " (= stablevfs explore --layout " + layout_.name + " --workloads-dir " + dir + ")";
  std::vector<std::string> paths;
  if (!dir.empty()) paths = explore::ListWorkloads(dir);
  if (paths.empty()) {
    run.report.result = "fail";
    run.report.failure = "no standard workloads (scenarios/workloads/*.scn) found: run from the source tree or pass "
                         "--workloads-dir DIR";
    run.report.note = run.report.failure;
    return run;
  }
  explore::ExploreOptions options;
  options.layout = layout_.name;
  options.jobs = jobs_;
  options.save_dir = "";        // findings are saved below, as check saves every counterexample
  options.verify_saved = false;
  std::vector<std::string> failures;
  uint64_t points_run = 0;
  uint64_t expected_findings = 0;
  for (const std::string& path : paths) {
    scenario::ScenarioResult parsed = explore::LoadWorkload(path);
    if (!parsed.ok()) {
      failures.push_back(parsed.error().ToString());
      continue;
    }
    const std::string name = explore::WorkloadName(path);
    explore::ExploreResult result;
    {
      Progress progress("check explore " + name);
      result = explore::ExploreWorkload(parsed.value(), name, options, [&progress](uint64_t done, uint64_t total) {
        progress.UpdatePoints(done, total);
      });
    }
    ++run.report.cases;
    run.report.messages += result.messages;
    run.report.crash_points += result.crash_points;
    run.report.violations += result.violations();
    points_run += result.points_run;
    // The explorer's counts as failpoint counters: evaluations inside messages, and the points that fired.
    for (const auto& [site, count] : result.hits_in_messages) run.hits.hits[site] += count;
    for (const auto& [key, count] : result.by_site_action) {
      const uint64_t fired = count.points - count.not_fired;
      if (fired > 0) run.hits.fired[{key.first, explore::ToFpAction(key.second)}] += fired;
    }
    // The first unexpected finding fails the suite; the first finding of each model the layout does not
    // promise to survive is the evidence of that model's expected failure. Each is saved, shrunk.
    bool unexpected_saved = false;
    std::array<bool, scenario::kCrashModelCount> expected_saved{};
    for (const explore::Finding& finding : result.findings) {
      // A finding without a crash point (the plain run) is no crash model's: always unexpected.
      const bool has_model = finding.point.has_value();
      const scenario::CrashModel model =
          has_model ? explore::CrashModelOf(finding.point->action) : scenario::CrashModel::kIc;
      const size_t slot = static_cast<size_t>(model);
      const bool expected = has_model && !Promised(model);
      expected_findings += expected ? 1 : 0;
      if (expected ? expected_saved[slot] || evidence_[slot] : unexpected_saved) continue;
      const std::string where = name + " op #" + std::to_string(finding.op_index) +
                                (has_model ? " with " + finding.point->spec : std::string(" (dry run)"));
      if (!expected) {
        run.report.failure += (run.report.failure.empty() ? "" : "\n") + where + ": " +
                              finding.violations.front().property + ": " + finding.violations.front().message;
      }
      CellEvidence evidence = SaveFinding(parsed.value(), result, finding, name, expected, &run.report);
      evidence.where = "explore " + where;
      if (has_model) Record(model, evidence);
      if (expected) {
        expected_saved[slot] = true;
      } else {
        unexpected_saved = true;
      }
    }
  }
  run.report.note = Plural(run.report.cases, "workload") + ", " + Plural(run.report.crash_points, "crash point") +
                    " verified (" + std::to_string(points_run) + " run)" +
                    (expected_findings > 0 ? "; " + Plural(expected_findings, "expected failure") + " under the " +
                                                 "crash models layout " + layout_.name + " does not promise" +
                                                 run.report.note
                                           : run.report.note);
  for (const std::string& f : failures) run.report.failure += (run.report.failure.empty() ? "" : "\n") + f;
  if (!run.report.failure.empty()) {
    run.report.result = "fail";
  } else if (expected_findings > 0) {
    run.report.result = "expected-fail";
  }
  run.report.pairs_fired = ComputeCoverage(run.hits, layout_).pairs_fired;
  run.report.seconds = SecondsSince(start);
  return run;
}

CellEvidence Gate::SaveFinding(const scenario::Scenario& workload, const explore::ExploreResult& result,
                               const explore::Finding& finding, const std::string& name, bool expected,
                               SuiteReport* suite) {
  // The explorer's own files declare the violation (they document a finding); a check counterexample fails its
  // replay until the bug is fixed, like every other, so the declaration is dropped. The finding is shrunk first
  // (its ops before the point are the workload's: most are not needed to show it).
  scenario::Scenario scenario = explore::FindingScenario(workload, result.dry_run, finding, "", name, layout_.name);
  scenario.expect_violations.clear();
  std::vector<ops::Op> ops_list;
  for (const scenario::Step& step : scenario.steps) ops_list.push_back(step.op);
  driver::ShrinkOptions shrink;
  shrink.session = driver::SessionOptionsFor(driver::ConfigOf(scenario), scenario.seed.value_or(0));
  shrink.crash_model = scenario.crash_model.value_or(scenario::CrashModel::kIc);
  shrink.property = finding.violations.front().property;
  shrink.max_runs = shrink_runs_;
  const driver::ShrinkResult shrunk = driver::Shrink(ops_list, shrink);
  if (shrunk.reproduced && shrunk.length() < scenario.steps.size()) {
    scenario::Scenario smaller = driver::MakeScenario(scenario.seed.value_or(0), driver::ConfigOf(scenario),
                                                      shrunk.ops, shrunk.records, std::nullopt, {});
    smaller.header_comments = scenario.header_comments;
    smaller.header_comments.push_back(" shrunk from " + Plural(scenario.steps.size(), "op") + " to " +
                                      Plural(shrunk.length(), "op") + " in " + Plural(shrunk.runs, "run"));
    scenario = std::move(smaller);
  }
  const std::string stem = "check-" + layout_.name + "-explore-" + name + "-op" + std::to_string(finding.op_index) +
                           (finding.point ? "-" + std::string(explore::CrashActionName(finding.point->action)) : "");
  const std::string path = (std::filesystem::path(save_dir_) / (stem + ".scn")).string();
  scenario.header_comments.insert(scenario.header_comments.begin(),
                                  " counterexample: stablevfs check --layout " + layout_.name +
                                      ", suite explore, workload " + name +
                                      (expected ? " (an expected failure: the layout does not promise this model)"
                                                : ""));
  scenario.header_comments.push_back(" replay: stablevfs replay " + ShellQuote(path));
  std::error_code ec;
  std::filesystem::create_directories(save_dir_, ec);
  const std::string error =
      ec ? "cannot create " + save_dir_ + ": " + ec.message() : scenario::WriteScenarioFile(path, scenario);
  ViolationReport v;
  v.suite = suite->name;
  v.property = finding.violations.front().property;
  v.message = finding.violations.front().message;
  v.seed = workload.seed.value_or(0);
  v.case_seed = v.seed;
  v.crash_model = finding.point ? std::string(scenario::CrashModelName(explore::CrashModelOf(finding.point->action)))
                                : std::string();
  std::string text;
  if (error.empty()) {
    v.scenario = path;
    v.replay = "stablevfs replay " + ShellQuote(path);
    text += "\n  counterexample (" + Plural(scenario.steps.size(), "op") + "): " + path;
  } else {
    v.replay = "stablevfs explore --layout " + layout_.name + " " + ShellQuote(name) + ".scn";
    text += "\n  counterexample not saved: " + error;
  }
  text += "\n  replay: " + v.replay;
  if (expected) {
    suite->note += "\n  expected failure: " + v.crash_model + ": " + v.property + text;
  } else {
    suite->failure += text;
  }
  CellEvidence evidence{v.property, v.message, "", v.scenario, error.empty() ? scenario.steps.size() : 0, v.replay};
  violations_.push_back(std::move(v));
  return evidence;
}

SuiteRun Gate::Generated(const std::string& name, const std::string& description, scenario::CrashModel model,
                         const std::string& weights_text, uint64_t case_cap, Clock::time_point deadline) {
  SuiteRun run;
  run.report.name = SuiteName(name);
  CampaignPlan plan;
  plan.seed = seed_;
  plan.layout = layout_.name;
  plan.steps = steps_;
  plan.crash_models = {model};
  plan.weights = ParseWeightsOption(weights_text, "suite " + name + " weights");
  plan.case_count = case_cap;
  plan.jobs = jobs_;
  plan.deadline = deadline;
  plan.min_cases = 1;  // every suite runs at least one case, however little budget is left
  const std::string equivalent = "stablevfs fuzz --layout " + layout_.name + " --seed " + std::to_string(seed_) +
                                 " --steps " + std::to_string(steps_) + " --crash-model " +
                                 std::string(scenario::CrashModelName(model)) + " --weights " + weights_text;
  run.report.description = description + " (= " + equivalent + ")";
  CampaignResult result;
  {
    Progress progress("check " + run.report.name);
    plan.on_case_steps = [&progress, &plan](uint64_t case_index, uint64_t steps) {
      progress.UpdateCase(case_index, steps, plan.steps);
    };
    result = RunCampaign(plan, [&progress](const CampaignTally& t) {
      progress.Update(t.cases, t.messages, t.violations);
    });
  }
  run.report.cases = result.cases.size();
  run.report.messages = result.messages();
  run.report.crash_points = result.crash_points();
  run.report.violations = result.violations();
  run.hits = result.hits;
  deadline_reached_ = deadline_reached_ || result.deadline_reached;
  run.report.note = result.deadline_reached ? "time share spent after " + std::to_string(result.cases.size()) +
                                                  " of at most " + std::to_string(case_cap) + " cases"
                                            : Plural(result.cases.size(), "case");
  // The no-fault suite arms nothing: its violations are no crash model's evidence, and always a failure.
  const bool faulted = name != "no-fault";
  const bool promised = !faulted || Promised(model);
  if (const CaseOutcome* failed = result.first_violation(/*include_expected=*/true)) {
    const std::string seed_replay = "stablevfs replay --layout " + layout_.name + " --seed " + std::to_string(seed_) +
                                    " --case " + std::to_string(failed->case_index) + " --steps " +
                                    std::to_string(steps_) + " --crash-model " +
                                    std::string(scenario::CrashModelName(model)) + " --weights " + weights_text;
    const std::string text = "case " + std::to_string(failed->case_index) + ", op #" +
                             std::to_string(failed->violation->step) + ": " + failed->violation->violation.property +
                             ": " + failed->violation->violation.message;
    if (promised) {
      run.report.result = "fail";
      run.report.failure = text;
    } else {
      run.report.result = "expected-fail";
      run.report.note = "expected failure (layout " + layout_.name + " promises " +
                        std::string(CommitAtomicityName(layout_.atomicity)) + " only): " + text;
    }
    Keep(run.report.name, *failed, seed_replay, failed->case_index,
         faulted ? std::optional(model) : std::nullopt);
  } else if (!promised) {
    run.report.note += "; unexpected pass: layout " + layout_.name + " does not promise to survive " +
                       std::string(scenario::CrashModelName(model)) + ", and no violation was found";
  }
  run.report.pairs_fired = ComputeCoverage(run.hits, layout_).pairs_fired;
  run.report.seconds = result.seconds;
  return run;
}

SuiteRun Gate::Control(fp::Action action, uint64_t case_cap, Clock::time_point deadline) {
  SuiteRun run;
  const std::string action_name(fp::ActionName(action));
  run.report.name = SuiteName("control-" + action_name);
  const std::string faults = "memory.write=5%" + action_name;
  const std::string weights_text = "arm=0";
  run.report.description = "negative control: " + faults +
                           " for every whole case must be caught (= stablevfs fuzz --layout " + layout_.name +
                           " --seed " + std::to_string(seed_) + " --steps " + std::to_string(steps_) +
                           " --faults '" + faults + "' --weights " + weights_text + ")";
  CampaignPlan plan;
  plan.seed = seed_;
  plan.layout = layout_.name;
  plan.steps = steps_;
  plan.faults = faults;
  plan.weights = ParseWeightsOption(weights_text, "control weights");
  plan.case_count = case_cap;
  plan.jobs = jobs_;
  plan.deadline = deadline;
  plan.min_cases = 1;
  CampaignResult result;
  {
    Progress progress("check " + run.report.name);
    plan.on_case_steps = [&progress, &plan](uint64_t case_index, uint64_t steps) {
      progress.UpdateCase(case_index, steps, plan.steps);
    };
    result = RunCampaign(plan, [&progress](const CampaignTally& t) {
      progress.Update(t.cases, t.messages, t.violations);
    });
  }
  run.report.cases = result.cases.size();
  run.report.messages = result.messages();
  run.report.crash_points = result.crash_points();
  run.report.violations = result.violations();
  run.hits = result.hits;
  const CaseOutcome* caught = result.first_violation();
  if (caught != nullptr && caught->hits.FiredOf("memory.write", action) > 0) {
    run.report.note = "caught in case " + std::to_string(caught->case_index) + " at op #" +
                      std::to_string(caught->violation->step) + ": " + caught->violation->violation.property +
                      " (after " + Plural(caught->hits.FiredOf("memory.write", action), action_name + " write") + ")";
  } else {
    run.report.result = "fail";
    if (caught != nullptr) {
      run.report.failure = "inconclusive: case " + std::to_string(caught->case_index) + " found " +
                           caught->violation->violation.property + " before any " + action_name +
                           " write happened (a violation without the injected fault; replay: stablevfs replay "
                           "--layout " + layout_.name + " --seed " + std::to_string(seed_) + " --case " +
                           std::to_string(caught->case_index) + " --steps " + std::to_string(steps_) +
                           " --faults '" + faults + "' --weights " + weights_text + ")";
    } else {
      run.report.failure = "the negative control was not caught: " + std::to_string(result.cases.size()) +
                           " cases ran with " + faults + " and every judgement held";
    }
    run.report.note = run.report.failure;
  }
  run.report.pairs_fired = ComputeCoverage(run.hits, layout_).pairs_fired;
  run.report.seconds = result.seconds;
  return run;
}

SuiteRun Gate::Scenarios(const std::string& dir, Clock::time_point deadline) {
  const Clock::time_point start = Clock::now();
  SuiteRun run;
  run.report.name = SuiteName("scenarios");
  run.report.description = "every *.scn under " + dir + " for layout " + layout_.name + " (or for any), replayed";
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) {
    run.report.result = "skipped";
    run.report.note = "no scenarios directory (" + (dir.empty() ? std::string("none found") : dir) +
                      "); run from the source tree or pass --scenarios DIR";
    return run;
  }
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".scn") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  scenario::ParseOptions parse;
  parse.catalogue = &ops::RegisterCatalogue();
  std::vector<std::string> failures;
  size_t done = 0;
  size_t other_layouts = 0;
  for (const std::string& file : files) {
    if (done > 0 && Clock::now() >= deadline) {
      run.report.note = "time share spent after " + std::to_string(done) + " of " + std::to_string(files.size()) +
                        " files";
      deadline_reached_ = true;
      break;
    }
    scenario::ScenarioResult parsed = scenario::LoadScenarioFile(file, parse);
    if (!parsed.ok()) {
      ++done;
      failures.push_back(parsed.error().ToString());
      continue;
    }
    // A scenario written for another layout (it names it) is that layout's regression, not this one's.
    if (parsed.value().layout && *parsed.value().layout != layout_.name) {
      ++other_layouts;
      continue;
    }
    ++done;
    const ScenarioVerdict verdict = RunScenarioCounted(parsed.value(), driver::RunConfig{layout_.name}, nullptr);
    ++run.report.cases;
    run.report.messages += verdict.messages;
    run.report.crash_points += verdict.crash_points;
    AddHits(&run.hits, verdict.hits);
    if (!verdict.passed) {
      ++run.report.violations;
      const std::string replay = "stablevfs replay --layout " + layout_.name + " " + ShellQuote(file);
      failures.push_back(file + " " + verdict.failure + "\n  replay: " + replay);
      ViolationReport v;
      v.suite = run.report.name;
      v.property = "scenario";
      v.message = verdict.failure;
      v.seed = parsed.value().seed.value_or(0);
      v.case_seed = v.seed;
      v.crash_model = parsed.value().crash_model
                          ? std::string(scenario::CrashModelName(*parsed.value().crash_model))
                          : std::string();
      v.scenario = file;
      v.replay = replay;
      violations_.push_back(v);
    }
  }
  if (run.report.note.empty()) run.report.note = Plural(done, "file");
  if (other_layouts > 0) run.report.note += " (" + Plural(other_layouts, "file") + " for other layouts skipped)";
  if (!failures.empty()) {
    run.report.result = "fail";
    for (const std::string& f : failures) run.report.failure += (run.report.failure.empty() ? "" : "\n") + f;
  }
  run.report.pairs_fired = ComputeCoverage(run.hits, layout_).pairs_fired;
  run.report.seconds = SecondsSince(start);
  return run;
}

// One row of the summary table.
void PrintRow(const SuiteReport& s, uint64_t pairs, size_t prefix) {
  char line[256];
  std::snprintf(line, sizeof line, "%-18s %7llu %9llu %12llu %9s %10llu %8s  %s", s.name.substr(prefix).c_str(),
                static_cast<unsigned long long>(s.cases), static_cast<unsigned long long>(s.messages),
                static_cast<unsigned long long>(s.crash_points),
                (std::to_string(s.pairs_fired) + "/" + std::to_string(pairs)).c_str(),
                static_cast<unsigned long long>(s.violations), (Fixed(s.seconds, 1) + " s").c_str(),
                ResultWord(s.result).c_str());
  std::cout << line << "\n" << std::flush;
}

// What one layout's gate ran: its suites and totals, for the combined report.
struct LayoutRun {
  std::vector<SuiteReport> suites;
  SuiteReport total;
  fp::HitSnapshot hits;
  Coverage coverage;
  std::vector<ViolationReport> violations;
  LayoutVerdict verdict;
  bool deadline_reached = false;
};

struct GateSettings {
  uint64_t seed = 0;
  double budget = 0;
  uint64_t steps = 0;
  unsigned jobs = 1;
  std::string workloads_dir;
  std::string scenarios_dir;
  std::string save_dir;
  size_t shrink_runs = 0;
};

// Runs every suite on `layout` and prints its table and notes.
LayoutRun RunLayout(const LayoutInfo& layout, const std::string& prefix, const GateSettings& settings) {
  char header[256];
  std::snprintf(header, sizeof header, "%-18s %7s %9s %12s %9s %10s %8s  %s", "suite", "cases", "messages",
                "crash points", "coverage", "violations", "time", "result");
  std::cout << header << "\n" << std::flush;

  Gate gate(layout, prefix, settings.seed, settings.budget, settings.steps, settings.jobs, settings.save_dir,
            settings.shrink_runs);
  const uint64_t pairs = ComputeCoverage({}, layout).pairs;
  LayoutRun out;
  auto keep = [&](SuiteRun run) {
    PrintRow(run.report, pairs, prefix.size());
    AddHits(&out.hits, run.hits);
    out.suites.push_back(std::move(run.report));
  };

  // Weights of the timed suites, in order: scenarios, no-fault, 3 controls, 4 crash models. The scenarios
  // and the controls usually finish early; running them first passes their unused time to the long suites.
  const std::vector<double> weights = {2.0, 1.0, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 1.5};
  size_t next = 0;
  auto deadline = [&]() {
    double after = 0;
    for (size_t i = next + 1; i < weights.size(); ++i) after += weights[i];
    return gate.Deadline(weights[next++], after);
  };
  const std::string crash_weights = "arm=12";  // more arm ops than the default mix: these suites are about faults
  keep(gate.Explore(settings.workloads_dir));
  keep(gate.Scenarios(settings.scenarios_dir, deadline()));
  keep(gate.Generated("no-fault", "generated cases without injected faults", scenario::CrashModel::kIc, "arm=0", 100,
                      deadline()));
  keep(gate.Control(fp::Action::kLost, 20, deadline()));
  keep(gate.Control(fp::Action::kMisdirect, 20, deadline()));
  keep(gate.Control(fp::Action::kBitflip, 20, deadline()));
  keep(gate.Generated("crash-ic", "generated cases whose arm ops trap", scenario::CrashModel::kIc, crash_weights, 400,
                      deadline()));
  keep(gate.Generated("crash-error", "generated cases whose arm ops return errors", scenario::CrashModel::kError,
                      crash_weights, 400, deadline()));
  keep(gate.Generated("crash-powerloss", "generated cases whose arm ops crash", scenario::CrashModel::kPowerloss,
                      crash_weights, 400, deadline()));
  keep(gate.Generated("crash-torn", "generated cases whose arm ops tear the write in flight",
                      scenario::CrashModel::kTorn, crash_weights, 400, deadline()));

  // Counterexamples are shrunk after the suites, so that shrinking does not eat the budget of the suites after
  // the one that failed.
  gate.SaveCounterexamples(&out.suites);

  out.coverage = ComputeCoverage(out.hits, layout);
  SuiteReport coverage_suite;
  coverage_suite.name = prefix + "coverage";
  coverage_suite.description = "every (site, action) pair layout " + layout.name + " reaches fired somewhere in the run";
  coverage_suite.pairs_fired = out.coverage.pairs_fired;
  coverage_suite.note = std::to_string(out.coverage.sites_hit) + " of " + std::to_string(out.coverage.sites) +
                        " sites hit, " + std::to_string(out.coverage.pairs_fired) + " of " +
                        std::to_string(out.coverage.pairs) + " (site, action) pairs fired";
  if (!out.coverage.missing.empty()) {
    coverage_suite.result = "fail";
    coverage_suite.failure = "never fired:";
    for (const std::string& m : out.coverage.missing) coverage_suite.failure += " " + m;
  }
  PrintRow(coverage_suite, pairs, prefix.size());

  SuiteReport& total = out.total;
  total.name = prefix + "total";
  for (const SuiteReport& s : out.suites) {
    total.cases += s.cases;
    total.messages += s.messages;
    total.crash_points += s.crash_points;
    // A control's violations are its catches, which it must make; they are not findings.
    if (s.name.rfind(prefix + "control-", 0) != 0) total.violations += s.violations;
  }
  out.suites.push_back(std::move(coverage_suite));
  total.pairs_fired = out.coverage.pairs_fired;
  total.seconds = gate.elapsed();
  // The suites a layout must pass whatever it promises: everything but the crash-model evidence.
  bool other_passed = true;
  for (const SuiteReport& s : out.suites) {
    const std::string name = s.name.substr(prefix.size());
    const bool model_suite = name == "explore" || name.rfind("crash-", 0) == 0;
    if (!model_suite) other_passed = other_passed && s.result != "fail";
  }
  out.verdict = gate.Verdict(other_passed);
  // A model suite that failed where the layout promised to survive is in the verdict as an unexpected failure;
  // an explore failure without a crash point (the dry run) is not a cell's, so it counts here.
  bool passed = out.verdict.passed();
  for (const SuiteReport& s : out.suites) passed = passed && s.result != "fail";
  total.result = passed ? "pass" : "fail";
  std::cout << std::string(90, '-') << "\n";
  PrintRow(total, pairs, prefix.size());

  std::cout << "\n";
  for (const SuiteReport& s : out.suites) {
    if (s.result == "fail") {
      std::cout << s.name << " FAILED: " << s.failure << "\n";
    } else if (!s.note.empty()) {
      std::cout << s.name << ": " << s.note << "\n";
    }
  }
  out.violations = gate.violations();
  out.deadline_reached = gate.deadline_reached();
  return out;
}

}  // namespace

int RunCheck(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs = {
      {"seed", true, "S", "seed of every generated suite", std::to_string(kDefaultCheckSeed)},
      {"budget-seconds", true, "B", "time for the whole run of one layout, shared by its suites",
       Fixed(kDefaultBudgetSeconds, 0)},
      {"steps", true, "M", "ops per generated case", std::to_string(kDefaultSteps)},
      {"jobs", true, "J", "cases run at a time on local threads (0: one per core)", "1"},
      {"workloads-dir", true, "DIR", "the standard workloads to explore", "scenarios/workloads"},
      {"scenarios", true, "DIR", "scenario files to replay", "./scenarios, else the source tree's"},
      {"save-dir", true, "DIR", "where shrunk counterexamples are saved", "stablevfs-failures"},
      {"shrink-runs", true, "N", "at most N runs to shrink a counterexample", "300"},
      {"report-json", true, "FILE", "write the JSON report to FILE", ""},
      {"junit", true, "FILE", "write a JUnit XML report to FILE (one testcase per suite)", ""},
      {"hits", true, "FILE", "write the failpoint counters here", std::string(kDefaultHitsPath)},
  };
  AddLayoutOption(specs, /*allow_all=*/true, "the layout to judge, or all for the verdict matrix");
  const Args args("check", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  if (!args.positional().empty()) {
    throw UsageError("unexpected argument '" + args.positional().front() + "' (check takes options only)");
  }
  RefuseFailpointsEnvironment("check", "arms faults of its own in every suite and would not honour it (to run "
                             "a campaign under a spec, use fuzz or replay --faults, which merge the variable)");
  const std::vector<const LayoutInfo*> layouts = LayoutsFromArgs(args);
  GateSettings settings;
  settings.seed = args.get_u64("seed", kDefaultCheckSeed);
  settings.budget = args.get_seconds("budget-seconds", kDefaultBudgetSeconds);
  settings.steps = args.get_u64("steps", kDefaultSteps);
  RequireStepsInRange(settings.steps, "--steps");
  const uint64_t jobs_option = args.get_u64("jobs", 1);
  if (jobs_option > 1024) {
    throw UsageError("--jobs: " + std::to_string(jobs_option) + " is more threads than makes sense");
  }
  settings.jobs =
      jobs_option == 0 ? std::max(1u, std::thread::hardware_concurrency()) : static_cast<unsigned>(jobs_option);
  settings.scenarios_dir = args.has("scenarios") ? *args.get("scenarios") : explore::DefaultScenariosDir();
  std::error_code ec;
  if (args.has("scenarios") && !std::filesystem::is_directory(settings.scenarios_dir, ec)) {
    throw UsageError("--scenarios " + settings.scenarios_dir + ": not a directory");
  }
  settings.workloads_dir =
      args.has("workloads-dir") ? *args.get("workloads-dir") : explore::DefaultWorkloadsDir();
  if (args.has("workloads-dir") && !std::filesystem::is_directory(settings.workloads_dir, ec)) {
    throw UsageError("--workloads-dir " + settings.workloads_dir + ": not a directory");
  }
  settings.save_dir = args.get_or("save-dir", "stablevfs-failures");
  settings.shrink_runs = args.get_u64("shrink-runs", 300);
  const std::string hits_path = args.get_or("hits", std::string(kDefaultHitsPath));
  std::vector<OutputPath> outputs;
  AddOutputOption(outputs, args, "report-json");
  AddOutputOption(outputs, args, "junit");
  outputs.push_back(HitsOutput(args, hits_path));
  outputs.push_back({"--save-dir", settings.save_dir, OutputKind::kDirectory});
  CheckOutputPaths(outputs, {{"--scenarios", settings.scenarios_dir}, {"--workloads-dir", settings.workloads_dir}});
  const std::string command_line = CommandLine(argc, argv);

  const bool several = layouts.size() > 1;
  std::string names;
  for (const LayoutInfo* layout : layouts) names += (names.empty() ? "" : ", ") + layout->name;
  std::cout << "stablevfs check: " << (several ? "layouts " + names : DescribeLayout(*layouts.front())) << ", seed "
            << settings.seed << (args.has("seed") ? "" : " (the default)") << ", budget "
            << FormatSeconds(settings.budget) << " s" << (several ? " per layout" : "") << ", " << settings.steps
            << " steps per generated case\n\n";

  std::vector<LayoutRun> runs;
  for (const LayoutInfo* layout : layouts) {
    if (several) std::cout << DescribeLayout(*layout) << ":\n";
    runs.push_back(RunLayout(*layout, several ? layout->name + "/" : "", settings));
    if (several) std::cout << "\n";
  }

  std::vector<LayoutVerdict> verdicts;
  SuiteReport total;
  fp::HitSnapshot hits;
  RunReport report;
  bool passed = true;
  bool deadline_reached = false;
  std::string expected_models;
  for (const LayoutRun& run : runs) {
    verdicts.push_back(run.verdict);
    total.cases += run.total.cases;
    total.messages += run.total.messages;
    total.crash_points += run.total.crash_points;
    total.seconds += run.total.seconds;
    AddHits(&hits, run.hits);
    passed = passed && run.total.result == "pass";
    deadline_reached = deadline_reached || run.deadline_reached;
    report.suites.insert(report.suites.end(), run.suites.begin(), run.suites.end());
    report.violations.insert(report.violations.end(), run.violations.begin(), run.violations.end());
    for (const VerdictCell& cell : run.verdict.cells) {
      if (cell.result() != CellResult::kExpectedFailure) continue;
      expected_models += (expected_models.empty() ? "" : ", ") + (several ? run.verdict.layout + "/" : "") +
                         std::string(faults::CrashModelName(cell.model));
    }
  }
  std::cout << "\nverdict (layout x crash model):\n" << FormatVerdictMatrix(verdicts);
  if (!report.violations.empty()) {
    std::cout << "\nreplay the counterexamples with:\n";
    for (const ViolationReport& v : report.violations) std::cout << "  " << v.replay << "\n";
  }
  std::cout << "\n" << (passed ? "PASS" : "FAIL") << ": " << (several ? "layouts " + names : "layout " + names)
            << ", " << report.suites.size() << " suites, " << total.cases << " cases, " << total.messages
            << " messages in " << Fixed(total.seconds, 1) << " s ("
            << Fixed(total.seconds > 0 ? static_cast<double>(total.messages) / total.seconds : 0, 0)
            << " messages/s), seed " << settings.seed
            << (expected_models.empty() ? "" : "; expected failures: " + expected_models) << "\n";

  report.command = "check";
  report.command_line = command_line;
  report.passed = passed;
  report.layout = several ? "all" : names;
  report.verdicts_json = VerdictMatrixJson(verdicts);
  report.seed = settings.seed;
  report.crash_model = "all";
  report.steps = settings.steps;
  report.jobs = settings.jobs;
  report.cases = total.cases;
  report.messages = total.messages;
  report.crash_points = total.crash_points;
  report.seconds = total.seconds;
  report.deadline_reached = deadline_reached;
  report.hits = hits;
  report.coverage = runs.size() == 1 ? runs.front().coverage : ComputeCoverage(hits, *layouts.front());
  try {
    WriteHitsFile(hits_path, command_line, hits, report.layout);
  } catch (const std::exception& e) {
    std::cerr << "stablevfs check: warning: hit counts not saved: " << e.what() << "\n";
  }
  if (args.has("report-json")) WriteTextFile(*args.get("report-json"), FormatJsonReport(report));
  if (args.has("junit")) WriteTextFile(*args.get("junit"), FormatJUnitReport(report));
  return passed ? kExitPass : kExitViolation;
}

}  // namespace stablevfs::cli
