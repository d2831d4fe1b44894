#include "harness/explore/workloads.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "harness/ops/catalogue_setup.h"

namespace stablevfs::explore {

std::string DefaultScenariosDir() {
  std::error_code ec;
  if (std::filesystem::is_directory("scenarios", ec)) return "scenarios";
  // The source tree of this build, as CMake passes it (not __FILE__, which a compiler cache or a build with
  // relative paths may shorten).
  const std::filesystem::path source = STABLEVFS_SOURCE_DIR;
  const std::filesystem::path dir = source / "scenarios";
  if (source.is_absolute() && std::filesystem::is_directory(dir, ec)) return dir.string();
  return "";
}

std::string DefaultWorkloadsDir() {
  const std::string scenarios = DefaultScenariosDir();
  if (scenarios.empty()) return "";
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(scenarios) / "workloads";
  return std::filesystem::is_directory(dir, ec) ? dir.string() : "";
}

std::vector<std::string> ListWorkloads(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw std::runtime_error(dir + ": not a directory");
  std::vector<std::string> paths;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".scn" && it->is_regular_file(ec)) paths.push_back(it->path().string());
  }
  if (ec) throw std::runtime_error(dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  return paths;
}

scenario::ScenarioResult LoadWorkload(const std::string& path) {
  scenario::ParseOptions parse;
  parse.catalogue = &ops::RegisterCatalogue();
  return scenario::LoadScenarioFile(path, parse);
}

std::string WorkloadName(const std::string& path) { return std::filesystem::path(path).stem().string(); }

StandardExploration ExploreStandardWorkloads(const ExploreOptions& options, const std::string& dir) {
  const auto start = std::chrono::steady_clock::now();
  if (dir.empty()) throw std::runtime_error("the standard workloads (scenarios/workloads) were not found");
  StandardExploration out;
  out.paths = ListWorkloads(dir);
  std::vector<scenario::Scenario> workloads;
  for (const std::string& path : out.paths) {
    scenario::ScenarioResult parsed = LoadWorkload(path);
    if (!parsed.ok()) throw std::runtime_error(parsed.error().ToString());
    workloads.push_back(std::move(parsed).value());
  }
  for (size_t i = 0; i < workloads.size(); ++i) {
    out.results.push_back(ExploreWorkload(workloads[i], WorkloadName(out.paths[i]), options));
    out.crash_points += out.results.back().crash_points;
    out.violations += out.results.back().violations();
    out.explore_seconds += out.results.back().explore_seconds;
    out.explore_cpu_seconds += out.results.back().explore_cpu_seconds;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace stablevfs::explore
