#include "lib/layout/layout6.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "lib/layout/layout_common.h"
#include "lib/layout/superblock.h"

namespace stablevfs::layout6 {
namespace {

constexpr uint64_t kCompactRecommendBytes = 16ull * 1024 * 1024;
// Per present segment in the active-space estimate: its table plus its root entry (REFERENCE 3.1).
constexpr uint64_t kSegmentEstimateBytes = kSegmentTableBytes + kRootEntryBytes;
static_assert(kSegmentEstimateBytes == 2056);
constexpr uint64_t PagesForMemory(uint64_t bytes) { return WasmPagesFor(bytes); }

// The largest database file a publish accepts: the IC's maximum stable memory (REFERENCE 1). A file past it
// could never be stored, and its page map would be built in heap memory before the grow failed.
constexpr uint64_t kMaxDbBytes = 500ull << 30;
// The largest import accepted: well past the IC's 500 GiB, small enough that no footprint arithmetic overflows.
constexpr uint64_t kMaxImportBytes = 1ull << 50;

// A region of stable memory the active image reaches, for the overlap check in Validate.
struct Extent {
  uint64_t offset;
  uint64_t length;
  const char* what;
  uint64_t index;  // logical page or segment number
};

std::string Describe(const Extent& e) {
  return std::string(e.what) + " " + std::to_string(e.index) + " at [" + std::to_string(e.offset) + ", " +
         std::to_string(e.offset + e.length) + ")";
}

}  // namespace

LayoutInfo Info() {
  LayoutInfo info;
  info.name = "6";
  info.magic = kMagic;
  info.version = kVersion;
  info.atomicity = CommitAtomicity::kPowerLoss;
  info.summary = "ic-sqlite-vfs 1.x: segmented page map, shadow paging, never reclaims (REFERENCE 3.1)";
  info.sites = {"commit.capacity", "memory.grow",    "commit.page_write", "commit.page_table_write",
                "commit.superblock_publish", "compact.copy", "compact.publish"};
  info.format = [](StableMemory& memory) { return UpcastLayout(Layout6::Format(memory)); };
  info.open = [](StableMemory& memory) { return UpcastLayout(Layout6::Open(memory)); };
  return info;
}

uint64_t ImportFootprintBytes(uint64_t total_bytes) {
  const uint64_t pages = PagesForBytes(total_bytes);
  const uint64_t segments = SegmentsForPages(pages);
  return pages * kDbPageBytes + segments * (kSegmentTableBytes + kRootEntryBytes);
}

Result<std::unique_ptr<Layout6>> Layout6::Open(StableMemory& memory) {
  if (memory.size_bytes() < kSuperblockBytes) {
    return Status::ForeignImage("memory of " + std::to_string(memory.size_bytes()) +
                                " bytes is too small to hold a superblock");
  }
  SuperblockBytes bytes{};
  memory.read(0, bytes);
  Result<Meta> meta = DecodeSuperblock(bytes);
  if (!meta.ok()) return meta.status();
  Result<PageMap> map = PageMap::Load(memory, *meta);
  if (!map.ok()) return map.status();

  std::unique_ptr<Layout6> layout(new Layout6(memory));
  layout->meta_ = *meta;
  layout->map_ = std::move(map).value();
  layout->map_end_bytes_ = layout->map_.ScanExtentEnd(kSuperblockRegionBytes);
  if (layout->importing()) {
    const Meta& m = layout->meta_;
    const uint64_t size_bytes = memory.size_bytes();
    if (m.import_total_size > kMaxImportBytes || m.import_base_offset < kSuperblockRegionBytes ||
        m.import_base_offset > size_bytes ||
        ImportFootprintBytes(m.import_total_size) > size_bytes - m.import_base_offset ||
        m.import_written_until > m.import_total_size) {
      return Status::Corrupt("import staging area at " + std::to_string(m.import_base_offset) + " for " +
                             std::to_string(m.import_total_size) + " bytes (written " +
                             std::to_string(m.import_written_until) + ") does not fit the memory of " +
                             std::to_string(size_bytes) + " bytes");
    }
  }
  return layout;
}

Result<std::unique_ptr<Layout6>> Layout6::Format(StableMemory& memory) {
  std::unique_ptr<Layout6> layout(new Layout6(memory));
  STABLEVFS_RETURN_IF_ERROR(layout->EnsureCapacity(kSuperblockRegionBytes));
  layout->meta_ = FreshMeta();
  layout->map_end_bytes_ = kSuperblockRegionBytes;
  layout->WriteSuperblock(layout->meta_);
  return layout;
}

uint64_t Layout6::allocation_mark_bytes() const {
  uint64_t end = map_end_bytes_;
  if (importing()) end = std::max(end, meta_.import_base_offset + ImportFootprintBytes(meta_.import_total_size));
  return AlignUp(end, kWasmPageBytes);
}

Status Layout6::EnsureCapacity(uint64_t end_bytes) { return stablevfs::EnsureCapacity(memory_, end_bytes); }

void Layout6::WriteSuperblock(const Meta& meta) {
  const SuperblockBytes bytes = EncodeSuperblock(meta);
  memory_.write(0, bytes);
}

Status Layout6::ReadPage(uint64_t page_no, std::span<uint8_t> out) {
  if (out.size() != kDbPageBytes) {
    return Status::InvalidArgument("ReadPage needs a buffer of exactly " + std::to_string(kDbPageBytes) +
                                   " bytes, got " + std::to_string(out.size()));
  }
  const uint64_t offset = page_no < PagesForBytes(meta_.db_size) ? map_.Lookup(page_no) : 0;
  if (offset == 0) {
    std::fill(out.begin(), out.end(), 0);
    return Status::Ok();
  }
  assert(offset >= kSuperblockRegionBytes);
  memory_.read(offset, out);
  return Status::Ok();
}

// The same lookup as ReadPage. Reading only part of a mapped page cannot miss a trap the whole-page read would
// raise: every page the map holds lies wholly inside the memory (PageMap::Load checks it on open, and commits,
// imports and compactions only map pages they wrote), and the memory never shrinks.
Status Layout6::ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out) {
  if (offset_in_page > kDbPageBytes || out.size() > kDbPageBytes - offset_in_page) {
    return Status::InvalidArgument("ReadPageBytes needs a range within one page, got " + std::to_string(out.size()) +
                                   " bytes at offset " + std::to_string(offset_in_page));
  }
  const uint64_t offset = page_no < PagesForBytes(meta_.db_size) ? map_.Lookup(page_no) : 0;
  if (offset == 0) {
    std::fill(out.begin(), out.end(), 0);
    return Status::Ok();
  }
  assert(offset >= kSuperblockRegionBytes);
  memory_.read(offset + offset_in_page, out);
  return Status::Ok();
}

