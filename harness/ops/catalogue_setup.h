// RegisterCatalogue: puts every failpoint site a harness run can arm into the process-wide catalogue.
//
// fp::Arm checks a spec against fp::Catalogue::Global() once that catalogue is not empty, and scenario files
// name sites by their permanent names, so every program that runs operations must register the same set:
// the library's sites (LibraryFailpoints) and the simulator's (SimFailpoints: memory.write). Registration is
// idempotent and thread-safe; the function registers once per process and returns the catalogue.
#pragma once

#include "failpoints/catalogue.h"

namespace stablevfs::ops {

// Registers LibraryFailpoints() and sim::SimFailpoints() in fp::Catalogue::Global() (once per process) and
// returns the global catalogue.
const fp::Catalogue& RegisterCatalogue();

}  // namespace stablevfs::ops
