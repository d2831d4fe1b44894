#include "harness/check/builtin_checkers.h"

#include "harness/check/layout6_check.h"

namespace stablevfs::check {

std::vector<CheckerInfo> BuiltinCheckers() {
  return {
      Layout6Checker(),
  };
}

}  // namespace stablevfs::check
