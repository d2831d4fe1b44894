// stablevfs fuzz: a seeded campaign of generated cases, sharded across machines and spread over local cores,
// that stops at the first violation, shrinks it, saves it as a scenario file and prints the command that
// replays it.
//
// Everything on stdout except the `timing:` line is a function of the options (seed, cases, steps, crash
// model, faults, weights, shard), not of --jobs or the machine, unless --time cut the campaign short. Progress
// goes to stderr (progress.h).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <random>
#include <thread>

#include "harness/cli/args.h"
#include "harness/cli/campaign.h"
#include "harness/cli/commands.h"
#include "harness/cli/failpoints_environment.h"
#include "harness/cli/hits_file.h"
#include "harness/cli/layout_option.h"
#include "harness/cli/output_path.h"
#include "harness/cli/progress.h"
#include "harness/cli/report.h"
#include "harness/driver/case_runner.h"

namespace stablevfs::cli {
namespace {

constexpr const char* kUsage =
    "[--seed S] [--cases N] [--steps M] [--time T] [--faults SPEC] [--layout NAME]\n"
    "       [--crash-model ic|error|powerloss|torn|all] [--shard I/N] [--jobs J] [--save-dir DIR]\n"
    "       [--weights TEXT] [--shrink-runs N] [--report-json FILE] [--junit FILE] [--hits FILE] [--verbose]";

constexpr const char* kDescription =
    "Runs a campaign of generated cases. Case k is a fresh canister driven by M ops drawn from the case\n"
    "seed CaseSeed(S, k); after every message the judgement table is checked (committed, error, trapped,\n"
    "crashed, and always: fsck, integrity, a fresh open). The crash model decides what the generated `arm`\n"
    "ops inject: ic traps, error returns errors, powerloss crashes, torn tears the write in flight; with\n"
    "`all` case k runs model k mod 4 in that order. A violation under a model the layout does not promise\n"
    "to survive (layout 8 under powerloss or torn) is an expected failure: it is reported with a saved\n"
    "counterexample, but it neither stops the campaign nor fails it. --faults arms a spec for every whole\n"
    "case (e.g.\n"
    "'memory.write=5%lost' runs a negative control: lost writes must be caught). --layout picks the\n"
    "on-disk layout every case formats its memory with (a saved counterexample names it).\n"
    "STABLEVFS_FAILPOINTS, when set, is armed too: its entries and --faults' are merged, a site both\nname taking --faults' chain, and the merged spec is what is printed, reported and saved.\n"
    "\n"
    "The first violation stops the campaign: it is shrunk to a short op list, saved as a scenario file in\n"
    "--save-dir, and the one command that replays it is printed; exit 1. Otherwise exit 0.\n"
    "\n"
    "Shards: --shard I/N runs the cases k with k mod N == I (0 <= I < N), so the N jobs of a CI matrix\n"
    "split one campaign into disjoint parts whose union is the unsharded run. --cases counts the whole\n"
    "campaign, not one shard. Jobs: --jobs J runs J cases at a time on local threads; results are merged\n"
    "in case order, so the output is the same for every J.\n"
    "\n"
    "Determinism: the seed is printed first; without --seed a fresh one is drawn. Everything printed to\n"
    "stdout except the `timing:` line depends only on the options. --time T stops starting new cases after\n"
    "T seconds: the number of cases, and so the output, then depends on the speed of the machine.";

// A fresh seed for a run without --seed; printed first, so the run can be repeated.
uint64_t FreshSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string Rate(double count, double seconds) { return Fixed(seconds > 0 ? count / seconds : 0.0, 1); }

}  // namespace

int RunFuzz(int argc, char** argv, int first) {
  const std::vector<OptionSpec> specs = {
      {"seed", true, "S", "campaign seed", "a fresh random seed, printed first"},
      {"cases", true, "N", "cases in the campaign (all shards together)", "100, or no limit with --time"},
      {"steps", true, "M", "ops per case", "100"},
      {"time", true, "T", "stop starting new cases after T seconds (output then depends on time)", "no limit"},
      {"faults", true, "SPEC", "failpoint spec armed for every whole case (merged with STABLEVFS_FAILPOINTS)", "none"},
      {"crash-model", true, "MODEL", "ic, error, powerloss, torn, or all (case k: model k mod 4)", "ic"},
      {"shard", true, "I/N", "run only the cases k with k mod N == I", "0/1"},
      {"jobs", true, "J", "cases run at a time on local threads (0: one per core)", "1"},
      {"save-dir", true, "DIR", "where a shrunk counterexample is saved", "stablevfs-failures"},
      {"weights", true, "TEXT", "generator weights, e.g. 'update=60,arm=5,sql.big-delete=10'", "the defaults"},
      {"shrink-runs", true, "N", "at most N runs to shrink a counterexample", "1000"},
      {"report-json", true, "FILE", "write the JSON report to FILE", ""},
      {"junit", true, "FILE", "write a JUnit XML report to FILE", ""},
      {"hits", true, "FILE", "write the failpoint counters here", std::string(kDefaultHitsPath)},
      {"verbose", false, "", "print one line per case", ""},
  };
  std::vector<OptionSpec> all_specs = specs;
  AddLayoutOption(all_specs, /*allow_all=*/false);
  const Args args("fuzz", all_specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  if (!args.positional().empty()) {
    throw UsageError("unexpected argument '" + args.positional().front() + "' (fuzz takes options only)");
  }

  // Every option is checked before the first case runs.
  CampaignPlan plan;
  plan.seed = args.has("seed") ? args.get_u64("seed", 0) : FreshSeed();
  const LayoutInfo& layout = LayoutFromArgs(args);
  plan.layout = layout.name;
  plan.stop_at_expected = false;  // an expected failure is reported, and the campaign goes on looking for bugs
  plan.steps = args.get_u64("steps", 100);
  RequireStepsInRange(plan.steps, "--steps");
  const std::string model_text = args.get_or("crash-model", "ic");
  plan.crash_models = ParseCrashModels(model_text, "--crash-model");
  plan.faults = FaultsWithEnvironment(args.get_or("faults", ""), "--faults");
  if (args.has("weights")) plan.weights = ParseWeightsOption(*args.get("weights"), "--weights");
  plan.shard = ParseShard(args.get_or("shard", "0/1"), "--shard");
  const uint64_t jobs = args.get_u64("jobs", 1);
  if (jobs > 1024) throw UsageError("--jobs: " + std::to_string(jobs) + " is more threads than makes sense");
  plan.jobs = jobs == 0 ? std::max(1u, std::thread::hardware_concurrency()) : static_cast<unsigned>(jobs);
  const bool timed = args.has("time");
  const double time_seconds = args.get_seconds("time", 0);
  if (args.has("cases") || !timed) plan.case_count = args.get_u64("cases", 100);
  const std::string save_dir = args.get_or("save-dir", "stablevfs-failures");
  const size_t shrink_runs = args.get_u64("shrink-runs", 1000);
  const std::string hits_path = args.get_or("hits", std::string(kDefaultHitsPath));
  std::vector<OutputPath> outputs;
  AddOutputOption(outputs, args, "report-json");
  AddOutputOption(outputs, args, "junit");
  outputs.push_back(HitsOutput(args, hits_path));
  outputs.push_back({"--save-dir", save_dir, OutputKind::kDirectory});
  CheckOutputPaths(outputs, {});
  const bool verbose = args.has("verbose");
  const std::string command_line = CommandLine(argc, argv);

  std::cout << "stablevfs fuzz: seed " << plan.seed << "\n";
  std::cout << "campaign: " << DescribeLayout(layout) << ", shard " << plan.shard.ToString() << ", "
            << (!plan.case_count ? std::string("cases 0..")
                : *plan.case_count == 0 ? std::string("no cases")
                                        : "cases 0.." + std::to_string(*plan.case_count - 1))
            << (plan.shard.count > 1 ? " with k mod " + std::to_string(plan.shard.count) +
                                           " == " + std::to_string(plan.shard.index)
                                     : std::string())
            << ", " << plan.steps << " steps per case, crash model " << model_text << ", faults "
            << (plan.faults.empty() ? "none" : plan.faults) << (timed ? ", time limit set" : "") << "\n"
            << std::flush;
  if (plan.case_count && *plan.case_count == 0) std::cout << "(no cases to run)\n";

  if (timed) {
    plan.deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(time_seconds));
  }
  CampaignResult result;
  {
    Progress progress("fuzz");
    plan.on_case_steps = [&progress, &plan](uint64_t case_index, uint64_t steps) {
      progress.UpdateCase(case_index, steps, plan.steps);
    };
    result = RunCampaign(plan, [&progress](const CampaignTally& t) {
      progress.Update(t.cases, t.messages, t.violations);
    });
  }

  if (verbose) {
    for (const CaseOutcome& c : result.cases) {
      std::cout << "case " << c.case_index << " (case seed " << c.case_seed << ", "
                << scenario::CrashModelName(c.crash_model) << "): " << Plural(c.ops, "op") << ", "
                << Plural(c.messages, "message") << ", " << Plural(c.crash_points, "crash point") << ": "
                << (c.ok() ? "ok"
                           : (c.expected ? "expected violation " : "VIOLATION ") + c.violation->violation.property)
                << "\n";
    }
  }

  const fp::HitSnapshot& hits = result.hits;
  const Coverage coverage = ComputeCoverage(hits, layout);
  RunReport report;
  report.command = "fuzz";
  report.command_line = command_line;
  report.seed = plan.seed;
  report.shard = plan.shard;
  report.crash_model = model_text;
  report.steps = plan.steps;
  report.faults = plan.faults;
  report.jobs = plan.jobs;
  report.cases = result.cases.size();
  report.messages = result.messages();
  report.crash_points = result.crash_points();
  report.deadline_reached = result.deadline_reached;
  report.hits = hits;
  report.coverage = coverage;
  // One suite per crash model that ran.
  for (scenario::CrashModel model : plan.crash_models) {
    SuiteReport suite;
    suite.name = "fuzz-" + std::string(scenario::CrashModelName(model));
    suite.description = "generated cases under crash model " + std::string(scenario::CrashModelName(model));
    for (const CaseOutcome& c : result.cases) {
      if (c.crash_model != model) continue;
      ++suite.cases;
      suite.messages += c.messages;
      suite.crash_points += c.crash_points;
      suite.violations += c.ok() ? 0 : 1;
    }
    if (result.first_expected(model) != nullptr) suite.result = "expected-fail";
    suite.pairs_fired = ComputeCoverage(result.hits_by_model[static_cast<size_t>(model)], layout).pairs_fired;
    report.suites.push_back(std::move(suite));
  }

  std::cout << "result: " << Plural(result.cases.size(), "case") << ", " << Plural(result.messages(), "message")
            << ", " << Plural(result.crash_points(), "crash point") << ", " << Plural(result.violations(), "violation")
            << (result.expected_violations() > 0
                    ? " (" + std::to_string(result.expected_violations()) + " expected: " + DescribeLayout(layout) +
                          " does not promise to survive their crash model)"
                    : std::string())
            << "\n";
  std::cout << "failpoints: " << coverage.sites_hit << " of " << coverage.sites << " sites hit, "
            << coverage.pairs_fired << " of " << coverage.pairs << " (site, action) pairs fired\n";
  if (result.deadline_reached) std::cout << "stopped: --time ran out; no new case was started after it\n";

  // Expected failures: shown with a shrunk counterexample per crash model, never hidden; they do not fail.
  for (scenario::CrashModel model : plan.crash_models) {
    const CaseOutcome* expected = result.first_expected(model);
    if (expected == nullptr) continue;
    const ops::Violation& v = expected->violation->violation;
    const std::string model_name(scenario::CrashModelName(model));
    std::cout << "expected failure under " << model_name << " (" << DescribeLayout(layout) << "): case "
              << expected->case_index << ", op #" << expected->violation->step << ": " << v.property << ": "
              << v.message.substr(0, 300) << (v.message.size() > 300 ? "..." : "") << "\n";
    const std::string seed_replay = "stablevfs replay --seed " + std::to_string(plan.seed) + " --case " +
                                    std::to_string(expected->case_index) + " --steps " + std::to_string(plan.steps) +
                                    " --crash-model " + model_name + " --layout " + plan.layout;
    const Counterexample saved =
        SaveCounterexample(*expected, plan.faults, save_dir,
                           "fuzz-seed" + std::to_string(plan.seed) + "-case" + std::to_string(expected->case_index) +
                               "-expected-" + model_name,
                           "stablevfs fuzz --layout " + plan.layout + ", case " +
                               std::to_string(expected->case_index) + " of seed " + std::to_string(plan.seed) +
                               " (an expected failure)",
                           seed_replay, shrink_runs);
    if (!saved.path.empty()) {
      std::cout << "  counterexample: " << Plural(saved.shrunk_ops, "op") << ", saved as " << saved.path << "\n";
    }
    std::cout << "  replay: " << saved.replay_command << "\n";
  }

  int exit_code = kExitPass;
  if (const CaseOutcome* failed = result.first_violation()) {
    exit_code = kExitViolation;
    // The case runner is the reference for what case k is: a disagreement is a harness bug, not a finding.
    driver::CaseConfig config;
    config.seed = plan.seed;
    config.case_index = failed->case_index;
    config.steps = plan.steps;
    config.crash_model = failed->crash_model;
    config.faults = plan.faults;
    config.weights = plan.weights;
    config.layout = plan.layout;
    const driver::CaseResult reference = driver::RunCase(config);
    if (reference.ops != failed->op_list || !reference.first_violation ||
        reference.first_violation->violation != failed->violation->violation) {
      throw std::runtime_error("case " + std::to_string(failed->case_index) +
                               " ran differently in driver::RunCase (harness nondeterminism)");
    }
    const ops::Violation& v = failed->violation->violation;
    std::cout << "VIOLATION case " << failed->case_index << " (case seed " << failed->case_seed << ", crash model "
              << scenario::CrashModelName(failed->crash_model) << "), op #" << failed->violation->step << ": "
              << v.property << ": " << v.message << "\n";
    std::string seed_replay = "stablevfs replay --seed " + std::to_string(plan.seed) + " --case " +
                              std::to_string(failed->case_index) + " --steps " + std::to_string(plan.steps) +
                              " --crash-model " + std::string(scenario::CrashModelName(failed->crash_model)) +
                              " --layout " + plan.layout;
    if (!plan.faults.empty()) seed_replay += " --faults " + ShellQuote(plan.faults);
    if (args.has("weights")) seed_replay += " --weights " + ShellQuote(*args.get("weights"));
    const std::string stem = "fuzz-seed" + std::to_string(plan.seed) + "-case" + std::to_string(failed->case_index);
    const Counterexample saved = SaveCounterexample(*failed, plan.faults, save_dir, stem,
                                                    "stablevfs fuzz, case " + std::to_string(failed->case_index) +
                                                        " of seed " + std::to_string(plan.seed),
                                                    seed_replay, shrink_runs);
    if (saved.path.empty()) {
      std::cout << "counterexample not saved: " << saved.save_error << "\n";
    } else {
      std::cout << "counterexample: " << Plural(saved.shrunk_ops, "op") << " (shrunk from " << saved.original_ops
                << " in " << Plural(saved.shrink_runs, "run") << "), saved as " << saved.path << "\n";
    }
    std::cout << "replay: " << saved.replay_command << "\n";
    ViolationReport violation;
    violation.suite = "fuzz-" + std::string(scenario::CrashModelName(failed->crash_model));
    violation.property = v.property;
    violation.message = v.message;
    violation.seed = plan.seed;
    violation.case_index = failed->case_index;
    violation.case_seed = failed->case_seed;
    violation.crash_model = std::string(scenario::CrashModelName(failed->crash_model));
    violation.scenario = saved.path;
    violation.replay = saved.replay_command;
    for (SuiteReport& suite : report.suites) {
      if (suite.name != violation.suite) continue;
      suite.result = "fail";
      suite.failure = "case " + std::to_string(failed->case_index) + ": " + v.property + ": " + v.message +
                      "\nreplay: " + saved.replay_command;
    }
    report.violations.push_back(std::move(violation));
    report.passed = false;
  }
  report.seconds = result.seconds;
  std::cout << (exit_code == kExitPass ? "PASS" : "FAIL") << "\n";
  std::cout << "timing: " << Fixed(result.seconds, 1) << " s with " << plan.jobs << " job"
            << (plan.jobs == 1 ? "" : "s") << ", " << Rate(static_cast<double>(result.cases.size()), result.seconds)
            << " cases/s, " << Rate(static_cast<double>(result.messages()), result.seconds) << " messages/s\n";

  try {
    WriteHitsFile(hits_path, command_line, hits, plan.layout);
  } catch (const std::exception& e) {
    std::cerr << "stablevfs fuzz: warning: hit counts not saved: " << e.what() << "\n";
  }
  if (args.has("report-json")) WriteTextFile(*args.get("report-json"), FormatJsonReport(report));
  if (args.has("junit")) WriteTextFile(*args.get("junit"), FormatJUnitReport(report));
  return exit_code;
}

}  // namespace stablevfs::cli
