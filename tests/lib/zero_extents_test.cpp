// Zero extent algebra tests (layout 8, REFERENCE 3.4).
//
// Goal: ZeroExtents always holds the normalized list (non-empty, ascending, neither overlapping nor adjacent)
// of exactly the pages its operations put there, and ExtentsAfterCommit implements the commit rule: the old
// list, plus the grown or cut range, plus the range the overlay cut and re-extended, minus the pages written.
// Method: hand-written cases for every branch of Add and SubtractPage (merge left, right, both, bridge,
// split, shrink an end, erase); an exhaustive pass over every subset of an 8-page universe and every range
// and page operation on it; and seeded random workloads compared with a plain std::set<uint64_t> of zero
// pages, both for the operations and for the commit rule, where the set model is also checked against what a
// reader of an in-place file must see (dirty pages hold data, base pages below the cut keep theirs, all else
// reads as zeros).
#include "lib/layout/zero_extents.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

namespace stablevfs::layout8 {
namespace {

using Pages = std::set<uint64_t>;

// The normalized runs of a set of pages, computed the obvious way: the reference for ZeroExtents::extents().
std::vector<ZeroExtent> RunsOf(const Pages& pages) {
  std::vector<ZeroExtent> runs;
  for (uint64_t p : pages) {
    if (!runs.empty() && runs.back().end_page == p) {
      runs.back().end_page = p + 1;
    } else {
      runs.push_back({p, p + 1});
    }
  }
  return runs;
}

ZeroExtents FromPages(const Pages& pages) { return ZeroExtents::Normalize(RunsOf(pages)); }

ZeroExtents Of(std::vector<ZeroExtent> extents) {
  EXPECT_TRUE(ZeroExtents::IsNormalized(extents)) << "test input must be normalized";
  return ZeroExtents::Normalize(std::move(extents));
}

// Draws in [0, n) with a plain modulo: biased for huge n, which does not matter here, and the same on every
// standard library (std::uniform_int_distribution is not).
uint64_t Draw(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

// ---- IsNormalized and Normalize ----

TEST(ZeroExtentsTest, IsNormalizedAcceptsOnlyTheCanonicalForm) {
  EXPECT_TRUE(ZeroExtents::IsNormalized({}));
  EXPECT_TRUE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{1, 3}}));
  EXPECT_TRUE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{0, 1}, {2, 3}, {10, 20}}));
  EXPECT_FALSE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{3, 3}})) << "empty";
  EXPECT_FALSE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{4, 3}})) << "reversed";
  EXPECT_FALSE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{1, 3}, {3, 5}})) << "adjacent";
  EXPECT_FALSE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{1, 4}, {3, 5}})) << "overlapping";
  EXPECT_FALSE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{5, 6}, {1, 2}})) << "descending";
  EXPECT_FALSE(ZeroExtents::IsNormalized(std::vector<ZeroExtent>{{1, 2}, {4, 5}, {5, 5}})) << "empty last";
}

TEST(ZeroExtentsTest, NormalizeDropsEmptySortsAndMerges) {
  const ZeroExtents z = ZeroExtents::Normalize({{10, 12}, {3, 3}, {0, 2}, {2, 4}, {11, 15}, {20, 21}, {13, 14}, {9, 8}});
  EXPECT_EQ(z.extents(), (std::vector<ZeroExtent>{{0, 4}, {10, 15}, {20, 21}}));
  EXPECT_TRUE(ZeroExtents::Normalize({}).empty());
  EXPECT_TRUE(ZeroExtents::Normalize({{5, 5}, {7, 6}}).empty());
  EXPECT_EQ(ZeroExtents::Normalize({{0, 100}, {10, 20}}).extents(), (std::vector<ZeroExtent>{{0, 100}}))
      << "a contained range disappears";
}

// ---- Add ----

