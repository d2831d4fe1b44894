// Layout-8 fsck: an independent decoder and validator of the in-place layout of ic-sqlite-vfs 2.x
// (REFERENCE 3.4).
//
// Given the bytes of one virtual memory, it decodes the variable-length superblock (the common fields, the
// zero extent count, the meta checksum and the extents) from raw bytes with its own readers (raw_codec.h),
// resolves every logical page to its place (db_base_offset + n * 16 KiB, or zeros), and reports every
// inconsistency with the offset where it was found, in the layout-neutral LayoutReport (layout_report.h)
// every tool consumes. It never includes lib/layout, lib/vfs or lib/db: a decoder shared with the library
// would hide the library's decoding bugs. Independent by design; see ARCHITECTURE.md ("the reference models
// and the checker are deliberately separate implementations"). Every condition under which the library's
// Layout8::Open refuses an image is one of the problems below (a test holds the two lists together).
//
// The validation rules (the specification is silent on some; these are the choices, and every one is a
// problem of the kind named in brackets):
//  Source
//   - the source holds at least the 160-byte fixed part of the superblock [too_small; decoding stops]; an
//     empty memory is reported the same way ("never initialised").
//   - its size is a whole number of 64 KiB pages, as every stable or virtual memory is [image_size].
//  Superblock (offsets are the field offsets)
//   - magic "ICSQLITE" at 0 [bad_magic; decoding stops: nothing else of ours can be trusted].
//   - version 8 at 8 [bad_version], page size 16384 at 12 [bad_page_size], layout_version 8 at 136
//     [bad_layout_version]. Decoding continues after these, so that one report shows everything.
//   - zero_extent_count at 144 is at most 1,024 and the encoded length 160 + 16 * count lies inside the source
//     [zero_extents, at 144]. When either fails the extents are not decoded, the meta checksum cannot be
//     checked (the span it covers is unknown) and the pages resolve as if the list were empty.
//   - meta_checksum at 152 = FNV-1a 64 over [0, 160 + 16 * count) with bytes 152..160 taken as zeros
//     [meta_checksum]. Bytes past the encoded length (an older, longer list) are ignored, as the loader does.
//   - the extents are normalized: each non-empty (start < end) and each past the end of the one before it
//     without touching it (start_i > end_{i-1}, which also forbids overlapping and descending extents)
//     [zero_extents, at 160 + 16 i, the extent that breaks the rule]. A list that is not normalized still
//     resolves: a page inside any listed non-empty extent reads as zeros.
//   - flags, import and refresh fields as CheckCommonFields (layout_report.h) judges them for the whole
//     family [unknown_flags, import_state, refresh_state].
//   - page_count at 128 == ceil(db_size / 16384) [page_count, at 128]. A new kind rather than the segmented map's
//     segment_count: the field means pages here, not root entries, and a report should say what is wrong in
//     the layout's own words. Pages are resolved below the stored page_count, as the library reads them.
//   - page_table_offset at 120 == 0 [root_table, at 120]: the field names a map table in the family, and this layout
//     keeps none, so "a root table where there must be none" reads right and no new kind is needed.
//   - db_base_offset at 112 >= 64 KiB and a multiple of 16 KiB [db_base_offset, at 112]. The library refuses
//     only the first. Every writer (ic-sqlite-vfs and the library) places the base at 64 KiB or, publishing
//     an import, at the high-water mark, a multiple of 64 KiB; 16 KiB is the format's own unit (the page and
//     sector size), so a base off that grid is a damaged field, while demanding 64 KiB would encode one
//     writer's habit as a format rule (the same choice the segmented map's checker makes for page alignment).
//  In-place pages
//   - logical page n < page_count that is not inside a zero extent maps to db_base_offset + n * 16384
//     (PageMapping::slot_offset = 112, the field that places it); it is readable when its 16 KiB lie inside
//     the memory. The in-place region [db_base_offset, + page_count * 16 KiB) lies inside the memory
//     [out_of_bounds, at 112; one problem for the whole region, naming how many of the pages outside it are
//     not in a zero extent and therefore read as zeros although the file says they hold data]. Like the
//     library, the rule covers pages inside zero extents too: a commit always grows the memory over the
//     whole file, and any later commit may write such a page in place.
//   - the mappings list every mapped page up to the first unreadable one, then at most
//     kUnreadableMappingsListed unreadable ones (enough to show which pages are lost; a corrupt db_size must
//     not make the list exhaust the heap). space.mapped_pages counts them all.
//   - extents: the superblock region [0, 64 KiB) (kSuperblock), then one kPage extent per readable mapped
//     page at or past 64 KiB (index = logical page, referenced_at = 112): what the judge compares byte for
//     byte after an error, so that a commit that overwrote a page in place and returned an error shows. Pages
//     below 64 KiB are covered by the superblock region's extent and reported by the db_base_offset rule.
//     In-place pages are disjoint by construction, so CheckOverlaps has nothing to find and is not run.
//  Import staging (importing set)
//   - CheckImportStaging: the written part [import_base_offset, + import_written_until) lies inside the
//     memory and touches no active page [import_state, at 80]. When that found nothing, the library's rules:
//     import_base_offset >= 64 KiB also for an empty import; the whole staging area, import_total_size
//     rounded up to 16 KiB pages, lies inside the memory; and it does not overlap the in-place region
//     (zero-extent pages included, as the library's Validate judges it) [import_state, at 80].
//  Space accounting (REFERENCE 3.4, as the library's Stats)
//   - allocated = size of the memory; mapped = pages below page_count outside every zero extent; active =
//     64 KiB + 16 KiB * mapped (saturating); orphan = allocated - active (0 if negative); ratio = orphan *
//     10,000 / allocated basis points (0 when allocated is 0); compaction never recommended (nothing is
//     ever orphaned that compaction could reclaim); segments 0.
#pragma once

