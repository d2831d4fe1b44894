// Layout 8 failure tests: which failures are errors and which must be traps.
//
// Goal: REFERENCE 3.4's failure semantics, site by site. A failure before the first in-place page write (an
// `error` at commit.capacity, at memory.grow, at the first commit.page_write_in_place; a real grow failure;
// the 1,024-extent limit) returns an error and leaves the active superblock and every in-place page
// byte-identical (in fact every byte the memory held before), the handle on the old image, and the next
// commit working. An `error` at commit.page_write_in_place past the first page, and any `error` at
// commit.superblock_store in a commit, throw stablevfs::Trap naming the site (and the page), because pages of
// the commit were already overwritten in place; the test shows that third state in memory, which only the
// IC's rollback of the trapped message undoes. `trap` and `crash` actions propagate as fp::Abort from every
// site. Method: a base image of 10 pages and a commit that rewrites pages 3 and 7, truncates to 8 pages and
// writes page 14 (so it grows the memory and writes 3 pages), failpoints armed per thread, and byte
// comparisons of the memory before and after.
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>

#include "failpoints/registry.h"
#include "lib/core/trap.h"
#include "tests/lib/layout_testing.h"

namespace stablevfs {
namespace {

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
constexpr uint64_t kBase = 65536;

// The base image: pages 0..9, tag = page + 1; 64 KiB + 160 KiB in 4 Wasm pages.
std::unique_ptr<Layout> BaseImage(StableMemory& memory) {
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  std::vector<std::pair<uint64_t, uint64_t>> pages;
  for (uint64_t p = 0; p < 10; ++p) pages.emplace_back(p, p + 1);
  EXPECT_TRUE(PublishPages(*layout, pages).ok());
  EXPECT_EQ(memory.size_pages(), 4u);
  return layout;
}

// The commit under test: rewrite pages 3 and 7, cut the file to 8 pages, then write page 14. The file ends
// at 64 KiB + 15 x 16 KiB = 304 KiB, so the memory grows from 4 to 5 Wasm pages; 3 pages are written.
Status RunCommit(Layout& layout) {
  Overlay overlay = MakeOverlay(layout);
  STABLEVFS_RETURN_IF_ERROR(overlay.Write(3 * kPage, PagePattern(1003)));
  STABLEVFS_RETURN_IF_ERROR(overlay.Write(7 * kPage, PagePattern(1007)));
  STABLEVFS_RETURN_IF_ERROR(overlay.Truncate(8 * kPage));
  STABLEVFS_RETURN_IF_ERROR(overlay.Write(14 * kPage, PagePattern(1014)));
  return layout.Publish(overlay);
}

void ExpectOldImage(Layout& layout) {
  EXPECT_EQ(layout.meta().db_size, 10 * kPage);
  EXPECT_EQ(layout.meta().last_tx_id, 1u);
  for (uint64_t p = 0; p < 10; ++p) EXPECT_EQ(ReadPageOf(layout, p), PagePattern(p + 1)) << p;
  EXPECT_EQ(ReadPageOf(layout, 14), kZeroPage);
  EXPECT_TRUE(AsLayout8(layout).zero_extents().empty());
}

void ExpectNewImage(Layout& layout) {
  EXPECT_EQ(layout.meta().db_size, 15 * kPage);
  EXPECT_EQ(layout.meta().last_tx_id, 2u);
  EXPECT_EQ(ReadPageOf(layout, 2), PagePattern(3));
  EXPECT_EQ(ReadPageOf(layout, 3), PagePattern(1003));
  EXPECT_EQ(ReadPageOf(layout, 7), PagePattern(1007));
  EXPECT_EQ(ReadPageOf(layout, 8), kZeroPage) << "cut, then regrown: zero although its bytes are in place";
  EXPECT_EQ(ReadPageOf(layout, 9), kZeroPage);
  EXPECT_EQ(ReadPageOf(layout, 14), PagePattern(1014));
  EXPECT_EQ(AsLayout8(layout).zero_extents().extents(), (std::vector<layout8::ZeroExtent>{{8, 14}}));
  EXPECT_TRUE(layout.Validate().ok());
}

struct Case {
  std::string spec;
  ErrorCode code;
  std::string failpoint;  // expected Status::failpoint() for kInjected
};

// gtest prints the parameter in test names and failures: show the spec, not the bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.spec; }

class Layout8ErrorTest : public ::testing::TestWithParam<Case> {
 protected:
  fp::ScopedRegistryReset reset_;
};

TEST_P(Layout8ErrorTest, AFailureBeforeThePagesIsAnErrorThatChangesNothing) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  const Case& c = GetParam();
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = BaseImage(memory);
  const std::vector<uint8_t> before = memory.bytes();
  const InPlaceSnapshot active = InPlaceSnapshot::Take(*layout, memory);
  const Meta meta_before = layout->meta();

