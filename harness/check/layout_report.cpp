// Independent by design; see ARCHITECTURE.md. The layout-neutral half of the checker: what every layout's
// checker shares (the common superblock fields, overlaps, resolving pages, formatting). Never includes lib/.
#include "harness/check/layout_report.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "harness/check/raw_codec.h"

namespace stablevfs::check {
namespace {

std::string Dec(uint64_t value) { return std::to_string(value); }


std::string Describe(const Extent& extent) {
  switch (extent.kind) {
    case ExtentKind::kSuperblock: return "the superblock region";
    case ExtentKind::kRootTable: return "the root table";
    case ExtentKind::kSegmentTable: return "segment table " + Dec(extent.index);
    case ExtentKind::kPage: return "logical page " + Dec(extent.index);
  }
  return "?";
}

}  // namespace

std::string HexText(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string RangeText(uint64_t offset, uint64_t length) {
  return "[" + HexText(offset) + ", +" + Dec(length) + ")";
}

bool VetPlacement(const ByteSource& source, ProblemCollector& out, const std::string& what, uint64_t offset,
                  uint64_t length, uint64_t alignment, uint64_t referenced_at) {
  bool usable = true;
  if (offset < kSuperblockRegionBytes) {
    out.Add(ProblemKind::kSuperblockOverlap, referenced_at,
            what + " at " + HexText(offset) + " starts inside the superblock region [0, 64 KiB)");
    usable = false;
  }
  if (alignment > 1 && offset % alignment != 0) {
    out.Add(ProblemKind::kMisaligned, referenced_at,
            what + " at " + HexText(offset) + " is not aligned to " + Dec(alignment) + " bytes");
  }
  if (!source.Contains(offset, length)) {
    out.Add(ProblemKind::kOutOfBounds, referenced_at,
            what + " " + RangeText(offset, length) + " lies outside the memory of " + Dec(source.size_bytes()) +
                " bytes");
    usable = false;
  }
  return usable;
}

SuperblockFields DecodeCommonFields(std::span<const uint8_t> raw, uint64_t offset_bytes) {
  if (raw.size() < field::kCommonEnd) throw std::out_of_range("the common superblock fields need 144 bytes");
  SuperblockFields sb;
  sb.offset_bytes = offset_bytes;
  sb.raw.assign(raw.begin(), raw.end());
  sb.magic_ok = std::memcmp(raw.data() + field::kMagic, "ICSQLITE", 8) == 0;
  sb.version = LoadLe32(raw, field::kVersion);
  sb.page_size = LoadLe32(raw, field::kPageSize);
  sb.db_size = LoadLe64(raw, field::kDbSize);
  sb.schema_version = LoadLe64(raw, field::kSchemaVersion);
  sb.last_tx_id = LoadLe64(raw, field::kLastTxId);
  sb.flags = LoadLe64(raw, field::kFlags);
  sb.checksum = LoadLe64(raw, field::kChecksum);
  sb.import_expected_checksum = LoadLe64(raw, field::kImportExpectedChecksum);
  sb.import_written_until = LoadLe64(raw, field::kImportWrittenUntil);
  sb.import_total_size = LoadLe64(raw, field::kImportTotalSize);
  sb.import_base_offset = LoadLe64(raw, field::kImportBaseOffset);
  sb.checksum_refresh_offset = LoadLe64(raw, field::kChecksumRefreshOffset);
  sb.checksum_refresh_hash = LoadLe64(raw, field::kChecksumRefreshHash);
  sb.checksum_refresh_tx_id = LoadLe64(raw, field::kChecksumRefreshTxId);
  sb.db_base_offset = LoadLe64(raw, field::kDbBaseOffset);
  sb.page_table_offset = LoadLe64(raw, field::kPageTableOffset);
  sb.page_count = LoadLe64(raw, field::kPageCount);
  sb.layout_version = LoadLe64(raw, field::kLayoutVersion);
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

std::string LayoutReport::NoteOn(std::string_view field_name) const {
  for (const auto& [name, note] : field_notes) {
    if (name == field_name) return note;
  }
  return "";
}

bool LayoutReport::Has(ProblemKind kind, uint64_t offset_bytes) const {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const Problem& p) { return p.kind == kind && p.offset_bytes == offset_bytes; });
}

bool LayoutReport::Has(ProblemKind kind) const {
  return std::any_of(problems.begin(), problems.end(), [&](const Problem& p) { return p.kind == kind; });
}

const PageMapping* LayoutReport::Find(uint64_t logical_page) const {
  const auto it = std::lower_bound(mappings.begin(), mappings.end(), logical_page,
                                   [](const PageMapping& m, uint64_t page) { return m.logical_page < page; });
  if (it == mappings.end() || it->logical_page != logical_page) return nullptr;
  return &*it;
}

void ProblemCollector::Add(ProblemKind kind, uint64_t offset_bytes, std::string message) {
  if (report_.problems.size() < max_problems_) {
    report_.problems.push_back(Problem{kind, offset_bytes, std::move(message)});
  } else {
    ++report_.problems_suppressed;
  }
}

void CheckCommonFields(const SuperblockFields& sb, const CheckOptions& options, ProblemCollector& out,
                       uint64_t data_start_bytes) {
  const uint64_t base = sb.offset_bytes;
  if (sb.page_size != kPageBytes) {
    out.Add(ProblemKind::kBadPageSize, base + field::kPageSize,
            "page size " + Dec(sb.page_size) + ", expected 16384");
  }
  if ((sb.flags & ~kKnownFlags) != 0) {
    out.Add(ProblemKind::kUnknownFlags, base + field::kFlags,
            "flags " + HexText(sb.flags) + " has unknown bits " + HexText(sb.flags & ~kKnownFlags));
  }

  struct Named {
    uint64_t offset;
    uint64_t value;
    const char* name;
  };
  if ((sb.flags & kFlagImporting) != 0) {
    if (sb.import_written_until > sb.import_total_size) {
      out.Add(ProblemKind::kImportState, base + field::kImportWrittenUntil,
              "import_written_until " + Dec(sb.import_written_until) + " exceeds import_total_size " +
                  Dec(sb.import_total_size));
    }
    if (sb.import_total_size > 0 && sb.import_base_offset < data_start_bytes) {
      out.Add(ProblemKind::kImportState, base + field::kImportBaseOffset,
              "import_base_offset " + HexText(sb.import_base_offset) +
                  (data_start_bytes == kSuperblockRegionBytes
                       ? std::string(" lies inside the superblock region")
                       : " lies inside the header [0, " + HexText(data_start_bytes) + ")"));
    }
  } else if (options.require_idle_fields_zero) {
    const Named fields[] = {{field::kImportExpectedChecksum, sb.import_expected_checksum, "import_expected_checksum"},
                            {field::kImportWrittenUntil, sb.import_written_until, "import_written_until"},
                            {field::kImportTotalSize, sb.import_total_size, "import_total_size"},
                            {field::kImportBaseOffset, sb.import_base_offset, "import_base_offset"}};
    for (const Named& f : fields) {
      if (f.value != 0) {
        out.Add(ProblemKind::kImportState, base + f.offset,
                std::string("importing is clear but ") + f.name + " is " + HexText(f.value));
      }
    }
  }

  if ((sb.flags & kFlagChecksumRefreshing) != 0) {
    if (sb.checksum_refresh_offset > sb.db_size) {
      out.Add(ProblemKind::kRefreshState, base + field::kChecksumRefreshOffset,
              "checksum_refresh_offset " + Dec(sb.checksum_refresh_offset) + " is past db_size " + Dec(sb.db_size));
    }
    if (sb.checksum_refresh_tx_id != sb.last_tx_id) {
      out.Add(ProblemKind::kRefreshState, base + field::kChecksumRefreshTxId,
              "refresh in progress for tx " + Dec(sb.checksum_refresh_tx_id) + " but last_tx_id is " +
                  Dec(sb.last_tx_id) + " (a publish must clear the refresh)");
    }
  } else if (options.require_idle_fields_zero) {
    const Named fields[] = {{field::kChecksumRefreshOffset, sb.checksum_refresh_offset, "checksum_refresh_offset"},
                            {field::kChecksumRefreshHash, sb.checksum_refresh_hash, "checksum_refresh_hash"},
                            {field::kChecksumRefreshTxId, sb.checksum_refresh_tx_id, "checksum_refresh_tx_id"}};
    for (const Named& f : fields) {
      if (f.value != 0) {
        out.Add(ProblemKind::kRefreshState, base + f.offset,
                std::string("refreshing is clear but ") + f.name + " is " + HexText(f.value));
      }
    }
  }
}

void CheckOverlaps(const std::vector<Extent>& extents, ProblemCollector& out) {
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
                Describe(extent) + " maps physical " + HexText(extent.offset_bytes) + ", already used by " +
                    Describe(reach));
      } else {
        out.Add(ProblemKind::kOverlap, extent.referenced_at,
                Describe(extent) + " " + RangeText(extent.offset_bytes, extent.length_bytes) + " overlaps " +
                    Describe(reach) + " " + RangeText(reach.offset_bytes, reach.length_bytes));
      }
    }
    if (extent.end_bytes() > reach.end_bytes()) anchor = k;
  }
}

