// The VFS benchmark's report: JSON that parses, Markdown with a row per result, goals judged as stated,
// command-line options parsed or rejected.
//
// Goal: a CI job or a notebook can read the JSON without surprises, and a goal verdict means what the
// header says; a saved report renders again (ReadJson) and the README section splices in without touching
// the rest of the file. Method: build reports by hand (no database, no clock), write them, read the JSON back
// with the strict reader (harness/json), check keys and values, including strings that need escaping, and
// that write -> read -> write gives the same text. The reports have two layouts (6 and 8) side by side, as a
// default run does: every result, harness row and goal carries its layout. The goal judge is fed hand-made
// medians, footprints and harness figures on both sides of each limit, per layout. No timing assertions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "bench/workloads/readme_section.h"
#include "bench/workloads/vfs_bench.h"
#include "harness/json/json_text.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::bench {
namespace {

using json::JsonValue;
using JsonArray = std::vector<JsonValue>;

// ---------------------------------------------------------------------------------------------------------
// A hand-made report.

BackendResult MakeResult(BackendKind kind, int64_t median_ns, std::optional<double> ratio,
                         const std::string& layout = "") {
  BackendResult r;
  r.backend = kind;
  r.layout = layout;
  r.run_ns = {median_ns};
  r.median_ns = median_ns;
  r.run_cpu_ns = {median_ns / 2};
  r.median_cpu_ns = median_ns / 2;
  if (ratio) r.cpu_ratio_to_memdb = *ratio;
  r.ratio_to_memdb = ratio;
  r.db_size_bytes = 16384 * 3;
  r.table_rows = 1000;
  return r;
}

BackendResult WithPages(BackendResult r, uint64_t pages) {
  r.stable_pages = pages;
  r.stable_bytes = pages * 65536;
  return r;
}

BenchReport SampleReport() {
  BenchReport report;
  report.environment.machine = "Linux 6.1 x86_64";
  report.environment.date_utc = "2025-01-01T00:00:00Z";
  report.environment.sqlite_version = "3.40.1";
  report.environment.build_type = "RelWithDebInfo";
  report.environment.runs = 1;
  report.environment.scale = 1.0;
  report.environment.value_bytes = 100;
  report.environment.corpora_dir = "C:\\odd \"path\"";
  report.environment.layouts = {{"6", "power-loss"}, {"8", "trap-rollback"}};

  // Layout 6: 8 pages after the reset, its limit (0.5 MiB) exactly; layout 8: 3 pages = 196,608 bytes, its
  // limit exactly.
  WorkloadResult write{"reset_insert_1000", WorkloadKind::kWrite, "1 update: insert", "", {}};
  write.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  BackendResult failed;
  failed.backend = BackendKind::kUnix;
  failed.error = "run 1: step: \"quoted\"\nnext line\twith tab and \x01 control | pipe";
  write.backends.push_back(failed);
  write.backends.push_back(WithPages(MakeResult(BackendKind::kIcstable, 1200, 1.2, "6"), 8));
  write.backends.push_back(WithPages(MakeResult(BackendKind::kIcstable, 1300, 1.3, "8"), 3));
  BackendResult sim6 = WithPages(MakeResult(BackendKind::kIcstableSim, 5000, 5.0, "6"), 8);
  sim6.cost = StableCost{123456, 40, 170000, 1};
  write.backends.push_back(sim6);
  BackendResult sim8 = WithPages(MakeResult(BackendKind::kIcstableSim, 4000, 4.0, "8"), 3);
  sim8.cost = StableCost{100000, 30, 85000, 1};
  write.backends.push_back(sim8);
  report.workloads.push_back(write);

  WorkloadResult read{"point_read_100", WorkloadKind::kRead, "1 query", "", {}};
  read.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  read.backends.push_back(MakeResult(BackendKind::kIcstable, 1200, 1.2, "6"));
  read.backends.push_back(MakeResult(BackendKind::kIcstable, 1150, 1.15, "8"));
  report.workloads.push_back(read);

  // Churn: layout 6 grows (expected of it) on icstable and is flat on icstable-sim after growing once; layout 8
  // is flat on icstable and grows at its last sample on icstable-sim (a failure: layout 8 must stay flat).
  WorkloadResult churn{"churn", WorkloadKind::kChurn, "updates", "", {}};
  churn.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  BackendResult grows6 = MakeResult(BackendKind::kIcstable, 1100, 1.1, "6");
  grows6.footprint = {{0, 5}, {1, 6}, {2, 7}, {3, 8}, {4, 9}};
  churn.backends.push_back(grows6);
  BackendResult flat8 = MakeResult(BackendKind::kIcstable, 1050, 1.05, "8");
  flat8.footprint = {{0, 5}, {1, 5}, {2, 5}, {3, 5}, {4, 5}};
  churn.backends.push_back(flat8);
  BackendResult flat6 = MakeResult(BackendKind::kIcstableSim, 2000, 2.0, "6");
  flat6.footprint = {{0, 5}, {1, 6}, {2, 6}, {3, 6}, {4, 6}};
  churn.backends.push_back(flat6);
  BackendResult grows8 = MakeResult(BackendKind::kIcstableSim, 2000, 2.0, "8");
  grows8.footprint = {{0, 5}, {1, 5}, {2, 5}, {3, 5}, {4, 6}};
  churn.backends.push_back(grows8);
  report.workloads.push_back(churn);

  WorkloadResult skipped{"chinook_load", WorkloadKind::kLoad, "load", "corpus file not found: /x", {}};
  report.workloads.push_back(skipped);
  report.goals = JudgeGoals(report);
  return report;
}

const GoalResult* FindGoal(const std::vector<GoalResult>& goals, const std::string& scope,
                           const std::string& layout = "") {
  for (const GoalResult& g : goals) {
    if (g.scope == scope && g.layout == layout) return &g;
  }
  return nullptr;
}

BackendResult& ResultOf(BenchReport& report, const std::string& workload, BackendKind kind,
                      const std::string& layout = "") {
  for (WorkloadResult& w : report.workloads) {
    if (w.name != workload) continue;
    for (BackendResult& r : w.backends) {
      if (r.backend == kind && r.layout == layout) return r;
    }
  }
  throw std::logic_error("no result " + workload + " " + SeriesName(kind, layout));
}

TEST(BenchReport, JsonParsesAndCarriesEveryField) {
  const BenchReport report = SampleReport();
  std::ostringstream out;
  WriteJson(report, out);
  const JsonValue doc = json::ParseJson(out.str());
  EXPECT_EQ(doc["format"].text, "stablevfs-bench-2");

  const JsonValue& env = doc["environment"];
  EXPECT_EQ(env["sqlite_version"].text, "3.40.1");
  EXPECT_EQ(env["build_type"].text, "RelWithDebInfo");
  EXPECT_EQ(env["machine"].text, "Linux 6.1 x86_64");
  EXPECT_EQ(env["corpora_dir"].text, "C:\\odd \"path\"");
  for (const char* key : {"date_utc", "compiler", "callgrind_toggles", "goals_on_cpu_time", "runs", "warmups", "scale", "value_bytes",
                          "churn_cycles", "churn_sample_every", "layouts"}) {
    EXPECT_EQ(env.members.count(key), 1u) << key;
  }
  ASSERT_EQ(env["layouts"].items.size(), 2u);
  EXPECT_EQ(env["layouts"].items[1]["name"].text, "8");
  EXPECT_EQ(env["layouts"].items[1]["atomicity"].text, "trap-rollback");

  const JsonArray& workloads = doc["workloads"].items;
  ASSERT_EQ(workloads.size(), 4u);
  EXPECT_EQ(workloads[0]["name"].text, "reset_insert_1000");
  EXPECT_EQ(workloads[0]["kind"].text, "write");
  const JsonArray& backends = workloads[0]["backends"].items;
  ASSERT_EQ(backends.size(), 6u);
  for (const JsonValue& b : backends) {
    for (const char* key : {"backend", "layout", "error", "run_ns", "median_ns", "run_cpu_ns", "median_cpu_ns",
                            "ratio_to_memdb", "cpu_ratio_to_memdb", "stable_bytes_written",
                            "dirty_pages_4k", "stable_instructions", "messages", "stable_pages", "stable_bytes",
                            "db_size_bytes", "rows_read", "rows_written", "table_rows", "footprint", "notes"}) {
      EXPECT_EQ(b.members.count(key), 1u) << key;
    }
  }
  EXPECT_EQ(backends[0]["backend"].text, "memdb");
  EXPECT_TRUE(backends[0]["layout"].is_null());  // memdb and unix have no layout
  EXPECT_TRUE(backends[1]["layout"].is_null());
  EXPECT_EQ(backends[0]["median_ns"].number(), 1000);
  EXPECT_EQ(backends[0]["median_cpu_ns"].number(), 500);
  EXPECT_EQ(backends[0]["run_ns"].items.size(), 1u);
  EXPECT_TRUE(backends[0]["stable_pages"].is_null());
  EXPECT_TRUE(backends[0]["stable_bytes_written"].is_null());
  // Strings that need escaping come back unchanged.
  EXPECT_EQ(backends[1]["error"].text, report.workloads[0].backends[1].error);
  EXPECT_TRUE(backends[1]["median_ns"].is_null());
  // Every icstable result names its layout.
  EXPECT_EQ(backends[2]["backend"].text, "icstable");
  EXPECT_EQ(backends[2]["layout"].text, "6");
  EXPECT_DOUBLE_EQ(backends[2]["ratio_to_memdb"].number(), 1.2);
  EXPECT_EQ(backends[2]["stable_bytes"].number(), 8 * 65536);
  EXPECT_EQ(backends[3]["layout"].text, "8");
  EXPECT_EQ(backends[3]["stable_bytes"].number(), 196608);
  EXPECT_EQ(backends[4]["backend"].text, "icstable-sim");
  EXPECT_EQ(backends[4]["layout"].text, "6");
  EXPECT_EQ(backends[4]["stable_bytes_written"].number(), 123456);
  EXPECT_EQ(backends[4]["dirty_pages_4k"].number(), 40);
  EXPECT_EQ(backends[4]["stable_instructions"].number(), 170000);
  EXPECT_EQ(backends[5]["layout"].text, "8");
  EXPECT_EQ(backends[5]["stable_instructions"].number(), 85000);

  const JsonArray& footprint = workloads[2]["backends"].items[1]["footprint"].items;
  ASSERT_EQ(footprint.size(), 5u);
  EXPECT_EQ(footprint[4]["cycle"].number(), 4);
  EXPECT_EQ(footprint[4]["stable_pages"].number(), 9);
  EXPECT_EQ(workloads[3]["skipped"].text, "corpus file not found: /x");

  const JsonArray& goals = doc["goals"].items;
  EXPECT_EQ(goals.size(), report.goals.size());
  for (const JsonValue& g : goals) {
    for (const char* key : {"name", "layout", "scope", "detail", "pass", "expected"}) {
      EXPECT_EQ(g.members.count(key), 1u) << key;
    }
  }
  bool expected_seen = false;
  for (const JsonValue& g : goals) {
    if (g["expected"].is_null()) continue;
    expected_seen = true;
    EXPECT_EQ(g["expected"].text, "layout 6 never reclaims");
    EXPECT_EQ(g["layout"].text, "6");
    EXPECT_FALSE(g["pass"].boolean);
  }
  EXPECT_TRUE(expected_seen);
  EXPECT_FALSE(doc["ok"].boolean);  // the unix run failed
}

TEST(BenchReport, GoalsAreJudgedAgainstTheirLimitsPerLayout) {
  const BenchReport report = SampleReport();
  // Time goals: one per workload and layout, icstable/N against the one memdb median.
  const GoalResult* write6 = FindGoal(report.goals, "reset_insert_1000", "6");
  ASSERT_NE(write6, nullptr);
  EXPECT_EQ(write6->pass, std::optional<bool>(true));  // 1.2 <= 1.3
  const GoalResult* write8 = FindGoal(report.goals, "reset_insert_1000", "8");
  ASSERT_NE(write8, nullptr);
  EXPECT_EQ(write8->pass, std::optional<bool>(true));  // 1.3 <= 1.3, the limit itself
  const GoalResult* read6 = FindGoal(report.goals, "point_read_100", "6");
  ASSERT_NE(read6, nullptr);
  EXPECT_EQ(read6->pass, std::optional<bool>(false));  // 1.2 > 1.15
  const GoalResult* read8 = FindGoal(report.goals, "point_read_100", "8");
  ASSERT_NE(read8, nullptr);
  EXPECT_EQ(read8->pass, std::optional<bool>(true));  // 1.15 <= 1.15
  EXPECT_EQ(FindGoal(report.goals, "reset_insert_1000", ""), nullptr);  // no goal without a layout
  const GoalResult* churn_write = FindGoal(report.goals, "churn", "6");
  ASSERT_NE(churn_write, nullptr);
  EXPECT_EQ(churn_write->pass, std::optional<bool>(true));  // churn writes: 1.1 <= 1.3

  // Reset footprint: each layout at its own limit passes, one page more fails.
  const GoalResult* reset6 = FindGoal(report.goals, "reset_insert_1000 (icstable)", "6");
  ASSERT_NE(reset6, nullptr);
  EXPECT_EQ(reset6->pass, std::optional<bool>(true));  // 8 pages = 512 KiB, the limit itself
  EXPECT_NE(reset6->name.find("0.5 MiB"), std::string::npos) << reset6->name;
  const GoalResult* reset8 = FindGoal(report.goals, "reset_insert_1000 (icstable)", "8");
  ASSERT_NE(reset8, nullptr);
  EXPECT_EQ(reset8->pass, std::optional<bool>(true));  // 3 pages = 196,608 bytes, the limit itself
  EXPECT_NE(reset8->name.find("196,608 bytes"), std::string::npos) << reset8->name;
  EXPECT_NE(reset8->detail.find("25-27-byte values; values here: 100 bytes"), std::string::npos) << reset8->detail;
  BenchReport big = SampleReport();
  big.workloads[0].backends[2] = WithPages(big.workloads[0].backends[2], 9);
  big.workloads[0].backends[3] = WithPages(big.workloads[0].backends[3], 4);
  const std::vector<GoalResult> big_goals = JudgeGoals(big);
  EXPECT_EQ(FindGoal(big_goals, "reset_insert_1000 (icstable)", "6")->pass, std::optional<bool>(false));
  EXPECT_EQ(FindGoal(big_goals, "reset_insert_1000 (icstable)", "8")->pass, std::optional<bool>(false));
  // 4 pages would pass layout 6's limit: the limit is the layout's.
  big.workloads[0].backends[2] = WithPages(big.workloads[0].backends[2], 4);
  EXPECT_EQ(FindGoal(JudgeGoals(big), "reset_insert_1000 (icstable)", "6")->pass, std::optional<bool>(true));

  // Churn: flat over the second half passes; growth is a failure, except on layout 6, where it is expected.
  const GoalResult* grows6 = FindGoal(report.goals, "churn (icstable)", "6");
  ASSERT_NE(grows6, nullptr);
  EXPECT_EQ(grows6->pass, std::optional<bool>(false));
  EXPECT_EQ(grows6->expected, "layout 6 never reclaims");
  EXPECT_NE(grows6->detail.find("65536 bytes/cycle"), std::string::npos) << grows6->detail;
  EXPECT_NE(grows6->detail.find("cycles 2..4 (pages: 7, 8, 9)"), std::string::npos) << grows6->detail;
  const GoalResult* flat8 = FindGoal(report.goals, "churn (icstable)", "8");
  ASSERT_NE(flat8, nullptr);
  EXPECT_EQ(flat8->pass, std::optional<bool>(true));
  EXPECT_EQ(flat8->expected, "");
  const GoalResult* flat6 = FindGoal(report.goals, "churn (icstable-sim)", "6");
  ASSERT_NE(flat6, nullptr);
  EXPECT_EQ(flat6->pass, std::optional<bool>(true));  // grew once, then flat over the second half
  EXPECT_EQ(flat6->expected, "");
  const GoalResult* grows8 = FindGoal(report.goals, "churn (icstable-sim)", "8");
  ASSERT_NE(grows8, nullptr);
  EXPECT_EQ(grows8->pass, std::optional<bool>(false));  // one page at the last sample: layout 8 must stay flat
  EXPECT_EQ(grows8->expected, "");
  // A layout the goals know nothing about (registered later) must stay flat too.
  BenchReport other = SampleReport();
  other.environment.layouts.push_back({"9", "trap-rollback"});
  BackendResult grows9 = MakeResult(BackendKind::kIcstable, 1000, 1.0, "9");
  grows9.footprint = {{0, 5}, {10, 6}, {20, 7}};
  other.workloads[2].backends.push_back(grows9);
  const std::vector<GoalResult> other_goals = JudgeGoals(other);
  const GoalResult* grows_other = FindGoal(other_goals, "churn (icstable)", "9");
  ASSERT_NE(grows_other, nullptr);
  EXPECT_EQ(grows_other->pass, std::optional<bool>(false));
  EXPECT_EQ(grows_other->expected, "");
  EXPECT_NE(grows_other->detail.find("cycles 10..20"), std::string::npos) << grows_other->detail;
  // ...and gets the project's reset limit; here it did not run the reset, so that goal is not judged.
  const GoalResult* reset_other = FindGoal(other_goals, "reset_insert_1000 (icstable)", "9");
  ASSERT_NE(reset_other, nullptr);
  EXPECT_NE(reset_other->name.find("0.5 MiB"), std::string::npos);
  EXPECT_FALSE(reset_other->pass.has_value());
  EXPECT_NE(reset_other->detail.find("icstable/9"), std::string::npos) << reset_other->detail;

  // A skipped workload is not judged at all; a missing backend makes a goal "not judged", never a pass.
  EXPECT_EQ(FindGoal(report.goals, "chinook_load", "6"), nullptr);
  BenchReport only_memdb;
  only_memdb.environment.layouts = {{"6", "power-loss"}, {"8", "trap-rollback"}};
  WorkloadResult w{"insert_5000", WorkloadKind::kWrite, "", "", {}};
  w.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  only_memdb.workloads.push_back(w);
  const std::vector<GoalResult> memdb_goals = JudgeGoals(only_memdb);
  EXPECT_EQ(memdb_goals.size(), 4u);  // time and reset, per layout
  for (const GoalResult& g : memdb_goals) EXPECT_FALSE(g.pass.has_value()) << g.scope;

  // The clock the time goals judge is a choice: here the CPU ratio passes where the wall ratio fails.
  BenchReport busy = SampleReport();
  ResultOf(busy, "point_read_100", BackendKind::kIcstable, "6").cpu_ratio_to_memdb = 1.1;  // wall 1.2, cpu 1.1
  EXPECT_EQ(FindGoal(JudgeGoals(busy), "point_read_100", "6")->pass, std::optional<bool>(false));
  busy.environment.goals_on_cpu_time = true;
  const std::vector<GoalResult> cpu_goals = JudgeGoals(busy);
  const GoalResult* on_cpu = FindGoal(cpu_goals, "point_read_100", "6");
  ASSERT_NE(on_cpu, nullptr);
  EXPECT_EQ(on_cpu->pass, std::optional<bool>(true));
  EXPECT_NE(on_cpu->name.find("cpu"), std::string::npos);
  EXPECT_NE(on_cpu->detail.find("1.100x (limit 1.15x; wall 1.200x)"), std::string::npos) << on_cpu->detail;
}

TEST(BenchReport, MarkdownShowsTheLayoutsSideBySide) {
  const BenchReport report = SampleReport();
  std::ostringstream out;
  WriteMarkdown(report, out);
  const std::string text = out.str();
  std::istringstream lines(text);
  std::map<std::string, int> rows;  // "| workload | backend/layout |" prefixes
  std::string line;
  bool error_row_is_one_line = false;
  while (std::getline(lines, line)) {
    for (const WorkloadResult& w : report.workloads) {
      for (const BackendResult& r : w.backends) {
        if (line.rfind("| " + w.name + " | " + SeriesName(r) + " |", 0) == 0) {
          ++rows[w.name + "/" + SeriesName(r)];
          if (!r.error.empty()) error_row_is_one_line = line.find("next line") != std::string::npos;
        }
      }
    }
  }
  EXPECT_EQ(rows.size(), 14u);
  for (const auto& [key, count] : rows) EXPECT_EQ(count, 1) << key;
  EXPECT_TRUE(error_row_is_one_line);  // a newline in an error must not break the table
  EXPECT_NE(text.find("\\|"), std::string::npos);  // nor a pipe
  EXPECT_NE(text.find("skipped: corpus file not found"), std::string::npos);
  EXPECT_NE(text.find("Layouts: layout 6 (power-loss), layout 8 (trap-rollback)."), std::string::npos);
  // Side by side: time ratios, simulated instructions with layout 8 over layout 6, stable memory.
  EXPECT_NE(text.find("| workload | memdb ms | unix | icstable/6 | icstable/8 | icstable-sim/6 | icstable-sim/8 |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| reset_insert_1000 | 0.001 | – | 1.20 | 1.30 | 5.00 | 4.00 |"), std::string::npos) << text;
  EXPECT_NE(text.find("| workload | layout 6 | layout 8 | 8 / 6 |"), std::string::npos);
  EXPECT_NE(text.find("| reset_insert_1000 | 170,000 | 85,000 | 0.50 |"), std::string::npos) << text;
  EXPECT_NE(text.find("| reset_insert_1000 | 524,288 | 196,608 | 524,288 | 196,608 |"), std::string::npos) << text;
  // The churn series of every backend/layout, in the same table.
  EXPECT_NE(text.find("### churn: stable memory"), std::string::npos);
  EXPECT_NE(text.find("| cycle | icstable/6 | icstable/8 | icstable-sim/6 | icstable-sim/8 |"), std::string::npos);
  EXPECT_NE(text.find("| 4 | 9 | 5 | 6 | 6 |"), std::string::npos) << text;
  // Goals name their layout; an expected failure says so instead of FAIL.
  EXPECT_NE(text.find("| goal | layout | scope | measured | result |"), std::string::npos);
  EXPECT_NE(text.find("| 6 | churn (icstable) |"), std::string::npos);
  EXPECT_NE(text.find("| expected: layout 6 never reclaims |"), std::string::npos);
  EXPECT_NE(text.find("| FAIL |"), std::string::npos);
  EXPECT_NE(text.find("| PASS |"), std::string::npos);
  EXPECT_NE(text.find("SQLite: 3.40.1"), std::string::npos);
}

TEST(BenchArgs, ParsesEveryOption) {
  Result<BenchOptions> options = ParseBenchArgs(
      {"--workload", "insert_5000,scan_100", "--workload", "churn", "--backend", "memdb,icstable-sim", "--runs",
       "3", "--warmup", "2", "--scale", "0.5", "--value-bytes", "64", "--churn-cycles", "7", "--churn-sample-every", "2",
       "--corpora", "/c", "--build-type", "Release", "--tmpdir", "/t", "--no-verify", "--no-callgrind-toggles", "--goal-clock", "cpu"});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->workloads, (std::vector<std::string>{"insert_5000", "scan_100", "churn"}));
  EXPECT_EQ(options->backends, (std::vector<BackendKind>{BackendKind::kMemdb, BackendKind::kIcstableSim}));
  EXPECT_EQ(options->runs, 3u);
  EXPECT_EQ(options->warmups, 2u);
  EXPECT_DOUBLE_EQ(options->scale, 0.5);
  EXPECT_EQ(options->value_bytes, 64u);
  EXPECT_EQ(options->churn_cycles, 7u);
  EXPECT_EQ(options->churn_sample_every, 2u);
  EXPECT_EQ(options->corpora_dir, "/c");
  EXPECT_EQ(options->build_type, "Release");
  EXPECT_EQ(options->temp_dir, "/t");
  EXPECT_FALSE(options->verify);
  EXPECT_FALSE(options->callgrind_toggles);
  EXPECT_TRUE(options->goals_on_cpu_time);
  // Defaults when not given.
  Result<BenchOptions> defaults = ParseBenchArgs({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->runs, 5u);
  EXPECT_EQ(defaults->warmups, 1u);
  EXPECT_TRUE(defaults->verify);
  EXPECT_TRUE(defaults->callgrind_toggles);
  EXPECT_FALSE(defaults->goals_on_cpu_time);
  EXPECT_TRUE(defaults->workloads.empty());
  EXPECT_TRUE(defaults->backends.empty());
  EXPECT_TRUE(defaults->layouts.empty());  // every builtin layout
  ASSERT_TRUE(defaults->harness.has_value());
  EXPECT_TRUE(defaults->harness->layouts.empty());
}

TEST(BenchArgs, ParsesLayoutsForBothSuites) {
  // One layout, for the icstable backends and the harness suite alike.
  Result<BenchOptions> one = ParseBenchArgs({"--layout", "8"});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->layouts, (std::vector<std::string>{"8"}));
  ASSERT_TRUE(one->harness.has_value());
  EXPECT_EQ(one->harness->layouts, (std::vector<std::string>{"8"}));
  // `all` is every builtin layout of the registry, in its order; names repeat at most once.
  std::vector<std::string> builtins;
  for (const LayoutInfo* layout : LayoutRegistry::Global().Builtins()) builtins.push_back(layout->name);
  Result<BenchOptions> all = ParseBenchArgs({"--layout", "all", "--suite", "harness"});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->layouts, builtins);
  EXPECT_EQ(all->harness->layouts, builtins);
  Result<BenchOptions> listed = ParseBenchArgs({"--layout", "8,6", "--layout", "8"});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->layouts, (std::vector<std::string>{"8", "6"}));
  // An unknown name is refused with the registered ones.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--layout", "9"}, {"--layout", "6,nine"}, {"--layout", ""}, {"--layout", ","}, {"--layout"}}) {
    Result<BenchOptions> refused = ParseBenchArgs(args);
    ASSERT_FALSE(refused.ok()) << args.back();
    EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("--layout"), std::string::npos) << refused.status().message();
  }
  EXPECT_NE(ParseBenchArgs({"--layout", "9"}).status().message().find(
                "unknown layout '9' (registered: " + LayoutRegistry::Global().Names() + ")"),
            std::string::npos);
}

