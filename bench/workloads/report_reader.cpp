// ReadJson of the benchmark report (vfs_bench.h): the inverse of WriteJson, so a saved run can be rendered again
// (Markdown, the README section) without running it again.
#include <stdexcept>
#include <string>

#include "bench/workloads/vfs_bench.h"
#include "harness/json/json_text.h"

namespace stablevfs::bench {
namespace {

using json::JsonValue;

// A member that is missing or of the wrong type; the message names its path in the document.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One JSON object of the report, with its path for messages ("workloads[2].backends[0]").
class Object {
 public:
  Object(const JsonValue& value, std::string path) : value_(value), path_(std::move(path)) {
    if (value_.kind != JsonValue::Kind::kObject) throw ShapeError(Where() + " is not an object");
  }

  std::string String(std::string_view key) const { return Typed(key, JsonValue::Kind::kString, "a string").text; }
  bool Bool(std::string_view key) const { return Typed(key, JsonValue::Kind::kBool, "true or false").boolean; }

  uint64_t U64(std::string_view key) const {
    uint64_t n = 0;
    if (!Member(key).AsU64(&n)) throw Wrong(key, "a non-negative integer");
    return n;
  }
  uint32_t U32(std::string_view key) const {
    const uint64_t n = U64(key);
    if (n > UINT32_MAX) throw Wrong(key, "an integer below 2^32");
    return static_cast<uint32_t>(n);
  }
  double Double(std::string_view key) const {
    double d = 0;
    if (!Member(key).AsDouble(&d)) throw Wrong(key, "a number");
    return d;
  }
  std::optional<uint64_t> OptionalU64(std::string_view key) const {
    if (IsNull(key)) return std::nullopt;
    return U64(key);
  }
  std::optional<int64_t> OptionalI64(std::string_view key) const {
    if (IsNull(key)) return std::nullopt;
    int64_t n = 0;
    if (!Member(key).AsI64(&n)) throw Wrong(key, "an integer or null");
    return n;
  }
  std::optional<double> OptionalDouble(std::string_view key) const {
    if (IsNull(key)) return std::nullopt;
    return Double(key);
  }
  std::optional<bool> OptionalBool(std::string_view key) const {
    if (IsNull(key)) return std::nullopt;
    return Bool(key);
  }
  bool IsNull(std::string_view key) const { return Member(key).kind == JsonValue::Kind::kNull; }
  // A string member that may be null (read as "").
  std::string OptionalString(std::string_view key) const {
    if (IsNull(key)) return "";
    if (Member(key).kind != JsonValue::Kind::kString) throw Wrong(key, "a string or null");
    return Member(key).text;
  }

  Object Child(std::string_view key) const { return Object(Member(key), Path(key)); }
  const std::vector<JsonValue>& Array(std::string_view key) const {
    return Typed(key, JsonValue::Kind::kArray, "an array").items;
  }
  // The objects of the array member `key`, with their paths.
  std::vector<Object> Objects(std::string_view key) const {
    std::vector<Object> objects;
    const std::vector<JsonValue>& items = Array(key);
    for (size_t i = 0; i < items.size(); ++i) objects.emplace_back(items[i], Path(key) + "[" + std::to_string(i) + "]");
    return objects;
  }
  std::vector<int64_t> I64s(std::string_view key) const {
    std::vector<int64_t> numbers;
    const std::vector<JsonValue>& items = Array(key);
    for (size_t i = 0; i < items.size(); ++i) {
      int64_t n = 0;
      if (!items[i].AsI64(&n)) throw ShapeError(Path(key) + "[" + std::to_string(i) + "] is not an integer");
      numbers.push_back(n);
    }
    return numbers;
  }
  std::vector<std::string> Strings(std::string_view key) const {
    std::vector<std::string> strings;
    const std::vector<JsonValue>& items = Array(key);
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].kind != JsonValue::Kind::kString) {
        throw ShapeError(Path(key) + "[" + std::to_string(i) + "] is not a string");
      }
      strings.push_back(items[i].text);
    }
    return strings;
  }

 private:
  std::string Where() const { return path_.empty() ? "the document" : path_; }
  std::string Path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const JsonValue& Member(std::string_view key) const {
    const JsonValue* member = value_.Find(key);
    if (member == nullptr) throw ShapeError(Path(key) + " is missing");
    return *member;
  }
  const JsonValue& Typed(std::string_view key, JsonValue::Kind kind, const char* what) const {
    const JsonValue& member = Member(key);
    if (member.kind != kind) throw Wrong(key, what);
    return member;
  }
  ShapeError Wrong(std::string_view key, const char* what) const {
    return ShapeError(Path(key) + " is not " + what);
  }

  const JsonValue& value_;
  std::string path_;
};

