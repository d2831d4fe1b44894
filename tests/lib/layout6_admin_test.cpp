// Layout 6 admin tests: StoreMeta, compaction and import staging.
//
// Goal: StoreMeta changes only the fields callers own and refuses to move the layout's import staging
// area; compaction copies every live page and table to fresh space, keeps the logical image, tx id and
// checksum fields, leaves nothing the old map reached touched on failure, and the stats after it add up;
// import staging never touches anything the active superblock reaches, publishes the staged image in one
// superblock write (schema_version 0, tx id + 1, stale), survives a reopen mid-import, and a discarded
// import gives its space back. Method: HeapStableMemory images checked through the live handle, a fresh
// open and Validate; failpoints armed through the registry; byte snapshots of the reachable extents.
#include <gtest/gtest.h>

#include "failpoints/registry.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using testing::AsLayout6;
using testing::kPage;
using testing::OpenOrDie;
using testing::PagePattern;
using testing::PublishPages;
using testing::ReachableSnapshot;
using testing::ReadPageOf;

const std::vector<uint8_t> kZeroPage(kPage, 0);

class LayoutAdminTest : public ::testing::Test {
 protected:
  fp::ScopedRegistryReset reset_;
};

// ---- StoreMeta ----

TEST_F(LayoutAdminTest, StoreMetaChangesOnlyCallerFields) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}}).ok());
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
  wanted.page_table_offset = 5;
  wanted.page_count = 9;
  ASSERT_TRUE(layout->StoreMeta(wanted).ok());
  const Meta& after = layout->meta();
  EXPECT_EQ(after.schema_version, 42u);
  EXPECT_EQ(after.flags, kFlagChecksumRefreshing);
  EXPECT_EQ(after.checksum, 1234u);
  EXPECT_EQ(after.checksum_refresh_offset, 16384u);
  EXPECT_EQ(after.db_size, before.db_size);
  EXPECT_EQ(after.last_tx_id, before.last_tx_id);
  EXPECT_EQ(after.page_table_offset, before.page_table_offset);
  EXPECT_EQ(after.page_count, before.page_count);
  EXPECT_EQ(OpenOrDie(memory)->meta(), after);
  EXPECT_TRUE(layout->Validate().ok());
}

TEST_F(LayoutAdminTest, StoreMetaRefusesWhatWouldBreakTheLayout) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
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
  m.import_written_until = m.import_total_size + 1;
  EXPECT_EQ(layout->StoreMeta(m).code(), ErrorCode::kInvalidArgument);
}

// ---- Compaction ----

// 270 pages (two segments), pages 0-4 and 265 rewritten five times (orphans), then a sparse tail to 600.
std::unique_ptr<Layout> ChurnedImage(HeapStableMemory& memory) {
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 270; ++p) pages.emplace_back(p, p);
  EXPECT_TRUE(PublishPages(*layout, pages).ok());
  for (uint64_t i = 0; i < 5; ++i) EXPECT_TRUE(PublishPages(*layout, {{i, 1000 + i}, {265, 2000 + i}}).ok());
  // Extend the file to 600 pages without writing: a sparse tail, and a third segment that stays absent.
  Overlay overlay = testing::MakeOverlay(*layout);
  EXPECT_TRUE(overlay.Truncate(600 * kPage).ok());
  EXPECT_TRUE(layout->Publish(overlay).ok());
  return layout;
}

void ExpectChurnedContent(Layout& layout) {
  for (uint64_t p = 0; p < 600; ++p) {
    std::vector<uint8_t> expected = kZeroPage;
    if (p < 5) {
      expected = PagePattern(1000 + p);
    } else if (p == 265) {
      expected = PagePattern(2004);
    } else if (p < 270) {
      expected = PagePattern(p);
    }
    ASSERT_EQ(ReadPageOf(layout, p), expected) << "page " << p;
  }
}

