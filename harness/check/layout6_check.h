// Layout-6 fsck: an independent decoder and validator of the segmented page map (REFERENCE 3.1).
//
// Given the bytes of one virtual memory, it decodes the superblock, the root table, the segment tables and
// the page entries from raw bytes with its own readers (raw_codec.h), and reports every inconsistency with the
// offset where it was found. It never includes lib/layout, lib/vfs or lib/db: a decoder shared with the library
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
//     importing clear (CheckOptions::require_idle_fields_zero): all four import fields 56..80 are zero.
//   - refreshing set: checksum_refresh_offset (88) <= db_size and checksum_refresh_tx_id (104) == last_tx_id
//     (every publish clears a refresh in progress). Refreshing clear (require_idle_fields_zero): 88, 96, 104
//     are zero [refresh_state].
//   - db_base_offset (112) and schema_version (24) are not constrained by layout 6.
//  Page map
//   - logical pages L = ceil(db_size / 16384); needed segments N = ceil(L / 256). db_size need not be a
//     multiple of 16384 (an import may have any length).
//   - root entry count S (128) <= N [segment_count, at 128]. Fewer is allowed: the missing trailing segments
//     read as zeros, exactly like absent (0) root entries, which are allowed anywhere.
//   - S > 0 requires page_table_offset (120) != 0 [root_table, at 120]. S == 0 with a nonzero offset is
//     allowed (a zero-length root table harms nothing) but the offset must still be in bounds and aligned.
//   - every table and page: starts at or above 64 KiB [superblock_overlap], lies inside the memory
//     [out_of_bounds], offset is a multiple of CheckOptions::table_alignment_bytes (tables, default 8) or
//     ::page_alignment_bytes (pages, default 8; 16384 is the original writer's habit, not a format rule)
//     [misaligned]. Reported at the pointer: 120 for the root table, root_offset + 8*i for segment table i,
//     segment_offset + 8*slot for a page. A table that is out of bounds or overlaps the superblock is not
//     decoded further (its entries would be garbage); a misaligned one is.
//   - a mapped logical page p = 256*i + slot must be < L [beyond_db_size, at its slot].
//   - no two extents share a byte: superblock region [0, 64 KiB), root table (8*S bytes), segment tables
//     (2,048 bytes), pages (16 KiB) [overlap]; the same page or table referenced twice is [mapped_twice].
//     Reported at the pointer of the extent that comes later in (offset, discovery order); discovery order is
//     root, then segment tables and pages in logical order, so a page mapped twice is reported at the slot of
//     the higher logical page.
//  Space accounting (REFERENCE 3.1, an estimate as in the original)
//   - allocated = size of the memory in bytes; mapped = nonzero slots reachable from the root; segments =
//     nonzero root entries; active = 64 KiB + 16 KiB * mapped + 2,056 * segments; orphan = allocated - active
//     (0 if negative); ratio = orphan * 10,000 / allocated basis points (0 when allocated is 0);
//     compaction recommended when orphan >= active and orphan >= 16 MiB.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/problem.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::check {

