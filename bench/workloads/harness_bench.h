// The harness throughput benchmark: how much verification the harness buys per second of CI. Three figures,
// the ones the issue asks for (docs/benchmarks.md, "Harness throughput"), each measured once per on-disk layout
// (HarnessBenchOptions::layouts; default every builtin layout), every row tagged with its layout:
//
//   judged messages   property-driver cases (driver::RunCase, generated ops, full judgement after every
//                     message: live checks, the independent checker on the image, the page and data models),
//                     cycling the four crash models; messages per CPU-second of the one thread (= per core)
//   explore           every standard workload (scenarios/workloads/*.scn) explored with each --jobs value
//                     (default 1 and 2): crash points verified per CPU-second of the workers (per core) and
//                     per wall-clock second (what --jobs buys)
//   negative controls for each storage fault the library cannot see (lost, misdirected, bit-flipped write):
//                     cases run in seed order until the harness goes red; the messages and seconds until the
//                     first violation, then the shrunk counterexample's length and the time shrinking took
//
// Layouts promise different things (lib/layout/layout_registry.h CommitAtomicity): layout 8 is atomic only
// under the IC's trap rollback, so under powerloss and torn it fails, as designed. Those failures are expected
// (harness/faults/vocabulary.h ExpectedToSurvive, as `stablevfs fuzz` and `explore` classify them): the judged
// cases and the explored points still count (a case stops at its first violation, as in a fuzz campaign), the
// expected violations are reported apart, and only the others are violations. The negative controls run under
// powerloss when the layout promises to survive it, else under ic, so that what goes red is the storage fault,
// not the layout's known limit.

//   HarnessBenchOptions options;              // seeds and sizes; every figure but time is a function of them
//   HarnessReport report = RunHarnessBenchmarks(options);   // JudgeGoals (vfs_bench.h) judges it
//
// Goals (REFERENCE.md section 5), per layout: >= 500 judged messages per CPU-second; >= 2,000 crash points per
// CPU-second; every control caught within 10 seconds and shrunk to at most 6 ops. Everything here runs in this process;
// the counts (messages, points, shrunk lengths) are deterministic, only the clocks vary.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace stablevfs::bench {

struct HarnessBenchOptions {
  // Registered layout names to measure, each with the same seeds and sizes; empty: every builtin layout
  // (LayoutRegistry::Builtins). A name the registry does not know is reported as an error of that layout.
  std::vector<std::string> layouts;
  uint64_t seed = 1;             // campaign seed of the judged cases and of the negative controls
  uint64_t judged_cases = 16;    // property-driver cases timed for the judged-message rate
  uint64_t judged_steps = 100;   // ops per case
  std::vector<unsigned> explore_jobs = {1, 2};  // one exploration of the standard workloads per value
  std::string workloads_dir;     // "" = explore::DefaultWorkloadsDir()
  uint64_t control_steps = 60;   // ops per negative-control case
  uint64_t control_max_cases = 20;  // cases tried per control before it is reported as not caught
  std::ostream* progress = nullptr;  // one line per finished part (not owned)
};

struct JudgedThroughput {
  std::string layout;            // the layout the cases ran on
  uint64_t cases = 0;
  uint64_t ops = 0;
  uint64_t messages = 0;
  uint64_t violations = 0;       // cases that went red under a crash model the layout promises to survive (bugs)
  uint64_t expected_violations = 0;  // cases that went red under one it does not promise (layout 8: powerloss, torn)
  double seconds = 0;            // wall clock
  double cpu_seconds = 0;        // the thread's CPU time

  double per_cpu_second() const { return cpu_seconds > 0 ? static_cast<double>(messages) / cpu_seconds : 0; }
  bool operator==(const JudgedThroughput&) const = default;
};

struct ExploreThroughput {
  std::string layout;            // the layout explored (a workload's own layout line would win; none has one)
  unsigned jobs = 1;
  uint64_t workloads = 0;
  uint64_t crash_points = 0;
  uint64_t violations = 0;       // findings the layout's promise does not allow (none expected: bugs)
  uint64_t expected_violations = 0;  // findings at points whose crash model the layout does not promise to survive
  double seconds = 0;            // running the points, wall clock, summed over the workloads
  double cpu_seconds = 0;        // CPU time of the workers running the points

  double per_second() const { return seconds > 0 ? static_cast<double>(crash_points) / seconds : 0; }
  double per_cpu_second() const { return cpu_seconds > 0 ? static_cast<double>(crash_points) / cpu_seconds : 0; }
  bool operator==(const ExploreThroughput&) const = default;
};

struct ControlResult {
  std::string layout;            // the layout the control ran on
  std::string crash_model;       // "powerloss" when the layout promises to survive it, else "ic"
  std::string name;              // "lost write", "misdirected write", "bit flip"
  std::string faults;            // the spec armed for the whole case, e.g. "memory.write=2%lost"
  bool caught = false;
  uint64_t cases = 0;            // cases run until the first violation (all of them when not caught)
  uint64_t messages = 0;         // messages sent until the first violation, over those cases
  double seconds = 0;            // wall clock until the first violation
  std::string property;          // the violated property
  bool shrunk = false;           // the shrinker reproduced the violation
  uint64_t original_ops = 0;     // ops of the failing case
  uint64_t shrunk_ops = 0;       // ops of the shrunk counterexample (arm lines included)
  uint64_t shrink_runs = 0;      // Session runs the shrinker spent
  double shrink_seconds = 0;
  bool operator==(const ControlResult&) const = default;
};

struct HarnessReport {
  // The options, as run (the JSON carries them so a reader can rerun the same figures).
  uint64_t seed = 0;
  uint64_t judged_steps = 0;
  uint64_t control_steps = 0;
  std::string workloads_dir;
  std::vector<JudgedThroughput> judged;     // one per layout, in the order measured
  std::vector<ExploreThroughput> explore;   // per layout, one per --explore-jobs value
  std::vector<ControlResult> controls;      // per layout, one per negative control
  std::string error;             // non-empty: a part could not run (e.g. the workloads were not found)

  // No error, no violation the layout's promise does not allow (expected ones are fine), every control caught
  // and shrunk.
  bool ok() const;
  bool operator==(const HarnessReport&) const = default;
};

// The three storage faults of the negative controls, as (name, spec) pairs.
std::vector<std::pair<std::string, std::string>> NegativeControlFaults();

HarnessReport RunHarnessBenchmarks(const HarnessBenchOptions& options);

}  // namespace stablevfs::bench
