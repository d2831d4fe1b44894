// PageMap: the decoded layout 6 page map ("segmented page table", REFERENCE 3.1), kept in heap memory.
//
// Logical page p lives in segment p / 256, slot p % 256. The root table is a u64 array with one entry per
// segment: the stable offset of that segment's table (0 = absent, every page in it reads as zeros). A segment
// table is exactly 256 u64 = 2,048 bytes; each entry is the stable offset of a full 16 KiB physical page
// (0 = unmapped, reads as zeros). Everything the map points to is immutable once published.
//
// The layout decodes the whole map once (Load) so that reading a page costs one stable read. Segments are
// shared between copies of a map (copy-on-write by replacement), so a publish can stage a new map next to the
// active one cheaply and the active one stays intact until the commit point.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lib/core/status.h"
#include "lib/layout/layout.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::layout6 {

inline constexpr uint64_t kSlotsPerSegment = 256;
inline constexpr uint64_t kSegmentTableBytes = kSlotsPerSegment * 8;
inline constexpr uint64_t kRootEntryBytes = 8;
static_assert(kSegmentTableBytes == 2048);
static_assert(kDbPageBytes % kSegmentTableBytes == 0, "pages and tables pack without padding");

// The number of logical pages a file of `size_bytes` spans: ceil(size / 16 KiB).
constexpr uint64_t PagesForBytes(uint64_t size_bytes) { return size_bytes / kDbPageBytes + (size_bytes % kDbPageBytes != 0); }
// The number of segments that cover `pages` logical pages: ceil(pages / 256).
constexpr uint64_t SegmentsForPages(uint64_t pages) {
  return pages / kSlotsPerSegment + (pages % kSlotsPerSegment != 0);
}

class PageMap {
 public:
  using Segment = std::array<uint64_t, kSlotsPerSegment>;

  PageMap() = default;

  // Reads and decodes the map the superblock `meta` points to. Checks, before trusting an offset: the root
  // table and every segment table and page lie inside `memory` and at or past the superblock region, the
  // root is 8-byte aligned, page_table_offset is 0 exactly when page_count is 0, and page_count equals the
  // number of segments db_size needs. Any failure is kCorrupt; Load never writes.
  static Result<PageMap> Load(StableMemory& memory, const Meta& meta);

  // Root entries (segments, present or absent).
  uint64_t segment_count() const { return tables_.size(); }
  // Stable offset of the root table (0 when there is none).
  uint64_t root_offset() const { return root_offset_; }
  // Stable offset of segment `s`'s table (0 = absent). REQUIRES: s < segment_count().
  uint64_t table_offset(uint64_t s) const { return tables_[s]; }
  // Segment `s`'s entries, or null when absent. REQUIRES: s < segment_count().
  const Segment* segment(uint64_t s) const { return segments_[s].get(); }
  // Stable offset of logical page `page_no`, 0 when unmapped or beyond the map.
  uint64_t Lookup(uint64_t page_no) const;

  // Logical pages with a physical page, and segments with a table.
  uint64_t mapped_pages() const { return mapped_pages_; }
  uint64_t present_segments() const { return present_segments_; }

  // The end of the highest byte the map reaches (root, tables, pages), or `floor_bytes` if that is larger.
  // A scan over every entry.
  uint64_t ScanExtentEnd(uint64_t floor_bytes) const;

  // Building a new map (a publish stages one, then swaps it in).
  // Keeps the first `segment_count` root entries, appending absent segments as needed.
  void Resize(uint64_t segment_count);
  // Installs segment `s` with its table at `table_offset`. REQUIRES: s < segment_count(); `segment` is null
  // exactly when `table_offset` is 0.
  void SetSegment(uint64_t s, uint64_t table_offset, std::shared_ptr<const Segment> segment);
  void set_root_offset(uint64_t offset) { root_offset_ = offset; }

  // The on-disk forms: a segment table (2,048 bytes) and the root table (8 bytes per segment).
  static void EncodeSegment(const Segment& segment, std::span<uint8_t> out);
  static Segment DecodeSegment(std::span<const uint8_t> bytes);
  std::vector<uint8_t> EncodeRoot() const;

  // Number of non-zero entries.
  static uint64_t CountMapped(const Segment& segment);

 private:
  uint64_t root_offset_ = 0;
  std::vector<uint64_t> tables_;                         // root entries
  std::vector<std::shared_ptr<const Segment>> segments_;  // decoded tables, null when absent
  uint64_t mapped_pages_ = 0;
  uint64_t present_segments_ = 0;
};

}  // namespace stablevfs::layout6
