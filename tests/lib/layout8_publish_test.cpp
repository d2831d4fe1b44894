// Layout 8 publish tests: pages in place, the write order, growth, truncation through zero extents, stats.
//
// Goal: a published overlay lands in place (logical page n at db_base_offset + n * 16 KiB) and reads back,
// through the live handle and a fresh Open, exactly as written; a publish grows the memory once, only as far
// as the new file needs, then writes the dirty pages in ascending order and finally the superblock, which is
// exactly 160 + 16 * count bytes long; truncation costs one superblock write and no page write, and the zero
// extents it leaves keep the stale bytes still in place from reappearing when the file grows back, also when
// the cut and the regrowth happen in one update; rewriting the same pages never grows the memory; the tx id,
// flags and refresh fields follow the Layout contract; the stats follow the declared arithmetic. Method:
// HeapStableMemory, a recording decorator for the sequence of grows and writes, the raw bytes at the
// in-place offsets, hand-computed sizes, and a seeded random workload checked page by page against a model of
// tags, with Validate and a reopen after every commit.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "failpoints/registry.h"
#include "lib/layout/little_endian.h"
#include "lib/layout/superblock8.h"
#include "lib/memory/memory_manager.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using layout8::ZeroExtent;
using testing::AsLayout8;
using testing::kPage;
using testing::MakeOverlay;
using testing::OpenLayout8OrDie;
using testing::PagePattern;
using testing::PublishPages;
using testing::ReadPageOf;
using testing::RecordingMemory;

const std::vector<uint8_t> kZeroPage(kPage, 0);
constexpr uint64_t kBase = 65536;  // db_base_offset of a fresh image

// The 16 KiB stored in place for logical page `page_no` of an image based at `base`.
std::vector<uint8_t> InPlace(const HeapStableMemory& memory, uint64_t page_no, uint64_t base = kBase) {
  const auto begin = memory.bytes().begin() + static_cast<ptrdiff_t>(base + page_no * kPage);
  return std::vector<uint8_t>(begin, begin + static_cast<ptrdiff_t>(kPage));
}

std::vector<ZeroExtent> ExtentsOf(const Layout& layout) { return AsLayout8(layout).zero_extents().extents(); }

class Layout8PublishTest : public ::testing::Test {
 protected:
  fp::ScopedRegistryReset reset_;
};

TEST_F(Layout8PublishTest, PagesLandInPlaceAndReadBackLiveAndAfterReopen) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  Meta refreshing = layout->meta();
  refreshing.flags = kFlagChecksumRefreshing;
  refreshing.checksum_refresh_offset = 7;
  refreshing.checksum_refresh_hash = 8;
  refreshing.checksum_refresh_tx_id = 9;
  ASSERT_TRUE(layout->StoreMeta(refreshing).ok());

  ASSERT_TRUE(PublishPages(*layout, {{0, 10}, {1, 11}, {3, 13}}).ok());
  const Meta& meta = layout->meta();
  EXPECT_EQ(meta.db_size, 4 * kPage);
  EXPECT_EQ(meta.page_count, 4u);
  EXPECT_EQ(meta.page_table_offset, 0u);
  EXPECT_EQ(meta.db_base_offset, kBase);
  EXPECT_EQ(meta.last_tx_id, 1u);
  EXPECT_EQ(meta.flags, kFlagChecksumStale) << "stale set, refreshing cleared";
  EXPECT_EQ(meta.checksum_refresh_offset, 0u);
  EXPECT_EQ(meta.checksum_refresh_hash, 0u);
  EXPECT_EQ(meta.checksum_refresh_tx_id, 0u);
  // Grown from 0 to 4 pages: [0, 4) minus the written pages leaves page 2.
  EXPECT_EQ(ExtentsOf(*layout), (std::vector<ZeroExtent>{{2, 3}}));
  EXPECT_EQ(meta.layout_fields,
            (std::vector<MetaField>{{"zero_extent_count", 1}, {"zero_extent.0.start", 2}, {"zero_extent.0.end", 3}}));
  EXPECT_EQ(memory.size_pages(), 2u) << "64 KiB + 4 x 16 KiB";

  // In place: page n at 64 KiB + n * 16 KiB.
  EXPECT_EQ(InPlace(memory, 0), PagePattern(10));
  EXPECT_EQ(InPlace(memory, 1), PagePattern(11));
  EXPECT_EQ(InPlace(memory, 3), PagePattern(13));

  auto check = [](Layout& l) {
    EXPECT_EQ(ReadPageOf(l, 0), PagePattern(10));
    EXPECT_EQ(ReadPageOf(l, 1), PagePattern(11));
    EXPECT_EQ(ReadPageOf(l, 2), kZeroPage) << "a page never written reads as zeros";
    EXPECT_EQ(ReadPageOf(l, 3), PagePattern(13));
    EXPECT_EQ(ReadPageOf(l, 4), kZeroPage) << "past the end reads as zeros";
    EXPECT_EQ(ReadPageOf(l, 1ull << 40), kZeroPage);
    EXPECT_TRUE(l.Validate().ok());
  };
  check(*layout);
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), layout->meta());
  check(*reopened);
}

