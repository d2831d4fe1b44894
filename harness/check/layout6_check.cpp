// Independent by design; see ARCHITECTURE.md. This file decodes layout 6 from raw bytes with the checker's
// own readers and must never include lib/layout, lib/vfs or lib/db.
#include "harness/check/layout6_check.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <map>
#include <unordered_map>

#include "harness/check/raw_codec.h"

namespace stablevfs::check {
namespace {

using namespace layout6;  // NOLINT(google-build-using-namespace): the format constants, local to this file

std::string Dec(uint64_t value) { return std::to_string(value); }

void CheckSuperblockFields(const SuperblockFields& sb, const CheckOptions& options, ProblemCollector& out) {
  if (sb.version != kVersion) {
    out.Add(ProblemKind::kBadVersion, kOffVersion, "superblock version " + Dec(sb.version) + ", expected 6");
  }
  if (sb.layout_version != kLayoutVersion) {
    out.Add(ProblemKind::kBadLayoutVersion, kOffLayoutVersion,
            "layout_version " + Dec(sb.layout_version) + ", expected 6");
  }
  if (sb.meta_checksum != sb.computed_meta_checksum) {
    out.Add(ProblemKind::kMetaChecksum, kOffMetaChecksum,
            "meta_checksum " + HexText(sb.meta_checksum) + " but bytes 0..152 hash to " +
                HexText(sb.computed_meta_checksum));
  }
  CheckCommonFields(sb, options, out);
}

// The whole staging area of an import in progress, not only its written part: the import's pages laid back
// to back from import_base_offset, then one segment table and one root entry per 256 of them (what publishing
// it writes there). The library refuses to open an image whose area does not fit, even an empty import's, so
// this is a problem here too [import_state, at 80]. Reported once: nothing if CheckImportStaging or
// CheckCommonFields already found the base wrong.
void CheckStagingArea(const ByteSource& source, const LayoutReport& report, ProblemCollector& out) {
  const SuperblockFields& sb = report.superblock;
  if (!sb.importing() || report.Has(ProblemKind::kImportState, kOffImportBaseOffset)) return;
  const uint64_t size = source.size_bytes();
  const uint64_t base = sb.import_base_offset;
  if (base < kSuperblockRegionBytes) {
    out.Add(ProblemKind::kImportState, kOffImportBaseOffset,
            "import_base_offset " + HexText(base) + " of an import of " + Dec(sb.import_total_size) +
                " bytes lies inside the superblock region (an import always stages past it, even an empty one)");
    return;
  }
  // The footprint is at least the total, so a total past the memory cannot fit, and below it nothing overflows.
  const uint64_t total = sb.import_total_size;
  bool fits = base <= size && total <= size - base;
  uint64_t footprint = 0;
  if (fits) {
    const uint64_t pages = CeilDiv(total, kPageBytes);
    footprint = pages * kPageBytes + CeilDiv(pages, kSegmentSlots) * kActiveBytesPerSegment;
    fits = footprint <= size - base;
  }
  if (!fits) {
    out.Add(ProblemKind::kImportState, kOffImportBaseOffset,
            "import staging area at " + HexText(base) + " for " + Dec(total) + " bytes" +
                (footprint != 0 ? " (" + Dec(footprint) + " bytes with its segment tables and root)" : "") +
                " does not fit the memory of " + Dec(size) + " bytes");
  }
}

void ComputeSpace(LayoutReport& report) {
  SpaceAccounting& space = report.space;
  space.allocated_bytes = report.source_bytes;
  space.active_bytes = kSuperblockRegionBytes + kPageBytes * space.mapped_pages + kActiveBytesPerSegment * space.segments;
  space.orphan_bytes = space.allocated_bytes > space.active_bytes ? space.allocated_bytes - space.active_bytes : 0;
  space.orphan_ratio_bp =
      space.allocated_bytes == 0
          ? 0
          : static_cast<uint64_t>(static_cast<unsigned __int128>(space.orphan_bytes) * 10000 / space.allocated_bytes);
  space.compaction_recommended =
      space.orphan_bytes >= space.active_bytes && space.orphan_bytes >= kCompactionFloorBytes;
}

}  // namespace

uint64_t ComputeMetaChecksum6(std::span<const uint8_t> raw) {
  if (raw.size() < kSuperblockBytes) throw std::out_of_range("superblock needs 152 bytes");
  Fnv1a hash;
  hash.Add(raw.subspan(0, kOffMetaChecksum));
  hash.AddZeros(kSuperblockBytes - kOffMetaChecksum);
  return hash.digest();
}

SuperblockFields DecodeSuperblock6(std::span<const uint8_t> raw) {
  if (raw.size() < kSuperblockBytes) throw std::out_of_range("superblock needs 152 bytes");
  SuperblockFields sb = DecodeCommonFields(raw.first(kSuperblockBytes), 0);
  sb.meta_checksum = LoadLe64(raw, kOffMetaChecksum);
  sb.computed_meta_checksum = ComputeMetaChecksum6(raw);
  return sb;
}

LayoutReport CheckLayout6(const ByteSource& source, const CheckOptions& options) {
  LayoutReport report;
  report.layout = "6";
  report.description = "segmented page map, shadow paging (ic-sqlite-vfs 1.x)";
  report.space_formula = "active = 64 KiB + 16 KiB per mapped page + 2056 bytes per segment";
  report.field_notes = {{"page_table_offset", "the root table"},
                        {"page_count", "root entries (segments of 256 pages)"},
                        {"db_base_offset", "not used by this layout"}};
  ProblemCollector out(report, options.max_problems);
  const uint64_t size = source.size_bytes();
  report.source_bytes = size;
  report.space.allocated_bytes = size;

  if (size % kSuperblockRegionBytes != 0) {
    out.Add(ProblemKind::kImageSize, size, "memory of " + Dec(size) + " bytes is not a whole number of 64 KiB pages");
  }
  if (size < kSuperblockBytes) {
    out.Add(ProblemKind::kTooSmall, 0,
            size == 0 ? std::string("empty memory: never initialised, no superblock")
                      : "memory of " + Dec(size) + " bytes cannot hold the 152-byte superblock");
    return report;
  }

  const std::vector<uint8_t> raw = source.ReadVector(0, kSuperblockBytes);
  report.superblock = DecodeSuperblock6(raw);
  const SuperblockFields& sb = report.superblock;
  if (!sb.magic_ok) {
    out.Add(ProblemKind::kBadMagic, kOffMagic, "no ICSQLITE magic: not a layout-6 image");
    return report;
  }
  report.decoded = true;
  CheckSuperblockFields(sb, options, out);

  // The page map.
  const uint64_t logical_pages = sb.logical_pages();
  const uint64_t needed_segments = CeilDiv(logical_pages, kSegmentSlots);
  const uint64_t root_count = sb.page_count;
  const uint64_t root_offset = sb.page_table_offset;
  std::vector<Extent> extents;
  extents.push_back(Extent{ExtentKind::kSuperblock, 0, kSuperblockRegionBytes, 0, 0});

  // Exactly N, as every writer stores it and as the library's loader demands: a short root would leave the
  // file's tail without a place in the map (a db_size past what the map can hold), and a count of 0 for a
  // non-empty file maps nothing at all.
  if (root_count != needed_segments) {
    out.Add(ProblemKind::kSegmentCount, kOffPageCount,
            "root entry count " + Dec(root_count) + " but db_size " + Dec(sb.db_size) + " (" + Dec(logical_pages) +
                " pages) needs exactly " + Dec(needed_segments) + " segments of 256 pages");
  }
  if (root_count > 0 && root_offset == 0) {
    out.Add(ProblemKind::kRootTable, kOffPageTableOffset,
            "root entry count " + Dec(root_count) + " but no root table (page_table_offset 0)");
  }
  if (root_count == 0 && root_offset != 0) {
    out.Add(ProblemKind::kRootTable, kOffPageTableOffset,
            "page_table_offset " + HexText(root_offset) + " but root entry count 0: an empty map has no root table");
  }
  if (root_offset != 0) {
    // A count too large to multiply is certainly out of bounds; clamp the length so the check says so.
    const uint64_t root_bytes = root_count <= size / kEntryBytes ? root_count * kEntryBytes
                                                                 : std::numeric_limits<uint64_t>::max();
    const bool usable = VetPlacement(source, out, "root table", root_offset, root_bytes,
                                     options.table_alignment_bytes, kOffPageTableOffset);
    if (usable && root_count > 0) {
      const std::vector<uint8_t> root = source.ReadVector(root_offset, root_bytes);
      report.root_entries.resize(root_count);
      for (uint64_t i = 0; i < root_count; ++i) report.root_entries[i] = LoadLe64(root, i * kEntryBytes);
      extents.push_back(Extent{ExtentKind::kRootTable, root_offset, root_bytes, 0, kOffPageTableOffset});
    }
  }

  // A table or page referenced again is damage found once, not once per reference: a hostile root whose
  // every entry names the same table would otherwise cost a problem, an extent and 256 mappings per entry
  // (an 11 MiB image took a gigabyte). Each reused table and each physical page used twice becomes one
  // problem at its second reference, naming how many more references there are; only the first
  // kReusedTablesDecoded reuses of tables add their mappings (the rest are counted in mappings_not_listed).
  struct Reuse {
    uint64_t first_index;  // the segment (table) or logical page (page) that used it first
    uint64_t again_index;  // the one that used it second
    uint64_t again_at;     // where the second reference is stored
    uint64_t more = 0;     // references after the second
  };
  struct TableUse {
    uint64_t segment;
    uint64_t mapped;  // nonzero slots, counted when it was decoded first
  };
  std::unordered_map<uint64_t, TableUse> tables_seen;  // by table offset
  std::unordered_map<uint64_t, uint64_t> pages_seen;   // physical offset -> first logical page
  std::map<uint64_t, Reuse> reused_tables;             // by table offset
  std::map<uint64_t, Reuse> reused_pages;              // by physical offset
  const auto note_reuse = [](std::map<uint64_t, Reuse>& reused, uint64_t offset, uint64_t first, uint64_t again,
                             uint64_t at) {
    const auto [it, inserted] = reused.try_emplace(offset, Reuse{first, again, at});
    if (!inserted) ++it->second.more;
  };
  uint64_t table_reuses_decoded = 0;
  for (uint64_t segment = 0; segment < report.root_entries.size(); ++segment) {
    const uint64_t table_offset = report.root_entries[segment];
    if (table_offset == 0) continue;
    ++report.space.segments;
    const uint64_t entry_at = root_offset + segment * kEntryBytes;
    const auto seen = tables_seen.find(table_offset);
    if (seen != tables_seen.end()) {
      // Its placement was vetted at the first reference; its pages map the same physical pages again.
      note_reuse(reused_tables, table_offset, seen->second.segment, segment, entry_at);
      report.space.mapped_pages += seen->second.mapped;
      if (table_reuses_decoded == kReusedTablesDecoded) {
        report.mappings_not_listed += seen->second.mapped;
        continue;
      }
      ++table_reuses_decoded;
      const std::vector<uint8_t> table = source.ReadVector(table_offset, kSegmentTableBytes);
      for (uint64_t slot = 0; slot < kSegmentSlots; ++slot) {
        const uint64_t page_offset = LoadLe64(table, slot * kEntryBytes);
        if (page_offset == 0) continue;
        report.mappings.push_back(PageMapping{segment * kSegmentSlots + slot, page_offset,
                                              table_offset + slot * kEntryBytes,
                                              source.Contains(page_offset, kPageBytes)});
      }
      continue;
    }
    if (!VetPlacement(source, out, "segment table " + Dec(segment), table_offset, kSegmentTableBytes,
                      options.table_alignment_bytes, entry_at)) {
      continue;
    }
    extents.push_back(Extent{ExtentKind::kSegmentTable, table_offset, kSegmentTableBytes, segment, entry_at});

    uint64_t mapped = 0;
    const std::vector<uint8_t> table = source.ReadVector(table_offset, kSegmentTableBytes);
    for (uint64_t slot = 0; slot < kSegmentSlots; ++slot) {
      const uint64_t page_offset = LoadLe64(table, slot * kEntryBytes);
      if (page_offset == 0) continue;
      const uint64_t logical_page = segment * kSegmentSlots + slot;
      const uint64_t slot_at = table_offset + slot * kEntryBytes;
      ++mapped;
      if (logical_page >= logical_pages) {
        out.Add(ProblemKind::kBeyondDbSize, slot_at,
                "logical page " + Dec(logical_page) + " is mapped but db_size " + Dec(sb.db_size) + " spans " +
                    Dec(logical_pages) + " pages");
      }
      report.mappings.push_back(
          PageMapping{logical_page, page_offset, slot_at, source.Contains(page_offset, kPageBytes)});
      const auto [page, first_use] = pages_seen.try_emplace(page_offset, logical_page);
      if (!first_use) {
        note_reuse(reused_pages, page_offset, page->second, logical_page, slot_at);
        continue;
      }
      if (VetPlacement(source, out, "logical page " + Dec(logical_page), page_offset, kPageBytes,
                       options.page_alignment_bytes, slot_at)) {
        extents.push_back(Extent{ExtentKind::kPage, page_offset, kPageBytes, logical_page, slot_at});
      }
    }
    tables_seen.emplace(table_offset, TableUse{segment, mapped});
    report.space.mapped_pages += mapped;
  }
  const auto more = [](uint64_t count) { return count == 0 ? std::string() : ", and " + Dec(count) + " more"; };
  for (const auto& [offset, reuse] : reused_tables) {
    out.Add(ProblemKind::kMappedTwice, reuse.again_at,
            "segment table " + Dec(reuse.again_index) + " is the table at " + HexText(offset) +
                ", already used by segment table " + Dec(reuse.first_index) + more(reuse.more) +
                " (one table can hold one segment's pages)");
  }
  for (const auto& [offset, reuse] : reused_pages) {
    out.Add(ProblemKind::kMappedTwice, reuse.again_at,
            "logical page " + Dec(reuse.again_index) + " maps physical " + HexText(offset) +
                ", already used by logical page " + Dec(reuse.first_index) + more(reuse.more));
  }
  std::stable_sort(extents.begin(), extents.end(),
                   [](const Extent& a, const Extent& b) { return a.offset_bytes < b.offset_bytes; });
  CheckOverlaps(extents, out);

  // The staged import bytes must not touch anything the active page map reaches.
  CheckImportStaging(source, sb, extents, out);
  CheckStagingArea(source, report, out);

  report.extents = std::move(extents);
  ComputeSpace(report);
  return report;
}

LayoutReport CheckLayout6(std::span<const uint8_t> image, const CheckOptions& options) {
  return CheckLayout6(SpanSource(image), options);
}

LayoutReport CheckLayout6(StableMemory& memory, const CheckOptions& options) {
  return CheckLayout6(StableMemorySource(memory), options);
}

CheckerInfo Layout6Checker() {
  CheckerInfo info;
  info.name = "6";
  std::memcpy(info.magic.data(), "ICSQLITE", 8);
  info.version = kVersion;
  info.check = [](const ByteSource& source, const CheckOptions& options) { return CheckLayout6(source, options); };
  info.superblock = [](const ByteSource& source) -> std::optional<SuperblockFields> {
    if (!source.Contains(0, kSuperblockBytes)) return std::nullopt;
    return DecodeSuperblock6(source.ReadVector(0, kSuperblockBytes));
  };
  return info;
}

}  // namespace stablevfs::check
