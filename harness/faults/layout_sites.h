// Which failpoint sites a run on a given layout reaches, and where a crash may leave a commit's new state.
//
// The catalogue lists every site of every layout (names are permanent). A layout registers the layout-level
// sites its own code evaluates (LayoutInfo::sites); every catalogued site that no registered layout claims is
// shared (the overlay, SQLite's step, the Db's migrate/import/checksum sites, the simulator's memory.write) and
// reached by every layout. The coverage gate, the generator's arm sites and the explorer all use this one rule.
#pragma once

#include <string_view>
#include <vector>

#include "failpoints/catalogue.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::faults {

// The name of the simulator's storage site (harness/sim: every stable write).
inline constexpr std::string_view kStorageWriteSite = "memory.write";

// True when some registered layout claims `site` as its own.
bool IsLayoutSite(std::string_view site);
// True when a run on `layout` can reach `site`: a shared site, or one of the layout's own.
bool SiteReachedBy(std::string_view site, const LayoutInfo& layout);
// The sites of `catalogue` a run on `layout` can reach, in the catalogue's order (by name).
std::vector<fp::SiteInfo> SitesReachedBy(const LayoutInfo& layout, const fp::Catalogue& catalogue);

// Whether a crash at `site` may legitimately leave the new state of a commit: only while the commit is being
// published, after SQLite's COMMIT returned, which is where the layout's own sites and the stable writes they
// make are evaluated. Everywhere else (inside SQLite's transaction, a migration, an import step) a crash must
// leave the old logical file.
bool CrashMayLeaveNewState(std::string_view site, const LayoutInfo& layout);

}  // namespace stablevfs::faults