TEST_F(Layout8PublishTest, ReadPageBytesReadsExactlyThePartOfThePage) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {2, 3}}).ok());
  const std::vector<uint8_t> page2 = PagePattern(3);
  std::vector<uint8_t> part(100);
  ASSERT_TRUE(layout->ReadPageBytes(2, 16284, part).ok());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), page2.begin() + 16284));
  ASSERT_TRUE(layout->ReadPageBytes(1, 50, part).ok());  // inside a zero extent
  EXPECT_EQ(part, std::vector<uint8_t>(100, 0));
  ASSERT_TRUE(layout->ReadPageBytes(7, 0, part).ok());  // past the end
  EXPECT_EQ(part, std::vector<uint8_t>(100, 0));
  EXPECT_EQ(layout->ReadPageBytes(0, 16300, part).code(), ErrorCode::kInvalidArgument) << "crosses the page end";
  std::vector<uint8_t> small(100);
  EXPECT_EQ(layout->ReadPage(0, small).code(), ErrorCode::kInvalidArgument);
}

TEST_F(Layout8PublishTest, GrowsOnceThenWritesPagesAscendingThenTheSuperblockLast) {
  HeapStableMemory heap;
  RecordingMemory memory(heap);
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  memory.events.clear();
  ASSERT_TRUE(PublishPages(*layout, {{6, 1}, {2, 2}, {4, 3}}).ok());  // written in any order, stored ascending
  // 7 pages from 64 KiB end at 64 KiB + 112 KiB = 176 KiB: 3 Wasm pages, one grow of 2.
  ASSERT_EQ(memory.events.size(), 5u);
  EXPECT_TRUE(memory.events[0].grow);
  EXPECT_EQ(memory.events[0].offset, 1u);
  EXPECT_EQ(memory.events[0].length, 2u);
  EXPECT_EQ(memory.events[1].offset, kBase + 2 * kPage);
  EXPECT_EQ(memory.events[2].offset, kBase + 4 * kPage);
  EXPECT_EQ(memory.events[3].offset, kBase + 6 * kPage);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(memory.events[i].length, kPage);
  // Grown 0 -> 7 minus {2, 4, 6}: [0, 2), [3, 4), [5, 6): three extents, a 208-byte superblock.
  EXPECT_EQ(memory.events[4].offset, 0u);
  EXPECT_EQ(memory.events[4].length, 160u + 3 * 16);
  EXPECT_FALSE(memory.events[4].grow);

  // A commit that fits the memory does not grow it, and rewrites exactly its pages.
  memory.events.clear();
  ASSERT_TRUE(PublishPages(*layout, {{0, 4}, {4, 5}}).ok());
  ASSERT_EQ(memory.events.size(), 3u);
  EXPECT_EQ(memory.events[0].offset, kBase);
  EXPECT_EQ(memory.events[1].offset, kBase + 4 * kPage);
  EXPECT_EQ(memory.events[2].offset, 0u);
  EXPECT_EQ(memory.events[2].length, 160u + 3 * 16) << "page 0 leaves [0, 2) as [1, 2); page 4 was no extent";
  EXPECT_EQ(ExtentsOf(*layout), (std::vector<ZeroExtent>{{1, 2}, {3, 4}, {5, 6}}));
}

