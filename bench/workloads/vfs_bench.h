// The benchmark of `stablevfs bench`: every VFS workload of workload.h on every backend of bench_backend.h, the
// two icstable backends once per on-disk layout, and the harness throughput of harness_bench.h (also per
// layout), reported as a Markdown table and a JSON document, with the project's goals judged at the end. The
// JSON reads back (ReadJson), so the Markdown and the README's performance section can be regenerated from a
// saved run (WriteReadmeSection, readme_section.h).
//
//   BenchOptions options;                         // or ParseBenchArgs(argv...) for `stablevfs bench`
//   options.build_type = "RelWithDebInfo";        // the caller knows how it was built
//   options.layouts = {"8"};                      // default: every builtin layout of the registry
//   options.harness = HarnessBenchOptions{};      // also measure the harness (off by default in the library)
//   BenchReport report = RunBenchmarks(options);
//   WriteMarkdown(report, std::cout);
//   WriteJson(report, json_file);
//
// Method (docs/benchmarks.md): for each workload and backend (and layout, on icstable and icstable-sim), `runs`
// times: open a fresh backend, run the untimed setup, run the timed part (TimedRegion), verify the result
// untimed, read the sizes. The reported time is the median of the runs; the stable-memory numbers are those of
// the first run (they are deterministic: every run must report the same, and a difference is recorded as a
// note). A run that fails (error, trap, wrong result) marks that workload/backend/layout as failed with the
// reason; the others go on. memdb and unix have no layout: they run once, and every layout's ratios divide by
// the same memdb median.
//
// Goals judged (REFERENCE.md sections 3.4 and 5), each for one layout (GoalResult::layout), on backend
// `icstable` (the library without the simulator's bookkeeping) unless said:
//   - median time within 1.3x memdb on every workload that writes (write, churn, load) and 1.15x on every read
//     workload, on the wall clock unless goals_on_cpu_time; every layout;
//   - stable memory after reset_insert_1000 (judged at scale 1 only): layout 8 at most 196,608 bytes (its
//     published figure) and sv1 too (its design goal); every other layout at most 0.5 MiB (524,288 bytes, the
//     project's goal);
//   - churn, on icstable and icstable-sim: a flat footprint over the second half of the cycles (50..100 by
//     default), i.e. the same stable page count at every footprint sample from the first at or past half the
//     cycles to the last. Layout 6 appends every commit and never reclaims: its growth is reported as
//     expected ("expected: layout 6 never reclaims", GoalResult::expected), not as a failure; every other
//     layout, layout 8 and any layout registered later included, must stay flat.
//   - a layout that claims to be better than another (sv1 against 8, LayoutGoals::than in vfs_bench.cpp), from
//     the same run: stable pages at every churn sample at most 2x the other's (icstable and icstable-sim);
//     simulated stable-memory instructions at most 1.15x the other's on every workload that writes; CPU time
//     summed over the read workloads at most 1.05x the other's (icstable; each workload's ratio in the detail).
// Harness (when measured), per layout: >= 500 judged messages and >= 2,000 explored crash points per
// CPU-second; every negative control caught within 10 s and shrunk to at most 6 ops. Violations a layout does
// not promise to survive (layout 8 under powerloss and torn) are expected findings, counted apart: they are
// not failures of the measurement.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workloads/bench_backend.h"
#include "bench/workloads/harness_bench.h"
#include "bench/workloads/workload.h"
#include "lib/core/status.h"

