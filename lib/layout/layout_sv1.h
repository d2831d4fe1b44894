// LayoutSv1: stablevfs's own layout, shadow paging that reuses what the active superblock no longer reaches,
// with two checksummed superblock slots. docs/layout-sv1.md is the specification (the memory map, the commit,
// why every crash leaves the old state or the new one, what bounds the footprint); this header summarizes it.
//
// Memory map: [0, 8 KiB) superblock slot A, [8 KiB, 16 KiB) slot B; the rest is 16 KiB slots (data pages) and
// 4 KiB blocks (map chunks), slot s at s * 16 KiB, block b at b * 4 KiB. A slot holds the common fields of the
// ic-sqlite-vfs family at their usual offsets under the magic "STABLVFS" (version 1), then a sequence number,
// the root count, the meta checksum and the root entries (block indices of the map chunks). The active
// superblock is the valid slot with the higher sequence; a slot that fails its checksum (a torn write) is
// ignored. A map chunk holds 1,024 u32 slot indices (0 = the page reads as zeros).
//
// Commit (Publish): new pages into free slots, changed chunks into free blocks, then the superblock into the
// other slot, which is the commit point. Free is everything below the memory's end that the active superblock
// does not reach (recomputed at open, no persistent free list); allocation is lowest-first. Nothing the active
// superblock reaches is ever written, so a crash or a write torn at any byte leaves the old state or the new
// one (CommitAtomicity::kTornBytes), and an error anywhere leaves the active state untouched.
//
// Heap state: the active superblock (Meta; its sequence, root count and active slot also in
// Meta::layout_fields), the map decoded whole (one slot index per logical page) and the roots, and a bitmap of
// the blocks the active superblock reaches. Every operation stages its new state beside the active one and
// adopts it only after the superblock write returned.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lib/core/status.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::sv1 {