  ASSERT_TRUE(fp::Arm(c.spec).ok()) << c.spec;
  Status s = RunCommit(*layout);
  ASSERT_FALSE(s.ok()) << c.spec << " did not fire";
  EXPECT_EQ(s.code(), c.code) << s.ToString();
  if (c.code == ErrorCode::kInjected) {
    EXPECT_EQ(s.failpoint(), c.failpoint);
  }
  fp::ClearAll();

  EXPECT_EQ(active.Diff(memory), "");
  ASSERT_GE(memory.bytes().size(), before.size());
  EXPECT_TRUE(std::equal(before.begin(), before.end(), memory.bytes().begin()))
      << "a failed commit wrote to the memory it had";
  EXPECT_TRUE(std::all_of(memory.bytes().begin() + static_cast<ptrdiff_t>(before.size()), memory.bytes().end(),
                          [](uint8_t b) { return b == 0; }))
      << "a failed commit wrote to the memory it grew";
  EXPECT_EQ(layout->meta(), meta_before);
  ExpectOldImage(*layout);
  EXPECT_TRUE(layout->Validate().ok());
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), meta_before);
  ExpectOldImage(*reopened);

  ASSERT_TRUE(RunCommit(*layout).ok());
  ExpectNewImage(*layout);
  ExpectNewImage(*testing::OpenOrDie(memory));
}

INSTANTIATE_TEST_SUITE_P(
    BeforeThePages, Layout8ErrorTest,
    ::testing::Values(Case{"commit.capacity=error", ErrorCode::kInjected, "commit.capacity"},
                      Case{"memory.grow=error", ErrorCode::kCapacity, ""},
                      Case{"commit.page_write_in_place=nth(1):error", ErrorCode::kInjected,
                           "commit.page_write_in_place"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.spec;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

class Layout8FailureTest : public ::testing::Test {
 protected:
  fp::ScopedRegistryReset reset_;
};

TEST_F(Layout8FailureTest, AnErrorPastTheFirstPageIsATrapAfterPagesChangedInPlace) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  // nth(k): the k-th page write of the commit fails; pages of the commit before it (3, then 7) are already in
  // place, under a superblock that still names the old image.
  struct Expect {
    const char* spec;
    uint64_t page;       // the page the failing write was for
    uint64_t written;    // how many pages were overwritten before it
  };
  for (const Expect& e : {Expect{"commit.page_write_in_place=nth(2):error", 7, 1},
                          Expect{"commit.page_write_in_place=nth(3):error", 14, 2}}) {
    SCOPED_TRACE(e.spec);
    fp::ClearAll();
    HeapStableMemory memory;
    std::unique_ptr<Layout> layout = BaseImage(memory);
    const Meta meta_before = layout->meta();
    const std::vector<uint8_t> superblock_before(memory.bytes().begin(), memory.bytes().begin() + 160);
    ASSERT_TRUE(fp::Arm(e.spec).ok());
    try {
      RunCommit(*layout).IgnoreError();
      ADD_FAILURE() << "no trap";
    } catch (const Trap& trap) {
      const std::string what = trap.what();
      EXPECT_NE(what.find("commit.page_write_in_place"), std::string::npos) << what;
      EXPECT_NE(what.find("logical page " + std::to_string(e.page)), std::string::npos) << what;
      EXPECT_NE(what.find("after " + std::to_string(e.written) + " pages"), std::string::npos) << what;
    }
    EXPECT_EQ(fp::Fired("commit.page_write_in_place", fp::Action::kError), 1u);
    fp::ClearAll();

    // The third state the trap exists for: the old superblock, but page 3 already holds the new bytes.
    EXPECT_TRUE(std::equal(superblock_before.begin(), superblock_before.end(), memory.bytes().begin()));
    EXPECT_EQ(layout->meta(), meta_before) << "the handle did not adopt a commit that never happened";
    EXPECT_EQ(ReadPageOf(*testing::OpenOrDie(memory), 3), PagePattern(1003))
        << "without the IC's rollback, a reader sees a page of a commit that did not happen";
  }
}

TEST_F(Layout8FailureTest, AnErrorAtTheSuperblockStoreOfACommitIsATrap) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = BaseImage(memory);
  const Meta meta_before = layout->meta();
  ASSERT_TRUE(fp::Arm("commit.superblock_store=error").ok());
  try {
    RunCommit(*layout).IgnoreError();
    ADD_FAILURE() << "no trap";
  } catch (const Trap& trap) {
    const std::string what = trap.what();
    EXPECT_NE(what.find("commit.superblock_store"), std::string::npos) << what;
    EXPECT_NE(what.find("after 3 pages"), std::string::npos) << what;
  }
  EXPECT_EQ(layout->meta(), meta_before);

  // Also for a commit that wrote no page (a pure truncate): one rule for the site, as the original panics.
  fp::ClearAll();
  ASSERT_TRUE(fp::Arm("commit.superblock_store=error").ok());
  Overlay cut = MakeOverlay(*layout);
  ASSERT_TRUE(cut.Truncate(2 * kPage).ok());
  EXPECT_THROW(layout->Publish(cut).IgnoreError(), Trap);
  EXPECT_EQ(layout->meta(), meta_before);
}

TEST_F(Layout8FailureTest, TrapAndCrashActionsPropagateAsAbortFromEverySite) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  for (const char* spec : {"commit.capacity=trap", "memory.grow=crash", "commit.page_write_in_place=nth(1):trap",
                           "commit.page_write_in_place=nth(2):crash", "commit.superblock_store=trap",
                           "commit.superblock_store=crash"}) {
    SCOPED_TRACE(spec);
    fp::ClearAll();
    HeapStableMemory memory;
    std::unique_ptr<Layout> layout = BaseImage(memory);
    const Meta meta_before = layout->meta();
    ASSERT_TRUE(fp::Arm(spec).ok());
    const std::string site = std::string(spec).substr(0, std::string(spec).find('='));
    try {
      RunCommit(*layout).IgnoreError();
      ADD_FAILURE() << "no abort";
    } catch (const fp::Abort& abort) {
      EXPECT_EQ(abort.site(), site);
      EXPECT_EQ(abort.action(), std::string(spec).ends_with("trap") ? fp::Action::kTrap : fp::Action::kCrash);
    }
    fp::ClearAll();
    EXPECT_EQ(layout->meta(), meta_before);
  }
}

