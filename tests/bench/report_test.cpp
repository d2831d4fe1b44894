// The VFS benchmark's report: JSON that parses, Markdown with a row per result, goals judged as stated,
// command-line options parsed or rejected.
//
// Goal: a CI job or a notebook can read the JSON without surprises, and a goal verdict means what the
// header says; a saved report renders again (ReadJson) and the README section splices in without touching
// the rest of the file. Method: build reports by hand (no database, no clock), write them, read the JSON back
// with the strict reader (harness/json), check keys and values, including strings that need escaping, and
// that write -> read -> write gives the same text. The goal judge is fed hand-made medians, footprints and
// harness figures on both sides of each limit. No timing assertions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/workloads/readme_section.h"
#include "bench/workloads/vfs_bench.h"
#include "harness/json/json_text.h"

namespace stablevfs::bench {
namespace {

using json::JsonValue;
using JsonArray = std::vector<JsonValue>;

// ---------------------------------------------------------------------------------------------------------
// A hand-made report.

BackendResult MakeResult(BackendKind kind, int64_t median_ns, std::optional<double> ratio) {
  BackendResult r;
  r.backend = kind;
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

  WorkloadResult write{"reset_insert_1000", WorkloadKind::kWrite, "1 update: insert", "", {}};
  write.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  BackendResult ours = MakeResult(BackendKind::kIcstable, 1200, 1.2);
  ours.stable_pages = 8;
  ours.stable_bytes = 8 * 65536;
  write.backends.push_back(ours);
  BackendResult sim = MakeResult(BackendKind::kIcstableSim, 5000, 5.0);
  sim.cost = StableCost{123456, 40, 170000, 1};
  sim.stable_pages = 8;
  sim.stable_bytes = 8 * 65536;
  write.backends.push_back(sim);
  BackendResult failed;
  failed.backend = BackendKind::kUnix;
  failed.error = "run 1: step: \"quoted\"\nnext line\twith tab and \x01 control | pipe";
  write.backends.push_back(failed);
  report.workloads.push_back(write);

  WorkloadResult read{"point_read_100", WorkloadKind::kRead, "1 query", "", {}};
  read.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  read.backends.push_back(MakeResult(BackendKind::kIcstable, 1200, 1.2));
  report.workloads.push_back(read);

  WorkloadResult churn{"churn", WorkloadKind::kChurn, "updates", "", {}};
  churn.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  BackendResult grows = MakeResult(BackendKind::kIcstable, 1100, 1.1);
  grows.footprint = {{0, 5}, {1, 6}, {2, 7}, {3, 8}, {4, 9}};
  churn.backends.push_back(grows);
  BackendResult flat = MakeResult(BackendKind::kIcstableSim, 2000, 2.0);
  flat.footprint = {{0, 5}, {1, 6}, {2, 6}, {3, 6}, {4, 6}};
  churn.backends.push_back(flat);
  report.workloads.push_back(churn);

  WorkloadResult skipped{"chinook_load", WorkloadKind::kLoad, "load", "corpus file not found: /x", {}};
  report.workloads.push_back(skipped);
  report.goals = JudgeGoals(report);
  return report;
}

const GoalResult* FindGoal(const std::vector<GoalResult>& goals, const std::string& scope) {
  for (const GoalResult& g : goals) {
    if (g.scope == scope) return &g;
  }
  return nullptr;
}

TEST(BenchReport, JsonParsesAndCarriesEveryField) {
  const BenchReport report = SampleReport();
  std::ostringstream out;
  WriteJson(report, out);
  const JsonValue doc = json::ParseJson(out.str());

  const JsonValue& env = doc["environment"];
  EXPECT_EQ(env["sqlite_version"].text, "3.40.1");
  EXPECT_EQ(env["build_type"].text, "RelWithDebInfo");
  EXPECT_EQ(env["machine"].text, "Linux 6.1 x86_64");
  EXPECT_EQ(env["corpora_dir"].text, "C:\\odd \"path\"");
  for (const char* key : {"date_utc", "compiler", "callgrind_toggles", "goals_on_cpu_time", "runs", "warmups", "scale", "value_bytes",
                          "churn_cycles", "churn_sample_every"}) {
    EXPECT_EQ(env.members.count(key), 1u) << key;
  }

  const JsonArray& workloads = doc["workloads"].items;
  ASSERT_EQ(workloads.size(), 4u);
  EXPECT_EQ(workloads[0]["name"].text, "reset_insert_1000");
  EXPECT_EQ(workloads[0]["kind"].text, "write");
  const JsonArray& backends = workloads[0]["backends"].items;
  ASSERT_EQ(backends.size(), 4u);
  for (const JsonValue& b : backends) {
    for (const char* key : {"backend", "error", "run_ns", "median_ns", "run_cpu_ns", "median_cpu_ns",
                            "ratio_to_memdb", "cpu_ratio_to_memdb", "stable_bytes_written",
                            "dirty_pages_4k", "stable_instructions", "messages", "stable_pages", "stable_bytes",
                            "db_size_bytes", "rows_read", "rows_written", "table_rows", "footprint", "notes"}) {
      EXPECT_EQ(b.members.count(key), 1u) << key;
    }
  }
  EXPECT_EQ(backends[0]["backend"].text, "memdb");
  EXPECT_EQ(backends[0]["median_ns"].number(), 1000);
  EXPECT_EQ(backends[0]["median_cpu_ns"].number(), 500);
  EXPECT_EQ(backends[0]["run_ns"].items.size(), 1u);
  EXPECT_TRUE(backends[0]["stable_pages"].is_null());
  EXPECT_TRUE(backends[0]["stable_bytes_written"].is_null());
  EXPECT_DOUBLE_EQ(backends[1]["ratio_to_memdb"].number(), 1.2);
  EXPECT_EQ(backends[1]["stable_bytes"].number(), 8 * 65536);
  EXPECT_EQ(backends[2]["stable_bytes_written"].number(), 123456);
  EXPECT_EQ(backends[2]["dirty_pages_4k"].number(), 40);
  EXPECT_EQ(backends[2]["stable_instructions"].number(), 170000);
  // Strings that need escaping come back unchanged.
  EXPECT_EQ(backends[3]["error"].text, report.workloads[0].backends[3].error);
  EXPECT_TRUE(backends[3]["median_ns"].is_null());

  const JsonArray& footprint = workloads[2]["backends"].items[1]["footprint"].items;
  ASSERT_EQ(footprint.size(), 5u);
  EXPECT_EQ(footprint[4]["cycle"].number(), 4);
  EXPECT_EQ(footprint[4]["stable_pages"].number(), 9);
  EXPECT_EQ(workloads[3]["skipped"].text, "corpus file not found: /x");

  const JsonArray& goals = doc["goals"].items;
  EXPECT_EQ(goals.size(), report.goals.size());
  for (const JsonValue& g : goals) {
    for (const char* key : {"name", "scope", "detail", "pass"}) EXPECT_EQ(g.members.count(key), 1u) << key;
  }
  EXPECT_FALSE(doc["ok"].boolean);  // the unix run failed
}

TEST(BenchReport, GoalsAreJudgedAgainstTheirLimits) {
  const BenchReport report = SampleReport();
  const GoalResult* write = FindGoal(report.goals, "reset_insert_1000");
  ASSERT_NE(write, nullptr);
  EXPECT_EQ(write->pass, std::optional<bool>(true));  // 1.2 <= 1.3
  const GoalResult* read = FindGoal(report.goals, "point_read_100");
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->pass, std::optional<bool>(false));  // 1.2 > 1.15
  const GoalResult* churn_write = FindGoal(report.goals, "churn");
  ASSERT_NE(churn_write, nullptr);
  EXPECT_EQ(churn_write->pass, std::optional<bool>(true));  // churn writes: 1.1 <= 1.3