TEST_F(Layout8PublishTest, RewritingTheSamePagesNeverGrowsTheMemory) {
  // The footprint REFERENCE 3.4 reports for the churn test: in place, a rewrite costs no new space.
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}}).ok());
  const uint64_t pages = memory.size_pages();
  EXPECT_EQ(pages, 3u);  // 64 KiB + 80 KiB
  for (uint64_t i = 0; i < 100; ++i) {
    ASSERT_TRUE(PublishPages(*layout, {{i % 5, 100 + i}, {(i + 2) % 5, 200 + i}}).ok());
  }
  EXPECT_EQ(memory.size_pages(), pages);
  EXPECT_EQ(layout->meta().last_tx_id, 101u);
  EXPECT_EQ(ReadPageOf(*testing::OpenOrDie(memory), 99 % 5), PagePattern(199));
}

TEST_F(Layout8PublishTest, TruncateCostsOneSuperblockWriteAndRegrownPagesReadZeros) {
  HeapStableMemory heap;
  RecordingMemory memory(heap);
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 10; ++p) pages.emplace_back(p, p + 1);
  ASSERT_TRUE(PublishPages(*layout, pages).ok());
  EXPECT_TRUE(ExtentsOf(*layout).empty());

  memory.events.clear();
  Overlay cut = MakeOverlay(*layout);
  ASSERT_TRUE(cut.Truncate(3 * kPage).ok());
  ASSERT_TRUE(layout->Publish(cut).ok());
  ASSERT_EQ(memory.events.size(), 1u) << "one superblock write, no page write, no grow";
  EXPECT_EQ(memory.events[0].offset, 0u);
  EXPECT_EQ(memory.events[0].length, 160u + 16);
  EXPECT_EQ(layout->meta().db_size, 3 * kPage);
  EXPECT_EQ(layout->meta().page_count, 3u);
  EXPECT_EQ(layout->meta().last_tx_id, 2u);
  EXPECT_EQ(ExtentsOf(*layout), (std::vector<ZeroExtent>{{3, 10}}));
  EXPECT_EQ(ReadPageOf(*layout, 5), kZeroPage);
  EXPECT_EQ(InPlace(heap, 5), PagePattern(6)) << "the cut page's bytes are still in place";

  // Grow back to 10 pages by writing page 9 only: pages 3..8 still hold their old bytes in place, and must
  // read as zeros.
  ASSERT_TRUE(PublishPages(*layout, {{9, 99}}).ok());
  EXPECT_EQ(ExtentsOf(*layout), (std::vector<ZeroExtent>{{3, 9}}));
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
  for (Layout* l : {layout.get(), reopened.get()}) {
    for (uint64_t p = 0; p < 3; ++p) EXPECT_EQ(ReadPageOf(*l, p), PagePattern(p + 1)) << p;
    for (uint64_t p = 3; p < 9; ++p) {
      EXPECT_EQ(ReadPageOf(*l, p), kZeroPage) << p;
      EXPECT_EQ(InPlace(heap, p), PagePattern(p + 1)) << "stale bytes in place, masked";
    }
    EXPECT_EQ(ReadPageOf(*l, 9), PagePattern(99));
    EXPECT_TRUE(l->Validate().ok());
  }
  // Rewriting a masked page unmasks exactly that page.
  ASSERT_TRUE(PublishPages(*layout, {{5, 55}}).ok());
  EXPECT_EQ(ExtentsOf(*layout), (std::vector<ZeroExtent>{{3, 5}, {6, 9}}));
  EXPECT_EQ(ReadPageOf(*layout, 5), PagePattern(55));
  EXPECT_EQ(ReadPageOf(*layout, 6), kZeroPage);
}

TEST_F(Layout8PublishTest, TruncateThenExtendInOneUpdateZeroesTheCutPages) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 10; ++p) pages.emplace_back(p, p + 1);
  ASSERT_TRUE(PublishPages(*layout, pages).ok());

  // Cut to 2.5 pages, then write page 6: the file is 7 pages again, but pages 3..5 are gone, page 2 keeps
  // only its first half, and the old pages 7..9 lie past the new end.
  Overlay overlay = MakeOverlay(*layout);
  ASSERT_TRUE(overlay.Truncate(2 * kPage + kPage / 2).ok());
  ASSERT_TRUE(overlay.Write(6 * kPage, PagePattern(66)).ok());
  ASSERT_TRUE(layout->Publish(overlay).ok());
  EXPECT_EQ(layout->meta().db_size, 7 * kPage);
  EXPECT_EQ(ExtentsOf(*layout), (std::vector<ZeroExtent>{{3, 6}, {7, 10}}));

  std::vector<uint8_t> half = PagePattern(3);
  std::fill(half.begin() + kPage / 2, half.end(), 0);
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
  for (Layout* l : {layout.get(), reopened.get()}) {
    EXPECT_EQ(ReadPageOf(*l, 1), PagePattern(2));
    EXPECT_EQ(ReadPageOf(*l, 2), half);
    for (uint64_t p = 3; p < 6; ++p) EXPECT_EQ(ReadPageOf(*l, p), kZeroPage) << p;
    EXPECT_EQ(ReadPageOf(*l, 6), PagePattern(66));
    EXPECT_EQ(ReadPageOf(*l, 8), kZeroPage);
  }
  // Growing over the old pages 7..9 later still shows zeros.
  Overlay grow = MakeOverlay(*layout);
  ASSERT_TRUE(grow.Truncate(10 * kPage).ok());
  ASSERT_TRUE(layout->Publish(grow).ok());
  for (uint64_t p = 7; p < 10; ++p) EXPECT_EQ(ReadPageOf(*testing::OpenOrDie(memory), p), kZeroPage) << p;
}