TEST(BenchArgs, RejectsBadInput) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--workload", "nope"}, {"--backend", "ext4"}, {"--runs"}, {"--runs", "-1"}, {"--runs", "2x"},
           {"--scale", "0"}, {"--scale", "abc"}, {"--goal-clock", "sundial"}, {"--churn-sample-every", "0"}, {"--frobnicate"},
           {"--json", "x.json"}}) {  // --json belongs to RunBenchCommand, not to the options
    Result<BenchOptions> options = ParseBenchArgs(args);
    EXPECT_FALSE(options.ok()) << args[0];
    if (!options.ok()) {
      EXPECT_EQ(options.status().code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(BenchArgs, CommandListsAndRejects) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunBenchCommand({"--list"}, out, err), 0);
  EXPECT_NE(out.str().find("reset_insert_1000"), std::string::npos);
  EXPECT_NE(out.str().find("icstable-sim"), std::string::npos);
  EXPECT_NE(out.str().find("layouts: 6 8 sv1"), std::string::npos) << out.str();
  EXPECT_EQ(RunBenchCommand({"--workload", "nope"}, out, err), 2);
  EXPECT_NE(err.str().find("unknown workload 'nope'"), std::string::npos);
  std::ostringstream layout_err;
  EXPECT_EQ(RunBenchCommand({"--layout", "7", "--no-json"}, out, layout_err), 2);
  EXPECT_NE(layout_err.str().find("--layout: unknown layout '7' (registered: 6, 8, sv1)"), std::string::npos)
      << layout_err.str();
  EXPECT_EQ(RunBenchCommand({"--json", "/nonexistent/dir/x.json"}, out, err), 2);
}


// ---------------------------------------------------------------------------------------------------------
// Harness figures, the JSON round trip, and the README section.

ControlResult SampleControl(const std::string& layout, const std::string& crash_model) {
  ControlResult caught;
  caught.layout = layout;
  caught.crash_model = crash_model;
  caught.name = "lost write";
  caught.faults = "memory.write=2%lost";
  caught.caught = true;
  caught.cases = 1;
  caught.messages = 8;
  caught.seconds = 0.5;
  caught.property = "image";
  caught.shrunk = true;
  caught.original_ops = 8;
  caught.shrunk_ops = 3;
  caught.shrink_runs = 39;
  caught.shrink_seconds = 0.25;
  return caught;
}

// Two layouts: 6, clean, and 8, whose powerloss and torn cases and points end at expected violations.
HarnessReport SampleHarness() {
  HarnessReport h;
  h.seed = 7;
  h.judged_steps = 100;
  h.control_steps = 60;
  h.workloads_dir = "scenarios/workloads";
  h.judged.push_back({.layout = "6", .cases = 4, .ops = 400, .messages = 600, .violations = 0,
                      .expected_violations = 0, .seconds = 1.25, .cpu_seconds = 1.0});
  h.judged.push_back({.layout = "8", .cases = 4, .ops = 380, .messages = 560, .violations = 0,
                      .expected_violations = 1, .seconds = 1.0, .cpu_seconds = 0.875});
  h.explore.push_back({.layout = "6", .jobs = 1, .workloads = 3, .crash_points = 5000, .violations = 0,
                       .expected_violations = 0, .seconds = 2.5, .cpu_seconds = 2.0});
  h.explore.push_back({.layout = "6", .jobs = 2, .workloads = 3, .crash_points = 5000, .violations = 0,
                       .expected_violations = 0, .seconds = 1.5, .cpu_seconds = 2.6});
  h.explore.push_back({.layout = "8", .jobs = 1, .workloads = 3, .crash_points = 4000, .violations = 0,
                       .expected_violations = 208, .seconds = 2.0, .cpu_seconds = 2.0});
  h.controls.push_back(SampleControl("6", "powerloss"));
  h.controls.push_back(SampleControl("8", "ic"));
  return h;
}

const GoalResult* FindGoalByName(const std::vector<GoalResult>& goals, const std::string& part,
                                 const std::string& layout = "6") {
  for (const GoalResult& g : goals) {
    if (g.name.find(part) != std::string::npos && g.layout == layout) return &g;
  }
  return nullptr;
}

TEST(BenchHarnessGoals, AreJudgedAgainstTheirLimitsPerLayout) {
  BenchReport report;
  report.environment.vfs = false;  // a harness-only run judges no VFS goal
  report.harness = SampleHarness();
  EXPECT_TRUE(report.harness->ok());  // expected violations are not violations
  std::vector<GoalResult> goals = JudgeGoals(report);
  ASSERT_EQ(goals.size(), 6u);  // per layout: judged messages, crash points, one control
  for (const char* layout : {"6", "8"}) {
    SCOPED_TRACE(layout);
    EXPECT_EQ(FindGoalByName(goals, "judged messages", layout)->pass, std::optional<bool>(true));   // 600, 640 >= 500
    EXPECT_EQ(FindGoalByName(goals, "crash points", layout)->pass, std::optional<bool>(true));      // 2,500, 2,000 >= 2,000
    EXPECT_EQ(FindGoalByName(goals, "negative control", layout)->pass, std::optional<bool>(true));  // 0.5 s, 3 ops
  }
  // Expected violations are reported, not judged against the rate.
  EXPECT_NE(FindGoalByName(goals, "judged messages", "8")->detail.find("1 cases ended at an expected violation"),
            std::string::npos)
      << FindGoalByName(goals, "judged messages", "8")->detail;
  EXPECT_NE(FindGoalByName(goals, "crash points", "8")->detail.find("208 expected findings"), std::string::npos);
  EXPECT_NE(FindGoalByName(goals, "negative control", "8")->scope.find("ic)"), std::string::npos);

  // Each layout's figures are judged on their own: layout 8 below its limits, layout 6 unchanged.
  report.harness->judged[1].cpu_seconds = 1.25;             // 448 per CPU-second
  report.harness->explore[2].cpu_seconds = 2.1;             // 1,905 per CPU-second
  report.harness->controls[1].shrunk_ops = 7;
  goals = JudgeGoals(report);
  EXPECT_EQ(FindGoalByName(goals, "judged messages", "8")->pass, std::optional<bool>(false));
  EXPECT_EQ(FindGoalByName(goals, "crash points", "8")->pass, std::optional<bool>(false));
  EXPECT_EQ(FindGoalByName(goals, "negative control", "8")->pass, std::optional<bool>(false));
  EXPECT_EQ(FindGoalByName(goals, "judged messages", "6")->pass, std::optional<bool>(true));
  EXPECT_EQ(FindGoalByName(goals, "crash points", "6")->pass, std::optional<bool>(true));
  EXPECT_EQ(FindGoalByName(goals, "negative control", "6")->pass, std::optional<bool>(true));

  report.harness->judged[0].cpu_seconds = 1.25;             // 480 per CPU-second
  report.harness->explore[0].cpu_seconds = 2.6;             // 1,923 per CPU-second; --jobs 2 is not judged
  report.harness->controls[0].shrunk_ops = 7;
  goals = JudgeGoals(report);
  EXPECT_EQ(FindGoalByName(goals, "judged messages")->pass, std::optional<bool>(false));
  EXPECT_EQ(FindGoalByName(goals, "crash points")->pass, std::optional<bool>(false));
  EXPECT_EQ(FindGoalByName(goals, "negative control")->pass, std::optional<bool>(false));

  report.harness->controls[0].shrunk_ops = 6;
  report.harness->controls[0].seconds = 10.5;
  EXPECT_EQ(FindGoalByName(JudgeGoals(report), "negative control")->pass, std::optional<bool>(false));
  report.harness->controls[0].seconds = 10.0;
  EXPECT_EQ(FindGoalByName(JudgeGoals(report), "negative control")->pass, std::optional<bool>(true));
  report.harness->controls[0].caught = false;
  const std::vector<GoalResult> missed_goals = JudgeGoals(report);
  const GoalResult* missed = FindGoalByName(missed_goals, "negative control");
  EXPECT_EQ(missed->pass, std::optional<bool>(false));
  EXPECT_NE(missed->detail.find("not caught"), std::string::npos) << missed->detail;
  EXPECT_FALSE(report.harness->ok());

  // Without a --jobs 1 exploration the crash-point goal is not judged rather than judged on --jobs 2.
  report.harness->explore.erase(report.harness->explore.begin());
  EXPECT_FALSE(FindGoalByName(JudgeGoals(report), "crash points")->pass.has_value());
  // Without any exploration of layout 8 its crash-point goal is still there, not judged.
  report.harness->explore.pop_back();
  EXPECT_FALSE(FindGoalByName(JudgeGoals(report), "crash points", "8")->pass.has_value());
}

TEST(BenchHarnessGoals, OnlyUnexpectedViolationsMakeTheHarnessRed) {
  HarnessReport h = SampleHarness();
  ASSERT_TRUE(h.ok());
  h.judged[1].violations = 1;  // a case went red under a crash model layout 8 promises to survive
  EXPECT_FALSE(h.ok());
  h = SampleHarness();
  h.explore[2].violations = 1;
  EXPECT_FALSE(h.ok());
  h = SampleHarness();
  h.judged[1].expected_violations = 3;
  h.explore[2].expected_violations = 500;
  EXPECT_TRUE(h.ok());
}

BenchReport FullReport() {
  BenchReport report = SampleReport();
  report.environment.command_line = "stablevfs bench --goal-clock cpu --readme 'my README.md'";
  report.harness = SampleHarness();
  report.goals = JudgeGoals(report);
  return report;
}

std::string JsonOf(const BenchReport& report) {
  std::ostringstream out;
  WriteJson(report, out);
  return out.str();
}

std::string MarkdownOf(const BenchReport& report) {
  std::ostringstream out;
  WriteMarkdown(report, out);
  return out.str();
}

TEST(BenchJson, ReadsBackWhatItWrote) {
  const BenchReport report = FullReport();
  const std::string first = JsonOf(report);
  Result<BenchReport> read = ReadJson(first);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(JsonOf(*read), first);
  EXPECT_EQ(MarkdownOf(*read), MarkdownOf(report));
  ASSERT_TRUE(read->harness.has_value());
  EXPECT_EQ(*read->harness, *report.harness);  // every harness figure survives (these doubles print exactly)
  EXPECT_EQ(read->environment.command_line, report.environment.command_line);
  EXPECT_EQ(read->environment.layouts, report.environment.layouts);
  EXPECT_EQ(read->workloads[0].backends[1].error, report.workloads[0].backends[1].error);
  for (size_t w = 0; w < report.workloads.size(); ++w) {
    ASSERT_EQ(read->workloads[w].backends.size(), report.workloads[w].backends.size());
    for (size_t b = 0; b < report.workloads[w].backends.size(); ++b) {
      EXPECT_EQ(read->workloads[w].backends[b].layout, report.workloads[w].backends[b].layout);
    }
  }
  EXPECT_EQ(read->workloads[2].backends[1].footprint.size(), 5u);
  ASSERT_EQ(read->goals.size(), report.goals.size());
  for (size_t i = 0; i < report.goals.size(); ++i) {
    EXPECT_EQ(read->goals[i].layout, report.goals[i].layout);
    EXPECT_EQ(read->goals[i].expected, report.goals[i].expected);
    EXPECT_EQ(read->goals[i].pass, report.goals[i].pass);
  }

  // A report without the harness part keeps it absent.
  const BenchReport vfs_only = SampleReport();
  Result<BenchReport> no_harness = ReadJson(JsonOf(vfs_only));
  ASSERT_TRUE(no_harness.ok()) << no_harness.status().ToString();
  EXPECT_FALSE(no_harness->harness.has_value());
}

TEST(BenchJson, RejectsWhatItDidNotWrite) {
  const std::string good = JsonOf(FullReport());
  const auto message_of = [](const std::string& text) {
    Result<BenchReport> read = ReadJson(text);
    EXPECT_FALSE(read.ok());
    if (read.ok()) return std::string();
    EXPECT_EQ(read.status().code(), ErrorCode::kInvalidArgument);
    return read.status().message();
  };
  EXPECT_NE(message_of(good.substr(0, good.size() / 2)).find("not a JSON document"), std::string::npos);
  EXPECT_NE(message_of("[1, 2]").find("not an object"), std::string::npos);

  std::string other_format = good;
  other_format.replace(other_format.find("stablevfs-bench-2"), 17, "stablevfs-bench-9");
  EXPECT_NE(message_of(other_format).find("stablevfs-bench-9"), std::string::npos);
  // A report of the format before layouts: refused, saying why and what to do.
  std::string version_1 = good;
  version_1.replace(version_1.find("stablevfs-bench-2"), 17, "stablevfs-bench-1");
  EXPECT_NE(message_of(version_1).find("before layouts were a dimension of the benchmark"), std::string::npos)
      << message_of(version_1);
  EXPECT_NE(message_of(version_1).find("rerun"), std::string::npos);

  // An icstable result without its layout, or a baseline with one, is not a report this writer wrote.
  std::string no_layout = good;
  const size_t icstable_layout = no_layout.find("\"layout\": \"6\"");
  ASSERT_NE(icstable_layout, std::string::npos);
  no_layout.replace(icstable_layout, 13, "\"layout\": null");
  EXPECT_NE(message_of(no_layout).find("a layout is missing on backend 'icstable'"), std::string::npos)
      << message_of(no_layout);
  std::string memdb_layout = good;
  const size_t memdb_null = memdb_layout.find("\"layout\": null");
  ASSERT_NE(memdb_null, std::string::npos);
  memdb_layout.replace(memdb_null, 14, "\"layout\": \"6\"");
  EXPECT_NE(message_of(memdb_layout).find("layout-independent backend 'memdb'"), std::string::npos)
      << message_of(memdb_layout);

  // A missing or mistyped member is named by its path.
  std::string missing = good;
  missing.replace(missing.find("\"median_ns\""), 11, "\"median_xx\"");
  EXPECT_NE(message_of(missing).find("workloads[0].backends[0].median_ns is missing"), std::string::npos)
      << message_of(missing);
  std::string mistyped = good;
  const size_t seed = mistyped.find("\"seed\": 7");
  ASSERT_NE(seed, std::string::npos);
  mistyped.replace(seed, 9, "\"seed\": \"7\"");
  EXPECT_NE(message_of(mistyped).find("harness.seed is not a non-negative integer"), std::string::npos);
}

constexpr const char* kReadme =
    "# Title\n\nIntro text.\n\n## Performance\n\nHand-written words.\n\n"
    "<!-- stablevfs bench: begin generated section -->\nold table\n<!-- stablevfs bench: end generated section -->\n"
    "\nAfter the section.\n";

TEST(BenchReadme, SectionIsGeneratedFromTheReport) {
  const BenchReport report = FullReport();
  std::ostringstream out;
  WriteReadmeSection(report, "build/bench-results/x.json", out);
  const std::string section = out.str();
  EXPECT_EQ(section.rfind(std::string(kReadmeBegin) + "\n", 0), 0u);
  EXPECT_TRUE(section.ends_with(std::string(kReadmeEnd) + "\n"));
  EXPECT_NE(section.find(report.environment.command_line), std::string::npos);
  EXPECT_NE(section.find("build/bench-results/x.json"), std::string::npos);
  // The layouts side by side: icstable's ratio, the simulated instructions and the stable bytes per layout.
  EXPECT_NE(section.find("| workload | memdb cpu ms | unix cpu x memdb | icstable/6 cpu x memdb | icstable/8 cpu x "
                         "memdb | sim/6: stable instructions | sim/8: stable instructions | stable bytes /6 | stable "
                         "bytes /8 | status |"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("| reset_insert_1000 | 0.001 | – | 1.20 | 1.30 | 170,000 | 85,000 | 524,288 | 196,608 | "
                         "FAILED on unix"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("skipped: corpus file not found"), std::string::npos);
  EXPECT_NE(section.find("Churn footprint (`churn`, icstable/6): 5 stable pages (64 KiB) after setup, 9 after 4 "
                         "cycles: 1.00 pages (65,536 bytes) per cycle; samples (cycle: pages): 0: 5, 1: 6, 2: 7, 3: "
                         "8, 4: 9."),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("Churn footprint (`churn`, icstable/8): 5 stable pages (64 KiB) after setup, 5 after 4 "
                         "cycles: 0.00 pages (0 bytes) per cycle"),
            std::string::npos)
      << section;
  EXPECT_NE(section.find("| 6 | 1 | 3 | 5,000 | 0 | 0 | 2.00 | 2.50 | 2,500 | 2,000 |"), std::string::npos) << section;
  EXPECT_NE(section.find("| 8 | 1 | 3 | 4,000 | 0 | 208 | 2.00 | 2.00 | 2,000 | 2,000 |"), std::string::npos) << section;
  EXPECT_NE(section.find("| 8 | ic | lost write | `memory.write=2%lost` | 1 | 8 |"), std::string::npos) << section;
  EXPECT_NE(section.find("| PASS |"), std::string::npos);
  EXPECT_NE(section.find("| expected: layout 6 never reclaims |"), std::string::npos);
  // The same report read back from its JSON gives the same section: the README can be regenerated.
  Result<BenchReport> read = ReadJson(JsonOf(report));
  ASSERT_TRUE(read.ok());
  std::ostringstream again;
  WriteReadmeSection(*read, "build/bench-results/x.json", again);
  EXPECT_EQ(again.str(), section);
}

TEST(BenchReadme, SpliceReplacesOnlyTheSection) {
  const std::string section = std::string(kReadmeBegin) + "\nnew table\n" + std::string(kReadmeEnd) + "\n";
  Result<std::string> spliced = SpliceReadme(kReadme, section);
  ASSERT_TRUE(spliced.ok()) << spliced.status().ToString();
  const std::string expected = std::string(kReadme).replace(std::string(kReadme).find("old table"), 9, "new table");
  EXPECT_EQ(*spliced, expected);
  Result<std::string> twice = SpliceReadme(*spliced, section);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(*twice, *spliced);  // idempotent

  const std::string begin(kReadmeBegin);
  const std::string end(kReadmeEnd);
  for (const std::string& bad : {std::string("# no markers\n"), "text\n" + end + "\n" + begin + "\n",
                                 begin + "\n" + end + "\n" + begin + "\n" + end + "\n", begin + "\nno end\n",
                                 "inline " + begin + "\n" + end + "\n"}) {
    Result<std::string> refused = SpliceReadme(bad, section);
    EXPECT_FALSE(refused.ok()) << bad;
    if (!refused.ok()) {
      EXPECT_NE(refused.status().message().find("marker"), std::string::npos);
    }
  }
}

TEST(BenchReadme, UpdateRewritesTheFileOrLeavesItAlone) {
  const std::filesystem::path path = std::filesystem::path(::testing::TempDir()) / "bench_readme_test.md";
  {
    std::ofstream(path, std::ios::binary) << kReadme;
  }
  const std::string section = std::string(kReadmeBegin) + "\nfresh\n" + std::string(kReadmeEnd) + "\n";
  ASSERT_TRUE(CheckReadme(path).ok());
  ASSERT_TRUE(UpdateReadme(path, section).ok());
  std::ostringstream text;
  text << std::ifstream(path, std::ios::binary).rdbuf();
  EXPECT_NE(text.str().find("fresh"), std::string::npos);
  EXPECT_EQ(text.str().find("old table"), std::string::npos);
  EXPECT_NE(text.str().find("After the section."), std::string::npos);

  // Without markers nothing is written and the error names the file.
  {
    std::ofstream(path, std::ios::binary) << "# plain\n";
  }
  const Status refused = UpdateReadme(path, section);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find(path.string()), std::string::npos);
  EXPECT_FALSE(CheckReadme(path).ok());
  std::ostringstream unchanged;
  unchanged << std::ifstream(path, std::ios::binary).rdbuf();
  EXPECT_EQ(unchanged.str(), "# plain\n");
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".stablevfs-tmp"));
  std::filesystem::remove(path);
  EXPECT_FALSE(CheckReadme(path).ok());  // unreadable
}

