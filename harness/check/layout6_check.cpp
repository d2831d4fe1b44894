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

std::string Hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string Dec(uint64_t value) { return std::to_string(value); }

uint64_t CeilDiv(uint64_t value, uint64_t divisor) { return value / divisor + (value % divisor != 0 ? 1 : 0); }

// Adds problems to a report up to the configured cap; counts the rest.
class Collector {
 public:
  Collector(Layout6Report& report, size_t max_problems) : report_(report), max_problems_(max_problems) {}
  void Add(ProblemKind kind, uint64_t offset_bytes, std::string message) {
    if (report_.problems.size() < max_problems_) {
      report_.problems.push_back(Problem{kind, offset_bytes, std::move(message)});
    } else {
      ++report_.problems_suppressed;
    }
  }

 private:
  Layout6Report& report_;
  size_t max_problems_;
};

std::string Describe(const Extent& extent) {
  switch (extent.kind) {
    case ExtentKind::kSuperblock: return "the superblock region";
    case ExtentKind::kRootTable: return "the root table";
    case ExtentKind::kSegmentTable: return "segment table " + Dec(extent.index);
    case ExtentKind::kPage: return "logical page " + Dec(extent.index);
  }
  return "?";
}

std::string Range(uint64_t offset, uint64_t length) {
  return "[" + Hex(offset) + ", +" + Dec(length) + ")";
}

// Checks the placement of one table or page named by a pointer stored at `referenced_at`. Returns true when
// its bytes can be read and trusted as part of the map (in bounds and outside the superblock region);
// misalignment is reported but does not stop decoding.
bool VetPlacement(const ByteSource& source, Collector& out, const std::string& what, uint64_t offset,
                  uint64_t length, uint64_t alignment, uint64_t referenced_at) {
  bool usable = true;
  if (offset < kSuperblockRegionBytes) {
    out.Add(ProblemKind::kSuperblockOverlap, referenced_at,
            what + " at " + Hex(offset) + " starts inside the superblock region [0, 64 KiB)");
    usable = false;
  }
  if (alignment > 1 && offset % alignment != 0) {
    out.Add(ProblemKind::kMisaligned, referenced_at,
            what + " at " + Hex(offset) + " is not aligned to " + Dec(alignment) + " bytes");
  }
  if (!source.Contains(offset, length)) {
    out.Add(ProblemKind::kOutOfBounds, referenced_at,
            what + " " + Range(offset, length) + " lies outside the memory of " + Dec(source.size_bytes()) +
                " bytes");
    usable = false;
  }
  return usable;
}

void CheckSuperblockFields(const Superblock6& sb, const CheckOptions& options, Collector& out) {
  if (sb.version != kVersion) {
    out.Add(ProblemKind::kBadVersion, kOffVersion, "superblock version " + Dec(sb.version) + ", expected 6");
  }
  if (sb.page_size != kPageBytes) {
    out.Add(ProblemKind::kBadPageSize, kOffPageSize, "page size " + Dec(sb.page_size) + ", expected 16384");
  }
  if (sb.layout_version != kLayoutVersion) {
    out.Add(ProblemKind::kBadLayoutVersion, kOffLayoutVersion,
            "layout_version " + Dec(sb.layout_version) + ", expected 6");
  }
  if (sb.meta_checksum != sb.computed_meta_checksum) {
    out.Add(ProblemKind::kMetaChecksum, kOffMetaChecksum,
            "meta_checksum " + Hex(sb.meta_checksum) + " but bytes 0..152 hash to " + Hex(sb.computed_meta_checksum));
  }
  if ((sb.flags & ~kKnownFlags) != 0) {
    out.Add(ProblemKind::kUnknownFlags, kOffFlags,
            "flags " + Hex(sb.flags) + " has unknown bits " + Hex(sb.flags & ~kKnownFlags));
  }

  if ((sb.flags & kFlagImporting) != 0) {
    if (sb.import_written_until > sb.import_total_size) {
      out.Add(ProblemKind::kImportState, kOffImportWrittenUntil,
              "import_written_until " + Dec(sb.import_written_until) + " exceeds import_total_size " +
                  Dec(sb.import_total_size));
    }
    if (sb.import_total_size > 0 && sb.import_base_offset < kSuperblockRegionBytes) {
      out.Add(ProblemKind::kImportState, kOffImportBaseOffset,
              "import_base_offset " + Hex(sb.import_base_offset) + " lies inside the superblock region");
    }
  } else if (options.require_idle_fields_zero) {
    const struct {
      uint64_t offset;
      uint64_t value;
      const char* name;
    } fields[] = {{kOffImportExpectedChecksum, sb.import_expected_checksum, "import_expected_checksum"},
                  {kOffImportWrittenUntil, sb.import_written_until, "import_written_until"},
                  {kOffImportTotalSize, sb.import_total_size, "import_total_size"},
                  {kOffImportBaseOffset, sb.import_base_offset, "import_base_offset"}};
    for (const auto& field : fields) {
      if (field.value != 0) {
        out.Add(ProblemKind::kImportState, field.offset,
                std::string("importing is clear but ") + field.name + " is " + Hex(field.value));
      }
    }
  }

  if ((sb.flags & kFlagChecksumRefreshing) != 0) {
    if (sb.checksum_refresh_offset > sb.db_size) {
      out.Add(ProblemKind::kRefreshState, kOffChecksumRefreshOffset,
              "checksum_refresh_offset " + Dec(sb.checksum_refresh_offset) + " is past db_size " + Dec(sb.db_size));
    }
    if (sb.checksum_refresh_tx_id != sb.last_tx_id) {
      out.Add(ProblemKind::kRefreshState, kOffChecksumRefreshTxId,
              "refresh in progress for tx " + Dec(sb.checksum_refresh_tx_id) + " but last_tx_id is " +
                  Dec(sb.last_tx_id) + " (a publish must clear the refresh)");
    }
  } else if (options.require_idle_fields_zero) {
    const struct {
      uint64_t offset;
      uint64_t value;
      const char* name;
    } fields[] = {{kOffChecksumRefreshOffset, sb.checksum_refresh_offset, "checksum_refresh_offset"},
                  {kOffChecksumRefreshHash, sb.checksum_refresh_hash, "checksum_refresh_hash"},
                  {kOffChecksumRefreshTxId, sb.checksum_refresh_tx_id, "checksum_refresh_tx_id"}};
    for (const auto& field : fields) {
      if (field.value != 0) {
        out.Add(ProblemKind::kRefreshState, field.offset,
                std::string("refreshing is clear but ") + field.name + " is " + Hex(field.value));
      }
    }
  }
}

