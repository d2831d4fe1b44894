// The README's performance section, generated from a benchmark report, and its splice into the README.
//
//   stablevfs bench --goal-clock cpu --readme README.md          # run, then rewrite the section
//   stablevfs bench --from-json build/bench-results/X.json --readme README.md   # from a saved run
//
// The section is the text between the two marker lines below (markers included); everything else in the
// README is the people's, and stays byte for byte. It is a summary of the report: the command and the
// environment, one row per workload with the layouts side by side (memdb's CPU time, unix's ratio, and per
// layout icstable's ratio, the simulated IC's stable-memory instructions and the stable bytes), the churn
// footprint of each layout, the harness throughput tables and the goals. Everything in it comes from the
// report; nothing is typed by hand.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "bench/workloads/vfs_bench.h"
#include "lib/core/status.h"

namespace stablevfs::bench {

inline constexpr std::string_view kReadmeBegin = "<!-- stablevfs bench: begin generated section -->";
inline constexpr std::string_view kReadmeEnd = "<!-- stablevfs bench: end generated section -->";

// The section, markers included, ending with a newline. `source` names where the report came from (the JSON
// file), printed in the section; "" to leave it out.
void WriteReadmeSection(const BenchReport& report, std::string_view source, std::ostream& out);

// `readme` with the text from kReadmeBegin through kReadmeEnd (and the end marker's line break) replaced by
// `section`. kInvalidArgument when a marker is missing, repeated, or the end comes before the begin; the
// message names the marker and says how to add them.
Result<std::string> SpliceReadme(std::string_view readme, std::string_view section);

// Reads `path` and checks that the section can be spliced into it (readable, markers in place). Writes nothing.
Status CheckReadme(const std::filesystem::path& path);

// Reads `path`, splices `section` into it and replaces the file through a temporary file beside it (a
// failure leaves the README as it was). Errors name the file.
Status UpdateReadme(const std::filesystem::path& path, std::string_view section);

}  // namespace stablevfs::bench
