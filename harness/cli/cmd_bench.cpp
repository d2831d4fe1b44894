// stablevfs bench: the VFS workload benchmarks of bench/workloads/ (memdb, unix, icstable, icstable under the
// simulated IC), printed as a Markdown table and written as JSON. The options and the whole run live with the
// workloads (RunBenchCommand); this file only hands it the command line.
#include <iostream>
#include <string>
#include <vector>

#include "bench/workloads/vfs_bench.h"
#include "harness/cli/commands.h"

namespace stablevfs::cli {

int RunBench(int argc, char** argv, int first) {
  return bench::RunBenchCommand(std::vector<std::string>(argv + first, argv + argc), std::cout, std::cerr);
}

}  // namespace stablevfs::cli