void CheckImportStaging(const ByteSource& source, const SuperblockFields& sb, const std::vector<Extent>& extents,
                        ProblemCollector& out) {
  if ((sb.flags & kFlagImporting) == 0 || sb.import_total_size == 0 ||
      sb.import_base_offset < kSuperblockRegionBytes) {
    return;
  }
  const uint64_t at = sb.offset_bytes + field::kImportBaseOffset;
  const uint64_t base = sb.import_base_offset;
  const uint64_t written = std::min(sb.import_written_until, sb.import_total_size);
  if (!source.Contains(base, written)) {
    out.Add(ProblemKind::kImportState, at,
            "staged import bytes " + RangeText(base, written) + " extend past the memory of " +
                Dec(source.size_bytes()) + " bytes");
    return;
  }
  if (written == 0) return;
  for (const Extent& extent : extents) {
    if (extent.kind == ExtentKind::kSuperblock || extent.length_bytes == 0) continue;
    if (extent.offset_bytes < base + written && base < extent.end_bytes()) {
      out.Add(ProblemKind::kImportState, at,
              "staged import bytes " + RangeText(base, written) + " overlap active " + Describe(extent));
      return;
    }
  }
}

void ReadLogicalPage(const ByteSource& source, const LayoutReport& report, uint64_t logical_page,
                     std::span<uint8_t> out) {
  if (out.size() != kPageBytes) throw std::invalid_argument("ReadLogicalPage needs a 16 KiB buffer");
  if (!report.decoded) throw std::invalid_argument("ReadLogicalPage on an image whose superblock did not decode");
  std::fill(out.begin(), out.end(), 0);
  if (logical_page >= report.superblock.logical_pages()) return;
  const PageMapping* mapping = report.Find(logical_page);
  if (mapping == nullptr || !mapping->readable) return;
  source.Read(mapping->physical_offset, out);
}

