// Layout 6 publish tests: the page map, the write order, the allocation rule, truncation and space stats.
//
// Goal: a published overlay reads back, through the live handle and through a fresh Open, exactly as
// written; the publish writes pages, then segment tables, then the root, then the superblock, with the
// superblock the only write below 64 KiB; every commit starts at the 64 KiB-aligned end of what the active
// superblock reaches and the memory grows only as far as needed; truncation unmaps pages (including base
// pages cut off earlier in the same update and then re-extended); files spanning several 256-page segments
// work; the stats follow REFERENCE 3.1's arithmetic. Method: HeapStableMemory, a recording decorator for the
// write sequence, hand-computed offsets and sizes, and a seeded random workload checked page by page against
// a model map of tags, with Validate and a reopen after every commit.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "failpoints/registry.h"
#include "lib/layout/little_endian.h"
#include "lib/layout/superblock.h"
#include "lib/memory/memory_manager.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using testing::AsLayout6;
using testing::kPage;
using testing::MakeOverlay;
using testing::OpenOrDie;
using testing::PagePattern;
using testing::PublishPages;
using testing::ReadPageOf;
using testing::RecordingMemory;

const std::vector<uint8_t> kZeroPage(kPage, 0);

class LayoutPublishTest : public ::testing::Test {
 protected:
  fp::ScopedRegistryReset reset_;
};

TEST_F(LayoutPublishTest, PublishedPagesReadBackLiveAndAfterReopen) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  Meta refreshing = layout->meta();
  refreshing.flags = kFlagChecksumRefreshing;
  refreshing.checksum_refresh_offset = 7;
  refreshing.checksum_refresh_hash = 8;
  refreshing.checksum_refresh_tx_id = 9;
  ASSERT_TRUE(layout->StoreMeta(refreshing).ok());

  ASSERT_TRUE(PublishPages(*layout, {{0, 10}, {1, 11}, {3, 13}}).ok());
  const Meta& meta = layout->meta();
  EXPECT_EQ(meta.db_size, 4 * kPage);
  EXPECT_EQ(meta.last_tx_id, 1u);
  EXPECT_EQ(meta.flags, kFlagChecksumStale) << "stale set, refreshing cleared";
  EXPECT_EQ(meta.checksum_refresh_offset, 0u);
  EXPECT_EQ(meta.checksum_refresh_hash, 0u);
  EXPECT_EQ(meta.checksum_refresh_tx_id, 0u);
  EXPECT_EQ(meta.page_count, 1u);

  auto check = [](Layout& l) {
    EXPECT_EQ(ReadPageOf(l, 0), PagePattern(10));
    EXPECT_EQ(ReadPageOf(l, 1), PagePattern(11));
    EXPECT_EQ(ReadPageOf(l, 2), kZeroPage) << "a hole reads as zeros";
    EXPECT_EQ(ReadPageOf(l, 3), PagePattern(13));
    EXPECT_EQ(ReadPageOf(l, 4), kZeroPage) << "past the end reads as zeros";
    EXPECT_EQ(ReadPageOf(l, 1ull << 40), kZeroPage);
    EXPECT_TRUE(l.Validate().ok());
  };
  check(*layout);
  std::unique_ptr<Layout> reopened = OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), layout->meta());
  check(*reopened);
}

TEST_F(LayoutPublishTest, ReadPageRejectsAWrongBufferSize) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  std::vector<uint8_t> small(100);
  EXPECT_EQ(layout->ReadPage(0, small).code(), ErrorCode::kInvalidArgument);
}

