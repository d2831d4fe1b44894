#include "harness/ops/catalogue_setup.h"

#include "harness/sim/sim_failpoints.h"
#include "lib/core/failpoint_catalogue.h"

namespace stablevfs::ops {

const fp::Catalogue& RegisterCatalogue() {
  // A function-local static: the first caller registers, concurrent callers wait, later calls are free.
  static const bool registered = [] {
    fp::Catalogue::Global().Register(LibraryFailpoints());
    sim::RegisterSimFailpoints(fp::Catalogue::Global());
    return true;
  }();
  (void)registered;
  return fp::Catalogue::Global();
}

}  // namespace stablevfs::ops