TEST(ZeroExtentsTest, AddCoversEveryMergeCase) {
  const ZeroExtents base = Of({{10, 20}, {30, 40}});
  struct Case {
    uint64_t start, end;
    std::vector<ZeroExtent> expected;
  };
  const std::vector<Case> cases = {
      {0, 5, {{0, 5}, {10, 20}, {30, 40}}},     // before everything
      {50, 60, {{10, 20}, {30, 40}, {50, 60}}}, // after everything
      {22, 25, {{10, 20}, {22, 25}, {30, 40}}}, // in a gap, touching nothing
      {5, 10, {{5, 20}, {30, 40}}},             // touches the next extent's start: merges
      {20, 22, {{10, 22}, {30, 40}}},           // touches the previous extent's end: merges
      {20, 30, {{10, 40}}},                     // touches both: bridges
      {15, 35, {{10, 40}}},                     // overlaps both
      {12, 18, {{10, 20}, {30, 40}}},           // inside one
      {0, 100, {{0, 100}}},                     // swallows all
      {5, 5, {{10, 20}, {30, 40}}},             // empty: no change
      {25, 21, {{10, 20}, {30, 40}}},           // reversed: no change
      {40, 41, {{10, 20}, {30, 41}}},           // extends the last
      {9, 10, {{9, 20}, {30, 40}}},             // one page, adjacent
  };
  for (const Case& c : cases) {
    ZeroExtents z = base;
    z.Add(c.start, c.end);
    EXPECT_EQ(z.extents(), c.expected) << "Add [" << c.start << ", " << c.end << ") gives " << z.ToString();
  }
}

TEST(ZeroExtentsTest, AddAtTheTopOfTheRange) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  ZeroExtents z;
  z.Add(kMax - 1, kMax);
  z.Add(kMax - 3, kMax - 1);
  EXPECT_EQ(z.extents(), (std::vector<ZeroExtent>{{kMax - 3, kMax}}));
  EXPECT_TRUE(z.Contains(kMax - 1));
  EXPECT_FALSE(z.Contains(kMax));
  z.SubtractPage(kMax - 1);
  EXPECT_EQ(z.extents(), (std::vector<ZeroExtent>{{kMax - 3, kMax - 1}}));
}

// ---- SubtractPage and SubtractPages ----

TEST(ZeroExtentsTest, SubtractPageCoversEverySplitCase) {
  const ZeroExtents base = Of({{10, 20}, {30, 31}});
  struct Case {
    uint64_t page;
    std::vector<ZeroExtent> expected;
  };
  const std::vector<Case> cases = {
      {10, {{11, 20}, {30, 31}}},           // the first page: the start moves
      {19, {{10, 19}, {30, 31}}},           // the last page: the end moves
      {15, {{10, 15}, {16, 20}, {30, 31}}}, // inside: splits, one more extent
      {30, {{10, 20}}},                     // a one-page extent: gone
      {25, {{10, 20}, {30, 31}}},           // in a gap: no change
      {20, {{10, 20}, {30, 31}}},           // the exclusive end: no change
      {9, {{10, 20}, {30, 31}}},            // before: no change
      {99, {{10, 20}, {30, 31}}},           // after: no change
  };
  for (const Case& c : cases) {
    ZeroExtents z = base;
    z.SubtractPage(c.page);
    EXPECT_EQ(z.extents(), c.expected) << "SubtractPage " << c.page << " gives " << z.ToString();
  }
}

TEST(ZeroExtentsTest, SubtractPagesEqualsOnePageAtATime) {
  ZeroExtents batch = Of({{0, 10}, {12, 13}, {20, 30}});
  ZeroExtents single = batch;
  const std::vector<uint64_t> pages = {0, 2, 3, 9, 11, 12, 21, 29, 35};
  batch.SubtractPages(pages);
  for (uint64_t p : pages) single.SubtractPage(p);
  EXPECT_EQ(batch, single);
  EXPECT_EQ(batch.extents(), (std::vector<ZeroExtent>{{1, 2}, {4, 9}, {20, 21}, {22, 29}}));
  ZeroExtents empty;
  empty.SubtractPages(pages);
  EXPECT_TRUE(empty.empty());
  batch.SubtractPages({});
  EXPECT_EQ(batch, single);
}

