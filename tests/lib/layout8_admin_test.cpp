// Layout 8 admin tests: StoreMeta, compaction (a no-op) and import staging.
//
// Goal: StoreMeta changes only the fields callers own, keeps the zero extents, and refuses to move the
// layout's import staging area; compaction does nothing at all (no write, no grow, no failpoint) and waits for
// an import; an import (ic-sqlite-vfs 2.x's test version) stages at the high-water mark, never touches the
// active in-place image, survives a reopen mid-import, and publishes in one superblock write by pointing
// db_base_offset at the staged image with the extents cleared (schema_version 0, tx id + 1, stale, checksum
// from the import), after which commits write in place at the new base; the old region is abandoned and
// counted as orphan space; incomplete, failed and discarded imports keep the old image; Validate notices a
// staging area that overlaps the active image. Method: HeapStableMemory images checked through the live
// handle, a fresh open and Validate; a recording decorator for the writes; failpoints armed per thread;
// byte snapshots of the active image (superblock and in-place pages).
#include <gtest/gtest.h>

#include "failpoints/registry.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using layout8::ZeroExtent;
using testing::AsLayout8;
using testing::InPlaceSnapshot;
using testing::kPage;
using testing::MakeOverlay;
using testing::OpenLayout8OrDie;
using testing::PagePattern;
using testing::PublishPages;
using testing::ReadPageOf;
using testing::RecordingMemory;

const std::vector<uint8_t> kZeroPage(kPage, 0);

class Layout8AdminTest : public ::testing::Test {
 protected:
  fp::ScopedRegistryReset reset_;
};

// A 6-page file with pages 0, 2 and 5 written: zero extents [1, 2) and [3, 5).
std::unique_ptr<Layout> SparseImage(StableMemory& memory) {
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  EXPECT_TRUE(PublishPages(*layout, {{0, 1}, {2, 3}, {5, 6}}).ok());
  EXPECT_EQ(AsLayout8(*layout).zero_extents().extents(), (std::vector<ZeroExtent>{{1, 2}, {3, 5}}));
  return layout;
}

// ---- StoreMeta ----

TEST_F(Layout8AdminTest, StoreMetaChangesOnlyCallerFieldsAndKeepsTheExtents) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = SparseImage(memory);
  const Meta before = layout->meta();
  Meta wanted = before;
  wanted.schema_version = 42;
  wanted.flags = kFlagChecksumRefreshing;
  wanted.checksum = 1234;
  wanted.checksum_refresh_offset = 16384;
  wanted.checksum_refresh_hash = 99;
  wanted.checksum_refresh_tx_id = before.last_tx_id;
  // Layout-owned fields in the argument are ignored.
  wanted.db_size = 1;
  wanted.last_tx_id = 77;
  wanted.db_base_offset = 3 * 65536;
  wanted.page_table_offset = 5;
  wanted.page_count = 9;
  wanted.layout_fields = {{"zero_extent_count", 0}};
  ASSERT_TRUE(layout->StoreMeta(wanted).ok());
  const Meta& after = layout->meta();
  EXPECT_EQ(after.schema_version, 42u);
  EXPECT_EQ(after.flags, kFlagChecksumRefreshing);
  EXPECT_EQ(after.checksum, 1234u);
  EXPECT_EQ(after.checksum_refresh_offset, 16384u);
  EXPECT_EQ(after.checksum_refresh_hash, 99u);
  EXPECT_EQ(after.db_size, before.db_size);
  EXPECT_EQ(after.last_tx_id, before.last_tx_id);
  EXPECT_EQ(after.db_base_offset, before.db_base_offset);
  EXPECT_EQ(after.page_table_offset, 0u);
  EXPECT_EQ(after.page_count, before.page_count);
  EXPECT_EQ(after.layout_fields, before.layout_fields);
  EXPECT_EQ(AsLayout8(*layout).zero_extents().extents(), (std::vector<ZeroExtent>{{1, 2}, {3, 5}}));
  EXPECT_EQ(testing::OpenOrDie(memory)->meta(), after);
  EXPECT_EQ(ReadPageOf(*layout, 3), kZeroPage);
  EXPECT_TRUE(layout->Validate().ok());
}

