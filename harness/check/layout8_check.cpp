// Independent by design; see ARCHITECTURE.md. This file decodes layout 8 from raw bytes with the checker's
// own readers and must never include lib/layout, lib/vfs or lib/db.
#include "harness/check/layout8_check.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/check/raw_codec.h"

namespace stablevfs::check {
namespace {

using namespace layout8;  // NOLINT(google-build-using-namespace): the format constants, local to this file

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

std::string Dec(uint64_t value) { return std::to_string(value); }

// One zero extent as stored: logical pages [start_page, end_page).
struct StoredExtent {
  uint64_t start_page;
  uint64_t end_page;
};

// The superblock as decoded, before any judgement: the report's fields plus what the checker needs beside
// them (the count as stored and whether the list could be read).
struct Decoded {
  SuperblockFields sb;
  uint64_t extent_count = 0;     // as stored at 144
  bool extents_decoded = false;  // count <= 1,024 and the encoded length lies inside the bytes given
  std::vector<StoredExtent> extents;
};

Decoded Decode(std::span<const uint8_t> raw) {
  if (raw.size() < kOffExtents) throw std::out_of_range("a layout 8 superblock needs at least 160 bytes");
  Decoded out;
  out.extent_count = LoadLe64(raw, kOffZeroExtentCount);
  out.extents_decoded = out.extent_count <= kMaxZeroExtents && EncodedBytes(out.extent_count) <= raw.size();
  const uint64_t encoded_bytes = out.extents_decoded ? EncodedBytes(out.extent_count) : kOffExtents;
  const std::span<const uint8_t> encoded = raw.first(encoded_bytes);
  out.sb = DecodeCommonFields(encoded, 0);
  out.sb.meta_checksum = LoadLe64(encoded, kOffMetaChecksum);
  out.sb.layout_fields.push_back(LayoutField{"zero_extent_count", kOffZeroExtentCount, out.extent_count});
  if (!out.extents_decoded) return out;  // computed_meta_checksum stays 0: the span it covers is unknown
  out.sb.computed_meta_checksum = ComputeMetaChecksum8(encoded);
  for (uint64_t i = 0; i < out.extent_count; ++i) {
    const uint64_t at = kOffExtents + kExtentBytes * i;
    const StoredExtent extent{LoadLe64(encoded, at), LoadLe64(encoded, at + 8)};
    out.extents.push_back(extent);
    const std::string prefix = "zero_extent." + Dec(i);
    out.sb.layout_fields.push_back(LayoutField{prefix + ".start", at, extent.start_page});
    out.sb.layout_fields.push_back(LayoutField{prefix + ".end", at + 8, extent.end_page});
  }
  return out;
}

// Reads as much of the superblock as the source holds and the count asks for.
// REQUIRES: source.Contains(0, kOffExtents).
Decoded ReadAndDecode(const ByteSource& source) {
  std::vector<uint8_t> raw = source.ReadVector(0, kOffExtents);
  const uint64_t count = LoadLe64(raw, kOffZeroExtentCount);
  if (count <= kMaxZeroExtents && source.Contains(0, EncodedBytes(count))) {
    raw = source.ReadVector(0, EncodedBytes(count));
  }
  return Decode(raw);
}

// The union of the non-empty stored extents as sorted, disjoint, non-adjacent ranges: how the pages resolve
// whether or not the stored list is normalized (for a normalized list, the list itself).
std::vector<StoredExtent> ZeroPageSet(std::vector<StoredExtent> extents) {
  std::erase_if(extents, [](const StoredExtent& e) { return e.start_page >= e.end_page; });
  std::sort(extents.begin(), extents.end(),
            [](const StoredExtent& a, const StoredExtent& b) { return a.start_page < b.start_page; });
  std::vector<StoredExtent> merged;
  for (const StoredExtent& e : extents) {
    if (!merged.empty() && e.start_page <= merged.back().end_page) {
      merged.back().end_page = std::max(merged.back().end_page, e.end_page);
    } else {
      merged.push_back(e);
    }
  }
  return merged;
}

// Pages of [first_page, limit_page) that lie inside `zero` (sorted, disjoint).
uint64_t ZeroPagesIn(const std::vector<StoredExtent>& zero, uint64_t first_page, uint64_t limit_page) {
  uint64_t pages = 0;
  for (const StoredExtent& e : zero) {
    const uint64_t begin = std::max(e.start_page, first_page);
    const uint64_t end = std::min(e.end_page, limit_page);
    if (begin < end) pages += end - begin;
  }
  return pages;
}

void CheckSuperblock(const Decoded& decoded, const ByteSource& source, const CheckOptions& options,
                     ProblemCollector& out) {
  const SuperblockFields& sb = decoded.sb;
  if (sb.version != kVersion) {
    out.Add(ProblemKind::kBadVersion, field::kVersion, "superblock version " + Dec(sb.version) + ", expected 8");
  }
  if (sb.layout_version != kLayoutVersion) {
    out.Add(ProblemKind::kBadLayoutVersion, field::kLayoutVersion,
            "layout_version " + Dec(sb.layout_version) + ", expected 8");
  }
  if (decoded.extent_count > kMaxZeroExtents) {
    out.Add(ProblemKind::kZeroExtents, kOffZeroExtentCount,
            "zero_extent_count " + Dec(decoded.extent_count) + " exceeds the limit of " + Dec(kMaxZeroExtents) +
                "; the extents and the meta checksum are not decoded, pages resolve as if there were none");
  } else if (!decoded.extents_decoded) {
    out.Add(ProblemKind::kZeroExtents, kOffZeroExtentCount,
            "zero_extent_count " + Dec(decoded.extent_count) + " needs a superblock of " +
                Dec(EncodedBytes(decoded.extent_count)) + " bytes, the memory holds " + Dec(source.size_bytes()) +
                "; the extents and the meta checksum are not decoded");
  }
  if (decoded.extents_decoded && sb.meta_checksum != sb.computed_meta_checksum) {
    out.Add(ProblemKind::kMetaChecksum, kOffMetaChecksum,
            "meta_checksum " + HexText(sb.meta_checksum) + " but bytes 0.." + Dec(EncodedBytes(decoded.extent_count)) +
                " hash to " + HexText(sb.computed_meta_checksum));
  }
  for (size_t i = 0; i < decoded.extents.size(); ++i) {
    const StoredExtent& e = decoded.extents[i];
    const uint64_t at = kOffExtents + kExtentBytes * i;
    const std::string what = "zero extent " + Dec(i) + " [" + Dec(e.start_page) + ", " + Dec(e.end_page) + ")";
    if (e.start_page >= e.end_page) {
      out.Add(ProblemKind::kZeroExtents, at, what + " is empty");
    } else if (i > 0 && e.start_page <= decoded.extents[i - 1].end_page) {
      const uint64_t previous_end = decoded.extents[i - 1].end_page;
      out.Add(ProblemKind::kZeroExtents, at,
              what + (e.start_page < previous_end ? " is not past the end of the previous one ("
                                                  : " touches the end of the previous one (") +
                  Dec(previous_end) + "): extents must ascend, neither overlapping nor adjacent");
    }
  }
  CheckCommonFields(sb, options, out);
  if (sb.page_count != sb.logical_pages()) {
    out.Add(ProblemKind::kPageCount, field::kPageCount,
            "page_count " + Dec(sb.page_count) + " but db_size " + Dec(sb.db_size) + " spans " +
                Dec(sb.logical_pages()) + " pages");
  }
  if (sb.page_table_offset != 0) {
    out.Add(ProblemKind::kRootTable, field::kPageTableOffset,
            "page_table_offset " + HexText(sb.page_table_offset) + " must be 0: layout 8 keeps no page table");
  }
  if (sb.db_base_offset < kSuperblockRegionBytes) {
    out.Add(ProblemKind::kDbBaseOffset, field::kDbBaseOffset,
            "db_base_offset " + HexText(sb.db_base_offset) + " lies inside the superblock region [0, 64 KiB)");
  }
  if (sb.db_base_offset % kPageBytes != 0) {
    out.Add(ProblemKind::kDbBaseOffset, field::kDbBaseOffset,
            "db_base_offset " + HexText(sb.db_base_offset) + " is not a multiple of 16 KiB");
  }
}

// The in-place pages: mappings, page extents, mapped_pages and the bounds rule.
void ResolvePages(const ByteSource& source, const std::vector<StoredExtent>& zero, LayoutReport& report,
                  ProblemCollector& out) {
  const SuperblockFields& sb = report.superblock;
  const uint64_t size = source.size_bytes();
  const uint64_t base = sb.db_base_offset;
  const uint64_t page_count = sb.page_count;
  report.space.mapped_pages = page_count - ZeroPagesIn(zero, 0, page_count);

  // Pages [0, fitting) lie wholly inside the memory; written so that no sum can overflow.
  const uint64_t fitting = base > size ? 0 : std::min(page_count, (size - base) / kPageBytes);
  if (page_count == 0 && base > size) {
    // No page to lose, but the library refuses a base past the memory: its next commit would write there.
    out.Add(ProblemKind::kOutOfBounds, field::kDbBaseOffset,
            "db_base_offset " + HexText(base) + " lies past the end of the memory of " + Dec(size) + " bytes");
  } else if (fitting < page_count) {
    const uint64_t lost = (page_count - fitting) - ZeroPagesIn(zero, fitting, page_count);
    out.Add(ProblemKind::kOutOfBounds, field::kDbBaseOffset,
            "in-place pages from db_base_offset " + HexText(base) + " for page_count " + Dec(page_count) +
                " do not fit the memory of " + Dec(size) + " bytes: pages " + Dec(fitting) + " to " +
                Dec(page_count - 1) + " lie (partly) outside, " + Dec(lost) +
                (lost == 0 ? " of them outside a zero extent (all read as zeros, but the space must exist)"
                           : " of them outside a zero extent (unreadable: they read as zeros)"));
  }

  // Walk the gaps between the zero extents below page_count; stop once the unreadable pages listed reach the
  // cap, or when a physical offset would not fit 64 bits (no such page can be read).
  const uint64_t representable = (kMax - base) / kPageBytes;  // pages n <= this have base + n * 16 KiB <= max
  uint64_t unreadable_listed = 0;
  uint64_t next = 0;  // the first page of the current gap
  const auto walk = [&](uint64_t gap_end) -> bool {  // false: stop the walk
    for (uint64_t n = next; n < gap_end; ++n) {
      if (n > representable) return false;
      const uint64_t physical = base + n * kPageBytes;
      const bool readable = n < fitting;
      if (!readable && unreadable_listed++ == kUnreadableMappingsListed) return false;
      report.mappings.push_back(PageMapping{n, physical, field::kDbBaseOffset, readable});
      if (readable && physical >= kSuperblockRegionBytes) {
        report.extents.push_back(Extent{ExtentKind::kPage, physical, kPageBytes, n, field::kDbBaseOffset});
      }
    }
    return true;
  };
  for (const StoredExtent& e : zero) {
    if (next >= page_count) break;
    if (!walk(std::min(e.start_page, page_count))) return;
    next = std::max(next, e.end_page);
  }
  if (next < page_count) walk(page_count);
}

// The import staging rules past CheckImportStaging's (see the header comment).
void CheckStaging(const ByteSource& source, const LayoutReport& report, ProblemCollector& out) {
  const SuperblockFields& sb = report.superblock;
  if (!sb.importing()) return;
  const uint64_t at = field::kImportBaseOffset;
  CheckImportStaging(source, sb, report.extents, out);
  if (report.Has(ProblemKind::kImportState, at)) return;  // said once is enough

  const uint64_t size = source.size_bytes();
  const uint64_t base = sb.import_base_offset;
  const uint64_t staged_pages = CeilDiv(sb.import_total_size, kPageBytes);
  if (base < kSuperblockRegionBytes) {  // CheckCommonFields reported it for a non-empty import
    out.Add(ProblemKind::kImportState, at,
            "import_base_offset " + HexText(base) + " of an empty import lies inside the superblock region");
    return;
  }
  if (base > size || staged_pages > (size - base) / kPageBytes) {
    out.Add(ProblemKind::kImportState, at,
            "import staging area at " + HexText(base) + " for " + Dec(sb.import_total_size) + " bytes (" +
                Dec(staged_pages) + " pages of 16 KiB) does not fit the memory of " + Dec(size) + " bytes");
    return;
  }
  // Both areas are non-empty and the staging area lies inside the memory; the in-place region may not (that
  // is its own problem), so its end saturates.
  const uint64_t staged_end = base + staged_pages * kPageBytes;
  const uint64_t region_begin = sb.db_base_offset;
  const uint64_t region_pages = sb.page_count;
  const uint64_t region_end = region_pages > (kMax - region_begin) / kPageBytes
                                  ? kMax
                                  : region_begin + region_pages * kPageBytes;
  if (staged_pages > 0 && region_pages > 0 && base < region_end && region_begin < staged_end) {
    out.Add(ProblemKind::kImportState, at,
            "import staging area " + RangeText(base, staged_end - base) + " overlaps the in-place pages " +
                RangeText(region_begin, region_end - region_begin));
  }
}

void ComputeSpace(LayoutReport& report) {
  SpaceAccounting& space = report.space;
  space.allocated_bytes = report.source_bytes;
  const uint64_t mapped = space.mapped_pages;
  space.active_bytes = mapped > (kMax - kSuperblockRegionBytes) / kPageBytes
                           ? kMax
                           : kSuperblockRegionBytes + kPageBytes * mapped;
  space.orphan_bytes = space.allocated_bytes > space.active_bytes ? space.allocated_bytes - space.active_bytes : 0;
  space.orphan_ratio_bp =
      space.allocated_bytes == 0
          ? 0
          : static_cast<uint64_t>(static_cast<unsigned __int128>(space.orphan_bytes) * 10000 / space.allocated_bytes);
  space.compaction_recommended = false;
  space.segments = 0;
}

}  // namespace

uint64_t ComputeMetaChecksum8(std::span<const uint8_t> encoded) {
  if (encoded.size() < kOffExtents) throw std::out_of_range("a layout 8 superblock needs at least 160 bytes");
  Fnv1a hash;
  hash.Add(encoded.first(kOffMetaChecksum));
  hash.AddZeros(kOffExtents - kOffMetaChecksum);
  hash.Add(encoded.subspan(kOffExtents));
  return hash.digest();
}

SuperblockFields DecodeSuperblock8(std::span<const uint8_t> raw) { return Decode(raw).sb; }

LayoutReport CheckLayout8(const ByteSource& source, const CheckOptions& options) {
  LayoutReport report;
  report.layout = "8";
  report.description = "pages in place, zero extents (ic-sqlite-vfs 2.x)";
  report.space_formula = "active = 64 KiB + 16 KiB per page in place outside a zero extent";
  report.field_notes = {{"db_base_offset", "logical page 0 lives here"},
                        {"page_table_offset", "always 0 in this layout"},
                        {"page_count", "ceil(db_size / 16 KiB)"}};
  ProblemCollector out(report, options.max_problems);
  const uint64_t size = source.size_bytes();
  report.source_bytes = size;
  report.space.allocated_bytes = size;

  if (size % kWasmPageBytes != 0) {
    out.Add(ProblemKind::kImageSize, size, "memory of " + Dec(size) + " bytes is not a whole number of 64 KiB pages");
  }
  if (size < kOffExtents) {
    out.Add(ProblemKind::kTooSmall, 0,
            size == 0 ? std::string("empty memory: never initialised, no superblock")
                      : "memory of " + Dec(size) + " bytes cannot hold the 160-byte superblock");
    return report;
  }

  Decoded decoded = ReadAndDecode(source);
  report.superblock = decoded.sb;
  if (!report.superblock.magic_ok) {
    out.Add(ProblemKind::kBadMagic, field::kMagic, "no ICSQLITE magic: not a layout-8 image");
    return report;
  }
  report.decoded = true;
  CheckSuperblock(decoded, source, options, out);

  report.extents.push_back(Extent{ExtentKind::kSuperblock, 0, kSuperblockRegionBytes, 0, 0});
  ResolvePages(source, ZeroPageSet(decoded.extents), report, out);
  CheckStaging(source, report, out);
  ComputeSpace(report);
  return report;
}

LayoutReport CheckLayout8(std::span<const uint8_t> image, const CheckOptions& options) {
  return CheckLayout8(SpanSource(image), options);
}

LayoutReport CheckLayout8(StableMemory& memory, const CheckOptions& options) {
  return CheckLayout8(StableMemorySource(memory), options);
}

CheckerInfo Layout8Checker() {
  CheckerInfo info;
  info.name = "8";
  std::memcpy(info.magic.data(), "ICSQLITE", 8);
  info.version = kVersion;
  info.check = [](const ByteSource& source, const CheckOptions& options) { return CheckLayout8(source, options); };
  info.superblock = [](const ByteSource& source) -> std::optional<SuperblockFields> {
    if (!source.Contains(0, kOffExtents)) return std::nullopt;
    return ReadAndDecode(source).sb;
  };
  return info;
}

}  // namespace stablevfs::check