TEST_F(LayoutPublishTest, WritesPagesThenTablesThenRootThenSuperblockLast) {
  HeapStableMemory heap;
  RecordingMemory memory(heap);
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  // One commit that spans two segments: pages 1, 2 in segment 0 and page 300 in segment 1.
  ASSERT_TRUE(PublishPages(*layout, {{300, 3}, {1, 1}, {2, 2}}).ok());
  // Fresh open: grow 1 + superblock write. Then the commit.
  const std::vector<RecordingMemory::Event> writes = memory.writes();
  ASSERT_EQ(writes.size(), 1u + 3 + 2 + 1 + 1);
  EXPECT_EQ(writes[0].offset, 0u);  // the fresh superblock
  const uint64_t start = 65536;     // the allocation mark of a fresh image
  // Pages in ascending logical order, packed from the mark.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(writes[1 + i].offset, start + i * kPage);
    EXPECT_EQ(writes[1 + i].length, kPage);
  }
  // Segment tables 0 and 1, right after the pages.
  EXPECT_EQ(writes[4].offset, start + 3 * kPage);
  EXPECT_EQ(writes[4].length, 2048u);
  EXPECT_EQ(writes[5].offset, start + 3 * kPage + 2048);
  EXPECT_EQ(writes[5].length, 2048u);
  // The root (two entries), then the superblock last.
  EXPECT_EQ(writes[6].offset, start + 3 * kPage + 4096);
  EXPECT_EQ(writes[6].length, 16u);
  EXPECT_EQ(writes[7].offset, 0u);
  EXPECT_EQ(writes[7].length, layout6::kSuperblockBytes);
  // The commit grew exactly what it needed: 3 pages + 2 tables + root = 53,264 bytes -> 1 more Wasm page.
  EXPECT_EQ(heap.size_pages(), 2u);
  EXPECT_EQ(layout->meta().page_table_offset, start + 3 * kPage + 4096);
  // Only the superblock writes touch the superblock region.
  for (const auto& w : writes) {
    if (w.offset < layout6::kSuperblockRegionBytes) {
      EXPECT_EQ(w.offset, 0u);
    }
  }
  // The root entries point at the tables, the tables at the pages.
  const layout6::PageMap& map = AsLayout6(*layout).page_map();
  EXPECT_EQ(map.table_offset(0), start + 3 * kPage);
  EXPECT_EQ(map.table_offset(1), start + 3 * kPage + 2048);
  EXPECT_EQ(map.Lookup(1), start);
  EXPECT_EQ(map.Lookup(2), start + kPage);
  EXPECT_EQ(map.Lookup(300), start + 2 * kPage);
  EXPECT_EQ(LoadU64Le(std::span<const uint8_t>(heap.bytes()).subspan(start + 3 * kPage + 4096)),
            start + 3 * kPage);
}

TEST_F(LayoutPublishTest, EveryCommitStartsOnAFreshWasmPage) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  for (uint64_t i = 0; i < 5; ++i) {
    const uint64_t mark = AsLayout6(*layout).allocation_mark_bytes();
    EXPECT_EQ(mark, memory.size_bytes()) << "with no failures the mark is the memory size";
    EXPECT_EQ(mark % kWasmPageBytes, 0u);
    ASSERT_TRUE(PublishPages(*layout, {{i % 2, 100 + i}}).ok());
    EXPECT_EQ(memory.size_pages(), 2 + i) << "a one-page commit grows the memory by one 64 KiB page";
    EXPECT_EQ(AsLayout6(*layout).page_map().Lookup(i % 2), mark);
  }
  // A commit of 5 pages + table + root = 83,976 bytes takes two Wasm pages.
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}}).ok());
  EXPECT_EQ(memory.size_pages(), 8u);
}

TEST_F(LayoutPublishTest, TruncateUnmapsPagesAndShrinksTheRoot) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 600; ++p) pages.emplace_back(p, p);
  ASSERT_TRUE(PublishPages(*layout, pages).ok());
  EXPECT_EQ(layout->meta().page_count, 3u);

  Overlay overlay = MakeOverlay(*layout);
  ASSERT_TRUE(overlay.Truncate(100 * kPage + 10).ok());
  ASSERT_TRUE(layout->Publish(overlay).ok());
  EXPECT_EQ(layout->meta().db_size, 100 * kPage + 10);
  EXPECT_EQ(layout->meta().page_count, 1u);
  const layout6::PageMap& map = AsLayout6(*layout).page_map();
  EXPECT_EQ(map.segment_count(), 1u);
  EXPECT_EQ(map.mapped_pages(), 101u);
  std::vector<uint8_t> expected = PagePattern(100);
  std::fill(expected.begin() + 10, expected.end(), 0);
  EXPECT_EQ(ReadPageOf(*layout, 100), expected) << "the tail of the cut page is zero";
  EXPECT_EQ(ReadPageOf(*layout, 99), PagePattern(99));
  EXPECT_EQ(ReadPageOf(*layout, 101), kZeroPage);
  EXPECT_TRUE(layout->Validate().ok());

  Overlay empty = MakeOverlay(*layout);
  ASSERT_TRUE(empty.Truncate(0).ok());
  ASSERT_TRUE(layout->Publish(empty).ok());
  EXPECT_EQ(layout->meta().page_table_offset, 0u);
  EXPECT_EQ(layout->meta().page_count, 0u);
  EXPECT_EQ(layout->meta().db_size, 0u);
  EXPECT_EQ(ReadPageOf(*layout, 0), kZeroPage);
  EXPECT_TRUE(layout->Validate().ok());
  std::unique_ptr<Layout> reopened = OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), layout->meta());
}