TEST_F(Layout8AdminTest, StoreMetaRefusesWhatWouldBreakTheLayout) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  const std::vector<uint8_t> image = memory.bytes();
  Meta m = layout->meta();
  m.flags = 8;
  EXPECT_EQ(layout->StoreMeta(m).code(), ErrorCode::kInvalidArgument);
  m.flags = kFlagImporting;  // an import starts with BeginImportStaging
  EXPECT_EQ(layout->StoreMeta(m).code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(memory.bytes() == image);

  ASSERT_TRUE(layout->BeginImportStaging(3 * kPage, 55).ok());
  m = layout->meta();
  m.import_base_offset += 65536;
  EXPECT_EQ(layout->StoreMeta(m).code(), ErrorCode::kInvalidArgument);
  m = layout->meta();
  m.import_total_size += 1;
  EXPECT_EQ(layout->StoreMeta(m).code(), ErrorCode::kInvalidArgument);
  m = layout->meta();
  m.import_written_until = m.import_total_size + 1;
  EXPECT_EQ(layout->StoreMeta(m).code(), ErrorCode::kInvalidArgument);
  // Clearing the flag through StoreMeta forgets the staging, as DiscardImport does.
  m = layout->meta();
  m.flags = 0;
  m.import_base_offset = m.import_total_size = m.import_expected_checksum = 0;
  ASSERT_TRUE(layout->StoreMeta(m).ok());
  EXPECT_EQ(layout->meta().flags, 0u);
  EXPECT_TRUE(testing::OpenOrDie(memory)->Validate().ok());
}

// ---- Compaction ----

TEST_F(Layout8AdminTest, CompactionDoesNothingAtAll) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory heap;
  RecordingMemory memory(heap);
  std::unique_ptr<Layout> layout = SparseImage(memory);
  const Meta before = layout->meta();
  const std::vector<uint8_t> image = heap.bytes();
  memory.events.clear();
  fp::ClearAll();
  // Armed to fail: a compaction that evaluated anything would report it.
  ASSERT_TRUE(fp::Arm("compact.copy=error;compact.publish=error;memory.grow=error;commit.superblock_store=error").ok());
  ASSERT_TRUE(layout->Compact().ok());
  EXPECT_TRUE(memory.events.empty());
  EXPECT_TRUE(heap.bytes() == image);
  EXPECT_EQ(layout->meta(), before);
  EXPECT_TRUE(fp::Snapshot().hits.empty()) << "no failpoint evaluated";
}

TEST_F(Layout8AdminTest, CompactionWaitsForAnImport) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = SparseImage(memory);
  ASSERT_TRUE(layout->BeginImportStaging(kPage, 1).ok());
  EXPECT_EQ(layout->Compact().code(), ErrorCode::kBusy);
}

// ---- Import staging ----

std::vector<uint8_t> ImageBytes(uint64_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  for (uint64_t i = 0; i < size; i += kPage) {
    const std::vector<uint8_t> page = PagePattern(seed + i / kPage);
    std::copy_n(page.begin(), std::min<uint64_t>(kPage, size - i), bytes.begin() + static_cast<ptrdiff_t>(i));
  }
  return bytes;
}

Status StageAll(Layout& layout, const std::vector<uint8_t>& image, uint64_t chunk) {
  for (uint64_t offset = 0; offset < image.size(); offset += chunk) {
    const uint64_t n = std::min<uint64_t>(chunk, image.size() - offset);
    STABLEVFS_RETURN_IF_ERROR(layout.StageImportBytes(offset, std::span(image).subspan(offset, n)));
  }
  return Status::Ok();
}