Status Layout6::Publish(const Overlay& overlay) {
  STABLEVFS_FAILPOINT("commit.capacity");
  if (importing()) return Status::Busy("cannot publish a commit while an import is staged");
  assert(overlay.dirty());

  if (overlay.db_size() > kMaxDbBytes) {
    // No memory can hold it, and its page map alone would exhaust the heap: refuse before building it.
    return Status::Capacity(memory_.size_pages(), PagesForMemory(overlay.db_size()),
                            "a database file of " + std::to_string(overlay.db_size()) +
                                " bytes is larger than any stable memory (500 GiB)");
  }
  const uint64_t new_pages = PagesForBytes(overlay.db_size());
  const uint64_t new_segments = SegmentsForPages(new_pages);
  // Base pages below `keep_pages` stay as they are unless rewritten; at or past it they were cut off by a
  // truncation during the update (or lie past the new end) and must not survive into the new map.
  const uint64_t keep_pages = std::min(PagesForBytes(overlay.min_db_size()), new_pages);
  const auto& dirty = overlay.pages();

  // Stage the new map in heap memory. `changed` holds private copies of the segments this commit alters.
  PageMap next = map_;
  next.Resize(new_segments);
  std::map<uint64_t, PageMap::Segment> changed;
  auto mutable_segment = [&](uint64_t s) -> PageMap::Segment& {
    auto it = changed.find(s);
    if (it == changed.end()) {
      const PageMap::Segment* old = next.segment(s);
      it = changed.emplace(s, old != nullptr ? *old : PageMap::Segment{}).first;
    }
    return it->second;
  };

  const uint64_t shared_segments = std::min(map_.segment_count(), new_segments);
  for (uint64_t s = keep_pages / kSlotsPerSegment; s < shared_segments; ++s) {
    const PageMap::Segment* old = map_.segment(s);
    if (old == nullptr) continue;
    const uint64_t first_slot = s == keep_pages / kSlotsPerSegment ? keep_pages % kSlotsPerSegment : 0;
    for (uint64_t slot = first_slot; slot < kSlotsPerSegment; ++slot) {
      const uint64_t page_no = s * kSlotsPerSegment + slot;
      if ((*old)[slot] != 0 && !dirty.contains(page_no)) mutable_segment(s)[slot] = 0;
    }
  }

  // Lay out the allocation: pages, then segment tables, then the root.
  const uint64_t start = allocation_mark_bytes();
  uint64_t cursor = start;
  std::vector<std::pair<uint64_t, const std::vector<uint8_t>*>> page_writes;  // (offset, bytes)
  for (const auto& [page_no, bytes] : dirty) {
    assert(bytes.size() == kDbPageBytes);
    if (page_no >= new_pages) continue;  // the overlay never holds these; be safe if it did
    mutable_segment(page_no / kSlotsPerSegment)[page_no % kSlotsPerSegment] = cursor;
    page_writes.emplace_back(cursor, &bytes);
    cursor += kDbPageBytes;
  }
  std::vector<std::pair<uint64_t, uint64_t>> table_writes;  // (offset, segment)
  for (const auto& [s, segment] : changed) {
    if (PageMap::CountMapped(segment) == 0) {
      next.SetSegment(s, 0, nullptr);  // nothing left in it: absent, no table to write
      continue;
    }
    next.SetSegment(s, cursor, std::make_shared<const PageMap::Segment>(segment));
    table_writes.emplace_back(cursor, s);
    cursor += kSegmentTableBytes;
  }
  uint64_t root_offset = 0;
  if (new_segments > 0) {
    root_offset = cursor;
    cursor += new_segments * kRootEntryBytes;
  }
  next.set_root_offset(root_offset);

  // Shadow paging rests on this: the allocation begins past everything the active superblock reaches.
  assert(start >= map_end_bytes_ && start % kWasmPageBytes == 0);
  if (cursor > start) STABLEVFS_RETURN_IF_ERROR(EnsureCapacity(cursor));

  for (const auto& [offset, bytes] : page_writes) {
    STABLEVFS_FAILPOINT("commit.page_write");
    memory_.write(offset, *bytes);
  }
  std::vector<uint8_t> table(kSegmentTableBytes);
  for (const auto& [offset, s] : table_writes) {
    STABLEVFS_FAILPOINT("commit.page_table_write");
    PageMap::EncodeSegment(*next.segment(s), table);
    memory_.write(offset, table);
  }
  if (root_offset != 0) {
    STABLEVFS_FAILPOINT("commit.page_table_write");
    memory_.write(root_offset, next.EncodeRoot());
  }

  Meta meta = meta_;
  meta.db_size = overlay.db_size();
  meta.last_tx_id += 1;
  meta.flags |= kFlagChecksumStale;
  ClearRefresh(meta);
  meta.page_table_offset = root_offset;
  meta.page_count = new_segments;
  STABLEVFS_FAILPOINT("commit.superblock_publish");
  WriteSuperblock(meta);

  // Committed: the heap now follows the new superblock. Everything still reachable from the old map lies
  // below `start`, and everything new ends at `cursor`, so the map ends at `cursor`.
  meta_ = meta;
  map_ = std::move(next);
  map_end_bytes_ = root_offset != 0 ? cursor : kSuperblockRegionBytes;
  return Status::Ok();
}