TEST_F(Layout8PublishTest, APartialLastPageKeepsItsBytesAndCountsAsAPage) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  Overlay overlay = MakeOverlay(*layout);
  const std::vector<uint8_t> bytes(kPage + 100, 0x42);
  ASSERT_TRUE(overlay.Write(0, bytes).ok());
  ASSERT_TRUE(layout->Publish(overlay).ok());
  EXPECT_EQ(layout->meta().db_size, kPage + 100);
  EXPECT_EQ(layout->meta().page_count, 2u);
  EXPECT_TRUE(ExtentsOf(*layout).empty());
  std::vector<uint8_t> expected(kPage, 0);
  std::fill(expected.begin(), expected.begin() + 100, 0x42);
  EXPECT_EQ(ReadPageOf(*testing::OpenOrDie(memory), 1), expected);
}

TEST_F(Layout8PublishTest, EachCommitAdvancesTheTxIdAndSetsStale) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  for (uint64_t i = 1; i <= 3; ++i) {
    Meta fresh = layout->meta();
    fresh.flags = 0;
    fresh.checksum = 77;
    ASSERT_TRUE(layout->StoreMeta(fresh).ok());
    ASSERT_TRUE(PublishPages(*layout, {{i, i}}).ok());
    EXPECT_EQ(layout->meta().last_tx_id, i);
    EXPECT_EQ(layout->meta().flags, kFlagChecksumStale);
    EXPECT_EQ(layout->meta().checksum, 77u) << "the last verified checksum stays; stale says it is old";
  }
}

TEST_F(Layout8PublishTest, StatsFollowTheDeclaredArithmetic) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  LayoutStats s = layout->Stats();
  EXPECT_EQ(s.stable_pages, 1u);
  EXPECT_EQ(s.allocated_bytes, 65536u);
  EXPECT_EQ(s.active_bytes, 65536u);
  EXPECT_EQ(s.orphan_bytes, 0u);
  EXPECT_EQ(s.orphan_ratio_bp, 0u);
  EXPECT_EQ(s.mapped_pages, 0u);

  // 7 pages with 3 written: 4 pages in zero extents, 3 mapped.
  ASSERT_TRUE(PublishPages(*layout, {{6, 1}, {2, 2}, {4, 3}}).ok());
  s = layout->Stats();
  EXPECT_EQ(s.stable_pages, 3u);
  EXPECT_EQ(s.allocated_bytes, 196608u);
  EXPECT_EQ(s.mapped_pages, 3u);
  EXPECT_EQ(s.active_bytes, 65536u + 3 * 16384);  // 114,688
  EXPECT_EQ(s.orphan_bytes, 196608u - 114688);     // 81,920
  EXPECT_EQ(s.orphan_ratio_bp, 81920u * 10000 / 196608);
  EXPECT_FALSE(s.compact_recommended);
  EXPECT_EQ(s.segments, 0u);

  // A zero extent past the end does not count against the pages below it.
  Overlay cut = MakeOverlay(*layout);
  ASSERT_TRUE(cut.Truncate(5 * kPage).ok());
  ASSERT_TRUE(layout->Publish(cut).ok());
  EXPECT_EQ(layout->Stats().mapped_pages, 2u);  // pages 2 and 4
  EXPECT_EQ(layout->Stats().active_bytes, 65536u + 2 * 16384);
}

