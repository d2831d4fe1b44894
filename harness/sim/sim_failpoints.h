// The failpoint sites the simulated stable memory owns, for the catalogue.
//
// memory.write is evaluated on every write through SimStableMemory (inside a message or not). Its actions are
// harness-side: the library cannot arm its own storage to lose a write. What each action does is described in
// sim_stable_memory.h. The table is registered in fp::Catalogue::Global() at start-up of any program that
// links the decorator (and again, idempotently, by every SimStableMemory constructor).
#pragma once

#include <span>
#include <string_view>

#include "failpoints/catalogue.h"

namespace stablevfs::sim {

// The permanent name of the stable-write site.
inline constexpr std::string_view kMemoryWriteSite = "memory.write";

// Every site owned by harness/sim, with its layer, what it simulates and its actions.
std::span<const fp::SiteInfo> SimFailpoints();

// Registers SimFailpoints() (memory.write) and, with it, every library site (LibraryFailpoints()) in
// `catalogue`. Idempotent.
void RegisterSimFailpoints(fp::Catalogue& catalogue = fp::Catalogue::Global());

}  // namespace stablevfs::sim