TEST_F(LayoutAdminTest, CompactionPreservesTheImageAndMovesEverything) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = ChurnedImage(memory);
  const Meta before = layout->meta();
  const LayoutStats stats_before = layout->Stats();
  const uint64_t mark = AsLayout6(*layout).allocation_mark_bytes();
  EXPECT_EQ(layout->meta().page_count, 3u);

  ASSERT_TRUE(layout->Compact().ok());
  Meta expected = before;
  expected.page_table_offset = layout->meta().page_table_offset;
  EXPECT_EQ(layout->meta(), expected) << "only the root offset may change";
  EXPECT_GE(layout->meta().page_table_offset, mark);
  // Every page and table now lives past the old mark, packed: 270 pages, 2 tables (segment 2 is absent:
  // nothing was written there), root of 3 entries.
  const layout6::PageMap& map = AsLayout6(*layout).page_map();
  for (uint64_t p = 0; p < 270; ++p) EXPECT_EQ(map.Lookup(p), mark + p * kPage) << p;
  EXPECT_EQ(map.table_offset(0), mark + 270 * kPage);
  EXPECT_EQ(map.table_offset(1), mark + 270 * kPage + 2048);
  EXPECT_EQ(map.table_offset(2), 0u);
  EXPECT_EQ(layout->meta().page_table_offset, mark + 270 * kPage + 4096);

  const LayoutStats stats = layout->Stats();
  EXPECT_EQ(stats.mapped_pages, stats_before.mapped_pages);
  EXPECT_EQ(stats.segments, stats_before.segments);
  EXPECT_EQ(stats.active_bytes, stats_before.active_bytes);
  EXPECT_EQ(stats.allocated_bytes, memory.size_bytes());
  EXPECT_EQ(stats.orphan_bytes, stats.allocated_bytes - stats.active_bytes);
  EXPECT_GT(stats.allocated_bytes, stats_before.allocated_bytes) << "compaction cannot shrink the memory";

  ExpectChurnedContent(*layout);
  EXPECT_TRUE(layout->Validate().ok());
  std::unique_ptr<Layout> reopened = OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), layout->meta());
  ExpectChurnedContent(*reopened);
  EXPECT_TRUE(reopened->Validate().ok());
  // And commits continue after it.
  ASSERT_TRUE(PublishPages(*layout, {{7, 7777}}).ok());
  EXPECT_EQ(ReadPageOf(*OpenOrDie(memory), 7), PagePattern(7777));
}

TEST_F(LayoutAdminTest, CompactionOfAnEmptyDatabaseDoesNothing) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  const std::vector<uint8_t> image = memory.bytes();
  ASSERT_TRUE(layout->Compact().ok());
  EXPECT_TRUE(memory.bytes() == image);
}

TEST_F(LayoutAdminTest, FailedCompactionLeavesTheOldState) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  for (const char* spec : {"compact.copy=nth(1):error", "compact.copy=nth(200):error",
                           "compact.copy=nth(271):error", "compact.copy=nth(273):error",
                           "compact.publish=error", "memory.grow=error"}) {
    SCOPED_TRACE(spec);
    fp::ClearAll();
    HeapStableMemory memory;
    std::unique_ptr<Layout> layout = ChurnedImage(memory);
    const std::vector<uint8_t> before = memory.bytes();
    const ReachableSnapshot reachable = ReachableSnapshot::Take(*layout, memory);
    const Meta meta_before = layout->meta();
    ASSERT_TRUE(fp::Arm(spec).ok());
    Status s = layout->Compact();
    EXPECT_FALSE(s.ok());
    fp::ClearAll();
    EXPECT_EQ(s.code(), std::string(spec).starts_with("memory") ? ErrorCode::kCapacity : ErrorCode::kInjected);
    EXPECT_EQ(reachable.Diff(memory), "");
    EXPECT_TRUE(std::equal(before.begin(), before.end(), memory.bytes().begin()));
    EXPECT_EQ(layout->meta(), meta_before);
    ExpectChurnedContent(*layout);
    EXPECT_EQ(OpenOrDie(memory)->meta(), meta_before);
    ASSERT_TRUE(layout->Compact().ok());
    ExpectChurnedContent(*OpenOrDie(memory));
  }
}

TEST_F(LayoutAdminTest, CompactionHitsCopyOncePerPageAndTable) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = ChurnedImage(memory);
  fp::ClearAll();
  ASSERT_TRUE(layout->Compact().ok());
  EXPECT_EQ(fp::Hits("compact.copy"), 270u + 2 + 1);
  EXPECT_EQ(fp::Hits("compact.publish"), 1u);
}

// ---- Import staging ----