TEST_F(Layout8AdminTest, ImportStagesAtTheHighWaterMarkAndPublishesByMovingTheBase) {
  HeapStableMemory heap;
  RecordingMemory memory(heap);
  std::unique_ptr<Layout> layout = SparseImage(memory);
  Meta with_schema = layout->meta();
  with_schema.schema_version = 3;
  ASSERT_TRUE(layout->StoreMeta(with_schema).ok());
  const Meta old_meta = layout->meta();
  const InPlaceSnapshot old_image = InPlaceSnapshot::Take(*layout, heap);
  const uint64_t mark = heap.size_bytes();
  ASSERT_EQ(mark, 3 * 65536u);  // 64 KiB + 6 x 16 KiB, rounded up

  const std::vector<uint8_t> image = ImageBytes(7 * kPage + 1000, 500);  // 8 pages, a partial last one
  ASSERT_TRUE(layout->BeginImportStaging(image.size(), 0xC0FFEE).ok());
  EXPECT_EQ(layout->meta().flags & kFlagImporting, kFlagImporting);
  EXPECT_EQ(layout->meta().import_base_offset, mark) << "the memory's size when the import began";
  EXPECT_EQ(layout->meta().import_total_size, image.size());
  EXPECT_EQ(layout->meta().import_expected_checksum, 0xC0FFEEu);
  EXPECT_EQ(layout->meta().import_written_until, 0u);
  EXPECT_EQ(heap.size_bytes(), mark + 2 * 65536) << "grown once, to hold 8 whole pages";

  // Stage in uneven chunks; reopen in the middle (an upgrade between import messages).
  ASSERT_TRUE(StageAll(*layout, std::vector<uint8_t>(image.begin(), image.begin() + 40000), 7000).ok());
  EXPECT_EQ(layout->meta().import_written_until, 40000u);
  layout = testing::OpenOrDie(memory);
  EXPECT_EQ(layout->meta().import_written_until, 40000u);
  for (uint64_t offset = 40000; offset < image.size(); offset += 33333) {
    const uint64_t n = std::min<uint64_t>(33333, image.size() - offset);
    ASSERT_TRUE(layout->StageImportBytes(offset, std::span(image).subspan(offset, n)).ok());
  }
  // The staged bytes sit contiguously at the mark; the active image is untouched but for the superblock.
  EXPECT_TRUE(std::equal(image.begin(), image.end(), heap.bytes().begin() + static_cast<ptrdiff_t>(mark)));
  const std::string diff = old_image.Diff(heap);
  EXPECT_TRUE(diff.empty() || diff == "the superblock changed") << diff;
  EXPECT_EQ(ReadPageOf(*layout, 2), PagePattern(3));
  EXPECT_TRUE(layout->Validate().ok());
  std::vector<uint8_t> staged(image.size());
  ASSERT_TRUE(layout->ReadStagedBytes(0, staged).ok());
  EXPECT_TRUE(staged == image);
  // Commits and compaction wait for the import.
  EXPECT_EQ(PublishPages(*layout, {{0, 9}}).code(), ErrorCode::kBusy);
  EXPECT_EQ(layout->Compact().code(), ErrorCode::kBusy);
  EXPECT_EQ(layout->BeginImportStaging(10, 1).code(), ErrorCode::kBusy);

  memory.events.clear();
  ASSERT_TRUE(layout->PublishImport().ok());
  // The tail of the last page, then the superblock: one superblock write, the last one, no grow.
  ASSERT_EQ(memory.events.size(), 2u);
  EXPECT_EQ(memory.events[0].offset, mark + image.size());
  EXPECT_EQ(memory.events[0].length, kPage - 1000);
  EXPECT_EQ(memory.events[1].offset, 0u);
  EXPECT_EQ(memory.events[1].length, 160u) << "the extents are cleared";

  const Meta& meta = layout->meta();
  EXPECT_EQ(meta.db_base_offset, mark);
  EXPECT_EQ(meta.db_size, image.size());
  EXPECT_EQ(meta.page_count, 8u);
  EXPECT_EQ(meta.schema_version, 0u);
  EXPECT_EQ(meta.last_tx_id, old_meta.last_tx_id + 1);
  EXPECT_EQ(meta.flags, kFlagChecksumStale);
  EXPECT_EQ(meta.checksum, 0xC0FFEEu);
  EXPECT_EQ(meta.import_base_offset, 0u);
  EXPECT_EQ(meta.import_total_size, 0u);
  EXPECT_EQ(meta.import_written_until, 0u);
  EXPECT_EQ(meta.import_expected_checksum, 0u);
  EXPECT_TRUE(AsLayout8(*layout).zero_extents().empty());
  for (uint64_t p = 0; p < 8; ++p) {
    std::vector<uint8_t> expected(kPage, 0);
    std::copy_n(image.begin() + static_cast<ptrdiff_t>(p * kPage), std::min<uint64_t>(kPage, image.size() - p * kPage),
                expected.begin());
    ASSERT_EQ(ReadPageOf(*layout, p), expected) << "page " << p;
  }
  EXPECT_TRUE(layout->Validate().ok());
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), meta);
  EXPECT_TRUE(reopened->Validate().ok());

  // The old region is abandoned: orphan space, never written again. Commits now write at the new base.
  const LayoutStats stats = layout->Stats();
  EXPECT_EQ(stats.mapped_pages, 8u);
  EXPECT_EQ(stats.active_bytes, 65536u + 8 * kPage);
  EXPECT_EQ(stats.orphan_bytes, heap.size_bytes() - stats.active_bytes);
  memory.events.clear();
  ASSERT_TRUE(PublishPages(*layout, {{1, 77}}).ok());
  ASSERT_EQ(memory.events.size(), 2u);
  EXPECT_EQ(memory.events[0].offset, mark + kPage);
  EXPECT_EQ(ReadPageOf(*testing::OpenOrDie(memory), 1), PagePattern(77));
}