namespace stablevfs::bench {

struct BenchOptions {
  // Run the VFS workloads (workloads x backends below).
  bool vfs = true;
  // Measure the harness throughput too, with these options (harness_bench.h); nullopt: do not.
  std::optional<HarnessBenchOptions> harness;
  // Workload names to run (see WorkloadNames()); empty: all.
  std::vector<std::string> workloads;
  // Backends to run; empty: all four.
  std::vector<BackendKind> backends;
  // Registered layout names the icstable backends run on, once each, in this order; empty: every builtin
  // layout (LayoutRegistry::Builtins, in registration order). A name the registry does not know fails every
  // run on it (ParseBenchArgs refuses it up front).
  std::vector<std::string> layouts;
  // Timed runs per workload and backend; the median is reported. 0: open and set up once, run nothing
  // timed and read no sizes (the baseline of whole-process instruction counts, see bench/callgrind.sh).
  uint32_t runs = 5;
  // Untimed passes before the timed runs of each workload and backend (the same work, discarded). 0 for
  // instruction counting, where a warm-up would be counted.
  uint32_t warmups = 1;
  // Verify each run's result and read the sizes afterwards (untimed). Off only for whole-process
  // instruction counting, where that work would be counted with the workload; the sizes are then absent.
  bool verify = true;
  // Which clock the time goals judge: wall clock (steady_clock, the default) or the thread's CPU time,
  // which is the sounder choice on a machine shared with other work (both ratios are always reported).
  bool goals_on_cpu_time = false;
  // Toggle Callgrind's collection around each timed region (when compiled in; see timed_region.h). Off for
  // whole-process counting under --collect-atstart=yes.
  bool callgrind_toggles = true;
  // Sizes (see WorkloadParams).
  double scale = 1.0;
  uint32_t value_bytes = 100;
  uint32_t churn_cycles = 100;
  uint32_t churn_sample_every = 10;
  // The folder holding workloads/chinook and workloads/northwind. Empty: DefaultCorporaDir().
  std::filesystem::path corpora_dir;
  // Passed in by the caller and only reported (the library cannot know how the binary was built).
  std::string build_type;
  // Where the `unix` backend puts its temporary files; empty: the system temporary directory.
  std::filesystem::path temp_dir;
  // When set, one line per finished workload/backend (for a terminal). Not owned.
  std::ostream* progress = nullptr;
};

// $STABLEVFS_CORPORA when set; else <repo>/../shared/corpora, the repository located from this source
// file's path at build time; else ../shared/corpora relative to the working directory.
std::filesystem::path DefaultCorporaDir();

struct BackendResult {
  BackendKind backend = BackendKind::kMemdb;
  // The layout the database was stored in: a registered name ("6", "8") on icstable and icstable-sim, "" on
  // memdb and unix (no layout).
  std::string layout;
  // Empty when every run succeeded; else why the first failing run failed (the numbers below are then
  // those of the runs that completed, possibly none).
  std::string error;
  std::vector<int64_t> run_ns;   // timed-region wall-clock duration of each successful run
  std::optional<int64_t> median_ns;
  std::vector<int64_t> run_cpu_ns;  // the thread's CPU time in the timed region, per run
  std::optional<int64_t> median_cpu_ns;
  std::optional<double> ratio_to_memdb;      // median / memdb median of the same workload
  std::optional<double> cpu_ratio_to_memdb;  // the same for the CPU-time medians
  // icstable-sim only, over the timed region of the first run.
  std::optional<StableCost> cost;
  // icstable backends only: the stable memory after the run.
  std::optional<uint64_t> stable_pages;
  std::optional<uint64_t> stable_bytes;
  std::optional<uint64_t> db_size_bytes;  // PRAGMA page_count * page_size after the run
  uint64_t rows_read = 0;
  uint64_t rows_written = 0;
  uint64_t table_rows = 0;
  std::vector<FootprintSample> footprint;  // churn on icstable backends: pages after every N cycles
  std::vector<std::string> notes;          // e.g. a counter that differed between runs
};

// "memdb", "unix", "icstable/8", "icstable-sim/6": a result's backend and layout, as the reports name a series.
std::string SeriesName(BackendKind backend, std::string_view layout);
std::string SeriesName(const BackendResult& result);

struct WorkloadResult {
  std::string name;
  WorkloadKind kind = WorkloadKind::kWrite;
  std::string description;
  std::string skipped;  // non-empty: why it did not run (missing corpus)
  std::vector<BackendResult> backends;  // memdb and unix once, the icstable backends once per layout

