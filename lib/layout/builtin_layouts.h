// The builtin layouts, one line each in builtin_layouts.cpp: the only place a new layout is listed.
#pragma once

#include <vector>

#include "lib/layout/layout_registry.h"

namespace stablevfs {

// Every layout this library ships, in the order `--layout all` runs them.
std::vector<LayoutInfo> BuiltinLayouts();

}  // namespace stablevfs