TEST_F(Layout8AdminTest, ImportTailIsZeroEvenOverBytesAlreadyThere) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  const std::vector<uint8_t> image = ImageBytes(100, 7);
  ASSERT_TRUE(layout->BeginImportStaging(image.size(), 1).ok());
  const uint64_t base = layout->meta().import_base_offset;
  // Bytes past the image in its last page, as a foreign or earlier write could have left them.
  memory.write(base + 100, std::vector<uint8_t>(500, 0xEE));
  ASSERT_TRUE(layout->StageImportBytes(0, image).ok());
  ASSERT_TRUE(layout->PublishImport().ok());
  std::vector<uint8_t> expected(kPage, 0);
  std::copy(image.begin(), image.end(), expected.begin());
  EXPECT_EQ(ReadPageOf(*layout, 0), expected);
}

TEST_F(Layout8AdminTest, IncompleteImportIsRefused) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  ASSERT_TRUE(layout->BeginImportStaging(1000, 1).ok());
  const std::vector<uint8_t> part(400, 1);
  ASSERT_TRUE(layout->StageImportBytes(0, part).ok());
  const Meta staged_meta = layout->meta();
  Status s = layout->PublishImport();
  EXPECT_EQ(s.code(), ErrorCode::kImport);
  EXPECT_EQ(s.expected(), 1000u);
  EXPECT_EQ(s.actual(), 400u);
  EXPECT_EQ(layout->meta(), staged_meta);
  EXPECT_EQ(layout->StageImportBytes(900, part).code(), ErrorCode::kInvalidArgument) << "past the total";
  std::vector<uint8_t> out(200);
  EXPECT_EQ(layout->ReadStagedBytes(900, out).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(layout->BeginImportStaging(1ull << 60, 1).code(), ErrorCode::kBusy);
}

TEST_F(Layout8AdminTest, ImportLargerThanAnyMemoryIsRefused) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  EXPECT_EQ(layout->BeginImportStaging(1ull << 60, 1).code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(layout->meta().flags, 0u);
}

TEST_F(Layout8AdminTest, DiscardedImportKeepsTheImageAndItsSpaceIsNotReused) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = SparseImage(memory);
  const Meta old_meta = layout->meta();
  ASSERT_TRUE(layout->BeginImportStaging(5 * kPage, 1).ok());
  const uint64_t first_base = layout->meta().import_base_offset;
  ASSERT_TRUE(StageAll(*layout, ImageBytes(5 * kPage, 3), kPage).ok());
  ASSERT_TRUE(layout->DiscardImport().ok());
  EXPECT_EQ(layout->meta(), old_meta);
  EXPECT_EQ(ReadPageOf(*layout, 0), PagePattern(1));
  EXPECT_EQ(layout->StageImportBytes(0, std::vector<uint8_t>(1, 0)).code(), ErrorCode::kBusy);
  EXPECT_EQ(layout->PublishImport().code(), ErrorCode::kBusy);
  std::vector<uint8_t> out(1);
  EXPECT_EQ(layout->ReadStagedBytes(0, out).code(), ErrorCode::kBusy);
  // Discarding again writes nothing.
  const std::vector<uint8_t> image = memory.bytes();
  ASSERT_TRUE(layout->DiscardImport().ok());
  EXPECT_TRUE(memory.bytes() == image);
  // The next import appends at the new high-water mark, past the abandoned staging area, as the original
  // does ("never reuse stale physical gaps").
  ASSERT_TRUE(layout->BeginImportStaging(kPage, 2).ok());
  EXPECT_EQ(layout->meta().import_base_offset, image.size());
  EXPECT_GT(layout->meta().import_base_offset, first_base);
  EXPECT_TRUE(testing::OpenOrDie(memory)->Validate().ok());
}