Status Layout6::StoreMeta(const Meta& meta) {
  Result<Meta> next = MergeStoredMeta(meta_, meta);
  if (!next.ok()) return next.status();
  WriteSuperblock(*next);
  meta_ = std::move(next).value();
  return Status::Ok();
}

Status Layout6::SetLastTxId(uint64_t last_tx_id) {
  if (last_tx_id == meta_.last_tx_id) return Status::Ok();
  Result<Meta> next = WithLastTxId(meta_, last_tx_id);
  if (!next.ok()) return next.status();
  WriteSuperblock(*next);
  meta_ = std::move(next).value();
  return Status::Ok();
}

Status Layout6::BeginImportStaging(uint64_t total_bytes, uint64_t expected_checksum) {
  if (importing()) return Status::Busy("an import is already staged; finish or cancel it first");
  if (total_bytes > kMaxImportBytes) {
    return Status::InvalidArgument("import of " + std::to_string(total_bytes) + " bytes is larger than any memory");
  }
  const uint64_t base = allocation_mark_bytes();
  const uint64_t footprint = ImportFootprintBytes(total_bytes);
  if (footprint > 0) STABLEVFS_RETURN_IF_ERROR(EnsureCapacity(base + footprint));
  Meta meta = meta_;
  meta.flags |= kFlagImporting;
  meta.import_expected_checksum = expected_checksum;
  meta.import_written_until = 0;
  meta.import_total_size = total_bytes;
  meta.import_base_offset = base;
  WriteSuperblock(meta);
  meta_ = meta;
  return Status::Ok();
}

