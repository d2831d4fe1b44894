// The memory map of a database's virtual memory, and its picture as an SVG file (`stablevfs inspect --svg`).
//
// ClassifyMemory cuts the memory into regions by what they hold: the superblock and the rest of its 64 KiB
// region, the root table, segment tables and live pages that the active superblock reaches (from the
// checker's extents), an import staging area, and everything else. What the active superblock does not reach
// is classified by its bytes, in 16 KiB granules aligned to 16 KiB (the size of a page, and every allocation
// starts on such a boundary): a granule holding any nonzero byte is an orphan (superseded data that shadow
// paging left behind), an all-zero one is unused (grown but never written). This is a measurement, beside the
// checker's orphan estimate (REFERENCE 3.1), which counts every unreached byte as orphan.
//
// RenderMemorySvg draws the map as a grid: one row per 64 KiB Wasm page (more per row for large memories, so
// the picture stays under 256 rows), one cell per 1 KiB (scaled likewise), coloured by region kind, with the
// logical page number on each live page, the segment number on each segment table, row offsets on the left
// (file offsets on the right for a MemoryManager image), a legend with the bytes of each kind, and red
// outlines at the offsets of problems. The output is a self-contained SVG 1.1 document.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/layout_report.h"

namespace stablevfs::cli {

enum class RegionKind : uint8_t {
  kSuperblock,        // the encoded superblock (as many bytes as the layout's encoding has)
  kSuperblockRegion,  // the rest of the superblock region: reserved, unused
  kRootTable,
  kSegmentTable,
  kPage,              // a live 16 KiB page; index = logical page number
  kImportStaging,     // [import_base_offset, + import_total_size) while importing
  kOrphan,            // not reached, holds written (nonzero) bytes
  kUnused,            // not reached, all zero
};
inline constexpr int kRegionKindCount = 8;

// "superblock", "superblock region", "root table", "segment table", "live page", "import staging", "orphan",
// "unused".
std::string_view RegionKindName(RegionKind kind);

struct Region {
  RegionKind kind;
  uint64_t offset_bytes;
  uint64_t length_bytes;
  uint64_t index;  // logical page (kPage) or segment number (kSegmentTable); 0 otherwise

  uint64_t end_bytes() const { return offset_bytes + length_bytes; }
};

// The regions of `memory`, ascending by offset; reached regions may overlap when the image is corrupt (the
// checker reports that), unreached ones never overlap anything. Reads every unreached byte once.
// REQUIRES: `report` came from the checker run on `memory`. An undecoded report (no superblock) yields only
// orphan and unused regions.
std::vector<Region> ClassifyMemory(const check::ByteSource& memory, const check::LayoutReport& report);

// Bytes per kind, indexed by RegionKind (overlapping regions count twice).
std::vector<uint64_t> BytesByKind(const std::vector<Region>& regions);

struct SvgOptions {
  std::string title;     // first heading line
  std::string subtitle;  // second heading line (sizes, superblock summary)
  // Memory offsets to outline in red, with a one-line caption each (listed under the picture).
  std::vector<std::pair<uint64_t, std::string>> problems;
  // Maps a memory offset to a file offset, for the right-hand row labels; empty for a raw memory.
  std::function<std::optional<uint64_t>(uint64_t)> file_offset;
};

// The SVG document for `regions` of a memory of `memory_bytes`.
std::string RenderMemorySvg(const std::vector<Region>& regions, uint64_t memory_bytes, const SvgOptions& options);

}  // namespace stablevfs::cli