// Reports every pair of extents that share bytes. `extents` is sorted by offset, ties in discovery order.
void CheckOverlaps(const std::vector<Extent>& extents, Collector& out) {
  size_t anchor = extents.size();  // the extent with the greatest end seen so far
  for (size_t k = 0; k < extents.size(); ++k) {
    const Extent& extent = extents[k];
    if (extent.length_bytes == 0) continue;
    if (anchor == extents.size()) {
      anchor = k;
      continue;
    }
    const Extent& reach = extents[anchor];
    if (extent.offset_bytes < reach.end_bytes()) {
      const bool same = extent.kind == reach.kind && extent.offset_bytes == reach.offset_bytes &&
                        extent.length_bytes == reach.length_bytes;
      if (same) {
        out.Add(ProblemKind::kMappedTwice, extent.referenced_at,
                Describe(extent) + " maps physical " + Hex(extent.offset_bytes) + ", already used by " +
                    Describe(reach));
      } else {
        out.Add(ProblemKind::kOverlap, extent.referenced_at,
                Describe(extent) + " " + Range(extent.offset_bytes, extent.length_bytes) + " overlaps " +
                    Describe(reach) + " " + Range(reach.offset_bytes, reach.length_bytes));
      }
    }
    if (extent.end_bytes() > reach.end_bytes()) anchor = k;
  }
}

void ComputeSpace(Layout6Report& report) {
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

uint64_t Superblock6::logical_pages() const { return CeilDiv(db_size, kPageBytes); }

uint64_t ComputeMetaChecksum6(std::span<const uint8_t> raw) {
  if (raw.size() < kSuperblockBytes) throw std::out_of_range("superblock needs 152 bytes");
  Fnv1a hash;
  hash.Add(raw.subspan(0, kOffMetaChecksum));
  hash.AddZeros(kSuperblockBytes - kOffMetaChecksum);
  return hash.digest();
}

Superblock6 DecodeSuperblock6(std::span<const uint8_t> raw) {
  if (raw.size() < kSuperblockBytes) throw std::out_of_range("superblock needs 152 bytes");
  Superblock6 sb;
  std::copy_n(raw.begin(), kSuperblockBytes, sb.raw.begin());
  sb.magic_ok = std::memcmp(raw.data() + kOffMagic, "ICSQLITE", 8) == 0;
  sb.version = LoadLe32(raw, kOffVersion);
  sb.page_size = LoadLe32(raw, kOffPageSize);
  sb.db_size = LoadLe64(raw, kOffDbSize);
  sb.schema_version = LoadLe64(raw, kOffSchemaVersion);
  sb.last_tx_id = LoadLe64(raw, kOffLastTxId);
  sb.flags = LoadLe64(raw, kOffFlags);
  sb.checksum = LoadLe64(raw, kOffChecksum);
  sb.import_expected_checksum = LoadLe64(raw, kOffImportExpectedChecksum);
  sb.import_written_until = LoadLe64(raw, kOffImportWrittenUntil);
  sb.import_total_size = LoadLe64(raw, kOffImportTotalSize);
  sb.import_base_offset = LoadLe64(raw, kOffImportBaseOffset);
  sb.checksum_refresh_offset = LoadLe64(raw, kOffChecksumRefreshOffset);
  sb.checksum_refresh_hash = LoadLe64(raw, kOffChecksumRefreshHash);
  sb.checksum_refresh_tx_id = LoadLe64(raw, kOffChecksumRefreshTxId);
  sb.db_base_offset = LoadLe64(raw, kOffDbBaseOffset);
  sb.page_table_offset = LoadLe64(raw, kOffPageTableOffset);
  sb.page_count = LoadLe64(raw, kOffPageCount);
  sb.layout_version = LoadLe64(raw, kOffLayoutVersion);
  sb.meta_checksum = LoadLe64(raw, kOffMetaChecksum);
  sb.computed_meta_checksum = ComputeMetaChecksum6(raw);
  return sb;
}

std::string_view ExtentKindName(ExtentKind kind) {
  switch (kind) {
    case ExtentKind::kSuperblock: return "superblock";
    case ExtentKind::kRootTable: return "root";
    case ExtentKind::kSegmentTable: return "segment";
    case ExtentKind::kPage: return "page";
  }
  return "?";
}

bool Layout6Report::Has(ProblemKind kind, uint64_t offset_bytes) const {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const Problem& p) { return p.kind == kind && p.offset_bytes == offset_bytes; });
}

