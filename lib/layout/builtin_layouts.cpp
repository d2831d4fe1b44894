#include "lib/layout/builtin_layouts.h"

#include "lib/layout/layout6.h"

namespace stablevfs {

std::vector<LayoutInfo> BuiltinLayouts() {
  return {
      layout6::Info(),  // segmented page map, shadow paging (REFERENCE 3.1)
  };
}

}  // namespace stablevfs