// ---- Contains and PagesBelow ----

TEST(ZeroExtentsTest, ContainsAndPagesBelow) {
  const ZeroExtents z = Of({{2, 5}, {8, 9}, {100, 200}});
  const std::set<uint64_t> in = {2, 3, 4, 8, 100, 150, 199};
  const std::set<uint64_t> out = {0, 1, 5, 7, 9, 99, 200, 1000};
  for (uint64_t p : in) EXPECT_TRUE(z.Contains(p)) << p;
  for (uint64_t p : out) EXPECT_FALSE(z.Contains(p)) << p;
  EXPECT_EQ(z.PagesBelow(0), 0u);
  EXPECT_EQ(z.PagesBelow(3), 1u);
  EXPECT_EQ(z.PagesBelow(5), 3u);
  EXPECT_EQ(z.PagesBelow(9), 4u);
  EXPECT_EQ(z.PagesBelow(150), 54u);
  EXPECT_EQ(z.PagesBelow(1000), 104u);
  EXPECT_EQ(ZeroExtents().PagesBelow(1000), 0u);
  EXPECT_EQ(z.ToString(), "[2, 5) [8, 9) [100, 200)");
  EXPECT_EQ(ZeroExtents().ToString(), "(none)");
}

// ---- Exhaustive: every subset of 8 pages, every operation ----

TEST(ZeroExtentsTest, ExhaustiveOverEightPages) {
  constexpr uint64_t kUniverse = 8;
  for (uint64_t mask = 0; mask < (1u << kUniverse); ++mask) {
    Pages pages;
    for (uint64_t p = 0; p < kUniverse; ++p) {
      if ((mask >> p) & 1) pages.insert(p);
    }
    const ZeroExtents z = FromPages(pages);
    ASSERT_EQ(z.extents(), RunsOf(pages)) << mask;
    ASSERT_TRUE(ZeroExtents::IsNormalized(z.extents()));
    for (uint64_t p = 0; p <= kUniverse; ++p) ASSERT_EQ(z.Contains(p), pages.contains(p)) << mask << " " << p;
    for (uint64_t start = 0; start <= kUniverse; ++start) {
      for (uint64_t end = 0; end <= kUniverse + 1; ++end) {
        ZeroExtents added = z;
        added.Add(start, end);
        Pages expected = pages;
        for (uint64_t p = start; p < end; ++p) expected.insert(p);
        ASSERT_EQ(added.extents(), RunsOf(expected)) << mask << " + [" << start << ", " << end << ")";
      }
    }
    for (uint64_t p = 0; p <= kUniverse; ++p) {
      ZeroExtents removed = z;
      removed.SubtractPage(p);
      Pages expected = pages;
      expected.erase(p);
      ASSERT_EQ(removed.extents(), RunsOf(expected)) << mask << " - " << p;
    }
    // Every subset of pages subtracted at once (a commit's dirty pages).
    for (uint64_t dirty_mask = 0; dirty_mask < (1u << kUniverse); dirty_mask += 7) {
      std::vector<uint64_t> dirty;
      Pages expected = pages;
      for (uint64_t p = 0; p < kUniverse; ++p) {
        if ((dirty_mask >> p) & 1) {
          dirty.push_back(p);
          expected.erase(p);
        }
      }
      ZeroExtents removed = z;
      removed.SubtractPages(dirty);
      ASSERT_EQ(removed.extents(), RunsOf(expected)) << mask << " - mask " << dirty_mask;
    }
    for (uint64_t limit = 0; limit <= kUniverse; ++limit) {
      ASSERT_EQ(z.PagesBelow(limit), static_cast<uint64_t>(std::distance(pages.begin(), pages.lower_bound(limit))));
    }
  }
}

// ---- Randomized against std::set ----

