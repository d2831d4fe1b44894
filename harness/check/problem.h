// Problem: one inconsistency the checker found, with the byte offset where it was found.
//
// Checks never stop at the first problem: they return a list, so that a report shows everything wrong with an
// image at once. The offset is where the evidence lies: the field or table entry that holds the bad value
// (for a bad pointer, the offset of the pointer, not of what it points to), or the first differing byte of a
// comparison. Offsets are relative to the source that was checked (a virtual memory for layout checks, the raw
// stable memory for MemoryManager checks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stablevfs::check {

enum class ProblemKind : uint8_t {
  // Shape of the source itself.
  kTooSmall,           // the source cannot hold the structure it should start with
  kImageSize,          // not a whole number of 64 KiB pages
  // Superblock of the ic-sqlite-vfs family (each layout with its own version and checksum span).
  kBadMagic,           // not "ICSQLITE": not an image of the family at all (decoding stops)
  kBadVersion,         // superblock version != the layout's (6, 8)
  kBadPageSize,        // page size != 16384
  kBadLayoutVersion,   // layout_version != the layout's (6, 8)
  kMetaChecksum,       // meta_checksum does not match the bytes it covers
  kUnknownFlags,       // flag bits other than importing / stale / refreshing
  kImportState,        // import fields inconsistent with the importing flag
  kRefreshState,       // checksum-refresh fields inconsistent with the refreshing flag
  // Layout 6 page map (layout 8 reuses root_table and out_of_bounds for its in-place pages).
  kRootTable,          // root entry count and root table offset disagree; layout 8: a page table where it keeps none
  kSegmentCount,       // more root entries than db_size needs
  kOutOfBounds,        // a table or page lies (partly) outside the memory
  kMisaligned,         // a table or page offset breaks the alignment rule
  kSuperblockOverlap,  // a table or page starts inside the superblock region [0, 64 KiB)
  kOverlap,            // two tables, or a table and a page, or two pages share bytes
  kMappedTwice,        // the same physical page (or table) is referenced twice
  kBeyondDbSize,       // a logical page at or past ceil(db_size / 16384) is mapped
  // MemoryManager header (REFERENCE 2).
  kMmMagic,            // not "MGR" (decoding stops)
  kMmVersion,          // layout version != 1
  kMmBucketCount,      // allocated bucket count > 32,768
  kMmBucketSize,       // bucket size 0
  kMmReserved,         // reserved header bytes not zero
  kMmOwner,            // an allocated bucket without owner, or an unallocated bucket with one
  kMmBucketMismatch,   // a memory's bucket count != ceil(size / bucket size)
  kMmBackingSize,      // the raw memory is smaller than 1 + bucket size * allocated pages
  kMmNoMemory,         // the requested MemoryId has no memory
  // Comparisons between two states (transition.h) or an image and a model.
  kActiveStateDiffers, // the active superblock or something the page map reaches changed
  kLogicalDiffers,     // the logical file differs from what was expected
  kTxId,               // last_tx_id went backwards, jumped, or db_size changed without a commit
  // Layout 8 superblock (REFERENCE 3.4). Kinds are appended here, never inserted: their values and names are
  // permanent.
  kZeroExtents,        // zero extent count over 1,024 or past the source, or an extent list not normalized
  kPageCount,          // page_count != ceil(db_size / 16384)
  kDbBaseOffset,       // db_base_offset inside the superblock region or off the 16 KiB page grid
  // Layout sv1 (docs/layout-sv1.md).
  kSlotSequence,       // two valid superblock slots whose sequences are equal or more than one apart
};

// The permanent short name of a kind ("bad_magic", "overlap", ...), used in reports and by tests.
std::string_view ProblemKindName(ProblemKind kind);

struct Problem {
  ProblemKind kind;
  uint64_t offset_bytes;  // where it was found (see the header comment)
  std::string message;    // one short sentence with the values involved

  bool operator==(const Problem&) const = default;
};

// "@<offset> (0x<hex>) <kind>: <message>".
std::string FormatProblem(const Problem& problem);

// One problem per line, or "no problems".
std::string FormatProblems(const std::vector<Problem>& problems);

}  // namespace stablevfs::check
