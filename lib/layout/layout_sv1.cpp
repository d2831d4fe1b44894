#include "lib/layout/layout_sv1.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "lib/layout/layout_common.h"
#include "lib/layout/little_endian.h"
#include "lib/layout/superblock.h"

namespace stablevfs::sv1 {
namespace {

constexpr uint64_t kMaxDbBytes = kMaxDbPages * kDbPageBytes;  // 32 GiB: every root present
static_assert(kWasmPageBytes % kDbPageBytes == 0, "a memory's end is a slot boundary");

std::string Dec(uint64_t value) { return std::to_string(value); }

uint64_t RootsFor(uint64_t pages) { return pages / kEntriesPerChunk + (pages % kEntriesPerChunk != 0); }

// ---- the block bitmap: one bit per 4 KiB block the active state reaches ----

bool Used(const std::vector<uint64_t>& used, uint64_t block) {
  return block / 64 < used.size() && ((used[block / 64] >> (block % 64)) & 1) != 0;
}

void Mark(std::vector<uint64_t>& used, uint64_t block) {
  if (block / 64 >= used.size()) used.resize(block / 64 + 1, 0);
  used[block / 64] |= uint64_t{1} << (block % 64);
}

// Marks blocks [first, first + count); false when one was marked already (reached twice).
bool MarkRange(std::vector<uint64_t>& used, uint64_t first, uint64_t count) {
  bool fresh = true;
  for (uint64_t b = first; b < first + count; ++b) {
    fresh = fresh && !Used(used, b);
    Mark(used, b);
  }
  return fresh;
}

bool SlotFree(const std::vector<uint64_t>& used, uint64_t slot) {
  for (uint64_t b = slot * kBlocksPerSlot; b < (slot + 1) * kBlocksPerSlot; ++b) {
    if (Used(used, b)) return false;
  }
  return true;
}

// The lowest slot at or past `from` whose four blocks are free (a slot past the memory's end is free).
uint64_t FreeSlot(const std::vector<uint64_t>& used, uint64_t from) {
  uint64_t slot = std::max<uint64_t>(from, 1);
  while (!SlotFree(used, slot)) ++slot;
  return slot;
}

// The block a new map chunk takes: the lowest free block of a slot that already holds blocks in use without
// being a data slot (so chunks pack together instead of splitting slots pages could use), else the first
// block of the lowest free slot. `chunk_slots` are the slots holding chunks.
uint64_t FreeBlock(const std::vector<uint64_t>& used, const std::vector<uint64_t>& chunk_slots) {
  for (uint64_t slot : chunk_slots) {
    for (uint64_t b = slot * kBlocksPerSlot; b < (slot + 1) * kBlocksPerSlot; ++b) {
      if (!Used(used, b)) return b;
    }
  }
  return FreeSlot(used, 1) * kBlocksPerSlot;
}

uint64_t SlotEnd(uint64_t slot) { return (slot + 1) * kDbPageBytes; }
uint64_t BlockEnd(uint64_t block) { return (block + 1) * kBlockBytes; }

// The common checks on the active slot that need no memory (Open and Validate).
Status CheckFields(const Meta& meta, uint64_t roots) {
  if (meta.page_count != LogicalPagesFor(meta.db_size)) {
    return Status::Corrupt("page_count " + Dec(meta.page_count) + " but db_size " + Dec(meta.db_size) + " spans " +
                           Dec(LogicalPagesFor(meta.db_size)) + " pages");
  }
  if (roots != RootsFor(meta.page_count)) {
    return Status::Corrupt("root count " + Dec(roots) + " but " + Dec(meta.page_count) + " pages need " +
                           Dec(RootsFor(meta.page_count)) + " map chunks");
  }
  if (meta.db_base_offset != kHeaderBytes) {
    return Status::Corrupt("db_base_offset " + Dec(meta.db_base_offset) + ", expected " + Dec(kHeaderBytes));
  }
  if (meta.page_table_offset != 0) {
    return Status::Corrupt("page_table_offset " + Dec(meta.page_table_offset) + ", expected 0");
  }
  if ((meta.flags & ~kKnownFlags) != 0) return Status::Corrupt("unknown flag bits in " + Dec(meta.flags));
  if ((meta.flags & kFlagImporting) != 0 && meta.import_written_until > meta.import_total_size) {
    return Status::Corrupt("import_written_until " + Dec(meta.import_written_until) + " is past import_total_size " +
                           Dec(meta.import_total_size));
  }
  return Status::Ok();
}

// The staging area of an import: [base, base + StagingBytes(total)).
uint64_t StagingBytes(uint64_t total_bytes) { return LogicalPagesFor(total_bytes) * kDbPageBytes; }

}  // namespace

LayoutInfo Info() {
  LayoutInfo info;
  info.name = "sv1";
  info.magic = kMagic;
  info.version = kVersion;
  info.atomicity = CommitAtomicity::kTornBytes;
  info.summary = "stablevfs's own: shadow paging that reuses freed space, two checksummed superblock slots";
  info.sites = {"commit.capacity", "memory.grow", "commit.page_write", "commit.page_table_write",
                "commit.superblock_publish"};
  info.format = [](StableMemory& memory) { return UpcastLayout(LayoutSv1::Format(memory)); };
  info.open = [](StableMemory& memory) { return UpcastLayout(LayoutSv1::Open(memory)); };
  return info;
}

std::vector<uint8_t> EncodeSlot(const Slot& slot) {
  assert(slot.roots.size() <= kMaxRoots);
  std::vector<uint8_t> out(EncodedBytes(slot.roots.size()), 0);
  std::span<uint8_t> bytes(out);
  layout6::EncodeCommonFields(slot.meta, bytes.first<layout6::kCommonFieldsBytes>());
  std::copy(kMagic.begin(), kMagic.end(), out.begin());  // the family's fields, under this layout's magic
  StoreU64Le(bytes.subspan(kSequenceOffset), slot.sequence);
  StoreU64Le(bytes.subspan(kRootCountOffset), slot.roots.size());
  for (size_t i = 0; i < slot.roots.size(); ++i) StoreU32Le(bytes.subspan(kRootsOffset + 4 * i), slot.roots[i]);
  Fnv1a64 hash;  // over the encoded bytes with the checksum field taken as zero (it is zero here)
  hash.Update(out);
  StoreU64Le(bytes.subspan(kMetaChecksumOffset), hash.value());
  return out;
}

Result<Slot> DecodeSlot(std::span<const uint8_t> bytes) {
  if (bytes.size() < kRootsOffset || !std::equal(kMagic.begin(), kMagic.end(), bytes.begin())) {
    return Status::Corrupt("no STABLVFS magic");
  }
  Slot slot;
  layout6::DecodeCommonFields(bytes.first<layout6::kCommonFieldsBytes>(), &slot.meta);
  if (slot.meta.version != kVersion || slot.meta.layout_version != kLayoutVersion) {
    return Status::Corrupt("version " + Dec(slot.meta.version) + ", layout version " +
                           Dec(slot.meta.layout_version) + " (this build reads 1)");
  }
  if (slot.meta.page_size != kDbPageBytes) return Status::Corrupt("page size " + Dec(slot.meta.page_size));
  const uint64_t roots = LoadU64Le(bytes.subspan(kRootCountOffset));
  if (roots > kMaxRoots || EncodedBytes(roots) > bytes.size()) {
    return Status::Corrupt("root count " + Dec(roots) + " is past the limit of " + Dec(kMaxRoots));
  }
  const uint64_t stored = LoadU64Le(bytes.subspan(kMetaChecksumOffset));
  Fnv1a64 hash;
  hash.Update(bytes.first(kMetaChecksumOffset));
  const std::array<uint8_t, 8> zero{};
  hash.Update(zero);
  hash.Update(bytes.subspan(kRootsOffset, 4 * roots));
  if (hash.value() != stored) {
    return Status::Corrupt("meta checksum mismatch: stored " + Dec(stored) + ", computed " + Dec(hash.value()));
  }
  slot.sequence = LoadU64Le(bytes.subspan(kSequenceOffset));
  slot.roots.resize(roots);
  for (uint64_t i = 0; i < roots; ++i) slot.roots[i] = LoadU32Le(bytes.subspan(kRootsOffset + 4 * i));
  return slot;
}

// ---- open and format ----

Result<std::unique_ptr<LayoutSv1>> LayoutSv1::Open(StableMemory& memory) {
  const uint64_t size = memory.size_bytes();
  if (size < kHeaderBytes) {
    return Status::ForeignImage("memory of " + Dec(size) + " bytes is too small to hold the sv1 header");
  }
  std::vector<uint8_t> header(kHeaderBytes);
  memory.read(0, header);
  std::array<Result<Slot>, 2> slots = {DecodeSlot(std::span(header).first(kSlotBytes)),
                                       DecodeSlot(std::span(header).subspan(kSlotBytes))};
  if (!slots[0].ok() && !slots[1].ok()) {
    return Status::Corrupt("no valid superblock: slot A: " + slots[0].status().message() +
                           "; slot B: " + slots[1].status().message());
  }
  if (slots[0].ok() && slots[1].ok() && slots[0]->sequence == slots[1]->sequence) {
    return Status::Corrupt("both superblock slots claim sequence " + Dec(slots[0]->sequence));
  }
  const int active = !slots[0].ok() ? 1 : !slots[1].ok() ? 0 : slots[1]->sequence > slots[0]->sequence ? 1 : 0;
  Slot slot = std::move(slots[static_cast<size_t>(active)]).value();
  STABLEVFS_RETURN_IF_ERROR(CheckFields(slot.meta, slot.roots.size()));

  std::unique_ptr<LayoutSv1> layout(new LayoutSv1(memory));
  const uint64_t blocks = size / kBlockBytes;
  std::vector<uint64_t> used;
  MarkRange(used, 0, kHeaderBlocks);
  std::vector<uint32_t> map(slot.meta.page_count, 0);
  std::vector<uint8_t> chunk(kBlockBytes);
  for (uint64_t c = 0; c < slot.roots.size(); ++c) {
    const uint64_t block = slot.roots[c];
    if (block == 0) continue;
    if (block < kHeaderBlocks || block >= blocks) {
      return Status::Corrupt("map chunk " + Dec(c) + " at block " + Dec(block) + " lies outside [" +
                             Dec(kHeaderBlocks) + ", " + Dec(blocks) + ")");
    }
    if (!MarkRange(used, block, 1)) return Status::Corrupt("block " + Dec(block) + " of map chunk " + Dec(c) +
                                                           " is reached twice");
    memory.read(block * kBlockBytes, chunk);
    for (uint64_t j = 0; j < kEntriesPerChunk; ++j) {
      const uint64_t page = c * kEntriesPerChunk + j;
      const uint32_t entry = LoadU32Le(std::span<const uint8_t>(chunk).subspan(4 * j));
      if (entry == 0) continue;
      if (page >= slot.meta.page_count) {
        return Status::Corrupt("logical page " + Dec(page) + " is mapped but page_count is " +
                               Dec(slot.meta.page_count));
      }
      if (SlotEnd(entry) > size) {
        return Status::Corrupt("logical page " + Dec(page) + " maps to slot " + Dec(entry) +
                               " outside the memory of " + Dec(size) + " bytes");
      }
      if (!MarkRange(used, uint64_t{entry} * kBlocksPerSlot, kBlocksPerSlot)) {
        return Status::Corrupt("slot " + Dec(entry) + " of logical page " + Dec(page) + " is reached twice");
      }
      map[page] = entry;
    }
  }
  const Meta& m = slot.meta;
  if ((m.flags & kFlagImporting) != 0 && m.import_total_size > 0) {
    const uint64_t base = m.import_base_offset;
    const uint64_t bytes = StagingBytes(m.import_total_size);
    if (base % kDbPageBytes != 0 || base < kHeaderBytes || base > size || bytes > size - base) {
      return Status::Corrupt("import staging area at " + Dec(base) + " for " + Dec(m.import_total_size) +
                             " bytes does not fit the memory of " + Dec(size) + " bytes");
    }
    if (!MarkRange(used, base / kBlockBytes, bytes / kBlockBytes)) {
      return Status::Corrupt("import staging area at " + Dec(base) + " overlaps the active image");
    }
  }
  layout->meta_ = slot.meta;
  layout->sequence_ = slot.sequence;
  layout->active_slot_ = active;
  layout->map_ = std::move(map);
  layout->roots_ = std::move(slot.roots);
  layout->used_ = std::move(used);
  layout->SetLayoutFields(layout->meta_, layout->roots_, layout->sequence_, active);
  return layout;
}

Result<std::unique_ptr<LayoutSv1>> LayoutSv1::Format(StableMemory& memory) {
  std::unique_ptr<LayoutSv1> layout(new LayoutSv1(memory));
  STABLEVFS_RETURN_IF_ERROR(stablevfs::EnsureCapacity(memory, kHeaderBytes));
  Meta meta;
  meta.version = kVersion;
  meta.page_size = kDbPageBytes;
  meta.layout_version = kLayoutVersion;
  meta.db_base_offset = kHeaderBytes;
  // Slot A gets sequence 1: the "other" slot of a memory whose (absent) active slot is B with sequence 0.
  layout->active_slot_ = 1;
  layout->sequence_ = 0;
  layout->WriteSuperblock(meta, {});
  layout->meta_ = meta;
  layout->SetLayoutFields(layout->meta_, {}, layout->sequence_, layout->active_slot_);
  layout->RecomputeUsed();
  return layout;
}

// ---- the superblock ----

void LayoutSv1::SetLayoutFields(Meta& meta, const std::vector<uint32_t>& roots, uint64_t sequence, int slot) const {
  meta.layout_fields = {{"sequence", sequence}, {"root_count", roots.size()},
                        {"active_slot", static_cast<uint64_t>(slot)}};
}

void LayoutSv1::WriteSuperblock(const Meta& meta, const std::vector<uint32_t>& roots) {
  Slot slot;
  slot.meta = meta;
  slot.meta.layout_fields.clear();
  slot.sequence = sequence_ + 1;
  slot.roots = roots;
  const int target = 1 - active_slot_;
  memory_.write(static_cast<uint64_t>(target) * kSlotBytes, EncodeSlot(slot));
  // The write returned: the slot is durable and has the higher sequence.
  active_slot_ = target;
  sequence_ = slot.sequence;
}

void LayoutSv1::RecomputeUsed() {
  used_.clear();
  MarkRange(used_, 0, kHeaderBlocks);
  for (uint32_t block : roots_) {
    if (block != 0) MarkRange(used_, block, 1);
  }
  for (uint32_t slot : map_) {
    if (slot != 0) MarkRange(used_, uint64_t{slot} * kBlocksPerSlot, kBlocksPerSlot);
  }
  if (importing() && meta_.import_total_size > 0) {
    MarkRange(used_, meta_.import_base_offset / kBlockBytes, StagingBytes(meta_.import_total_size) / kBlockBytes);
  }
}

// ---- reads ----

Status LayoutSv1::ReadPage(uint64_t page_no, std::span<uint8_t> out) {
  if (out.size() != kDbPageBytes) {
    return Status::InvalidArgument("ReadPage needs a buffer of exactly " + Dec(kDbPageBytes) + " bytes, got " +
                                   Dec(out.size()));
  }
  return ReadPageBytes(page_no, 0, out);
}

Status LayoutSv1::ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out) {
  if (offset_in_page > kDbPageBytes || out.size() > kDbPageBytes - offset_in_page) {
    return Status::InvalidArgument("ReadPageBytes needs a range within one page, got " + Dec(out.size()) +
                                   " bytes at offset " + Dec(offset_in_page));
  }
  const uint32_t slot = SlotOf(page_no);
  if (slot == 0) {
    std::fill(out.begin(), out.end(), 0);
    return Status::Ok();
  }
  // Every mapped slot lies inside the memory (Open checks it; commits map only slots they wrote), and the
  // memory never shrinks: the read cannot trap.
  memory_.read(uint64_t{slot} * kDbPageBytes + offset_in_page, out);
  return Status::Ok();
}

