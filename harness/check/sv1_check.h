// sv1 fsck: an independent decoder and validator of layout sv1 (docs/layout-sv1.md): two checksummed
// superblock slots, a two-level map rooted in the superblock, shadow paging into 16 KiB slots.
//
// Given the bytes of one virtual memory, it decodes both superblock slots from raw bytes with its own readers
// (raw_codec.h), chooses the active one exactly as the specification does, walks the map it roots (root entries
// -> 4 KiB map chunks -> 16 KiB data slots), and reports every inconsistency with the offset where it was
// found, in the layout-neutral LayoutReport (layout_report.h) every tool consumes. It never includes
// lib/layout, lib/vfs or lib/db: a decoder shared with the library would hide the library's decoding bugs.
// Independent by design; see ARCHITECTURE.md ("the reference models and the checker are deliberately separate
// implementations"). Offsets below are relative to the slot's base b (0 for slot A, 8192 for slot B) where
// they say so; a problem is reported at b + the field's offset.
//
// The validation rules (the specification is silent on some; these are the choices, and every one is a
// problem of the kind named in brackets):
//  Source
//   - the source holds at least slot A's 168-byte fixed part [too_small, at 0; decoding stops]; an empty
//     memory is reported the same way ("never initialised").
//   - its size is a whole number of 64 KiB pages, as every stable or virtual memory is [image_size].
//  Choosing the active slot (the specification's rule; nothing here is a problem by itself)
//   - a slot is valid when the source holds its 168-byte fixed part, its magic is "STABLVFS" (b + 0), version
//     1 (b + 8), page size 16384 (b + 12), layout_version 1 (b + 136), root_count (b + 152) at most 2,006, its
//     encoded length 168 + 4 * root_count lies inside the source (inside the slot's 8 KiB follows from the
//     count: 168 + 4 * 2,006 = 8,192), and meta_checksum (b + 160) = FNV-1a 64 over [b, b + 168 + 4 *
//     root_count) with b + 160..168 taken as zeros. Bytes past the encoded length are ignored.
//   - the active slot is the valid one with the higher sequence (b + 144). An invalid slot beside a valid
//     active one is not a problem: it is what a torn write (or a fresh memory's all-zero slot B) leaves. It is
//     recorded for inspect as layout_fields slot_a_valid / slot_b_valid.
//   - no slot valid: each slot's reasons are problems, at the slot's field that breaks the rule: the source
//     ends inside the fixed part [too_small, at b]; wrong magic [bad_magic, at b; the slot's other fields are
//     not judged: nothing in it is ours]; [bad_version, at b + 8], [bad_page_size, at b + 12],
//     [bad_layout_version, at b + 136]; root_count over 2,006 or naming an encoding past the source
//     [segment_count, at b + 152; the checksum is then not computed: the span it covers is unknown];
//     [meta_checksum, at b + 160]. The report is then not decoded (decoded = false: no state can be trusted,
//     the library refuses to open it, and ResolveLogicalImage refuses too), but `superblock` holds slot A's
//     fields as decoded (raw = its bytes) for inspect.
//   - both valid: their sequences differ by exactly one, since each write of a slot stores the other's
//     sequence + 1 and a torn write leaves an invalid slot, never a valid one with another sequence. Equal
//     sequences [slot_sequence, at 8192 + 144; slot A is taken as active, so that the report is deterministic];
//     more than one apart [slot_sequence, at the inactive slot's b + 144].
//  The active slot (its common fields sit at the family's offsets, REFERENCE 3.1)
//   - flags, import and refresh fields as CheckCommonFields (layout_report.h) judges them for the whole
//     family [unknown_flags, import_state, refresh_state], with the data area starting at 16 KiB (sv1's header
//     is 16 KiB, not the family's 64 KiB region). Page size, versions and the checksum are validity, above.
//   - page_count (b + 128) == ceil(db_size / 16384) [page_count, at b + 128].
//   - root_count (b + 152) == ceil(page_count / 1024) [segment_count, at b + 152]. The family's kind is reused
//     rather than a new one: root_count is the family's "root entry count" (the number of second-level map
//     tables, layout 6 keeps it at 128), the chunks are reported as segment tables (ExtentKind::kSegmentTable),
//     and a tool reacts to both the same way. The map is still walked over the stored root_count.
//   - db_base_offset (b + 112) == 16384 [db_base_offset, at b + 112].
//   - page_table_offset (b + 120) == 0 [root_table, at b + 120]: the map is rooted in the superblock.
//  The map
//   - each nonzero root entry i (a u32 block index at b + 168 + 4 i) names a block at or past block 4
//     [superblock_overlap] whose 4 KiB lie inside the memory [out_of_bounds], both at the entry. A chunk that
//     breaks either is not read (its bytes are the header's, or not there). A block named by two entries is
//     read for both (its pages map for both ranges) but its pages count as extents only once, so that
//     CheckOverlaps reports the chunk, not each of its pages again.
//   - entry j of chunk i (a u32 slot index at chunk + 4 j) maps logical page p = 1024 i + j. A nonzero entry
//     for p >= page_count [beyond_db_size, at the entry]; it is still listed, counted and an extent, as the
//     segmented map's checker does (it is evidence, and the judge should see its bytes move). A nonzero entry
//     is a slot index >= 1 by construction (0 means absent), so a page never starts inside the header; its
//     16 KiB lie inside the memory [out_of_bounds, at the entry].
//   - no two extents share a byte: the header [0, 16 KiB), chunks (4 KiB), pages (16 KiB) [overlap: e.g. a
//     chunk inside a data slot]; the same slot mapped twice or the same block used by two root entries
//     [mapped_twice]. Reported by CheckOverlaps at the pointer of the extent that comes later in (offset,
//     discovery order); discovery order is the header, then chunk by chunk in root order: the chunk, then its
//     pages in logical order.
//  Import staging (importing set)
//   - the staging area [import_base_offset, + ceil(import_total_size / 16384) * 16384) starts at or past
//     16 KiB, on the 16 KiB grid, lies inside the memory, and shares no byte with a chunk or page the active
//     superblock reaches [import_state, at b + 80; one problem, the first rule broken]. An empty import (total
//     0) is held to the same placement rules: it names where the first byte would go.
//  Mappings, extents and space
//   - mappings: every logical page with a nonzero entry in a chunk that could be read, ascending (physical =
//     slot * 16384, slot_offset = the entry's offset, readable iff the 16 KiB lie inside the memory); all
//     readable ones, then at most kUnreadableMappingsListed unreadable ones (a corrupt image must not make
//     the list exhaust the heap; the map's size bounds it anyway). space.mapped_pages counts them all.
//   - extents (what the judge compares byte for byte after an error reply): the header [0, 16 KiB) as one
//     kSuperblock extent (both slots: no error path writes either), every chunk that could be read
//     (kSegmentTable, index = chunk number, referenced_at = its root entry), every readable mapped page
//     (kPage, index = logical page, referenced_at = its chunk entry).
//   - space: allocated = size of the memory; segments = nonzero root entries; active = 16 KiB + 16 KiB *
//     mapped_pages + 4 KiB * segments; orphan = allocated - active (0 if negative); ratio = orphan * 10,000 /
//     allocated basis points (0 when allocated is 0); compaction never recommended (free space is reused by
//     the next commit, there is nothing for it to do).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/problem.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::check {