  const GoalResult* reset = FindGoal(report.goals, "reset_insert_1000 (icstable)");
  ASSERT_NE(reset, nullptr);
  EXPECT_EQ(reset->pass, std::optional<bool>(true));  // 8 pages = 512 KiB, the limit itself

  const GoalResult* grows = FindGoal(report.goals, "churn (icstable)");
  ASSERT_NE(grows, nullptr);
  EXPECT_EQ(grows->pass, std::optional<bool>(false));
  EXPECT_NE(grows->detail.find("65536 bytes/cycle"), std::string::npos) << grows->detail;
  const GoalResult* flat = FindGoal(report.goals, "churn (icstable-sim)");
  ASSERT_NE(flat, nullptr);
  EXPECT_EQ(flat->pass, std::optional<bool>(true));  // grew once, then flat over the second half

  // A skipped workload is not judged at all; a missing backend makes a goal "not judged", never a pass.
  EXPECT_EQ(FindGoal(report.goals, "chinook_load"), nullptr);
  BenchReport only_memdb;
  WorkloadResult w{"insert_5000", WorkloadKind::kWrite, "", "", {}};
  w.backends.push_back(MakeResult(BackendKind::kMemdb, 1000, 1.0));
  only_memdb.workloads.push_back(w);
  for (const GoalResult& g : JudgeGoals(only_memdb)) EXPECT_FALSE(g.pass.has_value()) << g.scope;