TEST(BenchArgs, ParsesTheSuitesAndHarnessOptions) {
  Result<BenchOptions> both = ParseBenchArgs({"--harness-cases", "3", "--harness-steps", "20", "--harness-seed", "9",
                                              "--explore-jobs", "1,2,4", "--control-cases", "5",
                                              "--workloads-dir", "/w"});
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_TRUE(both->vfs);
  ASSERT_TRUE(both->harness.has_value());
  EXPECT_EQ(both->harness->judged_cases, 3u);
  EXPECT_EQ(both->harness->judged_steps, 20u);
  EXPECT_EQ(both->harness->seed, 9u);
  EXPECT_EQ(both->harness->explore_jobs, (std::vector<unsigned>{1, 2, 4}));
  EXPECT_EQ(both->harness->control_max_cases, 5u);
  EXPECT_EQ(both->harness->workloads_dir, "/w");

  Result<BenchOptions> vfs = ParseBenchArgs({"--suite", "vfs"});
  ASSERT_TRUE(vfs.ok());
  EXPECT_TRUE(vfs->vfs);
  EXPECT_FALSE(vfs->harness.has_value());
  // Harness options apply whatever their place relative to --suite.
  Result<BenchOptions> harness = ParseBenchArgs({"--harness-cases", "2", "--suite", "harness"});
  ASSERT_TRUE(harness.ok());
  EXPECT_FALSE(harness->vfs);
  ASSERT_TRUE(harness->harness.has_value());
  EXPECT_EQ(harness->harness->judged_cases, 2u);

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--suite", "everything"}, {"--explore-jobs", "0"}, {"--explore-jobs", ","}, {"--harness-cases", "0"},
           {"--harness-steps", "x"}, {"--control-cases", "0"}}) {
    EXPECT_FALSE(ParseBenchArgs(args).ok()) << args[0] << " " << args[1];
  }
}