TEST_F(Layout8PublishTest, ValidateFindsASuperblockChangedBehindTheLayoutsBack) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}, {2, 2}}).ok());
  ASSERT_TRUE(layout->Validate().ok());
  // Another valid superblock (one page more, its extent gone) written by someone else.
  Meta other = layout->meta();
  other.db_size += kPage;
  other.page_count += 1;
  const std::vector<uint8_t> sb = layout8::EncodeSuperblock(other, layout8::ZeroExtents());
  memory.write(0, sb);
  Status s = layout->Validate();
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
  EXPECT_NE(s.message().find("differs"), std::string::npos) << s.message();
  // A damaged one does not decode.
  std::vector<uint8_t> damaged = sb;
  damaged[20] ^= 1;
  memory.write(0, damaged);
  EXPECT_EQ(layout->Validate().code(), ErrorCode::kCorrupt);
}

TEST_F(Layout8PublishTest, WorksInsideAVirtualMemoryBesideOtherData) {
  // The canister setup: the database in MemoryId 120 of a MemoryManager, another structure in MemoryId 3
  // whose buckets interleave with the database's (small buckets force several of each). In place means the
  // database's logical pages cross bucket boundaries of the virtual memory: the bytes must not care.
  HeapStableMemory raw;
  auto manager = MemoryManager::InitOrLoad(raw, /*bucket_size_pages=*/2);
  ASSERT_TRUE(manager.ok()) << manager.status().ToString();
  StableMemory* db_memory = *(*manager)->Get(120);
  StableMemory* other = *(*manager)->Get(3);
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(*db_memory);
  const std::vector<uint8_t> marker(100, 0x5A);
  for (uint64_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(PublishPages(*layout, {{2 * i, 10 + i}, {2 * i + 9, 20 + i}}).ok());
    ASSERT_EQ(other->grow(1), static_cast<int64_t>(i));
    other->write(i * kWasmPageBytes, marker);
  }
  manager = MemoryManager::Load(raw);
  ASSERT_TRUE(manager.ok());
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(**(*manager)->Get(120));
  EXPECT_EQ(reopened->meta().last_tx_id, 4u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(ReadPageOf(*reopened, 2 * i), PagePattern(10 + i));
    EXPECT_EQ(ReadPageOf(*reopened, 2 * i + 9), PagePattern(20 + i));
    EXPECT_EQ(ReadPageOf(*reopened, 2 * i + 1), kZeroPage);
  }
  EXPECT_TRUE(reopened->Validate().ok());
  std::vector<uint8_t> back(100);
  (**(*manager)->Get(3)).read(3 * kWasmPageBytes, back);
  EXPECT_EQ(back, marker);
}

// A seeded random workload of writes, truncates and truncate-then-extend, checked against a model of tags
// after every commit, through the live handle and a fresh open, with Validate each time. The pages outside
// every zero extent below the end are exactly the pages the model holds.
TEST_F(Layout8PublishTest, RandomWorkloadMatchesAModel) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    std::mt19937_64 rng(seed);
    auto below = [&](uint64_t n) { return rng() % n; };
    HeapStableMemory memory;
    std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
    std::map<uint64_t, uint64_t> model;  // page -> tag of the whole page written
    uint64_t model_pages = 0;
    uint64_t next_tag = 1;
    for (int commit = 0; commit < 30; ++commit) {
      Overlay overlay = MakeOverlay(*layout);
      const int ops = 1 + static_cast<int>(below(6));
      for (int i = 0; i < ops; ++i) {
        if (below(4) == 0) {
          const uint64_t pages = below(300);
          ASSERT_TRUE(overlay.Truncate(pages * kPage).ok());
          model.erase(model.lower_bound(pages), model.end());
          model_pages = pages;
        } else {
          const uint64_t p = below(300);
          ASSERT_TRUE(overlay.Write(p * kPage, PagePattern(next_tag)).ok());
          model[p] = next_tag++;
          model_pages = std::max(model_pages, p + 1);
        }
      }
      if (!overlay.dirty()) continue;
      ASSERT_TRUE(layout->Publish(overlay).ok());
      ASSERT_EQ(layout->meta().db_size, model_pages * kPage);
      std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
      ASSERT_EQ(reopened->meta(), layout->meta());
      ASSERT_TRUE(layout->Validate().ok()) << "seed " << seed << " commit " << commit;
      ASSERT_LE(AsLayout8(*layout).zero_extents().size(), layout8::kMaxZeroExtents);
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