bool Layout6Report::Has(ProblemKind kind) const {
  return std::any_of(problems.begin(), problems.end(), [&](const Problem& p) { return p.kind == kind; });
}

const PageMapping* Layout6Report::Find(uint64_t logical_page) const {
  const auto it = std::lower_bound(mappings.begin(), mappings.end(), logical_page,
                                   [](const PageMapping& m, uint64_t page) { return m.logical_page < page; });
  if (it == mappings.end() || it->logical_page != logical_page) return nullptr;
  return &*it;
}

Layout6Report CheckLayout6(const ByteSource& source, const CheckOptions& options) {
  Layout6Report report;
  Collector out(report, options.max_problems);
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
  const Superblock6& sb = report.superblock;
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
  if ((sb.flags & kFlagImporting) != 0 && sb.import_total_size > 0 &&
      sb.import_base_offset >= kSuperblockRegionBytes) {
    const uint64_t base = sb.import_base_offset;
    const uint64_t written = std::min(sb.import_written_until, sb.import_total_size);
    if (!source.Contains(base, written)) {
      out.Add(ProblemKind::kImportState, kOffImportBaseOffset,
              "staged import bytes " + Range(base, written) + " extend past the memory of " + Dec(size) + " bytes");
    } else if (written > 0) {
      for (const Extent& extent : extents) {
        if (extent.kind == ExtentKind::kSuperblock || extent.length_bytes == 0) continue;
        if (extent.offset_bytes < base + written && base < extent.end_bytes()) {
          out.Add(ProblemKind::kImportState, kOffImportBaseOffset,
                  "staged import bytes " + Range(base, written) + " overlap active " + Describe(extent));
          break;
        }
      }
    }
  }

  report.extents = std::move(extents);
  ComputeSpace(report);
  return report;
}

Layout6Report CheckLayout6(std::span<const uint8_t> image, const CheckOptions& options) {
  return CheckLayout6(SpanSource(image), options);
}

Layout6Report CheckLayout6(StableMemory& memory, const CheckOptions& options) {
  return CheckLayout6(StableMemorySource(memory), options);
}

void ReadLogicalPage(const ByteSource& source, const Layout6Report& report, uint64_t logical_page,
                     std::span<uint8_t> out) {
  if (out.size() != kPageBytes) throw std::invalid_argument("ReadLogicalPage needs a 16 KiB buffer");
  if (!report.decoded) throw std::invalid_argument("ReadLogicalPage on an image whose superblock did not decode");
  std::fill(out.begin(), out.end(), 0);
  if (logical_page >= report.superblock.logical_pages()) return;
  const PageMapping* mapping = report.Find(logical_page);
  if (mapping == nullptr || !mapping->readable) return;
  source.Read(mapping->physical_offset, out);
}

