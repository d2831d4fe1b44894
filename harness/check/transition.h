// Transition checks: what may change between two states of one image, for every layout.
//
// The judgement table (ARCHITECTURE.md) needs two comparisons besides fsck itself:
//  - after an operation that returned an error, the *active state* must be byte-identical to before: the
//    superblock region and everything the page map reaches (root table, segment tables, pages). Orphan space
//    may change (a failed commit may leave written-but-unpublished pages behind), so whole-memory equality
//    would be too strict, and logical equality too weak.
//  - last_tx_id never goes backwards, advances by at most the number of commits the step could make, and the
//    logical size cannot change without a commit.
// Both decode with the independent checkers (checker_registry.h; independent by design, see ARCHITECTURE.md):
// what "the active state" covers is the extents the layout's checker reports, so the rule holds for a layout
// that writes in place (layout 8: its pages in place are active state) as for one that shadow-pages.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/problem.h"

namespace stablevfs::check {

// Compares the active state of `before` with the same bytes of `after`: the superblock region [0, 64 KiB)
// and every extent the superblock of `before` reaches as its checker reports them (a root table,
// segment tables and pages; layout 8: the pages in place; extents the checker could not place inside `before`
// are skipped), offset for offset. `layout` names the preferred checker (CheckImage). When all of those are equal,
// `after` necessarily reaches the same extents. Returns one kActiveStateDiffers problem per differing extent,
// at its first differing byte, or where one memory ends inside the extent and the other does not (an empty
// `before` against an initialised `after` is a difference). Growth of the memory beyond them is allowed.
std::vector<Problem> CompareActiveState(const ByteSource& before, const ByteSource& after,
                                        std::string_view layout = "");

// Checks how last_tx_id moved from `before` to `after` (both decoded superblocks):
//  - it never decreases;
//  - it advances by at most `max_advance` (one for a single update, import or migration message);
//  - when it did not advance, db_size is unchanged (only a publish changes the logical size).
// Problems are reported at the offset of the field in `after`'s superblock (its base + 32 for last_tx_id,
// + 16 for db_size).
std::vector<Problem> CheckTxIdTransition(const SuperblockFields& before, const SuperblockFields& after,
                                         uint64_t max_advance = 1);

}  // namespace stablevfs::check
