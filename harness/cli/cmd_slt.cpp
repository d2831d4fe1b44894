// stablevfs slt: runs sqllogictest files through the VFS beside stock SQLite (see harness/slt/runner.h).
//
// Every file is parsed before anything runs, so a typo in the last file is reported in a second, not after an
// hour. Exit codes: 0 no failure (notes about the files' expected text do not count), 1 at least one failure,
// 2 bad usage or input (an unreadable file, a parse error with its file:line, a fault spec with its column).
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "failpoints/catalogue.h"
#include "failpoints/spec.h"
#include "harness/cli/args.h"
#include "harness/cli/commands.h"
#include "harness/cli/failpoints_environment.h"
#include "harness/cli/layout_option.h"
#include "harness/cli/output_path.h"
#include "harness/sim/sim_failpoints.h"
#include "harness/slt/report.h"
#include "harness/slt/runner.h"
#include "harness/slt/script.h"

namespace stablevfs::cli {

int RunSlt(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs = {
                {"faults", true, "SPEC", "failpoints armed while the records run, e.g. 'sqlite.step=1%error' (merged with STABLEVFS_FAILPOINTS)", ""},
                {"seed", true, "S", "seed of the failpoint PRNG and of the simulated memory's faults", "0"},
                {"json", true, "FILE", "also write a machine-readable report to FILE", ""},
                {"max-failures", true, "N", "failures and notes shown per file (all are counted)", "5"},
                {"record-limit", true, "N",
                 "SQLite virtual machine instructions one record may run (0: no limit)",
                 std::to_string(slt::kDefaultRecordInstructionLimit)},
  };
  AddLayoutOption(specs, /*allow_all=*/false, "the layout of the VFS database");
  Args args("slt", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(
        "FILE... [--layout NAME] [--faults SPEC] [--seed S] [--json FILE] [--max-failures N] [--record-limit N]",
        "Runs sqllogictest files through the icstable VFS (one canister message per record, on simulated stable\n"
        "memory) and through stock SQLite of the same version side by side, from an empty database per file.\n"
        "Every statement must succeed or fail on both, and every query must give the same rendered values and\n"
        "the same raw values on both: any difference is a failure. Both are also compared with the file's\n"
        "expected text; a difference there on which stock SQLite agrees with the VFS is a note, not a failure\n"
        "(the corpus was generated with another SQLite version). Records run as engine 'sqlite'.\n\n"
        "With --faults, a record the VFS fails because of an injected fault (an injected error, an SQLite I/O\n"
        "error, a refused grow, a failpoint trap or crash) is counted as faulted, not as a failure, and stock\n"
        "SQLite drops it too; after a crash the VFS may keep the statement or not, and stock SQLite follows\n"
        "whichever state stable memory holds. The file's expected text is compared only up to the first\n"
        "dropped statement. Storage faults that succeed silently (lost, misdirect, bitflip) are not excused.\n"
        "STABLEVFS_FAILPOINTS, when set, is armed too: its entries and --faults' are merged, a site both\n"
        "name taking --faults' chain, and the merged spec is what is printed and reported.\n\n"
        "Bounds: each record runs on stock SQLite first, stopped after --record-limit virtual machine\n"
        "instructions (sqlite3_progress_handler; the default is a few seconds of work). A record stopped there\n"
        "(an unbounded recursive CTE, say) is a failure of that record, is not run on the VFS (it runs the same\n"
        "program), and the file goes on with the next record.");
    return kExitPass;
  }
  if (args.positional().empty()) throw UsageError("give at least one sqllogictest FILE (see 'stablevfs slt --help')");

  slt::RunOptions options;
  options.seed = args.get_u64("seed", 0);
  options.layout = &LayoutFromArgs(args);
  options.details_max = static_cast<size_t>(args.get_u64("max-failures", 5));
  options.record_instruction_limit = args.get_u64("record-limit", slt::kDefaultRecordInstructionLimit);
  // --faults and STABLEVFS_FAILPOINTS, merged (failpoints_environment.h); nullopt when neither arms anything.
  std::optional<std::string> faults_text;
  if (std::string merged = FaultsWithEnvironment(args.get_or("faults", ""), "--faults"); !merged.empty()) {
    faults_text = std::move(merged);
  }
  if (faults_text) {
    sim::RegisterSimFailpoints();
    fp::Spec spec;
    const fp::SpecStatus parsed = fp::ParseSpec(*faults_text, &spec, &fp::Catalogue::Global());
    if (!parsed.ok()) throw UsageError("--faults: " + parsed.message());
    options.faults = std::move(spec);
  }

  std::vector<slt::Script> scripts;
  for (const std::string& path : args.positional()) {
    try {
      scripts.push_back(slt::LoadScript(path));
    } catch (const slt::ParseError& e) {
      throw UsageError(e.what());
    }
  }

  // Open the JSON report before running: a path that cannot be written should fail now, not after the run.
  std::vector<OutputPath> outputs;
  AddOutputOption(outputs, args, "json");
  std::vector<InputPath> inputs;
  for (const std::string& path : args.positional()) inputs.push_back({"FILE", path});
  CheckOutputPaths(outputs, inputs);
  std::ofstream json;
  if (const std::optional<std::string> path = args.get("json")) {
    json.open(*path, std::ios::binary | std::ios::trunc);
    if (!json) throw UsageError("--json: cannot write '" + *path + "'");
  }

  const auto started = std::chrono::steady_clock::now();
  std::vector<slt::FileReport> reports;
  for (const slt::Script& script : scripts) {
    reports.push_back(slt::RunScript(script, options));
    slt::WriteText(std::cout, reports.back());
    std::cout.flush();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  slt::FileReport totals = slt::Totals(reports);
  totals.file = "total (" + std::to_string(reports.size()) + " files)";
  std::cout << slt::SummaryLine(totals) << "; " << std::fixed << std::setprecision(1) << seconds << " s\n";
  if (faults_text) std::cout << "faults: " << *faults_text << " (seed " << options.seed << ")\n";
  std::cout << (totals.failures == 0 ? "PASS" : "FAIL") << "\n";

  if (json.is_open()) {
    json << slt::ToJson(reports, options.engine, faults_text, options.seed);
    json.close();
    if (!json) {
      std::cerr << "stablevfs slt: writing the JSON report failed\n";
      return kExitInternal;
    }
  }
  return totals.failures == 0 ? kExitPass : kExitViolation;
}

}  // namespace stablevfs::cli
