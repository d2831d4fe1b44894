// Independent by design; see ARCHITECTURE.md. This file decodes layout 6 from raw bytes with the checker's
// own readers and must never include lib/layout, lib/vfs or lib/db.
#include "harness/check/layout6_check.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <unordered_set>

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

  if (root_count > needed_segments) {
    out.Add(ProblemKind::kSegmentCount, kOffPageCount,
            "root entry count " + Dec(root_count) + " but db_size " + Dec(sb.db_size) + " needs at most " +
                Dec(needed_segments) + " segments");
  }
  if (root_count > 0 && root_offset == 0) {
    out.Add(ProblemKind::kRootTable, kOffPageTableOffset,
            "root entry count " + Dec(root_count) + " but no root table (page_table_offset 0)");
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

  std::unordered_set<uint64_t> decoded_tables;
  for (uint64_t segment = 0; segment < report.root_entries.size(); ++segment) {
    const uint64_t table_offset = report.root_entries[segment];
    if (table_offset == 0) continue;
    ++report.space.segments;
    const uint64_t entry_at = root_offset + segment * kEntryBytes;
    if (!VetPlacement(source, out, "segment table " + Dec(segment), table_offset, kSegmentTableBytes,
                      options.table_alignment_bytes, entry_at)) {
      continue;
    }
    extents.push_back(Extent{ExtentKind::kSegmentTable, table_offset, kSegmentTableBytes, segment, entry_at});
    // A table referenced twice is reported once (as the table); its pages are mapped for the second segment
    // too, but not counted as extents again, or every slot would repeat the same finding.
    const bool first_use = decoded_tables.insert(table_offset).second;

    const std::vector<uint8_t> table = source.ReadVector(table_offset, kSegmentTableBytes);
    for (uint64_t slot = 0; slot < kSegmentSlots; ++slot) {
      const uint64_t page_offset = LoadLe64(table, slot * kEntryBytes);
      if (page_offset == 0) continue;
      const uint64_t logical_page = segment * kSegmentSlots + slot;
      const uint64_t slot_at = table_offset + slot * kEntryBytes;
      ++report.space.mapped_pages;
      if (logical_page >= logical_pages) {
        out.Add(ProblemKind::kBeyondDbSize, slot_at,
                "logical page " + Dec(logical_page) + " is mapped but db_size " + Dec(sb.db_size) + " spans " +
                    Dec(logical_pages) + " pages");
      }
      const bool usable = first_use && VetPlacement(source, out, "logical page " + Dec(logical_page), page_offset,
                                                    kPageBytes, options.page_alignment_bytes, slot_at);
      report.mappings.push_back(
          PageMapping{logical_page, page_offset, slot_at, source.Contains(page_offset, kPageBytes)});
      if (usable) {
        extents.push_back(Extent{ExtentKind::kPage, page_offset, kPageBytes, logical_page, slot_at});
      }
    }
  }

  std::stable_sort(extents.begin(), extents.end(),
                   [](const Extent& a, const Extent& b) { return a.offset_bytes < b.offset_bytes; });
  CheckOverlaps(extents, out);

  // The staged import bytes must not touch anything the active page map reaches.
  CheckImportStaging(source, sb, extents, out);

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