std::vector<uint8_t> ImageBytes(uint64_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  for (uint64_t i = 0; i < size; i += kPage) {
    const std::vector<uint8_t> page = PagePattern(seed + i / kPage);
    std::copy_n(page.begin(), std::min<uint64_t>(kPage, size - i), bytes.begin() + i);
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

TEST_F(LayoutAdminTest, ImportStagesAwayFromTheActiveImageAndPublishesInOneWrite) {
  HeapStableMemory heap;
  testing::RecordingMemory memory(heap);
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}}).ok());
  Meta with_schema = layout->meta();
  with_schema.schema_version = 3;
  ASSERT_TRUE(layout->StoreMeta(with_schema).ok());
  const Meta old_meta = layout->meta();
  const ReachableSnapshot reachable = ReachableSnapshot::Take(*layout, heap);
  const uint64_t mark = AsLayout6(*layout).allocation_mark_bytes();

  const std::vector<uint8_t> image = ImageBytes(300 * kPage + 1000, 500);  // two segments, partial last page
  ASSERT_TRUE(layout->BeginImportStaging(image.size(), 0xC0FFEE).ok());
  EXPECT_EQ(layout->meta().flags & kFlagImporting, kFlagImporting);
  EXPECT_EQ(layout->meta().import_base_offset, mark);
  EXPECT_EQ(layout->meta().import_total_size, image.size());
  EXPECT_EQ(layout->meta().import_expected_checksum, 0xC0FFEEu);
  EXPECT_EQ(layout->meta().import_written_until, 0u);
  EXPECT_EQ(heap.size_bytes(), mark + ((layout6::ImportFootprintBytes(image.size()) + 65535) / 65536) * 65536)
      << "the staging area is grown once, with room for its tables";

  // Stage in uneven chunks; reopen in the middle (an upgrade between import messages).
  ASSERT_TRUE(StageAll(*layout, std::vector<uint8_t>(image.begin(), image.begin() + 70000), 7000).ok());
  EXPECT_EQ(layout->meta().import_written_until, 70000u);
  layout = OpenOrDie(memory);
  EXPECT_EQ(layout->meta().import_written_until, 70000u);
  for (uint64_t offset = 70000; offset < image.size(); offset += 33333) {
    const uint64_t n = std::min<uint64_t>(33333, image.size() - offset);
    ASSERT_TRUE(layout->StageImportBytes(offset, std::span(image).subspan(offset, n)).ok());
  }
  // The active image is still the old one, byte for byte (only the superblock's import fields changed).
  EXPECT_EQ(reachable.Diff(heap, /*from=*/1), "");
  EXPECT_EQ(ReadPageOf(*layout, 1), PagePattern(2));
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
  int superblock_writes = 0;
  for (const auto& w : memory.writes()) superblock_writes += w.offset == 0;
  EXPECT_EQ(superblock_writes, 1);
  EXPECT_EQ(memory.writes().back().offset, 0u) << "the superblock write is the last";

  const Meta& meta = layout->meta();
  EXPECT_EQ(meta.db_size, image.size());
  EXPECT_EQ(meta.schema_version, 0u);
  EXPECT_EQ(meta.last_tx_id, old_meta.last_tx_id + 1);
  EXPECT_EQ(meta.flags, kFlagChecksumStale);
  EXPECT_EQ(meta.checksum, 0xC0FFEEu);
  EXPECT_EQ(meta.import_base_offset, 0u);
  EXPECT_EQ(meta.import_total_size, 0u);
  EXPECT_EQ(meta.import_written_until, 0u);
  EXPECT_EQ(meta.page_count, 2u);
  for (uint64_t p = 0; p < 301; ++p) {
    std::vector<uint8_t> expected(kPage, 0);
    std::copy_n(image.begin() + p * kPage, std::min<uint64_t>(kPage, image.size() - p * kPage), expected.begin());
    ASSERT_EQ(ReadPageOf(*layout, p), expected) << "page " << p;
  }
  EXPECT_TRUE(layout->Validate().ok());
  std::unique_ptr<Layout> reopened = OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), meta);
  EXPECT_TRUE(reopened->Validate().ok());
  EXPECT_EQ(ReadPageOf(*reopened, 300)[999], image[300 * kPage + 999]);
  EXPECT_EQ(ReadPageOf(*reopened, 300)[1000], 0) << "the tail of the last imported page is zero";
}

TEST_F(LayoutAdminTest, ImportTailIsZeroEvenOverLeftoversOfAFailedCommit) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  // A commit that writes a page of non-zero bytes at the mark and then fails: that space is reused.
  ASSERT_TRUE(fp::Arm("commit.superblock_publish=error").ok());
  ASSERT_FALSE(PublishPages(*layout, {{0, 1}}).ok());
  fp::ClearAll();
  const std::vector<uint8_t> image = ImageBytes(100, 7);
  ASSERT_TRUE(layout->BeginImportStaging(image.size(), 1).ok());
  EXPECT_EQ(layout->meta().import_base_offset, 65536u) << "the failed commit's space is reused";
  ASSERT_TRUE(layout->StageImportBytes(0, image).ok());
  ASSERT_TRUE(layout->PublishImport().ok());
  std::vector<uint8_t> expected(kPage, 0);
  std::copy(image.begin(), image.end(), expected.begin());
  EXPECT_EQ(ReadPageOf(*layout, 0), expected);
}

TEST_F(LayoutAdminTest, IncompleteImportIsRefused) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(layout->BeginImportStaging(1000, 1).ok());
  const std::vector<uint8_t> part(400, 1);
  ASSERT_TRUE(layout->StageImportBytes(0, part).ok());
  Status s = layout->PublishImport();
  EXPECT_EQ(s.code(), ErrorCode::kImport);
  EXPECT_EQ(s.expected(), 1000u);
  EXPECT_EQ(s.actual(), 400u);
  EXPECT_EQ(layout->StageImportBytes(900, part).code(), ErrorCode::kInvalidArgument) << "past the total";
  std::vector<uint8_t> out(200);
  EXPECT_EQ(layout->ReadStagedBytes(900, out).code(), ErrorCode::kInvalidArgument);
}

