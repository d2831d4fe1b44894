#include "bench/workloads/harness_bench.h"

#include <chrono>
#include <cstdio>
#include <exception>

#include "bench/workloads/timed_region.h"
#include "failpoints/registry.h"
#include "harness/driver/case_runner.h"
#include "harness/driver/shrink.h"
#include "harness/explore/workloads.h"

namespace stablevfs::bench {
namespace {

double Seconds(std::chrono::nanoseconds ns) { return static_cast<double>(ns.count()) / 1e9; }

// Cases cycle through the crash models, so the rate is that of the mix a fuzz campaign runs.
scenario::CrashModel ModelOfCase(uint64_t index) {
  return static_cast<scenario::CrashModel>(index % scenario::kCrashModelCount);
}

JudgedThroughput MeasureJudged(const HarnessBenchOptions& options) {
  JudgedThroughput result;
  TimedRegion region(/*callgrind_toggles=*/false);
  for (uint64_t i = 0; i < options.judged_cases; ++i) {
    driver::CaseConfig config;
    config.seed = options.seed;
    config.case_index = i;
    config.steps = options.judged_steps;
    config.crash_model = ModelOfCase(i);
    region.Begin();
    const driver::CaseResult run = driver::RunCase(config);
    region.End();
    fp::ClearAll();
    result.cases += 1;
    result.ops += run.ops.size();
    result.messages += run.messages;
    result.violations += run.ok() ? 0 : 1;
  }
  result.seconds = Seconds(region.elapsed());
  result.cpu_seconds = Seconds(region.cpu());
  return result;
}

ExploreThroughput MeasureExplore(const std::string& dir, unsigned jobs) {
  explore::ExploreOptions options;
  options.jobs = jobs;
  options.verify_saved = false;
  const explore::StandardExploration run = explore::ExploreStandardWorkloads(options, dir);
  ExploreThroughput result;
  result.jobs = jobs;
  result.workloads = run.paths.size();
  result.crash_points = run.crash_points;
  result.violations = run.violations;
  result.seconds = run.explore_seconds;
  result.cpu_seconds = run.explore_cpu_seconds;
  return result;
}

ControlResult MeasureControl(const HarnessBenchOptions& options, const std::string& name, const std::string& faults) {
  ControlResult result;
  result.name = name;
  result.faults = faults;
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < options.control_max_cases; ++i) {
    driver::CaseConfig config;
    config.seed = options.seed;
    config.case_index = i;
    config.steps = options.control_steps;
    config.faults = faults;
    config.crash_model = scenario::CrashModel::kPowerloss;
    const driver::CaseResult run = driver::RunCase(config);
    fp::ClearAll();
    result.cases += 1;
    result.messages += run.messages;
    if (run.ok()) continue;
    result.caught = true;
    result.seconds = Seconds(std::chrono::steady_clock::now() - started);
    result.property = run.first_violation->violation.property;
    result.original_ops = run.ops.size();

    driver::ShrinkOptions shrink;
    shrink.session = {.seed = run.case_seed, .faults = faults};
    shrink.crash_model = config.crash_model;
    const auto shrink_started = std::chrono::steady_clock::now();
    const driver::ShrinkResult shrunk = driver::Shrink(run.ops, shrink);
    fp::ClearAll();
    result.shrink_seconds = Seconds(std::chrono::steady_clock::now() - shrink_started);
    result.shrunk = shrunk.reproduced;
    result.shrunk_ops = shrunk.length();
    result.shrink_runs = shrunk.runs;
    return result;
  }
  result.seconds = Seconds(std::chrono::steady_clock::now() - started);
  return result;
}

}  // namespace

bool HarnessReport::ok() const {
  if (!error.empty() || judged.violations > 0) return false;
  for (const ExploreThroughput& e : explore) {
    if (e.violations > 0) return false;
  }
  for (const ControlResult& c : controls) {
    if (!c.caught || !c.shrunk) return false;
  }
  return true;
}

std::vector<std::pair<std::string, std::string>> NegativeControlFaults() {
  // The rates of the negative-control tests (tests/harness/driver_negative_control_test.cpp): high enough that
  // a 60-op case meets a fault, low enough that the case first builds some state for the fault to damage.
  return {{"lost write", "memory.write=2%lost"},
          {"misdirected write", "memory.write=3%misdirect"},
          {"bit flip", "memory.write=5%bitflip"}};
}

HarnessReport RunHarnessBenchmarks(const HarnessBenchOptions& options) {
  HarnessReport report;
  report.seed = options.seed;
  report.judged_steps = options.judged_steps;
  report.control_steps = options.control_steps;
  report.workloads_dir = options.workloads_dir.empty() ? explore::DefaultWorkloadsDir() : options.workloads_dir;
  std::ostream* progress = options.progress;
  char line[256];

  report.judged = MeasureJudged(options);
  if (progress) {
    std::snprintf(line, sizeof line, "harness / judged messages: %llu messages in %.2f CPU s (%.0f per CPU-second)\n",
                  static_cast<unsigned long long>(report.judged.messages), report.judged.cpu_seconds,
                  report.judged.per_cpu_second());
    *progress << line << std::flush;
  }

  for (unsigned jobs : options.explore_jobs) {
    try {
      report.explore.push_back(MeasureExplore(report.workloads_dir, jobs));
    } catch (const std::exception& e) {
      report.error = "explore: " + std::string(e.what());
      break;
    }
    if (progress) {
      const ExploreThroughput& e = report.explore.back();
      std::snprintf(line, sizeof line,
                    "harness / explore --jobs %u: %llu crash points, %.0f per CPU-second, %.0f per second\n", jobs,
                    static_cast<unsigned long long>(e.crash_points), e.per_cpu_second(), e.per_second());
      *progress << line << std::flush;
    }
  }

  for (const auto& [name, faults] : NegativeControlFaults()) {
    report.controls.push_back(MeasureControl(options, name, faults));
    if (progress) {
      const ControlResult& c = report.controls.back();
      if (c.caught) {
        std::snprintf(line, sizeof line,
                      "harness / control %s: caught after %llu messages (%.2f s), shrunk %llu -> %llu ops\n",
                      name.c_str(), static_cast<unsigned long long>(c.messages), c.seconds,
                      static_cast<unsigned long long>(c.original_ops), static_cast<unsigned long long>(c.shrunk_ops));
      } else {
        std::snprintf(line, sizeof line, "harness / control %s: NOT caught in %llu cases\n", name.c_str(),
                      static_cast<unsigned long long>(c.cases));
      }
      *progress << line << std::flush;
    }
  }
  return report;
}

}  // namespace stablevfs::bench
