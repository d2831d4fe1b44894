// The VFS benchmark's report: JSON that parses, Markdown with a row per result, goals judged as stated,
// command-line options parsed or rejected.
//
// Goal: a CI job or a notebook can read the JSON without surprises, and a goal verdict means what the
// header says. Method: build reports by hand (no database, no clock), write them, and read the JSON back
// with a small strict parser written here (objects, arrays, strings with escapes, numbers, true/false/null;
// anything else is a parse error), then check keys and values, including strings that need escaping. The
// goal judge is fed hand-made medians and footprints on both sides of each limit. No timing assertions.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "bench/workloads/vfs_bench.h"

namespace stablevfs::bench {
namespace {

// ---------------------------------------------------------------------------------------------------------
// A strict JSON reader, enough to check the writer.

struct JsonValue;
using JsonObject = std::map<std::string, JsonValue>;
using JsonArray = std::vector<JsonValue>;
struct JsonValue {
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<JsonArray>, std::shared_ptr<JsonObject>>
      v;
  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
  const JsonObject& object() const { return *std::get<std::shared_ptr<JsonObject>>(v); }
  const JsonArray& array() const { return *std::get<std::shared_ptr<JsonArray>>(v); }
  const std::string& string() const { return std::get<std::string>(v); }
  double number() const { return std::get<double>(v); }
  bool boolean() const { return std::get<bool>(v); }
  const JsonValue& operator[](const std::string& key) const { return object().at(key); }
};

class JsonReader {
 public:
  explicit JsonReader(std::string text) : text_(std::move(text)) {}

  // Throws std::runtime_error on anything that is not one complete JSON value.
  JsonValue Parse() {
    JsonValue value = ParseValue();
    SkipSpace();
    if (pos_ != text_.size()) Fail("trailing characters");
    return value;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw std::runtime_error("JSON error at " + std::to_string(pos_) + ": " + what);
  }
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char Peek() {
    SkipSpace();
    if (pos_ >= text_.size()) Fail("unexpected end");
    return text_[pos_];
  }
  void Expect(char c) {
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  bool Literal(const char* word) {
    const std::string w(word);
    if (text_.compare(pos_, w.size(), w) != 0) return false;
    pos_ += w.size();
    return true;
  }
  JsonValue ParseValue() {
    const char c = Peek();
    if (c == '{') return ParseObject();
    if (c == '[') return ParseArray();
    if (c == '"') return {ParseString()};
    if (Literal("true")) return {true};
    if (Literal("false")) return {false};
    if (Literal("null")) return {nullptr};
    return {ParseNumber()};
  }
  JsonValue ParseObject() {
    Expect('{');
    auto object = std::make_shared<JsonObject>();
    if (Peek() == '}') {
      ++pos_;
      return {object};
    }
    for (;;) {
      if (Peek() != '"') Fail("expected a key");
      std::string key = ParseString();
      Expect(':');
      if (!object->emplace(key, ParseValue()).second) Fail("duplicate key " + key);
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      Expect('}');
      return {object};
    }
  }
  JsonValue ParseArray() {
    Expect('[');
    auto array = std::make_shared<JsonArray>();
    if (Peek() == ']') {
      ++pos_;
      return {array};
    }
    for (;;) {
      array->push_back(ParseValue());
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      Expect(']');
      return {array};
    }
  }
  std::string ParseString() {
    Expect('"');
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != '"') {
      const auto c = static_cast<unsigned char>(text_[pos_++]);
      if (c < 0x20) Fail("raw control character in string");
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        continue;
      }
      if (pos_ >= text_.size()) Fail("dangling escape");
      const char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'u': {
          if (pos_ + 4 > text_.size()) Fail("short \\u escape");
          const unsigned long code = std::stoul(text_.substr(pos_, 4), nullptr, 16);
          pos_ += 4;
          if (code >= 0x80) Fail("this reader only expects \\u escapes of control characters");
          out.push_back(static_cast<char>(code));
          break;
        }
        default:
          Fail("bad escape");
      }
    }
    Expect('"');
    return out;
  }
  double ParseNumber() {
    const size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    while (pos_ < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
                                   text_[pos_] == 'e' || text_[pos_] == 'E' || text_[pos_] == '+' ||
                                   text_[pos_] == '-')) {
      ++pos_;
    }
    if (pos_ == start) Fail("expected a value");
    size_t used = 0;
    const double d = std::stod(text_.substr(start, pos_ - start), &used);
    if (used != pos_ - start) Fail("bad number");
    return d;
  }

  std::string text_;
  size_t pos_ = 0;
};