std::vector<uint8_t> ResolveLogicalImage(const ByteSource& source, const LayoutReport& report,
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
      // The whole physical page is read (so a page past the source still throws), straight into place.
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
                    "logical byte " + Dec(at) + " (page " + Dec(at / kPageBytes) + ") is " +
                        HexText(*mismatch.second) + ", expected " + HexText(*mismatch.first)}};
  }
  if (expected.size() != actual.size()) {
    return {Problem{ProblemKind::kLogicalDiffers, common,
                    "logical file is " + Dec(actual.size()) + " bytes, expected " + Dec(expected.size())}};
  }
  return {};
}

std::string FormatReport(const LayoutReport& report) {
  std::string out;
  out += "memory: " + Dec(report.source_bytes) + " bytes\n";
  if (report.decoded) {
    const SuperblockFields& sb = report.superblock;
    out += "superblock (layout " + report.layout + "): version " + Dec(sb.version) + ", layout " +
           Dec(sb.layout_version) + ", page size " + Dec(sb.page_size) + "\n";
    out += "  db_size " + Dec(sb.db_size) + " (" + Dec(sb.logical_pages()) + " pages), last_tx_id " +
           Dec(sb.last_tx_id) + ", schema_version " + Dec(sb.schema_version) + ", flags " + HexText(sb.flags) + "\n";
    out += "  checksum " + HexText(sb.checksum) + ", meta_checksum " + HexText(sb.meta_checksum) + "\n";
    out += "  db_base_offset " + HexText(sb.db_base_offset) + ", page_table_offset " +
           HexText(sb.page_table_offset) + ", page_count " + Dec(sb.page_count) + "\n";
    for (const LayoutField& f : sb.layout_fields) out += "  " + f.name + " " + Dec(f.value) + "\n";
    if ((sb.flags & kFlagImporting) != 0) {
      out += "  importing: " + Dec(sb.import_written_until) + " / " + Dec(sb.import_total_size) + " bytes at " +
             HexText(sb.import_base_offset) + ", expected checksum " + HexText(sb.import_expected_checksum) + "\n";
    }
    if ((sb.flags & kFlagChecksumRefreshing) != 0) {
      out += "  checksum refresh: at " + Dec(sb.checksum_refresh_offset) + ", tx " +
             Dec(sb.checksum_refresh_tx_id) + "\n";
    }
  }
  const SpaceAccounting& space = report.space;
  out += "space: allocated " + Dec(space.allocated_bytes) + ", active " + Dec(space.active_bytes) + ", orphan " +
         Dec(space.orphan_bytes) + " (" + Dec(space.orphan_ratio_bp) + " bp), mapped pages " +
         Dec(space.mapped_pages) + ", segments " + Dec(space.segments) +
         (space.compaction_recommended ? ", compaction recommended\n" : "\n");
  if (report.mappings_not_listed > 0) {
    out += "(" + Dec(report.mappings_not_listed) + " mappings of reused tables not listed)\n";
  }
  out += FormatProblems(report.problems);
  if (report.problems_suppressed > 0) out += "(" + Dec(report.problems_suppressed) + " more problems suppressed)\n";
  return out;
}

std::string FormatPageMap(const LayoutReport& report) {
  std::string out = "extents (offset, length, what, referenced at):\n";
  for (const Extent& extent : report.extents) {
    out += "  " + HexText(extent.offset_bytes) + " +" + Dec(extent.length_bytes) + " " +
           std::string(ExtentKindName(extent.kind));
    if (extent.kind == ExtentKind::kSegmentTable || extent.kind == ExtentKind::kPage) out += " " + Dec(extent.index);
    if (extent.kind != ExtentKind::kSuperblock) out += " <- " + HexText(extent.referenced_at);
    out += "\n";
  }
  out += "logical pages:\n";
  for (const PageMapping& mapping : report.mappings) {
    out += "  page " + Dec(mapping.logical_page) + " -> " + HexText(mapping.physical_offset) +
           (mapping.readable ? "" : " (unreadable)") + "\n";
  }
  return out;
}

}  // namespace stablevfs::check