// Format constants of REFERENCE 3.1, spelled out here again on purpose (independent by design).
namespace layout6 {
inline constexpr uint64_t kSuperblockRegionBytes = 65536;
inline constexpr uint64_t kSuperblockBytes = 152;
inline constexpr uint64_t kPageBytes = 16384;
inline constexpr uint64_t kSegmentSlots = 256;
inline constexpr uint64_t kEntryBytes = 8;
inline constexpr uint64_t kSegmentTableBytes = kSegmentSlots * kEntryBytes;
inline constexpr uint64_t kVersion = 6;
inline constexpr uint64_t kLayoutVersion = 6;
inline constexpr uint64_t kFlagImporting = 1;
inline constexpr uint64_t kFlagChecksumStale = 2;
inline constexpr uint64_t kFlagChecksumRefreshing = 4;
inline constexpr uint64_t kKnownFlags = kFlagImporting | kFlagChecksumStale | kFlagChecksumRefreshing;
inline constexpr uint64_t kCompactionFloorBytes = 16ull * 1024 * 1024;
inline constexpr uint64_t kActiveBytesPerSegment = kSegmentTableBytes + kEntryBytes;  // 2,056

// Field offsets inside the superblock.
inline constexpr uint64_t kOffMagic = 0;
inline constexpr uint64_t kOffVersion = 8;
inline constexpr uint64_t kOffPageSize = 12;
inline constexpr uint64_t kOffDbSize = 16;
inline constexpr uint64_t kOffSchemaVersion = 24;
inline constexpr uint64_t kOffLastTxId = 32;
inline constexpr uint64_t kOffFlags = 40;
inline constexpr uint64_t kOffChecksum = 48;
inline constexpr uint64_t kOffImportExpectedChecksum = 56;
inline constexpr uint64_t kOffImportWrittenUntil = 64;
inline constexpr uint64_t kOffImportTotalSize = 72;
inline constexpr uint64_t kOffImportBaseOffset = 80;
inline constexpr uint64_t kOffChecksumRefreshOffset = 88;
inline constexpr uint64_t kOffChecksumRefreshHash = 96;
inline constexpr uint64_t kOffChecksumRefreshTxId = 104;
inline constexpr uint64_t kOffDbBaseOffset = 112;
inline constexpr uint64_t kOffPageTableOffset = 120;
inline constexpr uint64_t kOffPageCount = 128;
inline constexpr uint64_t kOffLayoutVersion = 136;
inline constexpr uint64_t kOffMetaChecksum = 144;

static_assert(kSegmentTableBytes == 2048);
static_assert(kActiveBytesPerSegment == 2056);
static_assert(kOffMetaChecksum + 8 == kSuperblockBytes);
static_assert(kPageBytes * 4 == kSuperblockRegionBytes);
}  // namespace layout6

// The superblock as raw fields, decoded without judging them.
struct Superblock6 {
  std::array<uint8_t, layout6::kSuperblockBytes> raw{};  // bytes 0..152 as stored
  bool magic_ok = false;
  uint32_t version = 0;
  uint32_t page_size = 0;
  uint64_t db_size = 0;
  uint64_t schema_version = 0;
  uint64_t last_tx_id = 0;
  uint64_t flags = 0;
  uint64_t checksum = 0;
  uint64_t import_expected_checksum = 0;
  uint64_t import_written_until = 0;
  uint64_t import_total_size = 0;
  uint64_t import_base_offset = 0;
  uint64_t checksum_refresh_offset = 0;
  uint64_t checksum_refresh_hash = 0;
  uint64_t checksum_refresh_tx_id = 0;
  uint64_t db_base_offset = 0;
  uint64_t page_table_offset = 0;   // root table offset (0 = none)
  uint64_t page_count = 0;          // root entry count (number of segments)
  uint64_t layout_version = 0;
  uint64_t meta_checksum = 0;           // as stored at 144
  uint64_t computed_meta_checksum = 0;  // FNV-1a of 0..152 with 144..152 zeroed

  // ceil(db_size / 16384): the logical pages the file spans.
  uint64_t logical_pages() const;
};

// Decodes the 152 superblock bytes. REQUIRES: raw.size() >= 152 (throws std::out_of_range otherwise).
Superblock6 DecodeSuperblock6(std::span<const uint8_t> raw);

// FNV-1a 64 of superblock bytes 0..152 with the checksum field 144..152 taken as zeros.
// REQUIRES: raw.size() >= 152.
uint64_t ComputeMetaChecksum6(std::span<const uint8_t> raw);

enum class ExtentKind : uint8_t { kSuperblock, kRootTable, kSegmentTable, kPage };
std::string_view ExtentKindName(ExtentKind kind);

// A region of the memory that the active superblock reaches.
struct Extent {
  ExtentKind kind;
  uint64_t offset_bytes;
  uint64_t length_bytes;
  uint64_t index;          // segment number (segment table) or logical page (page); 0 otherwise
  uint64_t referenced_at;  // offset of the pointer that names this extent (0 for the superblock region)

  uint64_t end_bytes() const { return offset_bytes + length_bytes; }
  bool operator==(const Extent&) const = default;
};