// Format constants of docs/layout-sv1.md, spelled out here again on purpose (independent by design).
namespace sv1 {
using check::kPageBytes;
inline constexpr char kMagic[] = "STABLVFS";  // 8 bytes at offset 0 of each slot (no terminator stored)
inline constexpr uint32_t kVersion = 1;
inline constexpr uint64_t kLayoutVersion = 1;

inline constexpr uint64_t kSlotBytes = 8192;      // one superblock slot
inline constexpr uint64_t kSlotABase = 0;
inline constexpr uint64_t kSlotBBase = kSlotBytes;
inline constexpr uint64_t kHeaderBytes = 16384;   // both slots: data slot 0, blocks 0..3
inline constexpr uint64_t kBlockBytes = 4096;     // the unit a map chunk occupies
inline constexpr uint64_t kDataSlotBytes = kPageBytes;  // the unit a data page occupies
inline constexpr uint64_t kFirstDataBlock = kHeaderBytes / kBlockBytes;  // 4
inline constexpr uint64_t kDbBaseOffset = kHeaderBytes;  // the value db_base_offset must hold

inline constexpr uint64_t kEntryBytes = 4;         // root entries and chunk entries are u32
inline constexpr uint64_t kChunkEntries = 1024;    // logical pages per chunk
inline constexpr uint64_t kChunkBytes = kChunkEntries * kEntryBytes;
inline constexpr uint64_t kMaxRootCount = 2006;

// Offsets inside a slot past the family's common fields (field::*).
inline constexpr uint64_t kOffSequence = 144;
inline constexpr uint64_t kOffRootCount = 152;
inline constexpr uint64_t kOffMetaChecksum = 160;
inline constexpr uint64_t kOffRoots = 168;  // also the length of the fixed part

// How many unreadable mappings a report lists (see the header comment).
inline constexpr uint64_t kUnreadableMappingsListed = 256;

// The bytes a slot with `root_count` root entries encodes. REQUIRES: root_count <= kMaxRootCount.
constexpr uint64_t EncodedBytes(uint64_t root_count) { return kOffRoots + kEntryBytes * root_count; }

static_assert(sizeof(kMagic) == 9);
static_assert(kOffSequence == field::kCommonEnd);
static_assert(kOffSequence + 8 == kOffRootCount && kOffRootCount + 8 == kOffMetaChecksum &&
              kOffMetaChecksum + 8 == kOffRoots);
static_assert(EncodedBytes(kMaxRootCount) == kSlotBytes, "the longest slot fills its 8 KiB exactly");
static_assert(kChunkBytes == kBlockBytes, "a chunk is one block");
static_assert(2 * kSlotBytes == kHeaderBytes && kHeaderBytes == kDataSlotBytes, "the header is data slot 0");
static_assert(kFirstDataBlock == 4);
}  // namespace sv1

