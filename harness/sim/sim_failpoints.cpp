#include "harness/sim/sim_failpoints.h"

#include <array>

#include "lib/core/failpoint_catalogue.h"

namespace stablevfs::sim {
namespace {

using fp::Action;
using fp::ActionBit;

constexpr std::array<fp::SiteInfo, 1> kSites = {{
    {.name = kMemoryWriteSite,
     .layer = "harness/sim: every stable write",
     .simulates = "a stable-memory write as the storage performs it: the message traps right after it (trap), "
                  "the power fails before it (crash) or while it is in flight (torn), or the storage drops it "
                  "(lost), puts it elsewhere (misdirect) or corrupts one bit of it (bitflip)",
     .actions = ActionBit(Action::kTrap) | ActionBit(Action::kCrash) | ActionBit(Action::kTorn) |
                ActionBit(Action::kLost) | ActionBit(Action::kMisdirect) | ActionBit(Action::kBitflip)},
}};

// Registered at start-up so that specs naming memory.write are checked (and accepted) from the first line of
// main. Catalogue::Global() is a never-destroyed function-local static, so using it here is safe.
[[maybe_unused]] const bool kRegisteredAtStartup = [] {
  RegisterSimFailpoints();
  return true;
}();

}  // namespace

std::span<const fp::SiteInfo> SimFailpoints() { return kSites; }

void RegisterSimFailpoints(fp::Catalogue& catalogue) {
  // The library's sites go in with ours: once the catalogue holds anything, fp::Arm rejects names it does not
  // list, so a harness process that registered only memory.write could not arm a library site.
  catalogue.Register(LibraryFailpoints());
  catalogue.Register(SimFailpoints());
}

}  // namespace stablevfs::sim
