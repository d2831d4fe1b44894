// stablevfs check: the correctness gate CI runs (and `make run`). A fixed list of suites, each a set of seeded
// cases or deterministic runs, within one time budget; a summary table; exit 1 when any suite failed.
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
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "failpoints/catalogue.h"
#include "harness/cli/args.h"
#include "harness/cli/campaign.h"
#include "harness/cli/commands.h"
#include "harness/cli/hits_file.h"
#include "harness/cli/progress.h"
#include "harness/cli/report.h"
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
    "[--seed S] [--budget-seconds B] [--steps M] [--jobs J] [--workloads-dir DIR] [--scenarios DIR]\n"
    "       [--save-dir DIR] [--report-json FILE] [--junit FILE]";

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
    "The explore suite always runs whole (a few seconds); the rest of the budget is split across the\n"
    "other suites by weight; a suite whose share is spent starts no new case (each runs at least one) and\n"
    "its unused time passes on. The table says how many cases each ran. The seed is fixed by default (CI\n"
    "runs the same cases every time) and printed first; the number of cases depends on the machine's speed.\n"
    "\n"
    "On a violation the case is shrunk and saved as a scenario file in --save-dir, and the one command that\n"
    "replays it is printed. Exit 0 when every suite passed, 1 otherwise.";

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

class Gate {
 public:
  Gate(uint64_t seed, double budget_seconds, uint64_t steps, unsigned jobs, std::string save_dir,
       size_t shrink_runs)
      : seed_(seed),
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

  std::vector<ViolationReport>& violations() { return violations_; }
  double elapsed() const { return SecondsSince(start_); }
  // Whether some suite stopped because its share of the budget was spent.
  bool deadline_reached() const { return deadline_reached_; }

 private:
  // A failing case kept for SaveCounterexamples.
  struct Pending {
    std::string suite;
    CaseOutcome failed;
    std::string seed_replay;  // the replay command if the file cannot be written
    std::optional<uint64_t> case_index;
  };
  // Writes an explorer finding as a counterexample and records the violation.
  void SaveFinding(const scenario::Scenario& workload, const explore::ExploreResult& result,
                   const explore::Finding& finding, const std::string& name, SuiteReport* suite);
  void Keep(const std::string& suite, const CaseOutcome& failed, const std::string& seed_replay,
            std::optional<uint64_t> case_index) {
    pending_.push_back({suite, failed, seed_replay, case_index});
  }

  uint64_t seed_;
  double budget_seconds_;
  uint64_t steps_;
  unsigned jobs_;
  std::string save_dir_;
  size_t shrink_runs_;
  Clock::time_point start_;
  std::vector<Pending> pending_;
  std::vector<ViolationReport> violations_;
  bool deadline_reached_ = false;
};

void Gate::SaveCounterexamples(std::vector<SuiteReport>* suites) {
  for (const Pending& p : pending_) {
    const std::string stem = "check-" + p.suite + "-seed" + std::to_string(seed_) +
                             (p.case_index ? "-case" + std::to_string(*p.case_index) : std::string());
    const Counterexample saved = SaveCounterexample(p.failed, "", save_dir_, stem,
                                                    "stablevfs check, suite " + p.suite, p.seed_replay, shrink_runs_);
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
      if (suite.name == p.suite) suite.failure += text;
    }
  }
  pending_.clear();
}

SuiteRun Gate::Explore(const std::string& dir) {
  const Clock::time_point start = Clock::now();
  SuiteRun run;
  run.report.name = "explore";
  run.report.description = "every crash point of the standard workloads in " + (dir.empty() ? "(none)" : dir) +
                           " (= stablevfs explore --workloads-dir " + dir + ")";
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
  options.jobs = jobs_;
  options.save_dir = "";        // findings are saved below, as check saves every counterexample
  options.verify_saved = false;
  std::vector<std::string> failures;
  uint64_t points_run = 0;
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
    if (!result.ok()) {
      const explore::Finding& finding = result.findings.front();
      std::string where = name + " op #" + std::to_string(finding.op_index) +
                          (finding.point ? " with " + finding.point->spec : std::string(" (dry run)"));
      // The failure text first: SaveFinding appends where the counterexample went.
      const std::string text =
          where + ": " + finding.violations.front().property + ": " + finding.violations.front().message;
      run.report.failure += (run.report.failure.empty() ? "" : "\n") + text;
      SaveFinding(parsed.value(), result, finding, name, &run.report);
    }
  }
  run.report.note = Plural(run.report.cases, "workload") + ", " + Plural(run.report.crash_points, "crash point") +
                    " verified (" + std::to_string(points_run) + " run)";
  for (const std::string& f : failures) run.report.failure += (run.report.failure.empty() ? "" : "\n") + f;
  if (!run.report.failure.empty()) run.report.result = "fail";
  run.report.pairs_fired = ComputeCoverage(run.hits).pairs_fired;
  run.report.seconds = SecondsSince(start);
  return run;
}

