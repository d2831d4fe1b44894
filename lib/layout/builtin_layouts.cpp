#include "lib/layout/builtin_layouts.h"

#include "lib/layout/layout6.h"
#include "lib/layout/layout8.h"
#include "lib/layout/layout_sv1.h"

namespace stablevfs {

std::vector<LayoutInfo> BuiltinLayouts() {
  return {
      layout6::Info(),  // segmented page map, shadow paging (REFERENCE 3.1)
      layout8::Info(),  // pages in place, zero extents; ic-sqlite-vfs 2.x (REFERENCE 3.4)
      sv1::Info(),      // stablevfs's own: shadow paging that reuses freed space (docs/layout-sv1.md)
  };
}

}  // namespace stablevfs