TEST(BenchArgs, FromJsonRendersWithoutRunning) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir());
  const std::filesystem::path json_path = dir / "bench_from_json_test.json";
  const std::filesystem::path readme_path = dir / "bench_from_json_readme.md";
  const BenchReport report = FullReport();
  {
    std::ofstream(json_path) << JsonOf(report);
    std::ofstream(readme_path) << kReadme;
  }
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunBenchCommand({"--from-json", json_path.string(), "--readme", readme_path.string(), "--quiet"}, out,
                            err),
            1)  // the sample report has a failed run: the exit code says so
      << err.str();
  EXPECT_EQ(out.str(), MarkdownOf(report));
  std::ostringstream readme;
  readme << std::ifstream(readme_path).rdbuf();
  std::ostringstream section;
  WriteReadmeSection(report, json_path.string(), section);
  EXPECT_NE(readme.str().find(section.str()), std::string::npos);
  EXPECT_NE(readme.str().find("After the section."), std::string::npos);

  // Run options do not apply to a saved report; a broken file is named.
  std::ostringstream err2;
  EXPECT_EQ(RunBenchCommand({"--from-json", json_path.string(), "--runs", "3"}, out, err2), 2);
  EXPECT_NE(err2.str().find("--runs"), std::string::npos);
  std::ostringstream err3;
  EXPECT_EQ(RunBenchCommand({"--from-json", (dir / "missing.json").string()}, out, err3), 2);
  EXPECT_NE(err3.str().find("missing.json"), std::string::npos);
  // A README without markers is refused before anything runs.
  {
    std::ofstream(readme_path) << "# no markers\n";
  }
  std::ostringstream err4;
  EXPECT_EQ(RunBenchCommand({"--suite", "vfs", "--readme", readme_path.string(), "--no-json"}, out, err4), 2);
  EXPECT_NE(err4.str().find("marker"), std::string::npos);
  std::filesystem::remove(json_path);
  std::filesystem::remove(readme_path);
}