void Gate::SaveFinding(const scenario::Scenario& workload, const explore::ExploreResult& result,
                       const explore::Finding& finding, const std::string& name, SuiteReport* suite) {
  // The explorer's own files declare the violation (they document a finding); a check counterexample fails its
  // replay until the bug is fixed, like every other, so the declaration is dropped.
  scenario::Scenario scenario = explore::FindingScenario(workload, result.dry_run, finding, "", name);
  scenario.expect_violations.clear();
  const std::string stem = "check-explore-" + name + "-op" + std::to_string(finding.op_index);
  const std::string path = (std::filesystem::path(save_dir_) / (stem + ".scn")).string();
  scenario.header_comments.insert(scenario.header_comments.begin(),
                                  " counterexample: stablevfs check, suite explore, workload " + name);
  scenario.header_comments.push_back(" replay: stablevfs replay " + ShellQuote(path));
  std::error_code ec;
  std::filesystem::create_directories(save_dir_, ec);
  const std::string error =
      ec ? "cannot create " + save_dir_ + ": " + ec.message() : scenario::WriteScenarioFile(path, scenario);
  ViolationReport v;
  v.suite = "explore";
  v.property = finding.violations.front().property;
  v.message = finding.violations.front().message;
  v.seed = workload.seed.value_or(0);
  v.case_seed = v.seed;
  v.crash_model = finding.point ? std::string(scenario::CrashModelName(explore::CrashModelOf(finding.point->action)))
                                : std::string();
  if (error.empty()) {
    v.scenario = path;
    v.replay = "stablevfs replay " + ShellQuote(path);
    suite->failure += "\n  counterexample: " + path;
  } else {
    v.replay = "stablevfs explore " + ShellQuote(name) + ".scn";
    suite->failure += "\n  counterexample not saved: " + error;
  }
  suite->failure += "\n  replay: " + v.replay;
  violations_.push_back(std::move(v));
}

