#include "lib/layout/layout8.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>
#include <vector>

#include "lib/core/trap.h"
#include "lib/layout/layout_common.h"
#include "lib/layout/superblock8.h"

namespace stablevfs::layout8 {
namespace {

static_assert(kSuperblockRegionBytes % kDbPageBytes == 0, "a fresh image's pages start page-aligned");
static_assert(kWasmPageBytes % kDbPageBytes == 0, "a staging area at the high-water mark starts page-aligned");

constexpr uint64_t PagesForMemory(uint64_t bytes) { return WasmPagesFor(bytes); }

// The largest database file a publish accepts: the IC's maximum stable memory (REFERENCE 1). It also keeps
// db_base_offset + page_count * 16 KiB far from overflowing.
constexpr uint64_t kMaxDbBytes = 500ull << 30;
// The largest import accepted: well past the IC's 500 GiB, small enough that no staging arithmetic overflows.
constexpr uint64_t kMaxImportBytes = 1ull << 50;

// Bytes the staging area of an import of `total_bytes` occupies: whole pages, since it becomes the image.
constexpr uint64_t StagingBytes(uint64_t total_bytes) { return PageCountFor(total_bytes) * kDbPageBytes; }

// The checks Open makes past the codec's, and Validate repeats: the superblock agrees with itself and
// everything it points to lies inside a memory of `memory_bytes`. Written so that no sum can overflow, since
// the fields come from an image nobody vouched for.
Status CheckAgainstMemory(const Meta& meta, uint64_t memory_bytes) {
  if (meta.page_count != PageCountFor(meta.db_size)) {
    return Status::Corrupt("page_count " + std::to_string(meta.page_count) + " disagrees with db_size " +
                           std::to_string(meta.db_size) + " (ceil(db_size / 16384) = " +
                           std::to_string(PageCountFor(meta.db_size)) + ")");
  }
  if (meta.page_table_offset != 0) {
    return Status::Corrupt("page_table_offset " + std::to_string(meta.page_table_offset) +
                           " must be 0: layout 8 keeps no page table");
  }
  if (meta.db_base_offset < kSuperblockRegionBytes) {
    return Status::Corrupt("db_base_offset " + std::to_string(meta.db_base_offset) +
                           " lies inside the superblock region (below " + std::to_string(kSuperblockRegionBytes) +
                           ")");
  }
  if (meta.db_base_offset > memory_bytes || meta.page_count > (memory_bytes - meta.db_base_offset) / kDbPageBytes) {
    return Status::Corrupt("db_base_offset " + std::to_string(meta.db_base_offset) + " with page_count " +
                           std::to_string(meta.page_count) + " (16 KiB pages) does not fit the memory of " +
                           std::to_string(memory_bytes) + " bytes");
  }
  if ((meta.flags & kFlagImporting) != 0) {
    const uint64_t base = meta.import_base_offset;
    const uint64_t pages = PageCountFor(meta.import_total_size);
    if (base < kSuperblockRegionBytes || base > memory_bytes || pages > (memory_bytes - base) / kDbPageBytes ||
        meta.import_written_until > meta.import_total_size) {
      return Status::Corrupt("import staging area at import_base_offset " + std::to_string(base) + " for " +
                             std::to_string(meta.import_total_size) + " bytes (import_written_until " +
                             std::to_string(meta.import_written_until) + ") does not fit the memory of " +
                             std::to_string(memory_bytes) + " bytes past the superblock region");
    }
  }
  return Status::Ok();
}

// Reads and decodes the superblock at offset 0: the longest encoding, or the whole memory if it is shorter.
Result<DecodedSuperblock> ReadSuperblock(StableMemory& memory) {
  std::vector<uint8_t> bytes(std::min<uint64_t>(memory.size_bytes(), kMaxSuperblockBytes));
  memory.read(0, bytes);
  return DecodeSuperblock(bytes);
}

}  // namespace

LayoutInfo Info() {
  LayoutInfo info;
  info.name = "8";
  info.magic = kIcSqliteMagic;
  info.version = kVersion;
  info.atomicity = CommitAtomicity::kTrapRollback;
  info.summary =
      "ic-sqlite-vfs 2.x: pages in place, zero extents, atomic only under IC trap rollback (REFERENCE 3.4)";
  info.sites = {"commit.capacity", "memory.grow", "commit.page_write_in_place", "commit.superblock_store"};
  info.format = [](StableMemory& memory) { return UpcastLayout(Layout8::Format(memory)); };
  info.open = [](StableMemory& memory) { return UpcastLayout(Layout8::Open(memory)); };
  return info;
}

Result<std::unique_ptr<Layout8>> Layout8::Open(StableMemory& memory) {
  if (memory.size_pages() == 0) {
    return Status::ForeignImage("an empty memory holds no layout 8 superblock");
  }
  Result<DecodedSuperblock> decoded = ReadSuperblock(memory);
  if (!decoded.ok()) return decoded.status();
  STABLEVFS_RETURN_IF_ERROR(CheckAgainstMemory(decoded->meta, memory.size_bytes()));
  std::unique_ptr<Layout8> layout(new Layout8(memory));
  layout->Adopt(std::move(decoded->meta), std::move(decoded->zero_extents));
  return layout;
}

Result<std::unique_ptr<Layout8>> Layout8::Format(StableMemory& memory) {
  std::unique_ptr<Layout8> layout(new Layout8(memory));
  STABLEVFS_RETURN_IF_ERROR(layout->EnsureCapacity(kSuperblockRegionBytes));
  const Meta fresh = FreshMeta();
  layout->WriteSuperblock(fresh, ZeroExtents());
  layout->Adopt(fresh, ZeroExtents());
  return layout;
}

Status Layout8::EnsureCapacity(uint64_t end_bytes) { return stablevfs::EnsureCapacity(memory_, end_bytes); }

void Layout8::WriteSuperblock(const Meta& meta, const ZeroExtents& extents) {
  // Only the encoded length: bytes of an older, longer extent list stay behind it, as in ic-sqlite-vfs, and
  // the decoder ignores them.
  const std::vector<uint8_t> bytes = EncodeSuperblock(meta, extents);
  memory_.write(0, bytes);
}

void Layout8::Adopt(Meta meta, ZeroExtents extents) {
  meta.layout_fields = ExtentFields(extents);
  meta_ = std::move(meta);
  extents_ = std::move(extents);
}

Status Layout8::ReadPage(uint64_t page_no, std::span<uint8_t> out) {
  if (out.size() != kDbPageBytes) {
    return Status::InvalidArgument("ReadPage needs a buffer of exactly " + std::to_string(kDbPageBytes) +
                                   " bytes, got " + std::to_string(out.size()));
  }
  return ReadPageBytes(page_no, 0, out);
}

// Reading part of a page cannot miss a trap the whole-page read would raise: every page below page_count lies
// wholly inside the memory (Open checks it, a publish grows the memory first), and the memory never shrinks.
Status Layout8::ReadPageBytes(uint64_t page_no, uint64_t offset_in_page, std::span<uint8_t> out) {
  if (offset_in_page > kDbPageBytes || out.size() > kDbPageBytes - offset_in_page) {
    return Status::InvalidArgument("ReadPageBytes needs a range within one page, got " + std::to_string(out.size()) +
                                   " bytes at offset " + std::to_string(offset_in_page));
  }
  if (page_no >= meta_.page_count || extents_.Contains(page_no)) {
    std::fill(out.begin(), out.end(), 0);
    return Status::Ok();
  }
  if (out.empty()) return Status::Ok();
  memory_.read(meta_.db_base_offset + page_no * kDbPageBytes + offset_in_page, out);
  return Status::Ok();
}

Status Layout8::Publish(const Overlay& overlay) {
  STABLEVFS_FAILPOINT("commit.capacity");
  if (importing()) return Status::Busy("cannot publish a commit while an import is staged");
  assert(overlay.dirty());
  assert(overlay.base_db_size() == meta_.db_size);

  const uint64_t current_pages = memory_.size_pages();
  const uint64_t new_pages = PageCountFor(overlay.db_size());
  ZeroExtents next_extents = ExtentsAfterCommit(extents_, meta_.db_size, overlay);
  if (next_extents.size() > kMaxZeroExtents) {
    // No fallback, as in ic-sqlite-vfs: the superblock cannot describe the result, so the commit fails while
    // nothing has been written yet. The memory is not the problem, hence required == current.
    return Status::Capacity(current_pages, current_pages,
                            "ZeroExtentLimitExceeded: this commit would leave " +
                                std::to_string(next_extents.size()) + " zero extents, more than the limit of " +
                                std::to_string(kMaxZeroExtents) +
                                " a layout 8 superblock can store; nothing was written");
  }
  if (overlay.db_size() > kMaxDbBytes) {
    return Status::Capacity(current_pages, PagesForMemory(meta_.db_base_offset + overlay.db_size()),
                            "a database file of " + std::to_string(overlay.db_size()) +
                                " bytes is larger than any stable memory (500 GiB)");
  }
  // Every page below the new page count must lie inside the memory, written or not, or the next Open would
  // refuse the image. ic-sqlite-vfs grows to db_base_offset + db_size and the end of every dirty page; with a
  // 64 KiB-aligned db_base_offset (every image it and this layout write) the two rules grow to the same size.
  STABLEVFS_RETURN_IF_ERROR(EnsureCapacity(meta_.db_base_offset + new_pages * kDbPageBytes));

  uint64_t pages_written = 0;
  for (const auto& [page_no, bytes] : overlay.pages()) {  // a std::map: ascending page numbers
    assert(bytes.size() == kDbPageBytes);
    if (page_no >= new_pages) continue;  // the overlay never holds these; be safe if it did (as layout 6)
    const fp::Action action = STABLEVFS_FAILPOINT_EVAL("commit.page_write_in_place");
    if (action != fp::Action::kOff) [[unlikely]] {
      if (action != fp::Action::kError) fp::Raise("commit.page_write_in_place", action);
      // Before the first write nothing has changed: the error is an ordinary failed commit.
      if (pages_written == 0) return fp::InjectedError{"commit.page_write_in_place"};
      // Past it, pages of this commit already replaced pages the old superblock still names. Returning an
      // error would let the message end without a trap and keep that third state; only the IC's rollback of
      // a trapped message restores the old image.
      throw Trap("commit.page_write_in_place failed before logical page " + std::to_string(page_no) +
                 " after " + std::to_string(pages_written) +
                 " pages of this commit were overwritten in place; trapping so that the message is rolled back");
    }
    memory_.write(meta_.db_base_offset + page_no * kDbPageBytes, bytes);
    ++pages_written;
  }

  Meta next = meta_;
  next.db_size = overlay.db_size();
  next.page_count = new_pages;
  next.page_table_offset = 0;
  next.last_tx_id += 1;
  next.flags |= kFlagChecksumStale;
  ClearRefresh(next);
  // A failed superblock store panics on purpose in ic-sqlite-vfs (REFERENCE 3.4): whatever pages this commit
  // wrote are already in place, so an error here must end the message, even when no page was written (a
  // truncate), to keep one rule for the site.
  const fp::Action store = STABLEVFS_FAILPOINT_EVAL("commit.superblock_store");
  if (store != fp::Action::kOff) [[unlikely]] {
    if (store != fp::Action::kError) fp::Raise("commit.superblock_store", store);
    throw Trap("commit.superblock_store failed after " + std::to_string(pages_written) +
               " pages of this commit were overwritten in place; trapping so that the message is rolled back");
  }
  WriteSuperblock(next, next_extents);
  Adopt(std::move(next), std::move(next_extents));
  return Status::Ok();
}

Status Layout8::StoreMeta(const Meta& meta) {
  Result<Meta> next = MergeStoredMeta(meta_, meta);
  if (!next.ok()) return next.status();
  WriteSuperblock(*next, extents_);
  Adopt(std::move(next).value(), extents_);
  return Status::Ok();
}

Status Layout8::SetLastTxId(uint64_t last_tx_id) {
  if (last_tx_id == meta_.last_tx_id) return Status::Ok();
  Result<Meta> next = WithLastTxId(meta_, last_tx_id);
  if (!next.ok()) return next.status();
  WriteSuperblock(*next, extents_);
  Adopt(std::move(next).value(), extents_);
  return Status::Ok();
}

Status Layout8::BeginImportStaging(uint64_t total_bytes, uint64_t expected_checksum) {
  if (importing()) return Status::Busy("an import is already staged; finish or cancel it first");
  if (total_bytes > kMaxImportBytes) {
    return Status::InvalidArgument("import of " + std::to_string(total_bytes) + " bytes is larger than any memory");
  }
  // The high-water mark: never a gap inside the memory, so the staging area cannot overlap the active image
  // (which Open keeps inside the memory) nor an earlier, abandoned one still holding bytes.
  const uint64_t base = memory_.size_bytes();
  assert(base % kWasmPageBytes == 0 && base >= kSuperblockRegionBytes);
  const uint64_t staging = StagingBytes(total_bytes);
  if (staging > 0) STABLEVFS_RETURN_IF_ERROR(EnsureCapacity(base + staging));
  Meta next = meta_;
  next.flags |= kFlagImporting;
  next.import_expected_checksum = expected_checksum;
  next.import_written_until = 0;
  next.import_total_size = total_bytes;
  next.import_base_offset = base;
  WriteSuperblock(next, extents_);
  Adopt(std::move(next), extents_);
  return Status::Ok();
}

Status Layout8::StageImportBytes(uint64_t offset, std::span<const uint8_t> bytes) {
  // The staged image is contiguous, exactly as it will be read once published: offset x lives at base + x.
  Result<uint64_t> end = WriteStagedImport(memory_, meta_, offset, bytes);
  if (!end.ok()) return end.status();
  if (end.value() > meta_.import_written_until) {
    Meta next = meta_;
    next.import_written_until = end.value();
    WriteSuperblock(next, extents_);
    Adopt(std::move(next), extents_);
  }
  return Status::Ok();
}

Status Layout8::ReadStagedBytes(uint64_t offset, std::span<uint8_t> out) {
  return ReadStagedImport(memory_, meta_, offset, out);
}

Status Layout8::PublishImport() {
  STABLEVFS_RETURN_IF_ERROR(CheckImportComplete(meta_));
  const uint64_t total = meta_.import_total_size;
  const uint64_t base = meta_.import_base_offset;
  assert(base + StagingBytes(total) <= memory_.size_bytes());

  // The part of the last page past the image becomes a database page's tail, which must read as zeros. The
  // staging area is fresh memory unless an earlier import was abandoned there, but zeroing costs one short
  // write and settles it.
  if (total % kDbPageBytes != 0) {
    const std::vector<uint8_t> zeros(kDbPageBytes - total % kDbPageBytes, 0);
    memory_.write(base + total, zeros);
  }

  Meta next = meta_;
  next.db_size = total;
  next.db_base_offset = base;
  next.page_count = PageCountFor(total);
  next.page_table_offset = 0;
  next.schema_version = 0;
  next.last_tx_id += 1;
  next.flags = kFlagChecksumStale;
  next.checksum = meta_.import_expected_checksum;
  ClearImport(next);
  ClearRefresh(next);
  // Unlike a commit's, this superblock store may fail with an error: only the staging area was written, and
  // the old superblock still names the old, untouched image.
  STABLEVFS_FAILPOINT("commit.superblock_store");
  // The old in-place region is abandoned from here on: nothing will ever read it again.
  WriteSuperblock(next, ZeroExtents());
  Adopt(std::move(next), ZeroExtents());
  return Status::Ok();
}

Status Layout8::DiscardImport() {
  Meta next = meta_;
  ClearImport(next);
  if (next == meta_) return Status::Ok();  // nothing staged, nothing recorded: no write
  WriteSuperblock(next, extents_);
  Adopt(std::move(next), extents_);
  return Status::Ok();
}

Status Layout8::Compact() {
  if (importing()) return Status::Busy("cannot compact while an import is staged");
  return Status::Ok();  // every byte the memory holds past the image is either staging or never reachable
}

LayoutStats Layout8::Stats() const {
  LayoutStats stats;
  stats.stable_pages = memory_.size_pages();
  stats.allocated_bytes = memory_.size_bytes();
  stats.mapped_pages = meta_.page_count - extents_.PagesBelow(meta_.page_count);
  stats.active_bytes = kSuperblockRegionBytes + kDbPageBytes * stats.mapped_pages;
  stats.orphan_bytes = stats.allocated_bytes > stats.active_bytes ? stats.allocated_bytes - stats.active_bytes : 0;
  stats.orphan_ratio_bp = stats.allocated_bytes == 0 ? 0 : stats.orphan_bytes * 10000 / stats.allocated_bytes;
  stats.compact_recommended = false;  // compaction has nothing to reclaim in this layout
  stats.segments = 0;
  return stats;
}

Status Layout8::Validate() {
  if (memory_.size_pages() == 0) return Status::Corrupt("the memory is empty: it holds no superblock");
  Result<DecodedSuperblock> stored = ReadSuperblock(memory_);
  if (!stored.ok()) return Status::Corrupt("superblock does not decode: " + stored.status().ToString());
  if (!(stored->meta == meta_) || !(stored->zero_extents == extents_)) {
    return Status::Corrupt("superblock in stable memory differs from the open layout's");
  }
  if ((meta_.flags & ~kKnownFlags) != 0) {
    return Status::Corrupt("unknown superblock flag bits in " + std::to_string(meta_.flags));
  }
  STABLEVFS_RETURN_IF_ERROR(CheckAgainstMemory(meta_, memory_.size_bytes()));
  if (importing()) {
    // Both lie inside the memory (checked above), so these ends do not overflow.
    const uint64_t staging_begin = meta_.import_base_offset;
    const uint64_t staging_end = staging_begin + StagingBytes(meta_.import_total_size);
    const uint64_t image_begin = meta_.db_base_offset;
    const uint64_t image_end = image_begin + meta_.page_count * kDbPageBytes;
    if (staging_begin < staging_end && image_begin < image_end && staging_begin < image_end &&
        image_begin < staging_end) {
      return Status::Corrupt("import staging area [" + std::to_string(staging_begin) + ", " +
                             std::to_string(staging_end) + ") overlaps the active image [" +
                             std::to_string(image_begin) + ", " + std::to_string(image_end) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace stablevfs::layout8