BenchEnvironment ReadEnvironment(const Object& o) {
  BenchEnvironment env;
  env.machine = o.String("machine");
  env.date_utc = o.String("date_utc");
  env.sqlite_version = o.String("sqlite_version");
  env.build_type = o.String("build_type");
  env.compiler = o.String("compiler");
  env.callgrind_toggles = o.Bool("callgrind_toggles");
  env.goals_on_cpu_time = o.Bool("goals_on_cpu_time");
  env.runs = o.U32("runs");
  env.warmups = o.U32("warmups");
  env.scale = o.Double("scale");
  env.value_bytes = o.U32("value_bytes");
  env.churn_cycles = o.U32("churn_cycles");
  env.churn_sample_every = o.U32("churn_sample_every");
  env.corpora_dir = o.String("corpora_dir");
  env.vfs = o.Bool("vfs");
  for (const Object& layout : o.Objects("layouts")) {
    env.layouts.push_back({layout.String("name"), layout.String("atomicity")});
  }
  env.command_line = o.String("command_line");
  return env;
}

BackendResult ReadBackend(const Object& o) {
  BackendResult r;
  const std::string name = o.String("backend");
  const std::optional<BackendKind> kind = ParseBackendName(name);
  if (!kind) throw ShapeError("unknown backend '" + name + "'");
  r.backend = *kind;
  r.layout = o.OptionalString("layout");
  if (RunsPerLayout(r.backend) == r.layout.empty()) {
    throw ShapeError(std::string(RunsPerLayout(r.backend) ? "a layout is missing on backend '"
                                                          : "a layout is given on the layout-independent backend '") +
                     name + "'");
  }
  r.error = o.String("error");
  r.run_ns = o.I64s("run_ns");
  r.median_ns = o.OptionalI64("median_ns");
  r.run_cpu_ns = o.I64s("run_cpu_ns");
  r.median_cpu_ns = o.OptionalI64("median_cpu_ns");
  r.ratio_to_memdb = o.OptionalDouble("ratio_to_memdb");
  r.cpu_ratio_to_memdb = o.OptionalDouble("cpu_ratio_to_memdb");
  // The four cost counters are written together from one StableCost: all null or none.
  if (!o.IsNull("stable_bytes_written")) {
    r.cost = StableCost{.bytes_written = o.U64("stable_bytes_written"),
                        .dirty_pages = o.U64("dirty_pages_4k"),
                        .instructions = o.U64("stable_instructions"),
                        .messages = o.U64("messages")};
  }
  r.stable_pages = o.OptionalU64("stable_pages");
  r.stable_bytes = o.OptionalU64("stable_bytes");
  r.db_size_bytes = o.OptionalU64("db_size_bytes");
  r.rows_read = o.U64("rows_read");
  r.rows_written = o.U64("rows_written");
  r.table_rows = o.U64("table_rows");
  for (const Object& s : o.Objects("footprint")) r.footprint.push_back({s.U64("cycle"), s.U64("stable_pages")});
  r.notes = o.Strings("notes");
  return r;
}

WorkloadResult ReadWorkload(const Object& o) {
  WorkloadResult w;
  w.name = o.String("name");
  const std::string kind = o.String("kind");
  bool known = false;
  for (WorkloadKind k : {WorkloadKind::kWrite, WorkloadKind::kRead, WorkloadKind::kChurn, WorkloadKind::kLoad}) {
    if (WorkloadKindName(k) == kind) {
      w.kind = k;
      known = true;
    }
  }
  if (!known) throw ShapeError("unknown workload kind '" + kind + "'");
  w.description = o.String("description");
  w.skipped = o.String("skipped");
  for (const Object& b : o.Objects("backends")) w.backends.push_back(ReadBackend(b));
  return w;
}

