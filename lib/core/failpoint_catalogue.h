// The catalogue of lib/'s failpoint sites: every STABLEVFS_FAILPOINT* name the library evaluates, with its layer
// and what firing it simulates (the originals are in REFERENCE.md section 4).
//
// Names are permanent (scenario files name them): never rename or reuse one; add new sites at the end of
// the table in failpoint_catalogue.cpp. Every lib site accepts error, trap and crash (fp::kLibraryActions).
// The harness registers its own sites (memory.write, in harness/sim) beside these.
//
// Start-up code registers the table once: fp::Catalogue::Global().Register(LibraryFailpoints()).
#pragma once

#include <span>

#include "failpoints/catalogue.h"

namespace stablevfs {

// Every lib/ site, in a fixed order; the views point at string literals (valid for the process).
std::span<const fp::SiteInfo> LibraryFailpoints();

}  // namespace stablevfs