// ---------------------------------------------------------------------------------------------------------
// A layout held to another's figures (sv1 against 8): churn pages at every sample, simulated instructions on
// every write, CPU summed over the reads; each on both sides of its limit, and "not judged" when a side is
// missing.

BenchReport Sv1Against8() {
  BenchReport report;
  report.environment.layouts = {{"6", "power-loss"}, {"8", "trap-rollback"}, {"sv1", "torn-bytes"}};
  WorkloadResult write{"update_pk_1000", WorkloadKind::kWrite, "1 update", "", {}};
  write.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  for (const auto& [layout, instructions] : {std::pair<std::string, uint64_t>{"6", 120000}, {"8", 100000},
                                             {"sv1", 115000}}) {  // sv1: 1.15x layout 8's, the limit itself
    BackendResult sim = MakeResult(BackendKind::kIcstableSim, 2000, 2.0, layout);
    sim.cost = StableCost{instructions, 10, instructions, 1};
    write.backends.push_back(sim);
  }
  report.workloads.push_back(write);
  // Two reads: sv1 slower on the short one (2.0x), faster on the long one; summed 1.05x, the limit itself.
  WorkloadResult short_read{"point_read_1", WorkloadKind::kRead, "1 query", "", {}};
  short_read.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  BackendResult short8 = MakeResult(BackendKind::kIcstable, 1000, 1.0, "8");
  short8.median_cpu_ns = 100'000;
  BackendResult short_sv1 = MakeResult(BackendKind::kIcstable, 1000, 1.0, "sv1");
  short_sv1.median_cpu_ns = 200'000;
  short_read.backends.push_back(short8);
  short_read.backends.push_back(short_sv1);
  report.workloads.push_back(short_read);
  WorkloadResult long_read{"scan_5000", WorkloadKind::kRead, "1 query", "", {}};
  long_read.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  BackendResult long8 = MakeResult(BackendKind::kIcstable, 1000, 1.0, "8");
  long8.median_cpu_ns = 1'900'000;
  BackendResult long_sv1 = MakeResult(BackendKind::kIcstable, 1000, 1.0, "sv1");
  long_sv1.median_cpu_ns = 1'900'000;
  long_read.backends.push_back(long8);
  long_read.backends.push_back(long_sv1);
  report.workloads.push_back(long_read);
  // Churn: on icstable sv1 is at most 2x layout 8 at every sample (the limit at cycle 10); on icstable-sim one
  // sample is over it.
  WorkloadResult churn{"churn", WorkloadKind::kChurn, "updates", "", {}};
  churn.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  BackendResult churn8 = MakeResult(BackendKind::kIcstable, 1000, 1.0, "8");
  churn8.footprint = {{0, 5}, {10, 6}, {20, 6}};
  BackendResult churn_sv1 = MakeResult(BackendKind::kIcstable, 1000, 1.0, "sv1");
  churn_sv1.footprint = {{0, 6}, {10, 12}, {20, 8}};
  BackendResult sim8 = churn8;
  sim8.backend = BackendKind::kIcstableSim;
  sim8.cost = StableCost{1000, 1, 1000, 1};
  BackendResult sim_sv1 = churn_sv1;
  sim_sv1.backend = BackendKind::kIcstableSim;
  sim_sv1.footprint = {{0, 6}, {10, 13}, {20, 8}};
  sim_sv1.cost = StableCost{1000, 1, 1000, 1};
  for (const BackendResult& r : {churn8, churn_sv1, sim8, sim_sv1}) churn.backends.push_back(r);
  report.workloads.push_back(churn);
  return report;
}

