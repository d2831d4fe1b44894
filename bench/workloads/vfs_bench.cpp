// The runner of the VFS benchmark and the judgement of the goals (vfs_bench.h).
#include "bench/workloads/vfs_bench.h"

#include <sqlite3.h>
#include <sys/utsname.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <set>

#include "lib/core/trap.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::bench {
namespace {

// Goal limits (REFERENCE.md section 5 and the issue).
constexpr double kWriteRatioMax = 1.3;
constexpr double kReadRatioMax = 1.15;
constexpr uint64_t kResetStableBytesMax = 512 * 1024;  // "0.50 MB" after the 1,000-row reset
constexpr BackendKind kGoalBackend = BackendKind::kIcstable;
constexpr double kJudgedMessagesPerCpuSecondMin = 500;
constexpr double kCrashPointsPerCpuSecondMin = 2000;
constexpr double kControlSecondsMax = 10;
constexpr uint64_t kControlShrunkOpsMax = 6;

std::string Machine() {
  utsname name{};
  if (uname(&name) != 0) return "unknown";
  return std::string(name.sysname) + " " + name.release + " " + name.machine;
}

std::string DateUtc() {
  // Reported only; nothing depends on it.
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string Compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

int64_t Median(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// `decimals` 2 for limits; 3 for measured ratios, so that 1.152 against a limit of 1.15 does not print as
// "1.15x ... FAIL".
std::string FormatRatio(double ratio, int decimals = 2) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*fx", decimals, ratio);
  return text;
}

// Runs `fn` and turns an exception that ends a message (a Trap, a failpoint abort, anything) into an error
// string, so one failing backend does not end the benchmark.
template <typename Fn>
std::string Guarded(const char* phase, Fn&& fn) {
  try {
    Status status = fn();
    if (status.ok()) return {};
    return std::string(phase) + ": " + status.ToString();
  } catch (const Trap& trap) {
    return std::string(phase) + ": trap: " + trap.what();
  } catch (const std::exception& e) {
    return std::string(phase) + ": exception: " + e.what();
  } catch (...) {
    return std::string(phase) + ": unknown exception (failpoint abort?)";
  }
}

// The numbers a run leaves behind that must not change between runs.
struct RunFacts {
  std::optional<StableCost> cost;
  std::optional<uint64_t> stable_pages;
  std::optional<uint64_t> db_size_bytes;
  WorkloadOutcome outcome;
};

BackendResult RunOnBackend(Workload& workload, BackendKind kind, const BenchOptions& options) {
  BackendResult result;
  result.backend = kind;
  const BackendOptions backend_options{options.temp_dir};
  // Warm-up passes run first and are discarded: the first runs of a process touch fresh memory and cold
  // caches (page faults are CPU time too), which made the median of a few short runs swing by 2x.
  const uint32_t warmups = options.runs == 0 ? 0 : options.warmups;
  const uint32_t passes = options.runs == 0 ? 1 : warmups + options.runs;
  for (uint32_t pass = 0; pass < passes; ++pass) {
    const bool warmup = pass < warmups;
    const uint32_t run = warmup ? pass : pass - warmups;
    std::unique_ptr<BenchBackend> backend;
    RunFacts facts;
    TimedRegion region(options.callgrind_toggles);
    std::string error = Guarded("open", [&]() -> Status {
      Result<std::unique_ptr<BenchBackend>> opened = OpenBackend(kind, backend_options);
      if (!opened.ok()) return opened.status();
      backend = std::move(opened).value();
      return Status::Ok();
    });
    if (error.empty()) error = Guarded("setup", [&] { return workload.Setup(*backend); });
    if (error.empty() && options.runs > 0) {
      const std::optional<StableCost> before = backend->stable_cost();
      error = Guarded("run", [&] { return workload.Run(*backend, region, facts.outcome); });
      if (error.empty() && before) facts.cost = *backend->stable_cost() - *before;
      if (error.empty() && options.verify) {
        error = Guarded("verify", [&] { return workload.Verify(*backend, facts.outcome); });
      }
    }
    // Sizing is a query too; whole-process instruction counting (no verification) must not include it,
    // and a baseline without a timed part must not pay the first query's connection setup in its place.
    if (error.empty() && options.verify && options.runs > 0) {
      error = Guarded("size", [&]() -> Status {
        Result<uint64_t> db_size = SqliteDbSizeBytes(*backend);
        if (!db_size.ok()) return db_size.status();
        facts.db_size_bytes = *db_size;
        facts.stable_pages = backend->stable_size_pages();
        return Status::Ok();
      });
    }
    backend.reset();  // free the database before the next run allocates one
    if (!error.empty()) {
      result.error = (warmup ? "warm-up run " : "run ") + std::to_string(run + 1) + ": " + error;
      break;
    }
    if (warmup) continue;
    if (options.runs > 0) {
      result.run_ns.push_back(region.elapsed().count());
      result.run_cpu_ns.push_back(region.cpu().count());
    }
    if (run == 0) {
      result.cost = facts.cost;
      result.stable_pages = facts.stable_pages;
      if (facts.stable_pages) result.stable_bytes = *facts.stable_pages * kWasmPageBytes;
      result.db_size_bytes = facts.db_size_bytes;
      result.rows_read = facts.outcome.rows_read;
      result.rows_written = facts.outcome.rows_written;
      result.table_rows = facts.outcome.table_rows;
      result.footprint = facts.outcome.footprint;
      continue;
    }
    // Everything but the time is deterministic; say so when it is not.
    if (facts.cost != result.cost) result.notes.push_back("stable cost differs in run " + std::to_string(run + 1));
    if (facts.stable_pages != result.stable_pages || facts.db_size_bytes != result.db_size_bytes) {
      result.notes.push_back("sizes differ in run " + std::to_string(run + 1));
    }
  }
  if (!result.run_ns.empty()) {
    result.median_ns = Median(result.run_ns);
    result.median_cpu_ns = Median(result.run_cpu_ns);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Goals.

void JudgeRatioGoals(const BenchReport& report, std::vector<GoalResult>& goals) {
  for (const WorkloadResult& w : report.workloads) {
    if (!w.skipped.empty()) continue;
    const bool read = w.kind == WorkloadKind::kRead;
    const bool cpu = report.environment.goals_on_cpu_time;
    const double limit = read ? kReadRatioMax : kWriteRatioMax;
    GoalResult goal;
    goal.name = std::string(read ? "read" : "write") + " time within " + FormatRatio(limit) + " memdb (" +
                std::string(BackendName(kGoalBackend)) + ", " + (cpu ? "cpu" : "wall") + ")";
    goal.scope = w.name;
    const BackendResult* memdb = w.Find(BackendKind::kMemdb);
    const BackendResult* ours = w.Find(kGoalBackend);
    const std::optional<double> ratio = ours == nullptr ? std::nullopt
                                        : cpu           ? ours->cpu_ratio_to_memdb
                                                        : ours->ratio_to_memdb;
    if (memdb == nullptr || ours == nullptr) {
      goal.detail = "not judged: memdb and icstable must both run";
    } else if (!ratio) {
      goal.detail = "not judged: a run failed";
    } else {
      goal.pass = *ratio <= limit;
      const std::optional<double> other = cpu ? ours->ratio_to_memdb : ours->cpu_ratio_to_memdb;
      goal.detail = FormatRatio(*ratio, 3) + " (limit " + FormatRatio(limit) + "; " + (cpu ? "wall " : "cpu ") +
                    (other ? FormatRatio(*other, 3) : "-") + ")";
    }
    goals.push_back(std::move(goal));
  }
}

void JudgeResetFootprint(const BenchReport& report, std::vector<GoalResult>& goals) {
  GoalResult goal;
  goal.name = "stable memory after the 1,000-row reset <= 0.5 MiB";
  goal.scope = "reset_insert_1000 (" + std::string(BackendName(kGoalBackend)) + ")";
  const WorkloadResult* reset = nullptr;
  for (const WorkloadResult& w : report.workloads) {
    if (w.name == "reset_insert_1000") reset = &w;
  }
  const BackendResult* ours = reset ? reset->Find(kGoalBackend) : nullptr;
  if (ours == nullptr || !ours->stable_bytes) {
    goal.detail = "not judged: reset_insert_1000 did not run on icstable";
  } else if (report.environment.scale != 1.0) {
    goal.detail = "not judged at scale " + std::to_string(report.environment.scale) + " (" +
                  std::to_string(*ours->stable_bytes) + " bytes)";
  } else {
    goal.pass = *ours->stable_bytes <= kResetStableBytesMax;
    goal.detail = std::to_string(*ours->stable_bytes) + " bytes (" + std::to_string(*ours->stable_pages) +
                  " pages; limit " + std::to_string(kResetStableBytesMax) + ")";
  }
  goals.push_back(std::move(goal));
}

void JudgeChurn(const BenchReport& report, std::vector<GoalResult>& goals) {
  for (const WorkloadResult& w : report.workloads) {
    if (w.kind != WorkloadKind::kChurn) continue;
    for (BackendKind kind : {BackendKind::kIcstable, BackendKind::kIcstableSim}) {
      const BackendResult* r = w.Find(kind);
      if (r == nullptr) continue;
      GoalResult goal;
      goal.name = "bounded footprint under churn (no growth over the second half)";
      goal.scope = w.name + " (" + std::string(BackendName(kind)) + ")";
      if (r->footprint.size() < 2) {
        goal.detail = "not judged: no footprint samples";
        goals.push_back(std::move(goal));
        continue;
      }
      const FootprintSample& first = r->footprint.front();
      const FootprintSample& last = r->footprint.back();
      // The second half: from the first sample at or after half of the cycles.
      const FootprintSample* mid = &first;
      for (const FootprintSample& s : r->footprint) {
        if (s.cycle * 2 >= last.cycle) {
          mid = &s;
          break;
        }
      }
      if (mid == &last) mid = &r->footprint[r->footprint.size() - 2];
      const uint64_t cycles = last.cycle - mid->cycle;
      const double growth_bytes_per_cycle =
          static_cast<double>((last.stable_pages - mid->stable_pages) * kWasmPageBytes) /
          static_cast<double>(cycles);
      const double overall_bytes_per_cycle =
          last.cycle == first.cycle
              ? 0.0
              : static_cast<double>((last.stable_pages - first.stable_pages) * kWasmPageBytes) /
                    static_cast<double>(last.cycle - first.cycle);
      char text[256];
      std::snprintf(text, sizeof text,
                    "%llu -> %llu pages over %llu cycles: %.0f bytes/cycle overall, %.0f bytes/cycle over "
                    "cycles %llu..%llu",
                    static_cast<unsigned long long>(first.stable_pages),
                    static_cast<unsigned long long>(last.stable_pages),
                    static_cast<unsigned long long>(last.cycle - first.cycle), overall_bytes_per_cycle,
                    growth_bytes_per_cycle, static_cast<unsigned long long>(mid->cycle),
                    static_cast<unsigned long long>(last.cycle));
      goal.detail = text;
      goal.pass = last.stable_pages == mid->stable_pages;
      goals.push_back(std::move(goal));
    }
  }
}

void JudgeHarness(const HarnessReport& harness, std::vector<GoalResult>& goals) {
  char text[256];
  {
    GoalResult goal;
    goal.name = "fully judged messages >= " + std::to_string(static_cast<int>(kJudgedMessagesPerCpuSecondMin)) +
                " per second per core";
    goal.scope = "property driver, " + std::to_string(harness.judged.cases) + " cases";
    if (harness.judged.cpu_seconds <= 0) {
      goal.detail = "not judged: no judged messages were timed";
    } else {
      std::snprintf(text, sizeof text, "%.0f messages per CPU-second (%llu messages in %.2f s)",
                    harness.judged.per_cpu_second(), static_cast<unsigned long long>(harness.judged.messages),
                    harness.judged.cpu_seconds);
      goal.detail = text;
      goal.pass = harness.judged.per_cpu_second() >= kJudgedMessagesPerCpuSecondMin;
    }
    goals.push_back(std::move(goal));
  }
  {
    GoalResult goal;
    goal.name = "crash points >= " + std::to_string(static_cast<int>(kCrashPointsPerCpuSecondMin)) +
                " per second per core";
    goal.scope = "explore, standard workloads, --jobs 1";
    const ExploreThroughput* single = nullptr;
    for (const ExploreThroughput& e : harness.explore) {
      if (e.jobs == 1) single = &e;
    }
    if (single == nullptr || single->cpu_seconds <= 0) {
      goal.detail = "not judged: explore did not run with --jobs 1";
    } else {
      std::snprintf(text, sizeof text, "%.0f crash points per CPU-second (%llu points in %.2f s)",
                    single->per_cpu_second(), static_cast<unsigned long long>(single->crash_points),
                    single->cpu_seconds);
      goal.detail = text;
      goal.pass = single->per_cpu_second() >= kCrashPointsPerCpuSecondMin;
    }
    goals.push_back(std::move(goal));
  }
  for (const ControlResult& c : harness.controls) {
    GoalResult goal;
    goal.name = "negative control caught within " + std::to_string(static_cast<int>(kControlSecondsMax)) +
                " s and shrunk to <= " + std::to_string(kControlShrunkOpsMax) + " ops";
    goal.scope = c.name + " (" + c.faults + ")";
    if (!c.caught) {
      goal.detail = "not caught in " + std::to_string(c.cases) + " cases (" + std::to_string(c.messages) +
                    " messages)";
      goal.pass = false;
    } else {
      std::snprintf(text, sizeof text, "caught after %llu messages in %.2f s (%s); shrunk %llu -> %llu ops%s",
                    static_cast<unsigned long long>(c.messages), c.seconds, c.property.c_str(),
                    static_cast<unsigned long long>(c.original_ops), static_cast<unsigned long long>(c.shrunk_ops),
                    c.shrunk ? "" : " (the shrinker did not reproduce it)");
      goal.detail = text;
      goal.pass = c.shrunk && c.seconds <= kControlSecondsMax && c.shrunk_ops <= kControlShrunkOpsMax;
    }
    goals.push_back(std::move(goal));
  }
}

// The VFS suite: every wanted workload on every backend, with the ratios to memdb.
void RunVfsWorkloads(const BenchOptions& options, const std::filesystem::path& corpora, BenchReport& report) {
  WorkloadParams params;
  params.scale = options.scale;
  params.value_bytes = options.value_bytes;
  params.churn_cycles = options.churn_cycles;
  params.churn_sample_every = options.churn_sample_every;
  params.corpora_dir = corpora;
  std::vector<std::unique_ptr<Workload>> workloads = MakeWorkloads(params);

  std::vector<BackendKind> backends = options.backends;
  if (backends.empty()) backends.assign(std::begin(kAllBackends), std::end(kAllBackends));
  // memdb first: the ratios divide by its median.
  std::stable_partition(backends.begin(), backends.end(), [](BackendKind k) { return k == BackendKind::kMemdb; });

  const std::set<std::string> wanted(options.workloads.begin(), options.workloads.end());
  for (const std::string& name : wanted) {
    const bool known = std::any_of(workloads.begin(), workloads.end(),
                                   [&](const auto& w) { return w->name() == name; });
    if (!known) report.workloads.push_back({name, WorkloadKind::kWrite, "", "unknown workload", {}});
  }

  for (const std::unique_ptr<Workload>& workload : workloads) {
    if (!wanted.empty() && !wanted.count(workload->name())) continue;
    WorkloadResult& w = report.workloads.emplace_back();
    w.name = workload->name();
    w.kind = workload->kind();
    w.description = workload->description();
    if (std::optional<std::string> why = workload->Unavailable()) {
      w.skipped = *why;
      if (options.progress) *options.progress << w.name << ": skipped: " << *why << "\n";
      continue;
    }
    for (BackendKind kind : backends) {
      BackendResult r = RunOnBackend(*workload, kind, options);
      if (options.progress) {
        *options.progress << w.name << " / " << BackendName(kind) << ": ";
        if (!r.error.empty()) {
          *options.progress << "FAILED " << r.error;
        } else if (r.median_ns) {
          *options.progress << *r.median_ns / 1000 << " us median of " << r.run_ns.size();
        } else {
          *options.progress << "set up (no timed runs)";
        }
        *options.progress << "\n" << std::flush;
      }
      w.backends.push_back(std::move(r));
    }
    const BackendResult* memdb = w.Find(BackendKind::kMemdb);
    if (memdb != nullptr && memdb->median_ns && *memdb->median_ns > 0 && *memdb->median_cpu_ns > 0) {
      const auto memdb_ns = static_cast<double>(*memdb->median_ns);
      const auto memdb_cpu_ns = static_cast<double>(*memdb->median_cpu_ns);
      for (BackendResult& r : w.backends) {
        if (!r.median_ns) continue;
        r.ratio_to_memdb = static_cast<double>(*r.median_ns) / memdb_ns;
        r.cpu_ratio_to_memdb = static_cast<double>(*r.median_cpu_ns) / memdb_cpu_ns;
      }
    }
  }

}

}  // namespace

std::filesystem::path DefaultCorporaDir() {
  if (const char* env = std::getenv("STABLEVFS_CORPORA"); env != nullptr && *env != '\0') return env;
  // The source tree of this build, as CMake passes it.
  const std::filesystem::path repo = STABLEVFS_SOURCE_DIR;
  std::error_code error;
  const std::filesystem::path beside_repo = repo / ".." / "shared" / "corpora";
  if (repo.is_absolute() && std::filesystem::is_directory(beside_repo, error)) {
    return beside_repo.lexically_normal();
  }
  return std::filesystem::path("..") / "shared" / "corpora";
}

const BackendResult* WorkloadResult::Find(BackendKind kind) const {
  for (const BackendResult& r : backends) {
    if (r.backend == kind) return &r;
  }
  return nullptr;
}

bool BenchReport::ok() const {
  for (const WorkloadResult& w : workloads) {
    for (const BackendResult& r : w.backends) {
      if (!r.error.empty()) return false;
    }
  }
  return !harness || harness->ok();
}

BenchReport RunBenchmarks(const BenchOptions& options) {
  BenchReport report;
  BenchEnvironment& env = report.environment;
  env.machine = Machine();
  env.date_utc = DateUtc();
  env.sqlite_version = sqlite3_libversion();
  env.build_type = options.build_type;
  env.compiler = Compiler();
  env.callgrind_toggles = CallgrindTogglesCompiled() && options.callgrind_toggles;
  env.goals_on_cpu_time = options.goals_on_cpu_time;
  env.runs = options.runs;
  env.warmups = options.runs == 0 ? 0 : options.warmups;
  env.scale = options.scale;
  env.value_bytes = options.value_bytes;
  env.churn_cycles = options.churn_cycles;
  env.churn_sample_every = options.churn_sample_every;
  const std::filesystem::path corpora = options.corpora_dir.empty() ? DefaultCorporaDir() : options.corpora_dir;
  env.corpora_dir = corpora.string();
  env.vfs = options.vfs;

  if (options.vfs) RunVfsWorkloads(options, corpora, report);
  if (options.harness) report.harness = RunHarnessBenchmarks(*options.harness);
  report.goals = JudgeGoals(report);
  return report;
}

std::vector<GoalResult> JudgeGoals(const BenchReport& report) {
  std::vector<GoalResult> goals;
  if (report.environment.vfs) {
    JudgeRatioGoals(report, goals);
    JudgeResetFootprint(report, goals);
    JudgeChurn(report, goals);
  }
  if (report.harness) JudgeHarness(*report.harness, goals);
  return goals;
}

}  // namespace stablevfs::bench
