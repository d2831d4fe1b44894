// Layout 6 failure tests: a publish that fails leaves the previous state intact.
//
// Goal: for every failpoint on the publish path (commit.capacity, memory.grow, commit.page_write,
// commit.page_table_write, commit.superblock_publish) at every ordinal the commit reaches, and for a real
// grow failure, the publish returns the documented error; the superblock region and every byte the old map
// reaches are byte-identical (in fact the whole old memory prefix is, because a commit only writes past the
// old allocation mark); the live handle still reads the old image; and a later publish succeeds and survives
// a reopen. A failpoint armed with `trap` must also leave the handle on the old state. Method: a base image
// of two segments, a commit that rewrites pages in both, truncates and extends (so it has 3 page writes,
// 2 segment tables and a root), and a snapshot comparison after each injected failure.
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>

#include "failpoints/registry.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

using testing::kPage;
using testing::MakeOverlay;
using testing::OpenOrDie;
using testing::PagePattern;
using testing::PublishPages;
using testing::ReachableSnapshot;
using testing::ReadPageOf;

// Builds the base image: pages 0..299 (two segments), tag = page + 1.
std::unique_ptr<Layout> BaseImage(HeapStableMemory& memory) {
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 300; ++p) pages.emplace_back(p, p + 1);
  EXPECT_TRUE(PublishPages(*layout, pages).ok());
  return layout;
}

// The commit under test: rewrite pages 3 and 260, cut the file to 280 pages, then write page 290.
Status RunCommit(Layout& layout) {
  Overlay overlay = MakeOverlay(layout);
  STABLEVFS_RETURN_IF_ERROR(overlay.Write(3 * kPage, PagePattern(1003)));
  STABLEVFS_RETURN_IF_ERROR(overlay.Write(260 * kPage, PagePattern(1260)));
  STABLEVFS_RETURN_IF_ERROR(overlay.Truncate(280 * kPage));
  STABLEVFS_RETURN_IF_ERROR(overlay.Write(290 * kPage, PagePattern(1290)));
  return layout.Publish(overlay);
}

void ExpectOldImage(Layout& layout) {
  EXPECT_EQ(layout.meta().db_size, 300 * kPage);
  EXPECT_EQ(layout.meta().last_tx_id, 1u);
  for (uint64_t p : {0u, 3u, 255u, 260u, 285u, 299u}) EXPECT_EQ(ReadPageOf(layout, p), PagePattern(p + 1)) << p;
}

void ExpectNewImage(Layout& layout) {
  EXPECT_EQ(layout.meta().db_size, 291 * kPage);
  EXPECT_EQ(layout.meta().last_tx_id, 2u);
  EXPECT_EQ(ReadPageOf(layout, 3), PagePattern(1003));
  EXPECT_EQ(ReadPageOf(layout, 260), PagePattern(1260));
  EXPECT_EQ(ReadPageOf(layout, 279), PagePattern(280));
  EXPECT_EQ(ReadPageOf(layout, 285), std::vector<uint8_t>(kPage, 0));
  EXPECT_EQ(ReadPageOf(layout, 290), PagePattern(1290));
  EXPECT_TRUE(layout.Validate().ok());
}

struct Case {
  std::string spec;
  ErrorCode code;
  std::string failpoint;  // expected Status::failpoint() for kInjected
};

// gtest prints the parameter in test names and failures: show the spec, not the bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.spec; }

class LayoutFailureTest : public ::testing::TestWithParam<Case> {
 protected:
  fp::ScopedRegistryReset reset_;
};

TEST_P(LayoutFailureTest, FailedPublishLeavesTheOldStateAndTheNextPublishWorks) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  const Case& c = GetParam();
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = BaseImage(memory);
  const std::vector<uint8_t> before = memory.bytes();
  const ReachableSnapshot reachable = ReachableSnapshot::Take(*layout, memory);
  const Meta meta_before = layout->meta();

  ASSERT_TRUE(fp::Arm(c.spec).ok()) << c.spec;
  Status s = RunCommit(*layout);
  ASSERT_FALSE(s.ok()) << c.spec << " did not fire";
  EXPECT_EQ(s.code(), c.code) << s.ToString();
  if (c.code == ErrorCode::kInjected) {
    EXPECT_EQ(s.failpoint(), c.failpoint);
  }
  fp::ClearAll();

  EXPECT_EQ(reachable.Diff(memory), "");
  ASSERT_GE(memory.bytes().size(), before.size());
  EXPECT_TRUE(std::equal(before.begin(), before.end(), memory.bytes().begin()))
      << "a failed commit wrote below the old allocation mark";
  EXPECT_EQ(layout->meta(), meta_before);
  ExpectOldImage(*layout);
  EXPECT_TRUE(layout->Validate().ok());
  std::unique_ptr<Layout> reopened = OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), meta_before);
  ExpectOldImage(*reopened);

  // The failed commit's space is reused: the mark did not move.
  EXPECT_EQ(testing::AsLayout6(*layout).allocation_mark_bytes(), before.size());
  ASSERT_TRUE(RunCommit(*layout).ok());
  ExpectNewImage(*layout);
  ExpectNewImage(*OpenOrDie(memory));
}