TEST_F(LayoutPublishTest, TruncateThenExtendInOneUpdateUnmapsTheCutPages) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 300; ++p) pages.emplace_back(p, p + 1);
  ASSERT_TRUE(PublishPages(*layout, pages).ok());

  Overlay overlay = MakeOverlay(*layout);
  ASSERT_TRUE(overlay.Truncate(10 * kPage).ok());
  ASSERT_TRUE(overlay.Write(280 * kPage, PagePattern(999)).ok());  // back to 281 pages, two segments
  ASSERT_TRUE(overlay.Truncate(300 * kPage).ok());                   // and to the old size
  ASSERT_TRUE(layout->Publish(overlay).ok());
  EXPECT_EQ(layout->meta().db_size, 300 * kPage);
  auto check = [](Layout& l) {
    EXPECT_EQ(ReadPageOf(l, 9), PagePattern(10));
    for (uint64_t p : {10u, 11u, 255u, 256u, 279u, 281u, 299u}) {
      EXPECT_EQ(ReadPageOf(l, p), kZeroPage) << "page " << p << " was cut off and must not come back";
    }
    EXPECT_EQ(ReadPageOf(l, 280), PagePattern(999));
    EXPECT_EQ(AsLayout6(l).page_map().mapped_pages(), 11u);
    EXPECT_TRUE(l.Validate().ok());
  };
  check(*layout);
  check(*OpenOrDie(memory));
}

TEST_F(LayoutPublishTest, ASegmentLeftEmptyBecomesAbsent) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {300, 2}}).ok());
  Overlay overlay = MakeOverlay(*layout);
  ASSERT_TRUE(overlay.Truncate(0).ok());
  ASSERT_TRUE(overlay.Write(300 * kPage, PagePattern(3)).ok());
  ASSERT_TRUE(layout->Publish(overlay).ok());
  const layout6::PageMap& map = AsLayout6(*layout).page_map();
  ASSERT_EQ(map.segment_count(), 2u);
  EXPECT_EQ(map.table_offset(0), 0u) << "segment 0 has no mapped page left";
  EXPECT_EQ(map.segment(0), nullptr);
  EXPECT_EQ(ReadPageOf(*layout, 0), kZeroPage);
  EXPECT_EQ(ReadPageOf(*layout, 300), PagePattern(3));
  EXPECT_TRUE(OpenOrDie(memory)->Validate().ok());
}