TEST_F(LayoutAdminTest, DiscardedImportKeepsTheImageAndFreesTheSpace) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}}).ok());
  const Meta old_meta = layout->meta();
  const uint64_t mark = AsLayout6(*layout).allocation_mark_bytes();
  ASSERT_TRUE(layout->BeginImportStaging(5 * kPage, 1).ok());
  ASSERT_TRUE(StageAll(*layout, ImageBytes(5 * kPage, 3), kPage).ok());
  EXPECT_GT(AsLayout6(*layout).allocation_mark_bytes(), mark);
  ASSERT_TRUE(layout->DiscardImport().ok());
  EXPECT_EQ(layout->meta(), old_meta);
  EXPECT_EQ(AsLayout6(*layout).allocation_mark_bytes(), mark);
  EXPECT_EQ(ReadPageOf(*layout, 0), PagePattern(1));
  EXPECT_EQ(layout->StageImportBytes(0, std::vector<uint8_t>(1, 0)).code(), ErrorCode::kBusy);
  EXPECT_EQ(layout->PublishImport().code(), ErrorCode::kBusy);
  // Discarding again writes nothing.
  const std::vector<uint8_t> image = memory.bytes();
  ASSERT_TRUE(layout->DiscardImport().ok());
  EXPECT_TRUE(memory.bytes() == image);
  // The next commit reuses the staging space.
  ASSERT_TRUE(PublishPages(*layout, {{1, 2}}).ok());
  EXPECT_EQ(AsLayout6(*layout).page_map().Lookup(1), mark);
  EXPECT_TRUE(OpenOrDie(memory)->Validate().ok());
}

TEST_F(LayoutAdminTest, FailedImportPublishKeepsTheOldImageAndTheStaging) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  for (const char* spec : {"commit.page_table_write=nth(1):error", "commit.page_table_write=nth(2):error",
                           "commit.superblock_publish=error"}) {
    SCOPED_TRACE(spec);
    fp::ClearAll();
    HeapStableMemory memory;
    std::unique_ptr<Layout> layout = OpenOrDie(memory);
    ASSERT_TRUE(PublishPages(*layout, {{0, 1}}).ok());
    const std::vector<uint8_t> image = ImageBytes(3 * kPage, 40);
    ASSERT_TRUE(layout->BeginImportStaging(image.size(), 9).ok());
    ASSERT_TRUE(StageAll(*layout, image, kPage).ok());
    const Meta staged_meta = layout->meta();
    const ReachableSnapshot reachable = ReachableSnapshot::Take(*layout, memory);
    ASSERT_TRUE(fp::Arm(spec).ok());
    EXPECT_EQ(layout->PublishImport().code(), ErrorCode::kInjected);
    fp::ClearAll();
    EXPECT_EQ(reachable.Diff(memory), "");
    EXPECT_EQ(layout->meta(), staged_meta);
    EXPECT_EQ(ReadPageOf(*layout, 0), PagePattern(1));
    EXPECT_EQ(OpenOrDie(memory)->meta(), staged_meta);
    ASSERT_TRUE(layout->PublishImport().ok());
    EXPECT_EQ(ReadPageOf(*OpenOrDie(memory), 2), PagePattern(42));
  }
}

TEST_F(LayoutAdminTest, EmptyImportPublishesAnEmptyDatabase) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}}).ok());
  ASSERT_TRUE(layout->BeginImportStaging(0, Fnv1a64::kOffsetBasis).ok());
  ASSERT_TRUE(layout->PublishImport().ok());
  EXPECT_EQ(layout->meta().db_size, 0u);
  EXPECT_EQ(layout->meta().page_table_offset, 0u);
  EXPECT_EQ(ReadPageOf(*layout, 0), kZeroPage);
  EXPECT_TRUE(OpenOrDie(memory)->Validate().ok());
}

TEST_F(LayoutAdminTest, ImportThatCannotGrowIsCapacity) {
  HeapStableMemory memory(/*max_pages=*/3);
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  const std::vector<uint8_t> image = memory.bytes();
  Status s = layout->BeginImportStaging(10 * kPage, 1);  // needs 64 KiB + 163,848 bytes -> 4 pages
  EXPECT_EQ(s.code(), ErrorCode::kCapacity);
  EXPECT_EQ(s.current_pages(), 1u);
  EXPECT_EQ(s.required_pages(), 4u);
  EXPECT_TRUE(memory.bytes() == image);
  EXPECT_EQ(layout->meta().flags & kFlagImporting, 0u);
}

}  // namespace
}  // namespace stablevfs