INSTANTIATE_TEST_SUITE_P(
    PublishPath, LayoutFailureTest,
    ::testing::Values(Case{"commit.capacity=error", ErrorCode::kInjected, "commit.capacity"},
                      Case{"memory.grow=error", ErrorCode::kCapacity, ""},
                      Case{"commit.page_write=nth(1):error", ErrorCode::kInjected, "commit.page_write"},
                      Case{"commit.page_write=nth(2):error", ErrorCode::kInjected, "commit.page_write"},
                      Case{"commit.page_write=nth(3):error", ErrorCode::kInjected, "commit.page_write"},
                      Case{"commit.page_table_write=nth(1):error", ErrorCode::kInjected, "commit.page_table_write"},
                      Case{"commit.page_table_write=nth(2):error", ErrorCode::kInjected, "commit.page_table_write"},
                      Case{"commit.page_table_write=nth(3):error", ErrorCode::kInjected, "commit.page_table_write"},
                      Case{"commit.superblock_publish=error", ErrorCode::kInjected, "commit.superblock_publish"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.spec;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

class LayoutFailureCountsTest : public ::testing::Test {
 protected:
  fp::ScopedRegistryReset reset_;
};

TEST_F(LayoutFailureCountsTest, EachSiteIsHitOncePerPieceItGuards) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = BaseImage(memory);
  fp::ClearAll();
  ASSERT_TRUE(RunCommit(*layout).ok());
  EXPECT_EQ(fp::Hits("commit.capacity"), 1u);
  EXPECT_EQ(fp::Hits("memory.grow"), 1u);
  EXPECT_EQ(fp::Hits("commit.page_write"), 3u);
  EXPECT_EQ(fp::Hits("commit.page_table_write"), 3u);  // segments 0 and 1, and the root
  EXPECT_EQ(fp::Hits("commit.superblock_publish"), 1u);
  // The fourth page write is never reached: arming it changes nothing.
  ASSERT_TRUE(fp::Arm("commit.page_write=nth(4):error").ok());
  EXPECT_TRUE(PublishPages(*layout, {{0, 5}, {1, 6}, {2, 7}}).ok());
}

TEST_F(LayoutFailureCountsTest, RealGrowFailureIsCapacityWithPages) {
  HeapStableMemory memory(/*max_pages=*/2);
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  ASSERT_TRUE(PublishPages(*layout, {{0, 1}}).ok());  // 1 + 1 pages
  const std::vector<uint8_t> before = memory.bytes();
  const Meta meta_before = layout->meta();
  Status s = PublishPages(*layout, {{0, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}});  // 83,976 bytes -> 2 pages more
  ASSERT_EQ(s.code(), ErrorCode::kCapacity) << s.ToString();
  EXPECT_EQ(s.current_pages(), 2u);
  EXPECT_EQ(s.required_pages(), 4u);
  EXPECT_TRUE(memory.bytes() == before);
  EXPECT_EQ(layout->meta(), meta_before);
  EXPECT_EQ(ReadPageOf(*layout, 0), PagePattern(1));

  memory.set_max_pages(4);
  ASSERT_TRUE(PublishPages(*layout, {{0, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}}).ok());
  EXPECT_EQ(memory.size_pages(), 4u);
  EXPECT_EQ(ReadPageOf(*OpenOrDie(memory), 4), PagePattern(6));
}

TEST_F(LayoutFailureCountsTest, FileLargerThanAnyMemoryIsCapacityBeforeAnyWork) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenOrDie(memory);
  const std::vector<uint8_t> before = memory.bytes();
  Overlay overlay = MakeOverlay(*layout);
  ASSERT_TRUE(overlay.Write(600ull << 30, PagePattern(1)).ok());  // one page at 600 GiB
  Status s = layout->Publish(overlay);
  EXPECT_EQ(s.code(), ErrorCode::kCapacity) << s.ToString();
  EXPECT_EQ(s.current_pages(), 1u);
  EXPECT_GT(s.required_pages(), (500ull << 30) / kWasmPageBytes);
  EXPECT_TRUE(memory.bytes() == before);
}

TEST_F(LayoutFailureCountsTest, TrapMidPublishLeavesTheHandleOnTheOldState) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = BaseImage(memory);
  const Meta meta_before = layout->meta();
  for (const char* spec : {"commit.page_write=nth(2):trap", "commit.page_table_write=nth(3):trap",
                           "commit.superblock_publish=crash"}) {
    fp::ClearAll();
    ASSERT_TRUE(fp::Arm(spec).ok());
    EXPECT_THROW(RunCommit(*layout).IgnoreError(), fp::Abort) << spec;
    fp::ClearAll();
    EXPECT_EQ(layout->meta(), meta_before) << spec;
    ExpectOldImage(*layout);
    ExpectOldImage(*OpenOrDie(memory));
  }
}

}  // namespace
}  // namespace stablevfs
