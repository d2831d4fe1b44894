// Layout-6 fsck: an independent decoder and validator of the segmented page map (REFERENCE 3.1).
//
// Given the bytes of one virtual memory, it decodes the superblock, the root table, the segment tables and
// the page entries from raw bytes with its own readers (raw_codec.h), and reports every inconsistency with the
// offset where it was found, in the layout-neutral LayoutReport (layout_report.h) every tool consumes. It never includes lib/layout, lib/vfs or lib/db: a decoder shared with the library
// would hide the library's decoding bugs. Independent by design; see ARCHITECTURE.md ("the reference models
// and the checker are deliberately separate implementations"). It also resolves the logical file the image
// describes, lists the page map for `stablevfs inspect`, and computes the orphan accounting.
//
// The validation rules (the specification is silent on some; these are the choices, and every one is a
// problem of the kind named in brackets):
//  Source
//   - the source holds at least the 152-byte superblock [too_small; decoding stops]; an empty memory is
//     reported the same way ("never initialised").
//   - its size is a whole number of 64 KiB pages, as every stable or virtual memory is [image_size].
//  Superblock (offsets are the field offsets)
//   - magic "ICSQLITE" at 0 [bad_magic; decoding stops: nothing else of ours can be trusted].
//   - version 6 at 8 [bad_version], page size 16384 at 12 [bad_page_size], layout_version 6 at 136
//     [bad_layout_version], meta_checksum at 144 = FNV-1a 64 of bytes 0..152 with 144..152 zeroed
//     [meta_checksum]. Decoding continues after these, so that one report shows everything.
//   - flags at 40 use only bits 1 (importing), 2 (checksum stale), 4 (refreshing) [unknown_flags].
//   - importing set: import_written_until (64) <= import_total_size (72); when the total is > 0,
//     import_base_offset (80) >= 64 KiB, the written part [base, base + written) lies inside the memory and
//     overlaps nothing the active page map reaches (staged bytes never touch the active image) [import_state].
//     Also for an empty import (the library refuses either): import_base_offset >= 64 KiB, and the whole
//     staging area (the import's pages back to back, then 2,056 bytes per 256 of them for the segment
//     tables and root entries publishing writes there) lies inside the memory [import_state, at 80].
//     importing clear (CheckOptions::require_idle_fields_zero): all four import fields 56..80 are zero.
//   - refreshing set: checksum_refresh_offset (88) <= db_size and checksum_refresh_tx_id (104) == last_tx_id
//     (every publish clears a refresh in progress). Refreshing clear (require_idle_fields_zero): 88, 96, 104
//     are zero [refresh_state].
//   - db_base_offset (112) and schema_version (24) are not constrained by layout 6.
//  Page map
//   - logical pages L = ceil(db_size / 16384); needed segments N = ceil(L / 256). db_size need not be a
//     multiple of 16384 (an import may have any length).
//   - root entry count S (128) == N [segment_count, at 128], as every writer stores it and the library's
//     loader demands: a short root would leave the file's tail with no place in the map (db_size past what the
//     map can hold), a longer one maps pages past the file. Absent (0) root entries are allowed anywhere.
//   - S > 0 requires page_table_offset (120) != 0, and S == 0 requires it to be 0 [root_table, at 120].
//   - every table and page: starts at or above 64 KiB [superblock_overlap], lies inside the memory
//     [out_of_bounds], offset is a multiple of CheckOptions::table_alignment_bytes (tables, default 8) or
//     ::page_alignment_bytes (pages, default 8; 16384 is the original writer's habit, not a format rule)
//     [misaligned]. Reported at the pointer: 120 for the root table, root_offset + 8*i for segment table i,
//     segment_offset + 8*slot for a page. A table that is out of bounds or overlaps the superblock is not
//     decoded further (its entries would be garbage); a misaligned one is.
//   - a mapped logical page p = 256*i + slot must be < L [beyond_db_size, at its slot].
//   - no two extents share a byte: superblock region [0, 64 KiB), root table (8*S bytes), segment tables
//     (2,048 bytes), pages (16 KiB) [overlap], reported at the pointer of the extent that comes later in
//     (offset, discovery order); discovery order is root, then segment tables and pages in logical order.
//   - the same page or table referenced twice is [mapped_twice], reported once per physical page or table, at
//     its second reference (for a page: the slot of the higher logical page), with the count of any further
//     references ("and N more"). Memory stays bounded by the image: a reused table is decoded again only for
//     its first kReusedTablesDecoded reuses (the mappings of later ones are counted in mappings_not_listed),
//     and each physical page becomes one extent however often it is named.
//  Space accounting (REFERENCE 3.1, an estimate as in the original)
//   - allocated = size of the memory in bytes; mapped = nonzero slots reachable from the root; segments =
//     nonzero root entries; active = 64 KiB + 16 KiB * mapped + 2,056 * segments; orphan = allocated - active
//     (0 if negative); ratio = orphan * 10,000 / allocated basis points (0 when allocated is 0);
//     compaction recommended when orphan >= active and orphan >= 16 MiB.
#pragma once