TEST(ZeroExtentsTest, RandomOperationsMatchASetOfPages) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    const uint64_t universe = 20 + Draw(rng, 300);
    ZeroExtents z;
    Pages model;
    for (int step = 0; step < 400; ++step) {
      switch (Draw(rng, 4)) {
        case 0: {
          const uint64_t start = Draw(rng, universe);
          const uint64_t end = start + Draw(rng, 30);
          z.Add(start, end);
          for (uint64_t p = start; p < end; ++p) model.insert(p);
          break;
        }
        case 1: {
          const uint64_t p = Draw(rng, universe + 30);
          z.SubtractPage(p);
          model.erase(p);
          break;
        }
        case 2: {
          std::set<uint64_t> dirty;
          for (uint64_t n = Draw(rng, 20); n > 0; --n) dirty.insert(Draw(rng, universe + 30));
          z.SubtractPages(std::vector<uint64_t>(dirty.begin(), dirty.end()));
          for (uint64_t p : dirty) model.erase(p);
          break;
        }
        default: {
          const uint64_t p = Draw(rng, universe + 30);
          ASSERT_EQ(z.Contains(p), model.contains(p)) << "seed " << seed << " page " << p;
          break;
        }
      }
      ASSERT_EQ(z.extents(), RunsOf(model)) << "seed " << seed << " step " << step;
    }
    const ZeroExtents rebuilt = FromPages(model);
    EXPECT_EQ(z, rebuilt) << "equal sets give equal lists";
  }
}

// ---- The commit rule ----

TEST(ZeroExtentsCommitTest, GrowAddsTheNewPagesExceptTheWrittenOnes) {
  // 3 pages grow to 10, writing pages 4 and 9: [3, 4) and [5, 9) read as zeros.
  const ZeroExtents next = ExtentsAfterCommit(ZeroExtents(), 3, 10, 3, std::vector<uint64_t>{4, 9});
  EXPECT_EQ(next.extents(), (std::vector<ZeroExtent>{{3, 4}, {5, 9}}));
}

TEST(ZeroExtentsCommitTest, ShrinkAddsTheCutPages) {
  // 10 pages cut to 4: [4, 10) stays zero if the file grows back; an old extent merges in.
  const ZeroExtents next = ExtentsAfterCommit(Of({{2, 3}, {9, 12}}), 10, 4, 4, {});
  EXPECT_EQ(next.extents(), (std::vector<ZeroExtent>{{2, 3}, {4, 12}}));
}

TEST(ZeroExtentsCommitTest, TruncateThenExtendZeroesTheCutBasePages) {
  // 10 pages, cut to 3 during the update, then extended to 8 by writing page 7: pages 3..6 are gone.
  const ZeroExtents next = ExtentsAfterCommit(ZeroExtents(), 10, 8, 3, std::vector<uint64_t>{7});
  EXPECT_EQ(next.extents(), (std::vector<ZeroExtent>{{3, 7}, {8, 10}}));
}

TEST(ZeroExtentsCommitTest, RewritingPagesRemovesThemFromOldExtents) {
  const ZeroExtents next = ExtentsAfterCommit(Of({{5, 10}}), 12, 12, 12, std::vector<uint64_t>{5, 7, 9, 11});
  EXPECT_EQ(next.extents(), (std::vector<ZeroExtent>{{6, 7}, {8, 9}}));
}

TEST(ZeroExtentsCommitTest, DirtyPagesAtOrPastTheNewEndAreNotSubtracted) {
  // The layout skips such pages (it writes nothing there), so they must keep reading as zeros.
  const ZeroExtents next = ExtentsAfterCommit(ZeroExtents(), 10, 4, 4, std::vector<uint64_t>{1, 4, 6});
  EXPECT_EQ(next.extents(), (std::vector<ZeroExtent>{{4, 10}}));
}

