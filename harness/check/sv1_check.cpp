// Independent by design; see ARCHITECTURE.md. This file decodes layout sv1 from raw bytes with the checker's
// own readers, written from docs/layout-sv1.md, and must never include lib/layout, lib/vfs or lib/db.
#include "harness/check/sv1_check.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include "harness/check/raw_codec.h"

namespace stablevfs::check {
namespace {

using namespace sv1;  // NOLINT(google-build-using-namespace): the format constants, local to this file

std::string Dec(uint64_t value) { return std::to_string(value); }

std::string SlotName(uint64_t base) { return base == kSlotABase ? "slot A" : "slot B"; }

// Both slots as the source holds them, and which one is active (nullopt: none is valid).
struct Slots {
  Sv1Slot a;
  Sv1Slot b;
  std::optional<uint64_t> active;  // 0 (slot A) or 1 (slot B)

  const Sv1Slot& slot(uint64_t index) const { return index == 0 ? a : b; }
};

// Reads the fixed part of the slot at `base`, then its roots when the count is in range and the source holds
// them (never more than the encoding: a decorated memory accounts for what is read).
Sv1Slot ReadSlot(const ByteSource& source, uint64_t base) {
  const uint64_t size = source.size_bytes();
  if (!source.Contains(base, kOffRoots)) {
    // Whatever part of the fixed part the source holds (nothing, when it ends before the slot begins).
    const std::vector<uint8_t> held = base < size ? source.ReadVector(base, size - base) : std::vector<uint8_t>{};
    return DecodeSv1Slot(held, base);
  }
  std::vector<uint8_t> raw = source.ReadVector(base, kOffRoots);
  const uint64_t root_count = LoadLe64(raw, kOffRootCount);
  if (root_count <= kMaxRootCount && source.Contains(base, EncodedBytes(root_count))) {
    raw = source.ReadVector(base, EncodedBytes(root_count));
  }
  return DecodeSv1Slot(raw, base);
}

// The specification's choice: the valid slot with the higher sequence; slot A on a tie (a problem, reported
// by CheckSlotPair).
Slots ReadSlots(const ByteSource& source) {
  Slots slots{ReadSlot(source, kSlotABase), ReadSlot(source, kSlotBBase), std::nullopt};
  if (slots.a.valid && slots.b.valid) {
    slots.active = slots.b.sequence > slots.a.sequence ? 1 : 0;
  } else if (slots.a.valid) {
    slots.active = 0;
  } else if (slots.b.valid) {
    slots.active = 1;
  }
  return slots;
}

// The fields a report shows: the active slot's (slot A's when none is valid), with the slot-level facts
// inserted after root_count: active_slot (when there is one), slot_a_valid, slot_b_valid.
SuperblockFields ReportedFields(const Slots& slots) {
  const Sv1Slot& shown = slots.slot(slots.active.value_or(0));
  SuperblockFields fields = shown.fields;
  std::vector<LayoutField> extra;
  if (slots.active) extra.push_back(LayoutField{"active_slot", shown.base_offset, *slots.active, true});
  extra.push_back(LayoutField{"slot_a_valid", kSlotABase, slots.a.valid ? 1u : 0u, true});
  extra.push_back(LayoutField{"slot_b_valid", kSlotBBase, slots.b.valid ? 1u : 0u, true});
  const auto at = fields.layout_fields.begin() + std::min<std::ptrdiff_t>(2, std::ssize(fields.layout_fields));
  fields.layout_fields.insert(at, extra.begin(), extra.end());
  return fields;
}

// Two valid slots: their sequences differ by exactly one (see the header comment).
void CheckSlotPair(const Slots& slots, ProblemCollector& out) {
  if (!slots.a.valid || !slots.b.valid) return;
  const uint64_t a = slots.a.sequence;
  const uint64_t b = slots.b.sequence;
  if (a == b) {
    out.Add(ProblemKind::kSlotSequence, kSlotBBase + kOffSequence,
            "both slots are valid with sequence " + Dec(a) +
                ": no writer leaves two valid slots with one sequence (slot A is taken as active)");
    return;
  }
  const Sv1Slot& inactive = slots.slot(*slots.active == 0 ? 1 : 0);
  const uint64_t high = std::max(a, b);
  const uint64_t low = std::min(a, b);
  if (high - low != 1) {
    out.Add(ProblemKind::kSlotSequence, inactive.base_offset + kOffSequence,
            "the inactive " + SlotName(inactive.base_offset) + " is valid with sequence " + Dec(inactive.sequence) +
                " but the active one has " + Dec(high) +
                ": two valid slots always differ by one (each write stores the other's sequence + 1)");
  }
}

void CheckActiveFields(const Sv1Slot& slot, const CheckOptions& options, ProblemCollector& out) {
  const SuperblockFields& sb = slot.fields;
  const uint64_t base = slot.base_offset;
  CheckCommonFields(sb, options, out, kHeaderBytes);
  if (sb.page_count != sb.logical_pages()) {
    out.Add(ProblemKind::kPageCount, base + field::kPageCount,
            "page_count " + Dec(sb.page_count) + " but db_size " + Dec(sb.db_size) + " spans " +
                Dec(sb.logical_pages()) + " pages");
  }
  const uint64_t needed = CeilDiv(sb.page_count, kChunkEntries);
  if (slot.root_count != needed) {
    out.Add(ProblemKind::kSegmentCount, base + kOffRootCount,
            "root_count " + Dec(slot.root_count) + " but page_count " + Dec(sb.page_count) + " needs " + Dec(needed) +
                " map chunks of 1024 pages");
  }
  if (sb.db_base_offset != kDbBaseOffset) {
    out.Add(ProblemKind::kDbBaseOffset, base + field::kDbBaseOffset,
            "db_base_offset " + HexText(sb.db_base_offset) + ", expected 0x4000 (the data area begins at 16 KiB)");
  }
  if (sb.page_table_offset != 0) {
    out.Add(ProblemKind::kRootTable, base + field::kPageTableOffset,
            "page_table_offset " + HexText(sb.page_table_offset) +
                " must be 0: sv1 roots its map in the superblock and keeps no root table");
  }
}

// Walks the map the active slot roots: root entries, chunks, pages (see the header comment). Fills the
// report's root_entries, mappings, extents (unsorted), mapped_pages and segments.
void WalkMap(const ByteSource& source, const Sv1Slot& slot, LayoutReport& report, ProblemCollector& out) {
  const uint64_t page_count = slot.fields.page_count;
  std::unordered_set<uint64_t> read_blocks;
  uint64_t unreadable_listed = 0;
  report.root_entries.assign(slot.roots.size(), 0);
  for (uint64_t i = 0; i < slot.roots.size(); ++i) {
    const uint64_t block = slot.roots[i];
    if (block == 0) continue;
    const uint64_t root_at = slot.base_offset + kOffRoots + kEntryBytes * i;
    const uint64_t chunk_offset = block * kBlockBytes;
    report.root_entries[i] = chunk_offset;
    ++report.space.segments;
    const std::string what = "map chunk " + Dec(i) + " (block " + Dec(block) + ")";
    bool usable = true;
    if (block < kFirstDataBlock) {
      out.Add(ProblemKind::kSuperblockOverlap, root_at,
              what + " at " + HexText(chunk_offset) + " lies inside the header [0, 16 KiB)");
      usable = false;
    }
    if (!source.Contains(chunk_offset, kChunkBytes)) {
      out.Add(ProblemKind::kOutOfBounds, root_at,
              what + " " + RangeText(chunk_offset, kChunkBytes) + " lies outside the memory of " +
                  Dec(source.size_bytes()) + " bytes");
      usable = false;
    }
    if (!usable) continue;
    report.extents.push_back(Extent{ExtentKind::kSegmentTable, chunk_offset, kChunkBytes, i, root_at});
    const bool first_use = read_blocks.insert(block).second;

    const std::vector<uint8_t> chunk = source.ReadVector(chunk_offset, kChunkBytes);
    for (uint64_t j = 0; j < kChunkEntries; ++j) {
      const uint64_t slot_index = LoadLe32(chunk, kEntryBytes * j);
      if (slot_index == 0) continue;
      const uint64_t logical_page = kChunkEntries * i + j;
      const uint64_t entry_at = chunk_offset + kEntryBytes * j;
      const uint64_t physical = slot_index * kDataSlotBytes;  // >= 16 KiB: slot index 0 means absent
      ++report.space.mapped_pages;
      if (logical_page >= page_count) {
        out.Add(ProblemKind::kBeyondDbSize, entry_at,
                "logical page " + Dec(logical_page) + " is mapped (slot " + Dec(slot_index) + ") but page_count is " +
                    Dec(page_count));
      }
      const bool readable = source.Contains(physical, kDataSlotBytes);
      if (!readable) {
        out.Add(ProblemKind::kOutOfBounds, entry_at,
                "logical page " + Dec(logical_page) + " in slot " + Dec(slot_index) + " " +
                    RangeText(physical, kDataSlotBytes) + " lies outside the memory of " + Dec(source.size_bytes()) +
                    " bytes");
      }
      if (readable || unreadable_listed++ < kUnreadableMappingsListed) {
        report.mappings.push_back(PageMapping{logical_page, physical, entry_at, readable});
      }
      if (readable && first_use) {
        report.extents.push_back(Extent{ExtentKind::kPage, physical, kDataSlotBytes, logical_page, entry_at});
      }
    }
  }
}

// The import staging rules past CheckCommonFields' (see the header comment).
void CheckStaging(const ByteSource& source, const LayoutReport& report, ProblemCollector& out) {
  const SuperblockFields& sb = report.superblock;
  if (!sb.importing()) return;
  const uint64_t at = sb.offset_bytes + field::kImportBaseOffset;
  if (report.Has(ProblemKind::kImportState, at)) return;  // CheckCommonFields said it: once is enough

  const uint64_t size = source.size_bytes();
  const uint64_t base = sb.import_base_offset;
  const uint64_t pages = CeilDiv(sb.import_total_size, kDataSlotBytes);
  const std::string area = "import staging area at " + HexText(base) + " for " + Dec(sb.import_total_size) +
                           " bytes (" + Dec(pages) + " slots of 16 KiB)";
  if (base < kHeaderBytes) {
    out.Add(ProblemKind::kImportState, at, area + " starts inside the header [0, 16 KiB)");
    return;
  }
  if (base % kDataSlotBytes != 0) {
    out.Add(ProblemKind::kImportState, at, area + " is not on the 16 KiB slot grid");
    return;
  }
  if (base > size || pages > (size - base) / kDataSlotBytes) {
    out.Add(ProblemKind::kImportState, at, area + " does not fit the memory of " + Dec(size) + " bytes");
    return;
  }
  const uint64_t end = base + pages * kDataSlotBytes;
  for (const Extent& extent : report.extents) {
    if (extent.kind == ExtentKind::kSuperblock) continue;  // the base is past the header
    if (extent.offset_bytes < end && base < extent.end_bytes()) {
      out.Add(ProblemKind::kImportState, at,
              area + " overlaps active " +
                  (extent.kind == ExtentKind::kPage ? "logical page " : "map chunk ") + Dec(extent.index) + " " +
                  RangeText(extent.offset_bytes, extent.length_bytes));
      return;
    }
  }
}

void ComputeSpace(LayoutReport& report) {
  SpaceAccounting& space = report.space;
  space.allocated_bytes = report.source_bytes;
  // No overflow: at most 2,006 chunks of 1,024 entries each (a chunk used twice counts twice).
  space.active_bytes = kHeaderBytes + kDataSlotBytes * space.mapped_pages + kBlockBytes * space.segments;
  space.orphan_bytes = space.allocated_bytes > space.active_bytes ? space.allocated_bytes - space.active_bytes : 0;
  space.orphan_ratio_bp =
      space.allocated_bytes == 0
          ? 0
          : static_cast<uint64_t>(static_cast<unsigned __int128>(space.orphan_bytes) * 10000 / space.allocated_bytes);
  space.compaction_recommended = false;
}

}  // namespace

uint64_t ComputeMetaChecksumSv1(std::span<const uint8_t> encoded) {
  if (encoded.size() < kOffRoots) throw std::out_of_range("an sv1 superblock slot needs at least 168 bytes");
  Fnv1a hash;
  hash.Add(encoded.first(kOffMetaChecksum));
  hash.AddZeros(kOffRoots - kOffMetaChecksum);
  hash.Add(encoded.subspan(kOffRoots));
  return hash.digest();
}

Sv1Slot DecodeSv1Slot(std::span<const uint8_t> slot_bytes, uint64_t base_offset) {
  Sv1Slot slot;
  slot.base_offset = base_offset;
  slot.fields.offset_bytes = base_offset;
  // Bytes past the slot's 8 KiB are never read: root_count <= 2,006 bounds the encoding to the slot.
  const std::span<const uint8_t> raw = slot_bytes;
  const auto invalid = [&](ProblemKind kind, uint64_t field_offset, std::string message) {
    slot.invalid_because.push_back(
        Problem{kind, base_offset + field_offset, SlotName(base_offset) + " is not valid: " + std::move(message)});
  };
  if (raw.size() < kOffRoots) {
    invalid(ProblemKind::kTooSmall, 0,
            "the memory holds " + Dec(raw.size()) + " of the 168 bytes of its fixed part");
    return slot;
  }

  slot.root_count = LoadLe64(raw, kOffRootCount);
  const bool roots_decodable = slot.root_count <= kMaxRootCount && EncodedBytes(slot.root_count) <= raw.size();
  const std::span<const uint8_t> encoded = raw.first(roots_decodable ? EncodedBytes(slot.root_count) : kOffRoots);
  SuperblockFields& sb = slot.fields;
  sb = DecodeCommonFields(encoded, base_offset);
  sb.magic_ok = std::memcmp(encoded.data(), kMagic, 8) == 0;  // DecodeCommonFields knows only ICSQLITE
  sb.meta_checksum = LoadLe64(encoded, kOffMetaChecksum);
  slot.sequence = LoadLe64(encoded, kOffSequence);
  sb.layout_fields.push_back(LayoutField{"sequence", base_offset + kOffSequence, slot.sequence, true});
  sb.layout_fields.push_back(LayoutField{"root_count", base_offset + kOffRootCount, slot.root_count});
  if (roots_decodable) {
    sb.computed_meta_checksum = ComputeMetaChecksumSv1(encoded);
    for (uint64_t i = 0; i < slot.root_count; ++i) {
      const uint64_t at = kOffRoots + kEntryBytes * i;
      slot.roots.push_back(LoadLe32(encoded, at));
      sb.layout_fields.push_back(LayoutField{"root." + Dec(i), base_offset + at, slot.roots.back()});
    }
  }

  if (!sb.magic_ok) {
    invalid(ProblemKind::kBadMagic, field::kMagic, "no STABLVFS magic");
    return slot;  // nothing else in it is ours to judge
  }
  if (sb.version != kVersion) {
    invalid(ProblemKind::kBadVersion, field::kVersion, "version " + Dec(sb.version) + ", expected 1");
  }
  if (sb.page_size != kPageBytes) {
    invalid(ProblemKind::kBadPageSize, field::kPageSize, "page size " + Dec(sb.page_size) + ", expected 16384");
  }
  if (sb.layout_version != kLayoutVersion) {
    invalid(ProblemKind::kBadLayoutVersion, field::kLayoutVersion,
            "layout_version " + Dec(sb.layout_version) + ", expected 1");
  }
  if (slot.root_count > kMaxRootCount) {
    invalid(ProblemKind::kSegmentCount, kOffRootCount,
            "root_count " + Dec(slot.root_count) + " exceeds the limit of 2006; its checksum cannot be checked");
  } else if (!roots_decodable) {
    invalid(ProblemKind::kSegmentCount, kOffRootCount,
            "root_count " + Dec(slot.root_count) + " needs " + Dec(EncodedBytes(slot.root_count)) +
                " bytes, the memory holds " + Dec(raw.size()) + " of them; its checksum cannot be checked");
  } else if (sb.meta_checksum != sb.computed_meta_checksum) {
    invalid(ProblemKind::kMetaChecksum, kOffMetaChecksum,
            "meta_checksum " + HexText(sb.meta_checksum) + " but its " + Dec(encoded.size()) + " bytes hash to " +
                HexText(sb.computed_meta_checksum));
  }
  slot.valid = slot.invalid_because.empty();
  return slot;
}

LayoutReport CheckSv1(const ByteSource& source, const CheckOptions& options) {
  LayoutReport report;
  report.layout = "sv1";
  report.description = "shadow paging into free 16 KiB slots, map rooted in two checksummed superblock slots";
  report.space_formula = "active = 16 KiB header + 16 KiB per mapped page + 4 KiB per map chunk";
  report.field_notes = {{"db_base_offset", "the data area begins here"},
                        {"page_table_offset", "always 0: the map is rooted in the superblock"},
                        {"page_count", "ceil(db_size / 16 KiB)"},
                        {"sequence", "the valid slot with the higher sequence is active"},
                        {"root_count", "map chunks of 1024 pages: ceil(page_count / 1024)"},
                        {"active_slot", "0: slot A at 0, 1: slot B at 8192"}};
  ProblemCollector out(report, options.max_problems);
  const uint64_t size = source.size_bytes();
  report.source_bytes = size;
  report.space.allocated_bytes = size;

  if (size % kWasmPageBytes != 0) {
    out.Add(ProblemKind::kImageSize, size, "memory of " + Dec(size) + " bytes is not a whole number of 64 KiB pages");
  }
  if (size < kOffRoots) {
    out.Add(ProblemKind::kTooSmall, 0,
            size == 0 ? std::string("empty memory: never initialised, no superblock")
                      : "memory of " + Dec(size) + " bytes cannot hold the 168-byte fixed part of superblock slot A");
    return report;
  }

  const Slots slots = ReadSlots(source);
  report.superblock = ReportedFields(slots);
  if (!slots.active) {
    for (const Sv1Slot* slot : {&slots.a, &slots.b}) {
      for (const Problem& problem : slot->invalid_because) out.Add(problem.kind, problem.offset_bytes, problem.message);
    }
    return report;  // not decoded: no state can be trusted
  }
  report.decoded = true;
  const Sv1Slot& active = slots.slot(*slots.active);
  CheckSlotPair(slots, out);
  CheckActiveFields(active, options, out);

  // Both slots: compared by their fields (a discarded import, for one, rewrites a slot with a new sequence and
  // the state it had before), never byte for byte.
  report.extents.push_back(Extent{ExtentKind::kSuperblock, 0, kHeaderBytes, 0, 0, /*compare_fields=*/true});
  WalkMap(source, active, report, out);
  std::stable_sort(report.extents.begin(), report.extents.end(),
                   [](const Extent& a, const Extent& b) { return a.offset_bytes < b.offset_bytes; });
  CheckOverlaps(report.extents, out);
  CheckStaging(source, report, out);
  ComputeSpace(report);
  return report;
}

LayoutReport CheckSv1(std::span<const uint8_t> image, const CheckOptions& options) {
  return CheckSv1(SpanSource(image), options);
}

LayoutReport CheckSv1(StableMemory& memory, const CheckOptions& options) {
  return CheckSv1(StableMemorySource(memory), options);
}

CheckerInfo Sv1Checker() {
  CheckerInfo info;
  info.name = "sv1";
  std::memcpy(info.magic.data(), kMagic, 8);
  info.version = kVersion;
  info.check = [](const ByteSource& source, const CheckOptions& options) { return CheckSv1(source, options); };
  info.superblock = [](const ByteSource& source) -> std::optional<SuperblockFields> {
    if (!source.Contains(0, kOffRoots)) return std::nullopt;
    const Slots slots = ReadSlots(source);
    if (!slots.active) return std::nullopt;
    return ReportedFields(slots);
  };
  return info;
}

}  // namespace stablevfs::check
