// The layout of docs/adding-a-layout.md: layout 8, plus a copy of its superblock at 32 KiB.
//
// Layout 8 uses the first 160 + 16 * count bytes of its 64 KiB superblock region and leaves the rest unused
// (REFERENCE 3.4), so a copy of the superblock fits there without moving anything: this layout stores layout
// 8's magic and version, reads like layout 8, and rewrites the copy right after every superblock write. Its
// independent checker is layout 8's, plus one rule: the copy equals the superblock. It promises what layout 8
// promises (trap rollback only): the copy is written after the commit point, so a crash between the two leaves
// them apart, and under powerloss that is one more expected failure.
#pragma once

#include "harness/check/checker_registry.h"
#include "lib/layout/layout_registry.h"

namespace stablevfs::variants {

// Where the copy lives, in the superblock region of layout 8.
inline constexpr uint64_t kMirrorOffsetBytes = 32768;

// The codec's registry entry, and the checker's.
LayoutInfo SuperblockMirrorInfo();
check::CheckerInfo SuperblockMirrorChecker();

// Registers both (the two registration lines of the guide).
void RegisterSuperblockMirrorLayout();

}  // namespace stablevfs::variants