// One superblock slot, decoded without judging the image, with the verdict of the validity rule.
struct Sv1Slot {
  uint64_t base_offset = 0;   // sv1::kSlotABase or sv1::kSlotBBase
  // The common fields (offset_bytes = base_offset), meta_checksum and the computed one (0 when the roots could
  // not be decoded), layout_fields {"sequence", "root_count", "root.<i>"...} at their memory offsets; raw holds
  // the encoded bytes (only the 168-byte fixed part when the roots could not be decoded; empty when the bytes
  // given do not hold the fixed part).
  SuperblockFields fields;
  uint64_t sequence = 0;
  uint64_t root_count = 0;             // as stored
  std::vector<uint32_t> roots;         // block indices; decoded iff root_count <= 2,006 and the bytes hold them
  bool valid = false;
  std::vector<Problem> invalid_because;  // why it is not valid (see the header comment); empty iff valid
};

// FNV-1a 64 over `encoded` (a slot's encoding, 168 + 4 * root_count bytes) with bytes 160..168 taken as
// zeros. REQUIRES: encoded.size() >= 168 (throws std::out_of_range otherwise).
uint64_t ComputeMetaChecksumSv1(std::span<const uint8_t> encoded);

// Decodes the slot whose bytes, as the memory holds them from the slot's start, are `slot_bytes` (fewer than
// 168 make it invalid, too_small; bytes past the encoded length are ignored, and a valid root_count keeps that
// length inside the slot's 8 KiB), at `base_offset` in the memory (offsets of fields and problems include it).
// Never throws.
Sv1Slot DecodeSv1Slot(std::span<const uint8_t> slot_bytes, uint64_t base_offset);

// Decodes and validates the sv1 image in `source` (see the rules above). Never throws for bad content; every
// inconsistency becomes a Problem. The report's layout is "sv1".
LayoutReport CheckSv1(const ByteSource& source, const CheckOptions& options = {});
LayoutReport CheckSv1(std::span<const uint8_t> image, const CheckOptions& options = {});
LayoutReport CheckSv1(StableMemory& memory, const CheckOptions& options = {});

// The checker registry's entry for sv1 (name "sv1", magic "STABLVFS", version 1). Its superblock function
// decodes only the two slots and returns the active one's fields, as CheckSv1 reports them; nullopt when no
// slot is valid.
CheckerInfo Sv1Checker();

}  // namespace stablevfs::check