// ---- commit ----

Status LayoutSv1::Publish(const Overlay& overlay) {
  STABLEVFS_FAILPOINT("commit.capacity");
  if (importing()) return Status::Busy("cannot publish a commit while an import is staged");
  assert(overlay.dirty());
  if (overlay.db_size() > kMaxDbBytes) {
    return Status::Capacity(memory_.size_pages(), WasmPagesFor(overlay.db_size()),
                            "a database of " + Dec(overlay.db_size()) + " bytes is larger than sv1's limit of " +
                                Dec(kMaxDbBytes) + " bytes (2,006 map chunks of 1,024 pages)");
  }
  const uint64_t new_pages = LogicalPagesFor(overlay.db_size());
  // Base pages at or past `keep_pages` were cut by a truncation in this update (or lie past the new end).
  const uint64_t keep_pages = std::min(LogicalPagesFor(overlay.min_db_size()), new_pages);
  const auto& dirty = overlay.pages();

  // The new map, and new slots for the dirty pages, lowest free first.
  std::vector<uint32_t> map(new_pages, 0);
  std::copy_n(map_.begin(), std::min<uint64_t>(map_.size(), keep_pages), map.begin());
  std::vector<uint64_t> used = used_;  // the active state plus what this commit allocates
  std::vector<std::pair<uint64_t, const std::vector<uint8_t>*>> page_writes;  // (slot, bytes)
  uint64_t next_slot = 1;
  uint64_t end_bytes = memory_.size_bytes();
  for (const auto& [page_no, bytes] : dirty) {
    assert(bytes.size() == kDbPageBytes);
    if (page_no >= new_pages) continue;  // the overlay never holds these; be safe if it did
    const uint64_t slot = FreeSlot(used, next_slot);
    if (slot > UINT32_MAX) return Status::Capacity(memory_.size_pages(), WasmPagesFor(SlotEnd(slot)));
    MarkRange(used, slot * kBlocksPerSlot, kBlocksPerSlot);
    next_slot = slot + 1;
    map[page_no] = static_cast<uint32_t>(slot);
    page_writes.emplace_back(slot, &bytes);
    end_bytes = std::max(end_bytes, SlotEnd(slot));
  }

  // A chunk is rewritten when one of its 1,024 entries changed; one whose entries are all 0 is absent.
  const uint64_t chunks = RootsFor(new_pages);
  std::vector<uint32_t> roots(chunks, 0);
  std::vector<uint64_t> chunk_slots;  // slots holding chunks now: new chunks pack into them first
  for (uint32_t block : roots_) {
    if (block != 0 && std::find(chunk_slots.begin(), chunk_slots.end(), block / kBlocksPerSlot) == chunk_slots.end()) {
      chunk_slots.push_back(block / kBlocksPerSlot);
    }
  }
  std::vector<std::pair<uint64_t, uint64_t>> chunk_writes;  // (block, chunk)
  for (uint64_t c = 0; c < chunks; ++c) {
    bool changed = c >= roots_.size();
    bool present = false;
    for (uint64_t j = 0; j < kEntriesPerChunk; ++j) {
      const uint64_t page = c * kEntriesPerChunk + j;
      const uint32_t now = page < map.size() ? map[page] : 0;
      const uint32_t was = page < map_.size() ? map_[page] : 0;
      changed = changed || now != was;
      present = present || now != 0;
    }
    if (!changed) {
      roots[c] = roots_[c];
      continue;
    }
    if (!present) continue;
    const uint64_t block = FreeBlock(used, chunk_slots);
    MarkRange(used, block, 1);
    if (std::find(chunk_slots.begin(), chunk_slots.end(), block / kBlocksPerSlot) == chunk_slots.end()) {
      chunk_slots.push_back(block / kBlocksPerSlot);
    }
    roots[c] = static_cast<uint32_t>(block);
    chunk_writes.emplace_back(block, c);
    end_bytes = std::max(end_bytes, BlockEnd(block));
  }

  // Nothing the active superblock reaches is among the targets: they were all free in `used_`.
  STABLEVFS_RETURN_IF_ERROR(stablevfs::EnsureCapacity(memory_, end_bytes));
  for (const auto& [slot, bytes] : page_writes) {
    STABLEVFS_FAILPOINT("commit.page_write");
    memory_.write(slot * kDbPageBytes, *bytes);
  }
  std::vector<uint8_t> chunk(kBlockBytes);
  for (const auto& [block, c] : chunk_writes) {
    STABLEVFS_FAILPOINT("commit.page_table_write");
    for (uint64_t j = 0; j < kEntriesPerChunk; ++j) {
      const uint64_t page = c * kEntriesPerChunk + j;
      StoreU32Le(std::span<uint8_t>(chunk).subspan(4 * j), page < map.size() ? map[page] : 0);
    }
    memory_.write(block * kBlockBytes, chunk);
  }

  Meta meta = meta_;
  meta.db_size = overlay.db_size();
  meta.page_count = new_pages;
  meta.last_tx_id += 1;
  meta.flags |= kFlagChecksumStale;
  ClearRefresh(meta);
  STABLEVFS_FAILPOINT("commit.superblock_publish");
  WriteSuperblock(meta, roots);

  meta_ = meta;
  map_ = std::move(map);
  roots_ = std::move(roots);
  SetLayoutFields(meta_, roots_, sequence_, active_slot_);
  RecomputeUsed();
  return Status::Ok();
}