TEST_F(LayoutPublishTest, TwoThousandPagesSpanSeveralSegments) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  constexpr uint64_t kPages = 2100;
  {
    Overlay overlay = MakeOverlay(*layout);
    for (uint64_t p = 0; p < kPages; ++p) ASSERT_TRUE(overlay.Write(p * kPage, PagePattern(p)).ok());
    ASSERT_TRUE(layout->Publish(overlay).ok());
  }
  EXPECT_EQ(layout->meta().page_count, 9u);  // ceil(2100 / 256)
  EXPECT_EQ(layout->meta().db_size, kPages * kPage);
  // 2,100 pages + 9 tables + 72 root bytes from 64 KiB, rounded up to Wasm pages.
  const uint64_t end = 65536 + kPages * kPage + 9 * 2048 + 72;
  EXPECT_EQ(memory.size_pages(), (end + 65535) / 65536);

  // Rewrite one page in segment 5: only that segment's table is rewritten; the others are shared.
  const layout6::PageMap before = AsLayout6(*layout).page_map();
  ASSERT_TRUE(PublishPages(*layout, {{5 * 256 + 7, 77777}}).ok());
  const layout6::PageMap& after = AsLayout6(*layout).page_map();
  for (uint64_t s = 0; s < 9; ++s) {
    if (s == 5) {
      EXPECT_NE(after.table_offset(s), before.table_offset(s));
    } else {
      EXPECT_EQ(after.table_offset(s), before.table_offset(s)) << "segment " << s;
    }
  }

  std::unique_ptr<Layout> reopened = OpenOrDie(memory);
  for (uint64_t p = 0; p < kPages; ++p) {
    ASSERT_EQ(ReadPageOf(*reopened, p), PagePattern(p == 5 * 256 + 7 ? 77777 : p)) << "page " << p;
  }
  EXPECT_TRUE(reopened->Validate().ok());
  const LayoutStats stats = reopened->Stats();
  EXPECT_EQ(stats.mapped_pages, kPages);
  EXPECT_EQ(stats.segments, 9u);
}

TEST_F(LayoutPublishTest, StatsFollowTheReferenceArithmetic) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  LayoutStats s = layout->Stats();
  EXPECT_EQ(s.stable_pages, 1u);
  EXPECT_EQ(s.allocated_bytes, 65536u);
  EXPECT_EQ(s.active_bytes, 65536u);
  EXPECT_EQ(s.orphan_bytes, 0u);
  EXPECT_EQ(s.orphan_ratio_bp, 0u);
  EXPECT_FALSE(s.compact_recommended);

  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}}).ok());
  s = layout->Stats();
  EXPECT_EQ(s.stable_pages, 2u);
  EXPECT_EQ(s.allocated_bytes, 131072u);
  EXPECT_EQ(s.mapped_pages, 2u);
  EXPECT_EQ(s.segments, 1u);
  EXPECT_EQ(s.active_bytes, 65536u + 2 * 16384 + 2056);  // 100,360
  EXPECT_EQ(s.orphan_bytes, 131072u - 100360);            // 30,712
  EXPECT_EQ(s.orphan_ratio_bp, 30712u * 10000 / 131072);  // 2,343
  EXPECT_FALSE(s.compact_recommended);

  // Rewrite page 0 until the orphans pass 16 MiB (each commit adds one Wasm page).
  while (layout->Stats().orphan_bytes < 16u * 1024 * 1024) ASSERT_TRUE(PublishPages(*layout, {{0, 5}}).ok());
  s = layout->Stats();
  EXPECT_EQ(s.active_bytes, 100360u);
  EXPECT_EQ(s.orphan_bytes, s.allocated_bytes - s.active_bytes);
  EXPECT_TRUE(s.compact_recommended);
  EXPECT_GT(s.orphan_ratio_bp, 9900u);
}

TEST_F(LayoutPublishTest, ValidateFindsAPhysicalPageMappedTwice) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}}).ok());
  const layout6::PageMap& map = AsLayout6(*layout).page_map();
  // Point slot 1 at page 0's physical page; the segment table is not covered by the meta checksum.
  std::vector<uint8_t> image = memory.bytes();
  StoreU64Le(std::span<uint8_t>(image).subspan(map.table_offset(0) + 8), map.Lookup(0));
  memory.Assign(image);
  std::unique_ptr<Layout> reopened = OpenOrDie(memory);
  Status s = reopened->Validate();
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
  EXPECT_NE(s.message().find("overlaps"), std::string::npos) << s.message();
  // The live handle sees that stable memory no longer matches what it published.
  EXPECT_EQ(layout->Validate().code(), ErrorCode::kCorrupt);
}

TEST_F(LayoutPublishTest, ValidateFindsAPageMappedPastTheEnd) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}}).ok());
  const layout6::PageMap& map = AsLayout6(*layout).page_map();
  std::vector<uint8_t> image = memory.bytes();
  // Slot 5 (past db_size of 2 pages) points at a spare page inside the memory.
  StoreU64Le(std::span<uint8_t>(image).subspan(map.table_offset(0) + 5 * 8), 2 * 65536);
  image.resize(3 * 65536, 0);
  memory.Assign(image);
  Status s = OpenOrDie(memory)->Validate();
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
  EXPECT_NE(s.message().find("past db_size"), std::string::npos) << s.message();
}

