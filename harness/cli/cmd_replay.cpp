// stablevfs replay: re-runs exactly one case, a scenario file or a seeded case of a campaign, prints every
// message with its outcome, and reports the first judgement that failed.
//
// A scenario file is judged by the rules of driver/replay.h: an `expect` line whose op ended otherwise, a
// violation the file does not declare, or a declared `expect-violation` that never happened fails it; a
// declared violation that is the run's first violation passes it and ends the run there. The loop is
// RunScenarioCounted (campaign.h), which prints each op as it finishes and keeps the failpoint counters for the
// hits file.
#include <filesystem>
#include <iostream>

#include "harness/cli/args.h"
#include "harness/cli/campaign.h"
#include "harness/cli/commands.h"
#include "harness/cli/failpoints_environment.h"
#include "harness/cli/hits_file.h"
#include "harness/cli/layout_option.h"
#include "harness/cli/output_path.h"
#include "harness/driver/run_config.h"
#include "harness/cli/report.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/ops/interpreter.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::cli {
namespace {

constexpr const char* kUsage =
    "FILE.scn [--layout NAME] [--faults SPEC] [--hits FILE]\n"
    "       stablevfs replay --seed S --case K [--layout NAME] [--steps M] [--crash-model MODEL] [--faults SPEC]\n"
    "                        [--weights TEXT] [--hits FILE]";

constexpr const char* kDescription =
    "Re-runs exactly one case and prints every op as it ran: its outcome (committed, error, trapped,\n"
    "crashed), the failpoints that fired, the storage faults left behind, and any violation of the\n"
    "judgement table. Exit 0 when every judgement held, 1 at the first one that failed (it is named), 2\n"
    "when the input is bad (a malformed scenario line is reported as file:line:column).\n"
    "\n"
    "With FILE.scn: runs the scenario file. An `expect <outcome>` line must match the outcome of the op\n"
    "before it; `expect-violation <property>` declares a negative control, which passes only when that\n"
    "violation is the first one seen. --faults arms a spec for the whole run (for a counterexample whose\n"
    "faults could not be made explicit; the file then says so and the fuzz run printed the option). The\n"
    "file's `layout` line picks the layout (every saved counterexample has one); --layout applies to a file\n"
    "without one, and naming another layout than the file's is refused.\n"
    "\n"
    "With --seed and --case: regenerates case K of the campaign with seed S exactly as `stablevfs fuzz`\n"
    "ran it. Give the same --layout, --steps, --crash-model, --faults and --weights as the campaign (with\n"
    "--crash-model all, case K runs the model the campaign gave it: ic, error, powerloss, torn by K mod 4).\n"
    "\n"
    "STABLEVFS_FAILPOINTS, when set, is armed too: its entries and --faults' are merged, a site both\nname taking --faults' chain, and the merged spec is what is printed, reported and saved.\n"
    "\n"
    "The failpoint counters of the run are written to the hits file that `stablevfs failpoints` reads.";

void WriteHits(const std::string& path, const std::string& command_line, const fp::HitSnapshot& hits,
               const std::string& layout) {
  try {
    WriteHitsFile(path, command_line, hits, layout);
  } catch (const std::exception& e) {
    std::cerr << "stablevfs replay: warning: hit counts not saved: " << e.what() << "\n";
  }
}

int ReplayFile(const std::string& path, const std::optional<std::string>& layout_option, const std::string& faults,
               const std::string& hits_path, const std::string& command_line) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw UsageError(path + ": is a directory, not a scenario file");
  }
  scenario::ParseOptions parse;
  parse.catalogue = &ops::RegisterCatalogue();
  parse.required_layout = layout_option;  // a `layout` line naming another is an error at its line and column
  scenario::ScenarioResult parsed = scenario::LoadScenarioFile(path, parse);
  if (!parsed.ok()) throw UsageError(parsed.error().ToString());
  const scenario::Scenario& s = parsed.value();
  const driver::RunConfig config = driver::ConfigOf(s, driver::RunConfig{layout_option.value_or(""), {}, faults});
  std::cout << "replay " << path << ": " << DescribeLayout(driver::LayoutOf(config)) << ", seed "
            << s.seed.value_or(0) << ", crash model "
            << (s.crash_model ? std::string(scenario::CrashModelName(*s.crash_model)) : std::string("(not given)"))
            << ", " << s.steps.size() << " ops" << (faults.empty() ? "" : ", session-wide faults " + faults);
  if (!s.expect_violations.empty()) {
    std::cout << ", negative control (expects a violation of";
    for (const std::string& p : s.expect_violations) std::cout << " " << p;
    std::cout << ")";
  }
  std::cout << "\n";

  const ScenarioVerdict verdict = RunScenarioCounted(
      s, config, [](const ops::StepRecord& record) { std::cout << record.ToString() << std::flush; });
  WriteHits(hits_path, command_line, verdict.hits, verdict.layout);
  if (!verdict.passed) {
    std::cout << "FAIL " << path << " " << verdict.failure << "\n";
    return kExitViolation;
  }
  std::cout << "PASS " << path << ": " << Plural(verdict.ops, "op") << ", " << Plural(verdict.messages, "message")
            << ", "
            << (verdict.expected_violation.empty() ? "every expectation and judgement held"
                                                   : "the declared violation was caught at " +
                                                         verdict.expected_violation)
            << "\n";
  return kExitPass;
}