TEST(BenchJsonReader, RejectsBrokenJson) {
  for (const char* bad : {"{", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "\"x", "{\"a\":1}{", "nul", "{\"a\":1,\"a\":2}",
                          "\"tab\there\""}) {
    EXPECT_THROW(JsonReader(bad).Parse(), std::runtime_error) << bad;
  }
  EXPECT_EQ(JsonReader("{\"a\": [1, \"x\\n\", null, true]}").Parse()["a"].array().size(), 4u);
}

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
  const JsonValue json = JsonReader(out.str()).Parse();

  const JsonValue& env = json["environment"];
  EXPECT_EQ(env["sqlite_version"].string(), "3.40.1");
  EXPECT_EQ(env["build_type"].string(), "RelWithDebInfo");
  EXPECT_EQ(env["machine"].string(), "Linux 6.1 x86_64");
  EXPECT_EQ(env["corpora_dir"].string(), "C:\\odd \"path\"");
  for (const char* key : {"date_utc", "compiler", "callgrind_toggles", "goals_on_cpu_time", "runs", "scale", "value_bytes",
                          "churn_cycles", "churn_sample_every"}) {
    EXPECT_EQ(env.object().count(key), 1u) << key;
  }

  const JsonArray& workloads = json["workloads"].array();
  ASSERT_EQ(workloads.size(), 4u);
  EXPECT_EQ(workloads[0]["name"].string(), "reset_insert_1000");
  EXPECT_EQ(workloads[0]["kind"].string(), "write");
  const JsonArray& backends = workloads[0]["backends"].array();
  ASSERT_EQ(backends.size(), 4u);
  for (const JsonValue& b : backends) {
    for (const char* key : {"backend", "error", "run_ns", "median_ns", "run_cpu_ns", "median_cpu_ns",
                            "ratio_to_memdb", "cpu_ratio_to_memdb", "stable_bytes_written",
                            "dirty_pages_4k", "stable_instructions", "messages", "stable_pages", "stable_bytes",
                            "db_size_bytes", "rows_read", "rows_written", "table_rows", "footprint", "notes"}) {
      EXPECT_EQ(b.object().count(key), 1u) << key;
    }
  }
  EXPECT_EQ(backends[0]["backend"].string(), "memdb");
  EXPECT_EQ(backends[0]["median_ns"].number(), 1000);
  EXPECT_EQ(backends[0]["median_cpu_ns"].number(), 500);
  EXPECT_EQ(backends[0]["run_ns"].array().size(), 1u);
  EXPECT_TRUE(backends[0]["stable_pages"].is_null());
  EXPECT_TRUE(backends[0]["stable_bytes_written"].is_null());
  EXPECT_DOUBLE_EQ(backends[1]["ratio_to_memdb"].number(), 1.2);
  EXPECT_EQ(backends[1]["stable_bytes"].number(), 8 * 65536);
  EXPECT_EQ(backends[2]["stable_bytes_written"].number(), 123456);
  EXPECT_EQ(backends[2]["dirty_pages_4k"].number(), 40);
  EXPECT_EQ(backends[2]["stable_instructions"].number(), 170000);
  // Strings that need escaping come back unchanged.
  EXPECT_EQ(backends[3]["error"].string(), report.workloads[0].backends[3].error);
  EXPECT_TRUE(backends[3]["median_ns"].is_null());

  const JsonArray& footprint = workloads[2]["backends"].array()[1]["footprint"].array();
  ASSERT_EQ(footprint.size(), 5u);
  EXPECT_EQ(footprint[4]["cycle"].number(), 4);
  EXPECT_EQ(footprint[4]["stable_pages"].number(), 9);
  EXPECT_EQ(workloads[3]["skipped"].string(), "corpus file not found: /x");

  const JsonArray& goals = json["goals"].array();
  EXPECT_EQ(goals.size(), report.goals.size());
  for (const JsonValue& g : goals) {
    for (const char* key : {"name", "scope", "detail", "pass"}) EXPECT_EQ(g.object().count(key), 1u) << key;
  }
  EXPECT_FALSE(json["ok"].boolean());  // the unix run failed
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
  EXPECT_NE(text.find("## churn: stable memory"), std::string::npos);
  EXPECT_NE(text.find("| FAIL |"), std::string::npos);
  EXPECT_NE(text.find("| PASS |"), std::string::npos);
  EXPECT_NE(text.find("SQLite: 3.40.1"), std::string::npos);
}

TEST(BenchArgs, ParsesEveryOption) {
  Result<BenchOptions> options = ParseBenchArgs(
      {"--workload", "insert_5000,scan_100", "--workload", "churn", "--backend", "memdb,icstable-sim", "--runs",
       "3", "--scale", "0.5", "--value-bytes", "64", "--churn-cycles", "7", "--churn-sample-every", "2",
       "--corpora", "/c", "--build-type", "Release", "--tmpdir", "/t", "--no-verify", "--no-callgrind-toggles", "--goal-clock", "cpu"});
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->workloads, (std::vector<std::string>{"insert_5000", "scan_100", "churn"}));
  EXPECT_EQ(options->backends, (std::vector<BackendKind>{BackendKind::kMemdb, BackendKind::kIcstableSim}));
  EXPECT_EQ(options->runs, 3u);
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

}  // namespace
}  // namespace stablevfs::bench