  // The result of `kind` on `layout` ("" for memdb and unix), or null.
  const BackendResult* Find(BackendKind kind, std::string_view layout = {}) const;
};

struct GoalResult {
  std::string name;    // e.g. "write time within 1.3x memdb"
  std::string layout;  // the layout the goal belongs to ("8"); "" for none
  std::string scope;   // the workload(s) judged
  std::string detail;  // the measured value and the limit
  // nullopt: could not be judged (backend or workload not run, or failed).
  std::optional<bool> pass;
  // Non-empty when a failure is expected of this layout, and why (e.g. "layout 6 never reclaims"): the report
  // prints "expected: <why>" instead of FAIL.
  std::string expected;
};

// A layout as the report records it (the registry may not know it when a saved report is read back).
struct BenchLayout {
  std::string name;       // "6", "8"
  std::string atomicity;  // CommitAtomicityName of its promise: "power-loss", "trap-rollback"
  bool operator==(const BenchLayout&) const = default;
};

struct BenchEnvironment {
  std::string machine;  // uname: sysname release machine
  std::string date_utc;  // ISO 8601, when the run started
  std::string sqlite_version;
  std::string build_type;
  std::string compiler;
  bool callgrind_toggles = false;  // CallgrindTogglesCompiled() and BenchOptions::callgrind_toggles
  bool goals_on_cpu_time = false;  // BenchOptions::goals_on_cpu_time
  uint32_t runs = 0;
  uint32_t warmups = 0;
  double scale = 1.0;
  uint32_t value_bytes = 0;
  uint32_t churn_cycles = 0;
  uint32_t churn_sample_every = 0;
  std::string corpora_dir;
  bool vfs = true;                 // the VFS workloads ran (BenchOptions::vfs)
  std::vector<BenchLayout> layouts;  // the layouts the icstable backends and the harness ran on, in order
  std::string command_line;        // the command that produced the report, as typed (set by the caller)
};

struct BenchReport {
  BenchEnvironment environment;
  std::vector<WorkloadResult> workloads;
  std::optional<HarnessReport> harness;  // when the harness was measured
  std::vector<GoalResult> goals;

