// The --layout option every command that creates or runs on a fresh memory takes, parsed in one place.
//
// A layout is named by its registered name (lib/layout/layout_registry.h: "6", "8", ...); `all` (where a
// command accepts it) means every builtin layout, in registration order. An unknown name is a usage error that
// lists the registered ones.
#pragma once

#include <string>
#include <vector>

#include "harness/cli/args.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::cli {

// Appends the --layout option to `specs`. `allow_all`: the help text mentions `all`.
void AddLayoutOption(std::vector<OptionSpec>& specs, bool allow_all, const std::string& what = "");

// The layout --layout names (the registry's default when absent). Throws UsageError for an unknown name and,
// unless `allow_all`, for `all`.
const LayoutInfo& LayoutFromArgs(const Args& args);
// The layouts --layout names: one, or every builtin for `all`.
std::vector<const LayoutInfo*> LayoutsFromArgs(const Args& args);

// "layout NAME (promise)", e.g. "layout 8 (trap-rollback)": a layout and its promise, for report headers.
std::string DescribeLayout(const LayoutInfo& layout);

}  // namespace stablevfs::cli