TEST(ZeroExtentsCommitTest, WritingEveryOtherPageOfAGrownFileMakesOneExtentPerGap) {
  // What the 1,024-extent limit is about: 2,050 new pages, every even one written, leave 1,025 gaps.
  std::vector<uint64_t> dirty;
  for (uint64_t p = 0; p < 2050; p += 2) dirty.push_back(p);
  const ZeroExtents next = ExtentsAfterCommit(ZeroExtents(), 0, 2050, 0, dirty);
  EXPECT_EQ(next.size(), 1025u);
  EXPECT_GT(next.size(), kMaxZeroExtents);
  EXPECT_EQ(next.extents().front(), (ZeroExtent{1, 2}));
  EXPECT_EQ(next.extents().back(), (ZeroExtent{2049, 2050}));
}

TEST(ZeroExtentsCommitTest, OverlayFormReadsTheOverlaysSizesAndPages) {
  // 5 base pages; the update cuts the file to 1.5 pages, then writes page 6: base pages 2..4 are gone, page 1
  // was copied with its tail zeroed (so it is dirty), page 5 never held data, page 6 is written.
  const uint64_t page = kDbPageBytes;
  Overlay overlay(5 * page, [](uint64_t, std::span<uint8_t> out) {
    std::fill(out.begin(), out.end(), 0xAB);
    return Status::Ok();
  });
  ASSERT_TRUE(overlay.Truncate(page + page / 2).ok());
  const std::vector<uint8_t> bytes(page, 1);
  ASSERT_TRUE(overlay.Write(6 * page, bytes).ok());
  ASSERT_EQ(overlay.min_db_size(), page + page / 2);
  const ZeroExtents next = ExtentsAfterCommit(Of({{0, 1}}), 5 * page, overlay);
  EXPECT_EQ(next.extents(), (std::vector<ZeroExtent>{{0, 1}, {2, 6}}));
}

// The commit rule against a set model, and the set model against what an in-place reader must see: the
// physical page of every logical page holds stale junk unless the commit writes it, so the new extents must
// cover exactly the pages below the new end that are neither written nor kept base data.
TEST(ZeroExtentsCommitTest, RandomCommitsMatchTheSetModelAndTheFileSemantics) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed);
    const uint64_t old_pages = Draw(rng, 40);
    Pages old_zero;
    for (uint64_t n = Draw(rng, 30); n > 0; --n) old_zero.insert(Draw(rng, 50));
    const uint64_t new_pages = Draw(rng, 50);
    // The watermark never exceeds either size: it is the smallest size the update saw.
    const uint64_t watermark = Draw(rng, std::min(old_pages, new_pages) + 1);
    std::set<uint64_t> dirty_set;
    for (uint64_t n = Draw(rng, 25); n > 0; --n) dirty_set.insert(Draw(rng, 55));
    const std::vector<uint64_t> dirty(dirty_set.begin(), dirty_set.end());

    const ZeroExtents next = ExtentsAfterCommit(FromPages(old_zero), old_pages, new_pages, watermark, dirty);

    Pages model = old_zero;
    for (uint64_t p = std::min(old_pages, new_pages); p < std::max(old_pages, new_pages); ++p) model.insert(p);
    for (uint64_t p = watermark; p < new_pages; ++p) model.insert(p);
    for (uint64_t p : dirty) {
      if (p < new_pages) model.erase(p);
    }
    ASSERT_EQ(next.extents(), RunsOf(model)) << "seed " << seed;

    for (uint64_t p = 0; p < new_pages; ++p) {
      const bool written = dirty_set.contains(p);
      const bool keeps_base_data = p < watermark && p < old_pages && !old_zero.contains(p);
      ASSERT_EQ(next.Contains(p), !written && !keeps_base_data) << "seed " << seed << " page " << p;
    }
    // Past the new end the cut range stays zero, so a later grow over it cannot show stale bytes.
    for (uint64_t p = new_pages; p < old_pages; ++p) ASSERT_TRUE(next.Contains(p)) << "seed " << seed << " " << p;
  }
}

}  // namespace
}  // namespace stablevfs::layout8
