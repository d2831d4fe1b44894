// LayoutReport: what an independent layout checker found in one virtual memory, in words every layout shares.
//
// Each layout's checker (harness/check/<layout>_check.h) decodes its own format from raw bytes with the
// checker's own readers and fills this one report: the superblock's fields, how every logical page resolves
// (a physical offset, or zeros), the extents the active superblock reaches (superblock region, map tables,
// pages), the space accounting, and every problem with its offset. fsck, inspect, its SVG, extract, the judge
// and the crash-transition rules consume only this report, so a new layout is a checker that fills it and one
// line in the checker registry (checker_registry.h), not an edit to each tool.
//
// Independent by design (ARCHITECTURE.md): nothing here, and no checker, includes the library's decoders.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/problem.h"

namespace stablevfs::check {

// Facts of the ic-sqlite-vfs family that every checker shares (REFERENCE 3.1), spelled out again here on
// purpose (independent by design).
inline constexpr uint64_t kPageBytes = 16384;                // the SQLite page size every layout uses
inline constexpr uint64_t kWasmPageBytes = 65536;            // a stable (or virtual) memory grows in these
inline constexpr uint64_t kSuperblockRegionBytes = 65536;    // [0, 64 KiB): the superblock region
inline constexpr uint64_t kFlagImporting = 1;
inline constexpr uint64_t kFlagChecksumStale = 2;
inline constexpr uint64_t kFlagChecksumRefreshing = 4;
inline constexpr uint64_t kKnownFlags = kFlagImporting | kFlagChecksumStale | kFlagChecksumRefreshing;
inline constexpr uint64_t kCompactionFloorBytes = 16ull * 1024 * 1024;

// ceil(value / divisor). REQUIRES: divisor > 0.
constexpr uint64_t CeilDiv(uint64_t value, uint64_t divisor) { return value / divisor + (value % divisor != 0); }

// A field of one layout only, with the offset it is stored at (for inspect and for problem reports).
struct LayoutField {
  std::string name;
  uint64_t offset_bytes = 0;
  uint64_t value = 0;
  // Records the write itself, not the state (a slot's sequence number, which slot is active): it changes with
  // every superblock write of a layout that alternates slots, so the state comparisons leave it out.
  bool bookkeeping = false;
  bool operator==(const LayoutField&) const = default;
};

// The active superblock, decoded without judging it. The common fields are those the ic-sqlite-vfs family
// stores at offsets 0..136 of its superblock (REFERENCE 3.1, 3.4); a layout that keeps them elsewhere (in a
// slot) decodes them into the same members and says where in `offset_bytes`.
struct SuperblockFields {
  uint64_t offset_bytes = 0;   // where the active superblock starts in the memory
  std::vector<uint8_t> raw;    // its bytes as stored (as many as the layout's encoding covers)
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
  uint64_t page_table_offset = 0;  // a map table's offset, where the layout has one (0 otherwise)
  uint64_t page_count = 0;         // the layout's count: root entries, or logical pages (its field notes say)
  uint64_t layout_version = 0;
  uint64_t meta_checksum = 0;           // as stored
  uint64_t computed_meta_checksum = 0;  // over the bytes the layout's checksum covers
  std::vector<LayoutField> layout_fields;  // past the common part (layout 8: zero_extent_count, extents)

