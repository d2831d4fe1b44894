// STABLEVFS_FAILPOINTS: the environment variable that arms failpoints for a whole command, beside the
// command's own spec option (--faults; sql's --failpoints).
//
// The rule, the same in every command that runs the library under failpoints (fuzz, replay, explore, slt,
// sql): both are armed. The spec in effect is the variable's entries followed by the option's, and a site
// that both name takes the option's chain (the command line is the more specific of the two). The spec in
// effect is what the command prints, records in its reports and writes into a saved counterexample, so a
// replay needs neither the variable nor the terminal it was set in. A malformed value is bad input (exit 2)
// naming the variable, checked before anything runs, like a malformed --faults.
//
// `check` runs each suite with faults of its own choosing and refuses to run while the variable is set
// (RefuseFailpointsEnvironment), rather than ignoring it silently. The image tools run no failpoints.
#pragma once

#include <string>

namespace stablevfs::cli {

inline constexpr const char* kFailpointsVariable = "STABLEVFS_FAILPOINTS";

// The spec in effect for a command whose option `option` holds `option_text` (see above), checked against
// the catalogue. Without the variable (unset or blank) it is the option's text, trimmed (CheckFaultSpec);
// with it, the merged spec in canonical form (fp::ToString). Throws UsageError naming the variable or the
// option, with the column of the bad token.
std::string FaultsWithEnvironment(const std::string& option_text, const std::string& option);

// Throws UsageError when STABLEVFS_FAILPOINTS is set to a non-blank value: `command` would not honour it.
void RefuseFailpointsEnvironment(const std::string& command, const std::string& why);

}  // namespace stablevfs::cli