  // True when no workload/backend failed (skipped workloads are not failures) and the harness part, when
  // run, is ok (HarnessReport::ok).
  bool ok() const;
};

// Runs the benchmark. Unknown workload names are reported as skipped with the reason; use ParseBenchArgs
// to reject them up front. Never throws for a failing run: a Trap or SQLite error is recorded in the
// BackendResult.
BenchReport RunBenchmarks(const BenchOptions& options);

// The goals of the header comment, judged on `report.workloads` (ratios must already be filled in, as
// RunBenchmarks does) and `report.harness`, each tagged with its layout. Per layout (environment.layouts, then
// any other a result carries): one result per judged workload for the time goals and one for the reset
// footprint; one per icstable backend and layout for the churn footprint; with the harness, per layout one for
// the judged message rate and one for the crash-point rate (--jobs 1), and one per negative control.
std::vector<GoalResult> JudgeGoals(const BenchReport& report);

// A Markdown report: environment, one table row per workload and backend/layout (`icstable/8`), the layouts
// side by side (time ratios to memdb, simulated stable-memory instructions, stable memory after the run), the
// churn footprint series of every backend/layout, the harness tables (a layout column), the goals (a layout
// column; an expected failure prints as "expected: <why>").
void WriteMarkdown(const BenchReport& report, std::ostream& out);

// The same as one JSON object:
//   {"format": "stablevfs-bench-2",
//    "environment": {"machine", "date_utc", "sqlite_version", "build_type", "compiler", "callgrind_toggles",
//      "goals_on_cpu_time", "runs", "warmups", "scale", "value_bytes", "churn_cycles", "churn_sample_every",
//      "corpora_dir", "vfs", "layouts": [{"name", "atomicity"}], "command_line"},
//    "workloads": [{"name", "kind", "description", "skipped", "backends": [{"backend", "layout", "error",
//      "run_ns", "median_ns", "run_cpu_ns", "median_cpu_ns", "ratio_to_memdb", "cpu_ratio_to_memdb",
//      "stable_bytes_written", "dirty_pages_4k", "stable_instructions", "messages", "stable_pages",
//      "stable_bytes", "db_size_bytes", "rows_read", "rows_written", "table_rows",
//      "footprint": [{"cycle", "stable_pages"}], "notes"}]}],
//    "harness": null | {"seed", "judged_steps", "control_steps", "workloads_dir", "error",
//      "judged": [{"layout", "cases", "ops", "messages", "violations", "expected_violations", "seconds",
//        "cpu_seconds", "per_cpu_second"}],
//      "explore": [{"layout", "jobs", "workloads", "crash_points", "violations", "expected_violations",
//        "seconds", "cpu_seconds", "per_second", "per_cpu_second"}],
//      "controls": [{"layout", "crash_model", "name", "faults", "caught", "cases", "messages", "seconds",
//        "property", "shrunk", "original_ops", "shrunk_ops", "shrink_runs", "shrink_seconds"}], "ok"},
//    "goals": [{"name", "layout", "scope", "detail", "pass", "expected"}], "ok"}
// Absent numbers are null; "layout" is null on memdb and unix (no layout) and on a goal of no layout; a goal's
// "expected" is null unless its failure is expected of the layout (then the reason). Rates (per_...) and the
// "ok" members are derived and ignored by ReadJson.
// Versions: "stablevfs-bench-1" had no layout dimension (one icstable result per backend, one harness figure
// of each kind, on the default layout 6); "stablevfs-bench-2" tags every result, harness row and goal with its
// layout. ReadJson reads version 2 only: a version 1 report is refused with a message saying to rerun.
inline constexpr const char* kBenchJsonFormat = "stablevfs-bench-2";
void WriteJson(const BenchReport& report, std::ostream& out);

// The report of a JSON document WriteJson wrote: WriteJson(ReadJson(WriteJson(r))) writes the same text.
// Errors (kInvalidArgument): not JSON (with line and byte), another format, or a member missing or of the
// wrong type, named by its path (e.g. "workloads[3].backends[1].median_ns").
Result<BenchReport> ReadJson(std::string_view text);

// Command-line front end for `stablevfs bench`: parses
//   --workload NAME[,NAME...] (repeatable)   --backend NAME[,NAME...] (repeatable)
//   --layout NAME[,NAME...]|all (repeatable; a registered layout name: the icstable backends and the harness
//   suite run once per layout; default and `all`: every builtin layout)
//   --runs N   --warmup N   --scale X   --value-bytes N   --churn-cycles N   --churn-sample-every N
//   --corpora DIR   --build-type S   --tmpdir DIR   --no-verify   --no-callgrind-toggles   --goal-clock wall|cpu
//   --suite vfs|harness|all   --harness-seed N   --harness-cases N   --harness-steps N   --explore-jobs J[,J]
//   --workloads-dir DIR
// into `options` (JSON and Markdown destinations are the caller's business: see RunBenchCommand).
// Errors: kInvalidArgument naming the bad argument or unknown name (an unknown layout lists the registered
// ones).
Result<BenchOptions> ParseBenchArgs(const std::vector<std::string>& args);

// The usage text of the options above.
std::string BenchUsage();

// `stablevfs bench [options] [--json FILE | --no-json] [--markdown FILE] [--readme FILE] [--list] [--quiet]
// [--help]`, or `stablevfs bench --from-json FILE [--markdown FILE] [--readme FILE]`:
// parses, runs (or reads the saved report), writes Markdown to `out` (or to FILE with --markdown) and a JSON
// report to FILE (default: build/bench-results/bench-<UTC time>.json below the working directory; none with
// --no-json or --from-json); with --readme, replaces the generated section of FILE (readme_section.h). --list
// prints the workload, backend and layout names. Progress goes to `err` unless --quiet. Returns the process exit code: 0 all
// runs succeeded, 1 a run failed, 2 bad arguments or an unwritable output file.
int RunBenchCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace stablevfs::bench
