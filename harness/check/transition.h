// Transition checks: what may change between two states of one layout-6 image.
//
// The judgement table (ARCHITECTURE.md) needs two comparisons besides fsck itself:
//  - after an operation that returned an error, the *active state* must be byte-identical to before: the
//    superblock region and everything the page map reaches (root table, segment tables, pages). Orphan space
//    may change (a failed commit may leave written-but-unpublished pages behind), so whole-memory equality
//    would be too strict, and logical equality too weak.
//  - last_tx_id never goes backwards, advances by at most the number of commits the step could make, and the
//    logical size cannot change without a commit.
// Both decode with the checker's own layout-6 decoder (independent by design; see ARCHITECTURE.md).
#pragma once

#include <cstdint>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/layout6_check.h"
#include "harness/check/problem.h"

namespace stablevfs::check {

// Compares the active state of `before` with the same bytes of `after`: the superblock region [0, 64 KiB)
// and every extent the page map of `before` reaches (its root table, segment tables and pages; those that
// CheckLayout6 could not place inside `before` are skipped), offset for offset. When all of those are equal,
// `after` necessarily reaches the same extents. Returns one kActiveStateDiffers problem per differing extent,
// at its first differing byte, or where one memory ends inside the extent and the other does not (an empty
// `before` against an initialised `after` is a difference). Growth of the memory beyond them is allowed.
std::vector<Problem> CompareActiveState(const ByteSource& before, const ByteSource& after);

// Checks how last_tx_id moved from `before` to `after` (both decoded superblocks):
//  - it never decreases;
//  - it advances by at most `max_advance` (one for a single update, import or migration message);
//  - when it did not advance, db_size is unchanged (only a publish changes the logical size).
// Problems are reported at the offset of the field in `after`'s superblock (32 for last_tx_id, 16 for db_size).
std::vector<Problem> CheckTxIdTransition(const Superblock6& before, const Superblock6& after,
                                         uint64_t max_advance = 1);

}  // namespace stablevfs::check