TEST_F(Layout8AdminTest, FailedImportPublishReturnsAnErrorAndKeepsTheOldImageAndTheStaging) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = SparseImage(memory);
  const std::vector<uint8_t> image = ImageBytes(3 * kPage, 40);
  ASSERT_TRUE(layout->BeginImportStaging(image.size(), 9).ok());
  ASSERT_TRUE(StageAll(*layout, image, kPage).ok());
  const Meta staged_meta = layout->meta();
  const InPlaceSnapshot active = InPlaceSnapshot::Take(*layout, memory);
  ASSERT_TRUE(fp::Arm("commit.superblock_store=error").ok());
  Status s = layout->PublishImport();  // an error, not a trap: nothing was overwritten in place
  EXPECT_EQ(s.code(), ErrorCode::kInjected) << s.ToString();
  EXPECT_EQ(s.failpoint(), "commit.superblock_store");
  fp::ClearAll();
  EXPECT_EQ(active.Diff(memory), "");
  EXPECT_EQ(layout->meta(), staged_meta);
  EXPECT_EQ(ReadPageOf(*layout, 0), PagePattern(1));
  EXPECT_EQ(testing::OpenOrDie(memory)->meta(), staged_meta);
  ASSERT_TRUE(layout->PublishImport().ok());
  EXPECT_EQ(ReadPageOf(*testing::OpenOrDie(memory), 2), PagePattern(42));
}

TEST_F(Layout8AdminTest, EmptyImportPublishesAnEmptyDatabaseThatTakesCommits) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = SparseImage(memory);
  const uint64_t mark = memory.size_bytes();
  ASSERT_TRUE(layout->BeginImportStaging(0, Fnv1a64::kOffsetBasis).ok());
  EXPECT_EQ(memory.size_bytes(), mark) << "nothing to stage, nothing grown";
  ASSERT_TRUE(layout->PublishImport().ok());
  EXPECT_EQ(layout->meta().db_size, 0u);
  EXPECT_EQ(layout->meta().page_count, 0u);
  EXPECT_EQ(layout->meta().db_base_offset, mark);
  EXPECT_EQ(ReadPageOf(*layout, 0), kZeroPage);
  EXPECT_TRUE(testing::OpenOrDie(memory)->Validate().ok());
  ASSERT_TRUE(PublishPages(*layout, {{1, 5}}).ok());
  EXPECT_EQ(memory.size_bytes(), mark + 65536);
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
  EXPECT_EQ(ReadPageOf(*reopened, 0), kZeroPage);
  EXPECT_EQ(ReadPageOf(*reopened, 1), PagePattern(5));
}

TEST_F(Layout8AdminTest, ImportThatCannotGrowIsCapacity) {
  HeapStableMemory memory(/*max_pages=*/3);
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  const std::vector<uint8_t> image = memory.bytes();
  Status s = layout->BeginImportStaging(10 * kPage, 1);  // 64 KiB + 160 KiB -> 4 pages
  EXPECT_EQ(s.code(), ErrorCode::kCapacity);
  EXPECT_EQ(s.current_pages(), 1u);
  EXPECT_EQ(s.required_pages(), 4u);
  EXPECT_TRUE(memory.bytes() == image);
  EXPECT_EQ(layout->meta().flags & kFlagImporting, 0u);
}

TEST_F(Layout8AdminTest, ValidateFindsAStagingAreaOverlappingTheActiveImage) {
  // Open accepts it (each area lies inside the memory); Validate knows they may never overlap.
  Meta meta = layout8::FreshMeta();
  meta.db_size = 4 * kPage;
  meta.page_count = 4;
  meta.flags = kFlagImporting;
  meta.import_base_offset = 65536 + 2 * kPage;
  meta.import_total_size = kPage;
  HeapStableMemory memory;
  std::vector<uint8_t> bytes(3 * 65536, 0);
  const std::vector<uint8_t> sb = layout8::EncodeSuperblock(meta, layout8::ZeroExtents());
  std::copy(sb.begin(), sb.end(), bytes.begin());
  memory.Assign(bytes);
  std::unique_ptr<Layout> layout = testing::OpenOrDie(memory);
  ASSERT_NE(layout, nullptr);
  Status s = layout->Validate();
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
  EXPECT_NE(s.message().find("overlaps"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace stablevfs
