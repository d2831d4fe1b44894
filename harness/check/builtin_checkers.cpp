#include "harness/check/builtin_checkers.h"

#include "harness/check/layout6_check.h"
#include "harness/check/layout8_check.h"
#include "harness/check/sv1_check.h"

namespace stablevfs::check {

std::vector<CheckerInfo> BuiltinCheckers() {
  return {
      Layout6Checker(),  // segmented page map, shadow paging (REFERENCE 3.1)
      Layout8Checker(),  // pages in place, zero extents; ic-sqlite-vfs 2.x (REFERENCE 3.4)
      Sv1Checker(),      // two superblock slots, shadow paging into reused slots (docs/layout-sv1.md)
  };
}

}  // namespace stablevfs::check