Status Layout6::StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) {
  // Staged pages are laid out contiguously, so logical offset x lives at base + x.
  Result<uint64_t> end = WriteStagedImport(memory_, meta_, offset, bytes);
  if (!end.ok()) return end.status();
  if (end.value() > meta_.import_written_until) {
    Meta meta = meta_;
    meta.import_written_until = end.value();
    WriteSuperblock(meta);
    meta_ = meta;
  }
  return Status::Ok();
}

Status Layout6::ReadStagedBytes(uint64_t offset, std::span<uint8_t> out) {
  return ReadStagedImport(memory_, meta_, offset, out);
}

Status Layout6::PublishImport() {
  STABLEVFS_RETURN_IF_ERROR(CheckImportComplete(meta_));
  const uint64_t total = meta_.import_total_size;
  const uint64_t base = meta_.import_base_offset;
  const uint64_t pages = PagesForBytes(total);
  const uint64_t segments = SegmentsForPages(pages);

  // The staging area may hold bytes of an earlier failed allocation: the part of the last page past the
  // image must read as zeros once it is a database page.
  if (total % kDbPageBytes != 0) {
    const std::vector<uint8_t> zeros(kDbPageBytes - total % kDbPageBytes, 0);
    memory_.write(base + total, zeros);
  }

  PageMap next;
  next.Resize(segments);
  uint64_t cursor = base + pages * kDbPageBytes;
  for (uint64_t s = 0; s < segments; ++s) {
    auto segment = std::make_shared<PageMap::Segment>();
    segment->fill(0);
    for (uint64_t slot = 0; slot < kSlotsPerSegment; ++slot) {
      const uint64_t page_no = s * kSlotsPerSegment + slot;
      if (page_no < pages) (*segment)[slot] = base + page_no * kDbPageBytes;
    }
    next.SetSegment(s, cursor, std::move(segment));
    cursor += kSegmentTableBytes;
  }
  const uint64_t root_offset = segments > 0 ? cursor : 0;
  next.set_root_offset(root_offset);
  if (segments > 0) cursor += segments * kRootEntryBytes;
  assert(cursor == base + ImportFootprintBytes(total));
  assert(cursor <= memory_.size_bytes());

  std::vector<uint8_t> table(kSegmentTableBytes);
  for (uint64_t s = 0; s < segments; ++s) {
    STABLEVFS_FAILPOINT("commit.page_table_write");
    PageMap::EncodeSegment(*next.segment(s), table);
    memory_.write(next.table_offset(s), table);
  }
  if (root_offset != 0) {
    STABLEVFS_FAILPOINT("commit.page_table_write");
    memory_.write(root_offset, next.EncodeRoot());
  }

  Meta meta = meta_;
  meta.db_size = total;
  meta.schema_version = 0;
  meta.last_tx_id += 1;
  meta.flags = kFlagChecksumStale;
  meta.checksum = meta_.import_expected_checksum;
  ClearImport(meta);
  ClearRefresh(meta);
  meta.page_table_offset = root_offset;
  meta.page_count = segments;
  STABLEVFS_FAILPOINT("commit.superblock_publish");
  WriteSuperblock(meta);

  meta_ = meta;
  map_ = std::move(next);
  map_end_bytes_ = root_offset != 0 ? cursor : kSuperblockRegionBytes;
  return Status::Ok();
}