  // ceil(db_size / 16384): the logical pages the file spans.
  uint64_t logical_pages() const { return CeilDiv(db_size, kPageBytes); }
  bool importing() const { return (flags & kFlagImporting) != 0; }
};

// Offsets of the common fields inside a superblock of the family (REFERENCE 3.1), for problem reports.
namespace field {
inline constexpr uint64_t kMagic = 0;
inline constexpr uint64_t kVersion = 8;
inline constexpr uint64_t kPageSize = 12;
inline constexpr uint64_t kDbSize = 16;
inline constexpr uint64_t kSchemaVersion = 24;
inline constexpr uint64_t kLastTxId = 32;
inline constexpr uint64_t kFlags = 40;
inline constexpr uint64_t kChecksum = 48;
inline constexpr uint64_t kImportExpectedChecksum = 56;
inline constexpr uint64_t kImportWrittenUntil = 64;
inline constexpr uint64_t kImportTotalSize = 72;
inline constexpr uint64_t kImportBaseOffset = 80;
inline constexpr uint64_t kChecksumRefreshOffset = 88;
inline constexpr uint64_t kChecksumRefreshHash = 96;
inline constexpr uint64_t kChecksumRefreshTxId = 104;
inline constexpr uint64_t kDbBaseOffset = 112;
inline constexpr uint64_t kPageTableOffset = 120;
inline constexpr uint64_t kPageCount = 128;
inline constexpr uint64_t kLayoutVersion = 136;
inline constexpr uint64_t kCommonEnd = 144;  // the first byte past the common fields
}  // namespace field

// Decodes the common fields from `raw` (at least field::kCommonEnd bytes; std::out_of_range otherwise). Leaves
// meta_checksum, computed_meta_checksum and layout_fields to the layout.
SuperblockFields DecodeCommonFields(std::span<const uint8_t> raw, uint64_t offset_bytes);

enum class ExtentKind : uint8_t {
  kSuperblock,    // the superblock region (or one superblock slot)
  kRootTable,     // a top-level map table (a root table)
  kSegmentTable,  // a second-level map table (a segment table)
  kPage,          // a physical page holding a logical page
};
// "superblock", "root", "segment", "page": permanent (inspect's text and JSON use them).
std::string_view ExtentKindName(ExtentKind kind);

// A region of the memory that the active superblock reaches.
struct Extent {
  ExtentKind kind;
  uint64_t offset_bytes;
  uint64_t length_bytes;
  uint64_t index;          // segment number (map table) or logical page (page); 0 otherwise
  uint64_t referenced_at;  // offset of the pointer or field that names this extent (0 for the superblock)
  // A superblock region the layout may rewrite without changing its state (it alternates checksummed slots
  // with a sequence number): compared by the decoded superblock fields, bookkeeping left out, instead of byte
  // for byte. Every other extent is compared byte for byte.
  bool compare_fields = false;

  uint64_t end_bytes() const { return offset_bytes + length_bytes; }
  bool operator==(const Extent&) const = default;
};

// How one logical page resolves to stored bytes: logical page -> physical offset. A page with no mapping
// reads as zeros.
struct PageMapping {
  uint64_t logical_page;
  uint64_t physical_offset;
  uint64_t slot_offset;  // where the reference is stored (a table slot, or the field that places it)
  bool readable;         // the whole 16 KiB lies inside the memory
  bool operator==(const PageMapping&) const = default;
};

struct SpaceAccounting {
  uint64_t allocated_bytes = 0;  // size of the memory
  uint64_t active_bytes = 0;     // what the active superblock reaches, as the layout estimates it
  uint64_t orphan_bytes = 0;     // allocated - active, floored at 0
  uint64_t orphan_ratio_bp = 0;  // orphan * 10,000 / allocated
  bool compaction_recommended = false;
  uint64_t mapped_pages = 0;     // logical pages that resolve to a physical page
  uint64_t segments = 0;         // second-level map tables the superblock reaches (0 for pages in place)
};

struct CheckOptions {
  uint64_t table_alignment_bytes = 8;
  uint64_t page_alignment_bytes = 8;
  bool require_idle_fields_zero = true;  // import / refresh fields must be zero while their flag is clear
  size_t max_problems = 1000;            // later problems are counted in problems_suppressed only
};

struct LayoutReport {
  std::string layout;        // the checker that decoded it ("6", "8"); "" when none recognised the image
  std::string description;   // one line on the layout, for tools ("segmented page map, shadow paging")
  uint64_t source_bytes = 0;
  bool decoded = false;      // a registered layout's superblock was found; the fields below are meaningful
  SuperblockFields superblock;
  std::vector<uint64_t> root_entries;  // a root table's entries (0 = absent), where the layout has one
  std::vector<PageMapping> mappings;   // every logical page that resolves to stored bytes, ascending
  // Mappings a damaged map holds that `mappings` leaves out to keep the report's size bounded by the image's
  // (a segment table reused by many root entries; each checker's header says which). 0 for a sound map.
  uint64_t mappings_not_listed = 0;
  std::vector<Extent> extents;         // everything the active superblock reaches, ascending offset
  SpaceAccounting space;
  std::string space_formula;  // how the layout estimates active space, in words, for inspect
  // What a common field means in this layout, by field name, for inspect ("page_table_offset": "the root
  // table"); fields without a note are shown bare.
  std::vector<std::pair<std::string, std::string>> field_notes;
  std::vector<Problem> problems;
  uint64_t problems_suppressed = 0;