Status LayoutSv1::StoreMeta(const Meta& meta) {
  Result<Meta> next = MergeStoredMeta(meta_, meta);
  if (!next.ok()) return next.status();
  WriteSuperblock(*next, roots_);
  meta_ = std::move(next).value();
  SetLayoutFields(meta_, roots_, sequence_, active_slot_);
  RecomputeUsed();  // clearing the importing flag here forgets the staging area, as DiscardImport does
  return Status::Ok();
}

Status LayoutSv1::SetLastTxId(uint64_t last_tx_id) {
  if (last_tx_id == meta_.last_tx_id) return Status::Ok();
  Result<Meta> next = WithLastTxId(meta_, last_tx_id);
  if (!next.ok()) return next.status();
  WriteSuperblock(*next, roots_);
  meta_ = std::move(next).value();
  SetLayoutFields(meta_, roots_, sequence_, active_slot_);
  return Status::Ok();
}

// ---- import ----

Status LayoutSv1::BeginImportStaging(uint64_t total_bytes, uint64_t expected_checksum) {
  if (importing()) return Status::Busy("an import is already staged; finish or cancel it first");
  if (total_bytes > kMaxDbBytes) {
    return Status::InvalidArgument("an import of " + Dec(total_bytes) + " bytes is larger than sv1's limit of " +
                                   Dec(kMaxDbBytes) + " bytes");
  }
  // The lowest run of free slots that holds the image: the staged pages become its data pages in place.
  const uint64_t slots = LogicalPagesFor(total_bytes);
  uint64_t first = FreeSlot(used_, 1);
  for (uint64_t run = 0; run < slots;) {
    if (SlotFree(used_, first + run)) {
      ++run;
    } else {
      first = FreeSlot(used_, first + run + 1);
      run = 0;
    }
  }
  const uint64_t base = first * kDbPageBytes;
  if (slots > 0) STABLEVFS_RETURN_IF_ERROR(stablevfs::EnsureCapacity(memory_, base + slots * kDbPageBytes));
  Meta meta = meta_;
  meta.flags |= kFlagImporting;
  meta.import_expected_checksum = expected_checksum;
  meta.import_written_until = 0;
  meta.import_total_size = total_bytes;
  meta.import_base_offset = base;
  WriteSuperblock(meta, roots_);
  meta_ = meta;
  SetLayoutFields(meta_, roots_, sequence_, active_slot_);
  RecomputeUsed();
  return Status::Ok();
}

