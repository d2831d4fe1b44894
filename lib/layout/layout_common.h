// What every layout's codec shares: the arithmetic of pages and memory, the one way a layout grows its memory
// (so an armed `memory.grow` fails every layout's grow alike), the fields a publish and an import clear, and
// the rule that decides what StoreMeta may change. Each layout keeps only what is its own.
#pragma once

#include <cstdint>
#include <span>

#include "lib/core/status.h"
#include "lib/layout/layout.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs {

inline constexpr uint64_t kKnownFlags = kFlagImporting | kFlagChecksumStale | kFlagChecksumRefreshing;

constexpr uint64_t AlignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}
// The logical pages a file of `size_bytes` spans: ceil(size / 16 KiB).
constexpr uint64_t LogicalPagesFor(uint64_t size_bytes) {
  return size_bytes / kDbPageBytes + (size_bytes % kDbPageBytes != 0);
}
// The 64 KiB pages a memory needs to hold [0, bytes).
constexpr uint64_t WasmPagesFor(uint64_t bytes) { return AlignUp(bytes, kWasmPageBytes) / kWasmPageBytes; }

// Grows `memory` so that [0, end_bytes) lies inside it. Every grow of every layout goes through here and
// evaluates `memory.grow`, so an armed failpoint makes it fail exactly like a stable64_grow that returned -1
// (GrowFailed{n} in the original). kCapacity(current_pages, required_pages) when it cannot grow.
Status EnsureCapacity(StableMemory& memory, uint64_t end_bytes);

// Clears what a publish invalidates: a chunked checksum refresh in progress belongs to the old image.
void ClearRefresh(Meta& meta);
// Clears the import fields and the importing flag.
void ClearImport(Meta& meta);

// The superblock StoreMeta(requested) writes over `active` (Layout::StoreMeta): the common fields a caller
// may change (schema_version, flags, checksum, import and refresh fields) from `requested`, the fields the
// layout owns from `active`. kInvalidArgument, nothing to write, for an unknown flag bit, for setting the
// importing flag (an import begins with BeginImportStaging), and for moving a staged import's area or total
// (they belong to the layout while it is staged) or writing past its total.
Result<Meta> MergeStoredMeta(const Meta& active, const Meta& requested);

// The superblock SetLastTxId(last_tx_id) writes over `active` (Layout::SetLastTxId): `active` with last_tx_id
// set and a checksum refresh in progress cleared (ClearRefresh: it is keyed on the old id). kInvalidArgument,
// nothing to write, when `last_tx_id` is below active.last_tx_id. REQUIRES: last_tx_id != active.last_tx_id
// (the caller writes nothing then).
Result<Meta> WithLastTxId(const Meta& active, uint64_t last_tx_id);

// Whether `meta` has an import staged (the importing flag).
inline bool Importing(const Meta& meta) { return (meta.flags & kFlagImporting) != 0; }
// Layout::ReadStagedBytes for a layout that stages an import's bytes back to back at meta.import_base_offset
// (every builtin does): kBusy when nothing is staged, kInvalidArgument for a range outside the import.
Status ReadStagedImport(StableMemory& memory, const Meta& meta, uint64_t offset, std::span<uint8_t> out);
// The write half of Layout::StageImportBytes for the same layouts: checks the range as ReadStagedImport does,
// writes the bytes, and returns the import_written_until the caller's superblock should record (unchanged for
// an empty write or one behind the mark).
Result<uint64_t> WriteStagedImport(StableMemory& memory, const Meta& meta, uint64_t offset,
                                   std::span<const uint8_t> bytes);
// The first check of Layout::PublishImport: kBusy when nothing is staged, kImport when fewer bytes than the
// import's total were staged.
Status CheckImportComplete(const Meta& meta);

}  // namespace stablevfs