#include <cstdint>
#include <span>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/problem.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::check {

// Format constants of REFERENCE 3.1, spelled out here again on purpose (independent by design). The facts
// every layout of the family shares are in layout_report.h and named here too.
namespace layout6 {
using check::kCompactionFloorBytes;
using check::kFlagChecksumRefreshing;
using check::kFlagChecksumStale;
using check::kFlagImporting;
using check::kKnownFlags;
using check::kPageBytes;
using check::kSuperblockRegionBytes;
inline constexpr uint64_t kSuperblockBytes = 152;
inline constexpr uint64_t kSegmentSlots = 256;
inline constexpr uint64_t kEntryBytes = 8;
inline constexpr uint64_t kSegmentTableBytes = kSegmentSlots * kEntryBytes;
inline constexpr uint64_t kVersion = 6;
inline constexpr uint64_t kLayoutVersion = 6;
inline constexpr uint64_t kActiveBytesPerSegment = kSegmentTableBytes + kEntryBytes;  // 2,056
// How many references to an already decoded segment table add that table's mappings again (a damaged map;
// enough to show what a salvage resolves). Later ones are counted in LayoutReport::mappings_not_listed.
inline constexpr uint64_t kReusedTablesDecoded = 16;

// Field offsets inside the superblock (the common ones are check::field::*).
inline constexpr uint64_t kOffMagic = field::kMagic;
inline constexpr uint64_t kOffVersion = field::kVersion;
inline constexpr uint64_t kOffPageSize = field::kPageSize;
inline constexpr uint64_t kOffDbSize = field::kDbSize;
inline constexpr uint64_t kOffSchemaVersion = field::kSchemaVersion;
inline constexpr uint64_t kOffLastTxId = field::kLastTxId;
inline constexpr uint64_t kOffFlags = field::kFlags;
inline constexpr uint64_t kOffChecksum = field::kChecksum;
inline constexpr uint64_t kOffImportExpectedChecksum = field::kImportExpectedChecksum;
inline constexpr uint64_t kOffImportWrittenUntil = field::kImportWrittenUntil;
inline constexpr uint64_t kOffImportTotalSize = field::kImportTotalSize;
inline constexpr uint64_t kOffImportBaseOffset = field::kImportBaseOffset;
inline constexpr uint64_t kOffChecksumRefreshOffset = field::kChecksumRefreshOffset;
inline constexpr uint64_t kOffChecksumRefreshHash = field::kChecksumRefreshHash;
inline constexpr uint64_t kOffChecksumRefreshTxId = field::kChecksumRefreshTxId;
inline constexpr uint64_t kOffDbBaseOffset = field::kDbBaseOffset;
inline constexpr uint64_t kOffPageTableOffset = field::kPageTableOffset;
inline constexpr uint64_t kOffPageCount = field::kPageCount;
inline constexpr uint64_t kOffLayoutVersion = field::kLayoutVersion;
inline constexpr uint64_t kOffMetaChecksum = 144;

static_assert(kSegmentTableBytes == 2048);
static_assert(kActiveBytesPerSegment == 2056);
static_assert(kOffMetaChecksum == field::kCommonEnd);
static_assert(kOffMetaChecksum + 8 == kSuperblockBytes);
static_assert(kPageBytes * 4 == kSuperblockRegionBytes);
}  // namespace layout6

// Decodes the 152 superblock bytes: the common fields, the stored meta checksum and the one computed over
// bytes 0..152 with 144..152 zeroed. REQUIRES: raw.size() >= 152 (throws std::out_of_range otherwise).
SuperblockFields DecodeSuperblock6(std::span<const uint8_t> raw);

// FNV-1a 64 of superblock bytes 0..152 with the checksum field 144..152 taken as zeros.
// REQUIRES: raw.size() >= 152.
uint64_t ComputeMetaChecksum6(std::span<const uint8_t> raw);

// Decodes and validates the layout-6 image in `source` (see the rules above). Never throws for bad content;
// every inconsistency becomes a Problem. The report's layout is "6".
LayoutReport CheckLayout6(const ByteSource& source, const CheckOptions& options = {});
LayoutReport CheckLayout6(std::span<const uint8_t> image, const CheckOptions& options = {});
LayoutReport CheckLayout6(StableMemory& memory, const CheckOptions& options = {});

// The checker registry's entry for layout 6.
CheckerInfo Layout6Checker();

}  // namespace stablevfs::check
