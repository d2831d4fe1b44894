#include "lib/layout/page_map.h"

#include <algorithm>
#include <cassert>
#include <string>

#include "lib/layout/little_endian.h"
#include "lib/layout/superblock.h"

namespace stablevfs::layout6 {
namespace {

// True when [offset, offset + len) lies inside the data area [64 KiB, size_bytes). Overflow-safe.
bool InDataArea(uint64_t offset, uint64_t len, uint64_t size_bytes) {
  return offset >= kSuperblockRegionBytes && offset <= size_bytes && len <= size_bytes - offset;
}

}  // namespace

Result<PageMap> PageMap::Load(StableMemory& memory, const Meta& meta) {
  const uint64_t size_bytes = memory.size_bytes();
  const uint64_t needed_segments = SegmentsForPages(PagesForBytes(meta.db_size));
  if (meta.page_count != needed_segments) {
    return Status::Corrupt("superblock root entry count " + std::to_string(meta.page_count) +
                           " does not match db_size " + std::to_string(meta.db_size) + ", which needs " +
                           std::to_string(needed_segments) + " segments");
  }
  if ((meta.page_table_offset == 0) != (meta.page_count == 0)) {
    return Status::Corrupt("superblock root table offset " + std::to_string(meta.page_table_offset) +
                           " disagrees with root entry count " + std::to_string(meta.page_count));
  }
  PageMap map;
  if (meta.page_count == 0) return map;

  // page_count is bounded by db_size above, but db_size itself is untrusted: the multiplication is checked.
  if (meta.page_count > size_bytes / kRootEntryBytes || meta.page_table_offset % kRootEntryBytes != 0 ||
      !InDataArea(meta.page_table_offset, meta.page_count * kRootEntryBytes, size_bytes)) {
    return Status::Corrupt("root table at " + std::to_string(meta.page_table_offset) + " with " +
                           std::to_string(meta.page_count) + " entries is out of bounds or misaligned (memory is " +
                           std::to_string(size_bytes) + " bytes)");
  }
  std::vector<uint8_t> root(meta.page_count * kRootEntryBytes);
  memory.read(meta.page_table_offset, root);

  map.root_offset_ = meta.page_table_offset;
  map.Resize(meta.page_count);
  std::vector<uint8_t> table(kSegmentTableBytes);
  for (uint64_t s = 0; s < meta.page_count; ++s) {
    const uint64_t table_offset = LoadU64Le(std::span<const uint8_t>(root).subspan(s * kRootEntryBytes));
    if (table_offset == 0) continue;
    if (table_offset % 8 != 0 || !InDataArea(table_offset, kSegmentTableBytes, size_bytes)) {
      return Status::Corrupt("segment " + std::to_string(s) + " table at " + std::to_string(table_offset) +
                             " is out of bounds or misaligned");
    }
    memory.read(table_offset, table);
    auto segment = std::make_shared<Segment>(DecodeSegment(table));
    for (uint64_t slot = 0; slot < kSlotsPerSegment; ++slot) {
      const uint64_t page_offset = (*segment)[slot];
      if (page_offset != 0 && !InDataArea(page_offset, kDbPageBytes, size_bytes)) {
        return Status::Corrupt("logical page " + std::to_string(s * kSlotsPerSegment + slot) + " maps to " +
                               std::to_string(page_offset) + ", outside the data area");
      }
    }
    map.SetSegment(s, table_offset, std::move(segment));
  }
  return map;
}

uint64_t PageMap::Lookup(uint64_t page_no) const {
  const uint64_t s = page_no / kSlotsPerSegment;
  if (s >= segments_.size() || segments_[s] == nullptr) return 0;
  return (*segments_[s])[page_no % kSlotsPerSegment];
}

uint64_t PageMap::ScanExtentEnd(uint64_t floor_bytes) const {
  uint64_t end = floor_bytes;
  if (root_offset_ != 0) end = std::max(end, root_offset_ + tables_.size() * kRootEntryBytes);
  for (size_t s = 0; s < tables_.size(); ++s) {
    if (tables_[s] == 0) continue;
    end = std::max(end, tables_[s] + kSegmentTableBytes);
    for (uint64_t page_offset : *segments_[s]) {
      if (page_offset != 0) end = std::max(end, page_offset + kDbPageBytes);
    }
  }
  return end;
}

void PageMap::Resize(uint64_t segment_count) {
  for (uint64_t s = segment_count; s < tables_.size(); ++s) {
    if (segments_[s] != nullptr) {
      mapped_pages_ -= CountMapped(*segments_[s]);
      --present_segments_;
    }
  }
  tables_.resize(segment_count, 0);
  segments_.resize(segment_count);
}

void PageMap::SetSegment(uint64_t s, uint64_t table_offset, std::shared_ptr<const Segment> segment) {
  assert(s < tables_.size());
  assert((table_offset == 0) == (segment == nullptr));
  if (segments_[s] != nullptr) {
    mapped_pages_ -= CountMapped(*segments_[s]);
    --present_segments_;
  }
  tables_[s] = table_offset;
  segments_[s] = std::move(segment);
  if (segments_[s] != nullptr) {
    mapped_pages_ += CountMapped(*segments_[s]);
    ++present_segments_;
  }
}

void PageMap::EncodeSegment(const Segment& segment, std::span<uint8_t> out) {
  assert(out.size() == kSegmentTableBytes);
  for (uint64_t slot = 0; slot < kSlotsPerSegment; ++slot) StoreU64Le(out.subspan(slot * 8), segment[slot]);
}

PageMap::Segment PageMap::DecodeSegment(std::span<const uint8_t> bytes) {
  assert(bytes.size() == kSegmentTableBytes);
  Segment segment{};
  for (uint64_t slot = 0; slot < kSlotsPerSegment; ++slot) segment[slot] = LoadU64Le(bytes.subspan(slot * 8));
  return segment;
}

std::vector<uint8_t> PageMap::EncodeRoot() const {
  std::vector<uint8_t> out(tables_.size() * kRootEntryBytes);
  for (size_t s = 0; s < tables_.size(); ++s) {
    StoreU64Le(std::span<uint8_t>(out).subspan(s * kRootEntryBytes), tables_[s]);
  }
  return out;
}

uint64_t PageMap::CountMapped(const Segment& segment) {
  return static_cast<uint64_t>(std::count_if(segment.begin(), segment.end(), [](uint64_t o) { return o != 0; }));
}

}  // namespace stablevfs::layout6
