// Report: what a gate run (check, fuzz) found, as a JSON document for tools and a JUnit XML file for CI.
//
// JSON (one object, format "stablevfs-report-1"):
//   {"format", "command", "command_line", "result": "pass"|"fail", "layout", "seed", "shard": "I/N", "crash_model",
//    "steps", "faults", "jobs", "cases", "messages", "crash_points", "duration_seconds", "deadline_reached",
//    "suites": [{"name", "description", "result": "pass"|"fail"|"skipped"|"expected-fail", "cases", "messages",
//                "crash_points", "violations", "pairs_fired", "duration_seconds", "note", "failure"}],
//    "violations": [{"suite", "property", "message", "seed", "case", "case_seed", "crash_model", "scenario",
//                    "replay"}],
//    "coverage": {"sites", "sites_hit", "pairs", "pairs_fired", "missing": ["site:action", ...]},
//    "verdicts": the verdict matrix (check only; verdict_matrix.h), or null,
//    "failpoints": {"<site>": {"hits": N, "fired": {"<action>": N, ...}}, ...}}
// Every catalogued site is listed under "failpoints" with every action it accepts (0 when it never fired), so
// a reader sees the gaps, not only the hits. Counts are whole numbers; durations are seconds with 3 decimals.
//
// JUnit: <testsuites><testsuite name="stablevfs.<command>"> with one <testcase> per suite; a failed suite
// carries a <failure> with the violation, a skipped one <skipped>; an expected failure passes, its
// counterexample in <system-out>. The layout is the one Jenkins, GitLab and
// GitHub test reporters read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "failpoints/registry.h"
#include "harness/cli/campaign.h"

namespace stablevfs::cli {

struct SuiteReport {
  std::string name;
  std::string description;
  std::string result = "pass";  // "pass", "fail" or "skipped"
  uint64_t cases = 0;
  uint64_t messages = 0;
  uint64_t crash_points = 0;
  uint64_t violations = 0;
  uint64_t pairs_fired = 0;  // (site, action) pairs this suite fired
  double seconds = 0;
  std::string note;     // how the suite ended, e.g. "time share spent after 37 cases"
  std::string failure;  // why it failed ("" when it passed)
};

struct ViolationReport {
  std::string suite;
  std::string property;
  std::string message;
  uint64_t seed = 0;  // the campaign seed
  std::optional<uint64_t> case_index;
  uint64_t case_seed = 0;
  std::string crash_model;
  std::string scenario;  // the counterexample file ("" when none was written)
  std::string replay;    // the command that replays it
};

struct RunReport {
  std::string command;       // "check" or "fuzz"
  std::string command_line;  // as typed
  bool passed = true;
  std::string layout;        // the layout judged ("6", "8"), or "all"
  std::string verdicts_json; // the verdict matrix (verdict_matrix.h VerdictMatrixJson), "" when not computed
  uint64_t seed = 0;
  Shard shard;
  std::string crash_model;
  uint64_t steps = 0;
  std::string faults;
  unsigned jobs = 1;
  uint64_t cases = 0;
  uint64_t messages = 0;
  uint64_t crash_points = 0;
  double seconds = 0;
  bool deadline_reached = false;
  std::vector<SuiteReport> suites;
  std::vector<ViolationReport> violations;
  fp::HitSnapshot hits;
  Coverage coverage;
};

std::string FormatJsonReport(const RunReport& report);
std::string FormatJUnitReport(const RunReport& report);

// Writes `text` to `path` (replacing it). Throws std::runtime_error naming the path on failure.
void WriteTextFile(const std::string& path, const std::string& text);

// The command line as one string, arguments shell-quoted where needed.
std::string CommandLine(int argc, char** argv);

}  // namespace stablevfs::cli