int ReplaySeed(const Args& args, const LayoutInfo& layout, const std::string& faults, const std::string& hits_path,
               const std::string& command_line) {
  if (!args.has("seed") || !args.has("case")) {
    throw UsageError("give a scenario file, or both --seed and --case (see 'stablevfs replay --help')");
  }
  driver::CaseConfig config;
  config.seed = args.get_u64("seed", 0);
  config.case_index = args.get_u64("case", 0);
  config.steps = args.get_u64("steps", 100);
  RequireStepsInRange(config.steps, "--steps");
  const std::vector<scenario::CrashModel> models =
      ParseCrashModels(args.get_or("crash-model", "ic"), "--crash-model");
  config.crash_model = models[config.case_index % models.size()];
  config.faults = faults;
  config.layout = layout.name;
  if (args.has("weights")) config.weights = ParseWeightsOption(*args.get("weights"), "--weights");

  std::cout << "replay: " << DescribeLayout(layout) << ", seed " << config.seed << ", case " << config.case_index
            << " (case seed "
            << driver::CaseSeed(config.seed, config.case_index) << "), crash model "
            << scenario::CrashModelName(config.crash_model) << ", " << config.steps << " steps"
            << (faults.empty() ? "" : ", faults " + faults) << "\n";
  const CaseOutcome outcome = RunCounted(config, /*keep_records=*/true);
  for (const ops::StepRecord& record : outcome.records) std::cout << record.ToString();
  WriteHits(hits_path, command_line, outcome.hits, layout.name);
  if (!outcome.ok()) {
    std::cout << "FAIL case " << config.case_index << ": op #" << outcome.violation->step << ": violation "
              << outcome.violation->violation.property << ": " << outcome.violation->violation.message << "\n";
    return kExitViolation;
  }
  std::cout << "PASS case " << config.case_index << ": " << Plural(outcome.ops, "op") << ", "
            << Plural(outcome.messages, "message") << ", " << Plural(outcome.crash_points, "crash point")
            << ", every judgement held\n";
  return kExitPass;
}

}  // namespace

int RunReplay(int argc, char** argv, int first) {
  const std::vector<OptionSpec> specs = {
      {"seed", true, "S", "campaign seed of the case to regenerate", ""},
      {"case", true, "K", "case index within the campaign", ""},
      {"steps", true, "M", "ops per case, as the campaign had it", "100"},
      {"crash-model", true, "MODEL", "ic, error, powerloss, torn or all, as the campaign had it", "ic"},
      {"faults", true, "SPEC", "failpoint spec armed for the whole run (merged with STABLEVFS_FAILPOINTS)", "none"},
      {"weights", true, "TEXT", "generator weights, as the campaign had them", "the defaults"},
      {"hits", true, "FILE", "write the failpoint counters here", std::string(kDefaultHitsPath)},
  };
  std::vector<OptionSpec> all_specs = specs;
  AddLayoutOption(all_specs, /*allow_all=*/false, "the layout to run on (a scenario file's own layout line wins)");
  const Args args("replay", all_specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  const std::string faults = FaultsWithEnvironment(args.get_or("faults", ""), "--faults");
  const LayoutInfo& layout = LayoutFromArgs(args);  // checks the name even when a file's line will win
  const std::string hits_path = args.get_or("hits", std::string(kDefaultHitsPath));
  const std::string command_line = CommandLine(argc, argv);
  if (args.positional().size() > 1) {
    throw UsageError("expected one scenario file, got " + std::to_string(args.positional().size()) + " arguments");
  }
  std::vector<InputPath> inputs;
  if (args.positional().size() == 1) inputs.push_back({"the scenario file", args.positional().front()});
  CheckOutputPaths({HitsOutput(args, hits_path)}, inputs);
  if (args.positional().size() == 1) {
    for (const char* seed_only : {"seed", "case", "steps", "crash-model", "weights"}) {
      if (args.has(seed_only)) {
        throw UsageError(std::string("--") + seed_only + " applies to --seed/--case replays, not to a scenario file");
      }
    }
    return ReplayFile(args.positional().front(),
                      args.has("layout") ? std::optional<std::string>(layout.name) : std::nullopt, faults, hits_path,
                      command_line);
  }
  return ReplaySeed(args, layout, faults, hits_path, command_line);
}

}  // namespace stablevfs::cli