TEST(BenchLayoutComparison, Sv1IsHeldToLayout8sFiguresFromTheSameRun) {
  BenchReport report = Sv1Against8();
  std::vector<GoalResult> goals = JudgeGoals(report);
  const auto churn_goal = [&](const std::string& scope) -> const GoalResult* {
    for (const GoalResult& g : goals) {
      if (g.scope == scope && g.layout == "sv1" && g.name.find("layout 8's") != std::string::npos) return &g;
    }
    return nullptr;
  };
  const GoalResult* pages = churn_goal("churn (icstable)");
  ASSERT_NE(pages, nullptr);
  EXPECT_EQ(pages->pass, std::optional<bool>(true));  // 12 vs 6 at cycle 10: 2x, the limit itself
  EXPECT_NE(pages->detail.find("at most 2.000x (cycle 10: 12 vs 6 pages"), std::string::npos) << pages->detail;
  EXPECT_NE(pages->detail.find("per sample: 6/5, 12/6, 8/6"), std::string::npos) << pages->detail;
  const GoalResult* sim_pages = churn_goal("churn (icstable-sim)");
  ASSERT_NE(sim_pages, nullptr);
  EXPECT_EQ(sim_pages->pass, std::optional<bool>(false));  // 13 vs 6: one sample over is enough
  EXPECT_NE(sim_pages->detail.find("cycle 10: 13 vs 6"), std::string::npos) << sim_pages->detail;
  const GoalResult* instructions = FindGoalByName(goals, "simulated stable-memory instructions", "sv1");
  ASSERT_NE(instructions, nullptr);
  EXPECT_EQ(instructions->scope, "update_pk_1000");
  EXPECT_EQ(instructions->pass, std::optional<bool>(true));  // 115,000 vs 100,000: 1.15x
  EXPECT_NE(instructions->detail.find("1.150x (115,000 vs 100,000; limit 1.15x)"), std::string::npos)
      << instructions->detail;
  const GoalResult* reads = FindGoalByName(goals, "CPU time on the read workloads", "sv1");
  ASSERT_NE(reads, nullptr);
  EXPECT_EQ(reads->pass, std::optional<bool>(true));  // 2.1 ms vs 2.0 ms: 1.05x, although point_read_1 is 2x
  EXPECT_NE(reads->detail.find("1.050x (2 workloads, 2.100 vs 2.000 ms"), std::string::npos) << reads->detail;
  EXPECT_NE(reads->detail.find("each: point_read_1 2.00x, scan_5000 1.00x"), std::string::npos) << reads->detail;
  // Layouts with no comparison get none; sv1's reset limit is layout 8's published figure.
  EXPECT_EQ(FindGoalByName(goals, "simulated stable-memory instructions", "8"), nullptr);
  EXPECT_EQ(FindGoalByName(goals, "simulated stable-memory instructions", "6"), nullptr);
  EXPECT_NE(FindGoalByName(goals, "1,000-row reset <= 196,608 bytes", "sv1"), nullptr);

  // One step over each limit fails.
  for (WorkloadResult& w : report.workloads) {
    for (BackendResult& r : w.backends) {
      if (r.layout != "sv1") continue;
      if (r.backend == BackendKind::kIcstableSim && r.cost && w.kind == WorkloadKind::kWrite) r.cost->instructions += 1;
      if (r.backend == BackendKind::kIcstable && w.name == "scan_5000") *r.median_cpu_ns += 1000;
      if (r.backend == BackendKind::kIcstable && w.kind == WorkloadKind::kChurn) r.footprint[1].stable_pages = 13;
    }
  }
  goals = JudgeGoals(report);
  EXPECT_EQ(FindGoalByName(goals, "simulated stable-memory instructions", "sv1")->pass, std::optional<bool>(false));
  EXPECT_EQ(FindGoalByName(goals, "CPU time on the read workloads", "sv1")->pass, std::optional<bool>(false));
  EXPECT_EQ(churn_goal("churn (icstable)")->pass, std::optional<bool>(false));

  // Layout 8 not run: every comparison is "not judged", never a pass.
  BenchReport alone = Sv1Against8();
  for (WorkloadResult& w : alone.workloads) {
    std::erase_if(w.backends, [](const BackendResult& r) { return r.layout == "8"; });
  }
  for (const GoalResult& g : JudgeGoals(alone)) {
    if (g.name.find("layout 8's") == std::string::npos) continue;
    EXPECT_FALSE(g.pass.has_value()) << g.name << " " << g.scope;
    EXPECT_NE(g.detail.find("not judged"), std::string::npos) << g.detail;
  }
}

TEST(BenchLayoutComparison, TheSimulatedInstructionTableComparesEveryPairOfLayouts) {
  BenchReport report = Sv1Against8();
  report.goals = JudgeGoals(report);
  std::ostringstream out;
  WriteMarkdown(report, out);
  const std::string text = out.str();
  EXPECT_NE(text.find("| workload | layout 6 | layout 8 | layout sv1 | 8 / 6 | sv1 / 6 | sv1 / 8 |"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("| update_pk_1000 | 120,000 | 100,000 | 115,000 | 0.83 | 0.96 | 1.15 |"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace stablevfs::bench