TEST_F(LayoutPublishTest, WorksInsideAVirtualMemoryBesideOtherData) {
  // The canister setup: the database in MemoryId 120 of a MemoryManager, another structure in MemoryId 3
  // whose buckets interleave with the database's (small buckets force several of each).
  HeapStableMemory raw;
  auto manager = MemoryManager::InitOrLoad(raw, /*bucket_size_pages=*/2);
  ASSERT_TRUE(manager.ok()) << manager.status().ToString();
  StableMemory* db_memory = *(*manager)->Get(120);
  StableMemory* other = *(*manager)->Get(3);
  std::unique_ptr<Layout> layout = OpenOrDie(*db_memory);
  const std::vector<uint8_t> marker(100, 0x5A);
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(PublishPages(*layout, {{i, 10 + i}, {i + 4, 20 + i}}).ok());
    ASSERT_EQ(other->grow(1), static_cast<int64_t>(i));
    other->write(i * kWasmPageBytes, marker);
  }
  manager = MemoryManager::Load(raw);
  ASSERT_TRUE(manager.ok());
  std::unique_ptr<Layout> reopened = OpenOrDie(**(*manager)->Get(120));
  EXPECT_EQ(reopened->meta().last_tx_id, 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(ReadPageOf(*reopened, i), PagePattern(10 + i));
    EXPECT_EQ(ReadPageOf(*reopened, i + 4), PagePattern(20 + i));
  }
  EXPECT_TRUE(reopened->Validate().ok());
  std::vector<uint8_t> back(100);
  (**(*manager)->Get(3)).read(3 * kWasmPageBytes, back);
  EXPECT_EQ(back, marker);
}

// A seeded random workload of writes and truncates, checked against a model of tags after every commit,
// through the live handle and a fresh open, with Validate each time.
TEST_F(LayoutPublishTest, RandomWorkloadMatchesAModel) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 rng(seed);
    auto below = [&](uint64_t n) { return rng() % n; };
    HeapStableMemory memory;
    std::unique_ptr<Layout> layout = OpenOrDie(memory);
    std::map<uint64_t, uint64_t> model;  // page -> tag of the whole page written
    uint64_t model_pages = 0;
    uint64_t next_tag = 1;
    for (int commit = 0; commit < 25; ++commit) {
      Overlay overlay = MakeOverlay(*layout);
      const int ops = 1 + static_cast<int>(below(6));
      for (int i = 0; i < ops; ++i) {
        if (below(5) == 0) {
          const uint64_t pages = below(700);
          ASSERT_TRUE(overlay.Truncate(pages * kPage).ok());
          model.erase(model.lower_bound(pages), model.end());
          model_pages = pages;
        } else {
          const uint64_t p = below(700);
          ASSERT_TRUE(overlay.Write(p * kPage, PagePattern(next_tag)).ok());
          model[p] = next_tag++;
          model_pages = std::max(model_pages, p + 1);
        }
      }
      if (!overlay.dirty()) continue;
      ASSERT_TRUE(layout->Publish(overlay).ok());
      ASSERT_EQ(layout->meta().db_size, model_pages * kPage);
      std::unique_ptr<Layout> reopened = OpenOrDie(memory);
      ASSERT_EQ(reopened->meta(), layout->meta());
      ASSERT_TRUE(layout->Validate().ok()) << "seed " << seed << " commit " << commit;
      for (uint64_t p = 0; p < model_pages + 2; ++p) {
        auto it = model.find(p);
        const std::vector<uint8_t> expected = it == model.end() ? kZeroPage : PagePattern(it->second);
        ASSERT_EQ(ReadPageOf(*layout, p), expected) << "seed " << seed << " commit " << commit << " page " << p;
        ASSERT_EQ(ReadPageOf(*reopened, p), expected);
      }
      EXPECT_EQ(layout->Stats().mapped_pages, model.size());
    }
  }
}

}  // namespace
}  // namespace stablevfs