Status LayoutSv1::StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) {
  Result<uint64_t> end = WriteStagedImport(memory_, meta_, offset, bytes);
  if (!end.ok()) return end.status();
  if (end.value() > meta_.import_written_until) {
    Meta meta = meta_;
    meta.import_written_until = end.value();
    WriteSuperblock(meta, roots_);
    meta_ = meta;
    SetLayoutFields(meta_, roots_, sequence_, active_slot_);
  }
  return Status::Ok();
}

Status LayoutSv1::ReadStagedBytes(uint64_t offset, std::span<uint8_t> out) {
  return ReadStagedImport(memory_, meta_, offset, out);
}

Status LayoutSv1::PublishImport() {
  STABLEVFS_RETURN_IF_ERROR(CheckImportComplete(meta_));
  const uint64_t total = meta_.import_total_size;
  const uint64_t base = meta_.import_base_offset;
  const uint64_t pages = LogicalPagesFor(total);
  // The tail of the last staged page may hold bytes of an earlier use of the slot: it must read as zeros.
  if (total % kDbPageBytes != 0) {
    const std::vector<uint8_t> zeros(kDbPageBytes - total % kDbPageBytes, 0);
    memory_.write(base + total, zeros);
  }
  std::vector<uint32_t> map(pages);
  for (uint64_t p = 0; p < pages; ++p) map[p] = static_cast<uint32_t>(base / kDbPageBytes + p);
  // The chunks go to blocks free under the active superblock, which still reaches the old image and the
  // staging area; chunk slots of the old map stay in use until the new superblock is durable.
  std::vector<uint64_t> used = used_;
  std::vector<uint64_t> chunk_slots;
  std::vector<uint32_t> roots(RootsFor(pages), 0);
  uint64_t end_bytes = memory_.size_bytes();
  for (uint64_t c = 0; c < roots.size(); ++c) {
    const uint64_t block = FreeBlock(used, chunk_slots);
    MarkRange(used, block, 1);
    if (std::find(chunk_slots.begin(), chunk_slots.end(), block / kBlocksPerSlot) == chunk_slots.end()) {
      chunk_slots.push_back(block / kBlocksPerSlot);
    }
    roots[c] = static_cast<uint32_t>(block);
    end_bytes = std::max(end_bytes, BlockEnd(block));
  }
  STABLEVFS_RETURN_IF_ERROR(stablevfs::EnsureCapacity(memory_, end_bytes));
  std::vector<uint8_t> chunk(kBlockBytes);
  for (uint64_t c = 0; c < roots.size(); ++c) {
    STABLEVFS_FAILPOINT("commit.page_table_write");
    for (uint64_t j = 0; j < kEntriesPerChunk; ++j) {
      const uint64_t page = c * kEntriesPerChunk + j;
      StoreU32Le(std::span<uint8_t>(chunk).subspan(4 * j), page < pages ? map[page] : 0);
    }
    memory_.write(uint64_t{roots[c]} * kBlockBytes, chunk);
  }
  Meta meta = meta_;
  meta.db_size = total;
  meta.page_count = pages;
  meta.schema_version = 0;
  meta.last_tx_id += 1;
  meta.flags = kFlagChecksumStale;
  meta.checksum = meta_.import_expected_checksum;
  ClearImport(meta);
  ClearRefresh(meta);
  STABLEVFS_FAILPOINT("commit.superblock_publish");
  WriteSuperblock(meta, roots);
  meta_ = meta;
  map_ = std::move(map);
  roots_ = std::move(roots);
  SetLayoutFields(meta_, roots_, sequence_, active_slot_);
  RecomputeUsed();
  return Status::Ok();
}

