// RunConfig: what a run is judged under (the layout, the crash model, the session-wide faults), built in one
// place from the command line or a scenario file, and turned into a Session's options in one place.
//
//   RunConfig config = ConfigOf(scenario, {.layout = "8"});   // the scenario's own directives win
//   ops::Session session(SessionOptionsFor(config, seed));
//
// Every runner (cases, replay, explore, shrink, the property suites, the benchmark) builds its Session
// through SessionOptionsFor, so a field added here reaches all of them, and the CLI and the tests run the
// same driver with the same configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "failpoints/catalogue.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op_generator.h"
#include "harness/scenario/scenario.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::driver {

struct RunConfig {
  std::string layout = "";  // a registered layout name; "" = the registry's default
  scenario::CrashModel crash_model = scenario::CrashModel::kIc;
  std::string faults = "";  // a failpoint spec armed for the whole session ("" for none)

  bool operator==(const RunConfig&) const = default;
};

// The registered layout `config` names (the default for ""). Throws std::invalid_argument naming the
// registered layouts when there is none of that name.
const LayoutInfo& LayoutOf(const RunConfig& config);

// `base` with the directives `scenario` states itself: its layout and crash-model lines win, so a scenario
// file replays on the layout it was written for whatever the command line says.
RunConfig ConfigOf(const scenario::Scenario& scenario, RunConfig base = {});

// The Session options of a run of `config` seeded with `seed`.
ops::SessionOptions SessionOptionsFor(const RunConfig& config, uint64_t seed);

// The action a generated `arm` of crash model `model` takes at `site` (ic: trap; error: error; powerloss:
// crash; torn: torn where the site takes it, else crash), or nullopt when the site cannot take it.
std::optional<fp::Action> ArmActionFor(scenario::CrashModel model, const fp::SiteInfo& site);

// The arm sites a generated case of `config` uses: every catalogued site the layout reaches
// (faults/layout_sites.h) that accepts the crash model's action, with that action only (ic: trap; error:
// error; powerloss: crash; torn: torn where the site takes it, else crash).
std::vector<ops::ArmSite> ArmSitesFor(const RunConfig& config);

}  // namespace stablevfs::driver
