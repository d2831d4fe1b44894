// Markdown pieces shared by the benchmark's full report (WriteMarkdown, vfs_bench.h) and the README section
// (readme_section.h): number formatting, table cells, and the tables both print the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "bench/workloads/harness_bench.h"

namespace stablevfs::bench {

struct GoalResult;

// What an absent number prints as.
inline constexpr const char* kNoNumber = "–";

// 1234567 -> "1,234,567"; nullopt -> kNoNumber.
std::string Grouped(uint64_t n);
std::string Grouped(const std::optional<uint64_t>& n);
// Nanoseconds as milliseconds with 3 decimals; nullopt -> kNoNumber.
std::string Millis(const std::optional<int64_t>& ns);
// A ratio with 2 decimals; nullopt -> kNoNumber.
std::string Ratio(const std::optional<double>& ratio);
// `value` with `decimals` decimals.
std::string Fixed(double value, int decimals);
// A Markdown table cell: pipes escaped, line breaks and other control characters made spaces.
std::string Cell(std::string_view text);

// The harness throughput tables, a row per layout: judged messages, explore per --jobs, negative controls.
void WriteHarnessTables(const HarnessReport& harness, std::ostream& out);
// A goal's result: "PASS", "FAIL", "not judged", or "expected: <why>" for a failure the layout is expected to
// show (GoalResult::expected).
std::string Verdict(const GoalResult& goal);
// The goals table: goal | layout | scope | measured | result.
void WriteGoalsTable(const std::vector<GoalResult>& goals, std::ostream& out);

}  // namespace stablevfs::bench