#include <cstdint>
#include <span>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/problem.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::check {

// Format constants of REFERENCE 3.4, spelled out here again on purpose (independent by design). The facts
// every layout of the family shares are in layout_report.h and named here too.
namespace layout8 {
using check::kPageBytes;
using check::kSuperblockRegionBytes;
inline constexpr uint32_t kVersion = 8;
inline constexpr uint64_t kLayoutVersion = 8;
inline constexpr uint64_t kMaxZeroExtents = 1024;

inline constexpr uint64_t kOffZeroExtentCount = 144;
inline constexpr uint64_t kOffMetaChecksum = 152;
inline constexpr uint64_t kOffExtents = 160;  // also the length of the fixed part
inline constexpr uint64_t kExtentBytes = 16;  // start_page u64, end_page u64
inline constexpr uint64_t kMaxSuperblockBytes = kOffExtents + kExtentBytes * kMaxZeroExtents;

// How many unreadable mappings a report lists (see the header comment).
inline constexpr uint64_t kUnreadableMappingsListed = 256;

// The bytes a superblock with `count` extents occupies. REQUIRES: count <= kMaxZeroExtents.
constexpr uint64_t EncodedBytes(uint64_t count) { return kOffExtents + kExtentBytes * count; }

static_assert(kOffZeroExtentCount == field::kCommonEnd);
static_assert(kOffZeroExtentCount + 8 == kOffMetaChecksum && kOffMetaChecksum + 8 == kOffExtents);
static_assert(kMaxSuperblockBytes == 16544);
static_assert(kMaxSuperblockBytes <= kSuperblockRegionBytes, "the longest superblock fits its region");
static_assert(kSuperblockRegionBytes % kPageBytes == 0);
}  // namespace layout8

// FNV-1a 64 over `encoded` (the whole encoding, 160 + 16 * count bytes) with bytes 152..160 taken as zeros.
// REQUIRES: encoded.size() >= 160 (throws std::out_of_range otherwise).
uint64_t ComputeMetaChecksum8(std::span<const uint8_t> encoded);

// Decodes the superblock at the start of `raw` without judging it: the common fields, the count and, when the
// count is at most 1,024 and `raw` holds the encoded length, the extents (as layout_fields) and the computed
// meta checksum (0 otherwise). raw in the result holds the encoded bytes (only the first 160 when the extents
// could not be decoded). REQUIRES: raw.size() >= 160 (throws std::out_of_range otherwise).
SuperblockFields DecodeSuperblock8(std::span<const uint8_t> raw);

// Decodes and validates the layout-8 image in `source` (see the rules above). Never throws for bad content;
// every inconsistency becomes a Problem. The report's layout is "8".
LayoutReport CheckLayout8(const ByteSource& source, const CheckOptions& options = {});
LayoutReport CheckLayout8(std::span<const uint8_t> image, const CheckOptions& options = {});
LayoutReport CheckLayout8(StableMemory& memory, const CheckOptions& options = {});

// The checker registry's entry for layout 8 (name "8", magic "ICSQLITE", version 8).
CheckerInfo Layout8Checker();

}  // namespace stablevfs::check