Status LayoutSv1::DiscardImport() {
  Meta meta = meta_;
  ClearImport(meta);
  if (meta == meta_) return Status::Ok();  // nothing staged, nothing recorded: no write
  WriteSuperblock(meta, roots_);
  meta_ = meta;
  SetLayoutFields(meta_, roots_, sequence_, active_slot_);
  RecomputeUsed();
  return Status::Ok();
}

Status LayoutSv1::Compact() {
  if (importing()) return Status::Busy("cannot compact while an import is staged");
  return Status::Ok();
}

LayoutStats LayoutSv1::Stats() const {
  LayoutStats stats;
  stats.stable_pages = memory_.size_pages();
  stats.allocated_bytes = memory_.size_bytes();
  stats.mapped_pages = static_cast<uint64_t>(std::count_if(map_.begin(), map_.end(), [](uint32_t s) { return s != 0; }));
  stats.segments = static_cast<uint64_t>(std::count_if(roots_.begin(), roots_.end(), [](uint32_t b) { return b != 0; }));
  stats.active_bytes = kHeaderBytes + kDbPageBytes * stats.mapped_pages + kBlockBytes * stats.segments;
  stats.orphan_bytes = stats.allocated_bytes > stats.active_bytes ? stats.allocated_bytes - stats.active_bytes : 0;
  stats.orphan_ratio_bp =
      stats.allocated_bytes == 0
          ? 0
          : static_cast<uint64_t>(static_cast<unsigned __int128>(stats.orphan_bytes) * 10000 / stats.allocated_bytes);
  stats.compact_recommended = false;
  return stats;
}

Status LayoutSv1::Validate() {
  Result<std::unique_ptr<LayoutSv1>> fresh = Open(memory_);
  if (!fresh.ok()) return fresh.status();
  const LayoutSv1& other = **fresh;
  if (other.meta_ != meta_) return Status::Corrupt("the stored superblock differs from the heap state");
  if (other.sequence_ != sequence_ || other.active_slot_ != active_slot_) {
    return Status::Corrupt("the active slot is " + Dec(static_cast<uint64_t>(other.active_slot_)) + " with sequence " +
                           Dec(other.sequence_) + ", the heap says " + Dec(static_cast<uint64_t>(active_slot_)) +
                           " with " + Dec(sequence_));
  }
  if (other.map_ != map_ || other.roots_ != roots_) return Status::Corrupt("the stored map differs from the heap's");
  return Status::Ok();
}

}  // namespace stablevfs::sv1