Status Layout6::DiscardImport() {
  Meta meta = meta_;
  ClearImport(meta);
  if (meta == meta_) return Status::Ok();  // nothing staged, nothing recorded: no write
  WriteSuperblock(meta);
  meta_ = meta;
  return Status::Ok();
}

Status Layout6::Compact() {
  if (importing()) return Status::Busy("cannot compact while an import is staged");
  if (map_.segment_count() == 0) return Status::Ok();

  // Lay out the copy: every mapped page in logical order, then every present table, then the root.
  const uint64_t start = allocation_mark_bytes();
  uint64_t cursor = start;
  PageMap next;
  next.Resize(map_.segment_count());
  std::vector<std::pair<uint64_t, uint64_t>> page_copies;  // (from, to)
  std::vector<std::shared_ptr<PageMap::Segment>> segments(map_.segment_count());
  for (uint64_t s = 0; s < map_.segment_count(); ++s) {
    const PageMap::Segment* old = map_.segment(s);
    if (old == nullptr) continue;
    segments[s] = std::make_shared<PageMap::Segment>(*old);
    for (uint64_t& entry : *segments[s]) {
      if (entry == 0) continue;
      page_copies.emplace_back(entry, cursor);
      entry = cursor;
      cursor += kDbPageBytes;
    }
  }
  for (uint64_t s = 0; s < map_.segment_count(); ++s) {
    if (segments[s] == nullptr) continue;
    next.SetSegment(s, cursor, segments[s]);
    cursor += kSegmentTableBytes;
  }
  const uint64_t root_offset = cursor;
  cursor += map_.segment_count() * kRootEntryBytes;
  next.set_root_offset(root_offset);

  assert(start >= map_end_bytes_ && start % kWasmPageBytes == 0);
  STABLEVFS_RETURN_IF_ERROR(EnsureCapacity(cursor));

  std::vector<uint8_t> buffer(kDbPageBytes);
  for (const auto& [from, to] : page_copies) {
    STABLEVFS_FAILPOINT("compact.copy");
    memory_.read(from, buffer);
    memory_.write(to, buffer);
  }
  buffer.resize(kSegmentTableBytes);
  for (uint64_t s = 0; s < next.segment_count(); ++s) {
    if (next.table_offset(s) == 0) continue;
    STABLEVFS_FAILPOINT("compact.copy");
    PageMap::EncodeSegment(*next.segment(s), buffer);
    memory_.write(next.table_offset(s), buffer);
  }
  STABLEVFS_FAILPOINT("compact.copy");
  memory_.write(root_offset, next.EncodeRoot());

  Meta meta = meta_;
  meta.page_table_offset = root_offset;
  STABLEVFS_FAILPOINT("compact.publish");
  WriteSuperblock(meta);

  meta_ = meta;
  map_ = std::move(next);
  map_end_bytes_ = cursor;
  return Status::Ok();
}

LayoutStats Layout6::Stats() const {
  LayoutStats stats;
  stats.stable_pages = memory_.size_pages();
  stats.allocated_bytes = memory_.size_bytes();
  stats.mapped_pages = map_.mapped_pages();
  stats.segments = map_.present_segments();
  stats.active_bytes =
      kSuperblockRegionBytes + kDbPageBytes * stats.mapped_pages + kSegmentEstimateBytes * stats.segments;
  stats.orphan_bytes = stats.allocated_bytes > stats.active_bytes ? stats.allocated_bytes - stats.active_bytes : 0;
  stats.orphan_ratio_bp = stats.allocated_bytes == 0 ? 0 : stats.orphan_bytes * 10000 / stats.allocated_bytes;
  stats.compact_recommended =
      stats.orphan_bytes >= stats.active_bytes && stats.orphan_bytes >= kCompactRecommendBytes;
  return stats;
}

