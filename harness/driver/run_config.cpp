#include "harness/driver/run_config.h"

#include <stdexcept>

#include "harness/faults/layout_sites.h"
#include "harness/ops/catalogue_setup.h"

namespace stablevfs::driver {

const LayoutInfo& LayoutOf(const RunConfig& config) {
  if (config.layout.empty()) return DefaultLayout();
  const LayoutInfo* info = LayoutRegistry::Global().Find(config.layout);
  if (info == nullptr) {
    throw std::invalid_argument("no layout named '" + config.layout + "' (registered: " +
                                LayoutRegistry::Global().Names() + ")");
  }
  return *info;
}

RunConfig ConfigOf(const scenario::Scenario& scenario, RunConfig base) {
  if (scenario.layout) base.layout = *scenario.layout;
  if (scenario.crash_model) base.crash_model = *scenario.crash_model;
  return base;
}

ops::SessionOptions SessionOptionsFor(const RunConfig& config, uint64_t seed) {
  ops::SessionOptions options;
  options.seed = seed;
  options.layout = LayoutOf(config).name;
  options.faults = config.faults;
  return options;
}

std::optional<fp::Action> ArmActionFor(scenario::CrashModel model, const fp::SiteInfo& site) {
  fp::Action action = fp::Action::kOff;
  switch (model) {
    case scenario::CrashModel::kIc: action = fp::Action::kTrap; break;
    case scenario::CrashModel::kError: action = fp::Action::kError; break;
    case scenario::CrashModel::kPowerloss: action = fp::Action::kCrash; break;
    case scenario::CrashModel::kTorn:
      action = site.Accepts(fp::Action::kTorn) ? fp::Action::kTorn : fp::Action::kCrash;
      break;
  }
  if (!site.Accepts(action)) return std::nullopt;
  return action;
}

std::vector<ops::ArmSite> ArmSitesFor(const RunConfig& config) {
  const LayoutInfo& layout = LayoutOf(config);
  std::vector<ops::ArmSite> sites;
  // Sorted by name: the generator's stream does not depend on registration order, and a layout's arm sites
  // do not change when another layout's sites are catalogued.
  for (const fp::SiteInfo& site : faults::SitesReachedBy(layout, ops::RegisterCatalogue())) {
    if (const std::optional<fp::Action> action = ArmActionFor(config.crash_model, site)) {
      sites.push_back(ops::ArmSite{std::string(site.name), {*action}});
    }
  }
  return sites;
}

}  // namespace stablevfs::driver
