// The standard workloads: the scenario files under scenarios/workloads/ that `stablevfs explore` (with no
// workload argument), `stablevfs check` and the benchmarks explore.
//
// Each is a short scenario (10-25 ops) of one kind of use: key-value puts, gets and deletes with BLOBs
// straddling the 16 KiB page; relational tables with indexes, foreign keys, updates and deletes that shrink
// the file; and the administrative operations (migrations, a failing one included, checksums, export-import,
// the failing imports, compaction, upgrade). Between them they reach every catalogued failpoint site, so
// exploring them all puts every (site, action) pair at every ordinal a message reaches. They are ordinary
// scenario files: the scenarios/ test replays them like any other.
#pragma once

#include <string>
#include <vector>

#include "harness/explore/explorer.h"
#include "harness/scenario/scenario.h"

namespace stablevfs::explore {

// Where the checked-in scenario files are: ./scenarios when that is a directory (the command run from the
// repository root, as CI and `make` do), else the source tree's scenarios (the path CMake passes at build
// time), else "".
std::string DefaultScenariosDir();

// Where the standard workloads are: DefaultScenariosDir()/workloads, or "" when there is none.
std::string DefaultWorkloadsDir();

// The *.scn files directly in `dir`, sorted by name. Throws std::runtime_error when `dir` is not a readable
// directory.
std::vector<std::string> ListWorkloads(const std::string& dir);

// Reads and parses a workload file, checking arm specs against the failpoint catalogue.
scenario::ScenarioResult LoadWorkload(const std::string& path);

// The workload's name: its file name without the directory and the .scn suffix.
std::string WorkloadName(const std::string& path);

// Every standard workload explored: what `stablevfs check` gates on and what the benchmarks time.
struct StandardExploration {
  std::vector<std::string> paths;       // the workloads, in the order explored (sorted)
  std::vector<ExploreResult> results;   // parallel to paths
  uint64_t crash_points = 0;            // summed over the workloads
  uint64_t violations = 0;
  double explore_seconds = 0;           // running the points (wall clock), summed
  double explore_cpu_seconds = 0;       // CPU time of the workers running the points, summed
  double seconds = 0;                   // everything, dry runs and saving included (wall clock)

  bool ok() const { return violations == 0; }
  // Crash points verified per second of running them.
  double points_per_second() const { return explore_seconds > 0 ? crash_points / explore_seconds : 0; }
  // Crash points verified per CPU-second of the workers: the rate of one core that has the core to itself.
  double points_per_cpu_second() const { return explore_cpu_seconds > 0 ? crash_points / explore_cpu_seconds : 0; }
};

// Explores every workload of ListWorkloads(dir) with `options`. Throws std::runtime_error when `dir` is not a
// directory or a workload does not parse (its message has file:line:column), and what ExploreWorkload throws.
StandardExploration ExploreStandardWorkloads(const ExploreOptions& options,
                                             const std::string& dir = DefaultWorkloadsDir());

}  // namespace stablevfs::explore