TEST_F(Layout8FailureTest, EachSiteIsHitOncePerPieceItGuards) {
#if !STABLEVFS_FAILPOINTS_ENABLED
  GTEST_SKIP() << "failpoints compiled out";
#endif
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = BaseImage(memory);
  fp::ClearAll();
  ASSERT_TRUE(RunCommit(*layout).ok());
  EXPECT_EQ(fp::Hits("commit.capacity"), 1u);
  EXPECT_EQ(fp::Hits("memory.grow"), 1u);
  EXPECT_EQ(fp::Hits("commit.page_write_in_place"), 3u);
  EXPECT_EQ(fp::Hits("commit.superblock_store"), 1u);
  // Layout 6's sites belong to layout 6: a registry that lists a layout's sites must not lie.
  for (const char* other : {"commit.page_write", "commit.page_table_write", "commit.superblock_publish",
                            "compact.copy", "compact.publish"}) {
    EXPECT_EQ(fp::Hits(other), 0u) << other;
  }
  // A commit that fits the memory does not evaluate memory.grow.
  fp::ClearAll();
  ASSERT_TRUE(PublishPages(*layout, {{0, 5}}).ok());
  EXPECT_EQ(fp::Hits("memory.grow"), 0u);
  EXPECT_EQ(fp::Hits("commit.page_write_in_place"), 1u);
  // The fourth page write is never reached: arming it changes nothing.
  fp::ClearAll();
  ASSERT_TRUE(fp::Arm("commit.page_write_in_place=nth(4):error").ok());
  EXPECT_TRUE(PublishPages(*layout, {{0, 5}, {1, 6}, {2, 7}}).ok());
}

TEST_F(Layout8FailureTest, RealGrowFailureIsCapacityWithPages) {
  HeapStableMemory memory(/*max_pages=*/4);
  std::unique_ptr<Layout> layout = BaseImage(memory);
  const std::vector<uint8_t> before = memory.bytes();
  const Meta meta_before = layout->meta();
  Status s = RunCommit(*layout);  // needs 5 pages
  ASSERT_EQ(s.code(), ErrorCode::kCapacity) << s.ToString();
  EXPECT_EQ(s.current_pages(), 4u);
  EXPECT_EQ(s.required_pages(), 5u);
  EXPECT_TRUE(memory.bytes() == before);
  EXPECT_EQ(layout->meta(), meta_before);
  ExpectOldImage(*layout);

  memory.set_max_pages(5);
  ASSERT_TRUE(RunCommit(*layout).ok());
  ExpectNewImage(*testing::OpenOrDie(memory));
}