Status Layout6::Validate() {
  SuperblockBytes bytes{};
  if (memory_.size_bytes() < kSuperblockRegionBytes) {
    return Status::Corrupt("memory of " + std::to_string(memory_.size_bytes()) +
                           " bytes is smaller than the superblock region");
  }
  memory_.read(0, bytes);
  Result<Meta> stored = DecodeSuperblock(bytes);
  if (!stored.ok()) return Status::Corrupt("superblock does not decode: " + stored.status().ToString());
  if (!(*stored == meta_)) return Status::Corrupt("superblock in stable memory differs from the open layout's");
  if ((meta_.flags & ~kKnownFlags) != 0) {
    return Status::Corrupt("unknown superblock flag bits in " + std::to_string(meta_.flags));
  }
  Result<PageMap> loaded = PageMap::Load(memory_, meta_);  // bounds, counts
  if (!loaded.ok()) return loaded.status();
  const PageMap& map = *loaded;
  if (map.root_offset() != map_.root_offset() || map.segment_count() != map_.segment_count()) {
    return Status::Corrupt("root table in stable memory differs from the open layout's");
  }

  const uint64_t db_pages = PagesForBytes(meta_.db_size);
  std::vector<Extent> extents;
  if (map.root_offset() != 0) {
    if (map.root_offset() % kRootEntryBytes != 0) return Status::Corrupt("root table is not 8-byte aligned");
    extents.push_back({map.root_offset(), map.segment_count() * kRootEntryBytes, "root table", 0});
  }
  for (uint64_t s = 0; s < map.segment_count(); ++s) {
    if (map.table_offset(s) != map_.table_offset(s) ||
        (map.segment(s) != nullptr && *map.segment(s) != *map_.segment(s))) {
      return Status::Corrupt("segment " + std::to_string(s) + " in stable memory differs from the open layout's");
    }
    const PageMap::Segment* segment = map.segment(s);
    if (segment == nullptr) continue;
    if (map.table_offset(s) % kSegmentTableBytes != 0) {
      return Status::Corrupt("segment " + std::to_string(s) + " table at " + std::to_string(map.table_offset(s)) +
                             " is not 2,048-byte aligned");
    }
    extents.push_back({map.table_offset(s), kSegmentTableBytes, "segment table", s});
    for (uint64_t slot = 0; slot < kSlotsPerSegment; ++slot) {
      const uint64_t offset = (*segment)[slot];
      if (offset == 0) continue;
      const uint64_t page_no = s * kSlotsPerSegment + slot;
      if (page_no >= db_pages) {
        return Status::Corrupt("logical page " + std::to_string(page_no) + " is mapped but lies past db_size " +
                               std::to_string(meta_.db_size));
      }
      if (offset % kDbPageBytes != 0) {
        return Status::Corrupt("logical page " + std::to_string(page_no) + " at " + std::to_string(offset) +
                               " is not 16 KiB aligned");
      }
      extents.push_back({offset, kDbPageBytes, "page", page_no});
    }
  }
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < extents.size(); ++i) {
    if (extents[i - 1].offset + extents[i - 1].length > extents[i].offset) {
      return Status::Corrupt(Describe(extents[i - 1]) + " overlaps " + Describe(extents[i]));
    }
  }

  if (importing()) {
    const uint64_t base = meta_.import_base_offset;
    const uint64_t end = base + ImportFootprintBytes(meta_.import_total_size);
    if (base % kWasmPageBytes != 0 || base < kSuperblockRegionBytes || end > memory_.size_bytes() ||
        meta_.import_written_until > meta_.import_total_size) {
      return Status::Corrupt("import staging area at " + std::to_string(base) + " for " +
                             std::to_string(meta_.import_total_size) + " bytes is misplaced");
    }
    for (const Extent& e : extents) {
      if (e.offset < end && base < e.offset + e.length) {
        return Status::Corrupt("import staging area [" + std::to_string(base) + ", " + std::to_string(end) +
                               ") overlaps " + Describe(e));
      }
    }
  }
  return Status::Ok();
}

}  // namespace stablevfs::layout6