  // The clock the time goals judge is a choice: here the CPU ratio passes where the wall ratio fails.
  BenchReport busy = SampleReport();
  busy.workloads[1].backends[1].cpu_ratio_to_memdb = 1.1;  // point_read_100: wall 1.2, cpu 1.1
  EXPECT_EQ(FindGoal(JudgeGoals(busy), "point_read_100")->pass, std::optional<bool>(false));
  busy.environment.goals_on_cpu_time = true;
  const std::vector<GoalResult> cpu_goals = JudgeGoals(busy);
  const GoalResult* on_cpu = FindGoal(cpu_goals, "point_read_100");
  ASSERT_NE(on_cpu, nullptr);
  EXPECT_EQ(on_cpu->pass, std::optional<bool>(true));
  EXPECT_NE(on_cpu->name.find("cpu"), std::string::npos);
  EXPECT_NE(on_cpu->detail.find("1.100x (limit 1.15x; wall 1.200x)"), std::string::npos) << on_cpu->detail;

  // One page over the reset limit fails.
  BenchReport big = SampleReport();
  big.workloads[0].backends[1].stable_pages = 9;
  big.workloads[0].backends[1].stable_bytes = 9 * 65536;
  EXPECT_EQ(FindGoal(JudgeGoals(big), "reset_insert_1000 (icstable)")->pass, std::optional<bool>(false));
}

TEST(BenchReport, MarkdownHasOneRowPerResult) {
  const BenchReport report = SampleReport();
  std::ostringstream out;
  WriteMarkdown(report, out);
  const std::string text = out.str();
  std::istringstream lines(text);
  std::map<std::string, int> rows;  // "| workload | backend |" prefixes
  std::string line;
  bool error_row_is_one_line = false;
  while (std::getline(lines, line)) {
    for (const WorkloadResult& w : report.workloads) {
      for (const BackendResult& r : w.backends) {
        if (line.rfind("| " + w.name + " | " + std::string(BackendName(r.backend)) + " |", 0) == 0) {
          ++rows[w.name + "/" + std::string(BackendName(r.backend))];
          if (!r.error.empty()) error_row_is_one_line = line.find("next line") != std::string::npos;
        }
      }
    }
  }
  EXPECT_EQ(rows.size(), 9u);
  for (const auto& [key, count] : rows) EXPECT_EQ(count, 1) << key;
  EXPECT_TRUE(error_row_is_one_line);  // a newline in an error must not break the table
  EXPECT_NE(text.find("\\|"), std::string::npos);  // nor a pipe
  EXPECT_NE(text.find("skipped: corpus file not found"), std::string::npos);
  EXPECT_NE(text.find("### churn: stable memory"), std::string::npos);
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
  EXPECT_EQ(RunBenchCommand({"--workload", "nope"}, out, err), 2);
  EXPECT_NE(err.str().find("unknown workload 'nope'"), std::string::npos);
  EXPECT_EQ(RunBenchCommand({"--json", "/nonexistent/dir/x.json"}, out, err), 2);
}


// ---------------------------------------------------------------------------------------------------------
// Harness figures, the JSON round trip, and the README section.

HarnessReport SampleHarness() {
  HarnessReport h;
  h.seed = 7;
  h.judged_steps = 100;
  h.control_steps = 60;
  h.workloads_dir = "scenarios/workloads";
  h.judged = {.cases = 4, .ops = 400, .messages = 600, .violations = 0, .seconds = 1.25, .cpu_seconds = 1.0};
  h.explore.push_back({.jobs = 1, .workloads = 3, .crash_points = 5000, .violations = 0, .seconds = 2.5,
                       .cpu_seconds = 2.0});
  h.explore.push_back({.jobs = 2, .workloads = 3, .crash_points = 5000, .violations = 0, .seconds = 1.5,
                       .cpu_seconds = 2.6});
  ControlResult caught;
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
  h.controls.push_back(caught);
  return h;
}

const GoalResult* FindGoalByName(const std::vector<GoalResult>& goals, const std::string& part) {
  for (const GoalResult& g : goals) {
    if (g.name.find(part) != std::string::npos) return &g;
  }
  return nullptr;
}

TEST(BenchHarnessGoals, AreJudgedAgainstTheirLimits) {
  BenchReport report;
  report.environment.vfs = false;  // a harness-only run judges no VFS goal
  report.harness = SampleHarness();
  std::vector<GoalResult> goals = JudgeGoals(report);
  ASSERT_EQ(goals.size(), 3u);
  EXPECT_EQ(FindGoalByName(goals, "judged messages")->pass, std::optional<bool>(true));   // 600 >= 500
  EXPECT_EQ(FindGoalByName(goals, "crash points")->pass, std::optional<bool>(true));      // 2,500 >= 2,000
  EXPECT_EQ(FindGoalByName(goals, "negative control")->pass, std::optional<bool>(true));  // 0.5 s, 3 ops

  report.harness->judged.cpu_seconds = 1.25;                // 480 per CPU-second
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
  EXPECT_EQ(read->workloads[0].backends[3].error, report.workloads[0].backends[3].error);
  EXPECT_EQ(read->workloads[2].backends[1].footprint.size(), 5u);
  EXPECT_EQ(read->goals.size(), report.goals.size());

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
  other_format.replace(other_format.find("stablevfs-bench-1"), 17, "stablevfs-bench-9");
  EXPECT_NE(message_of(other_format).find("stablevfs-bench-9"), std::string::npos);

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
  EXPECT_NE(section.find("| reset_insert_1000 | 0.001 | – | 0.001 | 1.20 | 1.20 | 123,456 | 40 | 170,000 | 524,288 | 49,152 | FAILED on unix"), std::string::npos) << section;
  EXPECT_NE(section.find("skipped: corpus file not found"), std::string::npos);
  EXPECT_NE(section.find("Churn footprint (`churn`, icstable): 5 stable pages"), std::string::npos) << section;
  EXPECT_NE(section.find("| 1 | 3 | 5,000 | 0 | 2.00 | 2.50 | 2,500 | 2,000 |"), std::string::npos) << section;
  EXPECT_NE(section.find("| lost write | `memory.write=2%lost` | 1 | 8 |"), std::string::npos) << section;
  EXPECT_NE(section.find("| PASS |"), std::string::npos);
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

}  // namespace
}  // namespace stablevfs::bench
