// Report: what `stablevfs slt` prints about a run, for people (text) and for tools (JSON).
//
// The text report has one summary line per file, then its notes and failures (each with file:line, the SQL,
// and stock SQLite's result beside the VFS's), then a total line. The JSON report holds the same facts:
//   {"tool": "stablevfs slt", "engine": ..., "faults": <spec or null>, "seed": N,
//    "files": [{"file", "records", "statements", "queries", "matched", "faulted", "skipped", "failures",
//               "expected_mismatches", "temp_schema_resets", "halted_at_line", "text_checks_stopped_at_line",
//               "aborted", "faults_fired": {"site action": N},
//               "failure_details": [{"line", "what", "sql", "expected", "actual"}], "notes": [...]}],
//    "totals": {the counters summed}, "passed": bool}
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/slt/runner.h"

namespace stablevfs::slt {

// The counters of several files summed (file, details and faults_fired are left empty).
FileReport Totals(const std::vector<FileReport>& files);

// "<file>: N records, N statements, N queries, N matched, N faulted, N skipped, N failures" plus the optional
// parts (expected-text mismatches, halt, abort).
std::string SummaryLine(const FileReport& report);

// The summary line, the notes and the failure details of one file.
void WriteText(std::ostream& out, const FileReport& report);

// The whole run as JSON. `faults` is the spec text as given (nullopt: none).
std::string ToJson(const std::vector<FileReport>& files, const std::string& engine,
                   const std::optional<std::string>& faults, uint64_t seed);

}  // namespace stablevfs::slt