SuiteRun Gate::Generated(const std::string& name, const std::string& description, scenario::CrashModel model,
                         const std::string& weights_text, uint64_t case_cap, Clock::time_point deadline) {
  SuiteRun run;
  run.report.name = name;
  CampaignPlan plan;
  plan.seed = seed_;
  plan.steps = steps_;
  plan.crash_models = {model};
  plan.weights = ParseWeightsOption(weights_text, "suite " + name + " weights");
  plan.case_count = case_cap;
  plan.jobs = jobs_;
  plan.deadline = deadline;
  plan.min_cases = 1;  // every suite runs at least one case, however little budget is left
  const std::string equivalent = "stablevfs fuzz --seed " + std::to_string(seed_) + " --steps " +
                                 std::to_string(steps_) + " --crash-model " +
                                 std::string(scenario::CrashModelName(model)) + " --weights " + weights_text;
  run.report.description = description + " (= " + equivalent + ")";
  CampaignResult result;
  {
    Progress progress("check " + name);
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
  if (const CaseOutcome* failed = result.first_violation()) {
    run.report.result = "fail";
    const std::string seed_replay = "stablevfs replay --seed " + std::to_string(seed_) + " --case " +
                                    std::to_string(failed->case_index) + " --steps " + std::to_string(steps_) +
                                    " --crash-model " + std::string(scenario::CrashModelName(model)) +
                                    " --weights " + weights_text;
    run.report.failure = "case " + std::to_string(failed->case_index) + ", op #" +
                         std::to_string(failed->violation->step) + ": " + failed->violation->violation.property +
                         ": " + failed->violation->violation.message;
    Keep(name, *failed, seed_replay, failed->case_index);
  }
  run.report.pairs_fired = ComputeCoverage(run.hits).pairs_fired;
  run.report.seconds = result.seconds;
  return run;
}

SuiteRun Gate::Control(fp::Action action, uint64_t case_cap, Clock::time_point deadline) {
  SuiteRun run;
  const std::string action_name(fp::ActionName(action));
  run.report.name = "control-" + action_name;
  const std::string faults = "memory.write=5%" + action_name;
  const std::string weights_text = "arm=0";
  run.report.description = "negative control: " + faults +
                           " for every whole case must be caught (= stablevfs fuzz --seed " + std::to_string(seed_) +
                           " --steps " + std::to_string(steps_) + " --faults '" + faults + "' --weights " +
                           weights_text + ")";
  CampaignPlan plan;
  plan.seed = seed_;
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
                           " write happened (a violation without the injected fault; replay: stablevfs replay --seed " +
                           std::to_string(seed_) + " --case " + std::to_string(caught->case_index) + " --steps " +
                           std::to_string(steps_) + " --faults '" + faults + "' --weights " + weights_text + ")";
    } else {
      run.report.failure = "the negative control was not caught: " + std::to_string(result.cases.size()) +
                           " cases ran with " + faults + " and every judgement held";
    }
    run.report.note = run.report.failure;
  }
  run.report.pairs_fired = ComputeCoverage(run.hits).pairs_fired;
  run.report.seconds = result.seconds;
  return run;
}

SuiteRun Gate::Scenarios(const std::string& dir, Clock::time_point deadline) {
  const Clock::time_point start = Clock::now();
  SuiteRun run;
  run.report.name = "scenarios";
  run.report.description = "every *.scn under " + dir + ", replayed";
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
  for (const std::string& file : files) {
    if (done > 0 && Clock::now() >= deadline) {
      run.report.note = "time share spent after " + std::to_string(done) + " of " + std::to_string(files.size()) +
                        " files";
      deadline_reached_ = true;
      break;
    }
    ++done;
    scenario::ScenarioResult parsed = scenario::LoadScenarioFile(file, parse);
    if (!parsed.ok()) {
      failures.push_back(parsed.error().ToString());
      continue;
    }
    const ScenarioVerdict verdict = RunScenarioCounted(parsed.value(), "", nullptr);
    ++run.report.cases;
    run.report.messages += verdict.messages;
    run.report.crash_points += verdict.crash_points;
    AddHits(&run.hits, verdict.hits);
    if (!verdict.passed) {
      ++run.report.violations;
      failures.push_back(file + " " + verdict.failure + "\n  replay: stablevfs replay " + ShellQuote(file));
      ViolationReport v;
      v.suite = "scenarios";
      v.property = "scenario";
      v.message = verdict.failure;
      v.seed = parsed.value().seed.value_or(0);
      v.case_seed = v.seed;
      v.crash_model = parsed.value().crash_model
                          ? std::string(scenario::CrashModelName(*parsed.value().crash_model))
                          : std::string();
      v.scenario = file;
      v.replay = "stablevfs replay " + ShellQuote(file);
      violations_.push_back(v);
    }
  }
  if (run.report.note.empty()) run.report.note = Plural(done, "file");
  if (!failures.empty()) {
    run.report.result = "fail";
    for (const std::string& f : failures) run.report.failure += (run.report.failure.empty() ? "" : "\n") + f;
  }
  run.report.pairs_fired = ComputeCoverage(run.hits).pairs_fired;
  run.report.seconds = SecondsSince(start);
  return run;
}

// One row of the summary table.
void PrintRow(const SuiteReport& s, uint64_t pairs) {
  char line[256];
  std::snprintf(line, sizeof line, "%-18s %7llu %9llu %12llu %9s %10llu %8s  %s", s.name.c_str(),
                static_cast<unsigned long long>(s.cases), static_cast<unsigned long long>(s.messages),
                static_cast<unsigned long long>(s.crash_points),
                (std::to_string(s.pairs_fired) + "/" + std::to_string(pairs)).c_str(),
                static_cast<unsigned long long>(s.violations), (Fixed(s.seconds, 1) + " s").c_str(),
                s.result == "pass" ? "pass" : s.result == "fail" ? "FAIL" : "skipped");
  std::cout << line << "\n" << std::flush;
}

