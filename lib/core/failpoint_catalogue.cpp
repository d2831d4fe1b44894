#include "lib/core/failpoint_catalogue.h"

#include <array>

namespace stablevfs {
namespace {

using fp::kLibraryActions;
using fp::SiteInfo;

// One row per site. `simulates` says what the fault stands for and, where it matters for enumeration, how
// often the site is hit, because explore/ turns hit counts into crash points.
constexpr std::array kLibrarySites = {
    SiteInfo{"overlay.write", "lib/layout overlay",
             "a write error inside a transaction: an overlay xWrite fails (OverlayWrite)", kLibraryActions},
    SiteInfo{"overlay.truncate", "lib/layout overlay",
             "a truncate error inside a transaction: an overlay xTruncate fails (OverlayTruncate)", kLibraryActions},
    SiteInfo{"commit.capacity", "lib/layout commit",
             "a capacity check failure at the start of publish, before any grow (CommitCapacity)", kLibraryActions},
    SiteInfo{"commit.page_write", "lib/layout commit",
             "a page write failure mid-commit; hit once per dirty page, before its write (CommitChunkWrite)",
             kLibraryActions},
    SiteInfo{"commit.page_table_write", "lib/layout commit",
             "a page table write failure; hit once per segment or root table, before its write "
             "(CommitPageTableWrite)",
             kLibraryActions},
    SiteInfo{"commit.superblock_publish", "lib/layout commit",
             "a publish failure just before the superblock write that activates a commit (CommitSuperblockStore)",
             kLibraryActions},
    SiteInfo{"memory.grow", "lib/layout",
             "each grow the layout asks of its memory; error makes stable64_grow return -1 (GrowFailed)",
             kLibraryActions},
    SiteInfo{"sqlite.step", "lib/db", "each sqlite3_step; error makes the step fail with an SQLite error code (Step)",
             kLibraryActions},
    SiteInfo{"update.closure", "lib/db update",
             "after the user closure of Db::Update returns; error stands for an exception thrown inside the "
             "closure (panic in closure)",
             kLibraryActions},
    SiteInfo{"migrate.apply", "lib/db migrate", "a migration fails; hit once per migration, before it is applied",
             kLibraryActions},
    SiteInfo{"import.chunk", "lib/db import", "an import chunk fails to stage; hit once per ImportChunk",
             kLibraryActions},
    SiteInfo{"import.finish", "lib/db import", "FinishImport fails before it publishes the staged image",
             kLibraryActions},
    SiteInfo{"checksum.refresh_chunk", "lib/db checksum",
             "a chunked checksum refresh step fails; hit once per RefreshChecksumChunk", kLibraryActions},
    SiteInfo{"compact.copy", "lib/layout compact", "compaction fails while copying; hit once per page or table copied",
             kLibraryActions},
    SiteInfo{"compact.publish", "lib/layout compact", "compaction fails just before its superblock write",
             kLibraryActions},
    // Layout 8 (REFERENCE 3.4): its commit writes pages in place, so its sites differ from layout 6's.
    SiteInfo{"commit.page_write_in_place", "lib/layout commit (layout 8)",
             "a page write failure while a commit overwrites pages in place; hit once per dirty page, before its "
             "write (CommitChunkWrite of ic-sqlite-vfs 2.x); past the first page it must end in a trap",
             kLibraryActions},
    SiteInfo{"commit.superblock_store", "lib/layout commit (layout 8)",
             "the superblock store that activates an in-place commit or an import fails (CommitSuperblockStore); "
             "in a commit it traps on purpose, since the pages were already overwritten",
             kLibraryActions},
};

}  // namespace

std::span<const fp::SiteInfo> LibraryFailpoints() { return kLibrarySites; }

}  // namespace stablevfs