TEST_F(Layout8FailureTest, FileLargerThanAnyMemoryIsCapacityBeforeAnyWork) {
  HeapStableMemory memory;
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  const std::vector<uint8_t> before = memory.bytes();
  Overlay overlay = MakeOverlay(*layout);
  ASSERT_TRUE(overlay.Write(600ull << 30, PagePattern(1)).ok());  // one page at 600 GiB
  Status s = layout->Publish(overlay);
  EXPECT_EQ(s.code(), ErrorCode::kCapacity) << s.ToString();
  EXPECT_EQ(s.current_pages(), 1u);
  EXPECT_GT(s.required_pages(), (500ull << 30) / kWasmPageBytes);
  EXPECT_TRUE(memory.bytes() == before);
}

// Grows an empty file to `pages` pages writing every even page: the odd pages become one zero extent each.
Status WriteEveryOtherPage(Layout& layout, uint64_t pages) {
  Overlay overlay = MakeOverlay(layout);
  for (uint64_t p = 0; p < pages; p += 2) STABLEVFS_RETURN_IF_ERROR(overlay.Write(p * kPage, PagePattern(p)));
  return layout.Publish(overlay);
}

TEST_F(Layout8FailureTest, MoreThan1024ExtentsFailTheCommitBeforeAnyPageIsWritten) {
  HeapStableMemory heap;
  RecordingMemory memory(heap);
  std::unique_ptr<Layout> layout = OpenLayout8OrDie(memory);
  const std::vector<uint8_t> before = heap.bytes();
  const Meta meta_before = layout->meta();
  fp::ClearAll();
  memory.events.clear();

  // 2,051 pages, the 1,026 even ones written: 1,025 odd gaps.
  Status s = WriteEveryOtherPage(*layout, 2051);
  ASSERT_EQ(s.code(), ErrorCode::kCapacity) << s.ToString();
  EXPECT_EQ(s.current_pages(), 1u);
  EXPECT_EQ(s.required_pages(), 1u) << "the memory is not what is short";
  EXPECT_NE(s.message().find("ZeroExtentLimitExceeded"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("1025"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("1024"), std::string::npos) << s.message();
  EXPECT_TRUE(memory.events.empty()) << "no grow and no write";
  EXPECT_EQ(fp::Hits("commit.page_write_in_place"), 0u);
  EXPECT_EQ(fp::Hits("memory.grow"), 0u);
  EXPECT_EQ(fp::Hits("commit.capacity"), 1u);
  EXPECT_TRUE(heap.bytes() == before);
  EXPECT_EQ(layout->meta(), meta_before);

  // Exactly the limit is fine: 2,049 pages leave 1,024 gaps, stored in a 16,544-byte superblock.
  memory.events.clear();
  ASSERT_TRUE(WriteEveryOtherPage(*layout, 2049).ok());
  ASSERT_FALSE(memory.events.empty());
  EXPECT_EQ(memory.events.back().offset, 0u);
  EXPECT_EQ(memory.events.back().length, 16544u);
  EXPECT_EQ(AsLayout8(*layout).zero_extents().size(), 1024u);
  std::unique_ptr<Layout> reopened = testing::OpenOrDie(memory);
  EXPECT_EQ(reopened->meta(), layout->meta());
  EXPECT_EQ(ReadPageOf(*reopened, 2048), PagePattern(2048));
  EXPECT_EQ(ReadPageOf(*reopened, 2047), kZeroPage);
  EXPECT_TRUE(reopened->Validate().ok());

  // One more gap (grow by two pages, write the last) is one too many; filling a gap instead is fine and
  // shortens the superblock, leaving the old tail behind it.
  Overlay more = MakeOverlay(*layout);
  ASSERT_TRUE(more.Write(2050 * kPage, PagePattern(7)).ok());
  EXPECT_EQ(layout->Publish(more).code(), ErrorCode::kCapacity);
  ASSERT_TRUE(PublishPages(*layout, {{1, 1}, {3, 3}}).ok());
  EXPECT_EQ(AsLayout8(*layout).zero_extents().size(), 1022u);
  EXPECT_EQ(testing::OpenOrDie(memory)->meta(), layout->meta());
}

}  // namespace
}  // namespace stablevfs