// One nonzero page-table slot: logical page -> physical offset.
struct PageMapping {
  uint64_t logical_page;
  uint64_t physical_offset;
  uint64_t slot_offset;  // where the entry is stored (segment table offset + 8 * slot)
  bool readable;         // the whole 16 KiB lies inside the memory
  bool operator==(const PageMapping&) const = default;
};

struct SpaceAccounting {
  uint64_t allocated_bytes = 0;  // size of the memory
  uint64_t active_bytes = 0;     // 64 KiB + 16 KiB * mapped_pages + 2,056 * segments
  uint64_t orphan_bytes = 0;     // allocated - active, floored at 0
  uint64_t orphan_ratio_bp = 0;  // orphan * 10,000 / allocated
  bool compaction_recommended = false;
  uint64_t mapped_pages = 0;     // nonzero slots reachable from the root
  uint64_t segments = 0;         // nonzero root entries
};

struct CheckOptions {
  uint64_t table_alignment_bytes = 8;
  uint64_t page_alignment_bytes = 8;
  bool require_idle_fields_zero = true;  // import / refresh fields must be zero while their flag is clear
  size_t max_problems = 1000;            // later problems are counted in problems_suppressed only
};

struct Layout6Report {
  uint64_t source_bytes = 0;
  bool decoded = false;  // the source holds a superblock with our magic; the fields below are meaningful
  Superblock6 superblock;
  std::vector<uint64_t> root_entries;  // segment table offsets (0 = absent); empty if the root was not read
  std::vector<PageMapping> mappings;   // every nonzero slot, ascending logical page
  std::vector<Extent> extents;         // everything the active superblock reaches, ascending offset
  SpaceAccounting space;
  std::vector<Problem> problems;
  uint64_t problems_suppressed = 0;

  bool ok() const { return problems.empty() && problems_suppressed == 0; }
  // True iff some problem of `kind` was reported at `offset_bytes`.
  bool Has(ProblemKind kind, uint64_t offset_bytes) const;
  // True iff some problem of `kind` was reported.
  bool Has(ProblemKind kind) const;
  // The mapping of `logical_page`, or nullptr when the page is not mapped.
  const PageMapping* Find(uint64_t logical_page) const;
};

// Decodes and validates the layout-6 image in `source` (see the rules above). Never throws for bad content;
// every inconsistency becomes a Problem.
Layout6Report CheckLayout6(const ByteSource& source, const CheckOptions& options = {});
Layout6Report CheckLayout6(std::span<const uint8_t> image, const CheckOptions& options = {});
Layout6Report CheckLayout6(StableMemory& memory, const CheckOptions& options = {});

// Reads logical page `logical_page` as the image decodes it into `out`: the mapped physical page when it is
// readable, zeros when it is unmapped, absent, unreadable or at or past ceil(db_size / 16384). The file's tail
// past db_size inside the last page is returned as stored (callers trim to db_size).
// REQUIRES: report came from CheckLayout6(source) and report.decoded; out.size() == 16384.
void ReadLogicalPage(const ByteSource& source, const Layout6Report& report, uint64_t logical_page,
                     std::span<uint8_t> out);

// The logical file [0, db_size) as the image decodes it (ReadLogicalPage for every page, trimmed).
// REQUIRES: report.decoded (std::invalid_argument otherwise); db_size <= max_bytes (std::length_error
// otherwise: a corrupt db_size must not exhaust the heap).
std::vector<uint8_t> ResolveLogicalImage(const ByteSource& source, const Layout6Report& report,
                                         uint64_t max_bytes = uint64_t{1} << 32);

// Compares an expected logical file (a page model) with a decoded one. Returns no problem when they are equal;
// otherwise one kLogicalDiffers at the first differing logical offset (or at the shorter length).
std::vector<Problem> CompareLogical(std::span<const uint8_t> expected, std::span<const uint8_t> actual);

// A human-readable summary: superblock fields, space accounting, problems.
std::string FormatReport(const Layout6Report& report);

// The page map, one line per extent in offset order ("0x10000 +16384 page 3 <- slot @0x24018"), then one line
// per logical page ("page 3 -> 0x10000"). For `stablevfs inspect` and its picture.
std::string FormatPageMap(const Layout6Report& report);

}  // namespace stablevfs::check