std::vector<uint8_t> ResolveLogicalImage(const ByteSource& source, const Layout6Report& report,
                                         uint64_t max_bytes) {
  if (!report.decoded) throw std::invalid_argument("cannot resolve an image whose superblock did not decode");
  const uint64_t db_size = report.superblock.db_size;
  if (db_size > max_bytes) {
    throw std::length_error("db_size " + Dec(db_size) + " exceeds the resolve limit of " + Dec(max_bytes) + " bytes");
  }
  std::vector<uint8_t> image(db_size, 0);  // unmapped pages read as zeros
  std::vector<uint8_t> page;               // only for a last page the file ends inside
  for (const PageMapping& mapping : report.mappings) {
    const uint64_t start = mapping.logical_page * kPageBytes;
    if (start >= db_size || !mapping.readable) continue;
    const uint64_t length = std::min<uint64_t>(kPageBytes, db_size - start);
    if (length == kPageBytes) {
      // The whole physical page is read (as before, so a page past the source still throws), straight into place.
      source.Read(mapping.physical_offset, std::span<uint8_t>(image.data() + start, kPageBytes));
    } else {
      page.resize(kPageBytes);
      source.Read(mapping.physical_offset, page);
      std::copy_n(page.begin(), length, image.begin() + static_cast<std::ptrdiff_t>(start));
    }
  }
  return image;
}

std::vector<Problem> CompareLogical(std::span<const uint8_t> expected, std::span<const uint8_t> actual) {
  const size_t common = std::min(expected.size(), actual.size());
  const auto mismatch = std::mismatch(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(common),
                                      actual.begin());
  if (mismatch.first != expected.begin() + static_cast<std::ptrdiff_t>(common)) {
    const uint64_t at = static_cast<uint64_t>(mismatch.first - expected.begin());
    return {Problem{ProblemKind::kLogicalDiffers, at,
                    "logical byte " + Dec(at) + " (page " + Dec(at / kPageBytes) + ") is " + Hex(*mismatch.second) +
                        ", expected " + Hex(*mismatch.first)}};
  }
  if (expected.size() != actual.size()) {
    return {Problem{ProblemKind::kLogicalDiffers, common,
                    "logical file is " + Dec(actual.size()) + " bytes, expected " + Dec(expected.size())}};
  }
  return {};
}

std::string FormatReport(const Layout6Report& report) {
  std::string out;
  out += "memory: " + Dec(report.source_bytes) + " bytes\n";
  if (report.decoded) {
    const Superblock6& sb = report.superblock;
    out += "superblock: version " + Dec(sb.version) + ", layout " + Dec(sb.layout_version) + ", page size " +
           Dec(sb.page_size) + "\n";
    out += "  db_size " + Dec(sb.db_size) + " (" + Dec(sb.logical_pages()) + " pages), last_tx_id " +
           Dec(sb.last_tx_id) + ", schema_version " + Dec(sb.schema_version) + ", flags " + Hex(sb.flags) + "\n";
    out += "  checksum " + Hex(sb.checksum) + ", meta_checksum " + Hex(sb.meta_checksum) + "\n";
    out += "  root table " + Hex(sb.page_table_offset) + ", " + Dec(sb.page_count) + " root entries\n";
    if ((sb.flags & kFlagImporting) != 0) {
      out += "  importing: " + Dec(sb.import_written_until) + " / " + Dec(sb.import_total_size) + " bytes at " +
             Hex(sb.import_base_offset) + ", expected checksum " + Hex(sb.import_expected_checksum) + "\n";
    }
    if ((sb.flags & kFlagChecksumRefreshing) != 0) {
      out += "  checksum refresh: at " + Dec(sb.checksum_refresh_offset) + ", tx " + Dec(sb.checksum_refresh_tx_id) + "\n";
    }
  }
  const SpaceAccounting& space = report.space;
  out += "space: allocated " + Dec(space.allocated_bytes) + ", active " + Dec(space.active_bytes) + ", orphan " +
         Dec(space.orphan_bytes) + " (" + Dec(space.orphan_ratio_bp) + " bp), mapped pages " +
         Dec(space.mapped_pages) + ", segments " + Dec(space.segments) +
         (space.compaction_recommended ? ", compaction recommended\n" : "\n");
  out += FormatProblems(report.problems);
  if (report.problems_suppressed > 0) out += "(" + Dec(report.problems_suppressed) + " more problems suppressed)\n";
  return out;
}

std::string FormatPageMap(const Layout6Report& report) {
  std::string out = "extents (offset, length, what, referenced at):\n";
  for (const Extent& extent : report.extents) {
    out += "  " + Hex(extent.offset_bytes) + " +" + Dec(extent.length_bytes) + " " +
           std::string(ExtentKindName(extent.kind));
    if (extent.kind == ExtentKind::kSegmentTable || extent.kind == ExtentKind::kPage) out += " " + Dec(extent.index);
    if (extent.kind != ExtentKind::kSuperblock) out += " <- " + Hex(extent.referenced_at);
    out += "\n";
  }
  out += "logical pages:\n";
  for (const PageMapping& mapping : report.mappings) {
    out += "  page " + Dec(mapping.logical_page) + " -> " + Hex(mapping.physical_offset) +
           (mapping.readable ? "" : " (unreadable)") + "\n";
  }
  return out;
}

}  // namespace stablevfs::check
