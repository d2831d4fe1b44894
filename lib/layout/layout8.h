// Layout8: the in-place layout of ic-sqlite-vfs 2.x (REFERENCE 3.4), byte-compatible with its images.
//
// Memory map: [0, 64 KiB) is the superblock region (the variable-length superblock of superblock8.h at offset
// 0); logical page n lives in place at db_base_offset + n * 16 KiB, and a fresh image has db_base_offset =
// 64 KiB. There is no page map: a page is read where it lives, unless it lies at or past page_count or inside
// a zero extent (zero_extents.h), and then it reads as zeros. Nothing is ever orphaned, so compaction has
// nothing to do.
//
// Commit protocol (Publish): compute the new zero extents (more than 1,024 fail the commit before anything is
// written), grow the memory so the new file fits, overwrite every dirty page in place in ascending order, then
// store the superblock. The pages are overwritten before the superblock names the new state, so this layout is
// atomic only because the IC rolls a trapped message back (CommitAtomicity::kTrapRollback): once a page has
// been written, the only safe way out of a failure is a trap. Hence the failure semantics:
//  - an error before the first page write (the capacity check, the grow, the extent limit, an injected error
//    at the first page) returns a Status and leaves the active superblock and every in-place page
//    byte-identical;
//  - an error at page k > 0 throws stablevfs::Trap, because pages 0..k-1 already changed under the old
//    superblock; ic-sqlite-vfs returns an error there, which on the IC would let a message that did not trap
//    keep a third state (REFERENCE 3.4: the harness has to decide it, and this library traps);
//  - any error at the superblock store of a commit throws a Trap, on purpose, as ic-sqlite-vfs panics.
// On a runtime that keeps what was written (power loss), a commit interrupted between two page writes leaves
// a third state: that is the documented limit of this layout, and the harness is expected to show it.
//
// Import (REFERENCE 3.4 last bullets): ic-sqlite-vfs 2.x ships import only in its tests; this is that test
// version. The staged image is written at the high-water mark (the memory's size when the import began) and
// published by pointing db_base_offset at it with the zero extents cleared, in one superblock write; the old
// in-place region is abandoned (it is never reused).
//
// Heap state: the decoded superblock (Meta, with the extents also as Meta::layout_fields) and the extents as a
// ZeroExtents value. Every operation stages its new superblock beside the active one and adopts it only after
// the superblock write returned, so an error leaves the heap describing the still active image.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "lib/core/status.h"
#include "lib/layout/layout.h"
#include "lib/layout/layout_registry.h"
#include "lib/layout/zero_extents.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::layout8 {

// The registry entry of layout 8 (name "8", version 8, atomic only under trap rollback).
LayoutInfo Info();

class Layout8 final : public Layout {
 public:
  // Opens the layout 8 image in `memory`. Decodes the superblock (see DecodeSuperblock for the errors), then
  // checks, each a kCorrupt naming the field and its values: page_count == ceil(db_size / 16 KiB);
  // page_table_offset == 0; db_base_offset >= 64 KiB and db_base_offset + page_count * 16 KiB inside the memory;
  // while importing, the staging area [import_base_offset, + ceil(import_total_size / 16 KiB) * 16 KiB) lies
  // inside the memory at or past 64 KiB, and import_written_until <= import_total_size. Never writes.
  static Result<std::unique_ptr<Layout8>> Open(StableMemory& memory);

  // Makes `memory` a fresh, empty layout 8 database: grows it to one page if it is empty (the grow evaluates
  // `memory.grow`; a failure is kCapacity(0, 1)) and writes a fresh superblock (160 bytes).
  // REQUIRES: `memory` is empty or holds only zero bytes (Layout::Open checks this).
  static Result<std::unique_ptr<Layout8>> Format(StableMemory& memory);

  const Meta& meta() const override { return meta_; }
  // Pages at or past page_count and pages inside a zero extent read as zeros; the others are read in place.
  Status ReadPage(uint64_t page_no, std::span<uint8_t> out) override;
  Status ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out) override;

  // See Layout::Publish and the failure semantics above. In order: `commit.capacity`; kBusy while an import
  // is staged; the new extents (kCapacity(current, current) "ZeroExtentLimitExceeded" past 1,024); the grow
  // (`memory.grow`; kCapacity(current, required)); for each dirty page below the new page count, ascending,
  // `commit.page_write_in_place` and then its write (an `error` there is kInjected at the first page and a
  // Trap past it); `commit.superblock_store` (an `error` is a Trap) and the superblock write.
  Status Publish(const Overlay& overlay) override;

  // See Layout::StoreMeta; the same rules as layout 6 (flags, the import staging area belongs to the layout).
  // Rewrites the superblock with the same zero extents.
  Status StoreMeta(const Meta& meta) override;

  // See Layout::SetLastTxId. Rewrites the superblock with the same zero extents, as StoreMeta does.
  Status SetLastTxId(uint64_t last_tx_id) override;

  // See Layout. BeginImportStaging stages at the memory's current size (a multiple of 64 KiB) and grows the
  // memory to hold ceil(total / 16 KiB) pages there (kCapacity when it cannot); StageImportBytes writes at
  // import_base_offset + offset and advances import_written_until; PublishImport requires written == total
  // (else kImport naming both), zeroes the unused tail of the last staged page, evaluates
  // `commit.superblock_store` (an `error` here is returned: nothing was overwritten in place) and publishes.
  // kBusy: Begin while importing; the others while not importing (DiscardImport: OK, nothing written).
  Status BeginImportStaging(uint64_t total_bytes, uint64_t expected_checksum) override;
  Status StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) override;
  Status ReadStagedBytes(uint64_t offset, std::span<uint8_t> out) override;
  Status PublishImport() override;
  Status DiscardImport() override;

  // Nothing is ever orphaned: OK without a write or a failpoint. kBusy while an import is staged.
  Status Compact() override;

  // allocated_bytes is the memory size; mapped_pages the pages below page_count outside every zero extent;
  // active = 64 KiB + 16 KiB * mapped_pages; orphan = allocated - active (at least 0); compaction is never
  // recommended; no segments.
  LayoutStats Stats() const override;

  // Re-reads the superblock and checks it equals the heap state, that only known flag bits are set, the Open
  // checks, and that a staged import does not overlap the active image. kCorrupt names the first violation.
  Status Validate() override;

  // Introspection for tests and tools.
  const ZeroExtents& zero_extents() const { return extents_; }

 private:
  explicit Layout8(StableMemory& memory) : memory_(memory) {}

  // Grows the memory so that [0, end_bytes) is inside it; kCapacity(current, required) when it cannot.
  Status EnsureCapacity(uint64_t end_bytes);
  // Encodes (meta, extents) and writes exactly the encoded length at offset 0.
  void WriteSuperblock(const Meta& meta, const ZeroExtents& extents);
  // Makes (meta, extents) the heap state, with meta.layout_fields describing the extents.
  void Adopt(Meta meta, ZeroExtents extents);
  bool importing() const { return (meta_.flags & kFlagImporting) != 0; }

  StableMemory& memory_;
  Meta meta_;
  ZeroExtents extents_;
};

}  // namespace stablevfs::layout8
