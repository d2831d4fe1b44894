#include "bench/workloads/harness_bench.h"

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "bench/workloads/timed_region.h"
#include "failpoints/registry.h"
#include "harness/driver/case_runner.h"
#include "harness/driver/run_config.h"
#include "harness/driver/shrink.h"
#include "harness/explore/workloads.h"
#include "harness/faults/vocabulary.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::bench {
namespace {

double Seconds(std::chrono::nanoseconds ns) { return static_cast<double>(ns.count()) / 1e9; }

// Cases cycle through the crash models, so the rate is that of the mix a fuzz campaign runs.
scenario::CrashModel ModelOfCase(uint64_t index) {
  return static_cast<scenario::CrashModel>(index % scenario::kCrashModelCount);
}

JudgedThroughput MeasureJudged(const HarnessBenchOptions& options, const LayoutInfo& layout) {
  JudgedThroughput result;
  result.layout = layout.name;
  TimedRegion region(/*callgrind_toggles=*/false);
  for (uint64_t i = 0; i < options.judged_cases; ++i) {
    driver::CaseConfig config;
    config.seed = options.seed;
    config.case_index = i;
    config.steps = options.judged_steps;
    config.crash_model = ModelOfCase(i);
    config.layout = layout.name;
    region.Begin();
    const driver::CaseResult run = driver::RunCase(config);
    region.End();
    fp::ClearAll();
    result.cases += 1;
    result.ops += run.ops.size();
    result.messages += run.messages;
    if (!run.ok()) {
      // As `stablevfs fuzz` classifies a red case (harness/cli/campaign.cpp): expected when the layout does not
      // promise to survive the case's crash model.
      const bool expected = !faults::ExpectedToSurvive(layout.atomicity, config.crash_model);
      (expected ? result.expected_violations : result.violations) += 1;
    }
  }
  result.seconds = Seconds(region.elapsed());
  result.cpu_seconds = Seconds(region.cpu());
  return result;
}

ExploreThroughput MeasureExplore(const std::string& dir, unsigned jobs, const LayoutInfo& layout) {
  explore::ExploreOptions options;
  options.jobs = jobs;
  options.verify_saved = false;
  options.layout = layout.name;
  const explore::StandardExploration run = explore::ExploreStandardWorkloads(options, dir);
  ExploreThroughput result;
  result.layout = layout.name;
  result.jobs = jobs;
  result.workloads = run.paths.size();
  result.crash_points = run.crash_points;
  result.seconds = run.explore_seconds;
  result.cpu_seconds = run.explore_cpu_seconds;
  // Classify the findings as `stablevfs explore` does (harness/cli/cmd_explore.cpp): a finding at a crash point
  // whose memory promise the layout it ran on does not promise to survive is expected. A workload's own layout
  // line wins over options.layout, so each workload's layout is read from its file.
  const bool torn_bytes = !options.torn_sectors;
  for (size_t i = 0; i < run.paths.size(); ++i) {
    scenario::ScenarioResult workload = explore::LoadWorkload(run.paths[i]);
    if (!workload.ok()) throw std::runtime_error(workload.error().ToString());
    const LayoutInfo& ran_on = driver::LayoutOf(driver::ConfigOf(workload.value(), driver::RunConfig{layout.name}));
    for (const explore::Finding& f : run.results[i].findings) {
      const bool expected =
          f.point && !faults::ExpectedToSurvive(ran_on.atomicity, faults::MemoryPromiseOf(f.point->action, torn_bytes));
      (expected ? result.expected_violations : result.violations) += 1;
    }
  }
  return result;
}

// The crash model a negative control runs under on `layout`: powerloss (the storage faults strike a memory
// that keeps what was written) when the layout promises to survive it, else ic, the IC's own guarantee, which
// every layout promises. Under a model the layout does not survive, the first red case could be the layout's
// known failure rather than the fault.
scenario::CrashModel ControlModel(const LayoutInfo& layout) {
  return faults::ExpectedToSurvive(layout.atomicity, scenario::CrashModel::kPowerloss) ? scenario::CrashModel::kPowerloss
                                                                                      : scenario::CrashModel::kIc;
}

ControlResult MeasureControl(const HarnessBenchOptions& options, const LayoutInfo& layout, const std::string& name,
                             const std::string& faults) {
  ControlResult result;
  result.layout = layout.name;
  const scenario::CrashModel model = ControlModel(layout);
  result.crash_model = std::string(faults::CrashModelName(model));
  result.name = name;
  result.faults = faults;
  const auto started = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < options.control_max_cases; ++i) {
    driver::CaseConfig config;
    config.seed = options.seed;
    config.case_index = i;
    config.steps = options.control_steps;
    config.faults = faults;
    config.crash_model = model;
    config.layout = layout.name;
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
    shrink.session = driver::SessionOptionsFor(config.run(), run.case_seed);
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
  if (!error.empty()) return false;
  for (const JudgedThroughput& j : judged) {
    if (j.violations > 0) return false;
  }
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
  char line[320];

  std::vector<const LayoutInfo*> layouts;
  if (options.layouts.empty()) layouts = LayoutRegistry::Global().Builtins();
  for (const std::string& name : options.layouts) {
    const LayoutInfo* layout = LayoutRegistry::Global().Find(name);
    if (layout == nullptr) {
      if (report.error.empty()) {
        report.error = "unknown layout '" + name + "' (registered: " + LayoutRegistry::Global().Names() + ")";
      }
      continue;
    }
    layouts.push_back(layout);
  }

  for (const LayoutInfo* layout : layouts) {
    const std::string tag = "harness / layout " + layout->name + " / ";
    const JudgedThroughput& judged = report.judged.emplace_back(MeasureJudged(options, *layout));
    if (progress) {
      std::snprintf(line, sizeof line,
                    "%sjudged messages: %llu messages in %.2f CPU s (%.0f per CPU-second), %llu expected violations\n",
                    tag.c_str(), static_cast<unsigned long long>(judged.messages), judged.cpu_seconds,
                    judged.per_cpu_second(), static_cast<unsigned long long>(judged.expected_violations));
      *progress << line << std::flush;
    }

    for (unsigned jobs : options.explore_jobs) {
      try {
        report.explore.push_back(MeasureExplore(report.workloads_dir, jobs, *layout));
      } catch (const std::exception& e) {
        if (report.error.empty()) report.error = "explore (layout " + layout->name + "): " + std::string(e.what());
        break;
      }
      if (progress) {
        const ExploreThroughput& e = report.explore.back();
        std::snprintf(line, sizeof line,
                      "%sexplore --jobs %u: %llu crash points, %.0f per CPU-second, %.0f per second, %llu expected "
                      "findings\n",
                      tag.c_str(), jobs, static_cast<unsigned long long>(e.crash_points), e.per_cpu_second(),
                      e.per_second(), static_cast<unsigned long long>(e.expected_violations));
        *progress << line << std::flush;
      }
    }

    for (const auto& [name, faults] : NegativeControlFaults()) {
      const ControlResult& c = report.controls.emplace_back(MeasureControl(options, *layout, name, faults));
      if (progress) {
        if (c.caught) {
          std::snprintf(line, sizeof line,
                        "%scontrol %s (%s): caught after %llu messages (%.2f s), shrunk %llu -> %llu ops\n",
                        tag.c_str(), name.c_str(), c.crash_model.c_str(), static_cast<unsigned long long>(c.messages),
                        c.seconds, static_cast<unsigned long long>(c.original_ops),
                        static_cast<unsigned long long>(c.shrunk_ops));
        } else {
          std::snprintf(line, sizeof line, "%scontrol %s (%s): NOT caught in %llu cases\n", tag.c_str(), name.c_str(),
                        c.crash_model.c_str(), static_cast<unsigned long long>(c.cases));
        }
        *progress << line << std::flush;
      }
    }
  }
  return report;
}

}  // namespace stablevfs::bench
