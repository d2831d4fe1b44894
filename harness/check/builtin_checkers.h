// The builtin checkers, one line each in builtin_checkers.cpp: beside every builtin layout of lib/layout, its
// independent checker.
#pragma once

#include <vector>

#include "harness/check/checker_registry.h"

namespace stablevfs::check {

std::vector<CheckerInfo> BuiltinCheckers();

}  // namespace stablevfs::check