  // The note on `field`, or "".
  std::string NoteOn(std::string_view field) const;
  bool ok() const { return problems.empty() && problems_suppressed == 0; }
  // True iff some problem of `kind` was reported at `offset_bytes`.
  bool Has(ProblemKind kind, uint64_t offset_bytes) const;
  // True iff some problem of `kind` was reported.
  bool Has(ProblemKind kind) const;
  // The mapping of `logical_page`, or nullptr when the page reads as zeros.
  const PageMapping* Find(uint64_t logical_page) const;
};

// Adds problems to a report up to CheckOptions::max_problems; counts the rest in problems_suppressed.
class ProblemCollector {
 public:
  ProblemCollector(LayoutReport& report, size_t max_problems) : report_(report), max_problems_(max_problems) {}
  void Add(ProblemKind kind, uint64_t offset_bytes, std::string message);

 private:
  LayoutReport& report_;
  size_t max_problems_;
};

// The checks every layout of the family makes on its superblock's common fields: page size, unknown flag
// bits, the import and refresh fields against their flags (the rules are listed in every checker's header).
// sb.offset_bytes is the superblock's offset in the memory (field offsets are added to it). A non-empty import
// must stage at or past `data_start_bytes`: the end of the superblock region [0, 64 KiB) in the ic-sqlite-vfs
// family, the end of a layout's own, smaller header otherwise (sv1: 16 KiB).
void CheckCommonFields(const SuperblockFields& sb, const CheckOptions& options, ProblemCollector& out,
                       uint64_t data_start_bytes = kSuperblockRegionBytes);

// Checks the placement of one table or page named by a pointer stored at `referenced_at`: it starts at or past
// the superblock region [superblock_overlap], lies inside the memory [out_of_bounds], and its offset is a
// multiple of `alignment` [misaligned]. Returns true when its bytes can be read and trusted (in bounds and
// outside the superblock region); misalignment is reported but does not make it unusable.
bool VetPlacement(const ByteSource& source, ProblemCollector& out, const std::string& what, uint64_t offset,
                  uint64_t length, uint64_t alignment, uint64_t referenced_at);

// Reports every pair of extents that share bytes (overlap, or the same page or table referenced twice).
// `extents` is sorted by offset, ties in discovery order.
void CheckOverlaps(const std::vector<Extent>& extents, ProblemCollector& out);

// The staged bytes of an import in progress lie inside the memory and touch nothing in `extents`.
void CheckImportStaging(const ByteSource& source, const SuperblockFields& sb, const std::vector<Extent>& extents,
                        ProblemCollector& out);

// Reads logical page `logical_page` as the image decodes it into `out`: the mapped physical page when it is
// readable, zeros when it is unmapped, unreadable or at or past ceil(db_size / 16384). The file's tail past
// db_size inside the last page is returned as stored (callers trim to db_size).
// REQUIRES: report came from a checker over `source` and report.decoded; out.size() == 16384.
void ReadLogicalPage(const ByteSource& source, const LayoutReport& report, uint64_t logical_page,
                     std::span<uint8_t> out);

// The logical file [0, db_size) as the image decodes it (ReadLogicalPage for every page, trimmed).
// REQUIRES: report.decoded (std::invalid_argument otherwise); db_size <= max_bytes (std::length_error
// otherwise: a corrupt db_size must not exhaust the heap).
std::vector<uint8_t> ResolveLogicalImage(const ByteSource& source, const LayoutReport& report,
                                         uint64_t max_bytes = uint64_t{1} << 32);

// Compares an expected logical file (a page model) with a decoded one. Returns no problem when they are equal;
// otherwise one kLogicalDiffers at the first differing logical offset (or at the shorter length).
std::vector<Problem> CompareLogical(std::span<const uint8_t> expected, std::span<const uint8_t> actual);

// A human-readable summary: superblock fields, space accounting, problems.
std::string FormatReport(const LayoutReport& report);

// The page map, one line per extent in offset order ("0x10000 +16384 page 3 <- 0x24018"), then one line per
// logical page ("page 3 -> 0x10000"). For `stablevfs inspect` and its picture.
std::string FormatPageMap(const LayoutReport& report);

// "0x1f": the number format of problem messages.
std::string HexText(uint64_t value);
// "[0x10000, +16384)": a byte range in problem messages.
std::string RangeText(uint64_t offset, uint64_t length);

}  // namespace stablevfs::check