inline constexpr std::array<uint8_t, 8> kMagic = {'S', 'T', 'A', 'B', 'L', 'V', 'F', 'S'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint64_t kLayoutVersion = 1;

inline constexpr uint64_t kSlotBytes = 8192;          // one superblock slot
inline constexpr uint64_t kHeaderBytes = 2 * kSlotBytes;  // both slots: where the data area begins
inline constexpr uint64_t kBlockBytes = 4096;         // a map chunk
inline constexpr uint64_t kBlocksPerSlot = kDbPageBytes / kBlockBytes;
inline constexpr uint64_t kEntriesPerChunk = kBlockBytes / 4;  // u32 slot indices
inline constexpr uint64_t kHeaderBlocks = kHeaderBytes / kBlockBytes;

// Superblock slot offsets past the family's common fields (0..144).
inline constexpr size_t kSequenceOffset = 144;
inline constexpr size_t kRootCountOffset = 152;
inline constexpr size_t kMetaChecksumOffset = 160;
inline constexpr size_t kRootsOffset = 168;
inline constexpr uint64_t kMaxRoots = (kSlotBytes - kRootsOffset) / 4;  // 2,006
// The largest database: every root present (a format limit, 32 GiB).
inline constexpr uint64_t kMaxDbPages = kMaxRoots * kEntriesPerChunk;

static_assert(kHeaderBytes == kDbPageBytes, "the header is slot 0");
static_assert(kBlocksPerSlot == 4 && kEntriesPerChunk == 1024);
static_assert(kRootsOffset == kMetaChecksumOffset + 8);
static_assert(kMaxRoots == 2006);

// The bytes a slot encodes with `roots` root entries.
constexpr uint64_t EncodedBytes(uint64_t roots) { return kRootsOffset + 4 * roots; }

// The registry entry of sv1 (name "sv1", magic STABLVFS, version 1, atomic under torn writes).
LayoutInfo Info();

// One decoded superblock slot.
struct Slot {
  Meta meta;                    // the common fields (layout_fields filled by the layout)
  uint64_t sequence = 0;
  std::vector<uint32_t> roots;  // block index of each map chunk, 0 = absent
};

// Encodes `slot` (its meta exactly as given, magic and meta checksum filled in).
std::vector<uint8_t> EncodeSlot(const Slot& slot);

// Decodes a slot from the 8 KiB stored at its offset. kCorrupt (naming why) when it is not valid: no magic,
// another version, layout version or page size, a root count past 2,006, or a checksum mismatch.
Result<Slot> DecodeSlot(std::span<const uint8_t> bytes);

class LayoutSv1 final : public Layout {
 public:
  // Opens the sv1 image in `memory`: decodes both slots, takes the valid one with the higher sequence, and
  // checks, each a kCorrupt naming the field and its values: the memory holds the header; page_count ==
  // ceil(db_size / 16 KiB); the root count == ceil(page_count / 1,024); db_base_offset == 16 KiB;
  // page_table_offset == 0; known flags; every root entry a block inside the memory past the header; every map
  // entry of a page at or past page_count is 0, every other nonzero one a slot inside the memory past the
  // header; no block is reached twice; while importing, the staging area is 16 KiB-aligned, inside the memory,
  // past the header and clear of the active image, with import_written_until <= import_total_size. No valid
  // slot, or two with the same sequence, is kCorrupt. Never writes.
  static Result<std::unique_ptr<LayoutSv1>> Open(StableMemory& memory);

  // Makes `memory` a fresh, empty sv1 database: grows it to one page if it is empty (`memory.grow`; a failure
  // is kCapacity(0, 1)) and writes slot A with sequence 1. REQUIRES: `memory` is empty or all zeros.
  static Result<std::unique_ptr<LayoutSv1>> Format(StableMemory& memory);

  const Meta& meta() const override { return meta_; }
  Status ReadPage(uint64_t page_no, std::span<uint8_t> out) override;
  Status ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out) override;

  // See Layout::Publish and the header comment. Failpoints, in order: `commit.capacity` once; `memory.grow`
  // when the memory must grow; `commit.page_write` before each page; `commit.page_table_write` before each
  // map chunk; `commit.superblock_publish` before the superblock write. Errors (kInjected, kCapacity, kBusy
  // while an import is staged) leave everything the active superblock reaches untouched.
  Status Publish(const Overlay& overlay) override;

  // See Layout::StoreMeta: the same rules as the other layouts (known flags, the staging area belongs to the
  // layout); writes the other slot with the same map.
  Status StoreMeta(const Meta& meta) override;

  // See Layout::SetLastTxId. Writes the other slot with the same map, as StoreMeta does.
  Status SetLastTxId(uint64_t last_tx_id) override;

  // See Layout. BeginImportStaging places the staging area at the lowest run of free slots that holds
  // ceil(total / 16 KiB) pages, else at the memory's end (growing it; kCapacity when it cannot); the staged
  // pages become the data pages of the imported image in place. PublishImport zeroes the tail of the last
  // page, writes the map chunks (`commit.page_table_write` before each) and the superblock
  // (`commit.superblock_publish` before it).
  Status BeginImportStaging(uint64_t total_bytes, uint64_t expected_checksum) override;
  Status StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) override;
  Status ReadStagedBytes(uint64_t offset, std::span<uint8_t> out) override;
  Status PublishImport() override;
  Status DiscardImport() override;

  // Nothing stays orphaned (a commit reuses what the one before freed): a no-op. kBusy while importing.
  Status Compact() override;

  // allocated = the memory; active = 16 KiB + 16 KiB per mapped page + 4 KiB per map chunk; segments = the
  // map chunks; compaction is never recommended.
  LayoutStats Stats() const override;

  // Re-reads both slots and the map and checks they are what the heap holds, then Open's checks.
  Status Validate() override;

  // Introspection for tests and tools.
  uint64_t sequence() const { return sequence_; }
  int active_slot() const { return active_slot_; }
  // The slot holding logical page `page_no` (0: reads as zeros).
  uint32_t SlotOf(uint64_t page_no) const { return page_no < map_.size() ? map_[page_no] : 0; }
  const std::vector<uint32_t>& roots() const { return roots_; }

 private:
  explicit LayoutSv1(StableMemory& memory) : memory_(memory) {}

  Status EnsureCapacity(uint64_t end_bytes);
  // Writes the other slot with `meta` and `roots` and sequence + 1; on return it is the active one.
  void WriteSuperblock(const Meta& meta, const std::vector<uint32_t>& roots);
  // The heap state after a superblock write: Meta::layout_fields from the sequence, roots and slot.
  void SetLayoutFields(Meta& meta, const std::vector<uint32_t>& roots, uint64_t sequence, int slot) const;
  // Recomputes used_ from map_, roots_ and the import fields.
  void RecomputeUsed();
  bool importing() const { return (meta_.flags & kFlagImporting) != 0; }

  StableMemory& memory_;
  Meta meta_;
  uint64_t sequence_ = 0;
  int active_slot_ = 0;
  std::vector<uint32_t> map_;    // slot of each logical page below page_count
  std::vector<uint32_t> roots_;  // block of each map chunk
  std::vector<uint64_t> used_;   // one bit per block the active state reaches
};

}  // namespace stablevfs::sv1
