#include "harness/check/builtin_checkers.h"

#include "harness/check/layout6_check.h"
#include "harness/check/layout8_check.h"

namespace stablevfs::check {

std::vector<CheckerInfo> BuiltinCheckers() {
  return {
      Layout6Checker(),  // segmented page map, shadow paging (REFERENCE 3.1)
      Layout8Checker(),  // pages in place, zero extents; ic-sqlite-vfs 2.x (REFERENCE 3.4)
  };
}

}  // namespace stablevfs::check