HarnessReport ReadHarness(const Object& o) {
  HarnessReport h;
  h.seed = o.U64("seed");
  h.judged_steps = o.U64("judged_steps");
  h.control_steps = o.U64("control_steps");
  h.workloads_dir = o.String("workloads_dir");
  h.error = o.String("error");
  for (const Object& judged : o.Objects("judged")) {
    JudgedThroughput t;
    t.layout = judged.String("layout");
    t.cases = judged.U64("cases");
    t.ops = judged.U64("ops");
    t.messages = judged.U64("messages");
    t.violations = judged.U64("violations");
    t.expected_violations = judged.U64("expected_violations");
    t.seconds = judged.Double("seconds");
    t.cpu_seconds = judged.Double("cpu_seconds");
    h.judged.push_back(t);
  }
  for (const Object& e : o.Objects("explore")) {
    ExploreThroughput t;
    t.layout = e.String("layout");
    t.jobs = e.U32("jobs");
    t.workloads = e.U64("workloads");
    t.crash_points = e.U64("crash_points");
    t.violations = e.U64("violations");
    t.expected_violations = e.U64("expected_violations");
    t.seconds = e.Double("seconds");
    t.cpu_seconds = e.Double("cpu_seconds");
    h.explore.push_back(t);
  }
  for (const Object& c : o.Objects("controls")) {
    ControlResult r;
    r.layout = c.String("layout");
    r.crash_model = c.String("crash_model");
    r.name = c.String("name");
    r.faults = c.String("faults");
    r.caught = c.Bool("caught");
    r.cases = c.U64("cases");
    r.messages = c.U64("messages");
    r.seconds = c.Double("seconds");
    r.property = c.String("property");
    r.shrunk = c.Bool("shrunk");
    r.original_ops = c.U64("original_ops");
    r.shrunk_ops = c.U64("shrunk_ops");
    r.shrink_runs = c.U64("shrink_runs");
    r.shrink_seconds = c.Double("shrink_seconds");
    h.controls.push_back(std::move(r));
  }
  return h;
}

}  // namespace

Result<BenchReport> ReadJson(std::string_view text) {
  JsonValue document;
  try {
    document = json::ParseJson(text);
  } catch (const json::JsonError& e) {
    return Status::InvalidArgument(std::string("not a JSON document: ") + e.what());
  }
  try {
    const Object root(document, "");
    const std::string format = root.String("format");
    if (format == "stablevfs-bench-1") {
      return Status::InvalidArgument(
          "format is 'stablevfs-bench-1', a report from before layouts were a dimension of the benchmark; this "
          "stablevfs reads '" + std::string(kBenchJsonFormat) + "': rerun the benchmark");
    }
    if (format != kBenchJsonFormat) {
      return Status::InvalidArgument("format is '" + format + "', expected '" + kBenchJsonFormat +
                                     "' (a report of another version of stablevfs bench?)");
    }
    BenchReport report;
    report.environment = ReadEnvironment(root.Child("environment"));
    for (const Object& w : root.Objects("workloads")) report.workloads.push_back(ReadWorkload(w));
    if (!root.IsNull("harness")) report.harness = ReadHarness(root.Child("harness"));
    for (const Object& g : root.Objects("goals")) {
      GoalResult goal;
      goal.name = g.String("name");
      goal.layout = g.OptionalString("layout");
      goal.scope = g.String("scope");
      goal.detail = g.String("detail");
      goal.pass = g.OptionalBool("pass");
      goal.expected = g.OptionalString("expected");
      report.goals.push_back(std::move(goal));
    }
    return report;
  } catch (const ShapeError& e) {
    return Status::InvalidArgument(std::string("not a stablevfs bench report: ") + e.what());
  }
}

}  // namespace stablevfs::bench