std::string DefaultScenariosDir() {
  std::error_code ec;
  return std::filesystem::is_directory("scenarios", ec) ? "scenarios" : "";
}

}  // namespace

int RunCheck(int argc, char** argv, int first) {
  const std::vector<OptionSpec> specs = {
      {"seed", true, "S", "seed of every generated suite", std::to_string(kDefaultCheckSeed)},
      {"budget-seconds", true, "B", "time for the whole run, shared by the suites", Fixed(kDefaultBudgetSeconds, 0)},
      {"steps", true, "M", "ops per generated case", std::to_string(kDefaultSteps)},
      {"jobs", true, "J", "cases run at a time on local threads (0: one per core)", "1"},
      {"workloads-dir", true, "DIR", "the standard workloads to explore", "scenarios/workloads"},
      {"scenarios", true, "DIR", "scenario files to replay", "./scenarios when present"},
      {"save-dir", true, "DIR", "where shrunk counterexamples are saved", "stablevfs-failures"},
      {"shrink-runs", true, "N", "at most N runs to shrink a counterexample", "300"},
      {"report-json", true, "FILE", "write the JSON report to FILE", ""},
      {"junit", true, "FILE", "write a JUnit XML report to FILE (one testcase per suite)", ""},
      {"hits", true, "FILE", "write the failpoint counters here", std::string(kDefaultHitsPath)},
  };
  const Args args("check", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  if (!args.positional().empty()) {
    throw UsageError("unexpected argument '" + args.positional().front() + "' (check takes options only)");
  }
  const uint64_t seed = args.get_u64("seed", kDefaultCheckSeed);
  const double budget = args.get_seconds("budget-seconds", kDefaultBudgetSeconds);
  const uint64_t steps = args.get_u64("steps", kDefaultSteps);
  if (steps == 0) throw UsageError("--steps: must be at least 1");
  const uint64_t jobs_option = args.get_u64("jobs", 1);
  if (jobs_option > 1024) {
    throw UsageError("--jobs: " + std::to_string(jobs_option) + " is more threads than makes sense");
  }
  const unsigned jobs =
      jobs_option == 0 ? std::max(1u, std::thread::hardware_concurrency()) : static_cast<unsigned>(jobs_option);
  const std::string scenarios_dir = args.has("scenarios") ? *args.get("scenarios") : DefaultScenariosDir();
  std::error_code ec;
  if (args.has("scenarios") && !std::filesystem::is_directory(scenarios_dir, ec)) {
    throw UsageError("--scenarios " + scenarios_dir + ": not a directory");
  }
  const std::string workloads_dir =
      args.has("workloads-dir") ? *args.get("workloads-dir") : explore::DefaultWorkloadsDir();
  if (args.has("workloads-dir") && !std::filesystem::is_directory(workloads_dir, ec)) {
    throw UsageError("--workloads-dir " + workloads_dir + ": not a directory");
  }
  const std::string save_dir = args.get_or("save-dir", "stablevfs-failures");
  if (save_dir.empty()) throw UsageError("--save-dir needs a directory name");
  const size_t shrink_runs = args.get_u64("shrink-runs", 300);
  const std::string hits_path = args.get_or("hits", std::string(kDefaultHitsPath));
  if (args.has("report-json")) CheckWritable(*args.get("report-json"), "--report-json");
  if (args.has("junit")) CheckWritable(*args.get("junit"), "--junit");
  const std::string command_line = CommandLine(argc, argv);

  std::cout << "stablevfs check: seed " << seed << (args.has("seed") ? "" : " (the default)") << ", budget "
            << Fixed(budget, 0) << " s, " << steps << " steps per generated case\n\n";
  char header[256];
  std::snprintf(header, sizeof header, "%-18s %7s %9s %12s %9s %10s %8s  %s", "suite", "cases", "messages",
                "crash points", "coverage", "violations", "time", "result");
  std::cout << header << "\n" << std::flush;

  Gate gate(seed, budget, steps, jobs, save_dir, shrink_runs);
  const uint64_t pairs = ComputeCoverage({}).pairs;
  std::vector<SuiteReport> suites;
  fp::HitSnapshot hits;
  auto keep = [&](SuiteRun run) {
    PrintRow(run.report, pairs);
    AddHits(&hits, run.hits);
    suites.push_back(std::move(run.report));
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
  keep(gate.Explore(workloads_dir));
  keep(gate.Scenarios(scenarios_dir, deadline()));
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
  gate.SaveCounterexamples(&suites);

  const Coverage coverage = ComputeCoverage(hits);
  SuiteReport coverage_suite;
  coverage_suite.name = "coverage";
  coverage_suite.description = "every catalogued (site, action) pair fired somewhere in the run";
  coverage_suite.pairs_fired = coverage.pairs_fired;
  coverage_suite.note = std::to_string(coverage.sites_hit) + " of " + std::to_string(coverage.sites) +
                        " sites hit, " + std::to_string(coverage.pairs_fired) + " of " +
                        std::to_string(coverage.pairs) + " (site, action) pairs fired";
  if (!coverage.missing.empty()) {
    coverage_suite.result = "fail";
    coverage_suite.failure = "never fired:";
    for (const std::string& m : coverage.missing) coverage_suite.failure += " " + m;
  }
  PrintRow(coverage_suite, pairs);

  SuiteReport total;
  total.name = "total";
  for (const SuiteReport& s : suites) {
    total.cases += s.cases;
    total.messages += s.messages;
    total.crash_points += s.crash_points;
    // A control's violations are its catches, which it must make; they are not findings.
    if (s.name.rfind("control-", 0) != 0) total.violations += s.violations;
  }
  suites.push_back(std::move(coverage_suite));
  total.pairs_fired = coverage.pairs_fired;
  total.seconds = gate.elapsed();
  bool passed = true;
  for (const SuiteReport& s : suites) passed = passed && s.result != "fail";
  total.result = passed ? "pass" : "fail";
  std::cout << std::string(90, '-') << "\n";
  PrintRow(total, pairs);

  std::cout << "\n";
  for (const SuiteReport& s : suites) {
    if (s.result == "fail") {
      std::cout << s.name << " FAILED: " << s.failure << "\n";
    } else if (!s.note.empty()) {
      std::cout << s.name << ": " << s.note << "\n";
    }
  }
  if (!gate.violations().empty()) {
    std::cout << "\nreplay the counterexamples with:\n";
    for (const ViolationReport& v : gate.violations()) std::cout << "  " << v.replay << "\n";
  }
  std::cout << "\n" << (passed ? "PASS" : "FAIL") << ": " << suites.size() << " suites, " << total.cases
            << " cases, " << total.messages << " messages in " << Fixed(total.seconds, 1) << " s ("
            << Fixed(total.seconds > 0 ? static_cast<double>(total.messages) / total.seconds : 0, 0)
            << " messages/s), seed " << seed << "\n";

  RunReport report;
  report.command = "check";
  report.command_line = command_line;
  report.passed = passed;
  report.seed = seed;
  report.crash_model = "all";
  report.steps = steps;
  report.jobs = jobs;
  report.cases = total.cases;
  report.messages = total.messages;
  report.crash_points = total.crash_points;
  report.seconds = total.seconds;
  report.deadline_reached = gate.deadline_reached();
  report.suites = suites;
  report.violations = gate.violations();
  report.hits = hits;
  report.coverage = coverage;
  try {
    WriteHitsFile(hits_path, command_line, hits);
  } catch (const std::exception& e) {
    std::cerr << "stablevfs check: warning: hit counts not saved: " << e.what() << "\n";
  }
  if (args.has("report-json")) WriteTextFile(*args.get("report-json"), FormatJsonReport(report));
  if (args.has("junit")) WriteTextFile(*args.get("junit"), FormatJUnitReport(report));
  return passed ? kExitPass : kExitViolation;
}

}  // namespace stablevfs::cli
